//! `search`, `index`, `watch`: the warm tier's commands.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::Ctx;
use super::args::{IndexArgs, SearchArgs, WatchArgs};
use super::output::{Printer, notice};
use crate::error::{Error, ErrorKind, Exit, Result};
use crate::index::{
    IndexStats, Progress, SearchIndex, UpdateOptions, embed, run_search, update_index,
};
use crate::vfs::Vfs;
use crate::vpath::VPath;

/// How long `ax index` waits for another writer.
const INDEX_LOCK_WAIT: Duration = Duration::from_secs(120);

fn scope(vfs: &Vfs, path: Option<&str>) -> Result<VPath> {
    vfs.path(path.unwrap_or("/"))
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

pub(super) fn search(ctx: &Ctx, a: &SearchArgs, out: &mut Printer) -> Result<Exit> {
    let vfs = ctx.vfs()?;
    let scope = scope(vfs, a.path.as_deref())?;
    let mode = a.mode;
    let found = run_search(vfs, &a.query, &scope, a.limit, mode)?;
    if let Some(n) = &found.notice {
        notice(n);
    }
    if out.json {
        out.json_line(&crate::exec::search_output(found))?;
        return Ok(Exit::Ok);
    }
    for h in &found.hits {
        let more = match h.regions.len() {
            0 | 1 => String::new(),
            n => format!(
                "  +{}: {}",
                n - 1,
                h.regions[1..]
                    .iter()
                    .map(|r| format!("{}-{}", r.start_line, r.end_line))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        out.line(format_args!(
            "{}:{}-{}  ({:.3}){more}",
            h.path, h.start_line, h.end_line, h.score
        ))?;
        let flat: String = h.snippet.split_whitespace().collect::<Vec<_>>().join(" ");
        out.line(format_args!("    {flat}"))?;
    }
    Ok(Exit::Ok)
}

fn summary(stats: &IndexStats) -> String {
    let pending = if stats.chunks_pending > 0 {
        format!(", {} still to embed", stats.chunks_pending)
    } else {
        String::new()
    };
    format!(
        "indexed {} of {} files ({} unchanged, {} removed, {} binary and {} too large skipped): {} chunks, {} embedded{pending}, {} embeddings reused, {:.2} s",
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

pub(super) fn index(ctx: &Ctx, a: &IndexArgs, out: &mut Printer) -> Result<Exit> {
    let vfs = ctx.vfs()?;
    if a.status {
        return status(vfs, out);
    }
    let scope = scope(vfs, a.path.as_deref())?;
    let opts = UpdateOptions {
        rebuild: a.rebuild,
        wait: INDEX_LOCK_WAIT,
    };
    let done = update_index(vfs, &scope, opts, &mut progress_bar())?;
    if let Some(n) = &done.notice {
        notice(n);
    }
    if out.json {
        out.json_line(&done.stats)?;
    } else {
        out.line(summary(&done.stats))?;
    }
    Ok(Exit::Ok)
}

/// `ax index --status --json`.
#[derive(Serialize)]
struct Status {
    model: ModelStatus,
    index: IndexStatus,
}

#[derive(Serialize)]
struct ModelStatus {
    /// Whether hybrid search will use the model.
    available: bool,
    /// Why not, when it will not.
    problem: Option<String>,
    folder: Option<String>,
    /// Where the folder setting came from: search.model_dir, AX_MODEL_DIR or default.
    source: Option<&'static str>,
    id: Option<String>,
    sha256: Option<String>,
    /// Each pinned file and whether its bytes match (null: unreadable).
    files: Vec<(String, Option<bool>)>,
    runtime: Option<String>,
}

#[derive(Serialize)]
struct IndexStatus {
    files: u64,
    chunks: u64,
    embedded: u64,
    embeddable: u64,
    embedded_fraction: f64,
    bytes: u64,
}

fn status(vfs: &Vfs, out: &mut Printer) -> Result<Exit> {
    let settings = &vfs.config().search;
    let index = SearchIndex::open(&vfs.config().state_dir)?;
    let (files, chunks) = index.counts()?;
    let source = embed::find_model(settings.model_dir.as_deref());
    let identified = if settings.embedder == crate::config::Embedder::None {
        Err("semantic search is off in ax.yaml (search.embedder: none)".to_string())
    } else {
        embed::identify(settings.model_dir.as_deref())
    };
    let folder_files = source
        .as_ref()
        .filter(|s| s.path().is_dir())
        .map(|s| embed::verify_folder(s.path()))
        .unwrap_or_default();
    let tampered = folder_files
        .iter()
        .find(|(_, ok)| *ok == Some(false))
        .map(|(name, _)| format!("{name} does not match its pinned SHA-256"));
    let (embedded, embeddable) = match &identified {
        Ok(m) => index.embedded(&m.model_id)?,
        Err(_) => (0, 0),
    };
    let runtime = std::env::var_os(embed::ORT_DYLIB_ENV)
        .filter(|v| !v.is_empty())
        .map(|p| format!("{} (ORT_DYLIB_PATH, not verified)", p.to_string_lossy()))
        .or_else(|| {
            source
                .as_ref()
                .map(|s| s.path().join("libonnxruntime.so"))
                .filter(|p| p.is_file())
                .map(|p| p.display().to_string())
        });
    let problem = identified.as_ref().err().cloned().or(tampered);
    let st = Status {
        model: ModelStatus {
            available: problem.is_none(),
            problem,
            folder: source.as_ref().map(|s| s.path().display().to_string()),
            source: source.as_ref().map(|s| match s {
                embed::ModelSource::Configured(_) => "search.model_dir",
                embed::ModelSource::Env(_) => "AX_MODEL_DIR",
                embed::ModelSource::Default(_) => "default",
            }),
            id: identified.as_ref().ok().map(|m| m.model_id.clone()),
            sha256: identified.as_ref().ok().map(|m| m.sha256.clone()),
            files: folder_files,
            runtime,
        },
        index: IndexStatus {
            files,
            chunks,
            embedded,
            embeddable,
            embedded_fraction: if embeddable == 0 {
                0.0
            } else {
                embedded as f64 / embeddable as f64
            },
            bytes: index.size_on_disk(),
        },
    };
    if out.json {
        out.json_line(&st)?;
        return Ok(Exit::Ok);
    }
    let m = &st.model;
    match (&m.id, &m.problem) {
        (Some(id), None) => out.line(format_args!("model:    {id}, verified"))?,
        (_, Some(p)) => out.line(format_args!("model:    unavailable: {p}"))?,
        (None, None) => out.line("model:    none")?,
    }
    if let Some(s) = &source {
        out.line(format_args!("folder:   {s}"))?;
    }
    if let Some(d) = &m.sha256 {
        out.line(format_args!("sha256:   {d} (model.onnx)"))?;
    }
    for (name, ok) in &m.files {
        let state = match ok {
            Some(true) => "matches its pinned digest",
            Some(false) => "DOES NOT MATCH its pinned digest",
            None => "missing",
        };
        out.line(format_args!("          {name}: {state}"))?;
    }
    out.line(format_args!(
        "runtime:  {}",
        m.runtime.as_deref().unwrap_or("not found")
    ))?;
    let i = &st.index;
    out.line(format_args!(
        "index:    {} files, {} chunks, {} of {} chunk contents embedded ({:.0}%), {:.1} MB",
        i.files,
        i.chunks,
        i.embedded,
        i.embeddable,
        i.embedded_fraction * 100.0,
        i.bytes as f64 / 1e6
    ))?;
    Ok(Exit::Ok)
}

pub(super) fn watch(ctx: &Ctx, a: &WatchArgs, out: &mut Printer) -> Result<Exit> {
    use notify::{RecursiveMode, Watcher};
    let vfs = ctx.vfs()?;
    let scope = scope(vfs, a.path.as_deref())?;
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
    let mut told = false;
    let mut refresh = |out: &mut Printer| -> Result<()> {
        let opts = UpdateOptions {
            rebuild: false,
            wait: INDEX_LOCK_WAIT,
        };
        let done = update_index(vfs, &scope, opts, &mut |_| {})?;
        if let Some(n) = done.notice.as_deref().filter(|_| !told) {
            notice(n);
            told = true;
        }
        let stats = done.stats;
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
