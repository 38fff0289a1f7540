//! The catalog: SQLite (WAL) record of every indexed file and chunk, and the embedding cache.
//!
//! It is the source of truth for incremental indexing: a file whose version (mtime and size
//! on local mounts, the ETag on object stores) is unchanged is not read again; a file whose
//! content hash is unchanged is not re-chunked; a chunk whose content hash already has a
//! vector for the current model is not re-embedded (so moved and copied files cost nothing).
//! Chunk text is kept here too, for snippets and for rebuilding the keyword index.
//! Vectors are stored quantised to `i8` with one `f32` scale per vector (~4× smaller than
//! `f32`, ranking unchanged in practice).

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{Error, ErrorKind, Result};

const SCHEMA_VERSION: i64 = 1;

/// A file as the catalog last saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRow {
    /// Change marker: `size:mtime_ns` on local mounts, the ETag on object stores.
    pub version: String,
    /// Content hash (XXH3-128 hex).
    pub hash: String,
}

/// A chunk to store.
pub struct NewChunk<'a> {
    /// First line (1-based).
    pub start_line: u32,
    /// Last line.
    pub end_line: u32,
    /// Heading path, if any.
    pub heading: Option<&'a str>,
    /// The text.
    pub text: &'a str,
    /// Content hash of heading + text (the embedding-cache key).
    pub hash: &'a str,
}

/// A stored chunk.
#[derive(Debug, Clone)]
pub struct ChunkRow {
    /// Catalog id (also the keyword index's key).
    pub id: u64,
    /// Mount point.
    pub mount: String,
    /// Path relative to the mount.
    pub path: String,
    /// First line.
    pub start_line: u32,
    /// Last line.
    pub end_line: u32,
    /// Heading path.
    pub heading: Option<String>,
    /// Text.
    pub text: String,
}

/// The catalog database.
pub struct Catalog {
    conn: Connection,
}

fn db_err(e: rusqlite::Error) -> Error {
    Error::new(ErrorKind::Io, format!("search catalog: {e}"))
        .advise(crate::error::Advice::RebuildIndex)
}

fn chunk_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ChunkRow> {
    Ok(ChunkRow {
        id: r.get::<_, i64>(0)? as u64,
        mount: r.get(1)?,
        path: r.get(2)?,
        start_line: r.get(3)?,
        end_line: r.get(4)?,
        heading: r.get(5)?,
        text: r.get(6)?,
    })
}

/// Quantises a normalised vector to `i8` with a scale.
pub fn quantize(v: &[f32]) -> Vec<u8> {
    let max = v.iter().fold(0f32, |m, x| m.max(x.abs())).max(1e-12);
    let mut out = Vec::with_capacity(4 + v.len());
    out.extend_from_slice(&(max / 127.0).to_le_bytes());
    out.extend(
        v.iter()
            .map(|x| ((x / max) * 127.0).round().clamp(-127.0, 127.0) as i8 as u8),
    );
    out
}

/// What [`Catalog::nearest`] found.
#[derive(Debug, Default)]
pub struct Nearest {
    /// The best chunks: `(chunk id, path relative to the mount, cosine)`, best first.
    pub chunks: Vec<(u64, String, f32)>,
    /// Path relative to the mount → the file's second-best chunk cosine (its best when it
    /// has one embedded chunk).
    pub second: HashMap<String, f32>,
}

/// Dot product of a query vector with a quantised one.
pub fn dot_quantized(q: &[f32], blob: &[u8]) -> f32 {
    if blob.len() < 4 || blob.len() - 4 != q.len() {
        return f32::MIN;
    }
    let scale = f32::from_le_bytes([blob[0], blob[1], blob[2], blob[3]]);
    let mut acc = 0f32;
    for (x, &b) in q.iter().zip(&blob[4..]) {
        acc += x * f32::from(b as i8);
    }
    acc * scale
}

impl Catalog {
    /// Opens (or creates) the catalog at `path`.
    pub fn open(path: &Path) -> Result<Catalog> {
        // Two processes opening a new catalog at once can meet SQLITE_BUSY where the busy
        // handler does not apply (the switch to WAL, a read upgraded to a write): set-up is
        // idempotent, so it is retried for a while.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        loop {
            match Self::try_open(path) {
                Err(rusqlite::Error::SqliteFailure(f, _))
                    if f.code == rusqlite::ErrorCode::DatabaseBusy
                        && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(50))
                }
                other => return other.map_err(db_err),
            }
        }
    }

    fn try_open(path: &Path) -> rusqlite::Result<Catalog> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            conn.pragma_update(None, "journal_mode", "WAL")?;
        }
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(
            "BEGIN IMMEDIATE;
             CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS files (
                 mount TEXT NOT NULL, path TEXT NOT NULL, version TEXT NOT NULL, hash TEXT NOT NULL,
                 size INTEGER NOT NULL, PRIMARY KEY (mount, path));
             CREATE TABLE IF NOT EXISTS chunks (
                 id INTEGER PRIMARY KEY, mount TEXT NOT NULL, path TEXT NOT NULL,
                 start_line INTEGER NOT NULL, end_line INTEGER NOT NULL, heading TEXT,
                 text TEXT NOT NULL, hash TEXT NOT NULL);
             CREATE INDEX IF NOT EXISTS chunks_by_file ON chunks (mount, path);
             CREATE TABLE IF NOT EXISTS vectors (
                 hash TEXT NOT NULL, model TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (hash, model));",
        )?;
        let done = conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?1)",
            params![SCHEMA_VERSION.to_string()],
        );
        let commit = done.and_then(|_| conn.execute_batch("COMMIT"));
        if let Err(e) = commit {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(e);
        }
        Ok(Catalog { conn })
    }

    /// Every file of `mount` the catalog knows.
    pub fn files(&self, mount: &str) -> Result<HashMap<String, FileRow>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT path, version, hash FROM files WHERE mount=?1")
            .map_err(db_err)?;
        let rows = st
            .query_map(params![mount], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    FileRow {
                        version: r.get(1)?,
                        hash: r.get(2)?,
                    },
                ))
            })
            .map_err(db_err)?;
        rows.collect::<std::result::Result<_, _>>().map_err(db_err)
    }

    /// Starts a transaction (everything until [`Catalog::commit`] is one atomic change).
    pub fn begin(&self) -> Result<()> {
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(db_err)
    }

    /// Commits the transaction.
    pub fn commit(&self) -> Result<()> {
        self.conn.execute_batch("COMMIT").map_err(db_err)
    }

    /// Records a file's new version without touching its chunks (content unchanged).
    pub fn touch_file(&self, mount: &str, path: &str, version: &str) -> Result<()> {
        self.conn
            .execute(
                "UPDATE files SET version=?3 WHERE mount=?1 AND path=?2",
                params![mount, path, version],
            )
            .map(|_| ())
            .map_err(db_err)
    }

    /// Replaces a file's record and chunks; returns the new chunk ids in order.
    pub fn replace_file(
        &self,
        mount: &str,
        path: &str,
        row: &FileRow,
        size: u64,
        chunks: &[NewChunk<'_>],
    ) -> Result<Vec<u64>> {
        self.remove_file(mount, path)?;
        self.conn
            .execute(
                "INSERT INTO files (mount, path, version, hash, size) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![mount, path, row.version, row.hash, size as i64],
            )
            .map_err(db_err)?;
        let mut st = self
            .conn
            .prepare_cached(
                "INSERT INTO chunks (mount, path, start_line, end_line, heading, text, hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .map_err(db_err)?;
        let mut ids = Vec::with_capacity(chunks.len());
        for c in chunks {
            st.execute(params![
                mount,
                path,
                c.start_line,
                c.end_line,
                c.heading,
                c.text,
                c.hash
            ])
            .map_err(db_err)?;
            ids.push(self.conn.last_insert_rowid() as u64);
        }
        Ok(ids)
    }

    /// Forgets a file and its chunks.
    pub fn remove_file(&self, mount: &str, path: &str) -> Result<()> {
        self.conn
            .execute(
                "DELETE FROM chunks WHERE mount=?1 AND path=?2",
                params![mount, path],
            )
            .map_err(db_err)?;
        self.conn
            .execute(
                "DELETE FROM files WHERE mount=?1 AND path=?2",
                params![mount, path],
            )
            .map_err(db_err)?;
        Ok(())
    }

    /// Forgets everything (for `--rebuild`); cached vectors are kept.
    pub fn clear(&self) -> Result<()> {
        self.conn
            .execute_batch("DELETE FROM chunks; DELETE FROM files;")
            .map_err(db_err)
    }

    /// Which of `hashes` already have a vector for `model`.
    pub fn has_vector(&self, hash: &str, model: &str) -> Result<bool> {
        let mut st = self
            .conn
            .prepare_cached("SELECT 1 FROM vectors WHERE hash=?1 AND model=?2")
            .map_err(db_err)?;
        st.exists(params![hash, model]).map_err(db_err)
    }

    /// Distinct chunk contents that have no vector for `model` yet: `(hash, heading, text)`.
    pub fn missing_vectors(&self, model: &str) -> Result<Vec<(String, Option<String>, String)>> {
        let mut st = self
            .conn
            .prepare(
                "SELECT c.hash, MIN(c.heading), MIN(c.text) FROM chunks c
                 LEFT JOIN vectors v ON v.hash = c.hash AND v.model = ?1
                 WHERE v.hash IS NULL GROUP BY c.hash",
            )
            .map_err(db_err)?;
        let rows = st
            .query_map(params![model], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(db_err)?;
        rows.collect::<std::result::Result<_, _>>().map_err(db_err)
    }

    /// Stores a vector for a chunk hash.
    pub fn put_vector(&self, hash: &str, model: &str, v: &[f32]) -> Result<()> {
        let mut st = self
            .conn
            .prepare_cached(
                "INSERT OR REPLACE INTO vectors (hash, model, data) VALUES (?1, ?2, ?3)",
            )
            .map_err(db_err)?;
        st.execute(params![hash, model, quantize(v)])
            .map(|_| ())
            .map_err(db_err)
    }

    /// Chunks by id (in no particular order).
    pub fn chunks(&self, ids: &[u64]) -> Result<Vec<ChunkRow>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT id, mount, path, start_line, end_line, heading, text FROM chunks WHERE id=?1")
            .map_err(db_err)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(row) = st
                .query_row(params![*id as i64], chunk_row)
                .optional()
                .map_err(db_err)?
            {
                out.push(row);
            }
        }
        Ok(out)
    }

    /// Every chunk, file by file and in file order (for rebuilding the keyword index from
    /// the catalog).
    pub fn all_chunks(&self, visit: &mut dyn FnMut(ChunkRow) -> Result<()>) -> Result<()> {
        let mut st = self
            .conn
            .prepare(
                "SELECT id, mount, path, start_line, end_line, heading, text FROM chunks
                 ORDER BY mount, path, start_line, id",
            )
            .map_err(db_err)?;
        let mut rows = st.query([]).map_err(db_err)?;
        while let Some(r) = rows.next().map_err(db_err)? {
            visit(chunk_row(r).map_err(db_err)?)?;
        }
        Ok(())
    }

    /// Scores every embedded chunk of `mount` whose path starts with `prefix` (relative; `""`
    /// for all) against the query vector; returns the best `limit` as `(chunk id, path
    /// relative to the mount, cosine)`, best first, and for every file scored its second-best
    /// cosine (its best when it has one embedded chunk).
    pub fn nearest(
        &self,
        mount: &str,
        prefix: &str,
        model: &str,
        q: &[f32],
        limit: usize,
    ) -> Result<Nearest> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT c.id, c.path, v.data FROM chunks c JOIN vectors v ON v.hash = c.hash AND v.model = ?2
                 WHERE c.mount = ?1",
            )
            .map_err(db_err)?;
        let mut rows = st.query(params![mount, model]).map_err(db_err)?;
        let folder = format!("{prefix}/");
        let mut best: Vec<(u64, String, f32)> = Vec::new();
        let mut top2: HashMap<String, (f32, Option<f32>)> = HashMap::new();
        while let Some(r) = rows.next().map_err(db_err)? {
            let path = r
                .get_ref(1)
                .map_err(db_err)?
                .as_str()
                .map_err(|e| db_err(e.into()))?;
            if !(prefix.is_empty() || path == prefix || path.starts_with(&folder)) {
                continue;
            }
            let blob = r
                .get_ref(2)
                .map_err(db_err)?
                .as_blob()
                .map_err(|e| db_err(e.into()))?;
            let score = dot_quantized(q, blob);
            let id = r.get::<_, i64>(0).map_err(db_err)? as u64;
            match top2.get_mut(path) {
                Some(t) => {
                    if score > t.0 {
                        *t = (score, Some(t.0));
                    } else if t.1.is_none_or(|s| score > s) {
                        t.1 = Some(score);
                    }
                }
                None => {
                    top2.insert(path.to_string(), (score, None));
                }
            }
            best.push((id, path.to_string(), score));
        }
        best.sort_by(|a, b| b.2.total_cmp(&a.2));
        best.truncate(limit);
        let second = top2
            .into_iter()
            .map(|(p, (first, second))| (p, second.unwrap_or(first)))
            .collect();
        Ok(Nearest {
            chunks: best,
            second,
        })
    }

    /// How far embedding has got for `model`: `(distinct chunk contents with a vector, all
    /// distinct chunk contents)`.
    pub fn embedded(&self, model: &str) -> Result<(u64, u64)> {
        self.conn
            .query_row(
                "SELECT COUNT(v.hash), COUNT(*) FROM (SELECT DISTINCT hash FROM chunks) c
                 LEFT JOIN vectors v ON v.hash = c.hash AND v.model = ?1",
                params![model],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
            )
            .map_err(db_err)
    }

    /// Whether any chunk of the file has a vector for `model`.
    pub fn file_has_vectors(&self, mount: &str, path: &str, model: &str) -> Result<bool> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT 1 FROM chunks c JOIN vectors v ON v.hash = c.hash AND v.model = ?3
                 WHERE c.mount = ?1 AND c.path = ?2 LIMIT 1",
            )
            .map_err(db_err)?;
        st.exists(params![mount, path, model]).map_err(db_err)
    }

    /// Files and chunks the catalog holds (skipped files included in the first).
    pub fn counts(&self) -> Result<(u64, u64)> {
        self.conn
            .query_row(
                "SELECT (SELECT COUNT(*) FROM files), (SELECT COUNT(*) FROM chunks)",
                [],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
            )
            .map_err(db_err)
    }

    /// The first chunk of a file (the region a hit on its title or path points at).
    pub fn first_chunk(&self, mount: &str, path: &str) -> Result<Option<ChunkRow>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT id, mount, path, start_line, end_line, heading, text FROM chunks
                 WHERE mount=?1 AND path=?2 ORDER BY start_line, id LIMIT 1",
            )
            .map_err(db_err)?;
        st.query_row(params![mount, path], chunk_row)
            .optional()
            .map_err(db_err)
    }

    /// Bytes of the catalog on disk (main file plus WAL).
    pub fn size_hint(path: &Path) -> u64 {
        ["", "-wal"]
            .iter()
            .filter_map(|s| std::fs::metadata(format!("{}{s}", path.display())).ok())
            .map(|m| m.len())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantised_dot_matches_float_dot() {
        let a: Vec<f32> = (0..384).map(|i| ((i as f32) * 0.37).sin()).collect();
        let n = a.iter().map(|x| x * x).sum::<f32>().sqrt();
        let a: Vec<f32> = a.iter().map(|x| x / n).collect();
        let exact: f32 = a.iter().map(|x| x * x).sum();
        let approx = dot_quantized(&a, &quantize(&a));
        assert!((exact - approx).abs() < 0.01, "{exact} vs {approx}");
    }

    #[test]
    fn files_chunks_and_vectors_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let c = Catalog::open(&dir.path().join("c.sqlite")).unwrap();
        c.begin().unwrap();
        let row = FileRow {
            version: "v1".into(),
            hash: "h1".into(),
        };
        let chunks = [NewChunk {
            start_line: 1,
            end_line: 2,
            heading: Some("H"),
            text: "hello",
            hash: "ch1",
        }];
        let ids = c.replace_file("/m", "a.md", &row, 5, &chunks).unwrap();
        c.put_vector("ch1", "model", &[1.0, 0.0]).unwrap();
        c.commit().unwrap();
        assert_eq!(c.files("/m").unwrap()["a.md"], row);
        assert!(c.has_vector("ch1", "model").unwrap());
        assert!(!c.has_vector("ch1", "other").unwrap());
        assert_eq!(c.chunks(&ids).unwrap()[0].text, "hello");
        let near = c.nearest("/m", "", "model", &[1.0, 0.0], 5).unwrap();
        assert_eq!(near.chunks[0].0, ids[0]);
        assert_eq!(near.chunks[0].1, "a.md");
        assert_eq!(near.second["a.md"], near.chunks[0].2);
        assert_eq!(c.embedded("model").unwrap(), (1, 1));
        assert_eq!(c.embedded("other").unwrap(), (0, 1));
        assert_eq!(c.counts().unwrap(), (1, 1));
        assert_eq!(c.first_chunk("/m", "a.md").unwrap().unwrap().id, ids[0]);
        assert!(
            c.nearest("/m", "b", "model", &[1.0, 0.0], 5)
                .unwrap()
                .chunks
                .is_empty()
        );
        c.remove_file("/m", "a.md").unwrap();
        assert!(c.files("/m").unwrap().is_empty());
    }
}
