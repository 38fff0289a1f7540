//! The object-store backend (cold tier): S3 and S3-compatible servers, Azure Blob storage
//! (`az://`; tested on the Azurite emulator), Google Cloud Storage (`gs://`) and `memory://`,
//! through the `object_store` crate.
//!
//! The [`Backend`] trait is synchronous; this backend owns a small current-thread tokio
//! runtime and blocks on it, so only commands that touch an object-store mount pay for an
//! async runtime. Directories are prefixes: they exist while an object lies below them,
//! `create_dir` is a no-op, and an empty folder does not exist.
//!
//! - **Streaming.** Uploads of more than [`MULTIPART_THRESHOLD`] go through a multipart upload
//!   fed in parts of that size, with at most [`UPLOAD_CONCURRENCY`] parts in flight, so memory
//!   stays bounded whatever the size; downloads stream to the caller chunk by chunk.
//! - **Conditional writes.** `--if-match` / `--if-none-match` map to the store's conditional
//!   put (ETag `If-Match`, create-only). A multipart upload cannot be conditional, so a
//!   conditional write buffers its content and refuses more than [`MAX_BUFFERED`].
//! - **Append** is read-modify-write guarded by a conditional put on the ETag it read, retried
//!   with jittered backoff when another writer got there first; so concurrent appenders never
//!   lose a line. It buffers the object, so it refuses objects above [`MAX_BUFFERED`]. A store
//!   without conditional writes is refused with an error saying so, never silently raced.
//! - **Faults.** Transient errors are retried with backoff (`retries`, default 3, within 10 s).
//!   A request fails when no byte arrives for `idle_timeout` (default 10 s) or it cannot
//!   connect within `connect_timeout` (5 s), so a silent or unreachable endpoint fails in
//!   about 10 s with a message naming it instead of hanging; a transfer that keeps moving is
//!   never cut off (no total limit per request unless `timeout` sets one).
//! - **Read cache** (optional, `cache: 256MiB`): whole objects kept under the state directory,
//!   keyed by path and ETag (a changed object is never served stale), evicted oldest-first
//!   beyond the size bound.

mod bounds;
mod cache;

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt};
use object_store::path::Path as ObjPath;
use object_store::{
    ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, RetryConfig, UpdateVersion,
    WriteMultipart,
};

use super::{
    Backend, COPY_BUF, Content, Entry, Kind, Meta, Precondition, RemoveOptions, StatOptions, Walk,
    WriteOptions, WriteOutcome, check_if_match, exists_conflict, if_match_conflict, normalize_etag,
};
use crate::config::ObjectOptions;
use crate::error::{Advice, Error, ErrorKind, Result};
use crate::vpath::VPath;
use cache::ReadCache;

/// Uploads above this size use a multipart upload; also the part size.
pub const MULTIPART_THRESHOLD: usize = 8 * 1024 * 1024;
/// Parts uploaded concurrently (bounds memory to about this many parts).
pub const UPLOAD_CONCURRENCY: usize = 2;
/// Largest content a conditional write or an append may buffer.
pub const MAX_BUFFERED: usize = 64 * 1024 * 1024;
/// How long an append keeps retrying against concurrent writers before giving up.
const APPEND_DEADLINE: Duration = Duration::from_secs(30);

/// A store builder with ax's fault bounds (connect timeout, per-request response bound, no
/// total limit unless `timeout` is set, retries within 10 s), then the environment's
/// `ENV_PREFIX*` variables (what the builders' `from_env` reads), then the URL, then the
/// mount's options — so the environment and the options can override the defaults. Names
/// an unknown option with the list of known ones.
macro_rules! configured {
    ($builder:expr, $key:ty, $env_prefix:literal, $store:literal, $known:expr, $options:ident, $url:ident, $config_err:ident) => {{
        let client =
            object_store::ClientOptions::new().with_connect_timeout($options.connect_timeout);
        let client = match $options.timeout {
            Some(t) => client.with_timeout(t),
            None => client.with_timeout_disabled(),
        };
        let mut b =
            $builder
                .with_client_options(client)
                .with_http_connector(bounds::BoundedConnector {
                    idle: $options.idle_timeout,
                });
        for (k, v) in std::env::vars() {
            if k.starts_with($env_prefix)
                && let Ok(key) = k.to_ascii_lowercase().parse::<$key>()
            {
                b = b.with_config(key, v);
            }
        }
        b = b.with_url($url);
        for (k, v) in &$options.store {
            let key: $key = k.parse().map_err(|_| {
                $config_err(format!(
                    "unknown option `{k}` for a mount on {}; known: {}",
                    $store, $known
                ))
            })?;
            b = b.with_config(key, v.as_str());
        }
        b.with_retry(RetryConfig {
            max_retries: $options.retries,
            retry_timeout: Duration::from_secs(10),
            backoff: object_store::BackoffConfig {
                init_backoff: Duration::from_millis(100),
                max_backoff: Duration::from_secs(2),
                base: 2.0,
            },
        })
    }};
}

/// Where a GCS store sends its requests, for messages: a service-account file's
/// `gcs_base_url` (an emulator) if it names one, else Google's endpoint.
fn gcs_endpoint(b: &object_store::gcp::GoogleCloudStorageBuilder) -> String {
    use object_store::gcp::GoogleConfigKey;
    let from_file = b
        .get_config_value(&GoogleConfigKey::ServiceAccount)
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v["gcs_base_url"].as_str().map(str::to_string));
    from_file.unwrap_or_else(|| "https://storage.googleapis.com".to_string())
}

/// The key prefix inside a bucket or container: what follows `bucket/` in the URL.
fn path_prefix(rest: &str) -> String {
    rest.split_once('/')
        .map(|(_, p)| p.trim_matches('/').to_string())
        .unwrap_or_default()
}

/// An object-store mount.
pub struct ObjectBackend {
    mount: VPath,
    endpoint: String,
    store: Arc<dyn ObjectStore>,
    prefix: String,
    rt: Arc<tokio::runtime::Runtime>,
    cache: Option<ReadCache>,
    /// The idle bound of a remote store's downloads (`None` for `memory://` and `file://`).
    idle: Option<Duration>,
    /// Where this store's credentials come from, for the hint of a failure.
    credentials: &'static str,
}

impl ObjectBackend {
    /// Builds the backend for `url` with mount `options`; `state_dir` holds the read cache.
    pub fn new(
        mount: VPath,
        url: &str,
        options: &ObjectOptions,
        state_dir: &std::path::Path,
    ) -> Result<Self> {
        let config_err = |msg: String| Error::new(ErrorKind::Config, msg).at(&mount);
        // A built store, or the error naming which store could not be set up for `url`.
        let built = |r: object_store::Result<Arc<dyn ObjectStore>>, store: &str| {
            r.map_err(|e| {
                config_err(format!(
                    "cannot set up the {store} store for {url}: {}",
                    one_line(&e.to_string())
                ))
            })
        };
        let (scheme, rest) = url.split_once("://").unwrap_or((url, ""));
        let (store, prefix, endpoint): (Arc<dyn ObjectStore>, String, String) = match scheme {
            "memory" => (
                Arc::new(object_store::memory::InMemory::new()),
                rest.trim_matches('/').to_string(),
                "memory://".into(),
            ),
            "s3" | "s3a" => {
                let b = configured!(
                    object_store::aws::AmazonS3Builder::new(),
                    object_store::aws::AmazonS3ConfigKey,
                    "AWS_",
                    "S3",
                    crate::config::S3_OPTIONS,
                    options,
                    url,
                    config_err
                );
                let endpoint = b
                    .get_config_value(&object_store::aws::AmazonS3ConfigKey::Endpoint)
                    .unwrap_or_else(|| {
                        let region = b
                            .get_config_value(&object_store::aws::AmazonS3ConfigKey::Region)
                            .unwrap_or_else(|| "us-east-1".into());
                        format!("https://s3.{region}.amazonaws.com")
                    });
                (
                    built(b.build().map(|s| Arc::new(s) as _), "S3")?,
                    path_prefix(rest),
                    endpoint,
                )
            }
            "az" | "abfs" | "abfss" | "azure" => {
                use object_store::azure::AzureConfigKey;
                let b = configured!(
                    object_store::azure::MicrosoftAzureBuilder::new(),
                    AzureConfigKey,
                    "AZURE_",
                    "Azure",
                    crate::config::AZURE_OPTIONS,
                    options,
                    url,
                    config_err
                );
                let account = b.get_config_value(&AzureConfigKey::AccountName);
                let emulator = b
                    .get_config_value(&AzureConfigKey::UseEmulator)
                    .is_some_and(|v| matches!(v.as_str(), "true" | "1" | "yes"));
                let endpoint = match (b.get_config_value(&AzureConfigKey::Endpoint), emulator) {
                    (Some(e), _) => e,
                    (None, true) => std::env::var("AZURITE_BLOB_STORAGE_URL")
                        .unwrap_or_else(|_| "http://127.0.0.1:10000".to_string()),
                    (None, false) => format!(
                        "https://{}.blob.core.windows.net",
                        account.as_deref().unwrap_or("ACCOUNT")
                    ),
                };
                (
                    built(b.build().map(|s| Arc::new(s) as _), "Azure")?,
                    path_prefix(rest),
                    endpoint,
                )
            }
            "gs" => {
                let b = configured!(
                    object_store::gcp::GoogleCloudStorageBuilder::new(),
                    object_store::gcp::GoogleConfigKey,
                    "GOOGLE_",
                    "GCS",
                    crate::config::GCS_OPTIONS,
                    options,
                    url,
                    config_err
                );
                let endpoint = gcs_endpoint(&b);
                (
                    built(b.build().map(|s| Arc::new(s) as _), "GCS")?,
                    path_prefix(rest),
                    endpoint,
                )
            }
            "http" | "https" => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!("{scheme}:// object stores are not built into this ax yet (S3 and S3-compatible stores, Azure Blob, GCS, file:// and memory:// are)"),
                )
                .at(&mount));
            }
            other => {
                return Err(config_err(format!(
                    "unknown object-store scheme {other}://"
                )));
            }
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                Error::new(
                    ErrorKind::Io,
                    format!("cannot start the object-store client: {e}"),
                )
                .at(&mount)
            })?;
        let cache = options
            .cache_bytes
            .map(|max| ReadCache::new(state_dir, url, max));
        Ok(ObjectBackend {
            mount,
            endpoint,
            store,
            prefix,
            rt: Arc::new(rt),
            cache,
            idle: (scheme != "memory").then_some(options.idle_timeout),
            credentials: match scheme {
                "gs" => "GOOGLE_SERVICE_ACCOUNT or options.service_account",
                "az" | "abfs" | "abfss" | "azure" => {
                    "AZURE_STORAGE_ACCOUNT_NAME, AZURE_STORAGE_ACCOUNT_KEY or options"
                }
                _ => "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY",
            },
        })
    }

    fn vpath(&self, rel: &str) -> String {
        if rel.is_empty() {
            self.mount.to_string()
        } else {
            format!("{}/{rel}", self.mount)
        }
    }

    /// The object key of `rel`.
    fn key(&self, rel: &str) -> ObjPath {
        match (self.prefix.is_empty(), rel.is_empty()) {
            (true, _) => ObjPath::from(rel),
            (false, true) => ObjPath::from(self.prefix.as_str()),
            (false, false) => ObjPath::from(format!("{}/{rel}", self.prefix)),
        }
    }

    /// The path of `key` relative to the mount.
    fn rel_of(&self, key: &ObjPath) -> Option<String> {
        let k = key.as_ref();
        if self.prefix.is_empty() {
            return Some(k.to_string());
        }
        k.strip_prefix(self.prefix.as_str())
            .and_then(|r| r.strip_prefix('/'))
            .map(str::to_string)
    }

    /// Maps an object_store error about `rel` to an ax error naming the virtual path and,
    /// for transport failures, the endpoint.
    fn err(&self, e: object_store::Error, rel: &str) -> Error {
        let vp = self.vpath(rel);
        match e {
            object_store::Error::NotFound { .. } => {
                Error::new(ErrorKind::NotFound, "no such file or directory").at(vp)
            }
            object_store::Error::AlreadyExists { .. } => exists_conflict(vp),
            object_store::Error::Precondition { .. } => Error::new(
                ErrorKind::Conflict,
                "changed since you read it (ETag differs)",
            )
            .at(vp)
            .advise(Advice::Reread),
            object_store::Error::NotImplemented { .. }
            | object_store::Error::NotSupported { .. } => Error::new(
                ErrorKind::Unsupported,
                format!(
                    "the object store at {} does not support this operation: {}",
                    self.endpoint,
                    one_line(&e.to_string())
                ),
            )
            .at(vp),
            other => Error::new(
                ErrorKind::Io,
                format!(
                    "the object store at {} failed: {}",
                    self.endpoint,
                    one_line(&other.to_string())
                ),
            )
            .at(vp)
            .hint(format!(
                "check that the endpoint is reachable and the credentials ({}) are right",
                self.credentials
            )),
        }
    }

    fn block<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// Whether anything lies below `rel` (so it is a folder).
    /// Decided by a plain (non-delimited) listing: some S3-compatible stores (SeaweedFS)
    /// keep reporting a common prefix for a while after its last object is gone.
    fn has_children(&self, rel: &str) -> Result<bool> {
        let key = self.key(rel);
        self.block(self.prefix_has_objects(&key))
            .map_err(|e| self.err(e, rel))
    }

    async fn prefix_has_objects(&self, key: &ObjPath) -> object_store::Result<bool> {
        let mut s = self.store.list(Some(key));
        match s.next().await {
            Some(Ok(_)) => Ok(true),
            Some(Err(e)) => Err(e),
            None => Ok(false),
        }
    }

    fn head(&self, rel: &str) -> Result<Option<object_store::ObjectMeta>> {
        match self.block(self.store.head(&self.key(rel))) {
            Ok(m) => Ok(Some(m)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.err(e, rel)),
        }
    }

    fn file_meta(m: &object_store::ObjectMeta) -> Meta {
        Meta {
            kind: Kind::File,
            size: m.size,
            modified: Some(SystemTime::from(m.last_modified)),
            etag: m.e_tag.as_deref().map(|t| normalize_etag(t).to_string()),
            cached: None,
        }
    }

    /// Refuses writing to a path that is a folder (objects exist below it).
    fn refuse_folder(&self, rel: &str) -> Result<()> {
        if rel.is_empty() {
            return Err(
                Error::new(ErrorKind::IsADirectory, "is the mount's root directory")
                    .at(&self.mount),
            );
        }
        Ok(())
    }

    /// Reads all of `src`, refusing more than [`MAX_BUFFERED`] bytes.
    fn read_bounded(&self, src: &mut dyn Read, rel: &str, why: &str) -> Result<Vec<u8>> {
        let mut buf = Vec::new();
        src.take(MAX_BUFFERED as u64 + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Error::input(&e, self.vpath(rel)))?;
        if buf.len() > MAX_BUFFERED {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "{why} on an object store is limited to {} MiB",
                    MAX_BUFFERED >> 20
                ),
            )
            .at(self.vpath(rel)));
        }
        Ok(buf)
    }

    fn put(&self, rel: &str, data: Vec<u8>, mode: PutMode) -> Result<Option<String>> {
        let opts = PutOptions {
            mode,
            ..Default::default()
        };
        let r = self
            .block(
                self.store
                    .put_opts(&self.key(rel), PutPayload::from(data), opts),
            )
            .map_err(|e| self.err(e, rel))?;
        Ok(r.e_tag.as_deref().map(|t| normalize_etag(t).to_string()))
    }

    fn update_version(m: &object_store::ObjectMeta) -> UpdateVersion {
        UpdateVersion {
            e_tag: m.e_tag.clone(),
            version: m.version.clone(),
        }
    }

    /// Streams `first` and then the rest of `src` into a multipart upload.
    fn upload_multipart(
        &self,
        rel: &str,
        first: Vec<u8>,
        src: &mut dyn Read,
    ) -> Result<(u64, Option<String>)> {
        let key = self.key(rel);
        let vp = self.vpath(rel);
        self.block(async {
            let upload = self
                .store
                .put_multipart(&key)
                .await
                .map_err(|e| self.err(e, rel))?;
            let mut w = WriteMultipart::new_with_chunk_size(upload, MULTIPART_THRESHOLD);
            let mut total = first.len() as u64;
            w.write(&first);
            drop(first);
            let mut buf = vec![0u8; COPY_BUF];
            loop {
                let n = match src.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        let _ = w.abort().await;
                        return Err(Error::input(&e, &vp));
                    }
                };
                if let Err(e) = w.wait_for_capacity(UPLOAD_CONCURRENCY).await {
                    // A failed part: abort, so the store keeps no invisible (billed) parts.
                    let _ = w.abort().await;
                    return Err(self.err(e, rel));
                }
                w.write(&buf[..n]);
                total += n as u64;
            }
            let r = w.finish().await.map_err(|e| self.err(e, rel))?;
            Ok((
                total,
                r.e_tag.as_deref().map(|t| normalize_etag(t).to_string()),
            ))
        })
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads an object stream synchronously. With `idle`, a chunk that does not arrive within it
/// fails the read (a stalled download), however long the whole download has run.
struct StreamReader {
    rt: Arc<tokio::runtime::Runtime>,
    stream: BoxStream<'static, object_store::Result<Bytes>>,
    chunk: Bytes,
    idle: Option<Duration>,
    endpoint: String,
}

impl Read for StreamReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            let next = match self.idle {
                Some(idle) => self
                    .rt
                    .block_on(async { tokio::time::timeout(idle, self.stream.next()).await })
                    .map_err(|_| {
                        io::Error::new(
                            io::ErrorKind::TimedOut,
                            format!(
                                "the object store at {} sent nothing for {} s in the middle of a download",
                                self.endpoint,
                                idle.as_secs_f64()
                            ),
                        )
                    })?,
                None => self.rt.block_on(self.stream.next()),
            };
            match next {
                None => return Ok(0),
                Some(Ok(b)) => self.chunk = b,
                Some(Err(e)) => return Err(io::Error::other(one_line(&e.to_string()))),
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk[..n]);
        self.chunk = self.chunk.slice(n..);
        Ok(n)
    }
}

impl Backend for ObjectBackend {
    fn kind(&self) -> &'static str {
        "object"
    }

    fn stat(&self, rel: &str, _opts: StatOptions) -> Result<Meta> {
        let dir = Meta {
            kind: Kind::Dir,
            size: 0,
            modified: None,
            etag: None,
            cached: None,
        };
        if rel.is_empty() {
            return Ok(dir);
        }
        if let Some(m) = self.head(rel)? {
            let mut meta = Self::file_meta(&m);
            if let (Some(cache), Some(tag)) = (&self.cache, m.e_tag.as_deref()) {
                meta.cached = Some(cache.file_for(&m.location, normalize_etag(tag)).exists());
            }
            return Ok(meta);
        }
        if self.has_children(rel)? {
            return Ok(dir);
        }
        Err(Error::new(ErrorKind::NotFound, "no such file or directory").at(self.vpath(rel)))
    }

    fn open(&self, rel: &str) -> Result<Content> {
        self.open_tagged(rel).map(|(content, _)| content)
    }

    /// The store's ETag of the object served: the cached copy's (the cache is keyed by it)
    /// or the one the GET answered with.
    fn open_tagged(&self, rel: &str) -> Result<(Content, Option<String>)> {
        let key = self.key(rel);
        if let Some(cache) = &self.cache {
            let m = match self.head(rel)? {
                Some(m) => m,
                None => return Err(self.not_a_file(rel)),
            };
            let tag = normalize_etag(m.e_tag.as_deref().unwrap_or_default()).to_string();
            let path = cache.file_for(&key, &tag);
            if let Ok(f) = std::fs::File::open(&path) {
                let _ = f.set_modified(SystemTime::now());
                return Ok((Content::File(f), Some(tag).filter(|t| !t.is_empty())));
            }
            // Fill the cache: download to a temp file beside the entry, then rename.
            let io_err = |e: io::Error| Error::io(&e, self.vpath(rel));
            std::fs::create_dir_all(&cache.dir).map_err(io_err)?;
            let mut tmp = tempfile::NamedTempFile::new_in(&cache.dir).map_err(io_err)?;
            // Named by the tag the GET answered with: the object may have changed since the
            // HEAD, and a cache entry must hold exactly the version its name says.
            let (mut reader, got) = self.stream_reader(rel)?;
            let tag = got.unwrap_or(tag);
            let path = cache.file_for(&key, &tag);
            io::copy(&mut reader, tmp.as_file_mut()).map_err(|e| {
                Error::new(
                    ErrorKind::Io,
                    format!("the object store at {} failed: {e}", self.endpoint),
                )
                .at(self.vpath(rel))
            })?;
            let f = tmp.persist(&path).map_err(|e| io_err(e.error))?;
            cache.evict();
            let mut f = f;
            io::Seek::seek(&mut f, io::SeekFrom::Start(0)).map_err(io_err)?;
            return Ok((Content::File(f), Some(tag).filter(|t| !t.is_empty())));
        }
        let (reader, tag) = self.stream_reader(rel)?;
        Ok((Content::Stream(Box::new(reader)), tag))
    }

    fn write(&self, rel: &str, src: &mut dyn Read, opts: &WriteOptions) -> Result<WriteOutcome> {
        self.refuse_folder(rel)?;
        let existing = self.head(rel)?;
        if existing.is_none() && self.has_children(rel)? {
            return Err(Error::new(ErrorKind::IsADirectory, "is a directory").at(self.vpath(rel)));
        }
        let created = existing.is_none();
        let mode = match (&opts.precondition, &existing) {
            (Precondition::None, _) => None,
            (Precondition::IfNoneMatch, Some(_)) => return Err(exists_conflict(self.vpath(rel))),
            (Precondition::IfNoneMatch, None) => Some(PutMode::Create),
            (Precondition::IfMatch(want), Some(m)) => {
                check_if_match(
                    self.vpath(rel),
                    want,
                    Some(m.e_tag.as_deref().unwrap_or_default()),
                )?;
                Some(PutMode::Update(Self::update_version(m)))
            }
            (Precondition::IfMatch(want), None) => {
                return Err(if_match_conflict(self.vpath(rel), want, None));
            }
        };
        if let Some(mode) = mode {
            let data = self.read_bounded(src, rel, "a conditional write")?;
            let bytes = data.len() as u64;
            let etag = self.put(rel, data, mode)?;
            return Ok(WriteOutcome {
                bytes,
                created,
                etag,
            });
        }
        // Unconditional: small objects in one put, big ones streamed in parts.
        let mut first = Vec::with_capacity(COPY_BUF);
        src.take(MULTIPART_THRESHOLD as u64)
            .read_to_end(&mut first)
            .map_err(|e| Error::input(&e, self.vpath(rel)))?;
        if first.len() < MULTIPART_THRESHOLD {
            let bytes = first.len() as u64;
            let etag = self.put(rel, first, PutMode::Overwrite)?;
            return Ok(WriteOutcome {
                bytes,
                created,
                etag,
            });
        }
        let (bytes, etag) = self.upload_multipart(rel, first, src)?;
        Ok(WriteOutcome {
            bytes,
            created,
            etag,
        })
    }

    fn append(&self, rel: &str, src: &mut dyn Read, opts: &WriteOptions) -> Result<WriteOutcome> {
        self.refuse_folder(rel)?;
        if opts.precondition == Precondition::IfNoneMatch {
            return Err(Error::usage("append does not take --if-none-match; use `ax write --if-none-match '*'` to create")
                .at(self.vpath(rel)));
        }
        let addition = self.read_bounded(src, rel, "an append")?;
        let mut rng_state = xxhash_rust::xxh3::xxh3_64(
            format!("{}{:?}", std::process::id(), SystemTime::now()).as_bytes(),
        );
        let started = std::time::Instant::now();
        let mut attempt: u32 = 0;
        while started.elapsed() < APPEND_DEADLINE {
            attempt += 1;
            let current = self.head(rel)?;
            if let Precondition::IfMatch(want) = &opts.precondition {
                let have = current
                    .as_ref()
                    .map(|m| m.e_tag.as_deref().unwrap_or_default());
                check_if_match(self.vpath(rel), want, have)?;
            }
            let (mut data, mode) = match &current {
                None => (Vec::with_capacity(addition.len()), PutMode::Create),
                Some(m) => {
                    if m.size as usize + addition.len() > MAX_BUFFERED {
                        return Err(Error::new(
                            ErrorKind::Unsupported,
                            format!(
                                "appending on an object store is limited to objects of {} MiB",
                                MAX_BUFFERED >> 20
                            ),
                        )
                        .at(self.vpath(rel)));
                    }
                    let got = self.block(async {
                        let opts = object_store::GetOptions {
                            if_match: m.e_tag.clone(),
                            ..Default::default()
                        };
                        self.store
                            .get_opts(&self.key(rel), opts)
                            .await?
                            .bytes()
                            .await
                    });
                    match got {
                        Ok(b) => (b.to_vec(), PutMode::Update(Self::update_version(m))),
                        // Changed between head and get: start over.
                        Err(
                            object_store::Error::Precondition { .. }
                            | object_store::Error::NotFound { .. },
                        ) => {
                            continue;
                        }
                        Err(e) => return Err(self.err(e, rel)),
                    }
                }
            };
            data.extend_from_slice(&addition);
            let opts_put = PutOptions {
                mode,
                ..Default::default()
            };
            match self.block(
                self.store
                    .put_opts(&self.key(rel), PutPayload::from(data), opts_put),
            ) {
                Ok(r) => {
                    return Ok(WriteOutcome {
                        bytes: addition.len() as u64,
                        created: current.is_none(),
                        etag: r.e_tag.as_deref().map(|t| normalize_etag(t).to_string()),
                    });
                }
                Err(
                    object_store::Error::Precondition { .. }
                    | object_store::Error::AlreadyExists { .. },
                ) => {
                    // Someone else appended first: back off (jittered, growing) and redo.
                    rng_state ^= rng_state << 13;
                    rng_state ^= rng_state >> 7;
                    rng_state ^= rng_state << 17;
                    // Full jitter over a window that doubles up to 400 ms: contenders spread
                    // out instead of colliding again in lockstep.
                    let window = 10u64 << attempt.min(5);
                    std::thread::sleep(Duration::from_millis(5 + rng_state % window));
                }
                Err(
                    e @ (object_store::Error::NotImplemented { .. }
                    | object_store::Error::NotSupported { .. }),
                ) => {
                    return Err(Error::new(
                        ErrorKind::Unsupported,
                        format!(
                            "the object store at {} cannot do conditional writes, so appends could lose data; refused ({})",
                            self.endpoint,
                            one_line(&e.to_string())
                        ),
                    )
                    .at(self.vpath(rel)));
                }
                Err(e) => return Err(self.err(e, rel)),
            }
        }
        Err(Error::new(
            ErrorKind::Conflict,
            "too many concurrent writers; the append was not done",
        )
        .at(self.vpath(rel))
        .hint("try again"))
    }

    fn remove(&self, rel: &str, opts: RemoveOptions) -> Result<()> {
        if rel.is_empty() {
            return Err(Error::new(
                ErrorKind::Refused,
                "is a mount root; ax never deletes a mount's directory",
            )
            .at(&self.mount));
        }
        if self.head(rel)?.is_some() {
            return self
                .block(self.store.delete(&self.key(rel)))
                .map_err(|e| self.err(e, rel));
        }
        if !self.has_children(rel)? {
            return Err(
                Error::new(ErrorKind::NotFound, "no such file or directory").at(self.vpath(rel))
            );
        }
        if !opts.recursive {
            return Err(Error::new(ErrorKind::IsADirectory, "is a directory")
                .at(self.vpath(rel))
                .advise(Advice::RemoveRecursively));
        }
        let key = self.key(rel);
        self.block(async {
            let locations = self
                .store
                .list(Some(&key))
                .map(|r| r.map(|m| m.location))
                .boxed();
            let mut deleted = self.store.delete_stream(locations);
            while let Some(r) = deleted.next().await {
                r.map_err(|e| self.err(e, rel))?;
            }
            Ok(())
        })
    }

    fn list(&self, rel: &str) -> Result<Vec<Entry>> {
        let key = self.key(rel);
        let prefix = if rel.is_empty() && self.prefix.is_empty() {
            None
        } else {
            Some(&key)
        };
        let listed = self
            .block(self.store.list_with_delimiter(prefix))
            .map_err(|e| self.err(e, rel))?;
        // Keep only prefixes that still hold objects (checked a few at a time), so a store
        // that reports emptied folders for a while does not show ghosts.
        let live: Vec<bool> = self
            .block(async {
                futures::stream::iter(listed.common_prefixes.iter())
                    .map(|p| self.prefix_has_objects(p))
                    .buffered(8)
                    .collect::<Vec<_>>()
                    .await
                    .into_iter()
                    .collect::<object_store::Result<Vec<bool>>>()
            })
            .map_err(|e| self.err(e, rel))?;
        let mut out = Vec::new();
        for (p, _) in listed
            .common_prefixes
            .iter()
            .zip(&live)
            .filter(|(_, live)| **live)
        {
            if let Some(r) = self.rel_of(p) {
                out.push(Entry {
                    rel: r,
                    meta: Meta {
                        kind: Kind::Dir,
                        size: 0,
                        modified: None,
                        etag: None,
                        cached: None,
                    },
                });
            }
        }
        for m in &listed.objects {
            if let Some(r) = self.rel_of(&m.location).filter(|r| !r.is_empty()) {
                out.push(Entry {
                    rel: r,
                    meta: Self::file_meta(m),
                });
            }
        }
        if out.is_empty() && !rel.is_empty() {
            return Err(match self.head(rel)? {
                Some(_) => Error::new(ErrorKind::NotADirectory, "is a file, not a directory")
                    .at(self.vpath(rel)),
                None => {
                    Error::new(ErrorKind::NotFound, "no such file or directory").at(self.vpath(rel))
                }
            });
        }
        out.sort_by(|a, b| a.rel.cmp(&b.rel));
        Ok(out)
    }

    fn walk(&self, rel: &str, visit: &mut dyn FnMut(&Entry) -> Walk) -> Result<()> {
        let key = self.key(rel);
        let prefix = if rel.is_empty() && self.prefix.is_empty() {
            None
        } else {
            Some(&key)
        };
        let objects: Vec<object_store::ObjectMeta> = self.block(async {
            let mut s = self.store.list(prefix);
            let mut v = Vec::new();
            while let Some(m) = s.next().await {
                v.push(m.map_err(|e| self.err(e, rel))?);
            }
            Ok::<_, Error>(v)
        })?;
        // Files plus the folders they imply, in depth-first name order (like walkdir).
        let mut entries: BTreeMap<Vec<String>, Entry> = BTreeMap::new();
        let base_depth = if rel.is_empty() {
            0
        } else {
            rel.split('/').count()
        };
        for m in &objects {
            let Some(r) = self.rel_of(&m.location).filter(|r| !r.is_empty()) else {
                continue;
            };
            let parts: Vec<String> = r.split('/').map(str::to_string).collect();
            for depth in base_depth + 1..parts.len() {
                let dir = parts[..depth].to_vec();
                entries.entry(dir.clone()).or_insert_with(|| Entry {
                    rel: dir.join("/"),
                    meta: Meta {
                        kind: Kind::Dir,
                        size: 0,
                        modified: None,
                        etag: None,
                        cached: None,
                    },
                });
            }
            entries.insert(
                parts,
                Entry {
                    rel: r,
                    meta: Self::file_meta(m),
                },
            );
        }
        let mut skip: Option<String> = None;
        for e in entries.values() {
            if let Some(s) = &skip {
                if e.rel.starts_with(s.as_str()) && e.rel.as_bytes().get(s.len()) == Some(&b'/') {
                    continue;
                }
                skip = None;
            }
            match visit(e) {
                Walk::Continue => {}
                Walk::SkipDir => skip = Some(e.rel.clone()),
                Walk::Stop => break,
            }
        }
        Ok(())
    }

    fn rename(&self, from: &str, to: &str) -> Result<bool> {
        // A single object moves by a server-side copy and a delete; folders are left to the
        // caller's copy-verify-delete.
        if self.head(from)?.is_none() {
            return Ok(false);
        }
        self.refuse_folder(to)?;
        self.block(self.store.copy(&self.key(from), &self.key(to)))
            .map_err(|e| self.err(e, to))?;
        self.block(self.store.delete(&self.key(from)))
            .map_err(|e| self.err(e, from))?;
        Ok(true)
    }

    fn create_dir(&self, _rel: &str) -> Result<()> {
        Ok(())
    }
}

impl ObjectBackend {
    /// A reader of the object's bytes, with the ETag the store answered the GET with.
    fn stream_reader(&self, rel: &str) -> Result<(StreamReader, Option<String>)> {
        let got = self.block(self.store.get(&self.key(rel)));
        let r = match got {
            Ok(r) => r,
            Err(object_store::Error::NotFound { .. }) => return Err(self.not_a_file(rel)),
            Err(e) => return Err(self.err(e, rel)),
        };
        let tag = r
            .meta
            .e_tag
            .as_deref()
            .map(|t| normalize_etag(t).to_string());
        let reader = StreamReader {
            rt: Arc::clone(&self.rt),
            stream: r.into_stream(),
            chunk: Bytes::new(),
            idle: self.idle,
            endpoint: self.endpoint.clone(),
        };
        Ok((reader, tag))
    }

    /// The error for opening something that is not an object: a folder, or nothing.
    fn not_a_file(&self, rel: &str) -> Error {
        match self.has_children(rel) {
            Ok(true) => Error::new(ErrorKind::IsADirectory, "is a directory")
                .at(self.vpath(rel))
                .advise(Advice::ListFolder),
            Ok(false) => {
                Error::new(ErrorKind::NotFound, "no such file or directory").at(self.vpath(rel))
            }
            Err(e) => e,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mem() -> ObjectBackend {
        let dir = std::env::temp_dir();
        ObjectBackend::new(
            VPath::parse("/m").unwrap(),
            "memory://",
            &ObjectOptions::default(),
            &dir,
        )
        .unwrap()
    }

    #[test]
    fn memory_store_round_trip_and_folders() {
        let b = mem();
        b.write("a/b.txt", &mut &b"hello"[..], &WriteOptions::default())
            .unwrap();
        let mut s = String::new();
        b.open("a/b.txt").unwrap().read_to_string(&mut s).unwrap();
        assert_eq!(s, "hello");
        assert_eq!(b.stat("a", StatOptions::default()).unwrap().kind, Kind::Dir);
        let names: Vec<_> = b.list("").unwrap().into_iter().map(|e| e.rel).collect();
        assert_eq!(names, ["a"]);
        assert_eq!(
            b.remove("a", RemoveOptions::default()).unwrap_err().kind(),
            ErrorKind::IsADirectory
        );
        b.remove("a", RemoveOptions { recursive: true }).unwrap();
        assert_eq!(
            b.stat("a", StatOptions::default()).unwrap_err().kind(),
            ErrorKind::NotFound
        );
    }

    #[test]
    fn appends_and_preconditions_on_memory() {
        let b = mem();
        b.append("log", &mut &b"one\n"[..], &WriteOptions::default())
            .unwrap();
        b.append("log", &mut &b"two\n"[..], &WriteOptions::default())
            .unwrap();
        let mut s = String::new();
        b.open("log").unwrap().read_to_string(&mut s).unwrap();
        assert_eq!(s, "one\ntwo\n");
        let stale = WriteOptions {
            precondition: Precondition::IfMatch("nope".into()),
            report_etag: false,
        };
        assert_eq!(
            b.write("log", &mut &b"x"[..], &stale).unwrap_err().kind(),
            ErrorKind::Conflict
        );
        let create = WriteOptions {
            precondition: Precondition::IfNoneMatch,
            report_etag: false,
        };
        assert_eq!(
            b.write("log", &mut &b"x"[..], &create).unwrap_err().kind(),
            ErrorKind::Conflict
        );
    }

    #[test]
    fn read_cache_serves_current_content_and_stays_bounded() {
        let state = tempfile::tempdir().unwrap();
        let opts = ObjectOptions {
            cache_bytes: Some(1 << 20),
            ..Default::default()
        };
        let b = ObjectBackend::new(
            VPath::parse("/m").unwrap(),
            "memory://",
            &opts,
            state.path(),
        )
        .unwrap();
        let read = |rel: &str| {
            let mut v = Vec::new();
            b.open(rel).unwrap().read_to_end(&mut v).unwrap();
            v
        };
        b.write("f", &mut &b"version one"[..], &WriteOptions::default())
            .unwrap();
        assert_eq!(
            b.stat("f", StatOptions::default()).unwrap().cached,
            Some(false)
        );
        assert_eq!(read("f"), b"version one");
        assert_eq!(
            b.stat("f", StatOptions::default()).unwrap().cached,
            Some(true)
        );
        assert_eq!(read("f"), b"version one", "served from the cache");
        // A new version has a new ETag: never served stale.
        b.write("f", &mut &b"version two"[..], &WriteOptions::default())
            .unwrap();
        assert_eq!(
            b.stat("f", StatOptions::default()).unwrap().cached,
            Some(false)
        );
        assert_eq!(read("f"), b"version two");
        // Filling past the bound evicts the oldest entries.
        let big = vec![7u8; 400 * 1024];
        for i in 0..6 {
            b.write(
                &format!("big{i}"),
                &mut big.as_slice(),
                &WriteOptions::default(),
            )
            .unwrap();
            assert_eq!(read(&format!("big{i}")), big);
        }
        let cache_dir = state.path().join("cache");
        let total: u64 = walkdir::WalkDir::new(&cache_dir)
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file())
            .map(|e| e.metadata().unwrap().len())
            .sum();
        assert!(
            total <= 1 << 20,
            "cache holds {total} bytes, bound is 1 MiB"
        );
        assert_eq!(
            b.stat("big5", StatOptions::default()).unwrap().cached,
            Some(true)
        );
    }
}
