//! The real S3-compatible test server (started by `scripts/test.sh`, see
//! `scripts/s3-server.sh`) as the tests see it: its settings from the environment, and direct
//! access to the bucket through `object_store`, so tests can assert on what is really stored
//! without going through ax.
//!
//! Without the server's environment a test needing it is skipped with a note on stderr, or
//! fails when `AX_REQUIRE_BACKENDS=1` (as in CI), so a broken set-up cannot pass silently.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use futures::TryStreamExt;
use object_store::ObjectStoreExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, PutPayload};

/// The environment variables the server's settings come from (all required).
const VARS: &[&str] = &[
    "AWS_ENDPOINT",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_REGION",
    "AX_TEST_S3_BUCKET",
];

/// Settings of the S3 test server.
#[derive(Debug, Clone)]
pub(crate) struct S3Env {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// The bucket the tests may use.
    pub bucket: String,
    /// Access key and secret the server accepts.
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Region for signing.
    pub region: String,
}

impl S3Env {
    /// The server's settings, or `None` (after a note on stderr) when the environment does not
    /// name one. Panics instead when `AX_REQUIRE_BACKENDS=1`.
    pub(crate) fn get(test: &str) -> Option<S3Env> {
        let missing: Vec<&str> = VARS
            .iter()
            .copied()
            .filter(|v| std::env::var(v).map_or(true, |s| s.is_empty()))
            .collect();
        if !missing.is_empty() {
            let why = format!(
                "{test}: no S3 test server ({} unset; scripts/test.sh or scripts/s3-server.sh sets them)",
                missing.join(", ")
            );
            return super::skip_or_fail(&why);
        }
        let var = |k: &str| std::env::var(k).expect("checked above");
        Some(S3Env {
            endpoint: var("AWS_ENDPOINT"),
            bucket: var("AX_TEST_S3_BUCKET"),
            access_key_id: var("AWS_ACCESS_KEY_ID"),
            secret_access_key: var("AWS_SECRET_ACCESS_KEY"),
            region: var("AWS_REGION"),
        })
    }

    /// The variables an `ax` child process needs to reach the server (the harness clears
    /// the environment, so they are passed explicitly).
    pub(crate) fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", self.access_key_id.clone()),
            ("AWS_SECRET_ACCESS_KEY", self.secret_access_key.clone()),
            ("AWS_REGION", self.region.clone()),
            ("AWS_ALLOW_HTTP", "true".to_string()),
        ]
    }
}

/// A prefix no other test (or earlier run) uses: `NAME-<time><pid><counter>`.
pub(crate) fn unique_prefix(name: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{name}-{nanos:x}-{:x}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Direct access to the objects below one prefix of the test bucket, bypassing ax.
/// Everything below the prefix is deleted when it is dropped.
pub(crate) struct Bucket {
    store: AmazonS3,
    rt: tokio::runtime::Runtime,
    /// The prefix (no leading or trailing `/`).
    pub prefix: String,
}

impl Bucket {
    /// A client for `s3` limited to `prefix`.
    pub(crate) fn new(s3: &S3Env, prefix: &str) -> Bucket {
        let store = AmazonS3Builder::new()
            .with_endpoint(&s3.endpoint)
            .with_allow_http(true)
            .with_region(&s3.region)
            .with_access_key_id(&s3.access_key_id)
            .with_secret_access_key(&s3.secret_access_key)
            .with_bucket_name(&s3.bucket)
            .build()
            .expect("build the S3 test client");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        Bucket {
            store,
            rt,
            prefix: prefix.trim_matches('/').to_string(),
        }
    }

    /// The `s3://bucket/prefix/` URL of a mount over this prefix.
    pub(crate) fn url(&self, s3: &S3Env) -> String {
        format!("s3://{}/{}/", s3.bucket, self.prefix)
    }

    fn key(&self, rel: &str) -> ObjPath {
        ObjPath::from(format!("{}/{}", self.prefix, rel.trim_start_matches('/')))
    }

    /// The object at `rel` below the prefix, or `None` if there is none.
    pub(crate) fn get(&self, rel: &str) -> Option<Vec<u8>> {
        let key = self.key(rel);
        self.rt.block_on(async {
            match self.store.get(&key).await {
                Ok(r) => Some(r.bytes().await.expect("read object body").to_vec()),
                Err(object_store::Error::NotFound { .. }) => None,
                Err(e) => panic!("GET {key}: {e}"),
            }
        })
    }

    /// Size and ETag (without quotes) of the object at `rel`, or `None`.
    pub(crate) fn head(&self, rel: &str) -> Option<(u64, Option<String>)> {
        let key = self.key(rel);
        self.rt.block_on(async {
            match self.store.head(&key).await {
                Ok(m) => Some((m.size, m.e_tag.map(|t| t.trim_matches('"').to_string()))),
                Err(object_store::Error::NotFound { .. }) => None,
                Err(e) => panic!("HEAD {key}: {e}"),
            }
        })
    }

    /// Puts `bytes` at `rel` below the prefix.
    pub(crate) fn put(&self, rel: &str, bytes: &[u8]) {
        let key = self.key(rel);
        self.rt
            .block_on(self.store.put(&key, PutPayload::from(bytes.to_vec())))
            .unwrap_or_else(|e| panic!("PUT {key}: {e}"));
    }

    /// Every object key below the prefix, relative to it, sorted.
    pub(crate) fn keys(&self) -> Vec<String> {
        let prefix = ObjPath::from(self.prefix.as_str());
        let mut keys: Vec<String> = self
            .rt
            .block_on(self.store.list(Some(&prefix)).try_collect::<Vec<_>>())
            .unwrap_or_else(|e| panic!("LIST {prefix}: {e}"))
            .into_iter()
            .map(|m| {
                m.location
                    .as_ref()
                    .strip_prefix(&format!("{}/", self.prefix))
                    .unwrap_or(m.location.as_ref())
                    .to_string()
            })
            .collect();
        keys.sort();
        keys
    }
}

impl Drop for Bucket {
    fn drop(&mut self) {
        let prefix = ObjPath::from(self.prefix.as_str());
        let store = &self.store;
        // Best effort: a failed clean-up must not hide the test's own result.
        let _ = self.rt.block_on(async {
            let metas: Vec<_> = store.list(Some(&prefix)).try_collect().await?;
            for m in metas {
                store.delete(&m.location).await?;
            }
            Ok::<_, object_store::Error>(())
        });
    }
}
