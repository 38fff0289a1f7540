//! The object backend's optional read cache: whole objects kept under the state directory,
//! keyed by path and ETag (so a changed object is never served stale), bounded in bytes
//! (oldest entries dropped first).

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use object_store::path::Path as ObjPath;

/// Whole-object read cache under the state directory, keyed by path and ETag.
pub(super) struct ReadCache {
    /// The folder holding this store's entries.
    pub(super) dir: PathBuf,
    max_bytes: u64,
}

impl ReadCache {
    /// The cache of the store at `url`, under `state_dir/cache`, bounded to `max_bytes`.
    pub(super) fn new(state_dir: &Path, url: &str, max_bytes: u64) -> ReadCache {
        ReadCache {
            dir: state_dir.join("cache").join(format!(
                "{:016x}",
                xxhash_rust::xxh3::xxh3_64(url.as_bytes())
            )),
            max_bytes,
        }
    }

    /// Where the entry for `key` at version `etag` lives.
    pub(super) fn file_for(&self, key: &ObjPath, etag: &str) -> PathBuf {
        let h = xxhash_rust::xxh3::xxh3_128(format!("{key}\0{etag}").as_bytes());
        self.dir.join(format!("{h:032x}"))
    }

    /// Drops the oldest entries until the cache fits its bound.
    pub(super) fn evict(&self) {
        let Ok(rd) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let mut files: Vec<(SystemTime, u64, PathBuf)> = rd
            .flatten()
            .filter_map(|e| {
                let m = e.metadata().ok()?;
                Some((m.modified().ok()?, m.len(), e.path()))
            })
            .collect();
        let mut total: u64 = files.iter().map(|f| f.1).sum();
        files.sort();
        for (_, len, path) in files {
            if total <= self.max_bytes {
                break;
            }
            if std::fs::remove_file(&path).is_ok() {
                total -= len;
            }
        }
    }
}
