//! The one error type of ax, its kinds and their exit codes.
//!
//! Library code returns [`Error`]; it is formatted exactly once, at the edge (the CLI prints
//! `ax: <virtual path>: <what failed>` plus an optional hint, the MCP server returns the same
//! line as an `isError` result). Errors name the *virtual* path the user gave, never the host
//! path behind a mount, so nothing about the host layout leaks to an agent.
//!
//! **Hints are neutral of front end.** Where the way out is one of ax's own options (remove
//! recursively, re-read the ETag, replace every match), the library attaches an [`Advice`],
//! and each front end words it in its own terms: CLI flags (`ax rm -r`) by default,
//! tool argument names (`recursive: true`) after [`Error::for_tools`]. Free-text hints that
//! name no option stay text.

use std::fmt;
use std::io;
use std::process::ExitCode;

/// What went wrong, coarse enough to choose an exit code and a wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The path (or an ancestor of it) does not exist.
    NotFound,
    /// Create-only write or similar found something already there.
    AlreadyExists,
    /// The mount refuses changes.
    ReadOnly,
    /// The path would leave its mount (`..`, symlink, NUL, host path).
    OutsideMount,
    /// A file operation was asked of a directory.
    IsADirectory,
    /// A directory operation was asked of a file, or a parent is a file.
    NotADirectory,
    /// An `--if-match` / `--if-none-match` precondition did not hold.
    Conflict,
    /// The operation is valid but not possible here (e.g. `rm` of a mount root).
    Refused,
    /// The caller's scope does not allow it (an `ax serve` token that may only read a mount).
    Forbidden,
    /// `edit` found its text zero times, or several times without `--all`.
    NoMatch,
    /// The backend or feature is not available in this build or configuration.
    Unsupported,
    /// ax's own bug (an invariant broke); exit 1. Please report it.
    Internal,
    /// Bad command-line usage or bad arguments from an agent.
    Usage,
    /// The configuration file is invalid.
    Config,
    /// An I/O failure that is none of the above.
    Io,
    /// The reader of our output went away (`ax cat big | head`): not a failure.
    BrokenPipe,
}

/// Exit codes, documented in the README and in `ax --help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Success (0).
    Ok,
    /// The operation failed (not found, read-only, outside the mount, I/O, ...) (1).
    /// `ax grep` also exits 1 when nothing matched, like grep and ripgrep.
    Failed,
    /// Usage or configuration error: nothing was attempted (2).
    Usage,
    /// A precondition (`--if-match`, `--if-none-match`) failed: someone else changed the
    /// file (3).
    Conflict,
    /// `ax exec` passes on the status of the command it ran (124 after its time limit).
    Command(u8),
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Failed => 1,
            Exit::Usage => 2,
            Exit::Conflict => 3,
            Exit::Command(c) => c,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e.code())
    }
}

impl ErrorKind {
    /// The exit code this kind of failure maps to.
    pub fn exit(self) -> Exit {
        match self {
            ErrorKind::Usage | ErrorKind::Config => Exit::Usage,
            ErrorKind::Conflict => Exit::Conflict,
            ErrorKind::BrokenPipe => Exit::Ok,
            _ => Exit::Failed,
        }
    }

    /// A short machine-readable name, used in `--json` error documents.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not_found",
            ErrorKind::AlreadyExists => "already_exists",
            ErrorKind::ReadOnly => "read_only",
            ErrorKind::OutsideMount => "outside_mount",
            ErrorKind::IsADirectory => "is_a_directory",
            ErrorKind::NotADirectory => "not_a_directory",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Refused => "refused",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::NoMatch => "no_match",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Internal => "internal",
            ErrorKind::Usage => "usage",
            ErrorKind::Config => "config",
            ErrorKind::Io => "io",
            ErrorKind::BrokenPipe => "broken_pipe",
        }
    }
}

/// A way out that names one of ax's options; rendered by each front end in its own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Advice {
    /// Removing a folder needs the recursive option.
    RemoveRecursively,
    /// Copying a folder needs the recursive option.
    CopyRecursively,
    /// The file changed: read its current ETag and redo the change.
    Reread,
    /// A create-only write found a file: drop create-only, or replace a known version.
    ReplaceKnownVersion,
    /// The edit's old text is ambiguous: make it unique or replace every occurrence.
    EditUniqueOrAll,
    /// A folder was read as a file: list it.
    ListFolder,
    /// The mount refuses changes: pick a writable one.
    WritableMount,
    /// The path names no mount: list the mounts.
    ListMounts,
    /// A write landed between mount points: write below a mount.
    WriteBelowMount,
    /// A relative path: virtual paths start with a mount point.
    StartAtAMount,
    /// The root or a mount point cannot be removed: remove what is inside.
    RemoveInside,
    /// A mount point cannot be moved: move its entries.
    MoveEntries,
    /// Searching a mount that is not indexed.
    SearchIndexedMount,
    /// The search index is damaged: rebuild it.
    RebuildIndex,
}

impl Advice {
    /// The CLI's wording; `subject` is the error's path, if any.
    fn cli(&self, subject: Option<&str>) -> String {
        let p = subject.unwrap_or("PATH");
        match self {
            Advice::RemoveRecursively => {
                format!("use `ax rm -r {p}` to remove it and everything in it")
            }
            Advice::CopyRecursively => {
                format!("use `ax cp -r {p} ...` to copy it with everything in it")
            }
            Advice::Reread => "read it again (`ax stat` or `ax cat --json` give the current ETag) and redo your change".into(),
            Advice::ReplaceKnownVersion => "drop --if-none-match to replace it, or use --if-match ETAG to replace a known version".into(),
            Advice::EditUniqueOrAll => "add surrounding text to --old to make it unique, or pass --all to replace every one".into(),
            Advice::ListFolder => format!("list it with `ax ls {p}`"),
            Advice::WritableMount => "write to a writable mount instead (`ax mounts` shows which are read-only)".into(),
            Advice::ListMounts => "`ax ls /` lists the mounts".into(),
            Advice::WriteBelowMount => "write below a mount, e.g. /scratch/name; `ax ls /` lists the mounts".into(),
            Advice::StartAtAMount => "virtual paths start with a mount point, e.g. /scratch/notes.md; `ax ls /` lists the mounts".into(),
            Advice::RemoveInside => "remove entries inside a mount instead, e.g. `ax rm -r /scratch/NAME`".into(),
            Advice::MoveEntries => format!("move its entries instead: `ax mv {p}/NAME DEST`"),
            Advice::SearchIndexedMount => "search an indexed mount (`ax mounts` shows them), or set `index: true` on this mount in ax.yaml".into(),
            Advice::RebuildIndex => "`ax index --rebuild` rebuilds the index".into(),
        }
    }

    /// The tools' wording (argument and tool names as in their schemas).
    fn tool(&self) -> String {
        match self {
            Advice::RemoveRecursively => "call ax_delete with recursive: true to remove it and everything in it".into(),
            Advice::CopyRecursively => "copying a folder copies everything in it".into(),
            Advice::Reread => "read it again (ax_stat or ax_read give the current etag) and redo your change with that etag as if_match".into(),
            Advice::ReplaceKnownVersion => "drop create_only to replace it, or pass if_match with its etag to replace a known version".into(),
            Advice::EditUniqueOrAll => "add surrounding text to old to make it unique, or pass all: true to replace every one".into(),
            Advice::ListFolder => "list it with ax_list".into(),
            Advice::WritableMount => "write to a writable mount instead (ax_mounts shows which are read-only)".into(),
            Advice::ListMounts => "ax_mounts (or ax_list of /) lists the mounts".into(),
            Advice::WriteBelowMount => "write below a mount, e.g. /scratch/name; ax_mounts lists the mounts".into(),
            Advice::StartAtAMount => "virtual paths start with a mount point, e.g. /scratch/notes.md; ax_mounts lists the mounts".into(),
            Advice::RemoveInside => "delete entries inside a mount instead, e.g. ax_delete of /scratch/NAME with recursive: true".into(),
            Advice::MoveEntries => "move its entries instead: ax_move each one (src PATH/NAME)".into(),
            Advice::SearchIndexedMount => "search an indexed mount (ax_mounts shows which are indexed)".into(),
            Advice::RebuildIndex => "the search index is damaged and needs a rebuild by whoever runs ax; the other tools keep working".into(),
        }
    }
}

/// An error with the virtual path it concerns, a message for people and an optional hint.
#[derive(Debug, Clone)]
pub struct Error {
    kind: ErrorKind,
    subject: Option<String>,
    message: String,
    hint: Option<String>,
    advice: Option<Advice>,
}

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A new error of `kind` with `message`, about no particular path.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            subject: None,
            message: message.into(),
            hint: None,
            advice: None,
        }
    }

    /// Names what the error is about: a virtual path, or `file:line:col` for config errors.
    pub fn at(mut self, subject: impl fmt::Display) -> Self {
        self.subject = Some(subject.to_string());
        self
    }

    /// Names the subject only if none was set yet (inner layers know better).
    pub fn at_if_unset(mut self, subject: impl fmt::Display) -> Self {
        if self.subject.is_none() {
            self.subject = Some(subject.to_string());
        }
        self
    }

    /// Adds a hint: what the user can do about it.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Attaches a way out that names one of ax's options (worded by each front end).
    pub fn advise(mut self, advice: Advice) -> Self {
        self.advice = Some(advice);
        self
    }

    /// The advice, if any.
    pub fn advice(&self) -> Option<&Advice> {
        self.advice.as_ref()
    }

    /// The same error worded for a tool caller (MCP, `ax call`): advice names tool
    /// arguments instead of CLI flags.
    pub fn for_tools(mut self) -> Self {
        if let Some(a) = self.advice.take() {
            self.hint = Some(a.tool());
        }
        self
    }

    /// Shorthand for a usage error.
    pub fn usage(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Usage, message)
    }

    /// Maps an I/O error from touching `subject` (a virtual path) to an ax error.
    /// The host path is deliberately not part of the message.
    pub fn io(err: &io::Error, subject: impl fmt::Display) -> Self {
        Error::from_io(err).at(subject)
    }

    /// A failure reading the *input* of a write (stdin, a source file) while writing `dest`:
    /// not the destination's fault, and nothing was changed.
    pub fn input(err: &io::Error, dest: impl fmt::Display) -> Self {
        Error::new(
            ErrorKind::Io,
            format!(
                "reading the input failed: {}; nothing was changed",
                Error::from_io(err).message()
            ),
        )
        .at(dest)
    }

    /// Maps an I/O error to an ax error without naming a subject.
    pub fn from_io(err: &io::Error) -> Self {
        let (kind, message) = match err.kind() {
            io::ErrorKind::BrokenPipe => {
                (ErrorKind::BrokenPipe, "the output was closed".to_string())
            }
            io::ErrorKind::NotFound => {
                (ErrorKind::NotFound, "no such file or directory".to_string())
            }
            io::ErrorKind::AlreadyExists => {
                (ErrorKind::AlreadyExists, "already exists".to_string())
            }
            io::ErrorKind::PermissionDenied => (
                ErrorKind::Io,
                "permission denied by the host filesystem".to_string(),
            ),
            io::ErrorKind::IsADirectory => (ErrorKind::IsADirectory, "is a directory".to_string()),
            io::ErrorKind::NotADirectory => (
                ErrorKind::NotADirectory,
                "a parent of this path is a file, not a directory".to_string(),
            ),
            io::ErrorKind::DirectoryNotEmpty => {
                (ErrorKind::Io, "directory is not empty".to_string())
            }
            io::ErrorKind::StorageFull => {
                (ErrorKind::Io, "no space left on the device".to_string())
            }
            _ => (ErrorKind::Io, strip_os_code(err)),
        };
        Error::new(kind, message)
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// What the error is about, if known.
    pub fn subject(&self) -> Option<&str> {
        self.subject.as_deref()
    }

    /// The message without subject or hint.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The hint, if any (advice in the CLI's words).
    pub fn hint_text(&self) -> Option<String> {
        match &self.advice {
            Some(a) => Some(a.cli(self.subject.as_deref())),
            None => self.hint.clone(),
        }
    }

    /// The exit code for this error.
    pub fn exit(&self) -> Exit {
        self.kind.exit()
    }

    /// The one line the CLI prints on stderr (`ax mcp` returns `for_tools().to_line()` as an
    /// `isError` result):
    /// `ax: SUBJECT: MESSAGE; HINT`.
    pub fn to_line(&self) -> String {
        match self.hint_text() {
            Some(h) => format!("ax: {self}; {h}"),
            None => format!("ax: {self}"),
        }
    }
}

/// `Display` gives the one line the CLI prints after `ax: ` (hint excluded).
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.subject {
            Some(s) => write!(f, "{s}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Error {}

/// `io::Error`'s display ends in "(os error N)"; people do not need the number.
fn strip_os_code(err: &io::Error) -> String {
    let text = err.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advice_speaks_each_front_end_s_language() {
        let all = [
            Advice::RemoveRecursively,
            Advice::CopyRecursively,
            Advice::Reread,
            Advice::ReplaceKnownVersion,
            Advice::EditUniqueOrAll,
            Advice::ListFolder,
            Advice::WritableMount,
            Advice::ListMounts,
            Advice::WriteBelowMount,
            Advice::StartAtAMount,
            Advice::RemoveInside,
            Advice::MoveEntries,
            Advice::SearchIndexedMount,
            Advice::RebuildIndex,
        ];
        for a in all {
            let e = Error::new(ErrorKind::Conflict, "x")
                .at("/s/p")
                .advise(a.clone());
            let cli = e.to_line();
            assert!(
                !cli.contains("ax_") && !cli.contains("if_match"),
                "{a:?}: {cli}"
            );
            let tool = e.for_tools().to_line();
            assert!(
                !tool.contains("`ax ") && !tool.contains("--") && !tool.contains(" -r"),
                "{a:?}: {tool}"
            );
        }
        let e = Error::new(ErrorKind::IsADirectory, "is a directory")
            .at("/s/d")
            .advise(Advice::RemoveRecursively);
        assert!(e.to_line().contains("`ax rm -r /s/d`"));
        assert!(e.for_tools().to_line().contains("recursive: true"));
    }

    #[test]
    fn exit_codes_are_stable() {
        assert_eq!(Exit::Ok.code(), 0);
        assert_eq!(ErrorKind::NotFound.exit().code(), 1);
        assert_eq!(ErrorKind::ReadOnly.exit().code(), 1);
        assert_eq!(ErrorKind::OutsideMount.exit().code(), 1);
        assert_eq!(ErrorKind::Usage.exit().code(), 2);
        assert_eq!(ErrorKind::Config.exit().code(), 2);
        assert_eq!(ErrorKind::Conflict.exit().code(), 3);
    }

    #[test]
    fn display_is_subject_then_message() {
        let e = Error::new(ErrorKind::ReadOnly, "mount /docs is read-only").at("/docs/x.md");
        assert_eq!(e.to_string(), "/docs/x.md: mount /docs is read-only");
    }

    #[test]
    fn io_errors_do_not_leak_os_codes() {
        let e = Error::io(&io::Error::from_raw_os_error(5), "/x");
        assert!(!e.to_string().contains("os error"), "{e}");
    }
}
