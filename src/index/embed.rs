//! Text embeddings for semantic search: finding, verifying and loading the local embedding
//! model (ONNX, through fastembed with ONNX Runtime loaded at run time) and turning text into
//! L2-normalised vectors, plus the byte form the index stores them in.
//!
//! It does not chunk, index, store or rank anything: the index decides what to embed and keeps
//! the vectors. Without a model, [`identify`] / [`load`] return a one-sentence reason and the
//! caller degrades to keyword search with a notice; [`HashEmbedder`] exists for tests of the
//! indexing pipeline and is never a silent stand-in for the model.
//!
//! **Where the model is.** `search.model_dir` in ax.yaml, else `AX_MODEL_DIR`, else the
//! per-user folder `$XDG_DATA_HOME/ax/model` (`~/.local/share/ax/model`), where
//! `scripts/install-model.sh` puts it. The folder holds `model.onnx`, the four tokenizer files,
//! `libonnxruntime.so` and `SHA256SUMS`. ONNX Runtime (>= 1.24) comes from `ORT_DYLIB_PATH`
//! when set (the user's explicit choice, not verified), else from that folder.
//!
//! **Pinned.** Every file ax loads from the folder must match a SHA-256 compiled into ax
//! ([`KNOWN_MODELS`], [`PINNED_FILES`]): a swapped model is a supply-chain attack on every
//! agent's search, so a mismatch is refused with a message naming the file, and keyword search
//! keeps working. [`identify`] learns the model's id cheaply (from `SHA256SUMS`, no hashing)
//! so `ax index` can tell whether anything needs embedding without loading anything;
//! [`load`] hashes the bytes it actually loads.
//!
//! Loading costs ~0.3 s, so a long-running process should load once and share the embedder.

use std::any::Any;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use fastembed::{
    InitOptionsUserDefined, Pooling, QuantizationMode, TextEmbedding, TokenizerFiles,
    UserDefinedEmbeddingModel,
};
use sha2::{Digest, Sha256};

/// Environment variable naming the model folder (after the config's `search.model_dir`).
pub const MODEL_DIR_ENV: &str = "AX_MODEL_DIR";
/// Environment variable naming the ONNX Runtime shared library; read by `ort` itself.
pub const ORT_DYLIB_ENV: &str = "ORT_DYLIB_PATH";
/// Tokens per text; longer texts are truncated, so chunks should stay below ~1,000 chars.
pub const MAX_TOKENS: usize = 256;

/// Name of the runtime library inside a model folder.
const ORT_IN_MODEL_DIR: &str = "libonnxruntime.so";
/// The digest list the installer writes beside the files (`sha256sum` format).
const MANIFEST: &str = "SHA256SUMS";

/// A model ax knows: its index id and the SHA-256 of its `model.onnx`.
pub struct KnownModel {
    /// Stored with every vector: vectors of different ids never mix.
    pub id: &'static str,
    /// SHA-256 of `model.onnx`, lower-case hex.
    pub sha256: &'static str,
}

/// The models `scripts/install-model.sh` makes (the default one first).
pub const KNOWN_MODELS: &[KnownModel] = &[
    KnownModel {
        id: "all-MiniLM-L6-v2-qint8",
        sha256: "e3ce95c42573e00a505709b0f9921d385060764be21d8c5eef05eb9d962103b8",
    },
    KnownModel {
        id: "all-MiniLM-L6-v2-fp32",
        sha256: "d6c6eba9cae3f00a269c4dde481ebc9573eb084f11b1ac23ffe993bc481122c1",
    },
];

/// The other files of a model folder and their pinned SHA-256.
pub const PINNED_FILES: &[(&str, &str)] = &[
    (
        "tokenizer.json",
        "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    ),
    (
        "config.json",
        "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    ),
    (
        "special_tokens_map.json",
        "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
    ),
    (
        "tokenizer_config.json",
        "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
    ),
    (
        ORT_IN_MODEL_DIR,
        "fc44112fbe06d7d689c57e11d3862031f64711007e4ee020f8eed5185fd2c1d3",
    ),
];

/// Turns text into vectors for semantic search.
pub trait Embedder: Send + Sync {
    /// A stable id of the model, stored with the vectors: vectors from different ids never mix.
    fn model_id(&self) -> &str;
    /// Length of every vector.
    fn dim(&self) -> usize;
    /// One L2-normalised vector per text, in order; batches internally. Empty in, empty out.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String>;
    /// How many tokens the model sees of each text (capped at its maximum), for batching by
    /// padded size. The default estimates four characters per token.
    fn token_counts(&self, texts: &[&str]) -> Vec<usize> {
        texts
            .iter()
            .map(|t| (t.chars().count() / 4 + 2).min(MAX_TOKENS))
            .collect()
    }
}

/// Where the model folder came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// The config's `search.model_dir`.
    Configured(PathBuf),
    /// The `AX_MODEL_DIR` environment variable.
    Env(PathBuf),
    /// The per-user data folder.
    Default(PathBuf),
}

impl ModelSource {
    /// The model folder.
    pub fn path(&self) -> &Path {
        match self {
            ModelSource::Configured(p) | ModelSource::Env(p) | ModelSource::Default(p) => p,
        }
    }
}

impl fmt::Display for ModelSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelSource::Configured(p) => write!(f, "{} (search.model_dir)", p.display()),
            ModelSource::Env(p) => write!(f, "{} ({MODEL_DIR_ENV})", p.display()),
            ModelSource::Default(p) => write!(f, "{} (the per-user model folder)", p.display()),
        }
    }
}

/// A model folder whose model ax recognises, not yet verified byte by byte or loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelInfo {
    /// The folder and why it was chosen.
    pub source: ModelSource,
    /// The id its vectors are stored under.
    pub model_id: String,
    /// The pinned SHA-256 of its `model.onnx`.
    pub sha256: String,
}

/// The model folder to use: the configured one, else `AX_MODEL_DIR`, else the per-user
/// folder; `None` when none is set and there is no home. Cheap (no I/O).
pub fn find_model(model_dir: Option<&Path>) -> Option<ModelSource> {
    locate(model_dir, &ProcessEnv::read())
}

/// Recognises the model in its folder without reading the model itself: from `SHA256SUMS`,
/// else by hashing `model.onnx`. `Err` says in one sentence why semantic search is
/// unavailable.
pub fn identify(model_dir: Option<&Path>) -> Result<ModelInfo, String> {
    identify_with(model_dir, &ProcessEnv::read())
}

/// Verifies every file of the model against its pinned digest and loads it, or explains in
/// one sentence why semantic search is unavailable.
///
/// Never panics on a missing or wrong ONNX Runtime: `ort` panics there, and this catches it.
pub fn load(model: &ModelInfo) -> Result<Box<dyn Embedder>, String> {
    load_with(model, &ProcessEnv::read()).map(|e| Box::new(e) as Box<dyn Embedder>)
}

/// The environment variables `load` reads, taken once so tests can pass their own.
#[derive(Debug, Default, Clone)]
struct ProcessEnv {
    model_dir: Option<PathBuf>,
    ort_dylib: Option<PathBuf>,
    data_home: Option<PathBuf>,
    home: Option<PathBuf>,
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
            data_home: var("XDG_DATA_HOME").filter(|p| p.is_absolute()),
            home: var("HOME"),
        }
    }
}

fn locate(model_dir: Option<&Path>, env: &ProcessEnv) -> Option<ModelSource> {
    if let Some(dir) = model_dir {
        return Some(ModelSource::Configured(dir.to_path_buf()));
    }
    if let Some(dir) = &env.model_dir {
        return Some(ModelSource::Env(dir.clone()));
    }
    let data = env
        .data_home
        .clone()
        .or_else(|| env.home.as_ref().map(|h| h.join(".local/share")))?;
    Some(ModelSource::Default(data.join("ax").join("model")))
}

const INSTALL_HINT: &str = "scripts/install-model.sh installs it";

fn identify_with(model_dir: Option<&Path>, env: &ProcessEnv) -> Result<ModelInfo, String> {
    let source = locate(model_dir, env).ok_or_else(|| {
        format!(
            "no embedding model found: set {MODEL_DIR_ENV} or search.model_dir ({INSTALL_HINT})"
        )
    })?;
    let dir = source.path();
    if !dir.is_dir() {
        return Err(match source {
            ModelSource::Default(_) => {
                format!("no embedding model in {source} ({INSTALL_HINT} there)")
            }
            _ => format!("embedding model folder {source} does not exist ({INSTALL_HINT})"),
        });
    }
    let onnx = dir.join("model.onnx");
    let listed = std::fs::read_to_string(dir.join(MANIFEST))
        .ok()
        .and_then(|m| manifest_digest(&m, "model.onnx"));
    let sha = match listed {
        Some(d) => d,
        None => sha256_file(&onnx).map_err(|e| {
            format!("embedding model folder {source} has no readable model.onnx: {e}")
        })?,
    };
    let known = KNOWN_MODELS.iter().find(|k| k.sha256 == sha).ok_or_else(|| {
        format!(
            "{} is not a model ax knows (SHA-256 {sha} matches no pinned digest); refusing to load it ({INSTALL_HINT} again)",
            onnx.display()
        )
    })?;
    Ok(ModelInfo {
        source,
        model_id: known.id.to_string(),
        sha256: sha,
    })
}

/// The digest a `sha256sum`-format list gives for `name`.
fn manifest_digest(manifest: &str, name: &str) -> Option<String> {
    manifest.lines().find_map(|line| {
        let (digest, file) = line.split_once(char::is_whitespace)?;
        let file = file.trim_start().trim_start_matches('*');
        (file == name && digest.len() == 64).then(|| digest.to_ascii_lowercase())
    })
}

/// Lower-case hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut h = Sha256::new();
    let mut f = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(hex(&h.finalize()));
        }
        h.update(&buf[..n]);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a model folder's files are, for `ax index --status`: each pinned file with whether
/// its bytes match (`None` when it cannot be read).
pub fn verify_folder(dir: &Path) -> Vec<(String, Option<bool>)> {
    let mut out = Vec::new();
    let onnx = sha256_file(&dir.join("model.onnx")).ok();
    out.push((
        "model.onnx".to_string(),
        onnx.map(|d| KNOWN_MODELS.iter().any(|k| k.sha256 == d)),
    ));
    for (name, pinned) in PINNED_FILES {
        let got = sha256_file(&dir.join(name)).ok();
        out.push((name.to_string(), got.map(|d| d == *pinned)));
    }
    out
}

/// The model behind fastembed, with the runtime loaded from a shared library.
///
/// Every text is one inference of its own (no batch mates): the dynamically quantised model
/// computes its activation scale per call, so in a batch a text's vector would depend on its
/// neighbours (cosine 0.989 measured), and length-sorted texts gain little from batching on
/// CPU anyway (6% on the Rust books) while padding-free single calls halve peak memory. Bulk
/// embedding runs one single-threaded session per core, started on the first bulk call.
pub struct OnnxEmbedder {
    // fastembed's `embed` takes `&mut self`; a session serves one inference at a time.
    model: Mutex<TextEmbedding>,
    /// More sessions for bulk embedding (one per further core), made on first use.
    workers: std::sync::OnceLock<Result<Vec<Mutex<TextEmbedding>>, String>>,
    /// Makes a session like `model`.
    make: Box<dyn Fn() -> Result<TextEmbedding, String> + Send + Sync>,
    model_id: String,
    dim: usize,
    source: ModelSource,
}

/// Sessions at most (each holds its own copy of the ~25 MB of weights and activations).
const MAX_SESSIONS: usize = 4;

impl OnnxEmbedder {
    /// Where the model was loaded from.
    pub fn source(&self) -> &ModelSource {
        &self.source
    }

    /// One inference per text on `session`, in order.
    fn embed_on(
        &self,
        session: &Mutex<TextEmbedding>,
        texts: &[&str],
    ) -> Result<Vec<Vec<f32>>, String> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        // A panic inside inference poisons the lock but leaves the session usable.
        let mut model = session.lock().unwrap_or_else(PoisonError::into_inner);
        let vectors = panic::catch_unwind(AssertUnwindSafe(|| model.embed(texts, Some(1))))
            .map_err(|payload| format!("embedding failed: {}", panic_text(&*payload)))?
            .map_err(|e| format!("embedding failed: {e}"))?;
        drop(model);
        finish_vectors(vectors, texts.len(), self.dim)
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
        if texts.len() <= 1 {
            return self.embed_on(&self.model, texts);
        }
        let extra = self.workers.get_or_init(|| {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            (1..cores.min(MAX_SESSIONS))
                .map(|_| (self.make)().map(Mutex::new))
                .collect()
        });
        let sessions: Vec<&Mutex<TextEmbedding>> = match extra {
            Ok(more) => std::iter::once(&self.model).chain(more).collect(),
            Err(_) => vec![&self.model],
        };
        let next = std::sync::atomic::AtomicUsize::new(0);
        let mut out: Vec<Option<Vec<f32>>> = vec![None; texts.len()];
        type Share = Result<Vec<(usize, Vec<f32>)>, String>;
        let results: Vec<Share> = std::thread::scope(|s| {
            let handles: Vec<_> = sessions
                .iter()
                .map(|session| {
                    let next = &next;
                    s.spawn(move || {
                        let mut mine = Vec::new();
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(text) = texts.get(i) else {
                                return Ok(mine);
                            };
                            let v = self.embed_on(session, &[text])?;
                            mine.extend(v.into_iter().map(|v| (i, v)));
                        }
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err("an embedding thread panicked".into()))
                })
                .collect()
        });
        for r in results {
            for (i, v) in r? {
                out[i] = Some(v);
            }
        }
        out.into_iter()
            .map(|v| v.ok_or_else(|| "the model returned no vector for a text".to_string()))
            .collect()
    }

    fn token_counts(&self, texts: &[&str]) -> Vec<usize> {
        let model = self.model.lock().unwrap_or_else(PoisonError::into_inner);
        texts
            .iter()
            .map(|t| {
                model
                    .tokenizer
                    .encode(*t, true)
                    .map_or(MAX_TOKENS, |e| e.get_ids().len().min(MAX_TOKENS))
            })
            .collect()
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

fn load_with(model: &ModelInfo, env: &ProcessEnv) -> Result<OnnxEmbedder, String> {
    let source = model.source.clone();
    let dir = source.path();
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path)
            .map_err(|e| format!("embedding model folder {source} has no readable {name}: {e}"))
    };
    let mismatch = |name: &str, want: &str, got: &str| {
        format!(
            "{} does not match its pinned SHA-256 (expected {want}, found {got}); refusing to \
             load it ({INSTALL_HINT} again)",
            dir.join(name).display()
        )
    };
    let onnx = read("model.onnx")?;
    let got = sha256_hex(&onnx);
    if got != model.sha256 {
        return Err(mismatch("model.onnx", &model.sha256, &got));
    }
    let pinned = |name: &str| -> Result<Vec<u8>, String> {
        let bytes = read(name)?;
        let want = PINNED_FILES
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, d)| *d);
        let got = sha256_hex(&bytes);
        if got != want {
            return Err(mismatch(name, want, &got));
        }
        Ok(bytes)
    };
    let tokenizer = TokenizerFiles {
        tokenizer_file: pinned("tokenizer.json")?,
        config_file: pinned("config.json")?,
        special_tokens_map_file: pinned("special_tokens_map.json")?,
        tokenizer_config_file: pinned("tokenizer_config.json")?,
    };
    let dylib = select_runtime(dir, env)?;
    if env.ort_dylib.is_none() {
        pinned(ORT_IN_MODEL_DIR)?;
    }

    // A dynamically quantised model computes its activation scale per call; fastembed's
    // `Dynamic` mode would refuse batches for that reason. ax embeds each text alone (see
    // `OnnxEmbedder`), so `None` is right.
    let user_model = UserDefinedEmbeddingModel::new(onnx, tokenizer)
        .with_pooling(Pooling::Mean)
        .with_quantization(QuantizationMode::None);
    let make_source = source.clone();
    let make = move || -> Result<TextEmbedding, String> {
        let options = InitOptionsUserDefined::new()
            .with_max_length(MAX_TOKENS)
            // One thread per session, one session per core: single short inferences
            // parallelise better across texts than within one.
            .with_intra_threads(1)
            // Idle ONNX Runtime workers otherwise spin on the cores ax shares with the agent.
            .with_session_config("session.intra_op.allow_spinning", "0");
        quietly(|| TextEmbedding::try_new_from_user_defined(user_model.clone(), options))
            .map_err(|why| format!("ONNX Runtime could not be used: {why}"))?
            .map_err(|e| format!("embedding model {make_source} could not be loaded: {e}"))
    };

    // One load at a time: the runtime is process-global and the panic hook swap must not nest.
    static LOADING: Mutex<()> = Mutex::new(());
    let _loading = LOADING.lock().unwrap_or_else(PoisonError::into_inner);
    provide_runtime(&dylib, env);
    let runtime_failed = |why: String| {
        format!(
            "ONNX Runtime {} could not be used (ax needs ONNX Runtime >= 1.24 as a shared \
             library; {INSTALL_HINT}): {why}",
            dylib.display()
        )
    };
    let mut te = quietly(&make).map_err(runtime_failed)?.map_err(|e| {
        match e.strip_prefix("ONNX Runtime could not be used: ") {
            Some(why) => runtime_failed(why.to_string()),
            None => e,
        }
    })?;
    // One probe learns the dimension and proves inference works before anyone relies on it.
    let probe = quietly(|| te.embed(["ax"], None))
        .map_err(runtime_failed)?
        .map_err(|e| format!("embedding model {source} does not run: {e}"))?;
    let dim = probe.first().map_or(0, Vec::len);
    if dim == 0 {
        return Err(format!("embedding model {source} returned an empty vector"));
    }
    Ok(OnnxEmbedder {
        model: Mutex::new(te),
        workers: std::sync::OnceLock::new(),
        make: Box::new(make),
        model_id: model.model_id.clone(),
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
        #[allow(unsafe_code)]
        unsafe {
            std::env::set_var(ORT_DYLIB_ENV, dylib)
        };
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
        let err = identify_with(None, &ProcessEnv::default()).unwrap_err();
        assert!(err.contains("AX_MODEL_DIR"), "{err}");
        assert!(err.contains("search.model_dir"), "{err}");
        assert!(err.contains("scripts/install-model.sh"), "{err}");
        let home = tempfile::tempdir().unwrap();
        let env = ProcessEnv {
            home: Some(home.path().to_path_buf()),
            ..ProcessEnv::default()
        };
        let err = identify_with(None, &env).unwrap_err();
        assert!(err.contains("per-user model folder"), "{err}");
        assert!(err.contains(".local/share/ax/model"), "{err}");
    }

    #[test]
    fn configured_folder_wins_over_env_over_data_home() {
        let mut env = ProcessEnv {
            model_dir: Some("/from/env".into()),
            data_home: Some("/data".into()),
            home: Some("/home/u".into()),
            ..ProcessEnv::default()
        };
        let got = locate(Some(Path::new("/from/config")), &env).unwrap();
        assert_eq!(got, ModelSource::Configured("/from/config".into()));
        assert_eq!(got.to_string(), "/from/config (search.model_dir)");
        assert_eq!(
            locate(None, &env),
            Some(ModelSource::Env("/from/env".into()))
        );
        env.model_dir = None;
        assert_eq!(
            locate(None, &env),
            Some(ModelSource::Default("/data/ax/model".into()))
        );
        env.data_home = None;
        assert_eq!(
            locate(None, &env),
            Some(ModelSource::Default("/home/u/.local/share/ax/model".into()))
        );
    }

    #[test]
    fn manifest_lines_are_read_like_sha256sum() {
        let d = "a".repeat(64);
        let m = format!("{d}  model.onnx\n{}  *config.json\n", "b".repeat(64));
        assert_eq!(manifest_digest(&m, "model.onnx"), Some(d));
        assert_eq!(manifest_digest(&m, "config.json"), Some("b".repeat(64)));
        assert_eq!(manifest_digest(&m, "tokenizer.json"), None);
        assert_eq!(manifest_digest("short  model.onnx", "model.onnx"), None);
    }

    #[test]
    fn missing_folder_or_unknown_or_tampered_models_are_refused() {
        let env = ProcessEnv::default();
        let err = identify_with(Some(Path::new("/nonexistent/ax-model")), &env).unwrap_err();
        assert!(err.contains("does not exist"), "{err}");

        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("model.onnx"), b"not a model").unwrap();
        let err = identify_with(Some(dir.path()), &env).unwrap_err();
        assert!(err.contains("is not a model ax knows"), "{err}");
        assert!(err.contains(&sha256_hex(b"not a model")), "{err}");

        // The list claims the pinned digest, the bytes are something else: refused at load.
        let pinned = KNOWN_MODELS[0].sha256;
        std::fs::write(dir.path().join(MANIFEST), format!("{pinned}  model.onnx\n")).unwrap();
        let info = identify_with(Some(dir.path()), &env).unwrap();
        assert_eq!(info.model_id, KNOWN_MODELS[0].id);
        let err = load_with(&info, &env).unwrap_err();
        assert!(err.contains("does not match its pinned SHA-256"), "{err}");
        assert!(err.contains("model.onnx"), "{err}");
    }

    #[test]
    fn missing_runtime_is_an_error_before_ort_is_touched() {
        let dir = tempfile::tempdir().unwrap();
        let env = ProcessEnv::default();
        let err = select_runtime(dir.path(), &env).unwrap_err();
        assert!(err.contains("ORT_DYLIB_PATH"), "{err}");
        let env = ProcessEnv {
            ort_dylib: Some(dir.path().join("nope.so")),
            ..ProcessEnv::default()
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
        Some(
            identify(None)
                .and_then(|m| load(&m))
                .unwrap_or_else(|e| panic!("{e}")),
        )
    }

    #[test]
    fn real_model_ranks_by_meaning() {
        let Some(e) = real_model() else { return };
        assert_eq!(e.dim(), 384);
        assert_eq!(e.model_id(), KNOWN_MODELS[0].id);
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
        let info = identify(Some(Path::new(&dir))).unwrap_or_else(|e| panic!("{e}"));
        let err = match load(&info) {
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

    /// Needs the real model files (the runtime is the part that is bogus here), so it runs
    /// where [`real_model`] does.
    #[test]
    fn bad_runtime_is_an_error_not_a_panic() {
        let required = std::env::var("AX_REQUIRE_BACKENDS").is_ok_and(|v| v == "1");
        let Some(real) = std::env::var_os(MODEL_DIR_ENV).map(PathBuf::from) else {
            assert!(!required, "{MODEL_DIR_ENV} must name the installed model");
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "model.onnx",
            "tokenizer.json",
            "config.json",
            "special_tokens_map.json",
            "tokenizer_config.json",
            MANIFEST,
        ] {
            std::os::unix::fs::symlink(real.join(name), dir.path().join(name)).unwrap();
        }
        // An explicit ORT_DYLIB_PATH is the user's choice and is not digest-checked, so it
        // reaches `ort`, which panics on it.
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
