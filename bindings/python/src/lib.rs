//! `ax_vfs._native`: the ax library in-process for Python. Every method is a thin call into
//! the same `Vfs` and catalogue the CLI uses (nothing re-implemented); the GIL is released
//! for the whole call, so threads run in parallel and a slow cold-tier read blocks no one.
//! Errors become the exception classes defined in `ax_vfs/__init__.py`, chosen by the
//! library's neutral error kind.

use std::path::Path;
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use ax::backend::{Kind, RemoveOptions, StatOptions};
use ax::config::Config;
use ax::error::{Error, ErrorKind};
use ax::tools::{Format, Selection};
use ax::vfs::Vfs as CoreVfs;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString};
use serde_json::Value;

/// The exception for an ax error: the class `ax_vfs` defines for its kind, with the
/// one-line message (what failed, on which path, and what to do).
fn raise(py: Python<'_>, e: &Error) -> PyErr {
    let class = match e.kind() {
        ErrorKind::NotFound => "NotFoundError",
        ErrorKind::ReadOnly => "ReadOnlyError",
        ErrorKind::OutsideMount => "OutsideMountError",
        ErrorKind::Conflict | ErrorKind::AlreadyExists => "ConflictError",
        ErrorKind::Config => "ConfigError",
        ErrorKind::Usage => "UsageError",
        ErrorKind::IsADirectory => "IsADirectoryAxError",
        ErrorKind::NotADirectory => "NotADirectoryAxError",
        _ => "AxError",
    };
    let line = e.to_line();
    let message = line.strip_prefix("ax: ").unwrap_or(&line).to_string();
    match py
        .import("ax_vfs")
        .and_then(|m| m.getattr(class))
        .and_then(|c| c.call1((message.clone(),)))
    {
        Ok(exc) => PyErr::from_value(exc),
        Err(_) => PyValueError::new_err(message),
    }
}

/// Runs `f` without the GIL and turns an ax error into its exception.
fn detached<T: Send>(
    py: Python<'_>,
    f: impl FnOnce() -> ax::error::Result<T> + Send,
) -> PyResult<T> {
    py.detach(f).map_err(|e| raise(py, &e))
}

/// A JSON value as the Python object `json.loads` would give.
fn to_py(py: Python<'_>, v: &Value) -> PyResult<Py<PyAny>> {
    Ok(match v {
        Value::Null => py.None(),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any().unbind(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any().unbind(),
            (_, Some(u)) => u.into_pyobject(py)?.into_any().unbind(),
            _ => n
                .as_f64()
                .unwrap_or(f64::NAN)
                .into_pyobject(py)?
                .into_any()
                .unbind(),
        },
        Value::String(s) => s.into_pyobject(py)?.into_any().unbind(),
        Value::Array(a) => {
            let list = PyList::empty(py);
            for x in a {
                list.append(to_py(py, x)?)?;
            }
            list.into_any().unbind()
        }
        Value::Object(o) => {
            let d = PyDict::new(py);
            for (k, x) in o {
                d.set_item(k, to_py(py, x)?)?;
            }
            d.into_any().unbind()
        }
    })
}

/// A Python value (dict, list, str, int, float, bool, None) as JSON.
fn from_py(v: &Bound<'_, PyAny>) -> PyResult<Value> {
    if v.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = v.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if v.cast::<PyInt>().is_ok() {
        let i: i64 = v.extract()?;
        return Ok(Value::from(i));
    }
    if v.cast::<PyFloat>().is_ok() {
        let f: f64 = v.extract()?;
        return Ok(serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number));
    }
    if v.cast::<PyString>().is_ok() {
        return Ok(Value::String(v.extract::<String>()?));
    }
    if let Ok(d) = v.cast::<PyDict>() {
        let mut o = serde_json::Map::new();
        for (k, x) in d.iter() {
            o.insert(k.extract::<String>()?, from_py(&x)?);
        }
        return Ok(Value::Object(o));
    }
    if let Ok(l) = v.cast::<PyList>() {
        return l
            .iter()
            .map(|x| from_py(&x))
            .collect::<PyResult<Vec<_>>>()
            .map(Value::Array);
    }
    Err(PyValueError::new_err(format!(
        "arguments must be JSON-like (dict, list, str, int, float, bool, None), not {}",
        v.get_type().name()?
    )))
}

/// One entry of [`Vfs::list`].
#[pyclass(frozen, get_all, module = "ax_vfs")]
struct Entry {
    /// The last path segment.
    name: String,
    /// The virtual path.
    path: String,
    /// Whether it is a folder (or a mount point).
    is_dir: bool,
    /// Size in bytes (0 for folders).
    size: u64,
    /// Modification time (seconds since the epoch), when the store knows it.
    modified: Option<f64>,
}

#[pymethods]
impl Entry {
    fn __repr__(&self) -> String {
        format!(
            "Entry(path={:?}, is_dir={}, size={})",
            self.path,
            if self.is_dir { "True" } else { "False" },
            self.size
        )
    }
}

/// What [`Vfs::stat`] reports.
#[pyclass(frozen, get_all, module = "ax_vfs")]
struct Stat {
    path: String,
    /// `file`, `dir` or `symlink`.
    kind: String,
    is_dir: bool,
    size: u64,
    modified: Option<f64>,
    /// The content's ETag (files), for `if_match`.
    etag: Option<String>,
    /// The mount it lies in, its tier, and whether that mount refuses changes.
    mount: Option<String>,
    tier: Option<String>,
    read_only: bool,
}

#[pymethods]
impl Stat {
    fn __repr__(&self) -> String {
        format!(
            "Stat(path={:?}, kind={:?}, size={}, etag={:?})",
            self.path, self.kind, self.size, self.etag
        )
    }
}

fn seconds(t: Option<std::time::SystemTime>) -> Option<f64> {
    t.and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs_f64())
}

/// The virtual filesystem of one configuration. Safe to share between threads.
#[pyclass(frozen, module = "ax_vfs")]
struct Vfs {
    inner: Arc<CoreVfs>,
}

#[pymethods]
impl Vfs {
    /// The file's text (UTF-8); `offset` (1-based) and `limit` select lines.
    #[pyo3(signature = (path, offset=None, limit=None))]
    fn read_text(
        &self,
        py: Python<'_>,
        path: &str,
        offset: Option<u64>,
        limit: Option<u64>,
    ) -> PyResult<String> {
        let bytes = self.read(py, path, offset, limit)?;
        String::from_utf8(bytes).map_err(|_| {
            raise(
                py,
                &Error::new(ErrorKind::Unsupported, "is not UTF-8 text; use read_bytes").at(path),
            )
        })
    }

    /// The file's bytes; `offset` and `limit` select lines.
    #[pyo3(signature = (path, offset=None, limit=None))]
    fn read_bytes<'py>(
        &self,
        py: Python<'py>,
        path: &str,
        offset: Option<u64>,
        limit: Option<u64>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = self.read(py, path, offset, limit)?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// Creates or replaces the file atomically; returns `{path, bytes, created, etag}`.
    #[pyo3(signature = (path, text, if_match=None, create_only=false))]
    fn write_text(
        &self,
        py: Python<'_>,
        path: &str,
        text: &str,
        if_match: Option<String>,
        create_only: bool,
    ) -> PyResult<Py<PyAny>> {
        self.write(py, path, text.as_bytes(), if_match, create_only, false)
    }

    /// Like `write_text`, for bytes.
    #[pyo3(signature = (path, data, if_match=None, create_only=false))]
    fn write_bytes(
        &self,
        py: Python<'_>,
        path: &str,
        data: &[u8],
        if_match: Option<String>,
        create_only: bool,
    ) -> PyResult<Py<PyAny>> {
        self.write(py, path, data, if_match, create_only, false)
    }

    /// Appends to the file (created if missing); concurrent appenders never lose or tear
    /// each other's data. The text goes in as given.
    #[pyo3(signature = (path, text, if_match=None))]
    fn append_text(
        &self,
        py: Python<'_>,
        path: &str,
        text: &str,
        if_match: Option<String>,
    ) -> PyResult<Py<PyAny>> {
        self.write(py, path, text.as_bytes(), if_match, false, true)
    }

    /// Like `append_text`, for bytes.
    #[pyo3(signature = (path, data, if_match=None))]
    fn append_bytes(
        &self,
        py: Python<'_>,
        path: &str,
        data: &[u8],
        if_match: Option<String>,
    ) -> PyResult<Py<PyAny>> {
        self.write(py, path, data, if_match, false, true)
    }

    /// Replaces exact text (`all`: every occurrence); returns `{path, replacements, etag}`.
    #[pyo3(signature = (path, old, new, all=false, if_match=None))]
    fn edit(
        &self,
        py: Python<'_>,
        path: &str,
        old: &str,
        new: &str,
        all: bool,
        if_match: Option<String>,
    ) -> PyResult<Py<PyAny>> {
        let args = serde_json::json!({"path": path, "old": old, "new": new, "all": all, "if_match": if_match});
        self.tool(py, "ax_edit", args)
    }

    /// Deletes a file, or a folder with `recursive=True`.
    #[pyo3(signature = (path, recursive=false))]
    fn delete(&self, py: Python<'_>, path: &str, recursive: bool) -> PyResult<()> {
        let vfs = Arc::clone(&self.inner);
        detached(py, move || {
            vfs.remove(path, RemoveOptions { recursive }).map(|_| ())
        })
    }

    /// The entries of a folder (`/` lists the mounts), sorted by name.
    fn list(&self, py: Python<'_>, path: &str) -> PyResult<Vec<Entry>> {
        let vfs = Arc::clone(&self.inner);
        let entries = detached(py, move || vfs.list(path))?;
        Ok(entries
            .into_iter()
            .map(|e| Entry {
                name: e.path.name().to_string(),
                path: e.path.to_string(),
                is_dir: e.meta.kind == Kind::Dir,
                size: e.meta.size,
                modified: seconds(e.meta.modified),
            })
            .collect())
    }

    /// Metadata, with the ETag of a file.
    fn stat(&self, py: Python<'_>, path: &str) -> PyResult<Stat> {
        let vfs = Arc::clone(&self.inner);
        let s = detached(py, move || vfs.stat(path, StatOptions { etag: true }))?;
        Ok(Stat {
            path: s.path.to_string(),
            kind: s.meta.kind.as_str().to_string(),
            is_dir: s.meta.kind == Kind::Dir,
            size: s.meta.size,
            modified: seconds(s.meta.modified),
            etag: s.meta.etag,
            mount: s.mount.map(|m| m.to_string()),
            tier: s.tier.map(|t| t.to_string()),
            read_only: s.read_only,
        })
    }

    /// Whether anything exists at `path` (other failures still raise).
    fn exists(&self, py: Python<'_>, path: &str) -> PyResult<bool> {
        let vfs = Arc::clone(&self.inner);
        match py.detach(move || vfs.stat(path, StatOptions::default())) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(raise(py, &e)),
        }
    }

    /// Copies a file or (with everything in it) a folder, across mounts and tiers.
    fn copy(&self, py: Python<'_>, src: &str, dst: &str) -> PyResult<Py<PyAny>> {
        self.tool(py, "ax_copy", serde_json::json!({"src": src, "dst": dst}))
    }

    /// Moves or renames: atomic within a mount, copy-verify-delete across mounts.
    #[pyo3(name = "move")]
    fn move_(&self, py: Python<'_>, src: &str, dst: &str) -> PyResult<Py<PyAny>> {
        self.tool(py, "ax_move", serde_json::json!({"src": src, "dst": dst}))
    }

    /// Files (and folders) whose name matches a glob, below `path`.
    #[pyo3(signature = (name, path=None))]
    fn find(&self, py: Python<'_>, name: &str, path: Option<&str>) -> PyResult<Py<PyAny>> {
        self.tool(
            py,
            "ax_find",
            serde_json::json!({"name": name, "path": path}),
        )
    }

    /// Lines matching a regular expression, below `path`.
    #[pyo3(signature = (pattern, path=None, ignore_case=false))]
    fn grep(
        &self,
        py: Python<'_>,
        pattern: &str,
        path: Option<&str>,
        ignore_case: bool,
    ) -> PyResult<Py<PyAny>> {
        self.tool(
            py,
            "ax_grep",
            serde_json::json!({"pattern": pattern, "path": path, "ignore_case": ignore_case}),
        )
    }

    /// Search of the indexed mounts: `{results, mode, notice}`, one result per file.
    #[pyo3(signature = (query, path=None, limit=10, mode="hybrid"))]
    fn search(
        &self,
        py: Python<'_>,
        query: &str,
        path: Option<&str>,
        limit: u64,
        mode: &str,
    ) -> PyResult<Py<PyAny>> {
        self.tool(
            py,
            "ax_search",
            serde_json::json!({"query": query, "path": path, "limit": limit, "mode": mode}),
        )
    }

    /// The mount table.
    fn mounts(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.tool(py, "ax_mounts", serde_json::json!({}))
    }

    /// The tool definitions for LLM APIs, exactly as `ax tools --format FORMAT` prints them.
    #[pyo3(signature = (format="mcp"))]
    fn tools(&self, py: Python<'_>, format: &str) -> PyResult<String> {
        let format = match format {
            "mcp" => Format::Mcp,
            "openai" => Format::OpenAi,
            "openai-responses" => Format::OpenAiResponses,
            "anthropic" => Format::Anthropic,
            "json" => Format::Json,
            other => {
                return Err(PyValueError::new_err(format!(
                    "unknown format {other:?}; use mcp, openai, openai-responses, anthropic or json"
                )));
            }
        };
        let vfs = Arc::clone(&self.inner);
        detached(py, move || {
            ax::tools::render_text(vfs.config(), format, &Selection::default(), false)
        })
    }

    /// Runs one LLM tool call (`name`, JSON `arguments` as a dict or a JSON string) through
    /// the catalogue and returns its structured result.
    #[pyo3(signature = (name, arguments=None))]
    fn call(
        &self,
        py: Python<'_>,
        name: &str,
        arguments: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let args = match arguments {
            None => Value::Null,
            Some(a) if a.cast::<PyString>().is_ok() => {
                serde_json::from_str(&a.extract::<String>()?).map_err(|e| {
                    PyValueError::new_err(format!("the arguments are not valid JSON: {e}"))
                })?
            }
            Some(a) => from_py(a)?,
        };
        let name = if name.starts_with("ax_") {
            name.to_string()
        } else {
            format!("ax_{name}")
        };
        self.tool(py, &name, args)
    }

    fn __repr__(&self) -> String {
        format!("Vfs({} mounts)", self.inner.config().mounts.len())
    }
}

impl Vfs {
    fn read(
        &self,
        py: Python<'_>,
        path: &str,
        offset: Option<u64>,
        limit: Option<u64>,
    ) -> PyResult<Vec<u8>> {
        let vfs = Arc::clone(&self.inner);
        detached(py, move || ax::exec::get(&vfs, path, offset, limit))
    }

    fn write(
        &self,
        py: Python<'_>,
        path: &str,
        data: &[u8],
        if_match: Option<String>,
        create_only: bool,
        append: bool,
    ) -> PyResult<Py<PyAny>> {
        let vfs = Arc::clone(&self.inner);
        let out = detached(py, move || {
            let out = ax::exec::put(&vfs, path, &mut &data[..], if_match, create_only, append)?;
            Ok(serde_json::to_value(out).unwrap_or(Value::Null))
        })?;
        to_py(py, &out)
    }

    fn tool(&self, py: Python<'_>, name: &str, args: Value) -> PyResult<Py<PyAny>> {
        let vfs = Arc::clone(&self.inner);
        let out = py
            .detach(move || ax::catalogue::call(&vfs, name, args))
            .map_err(|e| raise(py, &e.for_tools()))?;
        to_py(py, &out.structured)
    }
}

/// Loads the `ax.yaml` at `path` (errors name its file and line).
#[pyfunction]
fn load_config_file(py: Python<'_>, path: &str) -> PyResult<Vfs> {
    let cfg = detached(py, move || {
        Config::load(Path::new(path), "load_config_file")
    })?;
    Ok(Vfs {
        inner: Arc::new(CoreVfs::new(cfg)),
    })
}

/// The embedded default layout (as the CLI uses without an ax.yaml), with data under
/// `./.ax-data` of the current directory.
#[pyfunction]
fn load_default(py: Python<'_>) -> PyResult<Vfs> {
    let cfg = detached(py, || {
        let dir = std::env::current_dir().map_err(|e| Error::io(&e, "."))?;
        Config::embedded_default(&dir)
    })?;
    Ok(Vfs {
        inner: Arc::new(CoreVfs::new(cfg)),
    })
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(load_config_file, m)?)?;
    m.add_function(wrap_pyfunction!(load_default, m)?)?;
    m.add_class::<Vfs>()?;
    m.add_class::<Entry>()?;
    m.add_class::<Stat>()?;
    Ok(())
}
