//! Search over indexed mounts (the warm tier, and any mount with `index: true`).
//!
//! Architecture:
//! - [`chunk`] splits a file into structure-aware chunks with line ranges;
//! - [`catalog`] (SQLite, WAL) records files, chunks and the embedding cache — the source of
//!   truth for incremental indexing;
//! - [`fulltext`] (tantivy) ranks chunks by BM25 for keyword search;
//! - [`embed`] loads a local embedding model for semantic search;
//! - this module ties them together: [`SearchIndex::refresh`] brings the index up to date
//!   with a cheap walk (only files whose version changed are read; only chunks whose hash has
//!   no vector are embedded), and [`SearchIndex::search`] answers keyword, semantic or hybrid
//!   (reciprocal rank fusion) queries, one hit per file region, with snippets.
//!
//! **Always fresh.** A search refreshes its scope first, so it sees every change made through
//! ax and behind its back. **One writer.** Refreshing holds an exclusive lock
//! (`index/write.lock` in the state directory); a search that finds it taken does not wait
//! long: it answers from the last committed state. **Crash-safe.** Work is committed in
//! batches, keyword index first and catalog second; a crash between the two leaves the
//! catalog's old version, so the next run redoes that file (deleting its chunks by path
//! first), and a keyword index that cannot be opened is rebuilt from the catalog.

pub mod catalog;
pub mod chunk;
pub mod embed;
pub mod fulltext;

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, UNIX_EPOCH};

use serde::Serialize;

use crate::backend::{EtagHasher, Kind, Walk};
use crate::error::{Error, ErrorKind, Result};
use crate::vfs::{MountEntry, VPath, Vfs};
use catalog::{Catalog, FileRow, NewChunk};
use embed::Embedder;
use fulltext::{ChunkDoc, FullText};

/// Files larger than this are skipped (counted, not an error).
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;
/// Files per committed batch while indexing.
const BATCH_FILES: usize = 200;
/// Texts per embedding call.
const EMBED_BATCH: usize = 32;
/// Chunks stay within what the embedding model reads (256 tokens, about 1,000 characters).
const CHUNKING: chunk::ChunkOptions = chunk::ChunkOptions {
    max_chars: 1000,
    overlap_lines: 2,
};
/// Reciprocal-rank-fusion constant.
const RRF_K: f32 = 60.0;

/// What a refresh did (`ax index --json`).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct IndexStats {
    /// Files looked at.
    pub files_scanned: u64,
    /// Files (re)read and (re)chunked.
    pub files_indexed: u64,
    /// Files whose version was unchanged (not read).
    pub files_unchanged: u64,
    /// Files gone since the last run.
    pub files_removed: u64,
    /// Chunks written.
    pub chunks_indexed: u64,
    /// Chunks embedded by the model in this run.
    pub chunks_embedded: u64,
    /// New chunks whose vector was already cached (same content elsewhere or before).
    pub embeddings_reused: u64,
    /// Binary files skipped.
    pub skipped_binary: u64,
    /// Files over the size limit skipped.
    pub skipped_large: u64,
    /// Wall time.
    pub seconds: f64,
}

/// Progress reports while refreshing.
#[derive(Debug, Clone, Copy)]
pub enum Progress {
    /// Reading files: done of total to read.
    Files { done: u64, total: u64 },
    /// Embedding chunks: done of total to embed.
    Embedding { done: u64, total: u64 },
}

/// Search modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Keyword and semantic, fused.
    Hybrid,
    /// BM25 only (never loads the model).
    Keyword,
    /// Embedding similarity only.
    Semantic,
}

/// One search result.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// The file.
    pub path: VPath,
    /// Relevance (BM25 for keyword, cosine for semantic, fused rank score for hybrid).
    pub score: f32,
    /// First line of the region.
    pub start_line: u32,
    /// Last line of the region.
    pub end_line: u32,
    /// The region's text around the matched terms (`**term**`).
    pub snippet: String,
}

/// The on-disk search index of one configuration.
pub struct SearchIndex {
    dir: PathBuf,
    catalog: Catalog,
    fulltext: FullText,
}

/// An exclusive writer lock on the index (released when dropped).
pub struct WriteLock(#[allow(dead_code)] File);

impl SearchIndex {
    /// Opens the index under `state_dir/index`, creating it if missing; repairs a keyword
    /// index that cannot be opened by rebuilding it from the catalog.
    pub fn open(state_dir: &Path) -> Result<SearchIndex> {
        let dir = state_dir.join("index");
        std::fs::create_dir_all(&dir).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!(
                    "cannot create the index folder: {}",
                    Error::from_io(&e).message()
                ),
            )
            .at(dir.display())
        })?;
        let catalog = Catalog::open(&dir.join("catalog.sqlite"))?;
        let ft_dir = dir.join("fulltext");
        let fulltext = match FullText::open(&ft_dir) {
            Ok(f) => f,
            Err(_) => {
                // Unusable keyword index (a crash at the wrong moment, a version change):
                // rebuild it from the catalog, which holds every chunk's text.
                let _ = std::fs::remove_dir_all(&ft_dir);
                let f = FullText::open(&ft_dir)?;
                let mut w = f.writer()?;
                f.delete_all(&mut w)?;
                catalog.all_chunks(&mut |c| {
                    let vpath = format!("{}/{}", c.mount, c.path);
                    let title = title_of(&vpath, c.heading.as_deref());
                    f.add(
                        &w,
                        &ChunkDoc {
                            id: c.id,
                            path: &vpath,
                            title: &title,
                            body: &c.text,
                        },
                    )
                })?;
                f.commit(w)?;
                f
            }
        };
        Ok(SearchIndex {
            dir,
            catalog,
            fulltext,
        })
    }

    /// Takes the writer lock, waiting up to `wait`; `None` if another process holds it.
    pub fn lock(&self, wait: Duration) -> Result<Option<WriteLock>> {
        let f = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.dir.join("write.lock"))
            .map_err(|e| Error::io(&e, self.dir.display()))?;
        let deadline = Instant::now() + wait;
        loop {
            match f.try_lock() {
                Ok(()) => return Ok(Some(WriteLock(f))),
                Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(Error::io(&e, self.dir.display()));
                }
            }
        }
    }

    /// Bytes the index takes on disk.
    pub fn size_on_disk(&self) -> u64 {
        walkdir::WalkDir::new(&self.dir)
            .into_iter()
            .flatten()
            .filter_map(|e| e.metadata().ok())
            .map(|m| m.len())
            .sum()
    }

    /// Forgets everything indexed (cached vectors are kept, so a rebuild re-embeds nothing
    /// that was embedded before).
    pub fn clear(&self, _lock: &WriteLock) -> Result<()> {
        let mut w = self.fulltext.writer()?;
        self.fulltext.delete_all(&mut w)?;
        self.fulltext.commit(w)?;
        self.catalog.clear()
    }

    /// Brings the index up to date for the indexed mounts at or below `scope` (or the mount
    /// containing it). With an embedder, chunks without a vector are embedded.
    pub fn refresh(
        &self,
        vfs: &Vfs,
        scope: &VPath,
        embedder: Option<&dyn Embedder>,
        _lock: &WriteLock,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<IndexStats> {
        let started = Instant::now();
        let mut stats = IndexStats::default();
        for (mount, sub) in indexed_targets(vfs, scope)? {
            self.refresh_mount(vfs, mount, &sub, &mut stats, progress)?;
        }
        if let Some(e) = embedder {
            self.embed_missing(e, &mut stats, progress)?;
        }
        stats.seconds = started.elapsed().as_secs_f64();
        Ok(stats)
    }

    fn refresh_mount(
        &self,
        vfs: &Vfs,
        mount: &MountEntry,
        sub: &str,
        stats: &mut IndexStats,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<()> {
        let mkey = mount.path().as_str();
        let backend = mount.backend()?;
        let known = self.catalog.files(mkey)?;
        let in_scope =
            |rel: &str| sub.is_empty() || rel == sub || rel.starts_with(&format!("{sub}/"));

        // 1. A cheap walk: which files changed (by version) since the catalog saw them?
        let mut seen = HashSet::new();
        let mut changed: Vec<(String, String, u64)> = Vec::new();
        let start = if sub.is_empty() {
            mount.path().clone()
        } else {
            mount.path().join(sub)?
        };
        let top = backend.stat(sub, Default::default());
        let mut visit = |rel: String, size: u64, version: String| {
            stats.files_scanned += 1;
            match known.get(&rel) {
                Some(row) if row.version == version => stats.files_unchanged += 1,
                _ => changed.push((rel.clone(), version, size)),
            }
            seen.insert(rel);
        };
        match top {
            Ok(m) if m.kind == Kind::File => visit(sub.to_string(), m.size, version_of(&m)),
            Ok(_) => {
                let prefix_len = mount.path().as_str().len() + 1;
                vfs.walk(start.as_str(), &mut |e| {
                    if e.meta.kind == Kind::File {
                        let rel = e
                            .path
                            .as_str()
                            .get(prefix_len..)
                            .unwrap_or_default()
                            .to_string();
                        visit(rel, e.meta.size, version_of(&e.meta));
                    }
                    Walk::Continue
                })?;
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let removed: Vec<String> = known
            .keys()
            .filter(|k| in_scope(k) && !seen.contains(*k))
            .cloned()
            .collect();

        // 2. Apply in committed batches: keyword index first, then the catalog.
        let total = changed.len() as u64;
        let mut done = 0u64;
        let mut pending = removed
            .into_iter()
            .map(Change::Removed)
            .chain(changed.into_iter().map(Change::Updated))
            .peekable();
        while pending.peek().is_some() {
            let writer = self.fulltext.writer()?;
            self.catalog.begin()?;
            for change in pending.by_ref().take(BATCH_FILES) {
                match change {
                    Change::Removed(rel) => {
                        self.fulltext.delete_file(&writer, &format!("{mkey}/{rel}"));
                        self.catalog.remove_file(mkey, &rel)?;
                        stats.files_removed += 1;
                    }
                    Change::Updated((rel, version, size)) => {
                        self.index_file(
                            mount,
                            &rel,
                            &version,
                            size,
                            known.get(&rel),
                            &writer,
                            stats,
                        )?;
                        done += 1;
                        progress(Progress::Files { done, total });
                    }
                }
            }
            self.fulltext.commit(writer)?;
            self.catalog.commit()?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn index_file(
        &self,
        mount: &MountEntry,
        rel: &str,
        version: &str,
        size: u64,
        known: Option<&FileRow>,
        writer: &tantivy::IndexWriter,
        stats: &mut IndexStats,
    ) -> Result<()> {
        let mkey = mount.path().as_str();
        let vpath = format!("{mkey}/{rel}");
        let skip = |hash: &str, stats_field: &mut u64| -> Result<()> {
            *stats_field += 1;
            self.fulltext.delete_file(writer, &vpath);
            let row = FileRow {
                version: version.to_string(),
                hash: hash.to_string(),
            };
            self.catalog
                .replace_file(mkey, rel, &row, size, &[])
                .map(|_| ())
        };
        if size > MAX_FILE_BYTES {
            return skip("skipped:large", &mut stats.skipped_large);
        }
        let mut bytes = Vec::with_capacity(size as usize);
        let read = mount.backend()?.open(rel).and_then(|c| {
            c.take(MAX_FILE_BYTES + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| Error::io(&e, &vpath))
        });
        if let Err(e) = read {
            if e.kind() == ErrorKind::NotFound {
                // Gone between the walk and the read.
                self.fulltext.delete_file(writer, &vpath);
                return self.catalog.remove_file(mkey, rel);
            }
            return Err(e);
        }
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return skip("skipped:large", &mut stats.skipped_large);
        }
        if memchr::memchr(0, &bytes).is_some() {
            return skip("skipped:binary", &mut stats.skipped_binary);
        }
        let mut h = EtagHasher::new();
        h.update(&bytes);
        let hash = h.finish();
        if known.is_some_and(|k| k.hash == hash) {
            // Touched, not changed: nothing to re-chunk.
            return self.catalog.touch_file(mkey, rel, version);
        }
        let text = String::from_utf8_lossy(&bytes);
        let chunks = chunk::chunk(rel, &text, &CHUNKING);
        let hashes: Vec<String> = chunks
            .iter()
            .map(|c| chunk_hash(c.heading.as_deref(), &c.text))
            .collect();
        let new: Vec<NewChunk<'_>> = chunks
            .iter()
            .zip(&hashes)
            .map(|(c, h)| NewChunk {
                start_line: c.start_line,
                end_line: c.end_line,
                heading: c.heading.as_deref(),
                text: &c.text,
                hash: h,
            })
            .collect();
        let row = FileRow {
            version: version.to_string(),
            hash,
        };
        let ids = self.catalog.replace_file(mkey, rel, &row, size, &new)?;
        self.fulltext.delete_file(writer, &vpath);
        for (c, id) in chunks.iter().zip(ids) {
            let title = title_of(&vpath, c.heading.as_deref());
            self.fulltext.add(
                writer,
                &ChunkDoc {
                    id,
                    path: &vpath,
                    title: &title,
                    body: &c.text,
                },
            )?;
        }
        stats.files_indexed += 1;
        stats.chunks_indexed += chunks.len() as u64;
        Ok(())
    }

    /// Embeds every chunk whose content has no vector for the model yet.
    fn embed_missing(
        &self,
        e: &dyn Embedder,
        stats: &mut IndexStats,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<()> {
        let model = e.model_id().to_string();
        let missing = self.catalog.missing_vectors(&model)?;
        let total = missing.len() as u64;
        stats.embeddings_reused = stats.chunks_indexed.saturating_sub(total);
        let mut done = 0u64;
        for batch in missing.chunks(EMBED_BATCH * 8) {
            self.catalog.begin()?;
            for group in batch.chunks(EMBED_BATCH) {
                let texts: Vec<String> = group
                    .iter()
                    .map(|(_, heading, text)| embed_text(heading.as_deref(), text))
                    .collect();
                let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                let vectors = e
                    .embed(&refs)
                    .map_err(|m| Error::new(ErrorKind::Io, format!("embedding failed: {m}")))?;
                for ((hash, _, _), v) in group.iter().zip(&vectors) {
                    self.catalog.put_vector(hash, &model, v)?;
                }
                done += group.len() as u64;
                progress(Progress::Embedding { done, total });
            }
            self.catalog.commit()?;
        }
        stats.chunks_embedded = total;
        Ok(())
    }

    /// Answers `query` over the indexed mounts at or below `scope`.
    pub fn search(
        &self,
        vfs: &Vfs,
        query: &str,
        scope: &VPath,
        limit: usize,
        mode: Mode,
        embedder: Option<&dyn Embedder>,
    ) -> Result<Vec<Hit>> {
        let targets = indexed_targets(vfs, scope)?;
        let pool = (limit * 5).max(50);
        let keyword = if mode != Mode::Semantic {
            self.fulltext.search(query, scope.as_str(), pool)?
        } else {
            Vec::new()
        };
        let semantic = match (mode, embedder) {
            (Mode::Keyword, _) | (_, None) => Vec::new(),
            (_, Some(e)) => {
                let q = e.embed(&[query]).map_err(|m| {
                    Error::new(ErrorKind::Io, format!("embedding the query failed: {m}"))
                })?;
                let q = q.into_iter().next().unwrap_or_default();
                let mut all = Vec::new();
                for (mount, sub) in &targets {
                    all.extend(self.catalog.nearest(
                        mount.path().as_str(),
                        sub,
                        e.model_id(),
                        &q,
                        pool,
                    )?);
                }
                all.sort_by(|a, b| b.1.total_cmp(&a.1));
                all.truncate(pool);
                all
            }
        };
        let ranked: Vec<(u64, f32)> = match mode {
            Mode::Keyword => keyword,
            Mode::Semantic => semantic,
            Mode::Hybrid if semantic.is_empty() => keyword,
            Mode::Hybrid => fuse(&[&keyword, &semantic]),
        };
        let ids: Vec<u64> = ranked.iter().map(|r| r.0).collect();
        let rows: HashMap<u64, catalog::ChunkRow> = self
            .catalog
            .chunks(&ids)?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        let snippets = self.fulltext.snippets(query, 240);
        let mut hits: Vec<Hit> = Vec::new();
        for (id, score) in ranked {
            let Some(c) = rows.get(&id) else { continue };
            let Ok(path) = VPath::parse(&format!("{}/{}", c.mount, c.path)) else {
                continue;
            };
            // One hit per file region: skip a chunk overlapping a better one of the same file.
            if hits
                .iter()
                .any(|h| h.path == path && h.start_line <= c.end_line && c.start_line <= h.end_line)
            {
                continue;
            }
            let snippet = snippets
                .of(&c.text)
                .unwrap_or_else(|| head_chars(&c.text, 240));
            hits.push(Hit {
                path,
                score,
                start_line: c.start_line,
                end_line: c.end_line,
                snippet,
            });
            if hits.len() == limit {
                break;
            }
        }
        Ok(hits)
    }
}

enum Change {
    Removed(String),
    Updated((String, String, u64)),
}

/// The change marker of a file: the store's ETag when it has one, else size and mtime.
fn version_of(m: &crate::backend::Meta) -> String {
    if let Some(tag) = &m.etag {
        return format!("etag:{tag}");
    }
    let mtime = m
        .modified
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    format!("{}:{mtime}", m.size)
}

fn chunk_hash(heading: Option<&str>, text: &str) -> String {
    let mut h = EtagHasher::new();
    h.update(heading.unwrap_or("").as_bytes());
    h.update(b"\0");
    h.update(text.as_bytes());
    h.finish()
}

/// What the model sees: the heading path travels with its section's chunks.
fn embed_text(heading: Option<&str>, text: &str) -> String {
    match heading {
        Some(h) if !h.is_empty() => format!("{h}\n{text}"),
        _ => text.to_string(),
    }
}

fn title_of(vpath: &str, heading: Option<&str>) -> String {
    let name = vpath.rsplit('/').next().unwrap_or(vpath);
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let stem = stem.replace(['-', '_'], " ");
    match heading {
        Some(h) => format!("{h} {stem}"),
        None => stem,
    }
}

fn head_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

/// Reciprocal rank fusion of rankings (best first).
fn fuse(lists: &[&Vec<(u64, f32)>]) -> Vec<(u64, f32)> {
    let mut score: HashMap<u64, f32> = HashMap::new();
    for list in lists {
        for (rank, (id, _)) in list.iter().enumerate() {
            *score.entry(*id).or_default() += 1.0 / (RRF_K + rank as f32 + 1.0);
        }
    }
    let mut out: Vec<(u64, f32)> = score.into_iter().collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

/// What [`run_search`] found, and a notice when it had to degrade.
pub struct SearchOutcome {
    /// The hits, best first.
    pub hits: Vec<Hit>,
    /// The mode actually used (hybrid falls back to keyword without a model).
    pub mode: Mode,
    /// A one-line notice for the user (fallback to keyword, stale answer), if any.
    pub notice: Option<String>,
}

/// The model a search in `mode` uses, and the mode it really runs in.
pub struct ModelChoice {
    /// The model, if the mode needs one and it is available.
    pub embedder: Option<&'static dyn Embedder>,
    /// The mode used: hybrid becomes keyword when no model is available.
    pub mode: Mode,
    /// The one-line notice for that fallback.
    pub notice: Option<String>,
}

/// Picks the model for `mode`: keyword never loads it; hybrid without a model falls back to
/// keyword with a notice; semantic without a model is an error.
pub fn choose_model(settings: &crate::config::SearchSettings, mode: Mode) -> Result<ModelChoice> {
    if mode == Mode::Keyword {
        return Ok(ModelChoice {
            embedder: None,
            mode,
            notice: None,
        });
    }
    match shared_embedder(settings) {
        Ok(e) => Ok(ModelChoice {
            embedder: Some(e),
            mode,
            notice: None,
        }),
        Err(why) if mode == Mode::Semantic => Err(Error::new(
            ErrorKind::Unsupported,
            format!("semantic search is unavailable: {why}"),
        )
        .hint("use --mode keyword, or install a model (scripts/install-model.sh)")),
        Err(why) => Ok(ModelChoice {
            embedder: None,
            mode: Mode::Keyword,
            notice: Some(format!(
                "semantic search unavailable ({why}); using keyword search"
            )),
        }),
    }
}

/// How long a search waits for another process's indexing before answering from the last
/// committed state.
const SEARCH_LOCK_WAIT: Duration = Duration::from_millis(1500);

/// A whole search as the CLI and the tools run it: pick the model (keyword never loads it;
/// hybrid falls back to keyword with a notice; semantic without a model is an error),
/// catch the index up with every change in scope (unless another process is writing it),
/// then rank.
pub fn run_search(
    vfs: &Vfs,
    query: &str,
    scope: &VPath,
    limit: usize,
    mode: Mode,
) -> Result<SearchOutcome> {
    if query.trim().is_empty() {
        return Err(Error::usage("empty query; say what to look for"));
    }
    let index = SearchIndex::open(&vfs.config().state_dir)?;
    let ModelChoice {
        embedder,
        mode,
        notice,
    } = choose_model(&vfs.config().search, mode)?;
    let mut notice = notice;
    match index.lock(SEARCH_LOCK_WAIT)? {
        Some(lock) => {
            index.refresh(vfs, scope, embedder, &lock, &mut |_| {})?;
        }
        None => {
            notice = Some(
                "another ax process is updating the index; answered from its last committed state"
                    .into(),
            )
        }
    }
    let hits = index.search(vfs, query, scope, limit.max(1), mode, embedder)?;
    Ok(SearchOutcome { hits, mode, notice })
}

/// The embedding model for `settings`, loaded at most once per process (so `ax mcp` and
/// `ax watch` keep it warm). `Err` says in one sentence why semantic search is unavailable.
pub fn shared_embedder(
    settings: &crate::config::SearchSettings,
) -> std::result::Result<&'static dyn Embedder, String> {
    static MODEL: std::sync::OnceLock<std::result::Result<Box<dyn Embedder>, String>> =
        std::sync::OnceLock::new();
    if settings.embedder == crate::config::Embedder::None {
        return Err("semantic search is off in ax.yaml (search.embedder: none)".to_string());
    }
    MODEL
        .get_or_init(|| embed::load(settings.model_dir.as_deref()))
        .as_ref()
        .map(|b| b.as_ref())
        .map_err(Clone::clone)
}

/// The indexed mounts a scope covers, each with the sub-path (relative) to restrict to.
pub fn indexed_targets<'v>(vfs: &'v Vfs, scope: &VPath) -> Result<Vec<(&'v MountEntry, String)>> {
    if let Some(loc) = vfs.mounts().route(scope) {
        if !loc.mount.config.index {
            return Err(Error::new(ErrorKind::Usage, format!("mount {} is not indexed", loc.mount.path()))
                .at(scope)
                .hint("search an indexed mount (`ax mounts` shows them), or set `index: true` on this mount in ax.yaml"));
        }
        return Ok(vec![(loc.mount, loc.rel)]);
    }
    let list: Vec<(&MountEntry, String)> = vfs
        .mounts()
        .below(scope)
        .into_iter()
        .filter(|m| m.config.index)
        .map(|m| (m, String::new()))
        .collect();
    if list.is_empty() && vfs.mounts().is_virtual_dir(scope) {
        return Err(Error::new(ErrorKind::Usage, "no indexed mount here")
            .at(scope)
            .hint("set `index: true` on a mount in ax.yaml (warm mounts are indexed by default)"));
    }
    if list.is_empty() {
        return Err(vfs
            .mounts()
            .locate(scope)
            .err()
            .unwrap_or_else(|| Error::new(ErrorKind::NotFound, "no mount here").at(scope)));
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fusion_rewards_agreement() {
        let a = vec![(1, 9.0), (2, 8.0), (3, 7.0)];
        let b = vec![(3, 0.9), (1, 0.8), (4, 0.7)];
        let f = fuse(&[&a, &b]);
        assert_eq!(f[0].0, 1, "first in one list and second in the other wins");
        assert_eq!(f.len(), 4);
    }

    #[test]
    fn titles_and_snippets() {
        assert_eq!(
            title_of("/docs/ch04-02_refs.md", Some("Ownership")),
            "Ownership ch04 02 refs"
        );
        assert_eq!(head_chars("héllo wörld", 5), "héllo…");
    }
}
