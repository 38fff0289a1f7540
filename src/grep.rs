//! `grep`: regex search over file contents, with ripgrep's engine (grep-searcher/grep-regex).
//!
//! On local mounts the directory is walked in parallel (the `ignore` crate's walker with all
//! ignore-file filtering off: ax shows what is in a mount, not what git would track) without
//! following symlinks, so a search can never leave the jail. Other backends are walked
//! through the [`Backend`](crate::backend::Backend) trait. Binary files (a NUL byte) are
//! skipped and counted, like ripgrep does. Results arrive per file through a callback so the
//! caller decides how to print; with [`Order::Path`] the walk is sequential and sorted.

use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use grep_regex::{RegexMatcher, RegexMatcherBuilder};
use grep_searcher::{BinaryDetection, Searcher, SearcherBuilder, Sink, SinkMatch};

use crate::backend::Kind;
use crate::backend::local::TEMP_PREFIX;
use crate::error::{Error, Result};
use crate::vfs::{MountEntry, Vfs};
use crate::vpath::VPath;

/// How matches are found.
#[derive(Debug, Clone, Default)]
pub struct GrepOptions {
    /// Case-insensitive matching.
    pub ignore_case: bool,
    /// Treat the pattern as a literal string.
    pub fixed_strings: bool,
    /// Match whole words only.
    pub word: bool,
    /// Output order.
    pub order: Order,
    /// Stop after this many matching lines per file.
    pub max_per_file: Option<u64>,
}

/// Result order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Order {
    /// As found, searching in parallel (fastest).
    #[default]
    Unordered,
    /// Sorted by path, searching sequentially.
    Path,
}

/// One matching line.
#[derive(Debug, Clone)]
pub struct LineMatch {
    /// 1-based line number.
    pub line_number: u64,
    /// The line's bytes, without the line terminator.
    pub line: Vec<u8>,
}

/// The matches in one file.
#[derive(Debug, Clone)]
pub struct FileMatches {
    /// The file.
    pub path: VPath,
    /// Its matching lines, in order.
    pub matches: Vec<LineMatch>,
}

/// Totals of one grep run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GrepSummary {
    /// Files searched (binaries included).
    pub files_searched: u64,
    /// Files with at least one match.
    pub files_matched: u64,
    /// Matching lines.
    pub matches: u64,
    /// Files skipped because they look binary.
    pub binary_skipped: u64,
}

/// Receives each file's matches; returns false to stop the search (e.g. the output closed).
pub type OnFile<'a> = dyn Fn(FileMatches) -> bool + Sync + 'a;

struct Counters {
    searched: AtomicU64,
    matched: AtomicU64,
    matches: AtomicU64,
    binary: AtomicU64,
    stop: AtomicBool,
}

/// Searches `paths` (files or directories; `/` means every mount) for `pattern`.
pub fn grep(
    vfs: &Vfs,
    pattern: &str,
    paths: &[String],
    opts: &GrepOptions,
    on_file: &OnFile<'_>,
) -> Result<GrepSummary> {
    let matcher = RegexMatcherBuilder::new()
        .case_insensitive(opts.ignore_case)
        .fixed_strings(opts.fixed_strings)
        .word(opts.word)
        .line_terminator(Some(b'\n'))
        .build(pattern)
        .map_err(|e| {
            Error::usage(format!(
                "invalid regular expression: {}",
                one_line(&e.to_string())
            ))
            .at(pattern)
        })?;
    let counters = Counters {
        searched: AtomicU64::new(0),
        matched: AtomicU64::new(0),
        matches: AtomicU64::new(0),
        binary: AtomicU64::new(0),
        stop: AtomicBool::new(false),
    };
    let ctx = Ctx {
        matcher,
        opts,
        on_file,
        counters: &counters,
    };

    let roots: Vec<String> = if paths.is_empty() {
        vec!["/".to_string()]
    } else {
        paths.to_vec()
    };
    for raw in &roots {
        if counters.stop.load(Ordering::Relaxed) {
            break;
        }
        let p = vfs.path(raw)?;
        if vfs.mounts().is_virtual_dir(&p) {
            for m in vfs.mounts().below(&p) {
                search_in_mount(vfs, &ctx, m, m.path())?;
            }
            continue;
        }
        let loc = vfs.mounts().locate(&p)?;
        search_in_mount(vfs, &ctx, loc.mount, &p)?;
    }
    Ok(GrepSummary {
        files_searched: counters.searched.into_inner(),
        files_matched: counters.matched.into_inner(),
        matches: counters.matches.into_inner(),
        binary_skipped: counters.binary.into_inner(),
    })
}

struct Ctx<'a> {
    matcher: RegexMatcher,
    opts: &'a GrepOptions,
    on_file: &'a OnFile<'a>,
    counters: &'a Counters,
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn searcher() -> Searcher {
    SearcherBuilder::new()
        .binary_detection(BinaryDetection::quit(0))
        .line_number(true)
        .build()
}

/// Searches `path` (inside `mount`): one file, or a directory walked in parallel when the
/// backend has a host directory.
fn search_in_mount(vfs: &Vfs, ctx: &Ctx<'_>, mount: &MountEntry, path: &VPath) -> Result<()> {
    let backend = mount.backend()?;
    let rel = path.strip_prefix(mount.path()).unwrap_or("");
    let meta = backend.stat(rel, Default::default())?;
    if meta.kind == Kind::File {
        let mut s = searcher();
        let mut content = backend.open(rel)?;
        search_reader(ctx, &mut s, path.clone(), &mut content);
        return Ok(());
    }
    if meta.kind != Kind::Dir {
        return Ok(());
    }
    match (ctx.opts.order, backend.host_dir(rel), backend.host_dir("")) {
        (Order::Unordered, Some(dir), Some(root)) => {
            search_host_dir_parallel(ctx, mount.path(), &root, &dir);
            Ok(())
        }
        _ => {
            // Sequential, sorted walk through the backend.
            let mut files = Vec::new();
            vfs.walk(path.as_str(), &mut |e| {
                if e.meta.kind == Kind::File {
                    files.push(e.path.clone());
                }
                crate::backend::Walk::Continue
            })?;
            let mut s = searcher();
            for f in files {
                if ctx.counters.stop.load(Ordering::Relaxed) {
                    break;
                }
                // Files that vanish or turn unreadable mid-search are skipped, as grep does.
                if let Ok(loc) = vfs.mounts().locate(&f)
                    && let Ok(b) = loc.mount.backend()
                    && let Ok(mut content) = b.open(&loc.rel)
                {
                    search_reader(ctx, &mut s, f, &mut content);
                }
            }
            Ok(())
        }
    }
}

fn search_host_dir_parallel(ctx: &Ctx<'_>, mount: &VPath, root: &Path, dir: &Path) {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .min(12);
    let walker = ignore::WalkBuilder::new(dir)
        .standard_filters(false)
        .follow_links(false)
        .threads(threads)
        .filter_entry(|e| !e.file_name().to_string_lossy().starts_with(TEMP_PREFIX))
        .build_parallel();
    walker.run(|| {
        let mut s = searcher();
        Box::new(move |entry| {
            use ignore::WalkState;
            if ctx.counters.stop.load(Ordering::Relaxed) {
                return WalkState::Quit;
            }
            let Ok(entry) = entry else {
                return WalkState::Continue;
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                return WalkState::Continue;
            }
            let Some(vpath) = host_to_vpath(mount, root, entry.path()) else {
                return WalkState::Continue;
            };
            if let Ok(mut f) = std::fs::File::open(entry.path()) {
                search_reader(ctx, &mut s, vpath, &mut f);
            }
            WalkState::Continue
        })
    });
}

fn host_to_vpath(mount: &VPath, root: &Path, host: &Path) -> Option<VPath> {
    let rel = host.strip_prefix(root).ok()?.to_str()?;
    mount.join(rel).ok()
}

/// Collects one file's matching lines, dropping them if the file turns out binary.
struct Collect {
    matches: Vec<LineMatch>,
    binary: bool,
    max: Option<u64>,
}

impl Sink for Collect {
    type Error = io::Error;

    fn matched(
        &mut self,
        _s: &Searcher,
        m: &SinkMatch<'_>,
    ) -> std::result::Result<bool, io::Error> {
        let mut line = m.bytes();
        while let Some((&last, rest)) = line.split_last() {
            if last == b'\n' || last == b'\r' {
                line = rest;
            } else {
                break;
            }
        }
        self.matches.push(LineMatch {
            line_number: m.line_number().unwrap_or(0),
            line: line.to_vec(),
        });
        Ok(self.max.is_none_or(|max| (self.matches.len() as u64) < max))
    }

    fn binary_data(&mut self, _s: &Searcher, _offset: u64) -> std::result::Result<bool, io::Error> {
        self.binary = true;
        Ok(false)
    }
}

fn search_reader(ctx: &Ctx<'_>, s: &mut Searcher, path: VPath, src: &mut dyn io::Read) {
    ctx.counters.searched.fetch_add(1, Ordering::Relaxed);
    let mut sink = Collect {
        matches: Vec::new(),
        binary: false,
        max: ctx.opts.max_per_file,
    };
    // An unreadable file is skipped, as grep does; its error is not the search's failure.
    if s.search_reader(&ctx.matcher, src, &mut sink).is_err() {
        return;
    }
    if sink.binary {
        ctx.counters.binary.fetch_add(1, Ordering::Relaxed);
        return;
    }
    if sink.matches.is_empty() {
        return;
    }
    ctx.counters.matched.fetch_add(1, Ordering::Relaxed);
    ctx.counters
        .matches
        .fetch_add(sink.matches.len() as u64, Ordering::Relaxed);
    if !(ctx.on_file)(FileMatches {
        path,
        matches: sink.matches,
    }) {
        ctx.counters.stop.store(true, Ordering::Relaxed);
    }
}
