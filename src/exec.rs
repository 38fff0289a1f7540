//! The operations' handlers: typed requests ([`crate::ops`]) run against the [`Vfs`], typed
//! results back ([`Done`]). [`crate::catalogue`] dispatches to them for `ax mcp` and
//! `ax call`; the CLI's `--json` reuses the result builders (`stat_output`, `list_entry`, …).
//!
//! Every result has a text form for the model and a structured JSON form. Reads are
//! bounded: a read returns at most [`READ_LINES`] lines and [`READ_BYTES`] bytes and says
//! how to get the rest; grep and find stop at [`MAX_HITS`] results and say so.

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::backend::{Kind, Precondition, RemoveOptions, StatOptions, Walk, WriteOptions};
use crate::error::{Error, ErrorKind, Result};
use crate::ops::{
    AppendRequest, DeleteOutput, DeleteRequest, EditOutput, EditRequest, ExecOutput, ExecRequest,
    FindHit, FindOutput, FindRequest, GrepHit, GrepOutput, GrepRequest, ListEntry, ListOutput,
    ListRequest, MountInfo, MountsOutput, MountsRequest, ReadOutput, ReadRequest, StatOutput,
    StatRequest, TransferOutput, TransferRequest, WriteOutput, WriteRequest,
};
use crate::vfs::{LineWindow, TransferOptions, Vfs};

/// Default number of lines a read returns.
pub const READ_LINES: u64 = 2000;
/// Most bytes a read returns in one call.
pub const READ_BYTES: usize = 256 * 1024;
/// Most grep matches / find results returned in one call.
pub const MAX_HITS: usize = 500;

/// What a tool call produced, as every front end receives it.
#[derive(Debug, Clone)]
pub struct Output {
    /// Text for the model.
    pub text: String,
    /// The same result as JSON (the handler's typed result, serialised).
    pub structured: Value,
}

/// What a handler returns: text for a model and its typed result.
#[derive(Debug, Clone)]
pub struct Done<O> {
    /// Text for the model.
    pub text: String,
    /// The typed result (the tool's `structuredContent`, the CLI's `--json`).
    pub out: O,
}

impl<O: serde::Serialize> Done<O> {
    fn new(text: String, out: O) -> Done<O> {
        Done { text, out }
    }

    /// The front ends' form; a result that cannot be serialised is ax's own bug.
    pub fn into_output(self) -> Result<Output> {
        let structured = serde_json::to_value(&self.out).map_err(|e| {
            Error::new(
                ErrorKind::Internal,
                format!("cannot serialise a tool result: {e}"),
            )
        })?;
        Ok(Output {
            text: self.text,
            structured,
        })
    }
}

/// Parses a tool's JSON arguments into its request type.
pub fn args<T: DeserializeOwned>(tool: &str, v: Value) -> Result<T> {
    let v = if v.is_null() { json!({}) } else { v };
    serde_json::from_value(v).map_err(|e| {
        Error::usage(format!("invalid arguments for {tool}: {e}"))
            .hint("see the tool's input schema")
    })
}

/// Moves `src` to `dst` (`ax_move`).
pub fn move_(vfs: &Vfs, r: TransferRequest) -> Result<Done<TransferOutput>> {
    transfer(vfs, r, true)
}

/// Copies `src` to `dst`, folders with everything in them (`ax_copy`).
pub fn copy(vfs: &Vfs, r: TransferRequest) -> Result<Done<TransferOutput>> {
    transfer(vfs, r, false)
}

pub fn read(vfs: &Vfs, r: ReadRequest) -> Result<Done<ReadOutput>> {
    let offset = r.offset.unwrap_or(1).max(1);
    let limit = r.limit.unwrap_or(READ_LINES).max(1);
    let window = LineWindow {
        offset,
        limit: Some(limit),
        numbered: false,
        etag: true,
    };
    let mut buf = Vec::new();
    let info = vfs.read_lines(&r.path, &window, &mut buf)?;
    let path = vfs.path(&r.path)?;
    let mut end = info.end_line;
    let mut truncated = false;
    if buf.len() > READ_BYTES {
        // Cut at the last whole line within the cap (or mid-line for one giant line).
        let cut = memchr::memrchr(b'\n', &buf[..READ_BYTES]).map_or(READ_BYTES, |i| i + 1);
        let kept_lines = memchr::memchr_iter(b'\n', &buf[..cut]).count() as u64;
        buf.truncate(cut);
        end = if kept_lines == 0 {
            offset
        } else {
            offset + kept_lines - 1
        };
        truncated = true;
    }
    let content = String::from_utf8(buf).map_err(|_| {
        Error::new(
            ErrorKind::Unsupported,
            "is not UTF-8 text; it cannot be returned as text",
        )
        .at(&path)
    })?;
    let more = end < info.total_lines;
    let mut text = if info.total_lines == 0 {
        format!(
            "[{path}: empty file] etag: {}\n",
            info.etag.clone().unwrap_or_default()
        )
    } else if end >= offset {
        format!(
            "[{path}: lines {offset}-{end} of {}] etag: {}\n",
            info.total_lines,
            info.etag.clone().unwrap_or_default()
        )
    } else {
        format!(
            "[{path}: no lines from {offset}; the file has {}]\n",
            info.total_lines
        )
    };
    text.push_str(&content);
    if more {
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&format!(
            "[more remains: call again with offset {}]",
            end + 1
        ));
    }
    let out = ReadOutput {
        path: path.to_string(),
        etag: info.etag,
        size: info.size,
        start_line: offset,
        end_line: end,
        total_lines: info.total_lines,
        truncated: truncated || more,
        content,
    };
    Ok(Done::new(text, out))
}

pub fn write(vfs: &Vfs, r: WriteRequest) -> Result<Done<WriteOutput>> {
    let precondition = Precondition::for_write(r.if_match, r.create_only.unwrap_or(false))?;
    let opts = WriteOptions {
        precondition,
        report_etag: true,
    };
    let (path, o) = vfs.write(&r.path, &mut r.content.as_bytes(), &opts)?;
    let verb = if o.created { "created" } else { "replaced" };
    Ok(written(verb, &path, o))
}

/// Stores everything `src` yields at `path` as given (no newline added): a whole-file write,
/// or an append with `append`, under the same preconditions as the tools. The one write path
/// of the Python and Node bindings and of `PUT /v1/files`.
pub fn put(
    vfs: &Vfs,
    path: &str,
    src: &mut dyn std::io::Read,
    if_match: Option<String>,
    create_only: bool,
    append: bool,
) -> Result<WriteOutput> {
    let opts = WriteOptions {
        precondition: Precondition::for_write(if_match, create_only)?,
        report_etag: true,
    };
    let (p, o) = if append {
        vfs.append(path, src, &opts)?
    } else {
        vfs.write(path, src, &opts)?
    };
    Ok(write_output(&p, o))
}

/// A file's bytes, whole or the lines `offset` (1-based) and `limit` select: what the
/// bindings' `read_bytes`/`read_text` return.
pub fn get(vfs: &Vfs, path: &str, offset: Option<u64>, limit: Option<u64>) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    if offset.is_none() && limit.is_none() {
        let (p, mut content) = vfs.open(path)?;
        std::io::Read::read_to_end(&mut content, &mut buf).map_err(|e| Error::io(&e, &p))?;
    } else {
        let window = crate::vfs::LineWindow {
            offset: offset.unwrap_or(1),
            limit,
            numbered: false,
            etag: false,
        };
        vfs.read_lines(path, &window, &mut buf)?;
    }
    Ok(buf)
}

/// The one shape of a write or append, for the tools and `ax write/append --json` alike.
pub fn write_output(path: &crate::vpath::VPath, o: crate::backend::WriteOutcome) -> WriteOutput {
    WriteOutput {
        path: path.to_string(),
        bytes: o.bytes,
        created: o.created,
        etag: o.etag,
    }
}

/// The result of a write or append: a line for the model and the structured form.
fn written(
    verb: &str,
    path: &crate::vpath::VPath,
    o: crate::backend::WriteOutcome,
) -> Done<WriteOutput> {
    let etag = o.etag.clone().unwrap_or_default();
    let text = format!("{verb} {path} ({} bytes) etag: {etag}", o.bytes);
    let out = write_output(path, o);
    Done::new(text, out)
}

pub fn append(vfs: &Vfs, r: AppendRequest) -> Result<Done<WriteOutput>> {
    let content = crate::backend::as_line(&r.content);
    let precondition = r.if_match.map(Precondition::IfMatch).unwrap_or_default();
    let opts = WriteOptions {
        precondition,
        report_etag: true,
    };
    let (path, o) = vfs.append(&r.path, &mut content.as_bytes(), &opts)?;
    Ok(written("appended to", &path, o))
}

pub fn edit(vfs: &Vfs, r: EditRequest) -> Result<Done<EditOutput>> {
    let req = crate::vfs::EditRequest {
        old: r.old,
        new: r.new,
        all: r.all.unwrap_or(false),
        if_match: r.if_match,
    };
    let o = vfs.edit(&r.path, &req)?;
    let text = format!(
        "edited {}: {} replacement(s) etag: {}",
        o.path, o.replacements, o.etag
    );
    Ok(Done::new(
        text,
        EditOutput {
            path: o.path.to_string(),
            replacements: o.replacements as u64,
            etag: o.etag,
        },
    ))
}

pub fn delete(vfs: &Vfs, r: DeleteRequest) -> Result<Done<DeleteOutput>> {
    let path = vfs.remove(
        &r.path,
        RemoveOptions {
            recursive: r.recursive.unwrap_or(false),
        },
    )?;
    Ok(Done::new(
        format!("deleted {path}"),
        DeleteOutput {
            path: path.to_string(),
            removed: true,
        },
    ))
}

pub fn list(vfs: &Vfs, r: ListRequest) -> Result<Done<ListOutput>> {
    let entries = vfs.list(r.path.as_deref().unwrap_or("/"))?;
    let mut text = String::new();
    let mut items = Vec::new();
    for e in &entries {
        let name = e.path.name();
        let line = match (e.meta.kind, e.mount_tier) {
            (_, Some(t)) => format!("{name}/  ({t} mount)"),
            (Kind::Dir, None) => format!("{name}/"),
            (_, None) => format!("{name}  ({} bytes)", e.meta.size),
        };
        text.push_str(&line);
        text.push('\n');
        items.push(list_entry(e));
    }
    if entries.is_empty() {
        text.push_str("(empty)\n");
    }
    Ok(Done::new(text, ListOutput { entries: items }))
}

/// The one shape of a folder entry, for `ax_list` and `ax ls --json` alike.
pub fn list_entry(e: &crate::vfs::VEntry) -> ListEntry {
    ListEntry {
        path: e.path.to_string(),
        name: e.path.name().to_string(),
        kind: e.meta.kind.as_str().to_string(),
        size: e.meta.size,
        modified: e.meta.modified.map(crate::ops::rfc3339),
        tier: e.mount_tier.map(|t| t.to_string()),
    }
}

pub fn stat(vfs: &Vfs, r: StatRequest) -> Result<Done<StatOutput>> {
    let out = stat_output(vfs.stat(&r.path, StatOptions { etag: true })?);
    let text = serde_json::to_string(&out).unwrap_or_default();
    Ok(Done::new(text, out))
}

/// The one shape of a stat, for `ax_stat` and `ax stat --json` alike.
pub fn stat_output(s: crate::vfs::VStat) -> StatOutput {
    StatOutput {
        path: s.path.to_string(),
        kind: s.meta.kind.as_str().to_string(),
        size: s.meta.size,
        modified: s.meta.modified.map(crate::ops::rfc3339),
        mount: s.mount.map(|m| m.to_string()),
        tier: s.tier.map(|t| t.to_string()),
        read_only: s.read_only,
        etag: s.meta.etag,
        cached: s.meta.cached,
    }
}

/// The one shape of a copy or move, for the tools and `ax cp/mv --json` alike.
pub fn transfer_output(o: &crate::vfs::TransferOutcome) -> TransferOutput {
    TransferOutput {
        from: o.from.to_string(),
        to: o.to.to_string(),
        files: o.files,
        bytes: o.bytes,
        renamed: o.renamed,
    }
}

fn transfer(vfs: &Vfs, r: TransferRequest, is_move: bool) -> Result<Done<TransferOutput>> {
    let opts = TransferOptions { recursive: true };
    let o = if is_move {
        vfs.rename(&r.src, &r.dst, &opts)?
    } else {
        vfs.copy(&r.src, &r.dst, &opts)?
    };
    let verb = if is_move { "moved" } else { "copied" };
    let text = format!(
        "{verb} {} to {} ({} file(s), {} bytes)",
        o.from, o.to, o.files, o.bytes
    );
    Ok(Done::new(text, transfer_output(&o)))
}

pub fn find(vfs: &Vfs, r: FindRequest) -> Result<Done<FindOutput>> {
    let mut hits = Vec::new();
    let mut more = false;
    let path = r.path.as_deref().unwrap_or("/");
    vfs.find(path, Some(&r.name), r.kind.map(|k| k.kind()), &mut |e| {
        if hits.len() == MAX_HITS {
            more = true;
            return Walk::Stop;
        }
        hits.push(FindHit {
            path: e.path.to_string(),
            kind: e.meta.kind.as_str().to_string(),
        });
        Walk::Continue
    })?;
    let mut text: String = hits.iter().map(|h| format!("{}\n", h.path)).collect();
    if hits.is_empty() {
        text.push_str("(no matches)\n");
    }
    if more {
        text.push_str(&format!(
            "[stopped at {MAX_HITS} results; narrow the path or the pattern]\n"
        ));
    }
    Ok(Done::new(
        text,
        FindOutput {
            results: hits,
            truncated: more,
        },
    ))
}

pub fn grep(vfs: &Vfs, r: GrepRequest) -> Result<Done<GrepOutput>> {
    use std::sync::Mutex;
    let opts = crate::grep::GrepOptions {
        ignore_case: r.ignore_case.unwrap_or(false),
        order: crate::grep::Order::Path,
        ..Default::default()
    };
    let hits: Mutex<Vec<GrepHit>> = Mutex::new(Vec::new());
    let paths: Vec<String> = r.path.into_iter().collect();
    let summary = crate::grep::grep(vfs, &r.pattern, &paths, &opts, &|fm| {
        let Ok(mut h) = hits.lock() else { return false };
        for m in fm.matches {
            if h.len() == MAX_HITS {
                return false;
            }
            h.push(GrepHit {
                path: fm.path.to_string(),
                line_number: m.line_number,
                text: String::from_utf8_lossy(&m.line).into_owned(),
            });
        }
        true
    })?;
    let hits = hits.into_inner().unwrap_or_default();
    let truncated = (hits.len() as u64) < summary.matches;
    let mut text: String = hits
        .iter()
        .map(|h| format!("{}:{}:{}\n", h.path, h.line_number, h.text))
        .collect();
    if hits.is_empty() {
        text.push_str("(no matches)\n");
    }
    if truncated {
        text.push_str(&format!(
            "[stopped at {MAX_HITS} matches; narrow the path or the pattern]\n"
        ));
    }
    Ok(Done::new(
        text,
        GrepOutput {
            matches: hits,
            truncated,
        },
    ))
}

/// Search hits in the catalogue's vocabulary (what `ax_search` and `ax search --json` return).
pub fn search_hits(hits: &[crate::index::Hit]) -> Vec<crate::ops::SearchHit> {
    use crate::index::FoundBy as F;
    use crate::ops::{FoundBy, SearchHit, SearchRegion};
    hits.iter()
        .map(|h| SearchHit {
            path: h.path.to_string(),
            score: f64::from(h.score),
            start_line: u64::from(h.start_line),
            end_line: u64::from(h.end_line),
            snippet: h.snippet.clone(),
            regions: h
                .regions
                .iter()
                .map(|r| SearchRegion {
                    start_line: u64::from(r.start_line),
                    end_line: u64::from(r.end_line),
                    score: f64::from(r.score),
                })
                .collect(),
            found_by: match h.found_by {
                F::Keyword => FoundBy::Keyword,
                F::Semantic => FoundBy::Semantic,
                F::Both => FoundBy::Both,
            },
        })
        .collect()
}

pub fn search(vfs: &Vfs, r: crate::ops::SearchRequest) -> Result<Done<crate::ops::SearchOutput>> {
    let scope = vfs.path(r.path.as_deref().unwrap_or("/"))?;
    let mode = r.mode.unwrap_or_default();
    let limit = r.limit.unwrap_or(10).clamp(1, 100) as usize;
    let found = crate::index::run_search(vfs, &r.query, &scope, limit, mode)?;
    let mut text = String::new();
    if let Some(n) = &found.notice {
        text.push_str(&format!("[{n}]\n"));
    }
    for h in &found.hits {
        let flat: String = h.snippet.split_whitespace().collect::<Vec<_>>().join(" ");
        text.push_str(&format!(
            "{}:{}-{} ({:.3})\n    {flat}\n",
            h.path, h.start_line, h.end_line, h.score
        ));
    }
    if found.hits.is_empty() {
        text.push_str("(no results)\n");
    }
    Ok(Done::new(text, search_output(found)))
}

/// The one shape of a search's answer, for `ax_search` and `ax search --json` alike.
pub fn search_output(found: crate::index::SearchOutcome) -> crate::ops::SearchOutput {
    crate::ops::SearchOutput {
        results: search_hits(&found.hits),
        mode: serde_json::to_value(found.mode)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default(),
        notice: found.notice,
    }
}

pub fn mounts(vfs: &Vfs, _: MountsRequest) -> Result<Done<MountsOutput>> {
    let mut text = String::new();
    let out = mounts_output(vfs);
    for m in vfs.mounts().sorted() {
        let c = &m.config;
        let access = if c.read_only {
            "read-only"
        } else {
            "read-write"
        };
        text.push_str(&format!(
            "{} — {} tier, {access}{}{}{}\n",
            c.path,
            c.tier,
            if c.index { ", searchable" } else { "" },
            if c.exec { ", commands allowed" } else { "" },
            c.description
                .as_deref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        ));
    }
    Ok(Done::new(text, out))
}

/// The one shape of the mount table, for `ax_mounts` and `ax mounts --json` alike.
pub fn mounts_output(vfs: &Vfs) -> MountsOutput {
    let mut mounts = Vec::new();
    for m in vfs.mounts().sorted() {
        let c = &m.config;
        let (backend, local) = match &c.backend {
            crate::config::BackendSpec::Local { .. } => ("local".to_string(), true),
            crate::config::BackendSpec::Object { url, .. } if url.starts_with("file://") => {
                ("file".to_string(), true)
            }
            crate::config::BackendSpec::Object { url, .. } => {
                (crate::config::redact_url(url), false)
            }
        };
        let files = local.then(|| count_files(vfs, m.path())).flatten();
        mounts.push(MountInfo {
            path: c.path.to_string(),
            tier: c.tier.to_string(),
            read_only: c.read_only,
            indexed: c.index,
            exec: c.exec,
            backend,
            files,
            description: c.description.clone(),
        });
    }
    MountsOutput { mounts }
}

/// Files below `path`, or `None` if it cannot be walked.
fn count_files(vfs: &Vfs, path: &crate::vpath::VPath) -> Option<u64> {
    let mut files = 0u64;
    vfs.walk(path.as_str(), &mut |e| {
        if e.meta.kind == Kind::File {
            files += 1;
        }
        Walk::Continue
    })
    .ok()
    .map(|()| files)
}

/// Runs a shell command in a mount's folder under the sandbox (`ax_exec`). A command that
/// fails, times out or prints too much is still a result; only a refusal (commands not
/// enabled, no sandbox) is an error.
pub fn run_command(vfs: &Vfs, r: ExecRequest) -> Result<Done<ExecOutput>> {
    let plan = crate::sandbox::plan(
        vfs,
        &crate::sandbox::RunRequest {
            program: crate::sandbox::Program::Shell(r.command),
            cwd: r.cwd,
            timeout: r.timeout_secs.map(std::time::Duration::from_secs),
            allow_write: Vec::new(),
        },
    )?;
    let outcome = plan.run(None)?;
    let out = exec_output(&plan, outcome);
    let mut text = if out.timed_out {
        format!(
            "timed out after {} s: the command and everything it started were killed (exit code {})\n",
            plan.timeout.as_secs_f64(),
            out.exit_code
        )
    } else {
        format!("exit code {} after {} ms\n", out.exit_code, out.duration_ms)
    };
    for (name, s) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        if !s.is_empty() {
            text.push_str(&format!("--- {name} ---\n{s}"));
            if !s.ends_with('\n') {
                text.push('\n');
            }
        }
    }
    Ok(Done::new(text, out))
}

/// The one shape of a run's result, for `ax_exec` and `ax exec --json` alike.
pub fn exec_output(plan: &crate::sandbox::Plan, o: crate::sandbox::Outcome) -> ExecOutput {
    ExecOutput {
        exit_code: o.exit_code,
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        timed_out: o.timed_out,
        duration_ms: o.duration.as_millis() as u64,
        truncated: o.truncated,
        cwd: plan.cwd.to_string(),
        sandbox: match plan.sandbox {
            crate::config::SandboxMode::Landlock => "landlock",
            crate::config::SandboxMode::None => "none",
        }
        .to_string(),
    }
}
