//! The operations' vocabulary: each agent-facing operation's request type and result type
//! (serde + JSON Schema via schemars). The CLI's `--json` and the tools' structured results
//! are these types; [`crate::catalogue`] ties each pair to its name, description, flags and
//! handler.

use std::time::{SystemTime, UNIX_EPOCH};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Read a file, optionally a window of lines.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadRequest {
    /// Absolute virtual path of the file, e.g. /context/plan.md.
    pub path: String,
    /// First line to return, 1-based. Default 1.
    #[serde(default)]
    pub offset: Option<u64>,
    /// Maximum number of lines to return. Default: up to the byte cap.
    #[serde(default)]
    pub limit: Option<u64>,
}

/// Create or replace a file.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteRequest {
    /// Absolute virtual path of the file; parent folders are created.
    pub path: String,
    /// The complete new content.
    pub content: String,
    /// Only write if the file's current ETag is this (from stat or read).
    #[serde(default)]
    pub if_match: Option<String>,
    /// Only create: fail if the file already exists.
    #[serde(default)]
    pub create_only: Option<bool>,
}

/// Append to a file.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppendRequest {
    /// Absolute virtual path of the file; created if missing.
    pub path: String,
    /// Text to append; a newline is added if it does not end with one.
    pub content: String,
    /// Only append if the file's current ETag is this.
    #[serde(default)]
    pub if_match: Option<String>,
}

/// Replace exact text in a file.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EditRequest {
    /// Absolute virtual path of the file.
    pub path: String,
    /// Exact text to find (not a regex); must occur exactly once unless `all` is true.
    pub old: String,
    /// Replacement text.
    pub new: String,
    /// Replace every occurrence.
    #[serde(default)]
    pub all: Option<bool>,
    /// Only edit if the file's current ETag is this.
    #[serde(default)]
    pub if_match: Option<String>,
}

/// Delete a file or folder.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteRequest {
    /// Absolute virtual path to delete. Mount points cannot be deleted.
    pub path: String,
    /// Required to delete a folder and everything in it.
    #[serde(default)]
    pub recursive: Option<bool>,
}

/// List a folder.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListRequest {
    /// Absolute virtual path of a folder; `/` lists the mounts. Default `/`.
    #[serde(default)]
    pub path: Option<String>,
}

/// Metadata of a path.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatRequest {
    /// Absolute virtual path.
    pub path: String,
}

/// Copy or move.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    /// Source path.
    pub src: String,
    /// Destination path; an existing folder receives the source under its own name.
    pub dst: String,
}

/// Find paths by name.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FindRequest {
    /// Glob on the file name, e.g. `*.md`.
    pub name: String,
    /// Folder to search below. Default `/` (every mount).
    #[serde(default)]
    pub path: Option<String>,
    /// Only entries of this kind. Default: both.
    #[serde(default)]
    pub kind: Option<FindKind>,
}

/// The kinds `ax_find` (and `ax find --type`) can keep.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum FindKind {
    /// Files.
    #[cfg_attr(feature = "cli", value(name = "f", alias = "file"))]
    File,
    /// Folders.
    #[cfg_attr(feature = "cli", value(name = "d", alias = "dir"))]
    Dir,
}

impl FindKind {
    /// The entry kind it keeps.
    pub fn kind(self) -> crate::backend::Kind {
        match self {
            FindKind::File => crate::backend::Kind::File,
            FindKind::Dir => crate::backend::Kind::Dir,
        }
    }
}

/// Regex search over file contents.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GrepRequest {
    /// Regular expression (Rust regex syntax).
    pub pattern: String,
    /// File or folder to search. Default `/` (every mount).
    #[serde(default)]
    pub path: Option<String>,
    /// Case-insensitive matching.
    #[serde(default)]
    pub ignore_case: Option<bool>,
}

pub use crate::index::SearchMode;

/// Search indexed mounts.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchRequest {
    /// What to look for, in words (a question or keywords).
    pub query: String,
    /// Only below this path (a mount, folder or file). Default: every indexed mount.
    #[serde(default)]
    pub path: Option<String>,
    /// Number of results, default 10.
    #[serde(default)]
    pub limit: Option<u64>,
    /// Ranking: hybrid (default), keyword or semantic.
    #[serde(default)]
    pub mode: Option<SearchMode>,
}

/// One matching region of a file.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SearchRegion {
    /// First line.
    pub start_line: u64,
    /// Last line.
    pub end_line: u64,
    /// Relevance of the region within this search.
    pub score: f64,
}

/// Which side of the search found a hit.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum FoundBy {
    /// Its words.
    Keyword,
    /// Its meaning.
    Semantic,
    /// Both.
    Both,
}

/// One search result: a file.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SearchHit {
    /// The file.
    pub path: String,
    /// Relevance (higher is better; comparable within one search only).
    pub score: f64,
    /// First line of the best region.
    pub start_line: u64,
    /// Last line of the best region.
    pub end_line: u64,
    /// The best region's text around the matched terms.
    pub snippet: String,
    /// Every matching region of the file, best first (the first is the one above).
    pub regions: Vec<SearchRegion>,
    /// Which side found it: keyword, semantic or both.
    pub found_by: FoundBy,
}

/// Result of `ax_search`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SearchOutput {
    /// Results, best first, one per file.
    pub results: Vec<SearchHit>,
    /// The ranking actually used (hybrid becomes keyword when no model is available).
    pub mode: String,
    /// A note about how the search was done, if any.
    pub notice: Option<String>,
}

/// The mount table.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MountsRequest {}

/// Run a shell command in a mount's folder, sandboxed, with a time limit.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecRequest {
    /// The command line, run by /bin/sh -c (pipes, &&, redirections work).
    pub command: String,
    /// Folder to run in: a virtual path inside a mount that allows commands. Default: that
    /// mount's root when exactly one mount allows them.
    #[serde(default)]
    pub cwd: Option<String>,
    /// Seconds before the command and everything it started are killed (exit code 124).
    /// Default 120.
    #[serde(default)]
    pub timeout_secs: Option<u64>,
}

/// Result of `ax_exec`: always returned, whatever the command did.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ExecOutput {
    /// Exit status: the command's own, 128 + N when a signal N ended it, 124 on timeout.
    pub exit_code: i32,
    /// What it printed on stdout (UTF-8, invalid bytes replaced); capped, see `truncated`.
    pub stdout: String,
    /// What it printed on stderr; capped the same way.
    pub stderr: String,
    /// True when the time limit ended it.
    pub timed_out: bool,
    /// Wall-clock time of the run in milliseconds.
    pub duration_ms: u64,
    /// True when stdout or stderr went over the cap; the middle was dropped and a line in
    /// its place says how many bytes.
    pub truncated: bool,
    /// The folder it ran in (virtual path).
    pub cwd: String,
    /// `landlock` or `none` (the config opted out of the sandbox).
    pub sandbox: String,
}

/// Result of `ax_read`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ReadOutput {
    /// The file read.
    pub path: String,
    /// ETag of the whole file, for a later `if_match`.
    pub etag: Option<String>,
    /// Size of the whole file in bytes.
    pub size: u64,
    /// First line returned (1-based).
    pub start_line: u64,
    /// Last line returned.
    pub end_line: u64,
    /// Lines in the whole file.
    pub total_lines: u64,
    /// True if more lines remain after `end_line`.
    pub truncated: bool,
    /// The text of the returned lines.
    pub content: String,
}

/// Result of `ax_write` and `ax_append`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct WriteOutput {
    /// The file written.
    pub path: String,
    /// Bytes written by this call.
    pub bytes: u64,
    /// True if the file did not exist before.
    pub created: bool,
    /// ETag of the new content.
    pub etag: Option<String>,
}

/// Result of `ax_edit`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct EditOutput {
    /// The file edited.
    pub path: String,
    /// Occurrences replaced.
    pub replacements: u64,
    /// ETag of the new content.
    pub etag: String,
}

/// Result of `ax_delete`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DeleteOutput {
    /// The path deleted.
    pub path: String,
    /// Always true on success.
    pub removed: bool,
}

/// One entry of a folder.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ListEntry {
    /// Full virtual path.
    pub path: String,
    /// Last path segment.
    pub name: String,
    /// `file`, `dir` or `symlink`.
    pub kind: String,
    /// Size in bytes (0 for folders).
    pub size: u64,
    /// Modification time, RFC 3339 in UTC, when the store knows it.
    pub modified: Option<String>,
    /// The tier, when the entry is a mount point.
    pub tier: Option<String>,
}

/// Result of `ax_list`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ListOutput {
    /// The folder's entries, sorted by name.
    pub entries: Vec<ListEntry>,
}

/// Result of `ax_stat`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct StatOutput {
    /// The path.
    pub path: String,
    /// `file`, `dir` or `symlink`.
    pub kind: String,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, RFC 3339 in UTC (`2026-11-21T19:40:05Z`).
    pub modified: Option<String>,
    /// The mount serving the path.
    pub mount: Option<String>,
    /// That mount's tier.
    pub tier: Option<String>,
    /// Whether that mount refuses writes.
    pub read_only: bool,
    /// Content ETag (files only).
    pub etag: Option<String>,
    /// Object-store mounts with a read cache: whether the file is in it.
    pub cached: Option<bool>,
}

/// Result of `ax_copy` and `ax_move`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct TransferOutput {
    /// Source path.
    pub from: String,
    /// Final destination path.
    pub to: String,
    /// Files copied or moved.
    pub files: u64,
    /// Bytes copied (0 for a rename within a mount).
    pub bytes: u64,
    /// True when the move was a rename within one mount (nothing copied).
    pub renamed: bool,
}

/// One `ax_find` result.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct FindHit {
    /// The matching path.
    pub path: String,
    /// `file`, `dir` or `symlink`.
    pub kind: String,
}

/// Result of `ax_find`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct FindOutput {
    /// Matching paths.
    pub results: Vec<FindHit>,
    /// True if the search stopped at the result cap.
    pub truncated: bool,
}

/// One `ax_grep` match.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct GrepHit {
    /// The file.
    pub path: String,
    /// 1-based line number.
    pub line_number: u64,
    /// The matching line.
    pub text: String,
}

/// Result of `ax_grep`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct GrepOutput {
    /// Matches in path order.
    pub matches: Vec<GrepHit>,
    /// True if the search stopped at the match cap.
    pub truncated: bool,
}

/// One mount.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MountInfo {
    /// Mount point.
    pub path: String,
    /// `hot`, `warm` or `cold`.
    pub tier: String,
    /// Whether writes are refused.
    pub read_only: bool,
    /// Whether the mount is indexed for search.
    pub indexed: bool,
    /// Whether commands may run in it (`ax_exec`; off unless the config enables it).
    pub exec: bool,
    /// What stores the data: `local` (a directory), `file`, or an object store's URL
    /// (`s3://bucket/prefix`). Never a host path.
    pub backend: String,
    /// Files in the mount, counted for local directories; null for object stores (ax does
    /// not list a whole bucket to count it) and when the mount cannot be read.
    pub files: Option<u64>,
    /// What the mount is for.
    pub description: Option<String>,
}

/// Result of `ax_mounts`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MountsOutput {
    /// Every mount, sorted by path.
    pub mounts: Vec<MountInfo>,
}

/// Formats a time as RFC 3339 in UTC, to the second (`2026-11-21T19:40:05Z`).
pub fn rfc3339(t: SystemTime) -> String {
    let secs = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    };
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_times() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + std::time::Duration::from_secs(1_795_290_005)),
            "2026-11-21T19:40:05Z"
        );
        assert_eq!(
            rfc3339(UNIX_EPOCH + std::time::Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
    }
}
