//! Keeping the index current: the cheap walk and keyword update ([`SearchIndex::refresh`]),
//! embedding what lacks a vector ([`SearchIndex::embed_pending`], [`SearchIndex::catch_up`]),
//! and the whole update `ax index` and `ax watch` run ([`update_index`]).

use super::*;

impl SearchIndex {
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
    /// batches of at most 1,024 padded tokens (`EMBED_TOKEN_BUDGET`), committing every
    /// 256 chunks (`EMBED_COMMIT`). Holds no lock itself: the caller holds the embedding lock.
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
}

/// Groups `order` (indices, shortest text first) into batches whose padded size (count ×
/// longest) stays within `budget` tokens and `max_batch` texts; a text longer than the
/// budget goes alone.
pub(super) fn token_batches(
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
pub(super) fn add_file_doc<'h>(
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

pub(super) enum Change {
    Removed(String),
    Updated((String, String, u64)),
}

/// The change marker of a file: the store's ETag when it has one, else size and mtime.
pub(super) fn version_of(m: &crate::backend::Meta) -> String {
    if let Some(tag) = &m.etag {
        return format!("etag:{tag}");
    }
    let mtime = m
        .modified
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    format!("{}:{mtime}", m.size)
}

pub(super) fn chunk_hash(heading: Option<&str>, text: &str) -> String {
    let mut h = EtagHasher::new();
    h.update(heading.unwrap_or("").as_bytes());
    h.update(b"\0");
    h.update(text.as_bytes());
    h.finish()
}

/// What the model sees: the heading path travels with its section's chunks.
pub(super) fn embed_text(heading: Option<&str>, text: &str) -> String {
    match heading {
        Some(h) if !h.is_empty() => format!("{h}\n{text}"),
        _ => text.to_string(),
    }
}

pub(super) fn title_of(vpath: &str, heading: Option<&str>) -> String {
    let name = vpath.rsplit('/').next().unwrap_or(vpath);
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let stem = stem.replace(['-', '_'], " ");
    match heading {
        Some(h) => format!("{h} {stem}"),
        None => stem,
    }
}

pub(super) fn head_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
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
