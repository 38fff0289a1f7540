//! File commands: `write`, `append`, `cat`, `edit`, `rm`.

use std::io::{self, IsTerminal, Read};

use serde_json::json;

use super::Ctx;
use super::args::{AppendArgs, CatArgs, EditArgs, RmArgs, WriteArgs};
use super::output::Printer;
use crate::backend::{Content, Precondition, RemoveOptions, WriteOptions};
use crate::error::{Error, ErrorKind, Exit, Result};
use crate::vfs::{EditRequest, LineWindow};

/// Where a write's bytes come from.
enum Input<'a> {
    Arg(&'a [u8]),
    Stdin(io::StdinLock<'static>),
}

impl Input<'_> {
    fn reader(&mut self) -> &mut dyn Read {
        match self {
            Input::Arg(b) => b,
            Input::Stdin(s) => s,
        }
    }
}

/// The argument, or stdin when it is omitted or `-`. A terminal on stdin with no content
/// is refused: waiting silently for typed input surprises more than it helps.
fn input<'a>(content: Option<&'a str>, path: &str, verb: &str) -> Result<Input<'a>> {
    match content {
        Some(c) if c != "-" => Ok(Input::Arg(c.as_bytes())),
        _ => {
            let stdin = io::stdin();
            if stdin.is_terminal() {
                return Err(Error::usage("no content given and stdin is a terminal")
                    .at(path)
                    .hint(format!("pass the content (`ax {verb} {path} \"text\"`) or pipe it in (`cmd | ax {verb} {path}`)")));
            }
            Ok(Input::Stdin(stdin.lock()))
        }
    }
}

pub(super) fn write(ctx: &Ctx, a: &WriteArgs, out: &mut Printer) -> Result<Exit> {
    let create_only = match a.if_none_match.as_deref() {
        None => false,
        Some("*") => true,
        Some(other) => {
            return Err(
                Error::usage(format!("--if-none-match takes only '*', not {other:?}"))
                    .hint("use --if-match ETAG to replace a known version"),
            );
        }
    };
    let precondition = Precondition::for_write(a.if_match.clone(), create_only)?;
    let vfs = ctx.vfs()?;
    let mut src = input(a.content.as_deref(), &a.path, "write")?;
    let opts = WriteOptions {
        precondition,
        report_etag: out.json,
    };
    let (path, o) = vfs.write(&a.path, src.reader(), &opts)?;
    if out.json {
        out.json_line(&crate::exec::write_output(&path, o))?;
    }
    Ok(Exit::Ok)
}

pub(super) fn append(ctx: &Ctx, a: &AppendArgs, out: &mut Printer) -> Result<Exit> {
    let vfs = ctx.vfs()?;
    // An argument is a line (the library's rule); stdin is appended exactly as given.
    let line = match a.content.as_deref() {
        Some(c) if c != "-" => Some(crate::backend::as_line(c)),
        _ => None,
    };
    let content = line.as_deref().or(a.content.as_deref());
    let mut src = input(content, &a.path, "append")?;
    let precondition = a
        .if_match
        .clone()
        .map(Precondition::IfMatch)
        .unwrap_or_default();
    let opts = WriteOptions {
        precondition,
        report_etag: out.json,
    };
    let (path, o) = vfs.append(&a.path, src.reader(), &opts)?;
    if out.json {
        out.json_line(&crate::exec::write_output(&path, o))?;
    }
    Ok(Exit::Ok)
}

pub(super) fn cat(ctx: &Ctx, a: &CatArgs, out: &mut Printer) -> Result<Exit> {
    let vfs = ctx.vfs()?;
    let bounded = a.offset.is_some() || a.limit.is_some();
    let window = LineWindow {
        offset: a.offset.unwrap_or(1),
        limit: a.limit,
        numbered: a.numbered,
        etag: out.json,
    };

    if out.json {
        let mut buf = Vec::new();
        let info = vfs.read_lines(&a.path, &window, &mut buf)?;
        let path = vfs.path(&a.path)?;
        let content = String::from_utf8(buf).map_err(|_| {
            Error::new(
                ErrorKind::Unsupported,
                "is not UTF-8 text, so it cannot be shown in JSON",
            )
            .at(&path)
            .hint("use `ax cat` without --json to get the raw bytes")
        })?;
        out.json_line(&crate::ops::ReadOutput {
            path: path.to_string(),
            etag: info.etag,
            size: info.size,
            start_line: info.start_line,
            end_line: info.end_line,
            total_lines: info.total_lines,
            truncated: info.end_line < info.total_lines,
            content,
        })?;
        return Ok(Exit::Ok);
    }

    if bounded {
        // Count first so the header can lead; then stream the window.
        let count = LineWindow {
            offset: u64::MAX,
            limit: Some(0),
            numbered: false,
            etag: false,
        };
        let total = vfs
            .read_lines(&a.path, &count, &mut io::sink())?
            .total_lines;
        let first = window.offset.max(1);
        let last = a.limit.map_or(total, |l| {
            first.saturating_add(l).saturating_sub(1).min(total)
        });
        if first <= last {
            out.line(format_args!("[lines {first}-{last} of {total}]"))?;
        } else {
            out.line(format_args!(
                "[no lines: the file has {total}, offset {first} is past the end]"
            ))?;
        }
        vfs.read_lines(&a.path, &window, out.out())?;
        return Ok(Exit::Ok);
    }
    if a.numbered {
        vfs.read_lines(&a.path, &window, out.out())?;
        return Ok(Exit::Ok);
    }
    let (path, content) = vfs.open(&a.path)?;
    let copied = match content {
        // A real file: let the kernel copy (sendfile/splice) straight to stdout.
        Content::File(mut f) => io::copy(&mut f, &mut out.raw()?),
        Content::Stream(mut s) => io::copy(&mut s, out.out()),
    };
    copied.map_err(|e| match e.kind() {
        io::ErrorKind::BrokenPipe => Error::from_io(&e),
        _ => Error::io(&e, &path),
    })?;
    Ok(Exit::Ok)
}

pub(super) fn edit(ctx: &Ctx, a: &EditArgs, out: &mut Printer) -> Result<Exit> {
    let vfs = ctx.vfs()?;
    let req = EditRequest {
        old: a.old.clone(),
        new: a.new.clone(),
        all: a.all,
        if_match: a.if_match.clone(),
    };
    let o = vfs.edit(&a.path, &req)?;
    if out.json {
        out.json_line(&json!({"path": o.path, "replacements": o.replacements, "etag": o.etag}))?;
    }
    Ok(Exit::Ok)
}

pub(super) fn rm(ctx: &Ctx, a: &RmArgs, out: &mut Printer) -> Result<Exit> {
    let vfs = ctx.vfs()?;
    let opts = RemoveOptions {
        recursive: a.recursive,
    };
    let mut failed = None;
    for p in &a.paths {
        match vfs.remove(p, opts) {
            Ok(path) => {
                if out.json {
                    out.json_line(&json!({"path": path, "removed": true}))?;
                }
            }
            Err(e) if a.force && e.kind() == ErrorKind::NotFound => {}
            Err(e) => {
                // Keep going with the other paths, like rm; report each failure.
                super::output::print_error(&e);
                failed = Some(e.exit());
            }
        }
    }
    Ok(failed.unwrap_or(Exit::Ok))
}
