//! `ax-vfs` for Node.js: the ax library in-process. Every method is a thin call into the same
//! `Vfs` and catalogue the CLI uses (nothing re-implemented). Each method `x` has a
//! synchronous form and an `xAsync` form returning a Promise; the async form runs the whole
//! call on the libuv thread pool (a napi `AsyncTask`, not an `async fn`: the object-store
//! backends block on their own runtime), so a cold-tier read or a search never blocks the
//! event loop. Errors are `Error`s with an errno-style `code` (`ENOENT`, `EROFS`, `EACCES`
//! for the jail, `ECONFLICT` for a stale ETag, …), ax's error `kind`, and the one-line message.

use std::path::Path;
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use ax::backend::{Kind, RemoveOptions, StatOptions};
use ax::config::Config;
use ax::error::{Error as AxError, ErrorKind};
use ax::tools::{Format, Selection};
use ax::vfs::Vfs as CoreVfs;
use napi::bindgen_prelude::*;
use napi::{Env, JsValue, Task};
use napi_derive::napi;
use serde::Deserialize;
use serde_json::Value;

/// The Node.js error code for an ax error kind (errno names where one fits).
fn code(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::NotFound => "ENOENT",
        ErrorKind::AlreadyExists => "EEXIST",
        ErrorKind::ReadOnly => "EROFS",
        ErrorKind::OutsideMount | ErrorKind::Forbidden => "EACCES",
        ErrorKind::IsADirectory => "EISDIR",
        ErrorKind::NotADirectory => "ENOTDIR",
        ErrorKind::Conflict => "ECONFLICT",
        ErrorKind::Refused => "EPERM",
        ErrorKind::NoMatch => "ENOMATCH",
        ErrorKind::Unsupported => "ENOTSUP",
        ErrorKind::Usage => "EINVAL",
        ErrorKind::Config => "ECONFIG",
        ErrorKind::BrokenPipe => "EPIPE",
        ErrorKind::Io | ErrorKind::Internal => "EIO",
    }
}

/// A JS `Error` for an ax error: message without the `ax: ` prefix, `code` and `kind` set.
fn js_error(env: &Env, e: &AxError) -> napi::Error {
    let line = e.to_line();
    let message = line.strip_prefix("ax: ").unwrap_or(&line);
    let made = env
        .create_error(napi::Error::new(Status::GenericFailure, message))
        .and_then(|mut obj| {
            obj.set_named_property("code", code(e.kind()))?;
            obj.set_named_property("kind", e.kind().as_str())?;
            Ok(napi::Error::from(obj.to_unknown()))
        });
    made.unwrap_or_else(|err| err)
}

/// One call into the library, run either here (the sync method) or on the libuv pool (the
/// `…Async` method): `work` does the call without touching JS, `finish` turns its result into
/// the JS value.
pub struct Job<T: Send + 'static, J> {
    work: Option<Box<dyn FnOnce() -> ax::error::Result<T> + Send>>,
    finish: fn(&Env, T) -> Result<J>,
}

fn job<T: Send + 'static>(
    work: impl FnOnce() -> ax::error::Result<T> + Send + 'static,
) -> Job<T, T> {
    Job {
        work: Some(Box::new(work)),
        finish: |_, t| Ok(t),
    }
}

impl<T: Send + 'static, J> Job<T, J> {
    fn then<K>(self, finish: fn(&Env, T) -> Result<K>) -> Job<T, K> {
        Job {
            work: self.work,
            finish,
        }
    }

    fn compute_now(&mut self) -> ax::error::Result<T> {
        match self.work.take() {
            Some(f) => f(),
            None => Err(AxError::new(ErrorKind::Internal, "a call ran twice")),
        }
    }

    fn finish_with(&self, env: &Env, out: ax::error::Result<T>) -> Result<J> {
        match out {
            Ok(t) => (self.finish)(env, t),
            Err(e) => Err(js_error(env, &e)),
        }
    }

    /// Runs the call on this thread (the synchronous method).
    fn run(mut self, env: &Env) -> Result<J> {
        let out = self.compute_now();
        self.finish_with(env, out)
    }

    /// The call as a Promise settled from the libuv pool.
    fn promise(self) -> AsyncTask<Self>
    where
        J: ToNapiValue + TypeName,
    {
        AsyncTask::new(self)
    }
}

impl<T: Send + 'static, J: ToNapiValue + TypeName> Task for Job<T, J> {
    type Output = ax::error::Result<T>;
    type JsValue = J;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(self.compute_now())
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<J> {
        self.finish_with(&env, output)
    }
}

/// Line window of a read.
#[napi(object)]
pub struct ReadOptions {
    /// First line, 1-based.
    pub offset: Option<i64>,
    /// Number of lines.
    pub limit: Option<i64>,
}

/// Preconditions of a write.
#[napi(object, js_name = "WriteOptions")]
pub struct WriteOpts {
    /// Write only if the file's ETag still is this (from `stat` or an earlier write).
    pub if_match: Option<String>,
    /// Fail (`ECONFLICT`, as a stale `ifMatch`) if the file exists.
    pub create_only: Option<bool>,
}

/// Precondition of an append.
#[napi(object)]
pub struct AppendOptions {
    /// Append only if the file's ETag still is this.
    pub if_match: Option<String>,
}

/// Options of `edit`.
#[napi(object)]
pub struct EditOptions {
    /// Replace every occurrence (otherwise the text must occur exactly once).
    pub all: Option<bool>,
    /// Edit only if the file's ETag still is this.
    pub if_match: Option<String>,
}

/// Options of `delete`.
#[napi(object)]
pub struct DeleteOptions {
    /// Delete a folder with everything in it.
    pub recursive: Option<bool>,
}

/// Options of `find`.
#[napi(object)]
pub struct FindOptions {
    /// Only below this path.
    pub path: Option<String>,
}

/// Options of `grep`.
#[napi(object)]
pub struct GrepOptions {
    /// Only below this path.
    pub path: Option<String>,
    /// Match case-insensitively.
    pub ignore_case: Option<bool>,
}

/// Options of `search`.
#[napi(object)]
pub struct SearchOptions {
    /// Only below this path (a mount, folder or file).
    pub path: Option<String>,
    /// Number of results (default 10).
    pub limit: Option<i64>,
    /// Ranking (default hybrid; hybrid becomes keyword when no model is available).
    #[napi(ts_type = "'hybrid' | 'keyword' | 'semantic'")]
    pub mode: Option<String>,
}

/// Result of a write or an append.
#[napi(object)]
#[derive(Deserialize)]
pub struct WriteResult {
    /// The file written.
    pub path: String,
    /// Bytes written by this call.
    pub bytes: i64,
    /// True if the file did not exist before.
    pub created: bool,
    /// ETag of the new content, for a later `ifMatch`.
    pub etag: Option<String>,
}

/// Result of `edit`.
#[napi(object)]
#[derive(Deserialize)]
pub struct EditResult {
    /// The file edited.
    pub path: String,
    /// Occurrences replaced.
    pub replacements: i64,
    /// ETag of the new content.
    pub etag: String,
}

/// One entry of a folder.
#[napi(object)]
pub struct Entry {
    /// The last path segment.
    pub name: String,
    /// The virtual path.
    pub path: String,
    /// Whether it is a folder (or a mount point).
    pub is_dir: bool,
    /// Size in bytes (0 for folders).
    pub size: i64,
    /// Modification time in milliseconds since the epoch (`new Date(modified)`), when the
    /// store knows it.
    pub modified: Option<f64>,
}

/// Metadata of a path.
#[napi(object)]
pub struct Stat {
    /// The path.
    pub path: String,
    /// What it is.
    #[napi(ts_type = "'file' | 'dir' | 'symlink'")]
    pub kind: String,
    /// Whether it is a folder.
    pub is_dir: bool,
    /// Size in bytes.
    pub size: i64,
    /// Modification time in milliseconds since the epoch, when the store knows it.
    pub modified: Option<f64>,
    /// The content's ETag (files), for `ifMatch`.
    pub etag: Option<String>,
    /// The mount serving the path.
    pub mount: Option<String>,
    /// That mount's tier.
    #[napi(ts_type = "'hot' | 'warm' | 'cold'")]
    pub tier: Option<String>,
    /// Whether that mount refuses changes.
    pub read_only: bool,
}

/// Result of `copy` and `move`.
#[napi(object)]
#[derive(Deserialize)]
pub struct TransferResult {
    /// Source path.
    pub from: String,
    /// Final destination path.
    pub to: String,
    /// Files copied or moved.
    pub files: i64,
    /// Bytes copied (0 for a rename within a mount).
    pub bytes: i64,
    /// True when the move was a rename within one mount.
    pub renamed: bool,
}

/// One `find` result.
#[napi(object)]
#[derive(Deserialize)]
pub struct FindHit {
    /// The matching path.
    pub path: String,
    /// What it is.
    #[napi(ts_type = "'file' | 'dir' | 'symlink'")]
    pub kind: String,
}

/// Result of `find`.
#[napi(object)]
#[derive(Deserialize)]
pub struct FindResult {
    /// Matching paths.
    pub results: Vec<FindHit>,
    /// True if the search stopped at the result cap.
    pub truncated: bool,
}

/// One `grep` match.
#[napi(object)]
#[derive(Deserialize)]
pub struct GrepHit {
    /// The file.
    pub path: String,
    /// 1-based line number.
    pub line_number: i64,
    /// The matching line.
    pub text: String,
}

/// Result of `grep`.
#[napi(object)]
#[derive(Deserialize)]
pub struct GrepResult {
    /// Matches in path order.
    pub matches: Vec<GrepHit>,
    /// True if the search stopped at the match cap.
    pub truncated: bool,
}

/// One matching region of a file.
#[napi(object)]
#[derive(Deserialize)]
pub struct SearchRegion {
    /// First line.
    pub start_line: i64,
    /// Last line.
    pub end_line: i64,
    /// Relevance of the region within this search.
    pub score: f64,
}

/// One search result: a file.
#[napi(object)]
#[derive(Deserialize)]
pub struct SearchHit {
    /// The file.
    pub path: String,
    /// Relevance (higher is better; comparable within one search only).
    pub score: f64,
    /// First line of the best region.
    pub start_line: i64,
    /// Last line of the best region.
    pub end_line: i64,
    /// The best region's text around the matched terms.
    pub snippet: String,
    /// Every matching region of the file, best first.
    pub regions: Vec<SearchRegion>,
    /// Which side found it.
    #[napi(ts_type = "'keyword' | 'semantic' | 'both'")]
    pub found_by: String,
}

/// Result of `search`.
#[napi(object)]
#[derive(Deserialize)]
pub struct SearchResult {
    /// Results, best first, one per file.
    pub results: Vec<SearchHit>,
    /// The ranking actually used.
    #[napi(ts_type = "'hybrid' | 'keyword' | 'semantic'")]
    pub mode: String,
    /// A note about how the search was done, if any.
    pub notice: Option<String>,
}

/// One mount.
#[napi(object)]
#[derive(Deserialize)]
pub struct Mount {
    /// Mount point.
    pub path: String,
    /// Its tier.
    #[napi(ts_type = "'hot' | 'warm' | 'cold'")]
    pub tier: String,
    /// Whether writes are refused.
    pub read_only: bool,
    /// Whether the mount is indexed for search.
    pub indexed: bool,
    /// Whether commands may run in it (`ax_exec`).
    pub exec: bool,
    /// What stores the data: `local`, `file`, or an object store's URL (never a host path).
    pub backend: String,
    /// Files in the mount (local folders only).
    pub files: Option<i64>,
    /// What the mount is for.
    pub description: Option<String>,
}

/// The `ax_mounts` result, as the catalogue returns it (`mounts` returns its list).
#[doc(hidden)]
#[derive(Deserialize)]
pub struct MountsOutput {
    mounts: Vec<Mount>,
}

fn millis(t: Option<std::time::SystemTime>) -> Option<f64> {
    t.and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs_f64() * 1000.0)
}

fn count(n: Option<i64>, what: &str) -> ax::error::Result<Option<u64>> {
    n.map(|n| u64::try_from(n).map_err(|_| AxError::usage(format!("{what} must not be negative"))))
        .transpose()
}

/// Runs a catalogue tool and decodes its structured result into `T`.
fn tool<T: for<'de> Deserialize<'de>>(
    vfs: &CoreVfs,
    name: &str,
    args: Value,
) -> ax::error::Result<T> {
    let out = ax::catalogue::call(vfs, name, args).map_err(AxError::for_tools)?;
    serde_json::from_value(out.structured).map_err(|e| {
        AxError::new(
            ErrorKind::Internal,
            format!("the result of {name} did not decode: {e}"),
        )
    })
}

fn read(vfs: &CoreVfs, path: &str, opts: Option<ReadOptions>) -> ax::error::Result<Vec<u8>> {
    let (offset, limit) = match opts {
        Some(o) => (count(o.offset, "offset")?, count(o.limit, "limit")?),
        None => (None, None),
    };
    ax::exec::get(vfs, path, offset, limit)
}

fn utf8(path: &str, bytes: Vec<u8>) -> ax::error::Result<String> {
    String::from_utf8(bytes).map_err(|_| {
        AxError::new(ErrorKind::Unsupported, "is not UTF-8 text; use readBytes").at(path)
    })
}

fn write(
    vfs: &CoreVfs,
    path: &str,
    data: &[u8],
    if_match: Option<String>,
    create_only: bool,
    append: bool,
) -> ax::error::Result<WriteResult> {
    let out = ax::exec::put(vfs, path, &mut &data[..], if_match, create_only, append)?;
    Ok(WriteResult {
        path: out.path,
        bytes: i64::try_from(out.bytes).unwrap_or(i64::MAX),
        created: out.created,
        etag: out.etag,
    })
}

fn format(name: Option<&str>) -> ax::error::Result<Format> {
    Ok(match name.unwrap_or("mcp") {
        "mcp" => Format::Mcp,
        "openai" => Format::OpenAi,
        "openai-responses" => Format::OpenAiResponses,
        "anthropic" => Format::Anthropic,
        "json" => Format::Json,
        other => {
            return Err(AxError::usage(format!(
                "unknown format {other:?}; use mcp, openai, openai-responses, anthropic or json"
            )));
        }
    })
}

fn to_buffer(_: &Env, bytes: Vec<u8>) -> Result<Buffer> {
    Ok(Buffer::from(bytes))
}

/// A JSON result as the JS value `JSON.parse` would give.
fn to_js(env: &Env, v: Value) -> Result<Unknown<'static>> {
    env.to_js_value(&v)
}

/// The virtual filesystem of one configuration. Every method has a synchronous form and an
/// `…Async` form that returns a Promise and runs on the libuv thread pool.
#[napi]
pub struct Vfs {
    inner: Arc<CoreVfs>,
}

/// The jobs behind the methods: one per operation, shared by its sync and async forms.
impl Vfs {
    fn core(&self) -> Arc<CoreVfs> {
        Arc::clone(&self.inner)
    }

    fn read_bytes_job(&self, path: String, opts: Option<ReadOptions>) -> Job<Vec<u8>, Vec<u8>> {
        let vfs = self.core();
        job(move || read(&vfs, &path, opts))
    }

    fn read_text_job(&self, path: String, opts: Option<ReadOptions>) -> Job<String, String> {
        let vfs = self.core();
        job(move || utf8(&path, read(&vfs, &path, opts)?))
    }

    fn write_job(
        &self,
        path: String,
        data: Vec<u8>,
        if_match: Option<String>,
        create_only: bool,
        append: bool,
    ) -> Job<WriteResult, WriteResult> {
        let vfs = self.core();
        job(move || write(&vfs, &path, &data, if_match, create_only, append))
    }

    fn put_job(
        &self,
        path: String,
        data: Vec<u8>,
        opts: Option<WriteOpts>,
    ) -> Job<WriteResult, WriteResult> {
        let (if_match, create_only) = opts.map_or((None, false), |o| {
            (o.if_match, o.create_only.unwrap_or(false))
        });
        self.write_job(path, data, if_match, create_only, false)
    }

    fn append_job(
        &self,
        path: String,
        data: Vec<u8>,
        opts: Option<AppendOptions>,
    ) -> Job<WriteResult, WriteResult> {
        self.write_job(path, data, opts.and_then(|o| o.if_match), false, true)
    }

    fn tool_job<T: for<'de> Deserialize<'de> + Send + 'static>(
        &self,
        name: &'static str,
        args: Value,
    ) -> Job<T, T> {
        let vfs = self.core();
        job(move || tool(&vfs, name, args))
    }

    fn edit_job(
        &self,
        path: String,
        old: String,
        new: String,
        opts: Option<EditOptions>,
    ) -> Job<EditResult, EditResult> {
        let (all, if_match) = opts.map_or((false, None), |o| (o.all.unwrap_or(false), o.if_match));
        self.tool_job(
            "ax_edit",
            serde_json::json!({"path": path, "old": old, "new": new, "all": all, "if_match": if_match}),
        )
    }

    fn delete_job(&self, path: String, opts: Option<DeleteOptions>) -> Job<(), ()> {
        let vfs = self.core();
        let recursive = opts.and_then(|o| o.recursive).unwrap_or(false);
        job(move || vfs.remove(&path, RemoveOptions { recursive }).map(|_| ()))
    }

    fn list_job(&self, path: String) -> Job<Vec<Entry>, Vec<Entry>> {
        let vfs = self.core();
        job(move || {
            Ok(vfs
                .list(&path)?
                .into_iter()
                .map(|e| Entry {
                    name: e.path.name().to_string(),
                    path: e.path.to_string(),
                    is_dir: e.meta.kind == Kind::Dir,
                    size: i64::try_from(e.meta.size).unwrap_or(i64::MAX),
                    modified: millis(e.meta.modified),
                })
                .collect())
        })
    }

    fn stat_job(&self, path: String) -> Job<Stat, Stat> {
        let vfs = self.core();
        job(move || {
            let s = vfs.stat(&path, StatOptions { etag: true })?;
            Ok(Stat {
                path: s.path.to_string(),
                kind: s.meta.kind.as_str().to_string(),
                is_dir: s.meta.kind == Kind::Dir,
                size: i64::try_from(s.meta.size).unwrap_or(i64::MAX),
                modified: millis(s.meta.modified),
                etag: s.meta.etag,
                mount: s.mount.map(|m| m.to_string()),
                tier: s.tier.map(|t| t.to_string()),
                read_only: s.read_only,
            })
        })
    }

    fn exists_job(&self, path: String) -> Job<bool, bool> {
        let vfs = self.core();
        job(move || match vfs.stat(&path, StatOptions::default()) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        })
    }

    fn transfer_job(
        &self,
        name: &'static str,
        src: String,
        dst: String,
    ) -> Job<TransferResult, TransferResult> {
        self.tool_job(name, serde_json::json!({"src": src, "dst": dst}))
    }

    fn find_job(&self, name: String, opts: Option<FindOptions>) -> Job<FindResult, FindResult> {
        let path = opts.and_then(|o| o.path);
        self.tool_job("ax_find", serde_json::json!({"name": name, "path": path}))
    }

    fn grep_job(&self, pattern: String, opts: Option<GrepOptions>) -> Job<GrepResult, GrepResult> {
        let (path, ignore_case) =
            opts.map_or((None, false), |o| (o.path, o.ignore_case.unwrap_or(false)));
        self.tool_job(
            "ax_grep",
            serde_json::json!({"pattern": pattern, "path": path, "ignore_case": ignore_case}),
        )
    }

    fn search_job(
        &self,
        query: String,
        opts: Option<SearchOptions>,
    ) -> Job<SearchResult, SearchResult> {
        let (path, limit, mode) = opts.map_or((None, None, None), |o| (o.path, o.limit, o.mode));
        self.tool_job(
            "ax_search",
            serde_json::json!({"query": query, "path": path, "limit": limit, "mode": mode}),
        )
    }

    fn mounts_job(&self) -> Job<MountsOutput, Vec<Mount>> {
        self.tool_job("ax_mounts", serde_json::json!({}))
            .then(|_, m: MountsOutput| Ok(m.mounts))
    }

    fn tools_job(&self, format_name: Option<String>) -> Job<String, String> {
        let vfs = self.core();
        job(move || {
            let f = format(format_name.as_deref())?;
            ax::tools::render_text(vfs.config(), f, &Selection::default(), false)
        })
    }

    fn call_job(&self, name: String, args: Option<Value>) -> Job<Value, Unknown<'static>> {
        let vfs = self.core();
        job(move || {
            let args = match args {
                None => Value::Null,
                Some(Value::String(text)) => serde_json::from_str(&text).map_err(|e| {
                    AxError::usage(format!("the arguments are not valid JSON: {e}"))
                })?,
                Some(v) => v,
            };
            let name = if name.starts_with("ax_") {
                name
            } else {
                format!("ax_{name}")
            };
            ax::catalogue::call(&vfs, &name, args)
                .map(|o| o.structured)
                .map_err(AxError::for_tools)
        })
        .then(to_js)
    }
}

#[napi]
impl Vfs {
    /// The file's text (UTF-8); `offset` (1-based) and `limit` select lines.
    #[napi]
    pub fn read_text(
        &self,
        env: Env,
        path: String,
        options: Option<ReadOptions>,
    ) -> Result<String> {
        self.read_text_job(path, options).run(&env)
    }

    /// `readText`, as a Promise.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn read_text_async(
        &self,
        path: String,
        options: Option<ReadOptions>,
    ) -> AsyncTask<Job<String, String>> {
        self.read_text_job(path, options).promise()
    }

    /// The file's bytes; `offset` and `limit` select lines.
    #[napi]
    pub fn read_bytes(
        &self,
        env: Env,
        path: String,
        options: Option<ReadOptions>,
    ) -> Result<Buffer> {
        self.read_bytes_job(path, options).then(to_buffer).run(&env)
    }

    /// `readBytes`, as a Promise.
    #[napi(ts_return_type = "Promise<Buffer>")]
    pub fn read_bytes_async(
        &self,
        path: String,
        options: Option<ReadOptions>,
    ) -> AsyncTask<Job<Vec<u8>, Buffer>> {
        self.read_bytes_job(path, options).then(to_buffer).promise()
    }

    /// Creates or replaces the file atomically (readers see the old or the new content).
    #[napi]
    pub fn write_text(
        &self,
        env: Env,
        path: String,
        text: String,
        options: Option<WriteOpts>,
    ) -> Result<WriteResult> {
        self.put_job(path, text.into_bytes(), options).run(&env)
    }

    /// `writeText`, as a Promise.
    #[napi(ts_return_type = "Promise<WriteResult>")]
    pub fn write_text_async(
        &self,
        path: String,
        text: String,
        options: Option<WriteOpts>,
    ) -> AsyncTask<Job<WriteResult, WriteResult>> {
        self.put_job(path, text.into_bytes(), options).promise()
    }

    /// Like `writeText`, for bytes.
    #[napi]
    pub fn write_bytes(
        &self,
        env: Env,
        path: String,
        data: Uint8Array,
        options: Option<WriteOpts>,
    ) -> Result<WriteResult> {
        self.put_job(path, data.to_vec(), options).run(&env)
    }

    /// `writeBytes`, as a Promise.
    #[napi(ts_return_type = "Promise<WriteResult>")]
    pub fn write_bytes_async(
        &self,
        path: String,
        data: Uint8Array,
        options: Option<WriteOpts>,
    ) -> AsyncTask<Job<WriteResult, WriteResult>> {
        self.put_job(path, data.to_vec(), options).promise()
    }

    /// Appends to the file (created if missing); concurrent appenders never lose or tear
    /// each other's data.
    #[napi]
    pub fn append_text(
        &self,
        env: Env,
        path: String,
        text: String,
        options: Option<AppendOptions>,
    ) -> Result<WriteResult> {
        self.append_job(path, text.into_bytes(), options).run(&env)
    }

    /// `appendText`, as a Promise.
    #[napi(ts_return_type = "Promise<WriteResult>")]
    pub fn append_text_async(
        &self,
        path: String,
        text: String,
        options: Option<AppendOptions>,
    ) -> AsyncTask<Job<WriteResult, WriteResult>> {
        self.append_job(path, text.into_bytes(), options).promise()
    }

    /// Like `appendText`, for bytes.
    #[napi]
    pub fn append_bytes(
        &self,
        env: Env,
        path: String,
        data: Uint8Array,
        options: Option<AppendOptions>,
    ) -> Result<WriteResult> {
        self.append_job(path, data.to_vec(), options).run(&env)
    }

    /// `appendBytes`, as a Promise.
    #[napi(ts_return_type = "Promise<WriteResult>")]
    pub fn append_bytes_async(
        &self,
        path: String,
        data: Uint8Array,
        options: Option<AppendOptions>,
    ) -> AsyncTask<Job<WriteResult, WriteResult>> {
        self.append_job(path, data.to_vec(), options).promise()
    }

    /// Replaces exact text: it must occur once, or use `all`.
    #[napi]
    pub fn edit(
        &self,
        env: Env,
        path: String,
        old_text: String,
        new_text: String,
        options: Option<EditOptions>,
    ) -> Result<EditResult> {
        self.edit_job(path, old_text, new_text, options).run(&env)
    }

    /// `edit`, as a Promise.
    #[napi(ts_return_type = "Promise<EditResult>")]
    pub fn edit_async(
        &self,
        path: String,
        old_text: String,
        new_text: String,
        options: Option<EditOptions>,
    ) -> AsyncTask<Job<EditResult, EditResult>> {
        self.edit_job(path, old_text, new_text, options).promise()
    }

    /// Deletes a file, or a folder with `recursive: true`. A mount root is never deleted.
    #[napi]
    pub fn delete(&self, env: Env, path: String, options: Option<DeleteOptions>) -> Result<()> {
        self.delete_job(path, options).run(&env)
    }

    /// `delete`, as a Promise.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn delete_async(
        &self,
        path: String,
        options: Option<DeleteOptions>,
    ) -> AsyncTask<Job<(), ()>> {
        self.delete_job(path, options).promise()
    }

    /// The entries of a folder (`/` lists the mounts), sorted by name.
    #[napi]
    pub fn list(&self, env: Env, path: String) -> Result<Vec<Entry>> {
        self.list_job(path).run(&env)
    }

    /// `list`, as a Promise.
    #[napi(ts_return_type = "Promise<Array<Entry>>")]
    pub fn list_async(&self, path: String) -> AsyncTask<Job<Vec<Entry>, Vec<Entry>>> {
        self.list_job(path).promise()
    }

    /// Metadata, with the ETag of a file.
    #[napi]
    pub fn stat(&self, env: Env, path: String) -> Result<Stat> {
        self.stat_job(path).run(&env)
    }

    /// `stat`, as a Promise.
    #[napi(ts_return_type = "Promise<Stat>")]
    pub fn stat_async(&self, path: String) -> AsyncTask<Job<Stat, Stat>> {
        self.stat_job(path).promise()
    }

    /// Whether anything exists at the path (other failures still throw).
    #[napi]
    pub fn exists(&self, env: Env, path: String) -> Result<bool> {
        self.exists_job(path).run(&env)
    }

    /// `exists`, as a Promise.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn exists_async(&self, path: String) -> AsyncTask<Job<bool, bool>> {
        self.exists_job(path).promise()
    }

    /// Copies a file or (with everything in it) a folder, across mounts and tiers.
    #[napi]
    pub fn copy(&self, env: Env, src: String, dst: String) -> Result<TransferResult> {
        self.transfer_job("ax_copy", src, dst).run(&env)
    }

    /// `copy`, as a Promise.
    #[napi(ts_return_type = "Promise<TransferResult>")]
    pub fn copy_async(
        &self,
        src: String,
        dst: String,
    ) -> AsyncTask<Job<TransferResult, TransferResult>> {
        self.transfer_job("ax_copy", src, dst).promise()
    }

    /// Moves or renames: atomic within a mount, copy-verify-delete across mounts.
    #[napi(js_name = "move")]
    pub fn move_(&self, env: Env, src: String, dst: String) -> Result<TransferResult> {
        self.transfer_job("ax_move", src, dst).run(&env)
    }

    /// `move`, as a Promise.
    #[napi(ts_return_type = "Promise<TransferResult>")]
    pub fn move_async(
        &self,
        src: String,
        dst: String,
    ) -> AsyncTask<Job<TransferResult, TransferResult>> {
        self.transfer_job("ax_move", src, dst).promise()
    }

    /// Files and folders whose name matches a glob.
    #[napi]
    pub fn find(&self, env: Env, name: String, options: Option<FindOptions>) -> Result<FindResult> {
        self.find_job(name, options).run(&env)
    }

    /// `find`, as a Promise.
    #[napi(ts_return_type = "Promise<FindResult>")]
    pub fn find_async(
        &self,
        name: String,
        options: Option<FindOptions>,
    ) -> AsyncTask<Job<FindResult, FindResult>> {
        self.find_job(name, options).promise()
    }

    /// Lines matching a regular expression.
    #[napi]
    pub fn grep(
        &self,
        env: Env,
        pattern: String,
        options: Option<GrepOptions>,
    ) -> Result<GrepResult> {
        self.grep_job(pattern, options).run(&env)
    }

    /// `grep`, as a Promise.
    #[napi(ts_return_type = "Promise<GrepResult>")]
    pub fn grep_async(
        &self,
        pattern: String,
        options: Option<GrepOptions>,
    ) -> AsyncTask<Job<GrepResult, GrepResult>> {
        self.grep_job(pattern, options).promise()
    }

    /// Search of the indexed mounts, one result per file.
    #[napi]
    pub fn search(
        &self,
        env: Env,
        query: String,
        options: Option<SearchOptions>,
    ) -> Result<SearchResult> {
        self.search_job(query, options).run(&env)
    }

    /// `search`, as a Promise.
    #[napi(ts_return_type = "Promise<SearchResult>")]
    pub fn search_async(
        &self,
        query: String,
        options: Option<SearchOptions>,
    ) -> AsyncTask<Job<SearchResult, SearchResult>> {
        self.search_job(query, options).promise()
    }

    /// The mount table, sorted by path.
    #[napi]
    pub fn mounts(&self, env: Env) -> Result<Vec<Mount>> {
        self.mounts_job().run(&env)
    }

    /// `mounts`, as a Promise.
    #[napi(ts_return_type = "Promise<Array<Mount>>")]
    pub fn mounts_async(&self) -> AsyncTask<Job<MountsOutput, Vec<Mount>>> {
        self.mounts_job().promise()
    }

    /// The tool definitions for LLM APIs (default `mcp`), exactly as `ax tools --format
    /// FORMAT` prints them.
    #[napi]
    pub fn tools(
        &self,
        env: Env,
        #[napi(ts_arg_type = "ToolFormat")] format: Option<String>,
    ) -> Result<String> {
        self.tools_job(format).run(&env)
    }

    /// `tools`, as a Promise.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn tools_async(
        &self,
        #[napi(ts_arg_type = "ToolFormat")] format: Option<String>,
    ) -> AsyncTask<Job<String, String>> {
        self.tools_job(format).promise()
    }

    /// Runs one LLM tool call (`name` with or without the `ax_` prefix; `args` an object or
    /// a JSON string) through the catalogue and returns its structured result.
    #[napi(ts_return_type = "JsonValue")]
    pub fn call(
        &self,
        env: Env,
        name: String,
        #[napi(ts_arg_type = "JsonObject | string")] args: Option<Value>,
    ) -> Result<Unknown<'static>> {
        self.call_job(name, args).run(&env)
    }

    /// `call`, as a Promise.
    #[napi(ts_return_type = "Promise<JsonValue>")]
    pub fn call_async(
        &self,
        name: String,
        #[napi(ts_arg_type = "JsonObject | string")] args: Option<Value>,
    ) -> AsyncTask<Job<Value, Unknown<'static>>> {
        self.call_job(name, args).promise()
    }
}

/// Loads the `ax.yaml` at `path` (errors name its file and line).
#[napi]
pub fn load_config_file(env: Env, path: String) -> Result<Vfs> {
    job(move || Config::load(Path::new(&path), "loadConfigFile"))
        .then(|_, cfg| {
            Ok(Vfs {
                inner: Arc::new(CoreVfs::new(cfg)),
            })
        })
        .run(&env)
}

/// The embedded default layout (as the CLI uses without an ax.yaml), with data under
/// `./.ax-data` of the current directory.
#[napi]
pub fn load_default(env: Env) -> Result<Vfs> {
    job(|| {
        let dir = std::env::current_dir().map_err(|e| AxError::io(&e, "."))?;
        Config::embedded_default(&dir)
    })
    .then(|_, cfg| {
        Ok(Vfs {
            inner: Arc::new(CoreVfs::new(cfg)),
        })
    })
    .run(&env)
}
