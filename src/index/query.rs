//! Answering a query: per-file keyword and semantic evidence, fusion, regions
//! ([`SearchIndex::search`]), and the whole search every front end runs ([`run_search`]).

use super::*;

/// Everything a file's chunks contribute, for ranking and regions.
#[derive(Default)]
pub(super) struct Evidence {
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
pub(super) struct ChunkEvidence {
    kw: Option<(usize, f32)>,
    sem: Option<(usize, f32)>,
}

impl Evidence {
    pub(super) fn keyword_score(&self, t: &Tuning) -> Option<f32> {
        match (self.kw_chunk, self.kw_file) {
            (None, None) => None,
            (c, f) => Some(c.unwrap_or(0.0) + t.w_file * f.unwrap_or(0.0)),
        }
    }

    /// The file's semantic score: best cosine + `sem_second` × second-best.
    pub(super) fn semantic_score(&self, t: &Tuning) -> Option<f32> {
        self.sem
            .map(|c| c + t.sem_second * self.sem_second.unwrap_or(c))
    }

    /// The semantic score when it counts as evidence: the best cosine reaches the floor.
    pub(super) fn semantic_evidence(&self, t: &Tuning) -> Option<f32> {
        self.sem
            .filter(|&c| c >= t.floor)
            .and(self.semantic_score(t))
    }
}

impl SearchIndex {
    /// Answers `query` over the indexed mounts at or below `scope`: at most `limit` files,
    /// best first.
    #[allow(clippy::too_many_arguments)]
    pub fn search(
        &self,
        vfs: &Vfs,
        query: &str,
        scope: &VPath,
        limit: usize,
        mode: SearchMode,
        embedder: Option<&dyn Embedder>,
        tuning: &Tuning,
    ) -> Result<Vec<Hit>> {
        let t = tuning;
        let terms = Terms::of(query);
        let targets = indexed_targets(vfs, scope)?;
        let mut files: HashMap<String, Evidence> = HashMap::new();

        // 1. Keyword evidence: chunks (max-pooled per file) and the file-level view.
        if mode != SearchMode::Semantic && !terms.is_empty() {
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
        if let (true, Some(e)) = (mode != SearchMode::Keyword, embedder) {
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

        // Only files of the targets: the full-text index answers by path prefix, which under
        // `/` also covers mounts this caller cannot see (a restricted Vfs) and mounts since
        // removed from the config.
        let roots: Vec<VPath> = targets
            .iter()
            .filter_map(|(mount, sub)| {
                if sub.is_empty() {
                    Some(mount.path().clone())
                } else {
                    mount.path().join(sub).ok()
                }
            })
            .collect();
        files.retain(|path, _| {
            VPath::parse(path).is_ok_and(|p| roots.iter().any(|r| p.starts_with(r)))
        });

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
        if let (SearchMode::Hybrid, Some(e)) = (mode, embedder) {
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
                SearchMode::Keyword => kw,
                SearchMode::Semantic => sem,
                SearchMode::Hybrid if t.fusion == Fusion::Linear => {
                    Some(linear(kw, f.semantic_score(t)))
                }
                SearchMode::Hybrid => {
                    Some(rrf(kw_rank.get(p), t.w_keyword) + rrf(sem_rank.get(p), t.w_semantic))
                }
            };
            let Some(score) = score else { continue };
            let found_by = match mode {
                SearchMode::Keyword => FoundBy::Keyword,
                SearchMode::Semantic => FoundBy::Semantic,
                SearchMode::Hybrid => found_by,
            };
            ranked.push((p, score, found_by));
        }
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
        ranked.truncate(limit);

        // 4. Regions of each file, best first.
        let region_score = |c: &ChunkEvidence| -> Option<f32> {
            let sem = c.sem.filter(|s| s.1 >= t.floor || c.kw.is_some());
            match mode {
                SearchMode::Keyword => c.kw.map(|k| k.1),
                SearchMode::Semantic => c.sem.filter(|s| s.1 >= t.floor).map(|s| s.1),
                SearchMode::Hybrid if c.kw.is_none() && sem.is_none() => None,
                SearchMode::Hybrid => Some(
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

/// Splits a virtual path into its indexed mount's key and the path relative to it.
pub(super) fn split_vpath<'p>(
    path: &'p VPath,
    targets: &[(&MountEntry, String)],
) -> (&'p str, &'p str) {
    let p = path.as_str();
    for (m, _) in targets {
        let key = m.path().as_str();
        if let Some(rel) = p.strip_prefix(key).and_then(|r| r.strip_prefix('/')) {
            return (&p[..key.len()], rel);
        }
    }
    (p, "")
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
    mode: SearchMode,
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

#[cfg(test)]
mod tests {
    use super::*;

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
