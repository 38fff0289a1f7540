//! The jailed local-directory backend (hot and warm tiers, and `file://` cold mounts).
//!
//! **The jail.** The mount's root is canonicalised once. Every path is resolved one segment
//! at a time with `lstat`; a symlink is followed only if its real target lies inside the
//! root, and a dangling symlink is refused (opening it with `O_CREAT` would create a file
//! wherever it points). Walks never follow symlinks. Relative paths arrive normalised by
//! `VPath`, so `..` and NUL never reach this layer; host paths cannot be expressed at all.
//! Limitation: a hostile process with write access to the *host* directory could swap a
//! directory for a symlink between the check and the use; agents going through ax cannot.
//!
//! **Nothing lost.** `write` streams into a temporary file in the target's directory
//! (`.ax-tmp-*`, hidden from listings), fsyncs it, then renames it over the target and
//! fsyncs the directory: a reader or a crash sees the old or the new file, never a mix.
//! `append` opens with `O_APPEND` and holds an exclusive `flock` for the whole call, so
//! concurrent appenders never tear each other's lines, even for streamed input.
//!
//! **No lost updates.** Every mutation locks the inode currently at the path (and re-checks
//! after locking that it is still the one at the path), so an ETag check and the change it
//! guards happen as one step with respect to every other ax process.

use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::{
    Backend, COPY_BUF, Content, Entry, EtagHasher, Kind, Meta, Precondition, RemoveOptions,
    StatOptions, Walk, WriteOptions, WriteOutcome, check_if_match, exists_conflict,
    if_match_conflict,
};
use crate::error::{Advice, Error, ErrorKind, Result};
use crate::vpath::VPath;

/// Prefix of in-flight temporary files; listings, walks and grep skip such names.
pub const TEMP_PREFIX: &str = ".ax-tmp-";

/// A local directory served as a mount.
pub struct LocalBackend {
    mount: VPath,
    root: PathBuf,
    create_root: bool,
    canonical: OnceLock<PathBuf>,
}

/// Whether the last segment of a path is followed if it is a symlink.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Last {
    /// Act on what the link points to (reads, writes).
    Follow,
    /// Act on the entry itself (rm, mv).
    NoFollow,
}

impl LocalBackend {
    /// A backend for `root`, serving the mount point `mount`. With `create_root`, a missing
    /// root directory is created on first use (writable mounts); otherwise it is an error.
    pub fn new(mount: VPath, root: PathBuf, create_root: bool) -> Self {
        LocalBackend {
            mount,
            root,
            create_root,
            canonical: OnceLock::new(),
        }
    }

    /// The virtual path of `rel`, for messages.
    fn vpath(&self, rel: &str) -> String {
        if rel.is_empty() {
            self.mount.to_string()
        } else {
            format!("{}/{rel}", self.mount)
        }
    }

    /// The canonical root, created first if allowed and missing.
    fn root(&self) -> Result<&Path> {
        if let Some(p) = self.canonical.get() {
            return Ok(p);
        }
        let canon = match fs::canonicalize(&self.root) {
            Ok(p) => p,
            Err(e) if e.kind() == io::ErrorKind::NotFound && self.create_root => {
                fs::create_dir_all(&self.root).map_err(|e| self.root_error(&e))?;
                fs::canonicalize(&self.root).map_err(|e| self.root_error(&e))?
            }
            Err(e) => return Err(self.root_error(&e)),
        };
        if !canon.is_dir() {
            return Err(
                Error::new(ErrorKind::Config, "the mount's root is not a directory")
                    .at(&self.mount)
                    .hint("point `root:` at a directory in ax.yaml"),
            );
        }
        Ok(self.canonical.get_or_init(|| canon))
    }

    fn root_error(&self, e: &io::Error) -> Error {
        let what = if e.kind() == io::ErrorKind::NotFound {
            "the mount's root directory does not exist".to_string()
        } else {
            format!(
                "cannot open the mount's root directory: {}",
                Error::io(e, "").message()
            )
        };
        Error::new(ErrorKind::Io, what).at(&self.mount).hint(
            "create it, or fix `root:` for this mount in ax.yaml (`ax mounts` shows the table)",
        )
    }

    /// Resolves `rel` to a host path inside the jail. Existing segments are checked with
    /// `lstat`; symlinks are followed only to targets inside the root.
    fn resolve(&self, rel: &str, last: Last) -> Result<PathBuf> {
        let root = self.root()?;
        let mut cur = root.to_path_buf();
        if rel.is_empty() {
            return Ok(cur);
        }
        let segs: Vec<&str> = rel.split('/').collect();
        for (i, seg) in segs.iter().enumerate() {
            cur.push(seg);
            let is_last = i + 1 == segs.len();
            match fs::symlink_metadata(&cur) {
                Ok(m) if m.file_type().is_symlink() => {
                    if is_last && last == Last::NoFollow {
                        return Ok(cur);
                    }
                    let real = match fs::canonicalize(&cur) {
                        Ok(r) => r,
                        Err(_) => {
                            return Err(Error::new(
                                ErrorKind::OutsideMount,
                                "is a symlink that leads nowhere inside the mount; refused",
                            )
                            .at(self.vpath(&segs[..=i].join("/"))));
                        }
                    };
                    if !real.starts_with(root) {
                        return Err(Error::new(
                            ErrorKind::OutsideMount,
                            "is a symlink that leads outside the mount; refused",
                        )
                        .at(self.vpath(&segs[..=i].join("/"))));
                    }
                    cur = real;
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    // The rest does not exist: nothing there can be a link.
                    for rest in &segs[i + 1..] {
                        cur.push(rest);
                    }
                    return Ok(cur);
                }
                Err(e) if e.kind() == io::ErrorKind::NotADirectory => {
                    return Err(Error::io(&e, self.vpath(rel)));
                }
                Err(e) => return Err(Error::io(&e, self.vpath(rel))),
            }
        }
        Ok(cur)
    }

    /// Host path of `rel` for writing: resolved, and its parent directories created.
    fn resolve_for_write(&self, rel: &str) -> Result<PathBuf> {
        if rel.is_empty() {
            return Err(
                Error::new(ErrorKind::IsADirectory, "is the mount's root directory")
                    .at(&self.mount),
            );
        }
        let path = self.resolve(rel, Last::Follow)?;
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::io(&e, self.vpath(parent_rel(rel))))?;
        }
        match fs::metadata(&path) {
            Ok(m) if m.is_dir() => {
                Err(Error::new(ErrorKind::IsADirectory, "is a directory").at(self.vpath(rel)))
            }
            _ => Ok(path),
        }
    }

    fn meta_of(m: &fs::Metadata) -> Meta {
        let kind = if m.is_dir() {
            Kind::Dir
        } else if m.file_type().is_symlink() {
            Kind::Symlink
        } else {
            Kind::File
        };
        Meta {
            kind,
            size: if kind == Kind::File { m.len() } else { 0 },
            modified: m.modified().ok(),
            etag: None,
            cached: None,
        }
    }

    /// Metadata of an entry met while listing: symlinks are described by their target when
    /// that target is inside the jail, and as unfollowed links otherwise.
    fn entry_meta(&self, host: &Path, m: fs::Metadata) -> Meta {
        if m.file_type().is_symlink()
            && let (Ok(root), Ok(real)) = (self.root(), fs::canonicalize(host))
            && real.starts_with(root)
            && let Ok(target) = fs::metadata(&real)
        {
            return Self::meta_of(&target);
        }
        Self::meta_of(&m)
    }
}

/// A folder's entries sorted by name.
fn sorted_entries(dir: &Path) -> io::Result<Vec<fs::DirEntry>> {
    let mut v: Vec<fs::DirEntry> = fs::read_dir(dir)?.filter_map(|e| e.ok()).collect();
    v.sort_by_key(|e| e.file_name());
    Ok(v)
}

/// The parent part of a relative path (`""` at the top).
fn parent_rel(rel: &str) -> &str {
    rel.rfind('/').map(|i| &rel[..i]).unwrap_or("")
}

/// Locks the file currently at `path` (exclusive `flock`), making sure after locking that it
/// is still the file at `path` (a concurrent rename may have replaced it). `None` if there
/// is no file.
fn lock_current(path: &Path) -> io::Result<Option<File>> {
    loop {
        let f = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        f.lock()?;
        if same_file(&f, path)? {
            return Ok(Some(f));
        }
    }
}

/// True if the open file `f` is the one now at `path`.
fn same_file(f: &File, path: &Path) -> io::Result<bool> {
    let held = f.metadata()?;
    match fs::metadata(path) {
        Ok(now) => Ok(now.ino() == held.ino() && now.dev() == held.dev()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Fsyncs a directory so a rename or unlink in it is durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Which side of a copy failed.
enum CopyError {
    /// Reading the input (stdin, a source file).
    Input(io::Error),
    /// Writing the destination.
    Output(io::Error),
}

/// Copies `src` into `dst`, hashing on the way when `hash` is given. Returns bytes copied.
fn copy_stream(
    src: &mut dyn Read,
    dst: &mut dyn Write,
    mut hash: Option<&mut EtagHasher>,
) -> Result<u64, CopyError> {
    let mut buf = vec![0u8; COPY_BUF];
    let mut total = 0u64;
    loop {
        let n = match src.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyError::Input(e)),
        };
        if let Some(h) = hash.as_deref_mut() {
            h.update(&buf[..n]);
        }
        dst.write_all(&buf[..n]).map_err(CopyError::Output)?;
        total += n as u64;
    }
    Ok(total)
}

impl CopyError {
    /// The ax error for this failure while writing `dest`.
    fn into_error(self, dest: &str) -> Error {
        match self {
            CopyError::Input(e) => Error::input(&e, dest),
            CopyError::Output(e) => Error::io(&e, dest),
        }
    }
}

/// The ETag of the file at `path` (read from a fresh descriptor).
fn etag_of(path: &Path) -> io::Result<String> {
    EtagHasher::of_reader(&mut File::open(path)?)
}

impl Backend for LocalBackend {
    fn kind(&self) -> &'static str {
        "local"
    }

    fn stat(&self, rel: &str, opts: StatOptions) -> Result<Meta> {
        let path = self.resolve(rel, Last::Follow)?;
        let m = fs::metadata(&path).map_err(|e| Error::io(&e, self.vpath(rel)))?;
        let mut meta = Self::meta_of(&m);
        if opts.etag && meta.kind == Kind::File {
            meta.etag = Some(etag_of(&path).map_err(|e| Error::io(&e, self.vpath(rel)))?);
        }
        Ok(meta)
    }

    fn open(&self, rel: &str) -> Result<Content> {
        let path = self.resolve(rel, Last::Follow)?;
        let f = File::open(&path).map_err(|e| Error::io(&e, self.vpath(rel)))?;
        let m = f.metadata().map_err(|e| Error::io(&e, self.vpath(rel)))?;
        if m.is_dir() {
            return Err(Error::new(ErrorKind::IsADirectory, "is a directory")
                .at(self.vpath(rel))
                .advise(Advice::ListFolder));
        }
        Ok(Content::File(f))
    }

    fn write(&self, rel: &str, src: &mut dyn Read, opts: &WriteOptions) -> Result<WriteOutcome> {
        let vp = self.vpath(rel);
        let path = self.resolve_for_write(rel)?;
        let dir = path.parent().unwrap_or(Path::new("/"));
        let mut tmp = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .permissions(Permissions::from_mode(0o666))
            .tempfile_in(dir)
            .map_err(|e| Error::io(&e, &vp))?;
        // Held while the write runs, so `ax lifecycle` never sweeps a temp file in use.
        let _ = tmp.as_file().lock_shared();

        // 1. Stream the new content aside. Nothing visible changes until the rename.
        let mut hasher = opts.report_etag.then(EtagHasher::new);
        let bytes = {
            let mut out = io::BufWriter::with_capacity(COPY_BUF, tmp.as_file_mut());
            let n = copy_stream(src, &mut out, hasher.as_mut()).map_err(|e| e.into_error(&vp))?;
            out.flush().map_err(|e| Error::io(&e, &vp))?;
            n
        };
        tmp.as_file().sync_all().map_err(|e| Error::io(&e, &vp))?;

        // 2. Lock whatever is at the path now, check the precondition, swap, release.
        let held = lock_current(&path).map_err(|e| Error::io(&e, &vp))?;
        let created = held.is_none();
        match (&opts.precondition, &held) {
            (Precondition::IfMatch(want), Some(_)) => {
                let have = etag_of(&path).map_err(|e| Error::io(&e, &vp))?;
                check_if_match(&vp, want, Some(&have))?;
            }
            (Precondition::IfMatch(want), None) => return Err(if_match_conflict(&vp, want, None)),
            (Precondition::IfNoneMatch, Some(_)) => return Err(exists_conflict(&vp)),
            _ => {}
        }
        if let Some(old) = &held
            && let Ok(m) = old.metadata()
        {
            let _ = tmp.as_file().set_permissions(m.permissions());
        }
        if opts.precondition == Precondition::IfNoneMatch {
            tmp.persist_noclobber(&path).map_err(|e| {
                if e.error.kind() == io::ErrorKind::AlreadyExists {
                    exists_conflict(&vp)
                } else {
                    Error::io(&e.error, &vp)
                }
            })?;
        } else {
            tmp.persist(&path).map_err(|e| Error::io(&e.error, &vp))?;
        }
        sync_dir(dir).map_err(|e| Error::io(&e, &vp))?;
        drop(held);
        Ok(WriteOutcome {
            bytes,
            created,
            etag: hasher.map(|h| h.finish()),
        })
    }

    fn append(&self, rel: &str, src: &mut dyn Read, opts: &WriteOptions) -> Result<WriteOutcome> {
        let vp = self.vpath(rel);
        let path = self.resolve_for_write(rel)?;
        if opts.precondition == Precondition::IfNoneMatch {
            return Err(Error::usage("append does not take --if-none-match; use `ax write --if-none-match '*'` to create")
                .at(&vp));
        }
        let must_exist = matches!(opts.precondition, Precondition::IfMatch(_));
        let (mut file, created) = loop {
            let existed = path.exists();
            let f = match OpenOptions::new()
                .append(true)
                .create(!must_exist)
                .open(&path)
            {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::NotFound && must_exist => {
                    if let Precondition::IfMatch(want) = &opts.precondition {
                        return Err(if_match_conflict(&vp, want, None));
                    }
                    return Err(Error::io(&e, &vp));
                }
                Err(e) => return Err(Error::io(&e, &vp)),
            };
            f.lock().map_err(|e| Error::io(&e, &vp))?;
            if same_file(&f, &path).map_err(|e| Error::io(&e, &vp))? {
                break (f, !existed);
            }
        };
        if let Precondition::IfMatch(want) = &opts.precondition {
            let have = etag_of(&path).map_err(|e| Error::io(&e, &vp))?;
            check_if_match(&vp, want, Some(&have))?;
        }
        // One buffered stream under the lock: other ax appenders wait, so lines stay whole.
        let bytes = {
            let mut out = io::BufWriter::with_capacity(COPY_BUF, &mut file);
            let n = copy_stream(src, &mut out, None).map_err(|e| e.into_error(&vp))?;
            out.flush().map_err(|e| Error::io(&e, &vp))?;
            n
        };
        file.sync_data().map_err(|e| Error::io(&e, &vp))?;
        let etag = if opts.report_etag {
            Some(etag_of(&path).map_err(|e| Error::io(&e, &vp))?)
        } else {
            None
        };
        drop(file);
        Ok(WriteOutcome {
            bytes,
            created,
            etag,
        })
    }

    fn remove(&self, rel: &str, opts: RemoveOptions) -> Result<()> {
        let vp = self.vpath(rel);
        if rel.is_empty() {
            return Err(Error::new(
                ErrorKind::Refused,
                "is a mount root; ax never deletes a mount's directory",
            )
            .at(vp));
        }
        let path = self.resolve(rel, Last::NoFollow)?;
        let m = fs::symlink_metadata(&path).map_err(|e| Error::io(&e, &vp))?;
        if m.is_dir() {
            if !opts.recursive {
                return Err(Error::new(ErrorKind::IsADirectory, "is a directory")
                    .at(&vp)
                    .advise(Advice::RemoveRecursively));
            }
            fs::remove_dir_all(&path).map_err(|e| Error::io(&e, &vp))?;
        } else {
            // Hold the lock so a concurrent conditional write sees a consistent state.
            let _held = if m.is_file() {
                lock_current(&path).ok().flatten()
            } else {
                None
            };
            fs::remove_file(&path).map_err(|e| Error::io(&e, &vp))?;
        }
        if let Some(dir) = path.parent() {
            sync_dir(dir).map_err(|e| Error::io(&e, &vp))?;
        }
        Ok(())
    }

    fn list(&self, rel: &str) -> Result<Vec<Entry>> {
        let vp = self.vpath(rel);
        let path = self.resolve(rel, Last::Follow)?;
        let rd = match fs::read_dir(&path) {
            Ok(rd) => rd,
            Err(e) if e.kind() == io::ErrorKind::NotADirectory => {
                return Err(
                    Error::new(ErrorKind::NotADirectory, "is a file, not a directory").at(vp),
                );
            }
            Err(e) => return Err(Error::io(&e, vp)),
        };
        let mut out = Vec::new();
        for de in rd {
            let de = de.map_err(|e| Error::io(&e, &vp))?;
            let Ok(name) = de.file_name().into_string() else {
                continue;
            };
            if name.starts_with(TEMP_PREFIX) {
                continue;
            }
            let Ok(m) = de.metadata() else { continue };
            let meta = self.entry_meta(&de.path(), m);
            let rel_child = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            out.push(Entry {
                rel: rel_child,
                meta,
            });
        }
        out.sort_by(|a, b| a.rel.cmp(&b.rel));
        Ok(out)
    }

    fn walk(&self, rel: &str, visit: &mut dyn FnMut(&Entry) -> Walk) -> Result<()> {
        let vp = self.vpath(rel);
        let base = self.resolve(rel, Last::Follow)?;
        let root = self.root()?.to_path_buf();
        // Depth first, names sorted within each folder, symlinks not followed. `read_dir`
        // entries stat relative to their open folder (no path walk per file), which is most
        // of what a refresh of a large mount costs.
        let mut stack = match sorted_entries(&base) {
            Ok(v) => vec![v.into_iter()],
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(Error::io(&e, &vp)),
            // a file has no entries; an unreadable folder is skipped, as find does
            Err(_) => return Ok(()),
        };
        while let Some(top) = stack.last_mut() {
            let Some(de) = top.next() else {
                stack.pop();
                continue;
            };
            let name = de.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(TEMP_PREFIX) {
                continue;
            }
            let host = de.path();
            let Ok(under_root) = host.strip_prefix(&root) else {
                continue;
            };
            let Some(child) = under_root.to_str() else {
                continue;
            }; // non-UTF-8 names are not addressable
            let Ok(m) = de.metadata() else { continue };
            let is_dir = m.file_type().is_dir();
            let entry = Entry {
                rel: child.to_string(),
                meta: self.entry_meta(&host, m),
            };
            match visit(&entry) {
                Walk::Continue if is_dir => {
                    // unreadable subfolder: skip, as find does
                    if let Ok(v) = sorted_entries(&host) {
                        stack.push(v.into_iter());
                    }
                }
                Walk::Continue | Walk::SkipDir => {}
                Walk::Stop => break,
            }
        }
        Ok(())
    }

    fn rename(&self, from: &str, to: &str) -> Result<bool> {
        let src = self.resolve(from, Last::NoFollow)?;
        fs::symlink_metadata(&src).map_err(|e| Error::io(&e, self.vpath(from)))?;
        let dst = self.resolve_for_write(to)?;
        let held = lock_current(&dst).map_err(|e| Error::io(&e, self.vpath(to)))?;
        match fs::rename(&src, &dst) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::CrossesDevices => return Ok(false),
            Err(e) => return Err(Error::io(&e, self.vpath(to))),
        }
        drop(held);
        for dir in [src.parent(), dst.parent()].into_iter().flatten() {
            sync_dir(dir).map_err(|e| Error::io(&e, self.vpath(to)))?;
        }
        Ok(true)
    }

    fn create_dir(&self, rel: &str) -> Result<()> {
        let path = self.resolve(rel, Last::Follow)?;
        fs::create_dir_all(&path).map_err(|e| Error::io(&e, self.vpath(rel)))
    }

    fn remove_empty_dir(&self, rel: &str) -> Result<bool> {
        if rel.is_empty() {
            return Ok(false); // never the mount's own directory
        }
        let vp = self.vpath(rel);
        let path = match self.resolve(rel, Last::NoFollow) {
            Ok(p) => p,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e),
        };
        match fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Ok(false),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(Error::io(&e, &vp)),
        }
        // rmdir refuses a non-empty directory, so a file created meanwhile is never lost.
        match fs::remove_dir(&path) {
            Ok(()) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::DirectoryNotEmpty | io::ErrorKind::NotFound
                ) =>
            {
                return Ok(false);
            }
            Err(e) => return Err(Error::io(&e, &vp)),
        }
        if let Some(dir) = path.parent() {
            sync_dir(dir).map_err(|e| Error::io(&e, &vp))?;
        }
        Ok(true)
    }

    fn host_dir(&self, rel: &str) -> Option<PathBuf> {
        self.resolve(rel, Last::Follow).ok()
    }

    fn stale_temps(
        &self,
        older_than: std::time::Duration,
    ) -> Result<Vec<(String, u64, std::time::Duration)>> {
        // Never creates the root (a dry run changes nothing): no folder, no debris.
        let root = match self.canonical.get() {
            Some(p) => p.clone(),
            None => match fs::canonicalize(&self.root) {
                Ok(p) => p,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
                Err(e) => return Err(self.root_error(&e)),
            },
        };
        let now = std::time::SystemTime::now();
        let mut found = Vec::new();
        let mut stack = vec![String::new()];
        while let Some(rel) = stack.pop() {
            let Ok(entries) = fs::read_dir(root.join(&rel)) else {
                continue;
            };
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let child = if rel.is_empty() {
                    name.clone()
                } else {
                    format!("{rel}/{name}")
                };
                // Never follows symlinks: file_type() is the entry's own type.
                let Ok(t) = e.file_type() else { continue };
                if t.is_dir() {
                    stack.push(child);
                } else if t.is_file()
                    && name.starts_with(TEMP_PREFIX)
                    && let Ok(m) = e.metadata()
                {
                    let age = m
                        .modified()
                        .ok()
                        .and_then(|t| now.duration_since(t).ok())
                        .unwrap_or_default();
                    if age > older_than {
                        found.push((child, m.len(), age));
                    }
                }
            }
        }
        found.sort();
        Ok(found)
    }

    fn remove_temp(&self, rel: &str) -> Result<bool> {
        let vp = self.vpath(rel);
        if !rel
            .rsplit('/')
            .next()
            .is_some_and(|n| n.starts_with(TEMP_PREFIX))
        {
            return Err(Error::new(ErrorKind::Refused, "is not a temporary file of ax").at(&vp));
        }
        let path = self.resolve(rel, Last::NoFollow)?;
        let f = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(Error::io(&e, &vp)),
        };
        // A write in progress holds a shared lock on its temp file.
        if f.try_lock().is_err() || !same_file(&f, &path).map_err(|e| Error::io(&e, &vp))? {
            return Ok(false);
        }
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::io(&e, &vp)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backend() -> (tempfile::TempDir, LocalBackend) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        let b = LocalBackend::new(VPath::parse("/m").unwrap(), root, true);
        (dir, b)
    }

    fn put(b: &LocalBackend, rel: &str, data: &[u8]) -> WriteOutcome {
        b.write(
            rel,
            &mut &data[..],
            &WriteOptions {
                report_etag: true,
                ..Default::default()
            },
        )
        .unwrap()
    }

    fn get(b: &LocalBackend, rel: &str) -> Vec<u8> {
        let mut v = Vec::new();
        b.open(rel).unwrap().read_to_end(&mut v).unwrap();
        v
    }

    #[test]
    fn write_read_replace() {
        let (_d, b) = backend();
        let o = put(&b, "a/b/c.txt", b"one");
        assert!(o.created);
        assert_eq!(get(&b, "a/b/c.txt"), b"one");
        let o2 = put(&b, "a/b/c.txt", b"two");
        assert!(!o2.created);
        assert_ne!(o.etag, o2.etag);
        assert_eq!(get(&b, "a/b/c.txt"), b"two");
        assert_eq!(
            b.stat("a/b/c.txt", StatOptions { etag: true })
                .unwrap()
                .etag,
            o2.etag
        );
    }

    #[test]
    fn preconditions() {
        let (_d, b) = backend();
        let o = put(&b, "f", b"v1");
        let opts = |p| WriteOptions {
            precondition: p,
            report_etag: false,
        };
        let stale = "0".repeat(32);
        let e = b
            .write("f", &mut &b"x"[..], &opts(Precondition::IfMatch(stale)))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
        b.write(
            "f",
            &mut &b"v2"[..],
            &opts(Precondition::IfMatch(format!("\"{}\"", o.etag.unwrap()))),
        )
        .unwrap();
        let e = b
            .write("f", &mut &b"x"[..], &opts(Precondition::IfNoneMatch))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
        b.write("g", &mut &b"new"[..], &opts(Precondition::IfNoneMatch))
            .unwrap();
        assert_eq!(get(&b, "f"), b"v2");
        let e = b
            .append(
                "nope",
                &mut &b"x"[..],
                &opts(Precondition::IfMatch("abc".into())),
            )
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
        assert!(
            b.stat("nope", StatOptions::default()).is_err(),
            "a failed conditional append creates nothing"
        );
    }

    #[test]
    fn symlinks_outside_are_refused() {
        let (d, b) = backend();
        put(&b, "x", b"x");
        let outside = d.path().join("secret");
        fs::write(&outside, "secret").unwrap();
        let root = d.path().join("root");
        std::os::unix::fs::symlink(&outside, root.join("leak")).unwrap();
        std::os::unix::fs::symlink(d.path(), root.join("up")).unwrap();
        std::os::unix::fs::symlink(d.path().join("missing"), root.join("dangling")).unwrap();
        std::os::unix::fs::symlink(root.join("x"), root.join("inside")).unwrap();
        for rel in ["leak", "up/secret", "dangling"] {
            assert_eq!(
                b.open(rel).err().unwrap().kind(),
                ErrorKind::OutsideMount,
                "{rel}"
            );
        }
        let e = b
            .write("up/new", &mut &b"x"[..], &WriteOptions::default())
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::OutsideMount);
        let e = b
            .append("dangling", &mut &b"x"[..], &WriteOptions::default())
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::OutsideMount);
        assert!(
            !d.path().join("missing").exists(),
            "nothing created through a dangling link"
        );
        assert!(!d.path().join("new").exists());
        assert_eq!(get(&b, "inside"), b"x");
        // Removing the link removes the link, never its target.
        b.remove("leak", RemoveOptions::default()).unwrap();
        assert_eq!(fs::read_to_string(&outside).unwrap(), "secret");
    }

    #[test]
    fn mount_root_is_never_removed() {
        let (_d, b) = backend();
        put(&b, "x", b"x");
        let e = b.remove("", RemoveOptions { recursive: true }).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Refused);
        assert_eq!(get(&b, "x"), b"x");
    }

    #[test]
    fn listing_hides_temporaries() {
        let (d, b) = backend();
        put(&b, "a", b"1");
        fs::write(d.path().join("root").join(".ax-tmp-zzz"), "partial").unwrap();
        let names: Vec<_> = b.list("").unwrap().into_iter().map(|e| e.rel).collect();
        assert_eq!(names, ["a"]);
        let mut seen = Vec::new();
        b.walk("", &mut |e| {
            seen.push(e.rel.clone());
            Walk::Continue
        })
        .unwrap();
        assert_eq!(seen, ["a"]);
    }

    mod jail {
        use super::*;
        use proptest::prelude::*;

        /// A root with links inside it, out of it, and dangling.
        fn fixture() -> (tempfile::TempDir, LocalBackend) {
            let (d, b) = backend();
            let root = d.path().join("root");
            fs::create_dir_all(root.join("sub/deeper")).unwrap();
            fs::write(root.join("sub/f"), "in").unwrap();
            fs::create_dir_all(d.path().join("outside")).unwrap();
            fs::write(d.path().join("outside/secret"), "secret").unwrap();
            let link = |target: &Path, name: &str| {
                std::os::unix::fs::symlink(target, root.join(name)).unwrap()
            };
            link(&d.path().join("outside"), "out");
            link(&d.path().join("outside/secret"), "outfile");
            link(Path::new("/"), "hostroot");
            link(Path::new("../outside"), "relout");
            link(&root.join("sub"), "insub");
            link(Path::new("sub/deeper"), "reldeep");
            link(&d.path().join("nowhere"), "dangling");
            (d, b)
        }

        fn segment() -> impl Strategy<Value = String> {
            prop_oneof![
                Just("..".to_string()),
                Just(".".to_string()),
                Just("out".to_string()),
                Just("outfile".to_string()),
                Just("hostroot".to_string()),
                Just("relout".to_string()),
                Just("insub".to_string()),
                Just("reldeep".to_string()),
                Just("dangling".to_string()),
                Just("sub".to_string()),
                Just("deeper".to_string()),
                Just("etc".to_string()),
                Just("f".to_string()),
            ]
        }

        /// The deepest existing ancestor of `p`, canonicalised (where the OS would really go).
        fn real_anchor(p: &Path) -> PathBuf {
            let mut cur = p.to_path_buf();
            loop {
                if let Ok(c) = fs::canonicalize(&cur) {
                    return c;
                }
                if !cur.pop() {
                    return PathBuf::from("/");
                }
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(400))]
            /// No generated virtual path resolves (for reading or writing) to a host path
            /// whose real location is outside the mount's root.
            #[test]
            fn no_path_escapes_the_root(segs in proptest::collection::vec(segment(), 1..7)) {
                let (_d, b) = fixture();
                let root = b.root().unwrap().to_path_buf();
                let raw = format!("/m/{}", segs.join("/"));
                let Ok(vp) = VPath::parse_within(&raw, |p| p == "/m") else { return Ok(()) };
                let rel = vp.strip_prefix(&VPath::parse("/m").unwrap()).unwrap().to_string();
                if let Ok(host) = b.resolve(&rel, Last::Follow) {
                    prop_assert!(real_anchor(&host).starts_with(&root), "{} -> {}", raw, host.display());
                }
                // Whatever the outcome, nothing outside was touched.
                let _ = b.write(&rel, &mut &b"x"[..], &WriteOptions::default());
                let _ = b.append(&rel, &mut &b"x"[..], &WriteOptions::default());
                let outside = root.parent().unwrap().join("outside");
                prop_assert_eq!(fs::read_to_string(outside.join("secret")).unwrap(), "secret");
                prop_assert_eq!(fs::read_dir(&outside).unwrap().count(), 1);
                prop_assert!(!root.parent().unwrap().join("nowhere").exists());
            }
        }
    }
}
