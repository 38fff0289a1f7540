//! `grep`: ripgrep-style output (`path:line:text`), `-l`, `-c`, and JSON Lines.

use std::sync::Mutex;

use serde_json::json;

use super::Ctx;
use super::args::GrepArgs;
use super::output::Printer;
use crate::error::{Error, Exit, Result};
use crate::grep::{FileMatches, GrepOptions, Order};

pub(super) fn grep(ctx: &Ctx, a: &GrepArgs, out: &mut Printer) -> Result<Exit> {
    let vfs = ctx.vfs()?;
    let opts = GrepOptions {
        ignore_case: a.ignore_case,
        fixed_strings: a.fixed_strings,
        word: a.word_regexp,
        order: if a.sort {
            Order::Path
        } else {
            Order::Unordered
        },
        max_per_file: a.max_count,
    };
    let json = out.json;
    let shared = Mutex::new((out, None::<Error>));
    let on_file = |fm: FileMatches| -> bool {
        let Ok(mut guard) = shared.lock() else {
            return false;
        };
        let (printer, failure) = &mut *guard;
        let r = print_file(printer, &fm, a, json);
        match r {
            Ok(()) => true,
            Err(e) => {
                *failure = Some(e);
                false
            }
        }
    };
    let summary = crate::grep::grep(vfs, &a.pattern, &a.paths, &opts, &on_file)?;
    let (out, failure) = shared
        .into_inner()
        .map_err(|_| Error::usage("grep output failed"))?;
    if let Some(e) = failure {
        return Err(e);
    }
    if json {
        out.json_line(&json!({
            "type": "summary",
            "files_searched": summary.files_searched,
            "files_matched": summary.files_matched,
            "matches": summary.matches,
            "binary_skipped": summary.binary_skipped,
        }))?;
    }
    Ok(if summary.matches > 0 {
        Exit::Ok
    } else {
        Exit::Failed
    })
}

fn print_file(out: &mut Printer, fm: &FileMatches, a: &GrepArgs, json: bool) -> Result<()> {
    let io = |e: std::io::Error| Error::from_io(&e);
    if json {
        for m in &fm.matches {
            out.json_line(&json!({
                "type": "match",
                "path": fm.path,
                "line_number": m.line_number,
                "text": String::from_utf8_lossy(&m.line),
            }))?;
        }
        return Ok(());
    }
    let w = out.out();
    if a.files_with_matches {
        writeln!(w, "{}", fm.path).map_err(io)?;
    } else if a.count {
        writeln!(w, "{}:{}", fm.path, fm.matches.len()).map_err(io)?;
    } else {
        for m in &fm.matches {
            write!(w, "{}:{}:", fm.path, m.line_number).map_err(io)?;
            w.write_all(&m.line).map_err(io)?;
            w.write_all(b"\n").map_err(io)?;
        }
    }
    Ok(())
}
