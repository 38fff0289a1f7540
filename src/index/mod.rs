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
mod query;
mod refresh;

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, UNIX_EPOCH};

use serde::Serialize;

use crate::backend::{EtagHasher, Kind, Walk};
use crate::error::{Advice, Error, ErrorKind, Result};
use crate::vfs::{MountEntry, Vfs};
use crate::vpath::VPath;
use catalog::{Catalog, ChunkRow, FileRow, NewChunk};
use embed::Embedder;
use fulltext::{Boosts, ChunkDoc, FileDoc, FullText, Terms, Writer};
pub use query::run_search;
use refresh::*;
pub use refresh::{UpdateOptions, UpdateOutcome, update_index};

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

// The one search-mode type of every front end: the tools' `mode` argument (its doc comment
// is the schema's description), `ax search --mode`, and the library.
/// How search ranks results.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum SearchMode {
    /// Keyword and meaning combined (the default).
    #[default]
    Hybrid,
    /// Exact words and identifiers (BM25).
    Keyword,
    /// Meaning only (embedding similarity).
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

/// What [`run_search`] found, and a notice when it had to degrade.
pub struct SearchOutcome {
    /// The hits, best first.
    pub hits: Vec<Hit>,
    /// The mode actually used (hybrid falls back to keyword without a model).
    pub mode: SearchMode,
    /// A one-line notice for the user (fallback to keyword, stale or partial answer), if any.
    pub notice: Option<String>,
}

/// The model a search in `mode` uses, and the mode it really runs in.
pub struct ModelChoice {
    /// The model, if the mode needs one and it is available.
    pub embedder: Option<&'static dyn Embedder>,
    /// The mode used: hybrid becomes keyword when no model is available.
    pub mode: SearchMode,
    /// The one-line notice for that fallback.
    pub notice: Option<String>,
}

/// Picks the model for `mode`: keyword never loads it; hybrid without a model falls back to
/// keyword with a notice — except when the user turned the model off (`search.embedder:
/// none`), which is a choice, not a failure, and needs no notice; semantic without a model is
/// an error.
pub fn choose_model(
    settings: &crate::config::SearchSettings,
    mode: SearchMode,
) -> Result<ModelChoice> {
    let keyword = |notice| ModelChoice {
        embedder: None,
        mode: SearchMode::Keyword,
        notice,
    };
    if mode == SearchMode::Keyword {
        return Ok(keyword(None));
    }
    let off = settings.embedder == crate::config::Embedder::None;
    match shared_embedder(settings) {
        Ok(e) => Ok(ModelChoice {
            embedder: Some(e),
            mode,
            notice: None,
        }),
        Err(why) if mode == SearchMode::Semantic => Err(Error::new(
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
            return Err(Error::new(
                ErrorKind::Usage,
                format!("mount {} is not indexed", loc.mount.path()),
            )
            .at(scope)
            .advise(Advice::SearchIndexedMount));
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
}
