//! `search`, `index`, `watch`: the warm tier's commands.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use super::Ctx;
use super::args::{IndexArgs, SearchArgs, SearchMode, WatchArgs};
use super::output::{Printer, notice};
use crate::error::{Error, ErrorKind, Exit, Result};
use crate::index::{
    IndexStats, Mode, Progress, SearchIndex, choose_model, embed::Embedder, run_search,
};
use crate::vfs::{VPath, Vfs};

/// How long `ax index` waits for another writer.
const INDEX_LOCK_WAIT: Duration = Duration::from_secs(120);

fn scope(vfs: &Vfs, path: Option<&str>) -> Result<VPath> {
    vfs.path(path.unwrap_or("/"))
}

/// The model for indexing (hybrid's choice), with the one notice when it is unavailable.
fn indexing_model(vfs: &Vfs) -> Result<Option<&'static dyn Embedder>> {
    let choice = choose_model(&vfs.config().search, Mode::Hybrid)?;
    if let Some(n) = &choice.notice {
        notice(n);
    }
    Ok(choice.embedder)
}

/// A progress bar on a terminal, nothing otherwise.
fn progress_bar() -> impl FnMut(Progress) {
    let bar = std::io::stderr().is_terminal().then(|| {
        let b = indicatif::ProgressBar::new(0);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg:>10} [{bar:30}] {pos}/{len} {per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        b
    });
    move |p| {
        if let Some(b) = &bar {
            let (msg, done, total) = match p {
                Progress::Files { done, total } => ("reading", done, total),
                Progress::Embedding { done, total } => ("embedding", done, total),
            };
            b.set_message(msg);
            b.set_length(total);
            b.set_position(done);
            if done == total {
                b.finish_and_clear();
            }
        }
    }
}

pub fn search(ctx: &Ctx, a: &SearchArgs, out: &mut Printer) -> Result<Exit> {
    let vfs = ctx.vfs()?;
    let scope = scope(vfs, a.path.as_deref())?;
    let mode = match a.mode {
        SearchMode::Hybrid => Mode::Hybrid,
        SearchMode::Keyword => Mode::Keyword,
        SearchMode::Semantic => Mode::Semantic,
    };
    let found = run_search(vfs, &a.query, &scope, a.limit, mode)?;
    if let Some(n) = &found.notice {
        notice(n);
    }
    if out.json {
        out.json_line(&found.hits)?;
        return Ok(Exit::Ok);
    }
    for h in &found.hits {
        out.line(format_args!(
            "{}:{}-{}  ({:.3})",
            h.path, h.start_line, h.end_line, h.score
        ))?;
        let flat: String = h.snippet.split_whitespace().collect::<Vec<_>>().join(" ");
        out.line(format_args!("    {flat}"))?;
    }
    Ok(Exit::Ok)
}

fn summary(stats: &IndexStats) -> String {
    format!(
        "indexed {} of {} files ({} unchanged, {} removed, {} binary and {} too large skipped): {} chunks, {} embedded, {} embeddings reused, {:.2} s",
        stats.files_indexed,
        stats.files_scanned,
        stats.files_unchanged,
        stats.files_removed,
        stats.skipped_binary,
        stats.skipped_large,
        stats.chunks_indexed,
        stats.chunks_embedded,
        stats.embeddings_reused,
        stats.seconds
    )
}

pub fn index(ctx: &Ctx, a: &IndexArgs, out: &mut Printer) -> Result<Exit> {
    let vfs = ctx.vfs()?;
    let scope = scope(vfs, a.path.as_deref())?;
    let index = SearchIndex::open(&vfs.config().state_dir)?;
    let embedder = indexing_model(vfs)?;
    let lock = index.lock(INDEX_LOCK_WAIT)?.ok_or_else(|| {
        Error::new(
            ErrorKind::Io,
            "another ax process has been indexing for two minutes; try again when it is done",
        )
    })?;
    if a.rebuild {
        index.clear(&lock)?;
    }
    let stats = index.refresh(vfs, &scope, embedder, &lock, &mut progress_bar())?;
    if out.json {
        out.json_line(&stats)?;
    } else {
        out.line(summary(&stats))?;
    }
    Ok(Exit::Ok)
}

pub fn watch(ctx: &Ctx, a: &WatchArgs, out: &mut Printer) -> Result<Exit> {
    use notify::{RecursiveMode, Watcher};
    let vfs = ctx.vfs()?;
    let scope = scope(vfs, a.path.as_deref())?;
    let index = SearchIndex::open(&vfs.config().state_dir)?;
    let embedder = indexing_model(vfs)?;
    let targets = crate::index::indexed_targets(vfs, &scope)?;

    let (tx, rx) = std::sync::mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |ev: notify::Result<notify::Event>| {
        if ev.is_ok() {
            let _ = tx.send(());
        }
    })
    .map_err(|e| Error::new(ErrorKind::Io, format!("cannot watch for changes: {e}")))?;
    let mut watched = Vec::new();
    for (mount, sub) in &targets {
        if let Ok(b) = mount.backend()
            && let Some(dir) = b.host_dir(sub)
        {
            watcher.watch(&dir, RecursiveMode::Recursive).map_err(|e| {
                Error::new(ErrorKind::Io, format!("cannot watch {}: {e}", mount.path()))
            })?;
            watched.push(mount.path().to_string());
        }
    }
    let refresh = |out: &mut Printer| -> Result<()> {
        let Some(lock) = index.lock(INDEX_LOCK_WAIT)? else {
            return Ok(());
        };
        let stats = index.refresh(vfs, &scope, embedder, &lock, &mut |_| {})?;
        if stats.files_indexed + stats.files_removed + stats.chunks_embedded > 0 {
            out.line(summary(&stats))?;
            out.flush()?;
        }
        Ok(())
    };
    refresh(out)?;
    notice(&format!(
        "watching {} for changes (Ctrl-C to stop)",
        watched.join(", ")
    ));
    // Object-store mounts have no change events: poll them.
    let poll = Duration::from_secs(30);
    let mut last_poll = Instant::now();
    loop {
        match rx.recv_timeout(poll) {
            Ok(()) => {
                // Debounce: let a burst of events settle, then refresh once.
                while rx.recv_timeout(Duration::from_millis(300)).is_ok() {}
                refresh(out)?;
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                if last_poll.elapsed() >= poll
                    && targets
                        .iter()
                        .any(|(m, _)| m.backend().is_ok_and(|b| b.host_dir("").is_none()))
                {
                    refresh(out)?;
                    last_poll = Instant::now();
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return Ok(Exit::Ok),
        }
    }
}
