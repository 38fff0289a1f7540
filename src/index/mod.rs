//! Search over indexed mounts (the warm tier, and any mount with `index: true`).
//!
//! Architecture:
//! - [`chunk`] splits a file into structure-aware chunks with line ranges;
//! - [`catalog`] (SQLite, WAL) records files, chunks and the embedding cache — the source of
//!   truth for incremental indexing;
//! - [`fulltext`] (tantivy) ranks chunks, and whole files, by BM25 for keyword search;
//! - [`embed`] finds, verifies and loads the local embedding model for semantic search;
//! - this module ties them together: [`SearchIndex::refresh`] brings the keyword side up to
//!   date with a cheap walk (only files whose version changed are read), [`update_index`]
//!   then embeds the chunks whose content has no vector yet (loading the model only then), and
//!   [`SearchIndex::search`] answers keyword, semantic or hybrid queries.
//!
//! **Results are files.** Each hit is one file: its best region plus its other matching
//! regions. Keyword ranking of a file = its best chunk's BM25 (max-pooled, never summed, so a
//! long file does not win by having many mediocre chunks) + a weighted BM25 of the file-level
//! view (title, headings, path, whole text). Semantic ranking of a file = its best chunk's
//! cosine + half its second-best (a file with one chunk counts its best twice): measured on
//! the dev half, this beat the best cosine alone (+0.04 semantic, +0.025 hybrid nDCG@10), and
//! it is bounded, so many mediocre chunks still cannot outweigh one good one. Hybrid fuses the two per-file rankings by weighted reciprocal rank fusion. Weights
//! and the relevance floor were chosen on the dev half of `bench/search`'s queries
//! ([`Tuning`]); `AX_SEARCH_PARAMS` overrides them for benchmarking only.
//!
//! **No hits without evidence.** Dense retrieval always has nearest neighbours; a file found
//! by the model alone is a hit only when its best cosine reaches [`Tuning::floor`], and every
//! hit says which side found it ([`FoundBy`]).
//!
//! **Always fresh, never blocked.** A search refreshes its scope first, so it sees every
//! change made through ax and behind its back; if only a few chunks lack vectors it embeds
//! them inline, otherwise it answers at once (semantic results from what is embedded, keyword
//! for the rest) with a notice saying how far embedding has got. **Two locks.**
//! `index/write.lock` guards the catalog's files and chunks and the keyword index; a search
//! that finds it taken waits briefly, then answers from the last committed state.
//! `index/embed.lock` is held while embedding, which only ever adds vectors, so searches and
//! keyword updates go on meanwhile. **Crash-safe.** Work is committed in batches, keyword index
//! first and catalog second; a crash between the two leaves the catalog's old version, so the
//! next run redoes that file (deleting its documents by path first), and a keyword index that
//! cannot be opened, or is missing, is rebuilt from the catalog. Vectors are committed every
//! few hundred chunks, so an interrupted embedding resumes where it stopped.

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
use crate::vfs::{MountEntry, Vfs};
use crate::vpath::VPath;
use catalog::{Catalog, ChunkRow, FileRow, NewChunk};
use embed::Embedder;
use fulltext::{Boosts, ChunkDoc, FileDoc, FullText, Terms, Writer};

/// Files larger than this are skipped (counted, not an error).
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;
/// Files per committed batch while indexing.
const BATCH_FILES: usize = 200;
/// Chunks stay within what the embedding model reads (256 tokens, about 1,000 characters).
const CHUNKING: chunk::ChunkOptions = chunk::ChunkOptions {
    max_chars: 1000,
    overlap_lines: 2,
};
/// A search embeds missing chunks itself only up to this many (a handful of changed files);
/// more is a bulk job for `ax index`, and the search answers without waiting for it.
pub const INLINE_EMBED_MAX: u64 = 64;
/// Vectors are committed every this many chunks (progress visible, interruption cheap).
const EMBED_COMMIT: usize = 256;
/// Padded tokens per inference call. Length-sorted chunks batch by this budget, so short
/// chunks go many at a time and long ones few; it also bounds the runtime's activations,
/// which ONNX Runtime's arena keeps at their high-water mark. Measured on 150 long pages of
/// the Rust books (2 cores): 4,096 tokens 119 s at 603 MB peak RSS, 2,048 109 s at 352 MB,
/// 1,024 112 s at 223 MB (arena off instead: slower, and still 386 MB at 2,048).
const EMBED_TOKEN_BUDGET: usize = 1024;
/// At most this many texts per inference call, however short.
const EMBED_MAX_BATCH: usize = 128;
/// Regions listed per hit (the best one first).
const MAX_REGIONS: usize = 5;

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
    /// Chunk contents still without a vector when the run ended (0 after a full run).
    pub chunks_pending: u64,
    /// Whether this run loaded the embedding model (only when something needed embedding).
    pub model_loaded: bool,
    /// Binary files skipped.
    pub skipped_binary: u64,
    /// Files over the size limit skipped.
    pub skipped_large: u64,
    /// Seconds until every file was keyword-searchable.
    pub keyword_seconds: f64,
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

/// Which side of the search found a hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FoundBy {
    /// Its words (BM25).
    Keyword,
    /// Its meaning (the embedding model), above the relevance floor.
    Semantic,
    /// Both.
    Both,
}

/// One matching region of a file.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Region {
    /// First line.
    pub start_line: u32,
    /// Last line.
    pub end_line: u32,
    /// The region's relevance within this search (same scale as the other regions').
    pub score: f32,
}

/// One search result: a file.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// The file.
    pub path: VPath,
    /// Relevance of the file (BM25 for keyword, cosine for semantic, fused rank score for
    /// hybrid); comparable within one search only.
    pub score: f32,
    /// First line of the best region.
    pub start_line: u32,
    /// Last line of the best region.
    pub end_line: u32,
    /// The best region's text around the matched terms (`**term**`).
    pub snippet: String,
    /// Every matching region of the file, best first (the first is the one above); they do
    /// not overlap.
    pub regions: Vec<Region>,
    /// Which side found it.
    pub found_by: FoundBy,
}

/// The ranking's parameters. The defaults were measured on the dev half of the
/// `bench/search` queries (see its README for the figures); `AX_SEARCH_PARAMS`
/// (`key=value,…`, keys as in [`Tuning::set`]) overrides them, for benchmarking only.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tuning {
    /// Reciprocal-rank-fusion constant (`k`).
    pub rrf_k: f32,
    /// Weight of the keyword ranking in hybrid fusion (`w_kw`).
    pub w_keyword: f32,
    /// Weight of the semantic ranking in hybrid fusion (`w_sem`).
    pub w_semantic: f32,
    /// Weight of the file-level BM25 added to a file's best chunk BM25 (`w_file`).
    pub w_file: f32,
    /// Least cosine for a hit found by the model alone (`floor`).
    pub floor: f32,
    /// Semantic score of a file = best chunk cosine + this × its second-best (`sem_second`;
    /// the best again for a file with one chunk).
    pub sem_second: f32,
    /// How hybrid fuses the per-file rankings (`fusion`: `rrf` or `linear`).
    pub fusion: Fusion,
    /// Linear fusion: the cosine that counts as no similarity at all (`sem_zero`).
    pub sem_zero: f32,
    /// Field weights (`b_ctitle`, `b_ftitle`, `b_fhead`, `b_fpath`, `b_fbody`).
    pub boosts: Boosts,
    /// Chunks the keyword side ranks before pooling them into files (`chunk_pool`).
    pub chunk_pool: usize,
    /// Files the file-level keyword view ranks (`file_pool`).
    pub file_pool: usize,
    /// Chunks the semantic side ranks before pooling them into files (`sem_pool`).
    pub sem_pool: usize,
    /// Padded tokens per inference call while embedding (`embed_tokens`).
    pub embed_tokens: usize,
    /// Texts per inference call at most (`embed_batch`).
    pub embed_batch: usize,
}

/// How hybrid search combines the keyword and semantic rankings of files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fusion {
    /// Weighted reciprocal rank fusion: `w / (k + rank)` summed over the two rankings.
    Rrf,
    /// Weighted sum of the scores, each scaled to the best of its side (BM25 / best BM25;
    /// cosine above `sem_zero` / the best's).
    Linear,
}

/// The environment variable that overrides [`Tuning`] (benchmarks only).
pub const TUNING_ENV: &str = "AX_SEARCH_PARAMS";

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            rrf_k: 60.0,
            w_keyword: 1.0,
            w_semantic: 1.0,
            w_file: 3.0,
            floor: 0.25,
            sem_second: 0.5,
            fusion: Fusion::Rrf,
            sem_zero: 0.2,
            boosts: Boosts {
                chunk_title: 0.0,
                file_title: 0.3,
                file_headings: 0.3,
                file_path: 0.3,
                file_body: 1.0,
            },
            chunk_pool: 300,
            file_pool: 100,
            sem_pool: 1000,
            embed_tokens: EMBED_TOKEN_BUDGET,
            embed_batch: EMBED_MAX_BATCH,
        }
    }
}

impl Tuning {
    /// The defaults with `AX_SEARCH_PARAMS` applied; a bad entry is a usage error.
    pub fn from_env() -> Result<Tuning> {
        let mut t = Tuning::default();
        if let Some(spec) = std::env::var_os(TUNING_ENV) {
            let spec = spec.to_string_lossy();
            for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let (k, v) = item.split_once('=').unwrap_or((item, ""));
                t.set(k.trim(), v.trim()).map_err(|why| {
                    Error::usage(format!("{TUNING_ENV}: {item}: {why}"))
                        .hint("unset it to use the measured defaults")
                })?;
            }
        }
        Ok(t)
    }

    /// Sets one parameter by its key.
    pub fn set(&mut self, key: &str, value: &str) -> std::result::Result<(), String> {
        let num = || value.parse::<f32>().map_err(|_| "not a number".to_string());
        let count = || {
            value
                .parse::<usize>()
                .map_err(|_| "not a count".to_string())
        };
        match key {
            "k" => self.rrf_k = num()?,
            "w_kw" => self.w_keyword = num()?,
            "w_sem" => self.w_semantic = num()?,
            "w_file" => self.w_file = num()?,
            "floor" => self.floor = num()?,
            "sem_second" => self.sem_second = num()?,
            "sem_zero" => self.sem_zero = num()?,
            "fusion" => {
                self.fusion = match value {
                    "rrf" => Fusion::Rrf,
                    "linear" => Fusion::Linear,
                    _ => return Err("rrf or linear".into()),
                }
            }
            "b_ctitle" => self.boosts.chunk_title = num()?,
            "b_ftitle" => self.boosts.file_title = num()?,
            "b_fhead" => self.boosts.file_headings = num()?,
            "b_fpath" => self.boosts.file_path = num()?,
            "b_fbody" => self.boosts.file_body = num()?,
            "chunk_pool" => self.chunk_pool = count()?.max(1),
            "file_pool" => self.file_pool = count()?.max(1),
            "sem_pool" => self.sem_pool = count()?.max(1),
            "embed_tokens" => self.embed_tokens = count()?.max(1),
            "embed_batch" => self.embed_batch = count()?.max(1),
            _ => return Err("unknown parameter".into()),
        }
        Ok(())
    }
}

/// The on-disk search index of one configuration.
pub struct SearchIndex {
    dir: PathBuf,
    catalog: Catalog,
    fulltext: FullText,
}

/// An exclusive lock on part of the index (released when dropped).
pub struct WriteLock(#[allow(dead_code)] File);

/// Everything a file's chunks contribute, for ranking and regions.
#[derive(Default)]
struct Evidence {
    /// Best chunk BM25.
    kw_chunk: Option<f32>,
    /// File-level BM25.
    kw_file: Option<f32>,
    /// Best chunk cosine.
    sem: Option<f32>,
    /// Second-best chunk cosine (the best again for a file with one chunk).
    sem_second: Option<f32>,
    /// Chunk id → (keyword rank and score, semantic rank and cosine).
    chunks: HashMap<u64, ChunkEvidence>,
}

#[derive(Default, Clone, Copy)]
struct ChunkEvidence {
    kw: Option<(usize, f32)>,
    sem: Option<(usize, f32)>,
}

impl Evidence {
    fn keyword_score(&self, t: &Tuning) -> Option<f32> {
        match (self.kw_chunk, self.kw_file) {
            (None, None) => None,
            (c, f) => Some(c.unwrap_or(0.0) + t.w_file * f.unwrap_or(0.0)),
        }
    }

    /// The file's semantic score: best cosine + `sem_second` × second-best.
    fn semantic_score(&self, t: &Tuning) -> Option<f32> {
        self.sem
            .map(|c| c + t.sem_second * self.sem_second.unwrap_or(c))
    }

    /// The semantic score when it counts as evidence: the best cosine reaches the floor.
    fn semantic_evidence(&self, t: &Tuning) -> Option<f32> {
        self.sem
            .filter(|&c| c >= t.floor)
            .and(self.semantic_score(t))
    }
}

impl SearchIndex {
    /// Opens the index under `state_dir/index`, creating it if missing; fills or repairs a
    /// keyword index that is missing or cannot be opened by rebuilding it from the catalog.
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
        // `keyword/` replaced the chunk-only `fulltext/` of earlier versions.
        let ft_dir = dir.join("keyword");
        let exists = ["chunks", "files"]
            .iter()
            .all(|p| ft_dir.join(p).join("meta.json").is_file());
        // Creating (or repairing) the keyword index happens under the writer lock: two
        // processes creating it at once would each write an empty index over the other's.
        let creating = if exists {
            None
        } else {
            let lock = take_lock(&dir, "write.lock", Duration::from_secs(120))?;
            let _ = std::fs::remove_dir_all(dir.join("fulltext"));
            Some(lock)
        };
        let (fulltext, fill) = match FullText::open(&ft_dir) {
            Ok((f, created)) => (f, created),
            Err(_) if creating.is_some() || exists => {
                // Unusable keyword index (a crash at the wrong moment, a version change):
                // rebuild it from the catalog, which holds every chunk's text.
                let _lock = match creating {
                    Some(_) => None,
                    None => take_lock(&dir, "write.lock", Duration::from_secs(120))?,
                };
                let _ = std::fs::remove_dir_all(&ft_dir);
                (FullText::open(&ft_dir)?.0, true)
            }
            Err(e) => return Err(e),
        };
        if fill && catalog.counts()?.1 > 0 {
            Self::fill_from_catalog(&fulltext, &catalog)?;
        }
        drop(creating);
        Ok(SearchIndex {
            dir,
            catalog,
            fulltext,
        })
    }

    fn fill_from_catalog(f: &FullText, catalog: &Catalog) -> Result<()> {
        let mut w = f.writer()?;
        f.delete_all(&mut w)?;
        let mut file: Vec<ChunkRow> = Vec::new();
        let flush = |file: &mut Vec<ChunkRow>| -> Result<()> {
            let Some(first) = file.first() else {
                return Ok(());
            };
            let vpath = format!("{}/{}", first.mount, first.path);
            let body: Vec<&str> = file.iter().map(|c| c.text.as_str()).collect();
            add_file_doc(
                f,
                &w,
                &vpath,
                file.iter().map(|c| c.heading.as_deref()),
                &body.join("\n"),
            )?;
            file.clear();
            Ok(())
        };
        catalog.all_chunks(&mut |c| {
            if file
                .first()
                .is_some_and(|p| p.mount != c.mount || p.path != c.path)
            {
                flush(&mut file)?;
            }
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
            )?;
            file.push(c);
            Ok(())
        })?;
        flush(&mut file)?;
        f.commit(w)
    }

    /// Takes the writer lock (files, chunks, keyword index), waiting up to `wait`; `None` if
    /// another process holds it.
    pub fn lock(&self, wait: Duration) -> Result<Option<WriteLock>> {
        take_lock(&self.dir, "write.lock", wait)
    }

    /// Takes the embedding lock, waiting up to `wait`; `None` if another process is
    /// embedding.
    pub fn embed_lock(&self, wait: Duration) -> Result<Option<WriteLock>> {
        take_lock(&self.dir, "embed.lock", wait)
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

    /// Files and chunks indexed.
    pub fn counts(&self) -> Result<(u64, u64)> {
        self.catalog.counts()
    }

    /// `(embedded, all)` distinct chunk contents for `model`.
    pub fn embedded(&self, model: &str) -> Result<(u64, u64)> {
        self.catalog.embedded(model)
    }

    /// Forgets everything indexed (cached vectors are kept, so a rebuild re-embeds nothing
    /// that was embedded before).
    pub fn clear(&self, _lock: &WriteLock) -> Result<()> {
        let mut w = self.fulltext.writer()?;
        self.fulltext.delete_all(&mut w)?;
        self.fulltext.commit(w)?;
        self.catalog.clear()
    }

    /// Brings the catalog and the keyword index up to date for the indexed mounts at or below
    /// `scope` (or the mount containing it). Embedding is separate ([`Self::embed_pending`]):
    /// after this, every file is keyword-searchable.
    pub fn refresh(
        &self,
        vfs: &Vfs,
        scope: &VPath,
        _lock: &WriteLock,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<IndexStats> {
        let started = Instant::now();
        let mut stats = IndexStats::default();
        for (mount, sub) in indexed_targets(vfs, scope)? {
            self.refresh_mount(vfs, mount, &sub, &mut stats, progress)?;
        }
        stats.seconds = started.elapsed().as_secs_f64();
        stats.keyword_seconds = stats.seconds;
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
        writer: &Writer,
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
        add_file_doc(
            &self.fulltext,
            writer,
            &vpath,
            chunks.iter().map(|c| c.heading.as_deref()),
            &text,
        )?;
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

    /// Embeds every chunk content that has no vector for `e`'s model yet: shortest first, in
    /// batches of at most [`EMBED_TOKEN_BUDGET`] padded tokens, committing every
    /// [`EMBED_COMMIT`] chunks. Holds no lock itself: the caller holds the embedding lock.
    pub fn embed_pending(
        &self,
        e: &dyn Embedder,
        tuning: &Tuning,
        stats: &mut IndexStats,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<()> {
        let model = e.model_id().to_string();
        let missing = self.catalog.missing_vectors(&model)?;
        let total = missing.len() as u64;
        if missing.is_empty() {
            return Ok(());
        }
        let texts: Vec<String> = missing
            .iter()
            .map(|(_, heading, text)| embed_text(heading.as_deref(), text))
            .collect();
        let lengths = {
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            e.token_counts(&refs)
        };
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| (lengths.get(i).copied().unwrap_or(0), i));
        let batches = token_batches(&order, &lengths, tuning.embed_tokens, tuning.embed_batch);
        let mut done = 0u64;
        let mut uncommitted = 0usize;
        self.catalog.begin()?;
        for batch in batches {
            let refs: Vec<&str> = batch.iter().map(|&i| texts[i].as_str()).collect();
            let vectors = e
                .embed(&refs)
                .map_err(|m| Error::new(ErrorKind::Io, format!("embedding failed: {m}")))?;
            for (&i, v) in batch.iter().zip(&vectors) {
                self.catalog.put_vector(&missing[i].0, &model, v)?;
            }
            done += batch.len() as u64;
            uncommitted += batch.len();
            stats.chunks_embedded = done;
            if uncommitted >= EMBED_COMMIT {
                self.catalog.commit()?;
                self.catalog.begin()?;
                uncommitted = 0;
            }
            progress(Progress::Embedding { done, total });
        }
        self.catalog.commit()?;
        Ok(())
    }

    /// Embeds what a search can afford to (all missing chunks when there are at most
    /// `inline_max`, and nobody else is embedding), and otherwise says how far embedding has
    /// got: the notice a search shows while semantic results cover only part of the index.
    pub fn catch_up(
        &self,
        e: &dyn Embedder,
        tuning: &Tuning,
        inline_max: u64,
    ) -> Result<Option<String>> {
        let (mut done, mut total) = self.catalog.embedded(e.model_id())?;
        if done < total
            && total - done <= inline_max
            && let Some(_lock) = self.embed_lock(Duration::ZERO)?
        {
            self.embed_pending(e, tuning, &mut IndexStats::default(), &mut |_| {})?;
            (done, total) = self.catalog.embedded(e.model_id())?;
        }
        if done >= total {
            return Ok(None);
        }
        let busy = self.embed_lock(Duration::ZERO)?.is_none();
        let pct = (done as f64 * 100.0 / total.max(1) as f64).floor();
        Ok(Some(format!(
            "semantic index incomplete: {done} of {total} chunks embedded ({pct}%); {}",
            if busy {
                "another ax process is embedding the rest, and until then those rank by keyword alone"
            } else {
                "`ax index` embeds the rest; until then those rank by keyword alone"
            }
        )))
    }

    /// Answers `query` over the indexed mounts at or below `scope`: at most `limit` files,
    /// best first.
    #[allow(clippy::too_many_arguments)]
    pub fn search(
        &self,
        vfs: &Vfs,
        query: &str,
        scope: &VPath,
        limit: usize,
        mode: Mode,
        embedder: Option<&dyn Embedder>,
        tuning: &Tuning,
    ) -> Result<Vec<Hit>> {
        let t = tuning;
        let terms = Terms::of(query);
        let targets = indexed_targets(vfs, scope)?;
        let mut files: HashMap<String, Evidence> = HashMap::new();

        // 1. Keyword evidence: chunks (max-pooled per file) and the file-level view.
        if mode != Mode::Semantic && !terms.is_empty() {
            let chunks = self
                .fulltext
                .search(&terms, scope.as_str(), t.chunk_pool, &t.boosts)?;
            for (rank, (id, path, score)) in chunks.into_iter().enumerate() {
                let f = files.entry(path).or_default();
                f.kw_chunk = Some(f.kw_chunk.map_or(score, |s| s.max(score)));
                f.chunks.entry(id).or_default().kw = Some((rank, score));
            }
            for (path, score) in
                self.fulltext
                    .search_files(&terms, scope.as_str(), t.file_pool, &t.boosts)?
            {
                files.entry(path).or_default().kw_file = Some(score);
            }
        }

        // 2. Semantic evidence: nearest chunks, max-pooled per file.
        if let (true, Some(e)) = (mode != Mode::Keyword, embedder) {
            let q = e.embed(&[query]).map_err(|m| {
                Error::new(ErrorKind::Io, format!("embedding the query failed: {m}"))
            })?;
            let q = q.into_iter().next().unwrap_or_default();
            let mut near = Vec::new();
            let mut second = HashMap::new();
            for (mount, sub) in &targets {
                let m = mount.path().as_str();
                let found = self.catalog.nearest(m, sub, e.model_id(), &q, t.sem_pool)?;
                for (id, rel, cos) in found.chunks {
                    near.push((id, format!("{m}/{rel}"), cos));
                }
                second.extend(
                    found
                        .second
                        .into_iter()
                        .map(|(rel, cos)| (format!("{m}/{rel}"), cos)),
                );
            }
            near.sort_by(|a, b| b.2.total_cmp(&a.2));
            near.truncate(t.sem_pool);
            for (rank, (id, path, cos)) in near.into_iter().enumerate() {
                // In keyword-free modes a file needs the floor; in hybrid it may join a file
                // the keyword side found.
                let sec = second.get(&path).copied();
                let f = files.entry(path).or_default();
                if f.sem.is_none() {
                    f.sem_second = sec;
                }
                f.sem = Some(f.sem.map_or(cos, |s| s.max(cos)));
                f.chunks.entry(id).or_default().sem = Some((rank, cos));
            }
        }

        // 3. Per-file rankings, then the mode's score.
        let rank_by = |score: &dyn Fn(&Evidence) -> Option<f32>| -> HashMap<&str, usize> {
            let mut v: Vec<(&str, f32)> = files
                .iter()
                .filter_map(|(p, f)| score(f).map(|s| (p.as_str(), s)))
                .collect();
            v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
            v.into_iter()
                .enumerate()
                .map(|(i, (p, _))| (p, i))
                .collect()
        };
        let kw_rank = rank_by(&|f| f.keyword_score(t));
        let mut sem_rank = rank_by(&|f| f.semantic_score(t));
        // While embedding is unfinished, a file without any vector yet has no semantic rank
        // to lose: its keyword rank stands in, so it is not pushed down by files that merely
        // got embedded first ("semantic from what is embedded, keyword for the rest").
        if let (Mode::Hybrid, Some(e)) = (mode, embedder) {
            let (done, total) = self.catalog.embedded(e.model_id())?;
            if done < total {
                for (path, &r) in &kw_rank {
                    if sem_rank.contains_key(path) {
                        continue;
                    }
                    let Ok(vp) = VPath::parse(path) else { continue };
                    let (mount, rel) = split_vpath(&vp, &targets);
                    if !self.catalog.file_has_vectors(mount, rel, e.model_id())? {
                        sem_rank.insert(path, r);
                    }
                }
            }
        }
        let rrf =
            |rank: Option<&usize>, w: f32| rank.map_or(0.0, |&r| w / (t.rrf_k + r as f32 + 1.0));
        let best_kw = files
            .values()
            .filter_map(|f| f.keyword_score(t))
            .fold(0f32, f32::max);
        let best_sem = files
            .values()
            .filter_map(|f| f.semantic_score(t))
            .fold(t.sem_zero, f32::max);
        let linear = |kw: Option<f32>, sem: Option<f32>| {
            let k = kw.map_or(0.0, |s| s / best_kw.max(f32::MIN_POSITIVE));
            let c = sem.map_or(0.0, |c| {
                ((c - t.sem_zero) / (best_sem - t.sem_zero).max(f32::MIN_POSITIVE)).max(0.0)
            });
            t.w_keyword * k + t.w_semantic * c
        };
        let mut ranked: Vec<(&str, f32, FoundBy)> = Vec::new();
        for (path, f) in &files {
            let kw = f.keyword_score(t);
            let sem = f.semantic_evidence(t);
            let found_by = match (kw.is_some(), sem.is_some()) {
                (true, true) => FoundBy::Both,
                (true, false) => FoundBy::Keyword,
                (false, true) => FoundBy::Semantic,
                (false, false) => continue,
            };
            let p = path.as_str();
            let score = match mode {
                Mode::Keyword => kw,
                Mode::Semantic => sem,
                Mode::Hybrid if t.fusion == Fusion::Linear => Some(linear(kw, f.semantic_score(t))),
                Mode::Hybrid => {
                    Some(rrf(kw_rank.get(p), t.w_keyword) + rrf(sem_rank.get(p), t.w_semantic))
                }
            };
            let Some(score) = score else { continue };
            let found_by = match mode {
                Mode::Keyword => FoundBy::Keyword,
                Mode::Semantic => FoundBy::Semantic,
                Mode::Hybrid => found_by,
            };
            ranked.push((p, score, found_by));
        }
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
        ranked.truncate(limit);

        // 4. Regions of each file, best first.
        let region_score = |c: &ChunkEvidence| -> Option<f32> {
            let sem = c.sem.filter(|s| s.1 >= t.floor || c.kw.is_some());
            match mode {
                Mode::Keyword => c.kw.map(|k| k.1),
                Mode::Semantic => c.sem.filter(|s| s.1 >= t.floor).map(|s| s.1),
                Mode::Hybrid if c.kw.is_none() && sem.is_none() => None,
                Mode::Hybrid => Some(
                    c.kw.map_or(0.0, |k| t.w_keyword / (t.rrf_k + k.0 as f32 + 1.0))
                        + sem.map_or(0.0, |s| t.w_semantic / (t.rrf_k + s.0 as f32 + 1.0)),
                ),
            }
        };
        let snippets = self.fulltext.snippets(&terms, 240);
        let mut hits = Vec::with_capacity(ranked.len());
        for (path, score, found_by) in ranked {
            let f = &files[path];
            let mut scored: Vec<(u64, f32)> = f
                .chunks
                .iter()
                .filter_map(|(id, c)| region_score(c).map(|s| (*id, s)))
                .collect();
            if scored.is_empty() && !terms.is_empty() {
                // Found by its file-level view only: its best chunk, if any chunk matches.
                scored = self
                    .fulltext
                    .search(&terms, path, MAX_REGIONS, &t.boosts)?
                    .into_iter()
                    .map(|(id, _, s)| (id, s))
                    .collect();
            }
            scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let ids: Vec<u64> = scored.iter().map(|s| s.0).collect();
            let rows: HashMap<u64, ChunkRow> = self
                .catalog
                .chunks(&ids)?
                .into_iter()
                .map(|c| (c.id, c))
                .collect();
            let mut picked: Vec<(&ChunkRow, f32)> = Vec::new();
            for (id, s) in &scored {
                let Some(c) = rows.get(id) else { continue };
                if picked
                    .iter()
                    .any(|(p, _)| p.start_line <= c.end_line && c.start_line <= p.end_line)
                {
                    continue;
                }
                picked.push((c, *s));
                if picked.len() == MAX_REGIONS {
                    break;
                }
            }
            let Ok(vpath) = VPath::parse(path) else {
                continue;
            };
            let first;
            let best = match picked.first() {
                Some((c, _)) => *c,
                None => {
                    let (mount, rel) = split_vpath(&vpath, &targets);
                    match self.catalog.first_chunk(mount, rel)? {
                        Some(c) => {
                            first = c;
                            &first
                        }
                        None => continue,
                    }
                }
            };
            let snippet = snippets
                .of(&best.text)
                .unwrap_or_else(|| head_chars(&best.text, 240));
            let mut regions: Vec<Region> = picked
                .iter()
                .map(|(c, s)| Region {
                    start_line: c.start_line,
                    end_line: c.end_line,
                    score: *s,
                })
                .collect();
            if regions.is_empty() {
                regions.push(Region {
                    start_line: best.start_line,
                    end_line: best.end_line,
                    score,
                });
            }
            hits.push(Hit {
                path: vpath,
                score,
                start_line: best.start_line,
                end_line: best.end_line,
                snippet,
                regions,
                found_by,
            });
        }
        Ok(hits)
    }
}

/// Takes the lock file `name` in `dir`, waiting up to `wait`; `None` if another process
/// holds it.
fn take_lock(dir: &Path, name: &str, wait: Duration) -> Result<Option<WriteLock>> {
    let f = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(name))
        .map_err(|e| Error::io(&e, dir.display()))?;
    let deadline = Instant::now() + wait;
    loop {
        match f.try_lock() {
            Ok(()) => return Ok(Some(WriteLock(f))),
            Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50))
            }
            Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(&e, dir.display())),
        }
    }
}

/// Splits a virtual path into its indexed mount's key and the path relative to it.
fn split_vpath<'p>(path: &'p VPath, targets: &[(&MountEntry, String)]) -> (&'p str, &'p str) {
    let p = path.as_str();
    for (m, _) in targets {
        let key = m.path().as_str();
        if let Some(rel) = p.strip_prefix(key).and_then(|r| r.strip_prefix('/')) {
            return (&p[..key.len()], rel);
        }
    }
    (p, "")
}

/// Groups `order` (indices, shortest text first) into batches whose padded size (count ×
/// longest) stays within `budget` tokens and `max_batch` texts; a text longer than the
/// budget goes alone.
fn token_batches(
    order: &[usize],
    lengths: &[usize],
    budget: usize,
    max_batch: usize,
) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut cur: Vec<usize> = Vec::new();
    let mut longest = 0usize;
    for &i in order {
        let len = lengths.get(i).copied().unwrap_or(1).max(1);
        let wider = longest.max(len);
        if !cur.is_empty() && (wider * (cur.len() + 1) > budget || cur.len() == max_batch) {
            out.push(std::mem::take(&mut cur));
            longest = 0;
        }
        longest = longest.max(len);
        cur.push(i);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Adds the file-level document of `vpath`: title (its first heading, else its name's
/// words), every heading, and the text.
fn add_file_doc<'h>(
    f: &FullText,
    w: &Writer,
    vpath: &str,
    headings: impl Iterator<Item = Option<&'h str>>,
    body: &str,
) -> Result<()> {
    let mut seen: Vec<&str> = Vec::new();
    for h in headings.flatten() {
        for part in h.split(" > ") {
            if !seen.contains(&part) {
                seen.push(part);
            }
        }
    }
    let title = match seen.first() {
        Some(t) => (*t).to_string(),
        None => title_of(vpath, None),
    };
    f.add_file(
        w,
        &FileDoc {
            path: vpath,
            title: &title,
            headings: &seen.join("\n"),
            body,
        },
    )
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

/// What [`run_search`] found, and a notice when it had to degrade.
pub struct SearchOutcome {
    /// The hits, best first.
    pub hits: Vec<Hit>,
    /// The mode actually used (hybrid falls back to keyword without a model).
    pub mode: Mode,
    /// A one-line notice for the user (fallback to keyword, stale or partial answer), if any.
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
/// keyword with a notice — except when the user turned the model off (`search.embedder:
/// none`), which is a choice, not a failure, and needs no notice; semantic without a model is
/// an error.
pub fn choose_model(settings: &crate::config::SearchSettings, mode: Mode) -> Result<ModelChoice> {
    let keyword = |notice| ModelChoice {
        embedder: None,
        mode: Mode::Keyword,
        notice,
    };
    if mode == Mode::Keyword {
        return Ok(keyword(None));
    }
    let off = settings.embedder == crate::config::Embedder::None;
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
        .hint(if off {
            "use --mode keyword, or set search.embedder: default in ax.yaml"
        } else {
            "use --mode keyword, or install the model (scripts/install-model.sh)"
        })),
        Err(_) if off => Ok(keyword(None)),
        Err(why) => Ok(keyword(Some(format!(
            "semantic search unavailable ({why}); using keyword search"
        )))),
    }
}

/// How long a search waits for another process's indexing before answering from the last
/// committed state.
const SEARCH_LOCK_WAIT: Duration = Duration::from_millis(1500);

/// A whole search as every front end runs it: pick the model (keyword never loads it;
/// hybrid falls back to keyword with a notice; semantic without a model is an error), catch
/// the index up with every change in scope (unless another process is writing it), embed a
/// few missing chunks inline (never a bulk job), then rank.
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
    let tuning = Tuning::from_env()?;
    let index = SearchIndex::open(&vfs.config().state_dir)?;
    let ModelChoice {
        embedder,
        mode,
        notice,
    } = choose_model(&vfs.config().search, mode)?;
    let mut notes: Vec<String> = notice.into_iter().collect();
    match index.lock(SEARCH_LOCK_WAIT)? {
        Some(lock) => {
            index.refresh(vfs, scope, &lock, &mut |_| {})?;
        }
        None => notes.push(
            "another ax process is updating the index; answered from its last committed state"
                .into(),
        ),
    }
    if let Some(e) = embedder
        && let Some(n) = index.catch_up(e, &tuning, INLINE_EMBED_MAX)?
    {
        notes.push(n);
    }
    let hits = index.search(vfs, query, scope, limit.max(1), mode, embedder, &tuning)?;
    let notice = (!notes.is_empty()).then(|| notes.join("; "));
    Ok(SearchOutcome { hits, mode, notice })
}

/// How [`update_index`] runs.
#[derive(Debug, Clone, Copy)]
pub struct UpdateOptions {
    /// Forget the index first (cached vectors stay).
    pub rebuild: bool,
    /// How long to wait for another process's indexing or embedding.
    pub wait: Duration,
}

/// What [`update_index`] did, and a notice when semantic search is unavailable.
pub struct UpdateOutcome {
    /// The figures.
    pub stats: IndexStats,
    /// A one-line notice for the user, if any.
    pub notice: Option<String>,
}

/// `ax index`, `ax watch` and the servers' background indexing: makes every file in scope
/// keyword-searchable first (committed, lock released), then embeds what has no vector —
/// loading the model only when something does.
pub fn update_index(
    vfs: &Vfs,
    scope: &VPath,
    opts: UpdateOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<UpdateOutcome> {
    let started = Instant::now();
    let index = SearchIndex::open(&vfs.config().state_dir)?;
    let busy = || {
        Error::new(
            ErrorKind::Io,
            format!(
                "another ax process has been indexing for {} s; try again when it is done",
                opts.wait.as_secs()
            ),
        )
    };
    let mut stats = {
        let lock = index.lock(opts.wait)?.ok_or_else(busy)?;
        if opts.rebuild {
            index.clear(&lock)?;
        }
        index.refresh(vfs, scope, &lock, progress)?
    };
    let settings = &vfs.config().search;
    let mut notice = None;
    if settings.embedder != crate::config::Embedder::None {
        match embed::identify(settings.model_dir.as_deref()) {
            Err(why) => {
                notice = Some(format!(
                    "semantic search unavailable ({why}); indexed for keyword search only"
                ))
            }
            Ok(model) => {
                let (done, total) = index.embedded(&model.model_id)?;
                stats.embeddings_reused = stats.chunks_indexed.saturating_sub(total - done);
                if done < total {
                    // The lock first: from here on searches say that embedding is under way.
                    let _lock = index.embed_lock(opts.wait)?.ok_or_else(busy)?;
                    let e = shared_embedder(settings).map_err(|why| {
                        Error::new(ErrorKind::Io, format!("cannot embed: {why}")).hint(
                            "keyword search works meanwhile; `ax index --status` shows the model",
                        )
                    })?;
                    stats.model_loaded = true;
                    index.embed_pending(e, &Tuning::from_env()?, &mut stats, progress)?;
                }
                let (done, total) = index.embedded(&model.model_id)?;
                stats.chunks_pending = total - done.min(total);
            }
        }
    }
    stats.seconds = started.elapsed().as_secs_f64();
    Ok(UpdateOutcome { stats, notice })
}

/// The embedding model for `settings`, loaded at most once per process (so `ax mcp`,
/// `ax watch` and `ax serve` keep it warm). `Err` says in one sentence why semantic search is
/// unavailable.
pub fn shared_embedder(
    settings: &crate::config::SearchSettings,
) -> std::result::Result<&'static dyn Embedder, String> {
    static MODEL: std::sync::OnceLock<std::result::Result<Box<dyn Embedder>, String>> =
        std::sync::OnceLock::new();
    if settings.embedder == crate::config::Embedder::None {
        return Err("semantic search is off in ax.yaml (search.embedder: none)".to_string());
    }
    MODEL
        .get_or_init(|| {
            embed::identify(settings.model_dir.as_deref()).and_then(|m| embed::load(&m))
        })
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
    fn titles_and_snippets() {
        assert_eq!(
            title_of("/docs/ch04-02_refs.md", Some("Ownership")),
            "Ownership ch04 02 refs"
        );
        assert_eq!(head_chars("héllo wörld", 5), "héllo…");
    }

    #[test]
    fn batches_respect_the_token_budget() {
        let lengths = [10, 200, 30, 30, 256, 5, 400];
        let mut order: Vec<usize> = (0..lengths.len()).collect();
        order.sort_by_key(|&i| lengths[i]);
        let b = token_batches(&order, &lengths, 256, 3);
        // Every text exactly once, in length order.
        let flat: Vec<usize> = b.iter().flatten().copied().collect();
        assert_eq!(flat, order);
        for batch in &b {
            let longest = batch.iter().map(|&i| lengths[i]).max().unwrap();
            assert!(batch.len() <= 3);
            assert!(
                batch.len() == 1 || longest * batch.len() <= 256,
                "{batch:?}"
            );
        }
        assert_eq!(b[0], vec![5, 0, 2], "short texts share a batch");
        assert!(
            b.iter().any(|x| x == &vec![6]),
            "an overlong text goes alone"
        );
        assert!(token_batches(&[], &[], 256, 3).is_empty());
    }

    #[test]
    fn tuning_parses_and_refuses() {
        let mut t = Tuning::default();
        t.set("k", "20").unwrap();
        t.set("b_fpath", "0").unwrap();
        assert_eq!(t.rrf_k, 20.0);
        assert_eq!(t.boosts.file_path, 0.0);
        assert!(t.set("nope", "1").is_err());
        assert!(t.set("k", "lots").is_err());
    }

    #[test]
    fn semantic_score_adds_half_the_second_best_and_the_floor_looks_at_the_best() {
        let t = Tuning::default();
        let two = Evidence {
            sem: Some(0.6),
            sem_second: Some(0.4),
            ..Default::default()
        };
        assert!((two.semantic_score(&t).unwrap() - 0.8).abs() < 1e-6);
        // one chunk: its best counts twice, so short files are not pushed below long ones
        let one = Evidence {
            sem: Some(0.6),
            ..Default::default()
        };
        assert!((one.semantic_score(&t).unwrap() - 0.9).abs() < 1e-6);
        let weak = Evidence {
            sem: Some(0.2),
            sem_second: Some(0.2),
            ..Default::default()
        };
        assert_eq!(weak.semantic_evidence(&t), None);
        assert!(Evidence::default().semantic_score(&t).is_none());
    }
}
