//! Listing commands: `ls`, `tree`, `stat`, `find`.

use serde_json::{Value, json};

use super::Ctx;
use super::args::{FindArgs, LsArgs, PathArg, TreeArgs};
use super::output::Printer;
use crate::backend::{Kind, StatOptions, Walk};
use crate::error::{Error, Exit, Result};
use crate::ops::rfc3339;
use crate::vfs::VEntry;

fn entry_json(e: &VEntry) -> Value {
    serde_json::to_value(crate::exec::list_entry(e)).unwrap_or(Value::Null)
}

fn display_name(e: &VEntry) -> String {
    let name = e.path.name();
    if e.meta.kind == Kind::Dir {
        format!("{name}/")
    } else {
        name.to_string()
    }
}

pub(super) fn ls(ctx: &Ctx, a: &LsArgs, out: &mut Printer) -> Result<Exit> {
    let vfs = ctx.vfs()?;
    let entries = vfs.list(a.path.as_deref().unwrap_or("/"))?;
    if out.json {
        let entries = entries.iter().map(crate::exec::list_entry).collect();
        out.json_line(&crate::ops::ListOutput { entries })?;
        return Ok(Exit::Ok);
    }
    for e in &entries {
        if a.long {
            let kind = match e.mount_tier {
                Some(t) => format!("{t} mount"),
                None => e.meta.kind.as_str().to_string(),
            };
            let modified = e
                .meta
                .modified
                .map(rfc3339)
                .unwrap_or_else(|| "-".to_string());
            out.line(format_args!(
                "{kind:<10} {:>12}  {modified:<20}  {}",
                e.meta.size,
                display_name(e)
            ))?;
        } else {
            out.line(display_name(e))?;
        }
    }
    Ok(Exit::Ok)
}

pub(super) fn tree(ctx: &Ctx, a: &TreeArgs, out: &mut Printer) -> Result<Exit> {
    let vfs = ctx.vfs()?;
    let start = vfs.path(a.path.as_deref().unwrap_or("/"))?;
    let top = vfs.stat(start.as_str(), StatOptions::default())?;
    if top.meta.kind != Kind::Dir {
        return Err(Error::new(
            crate::error::ErrorKind::NotADirectory,
            "is a file, not a directory",
        )
        .at(&start));
    }
    let mut entries = Vec::new();
    vfs.walk(start.as_str(), &mut |e| {
        entries.push(e.clone());
        if a.depth.is_some_and(|d| e.depth >= d) {
            Walk::SkipDir
        } else {
            Walk::Continue
        }
    })?;
    if out.json {
        out.json_line(&nest(&start, &entries))?;
        return Ok(Exit::Ok);
    }
    out.line(&start)?;
    // For each entry, whether it is the last child of its parent decides the branch glyph.
    let is_last: Vec<bool> = (0..entries.len())
        .map(|i| {
            let d = entries[i].depth;
            entries[i + 1..]
                .iter()
                .take_while(|n| n.depth >= d)
                .all(|n| n.depth > d)
        })
        .collect();
    let mut open_levels: Vec<bool> = Vec::new(); // per depth: does the ancestor have siblings after it
    let (mut dirs, mut files) = (0u64, 0u64);
    for (i, e) in entries.iter().enumerate() {
        open_levels.truncate(e.depth - 1);
        let mut prefix = String::new();
        for &open in &open_levels {
            prefix.push_str(if open { "│   " } else { "    " });
        }
        prefix.push_str(if is_last[i] {
            "└── "
        } else {
            "├── "
        });
        out.line(format_args!("{prefix}{}", display_name(e)))?;
        open_levels.push(!is_last[i]);
        if e.meta.kind == Kind::Dir {
            dirs += 1
        } else {
            files += 1
        }
    }
    out.line(format_args!("\n{dirs} directories, {files} files"))?;
    Ok(Exit::Ok)
}

/// Builds the nested JSON of a walk (entries arrive depth-first, in order).
fn nest(start: &crate::vpath::VPath, entries: &[VEntry]) -> Value {
    fn children(entries: &[VEntry], i: &mut usize, depth: usize) -> Vec<Value> {
        let mut out = Vec::new();
        while *i < entries.len() && entries[*i].depth == depth {
            let e = &entries[*i];
            *i += 1;
            let mut v = entry_json(e);
            if e.meta.kind == Kind::Dir {
                v["children"] = Value::Array(children(entries, i, depth + 1));
            }
            out.push(v);
        }
        out
    }
    let mut i = 0;
    json!({"path": start, "kind": "dir", "children": children(entries, &mut i, 1)})
}

pub(super) fn stat(ctx: &Ctx, a: &PathArg, out: &mut Printer) -> Result<Exit> {
    let vfs = ctx.vfs()?;
    let s = vfs.stat(&a.path, StatOptions { etag: true })?;
    if out.json {
        out.json_line(&crate::exec::stat_output(s))?;
        return Ok(Exit::Ok);
    }
    let modified = s.meta.modified.map(rfc3339);
    out.line(format_args!("path: {}", s.path))?;
    out.line(format_args!("kind: {}", s.meta.kind.as_str()))?;
    out.line(format_args!("size: {}", s.meta.size))?;
    if let Some(m) = modified {
        out.line(format_args!("modified: {m}"))?;
    }
    match (&s.mount, s.tier) {
        (Some(m), Some(t)) => out.line(format_args!("mount: {m} ({t})"))?,
        _ => out.line("mount: - (directory of mount points)")?,
    }
    out.line(format_args!("read_only: {}", s.read_only))?;
    if let Some(cached) = s.meta.cached {
        out.line(format_args!(
            "cached: {}",
            if cached { "yes" } else { "no" }
        ))?;
    }
    if let Some(tag) = &s.meta.etag {
        out.line(format_args!("etag: {tag}"))?;
    }
    Ok(Exit::Ok)
}

pub(super) fn find(ctx: &Ctx, a: &FindArgs, out: &mut Printer) -> Result<Exit> {
    let vfs = ctx.vfs()?;
    let kind = a.kind.map(|k| k.kind());
    let mut failure = None;
    let path = a.path.as_deref().unwrap_or("/");
    vfs.find(path, a.name.as_deref(), kind, &mut |e| {
        let r = if out.json {
            out.json_line(&json!({"path": e.path, "kind": e.meta.kind, "size": e.meta.size}))
        } else {
            out.line(&e.path)
        };
        if let Err(err) = r {
            failure = Some(err);
            return Walk::Stop;
        }
        Walk::Continue
    })?;
    match failure {
        Some(e) => Err(e),
        None => Ok(Exit::Ok),
    }
}
