//! Storage backends: the small trait every mount's storage implements.
//!
//! A backend sees paths *relative to its mount* (`""` is the mount root, `a/b.md` below it),
//! already normalised by [`crate::vpath::VPath`]: no `.`, `..`, empty segments or NUL bytes.
//! It still enforces its own jail (symlinks, host paths) because only it knows its storage.
//! Backends know their mount point so their errors can name *virtual* paths.
//!
//! The trait is synchronous on purpose: the hot path (`ax cat`, `ax write` on a local mount)
//! must not start an async runtime. An object-store backend drives its own runtime inside.
//!
//! What is deliberately *not* here: read-only enforcement, cross-mount copies and `edit` —
//! those live in the Vfs facade so every backend gets them identically.

mod build;
pub mod local;
pub mod object;
pub mod redis;

pub use build::build;

use std::fs::File;
use std::io::{self, Read};
use std::time::SystemTime;

use serde::Serialize;

use crate::error::Result;

/// What kind of entry a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A regular file (an object, on object stores).
    File,
    /// A directory (a common prefix, on object stores).
    Dir,
    /// A symbolic link that is not followed (it leads outside the mount or nowhere).
    Symlink,
}

impl Kind {
    /// The lowercase name used in text and JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::File => "file",
            Kind::Dir => "dir",
            Kind::Symlink => "symlink",
        }
    }
}

/// Metadata of one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    /// File, directory or unfollowed link.
    pub kind: Kind,
    /// Size in bytes (0 for directories).
    pub size: u64,
    /// Last modification time, where the storage knows it.
    pub modified: Option<SystemTime>,
    /// Content ETag, when asked for ([`StatOptions::etag`]) and the path is a file.
    pub etag: Option<String>,
    /// For backends with a read cache: whether the current version is cached locally.
    pub cached: Option<bool>,
}

/// One entry of a listing or walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path relative to the mount (`a/b.md`).
    pub rel: String,
    /// Metadata (without ETag).
    pub meta: Meta,
}

impl Entry {
    /// The last path segment.
    pub fn name(&self) -> &str {
        self.rel.rsplit('/').next().unwrap_or(&self.rel)
    }
}

/// Options for [`Backend::stat`].
#[derive(Debug, Clone, Copy, Default)]
pub struct StatOptions {
    /// Compute the ETag (on local mounts this reads and hashes the file).
    pub etag: bool,
}

/// A condition a mutation must meet, checked atomically with the mutation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Precondition {
    /// No condition: last writer wins.
    #[default]
    None,
    /// The current content must have this ETag.
    IfMatch(String),
    /// The path must not exist yet (create-only; `--if-none-match '*'`).
    IfNoneMatch,
}

impl Precondition {
    /// A write's precondition from its two options, by one rule for every front end: an
    /// expected ETag, or create-only, or neither; both at once is a usage error.
    pub fn for_write(if_match: Option<String>, create_only: bool) -> Result<Precondition> {
        match (if_match, create_only) {
            (Some(_), true) => Err(crate::error::Error::usage(
                "give either an expected ETag or create-only, not both",
            )),
            (Some(tag), false) => Ok(Precondition::IfMatch(tag)),
            (None, true) => Ok(Precondition::IfNoneMatch),
            (None, false) => Ok(Precondition::None),
        }
    }
}

/// An appended text is a line: it gets its final newline if it lacks one (the same rule for
/// `ax append PATH TEXT` and `ax_append`; bytes piped to `ax append` go in exactly as given).
pub fn as_line(text: &str) -> std::borrow::Cow<'_, str> {
    if text.ends_with('\n') {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(format!("{text}\n"))
    }
}

/// Options for [`Backend::write`] and [`Backend::append`].
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// The condition the mutation must meet.
    pub precondition: Precondition,
    /// Report the ETag of the resulting content (may cost a re-read on append).
    pub report_etag: bool,
}

/// What a write or append did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteOutcome {
    /// Bytes written by this call.
    pub bytes: u64,
    /// True if the file did not exist before.
    pub created: bool,
    /// ETag of the resulting content, if asked for.
    pub etag: Option<String>,
}

/// Options for [`Backend::remove`].
#[derive(Debug, Clone, Copy, Default)]
pub struct RemoveOptions {
    /// Remove directories and everything below them.
    pub recursive: bool,
}

/// What a walk visitor wants next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Walk {
    /// Keep going (into directories too).
    Continue,
    /// Do not descend into this directory.
    SkipDir,
    /// Stop the walk.
    Stop,
}

/// Readable content: a real file where the storage has one (so copies to stdout can use
/// the kernel's zero-copy paths), any stream otherwise.
pub enum Content {
    /// A local file, positioned at the start.
    File(File),
    /// Any other byte stream.
    Stream(Box<dyn Read + Send>),
}

impl Read for Content {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Content::File(f) => f.read(buf),
            Content::Stream(s) => s.read(buf),
        }
    }
}

/// The operations every storage backend provides.
pub trait Backend: Send + Sync {
    /// A short name of the backend kind (`local`, `s3`, ...).
    fn kind(&self) -> &'static str;

    /// Metadata of `rel`.
    fn stat(&self, rel: &str, opts: StatOptions) -> Result<Meta>;

    /// Opens the file `rel` for reading.
    fn open(&self, rel: &str) -> Result<Content>;

    /// Opens `rel` like [`Backend::open`], and says which version was opened when the store
    /// keeps its own ETags (object stores, Redis): the tag of exactly this content, which a
    /// later [`Precondition::IfMatch`] write is compared against. `None` means the ETag is
    /// the content's hash ([`EtagHasher`]), which the caller computes as it reads.
    fn open_tagged(&self, rel: &str) -> Result<(Content, Option<String>)> {
        Ok((self.open(rel)?, None))
    }

    /// Creates or replaces `rel` with everything `src` yields, atomically: readers and a
    /// crash see the old content or the new, never a mix. Parent directories are created.
    fn write(&self, rel: &str, src: &mut dyn Read, opts: &WriteOptions) -> Result<WriteOutcome>;

    /// Appends everything `src` yields to `rel` (created if missing). Concurrent appenders
    /// never interleave within one call's bytes.
    fn append(&self, rel: &str, src: &mut dyn Read, opts: &WriteOptions) -> Result<WriteOutcome>;

    /// Removes `rel`; directories need [`RemoveOptions::recursive`].
    fn remove(&self, rel: &str, opts: RemoveOptions) -> Result<()>;

    /// The entries directly below the directory `rel`, sorted by name.
    fn list(&self, rel: &str) -> Result<Vec<Entry>>;

    /// Visits everything below the directory `rel` (not `rel` itself), depth-first, sorted by
    /// name, without following symlinks.
    fn walk(&self, rel: &str, visit: &mut dyn FnMut(&Entry) -> Walk) -> Result<()>;

    /// Moves `from` to `to` within this backend, replacing a file at `to`. Backends that
    /// cannot rename natively return `Ok(false)` and the caller copies instead.
    fn rename(&self, from: &str, to: &str) -> Result<bool>;

    /// Creates the directory `rel` and its parents (a no-op where directories are implicit).
    fn create_dir(&self, rel: &str) -> Result<()>;

    /// Removes the directory `rel` only if it is empty, atomically (`rmdir`): `Ok(false)` when
    /// it is not empty, not a directory, or missing. Where directories are implicit (object
    /// stores: a prefix vanishes with its last object) there is nothing to remove, hence the
    /// default `Ok(false)`.
    fn remove_empty_dir(&self, rel: &str) -> Result<bool> {
        let _ = rel;
        Ok(false)
    }

    /// Leftover temporary files of interrupted writes (`.ax-tmp-*` on local folders) older
    /// than `older_than`: (path relative to the mount, size, age). Backends without such
    /// files have none.
    fn stale_temps(
        &self,
        older_than: std::time::Duration,
    ) -> Result<Vec<(String, u64, std::time::Duration)>> {
        let _ = older_than;
        Ok(Vec::new())
    }

    /// Removes one file [`Backend::stale_temps`] listed, unless a write still holds it:
    /// `Ok(false)` when it is in use or already gone.
    fn remove_temp(&self, rel: &str) -> Result<bool> {
        let _ = rel;
        Ok(false)
    }

    /// The host directory behind `rel`, for backends that have one (lets grep walk it in
    /// parallel with the same jail rules). `None` for remote storage.
    fn host_dir(&self, rel: &str) -> Option<std::path::PathBuf> {
        let _ = rel;
        None
    }
}

/// Hashes content into the ETag format of local mounts: 32 hex digits of XXH3-128.
pub struct EtagHasher(xxhash_rust::xxh3::Xxh3);

impl EtagHasher {
    /// A fresh hasher.
    pub fn new() -> Self {
        EtagHasher(xxhash_rust::xxh3::Xxh3::new())
    }

    /// Feeds bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The ETag of everything fed so far.
    pub fn finish(&self) -> String {
        format!("{:032x}", self.0.digest128())
    }

    /// The ETag of everything `src` yields.
    pub fn of_reader(src: &mut dyn Read) -> io::Result<String> {
        let mut h = EtagHasher::new();
        let mut buf = vec![0u8; COPY_BUF];
        loop {
            match src.read(&mut buf) {
                Ok(0) => return Ok(h.finish()),
                Ok(n) => h.update(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

impl Default for EtagHasher {
    fn default() -> Self {
        Self::new()
    }
}

/// Buffer size for streaming copies: big enough for throughput, small enough that a 1 GiB
/// copy stays in a few MiB of memory.
pub const COPY_BUF: usize = 256 * 1024;

/// The conflict of `--if-match WANT` when the current ETag is `have` (`None`: no such file).
pub fn if_match_conflict(
    vpath: impl std::fmt::Display,
    want: &str,
    have: Option<&str>,
) -> crate::error::Error {
    let msg = match have {
        Some(h) => format!(
            "changed since you read it (ETag is now {h}, not {})",
            normalize_etag(want)
        ),
        None => "does not exist, so it cannot match the expected ETag".to_string(),
    };
    crate::error::Error::new(crate::error::ErrorKind::Conflict, msg)
        .at(vpath)
        .advise(crate::error::Advice::Reread)
}

/// Checks `--if-match WANT` against the current ETag `have` (`None`: no such file).
pub fn check_if_match(vpath: impl std::fmt::Display, want: &str, have: Option<&str>) -> Result<()> {
    match have.map(normalize_etag) {
        Some(h) if h == normalize_etag(want) => Ok(()),
        _ => Err(if_match_conflict(vpath, want, have.map(normalize_etag))),
    }
}

/// The conflict of `--if-none-match '*'` when the file exists.
pub fn exists_conflict(vpath: impl std::fmt::Display) -> crate::error::Error {
    crate::error::Error::new(
        crate::error::ErrorKind::Conflict,
        "already exists (a create-only write never replaces a file)",
    )
    .at(vpath)
    .advise(crate::error::Advice::ReplaceKnownVersion)
}

/// Normalises an ETag given by a user or agent: surrounding quotes and a weak `W/` prefix
/// are ignored, so `"abc"`, `W/"abc"` and `abc` all match.
pub fn normalize_etag(tag: &str) -> &str {
    let t = tag.trim();
    let t = t.strip_prefix("W/").unwrap_or(t);
    t.trim_matches('"')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_rule_for_write_preconditions_and_appended_lines() {
        assert_eq!(
            Precondition::for_write(Some("e1".into()), false).unwrap(),
            Precondition::IfMatch("e1".into())
        );
        assert_eq!(
            Precondition::for_write(None, true).unwrap(),
            Precondition::IfNoneMatch
        );
        assert_eq!(
            Precondition::for_write(None, false).unwrap(),
            Precondition::None
        );
        assert!(Precondition::for_write(Some("e1".into()), true).is_err());
        assert_eq!(as_line("a"), "a\n");
        assert_eq!(as_line("a\n"), "a\n");
        assert_eq!(as_line(""), "\n");
    }

    #[test]
    fn etags_compare_without_quotes() {
        assert_eq!(normalize_etag("\"abc\""), "abc");
        assert_eq!(normalize_etag("W/\"abc\""), "abc");
        assert_eq!(normalize_etag(" abc "), "abc");
    }

    #[test]
    fn etag_is_stable_and_content_based() {
        let a = EtagHasher::of_reader(&mut &b"hello"[..]).unwrap();
        let b = EtagHasher::of_reader(&mut &b"hello"[..]).unwrap();
        let c = EtagHasher::of_reader(&mut &b"hellp"[..]).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.len(), 32);
    }
}
