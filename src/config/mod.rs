//! Configuration: finding `ax.yaml`, parsing it, and resolving it into a validated [`Config`].
//!
//! Discovery order: `--config FILE`, then `AX_CONFIG`, then the nearest `ax.yaml` walking up
//! from the current directory, then the embedded default (every tier under `./.ax-data`).
//! Commands only ever see the resolved [`Config`] — absolute roots, known tiers, checked
//! lifecycle rules — never raw YAML. Every error names the file, line and key.
//!
//! YAML is read with `serde_norway`, the maintained fork of `serde_yaml` 0.9: same API and
//! the same error positions (line, column, key path), without the unmaintained parser crate.

mod exec;
mod expand;
mod model;
mod options;
mod serve;

use std::path::{Component, Path, PathBuf};

pub use exec::{DEFAULT_ENV_DENY, ExecSettings, HOME_TOOLCHAINS};
pub use expand::expand_env;
pub use model::check_token_name;
pub use model::{Embedder, LifecycleAction, Location, SandboxMode, Tier};
pub use options::{
    AZURE_OPTIONS, GCS_OPTIONS, ObjectOptions, REDIS_OPTIONS, S3_OPTIONS, parse_age_or_duration,
    parse_duration, parse_size,
};
pub use serve::{Grant, ServeSettings, Token, fresh_secret, secret_digest};

use crate::error::{Error, ErrorKind, Result};
use crate::vpath::VPath;

/// The embedded default layout (used when no `ax.yaml` is found).
pub const DEFAULT_CONFIG: &str = include_str!("default.yaml");

/// The commented example `ax init` writes.
pub const EXAMPLE_CONFIG: &str = include_str!("../../ax.yaml.example");

/// The folder (relative to the working directory) the embedded default keeps everything in.
pub const DEFAULT_DATA_DIR: &str = ".ax-data";

/// Where the configuration came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file on disk.
    File(PathBuf),
    /// The embedded default, rooted at this directory.
    Default { data_dir: PathBuf },
}

/// How [`Config::discover`] should look for a config file.
#[derive(Debug, Default, Clone)]
pub struct Discovery {
    /// `--config FILE`, if given.
    pub explicit: Option<PathBuf>,
    /// The value of `AX_CONFIG`, if set and not empty.
    pub env: Option<PathBuf>,
    /// Where to start walking up (normally the current directory).
    pub start_dir: PathBuf,
}

impl Discovery {
    /// Discovery from the process environment and `--config`.
    pub fn from_env(explicit: Option<PathBuf>) -> Result<Discovery> {
        let start_dir = std::env::current_dir().map_err(|e| {
            Error::new(
                ErrorKind::Config,
                format!("cannot read the current directory: {e}"),
            )
        })?;
        let env = std::env::var_os("AX_CONFIG")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        Ok(Discovery {
            explicit,
            env,
            start_dir,
        })
    }
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where it came from.
    pub source: Source,
    /// The layout's name.
    pub name: String,
    /// Absolute state directory (catalog, index, caches, locks).
    pub state_dir: PathBuf,
    /// Mounts, in declaration order.
    pub mounts: Vec<Mount>,
    /// Search settings.
    pub search: SearchSettings,
    /// Lifecycle rules, checked against the mount table.
    pub lifecycle: Vec<LifecycleRule>,
    /// How `ax exec` runs commands.
    pub exec: ExecSettings,
    /// Who may call `ax serve`, and on which mounts.
    pub serve: ServeSettings,
}

/// One resolved mount.
#[derive(Debug, Clone)]
pub struct Mount {
    /// The mount point.
    pub path: VPath,
    /// Its tier.
    pub tier: Tier,
    /// Where its data lives.
    pub backend: BackendSpec,
    /// Whether every mutating operation is refused.
    pub read_only: bool,
    /// Whether the mount is indexed for search (default: warm mounts only).
    pub index: bool,
    /// What the mount is for, in words (used in tool descriptions).
    pub description: Option<String>,
    /// Whether `ax exec` may run commands in this mount's folder (local mounts only).
    pub exec: bool,
}

/// The storage behind a mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendSpec {
    /// A local directory, absolute; the jail root.
    Local { root: PathBuf },
    /// An object store URL with options; `file://` URLs are already absolute.
    Object { url: String, options: ObjectOptions },
}

impl BackendSpec {
    /// A short description for tables: the directory or the URL.
    pub fn describe(&self) -> String {
        match self {
            BackendSpec::Local { root } => root.display().to_string(),
            BackendSpec::Object { url, .. } => redact_url(url),
        }
    }
}

/// Resolved `search:` settings.
#[derive(Debug, Clone)]
pub struct SearchSettings {
    /// Which embedder to use.
    pub embedder: Embedder,
    /// An explicit model folder, if configured.
    pub model_dir: Option<PathBuf>,
}

/// A resolved lifecycle rule.
#[derive(Debug, Clone)]
pub struct LifecycleRule {
    /// The mount it applies to.
    pub mount: VPath,
    /// Minimum age in seconds.
    pub older_than_secs: u64,
    /// Delete or move.
    pub action: LifecycleAction,
    /// Destination for moves.
    pub to: Option<VPath>,
}

impl Config {
    /// Finds and loads the configuration. `announce` receives the one-time notice printed
    /// when the embedded default is used for the first time in a directory.
    pub fn discover(how: &Discovery) -> Result<Config> {
        if let Some(path) = &how.explicit {
            return Config::load(path, "--config");
        }
        if let Some(path) = &how.env {
            return Config::load(path, "AX_CONFIG");
        }
        let mut dir = Some(how.start_dir.as_path());
        while let Some(d) = dir {
            let candidate = d.join("ax.yaml");
            if candidate.is_file() {
                return Config::load(&candidate, "search");
            }
            dir = d.parent();
        }
        Config::embedded_default(&how.start_dir)
    }

    /// The embedded default, with data under `<dir>/.ax-data`.
    pub fn embedded_default(dir: &Path) -> Result<Config> {
        let mut cfg = Config::from_yaml(DEFAULT_CONFIG, "<embedded default>", dir)?;
        let data_dir = dir.join(DEFAULT_DATA_DIR);
        cfg.source = Source::Default { data_dir };
        Ok(cfg)
    }

    /// Loads the file at `path`; `how` says how it was named (for the error message).
    pub fn load(path: &Path, how: &str) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::new(
                ErrorKind::Config,
                format!(
                    "cannot read the config file ({how}): {}",
                    crate::error::Error::io(&e, "").message()
                ),
            )
            .at(path.display())
            .hint("check the path, or run `ax init` to write an ax.yaml here")
        })?;
        let abs = absolutize(path)?;
        let dir = abs
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("/"));
        let mut cfg = Config::from_yaml(&text, &path.display().to_string(), &dir)?;
        cfg.source = Source::File(abs);
        Ok(cfg)
    }

    /// Parses YAML `text` (named `file` in errors), resolving relative paths against `dir`.
    pub fn from_yaml(text: &str, file: &str, dir: &Path) -> Result<Config> {
        let raw: model::RawConfig =
            serde_norway::from_str(text).map_err(|e| yaml_error(&e, file))?;
        let dir = absolutize(dir)?;

        let state_dir = match &raw.state_dir {
            Some(s) => normalize(&dir.join(&s.0)),
            None => dir.join(".ax"),
        };
        let mut seen = std::collections::BTreeSet::new();
        for m in &raw.mounts.0 {
            if !seen.insert(m.path.clone()) {
                let path_lines =
                    |l: &str| l.contains("path:") && l.trim_end().ends_with(m.path.as_str());
                let line = text
                    .lines()
                    .enumerate()
                    .filter(|(_, l)| path_lines(l))
                    .nth(1)
                    .map(|(i, _)| i + 1);
                let subject = line.map_or_else(|| file.to_string(), |l| format!("{file}:{l}"));
                return Err(Error::new(
                    ErrorKind::Config,
                    format!("mount point {} is declared twice", m.path),
                )
                .at(subject));
            }
        }
        let mut mounts = Vec::with_capacity(raw.mounts.0.len());
        for m in raw.mounts.0 {
            let backend = match m.location {
                Location::Dir(root) => BackendSpec::Local {
                    root: normalize(&dir.join(root)),
                },
                Location::Url(url) => {
                    let mut spec = resolve_url(&url, &dir).map_err(|msg| {
                        config_error(
                            file,
                            text,
                            &["url:", &url],
                            format!("mount {}: {msg}", m.path),
                        )
                    })?;
                    if let BackendSpec::Object { url, options } = &mut spec {
                        // Store client keys are known now: a typo fails at load, at its line.
                        let scheme = url.split("://").next().unwrap_or("");
                        let known: Option<StoreKeys> = match scheme {
                            "s3" | "s3a" => Some(("S3", options::S3_OPTIONS, |k| {
                                k.parse::<object_store::aws::AmazonS3ConfigKey>().is_ok()
                            })),
                            "az" | "abfs" | "abfss" | "azure" => {
                                Some(("Azure", options::AZURE_OPTIONS, |k| {
                                    k.parse::<object_store::azure::AzureConfigKey>().is_ok()
                                }))
                            }
                            "gs" => Some(("GCS", options::GCS_OPTIONS, |k| {
                                k.parse::<object_store::gcp::GoogleConfigKey>().is_ok()
                            })),
                            _ => None,
                        };
                        if let Some((store, list, ok)) = known
                            && let Some(k) = m.options.store.keys().find(|k| !ok(k))
                        {
                            return Err(config_error(
                                file,
                                text,
                                &[&format!("{k}:")],
                                format!(
                                    "mount {}: options.{k}: unknown option for a mount on {store}; known: {list}",
                                    m.path
                                ),
                            ));
                        }
                        if is_redis_url(url) {
                            // Redis keys are few and typed: check them now, at their line.
                            for (k, v) in &m.options.store {
                                let bad = match k.as_str() {
                                    "prefix"
                                        if !v.is_empty() && !v.contains(char::is_whitespace) =>
                                    {
                                        None
                                    }
                                    "prefix" => Some("a prefix is one word".to_string()),
                                    "ttl" => parse_age_or_duration(v).err(),
                                    "max_size" => parse_size(v).err(),
                                    _ => Some(format!(
                                        "unknown option for a Redis mount; known: {}",
                                        options::REDIS_OPTIONS
                                    )),
                                };
                                if let Some(msg) = bad {
                                    return Err(config_error(
                                        file,
                                        text,
                                        &[&format!("{k}:")],
                                        format!("mount {}: options.{k}: {msg}", m.path),
                                    ));
                                }
                            }
                        }
                        *options = m.options.clone();
                    }
                    spec
                }
            };
            if let BackendSpec::Local { root } = &backend
                && state_dir.starts_with(root)
            {
                return Err(config_error(
                    file,
                    text,
                    &["state_dir:"],
                    format!(
                        "state_dir lies inside the data of mount {}; ax keeps its state apart from mount data — choose another folder",
                        m.path
                    ),
                ));
            }
            mounts.push(Mount {
                index: m.index.unwrap_or(m.tier == Tier::Warm),
                read_only: m.read_only.unwrap_or(false),
                path: m.path,
                tier: m.tier,
                backend,
                description: m.description,
                exec: m.exec,
            });
        }

        let search_raw = raw.search.unwrap_or_default();
        let search = SearchSettings {
            embedder: search_raw.embedder.unwrap_or(Embedder::Default),
            model_dir: search_raw.model_dir.map(|d| normalize(&dir.join(d.0))),
        };

        let mut lifecycle = Vec::new();
        for (i, rule) in raw.lifecycle.into_iter().enumerate() {
            let key = format!("lifecycle[{i}]");
            let known = |p: &VPath| mounts.iter().any(|m| &m.path == p);
            let mount = VPath::parse(&rule.mount)
                .ok()
                .filter(known)
                .ok_or_else(|| {
                    config_error(
                        file,
                        text,
                        &["mount:", &rule.mount],
                        format!(
                            "{key}.mount: {} is not a declared mount; declared: {}",
                            rule.mount,
                            mount_list(&mounts)
                        ),
                    )
                })?;
            let to = match (rule.action, &rule.to) {
                (LifecycleAction::Move, None) => {
                    return Err(config_error(
                        file,
                        text,
                        &["mount:", &rule.mount],
                        format!(
                            "{key}: `action: move` needs `to:`, a folder under another mount (e.g. /archive/old)"
                        ),
                    ));
                }
                (LifecycleAction::Delete, Some(_)) => {
                    return Err(config_error(
                        file,
                        text,
                        &["to:"],
                        format!("{key}.to: only `action: move` takes `to:`"),
                    ));
                }
                (_, Some(to)) => {
                    let parsed = VPath::parse(to)
                        .ok()
                        .filter(|p| mounts.iter().any(|m| p.starts_with(&m.path)));
                    Some(parsed.ok_or_else(|| {
                        config_error(
                            file,
                            text,
                            &["to:", to],
                            format!(
                                "{key}.to: {to} is not under a declared mount; declared: {}",
                                mount_list(&mounts)
                            ),
                        )
                    })?)
                }
                (_, None) => None,
            };
            lifecycle.push(LifecycleRule {
                mount,
                older_than_secs: rule.older_than.0,
                action: rule.action,
                to,
            });
        }

        let exec = ExecSettings::resolve(raw.exec, &dir)
            .map_err(|msg| config_error(file, text, &["exec:"], msg))?;
        let points: Vec<(VPath, bool)> = mounts.iter().map(|m| (m.path.clone(), m.exec)).collect();
        let serve = ServeSettings::resolve(raw.serve, &points).map_err(|(needles, msg)| {
            let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
            config_error(file, text, &needles, msg)
        })?;

        Ok(Config {
            source: Source::File(PathBuf::from(file)),
            name: raw.name.unwrap_or_else(|| "ax".to_string()),
            state_dir,
            mounts,
            search,
            lifecycle,
            exec,
            serve,
        })
    }

    /// The file this config came from, if any.
    pub fn file(&self) -> Option<&Path> {
        match &self.source {
            Source::File(p) => Some(p),
            Source::Default { .. } => None,
        }
    }
}

fn mount_list(mounts: &[Mount]) -> String {
    mounts
        .iter()
        .map(|m| m.path.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A store's name, its known options (for the message) and the check of one key.
type StoreKeys = (&'static str, &'static str, fn(&str) -> bool);

/// `url` without a password (`redis://:secret@host` → `redis://host`), for tables and
/// messages: secrets never reach output.
pub fn redact_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let authority = rest.split('/').next().unwrap_or("");
            match authority.rsplit_once('@') {
                Some((_, host)) => format!("{scheme}://{host}{}", &rest[authority.len()..]),
                None => url.to_string(),
            }
        }
        None => url.to_string(),
    }
}

/// Whether `url` names a Redis or Valkey server (TCP, TLS or a Unix socket).
pub fn is_redis_url(url: &str) -> bool {
    [
        "redis://",
        "rediss://",
        "unix://",
        "redis+unix://",
        "valkey://",
        "valkeys://",
    ]
    .iter()
    .any(|s| url.starts_with(s))
}

/// Resolves a mount URL: `file://` paths become absolute; other schemes are kept as given.
fn resolve_url(url: &str, dir: &Path) -> std::result::Result<BackendSpec, String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(format!(
            "{url:?} is not a URL; use s3://bucket/prefix, gs://, az://, file:///path or memory://"
        ));
    };
    match scheme {
        "file" => {
            if rest.is_empty() {
                return Err(
                    "file:// needs a path, e.g. file:///var/ax/archive or file://./archive".into(),
                );
            }
            let root = normalize(&dir.join(rest));
            Ok(BackendSpec::Object {
                url: format!("file://{}", root.display()),
                options: Default::default(),
            })
        }
        "s3" | "s3a" | "gs" | "az" | "abfs" | "abfss" | "azure" | "memory" | "http" | "https"
        | "redis" | "rediss" | "unix" | "redis+unix" | "valkey" | "valkeys" => {
            Ok(BackendSpec::Object {
                url: url.to_string(),
                options: Default::default(),
            })
        }
        other => Err(format!(
            "unknown URL scheme {other}://; use s3://, gs://, az://, redis://, rediss://, unix://, file:// or memory://"
        )),
    }
}

/// Formats a serde_norway error as `file:line:col: key.path: message`.
fn yaml_error(e: &serde_norway::Error, file: &str) -> Error {
    let mut msg = e.to_string();
    // serde_norway appends " at line L column C"; we put the position first instead.
    if let Some(i) = msg.find(" at line ") {
        msg.truncate(i);
    }
    let subject = match e.location() {
        Some(loc) => format!("{file}:{}:{}", loc.line(), loc.column()),
        None => file.to_string(),
    };
    Error::new(ErrorKind::Config, msg).at(subject)
}

/// A config error for a check made after parsing: locates the first line containing all
/// `needles` so the message can still point at the right place.
fn config_error(file: &str, text: &str, needles: &[&str], msg: String) -> Error {
    let line = text
        .lines()
        .position(|l| !l.trim_start().starts_with('#') && needles.iter().all(|n| l.contains(n)))
        .map(|i| i + 1);
    let subject = match line {
        Some(l) => format!("{file}:{l}"),
        None => file.to_string(),
    };
    Error::new(ErrorKind::Config, msg).at(subject)
}

/// Makes `p` absolute against the current directory, lexically normalised.
fn absolutize(p: &Path) -> Result<PathBuf> {
    if p.is_absolute() {
        return Ok(normalize(p));
    }
    let cwd = std::env::current_dir().map_err(|e| {
        Error::new(
            ErrorKind::Config,
            format!("cannot read the current directory: {e}"),
        )
    })?;
    Ok(normalize(&cwd.join(p)))
}

/// Lexical normalisation of a host path (`.` dropped, `..` pops), without touching the disk.
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact_url("redis://:s3cret@host:6379/0"),
            "redis://host:6379/0"
        );
        assert_eq!(redact_url("rediss://user:pw@h/1"), "rediss://h/1");
        assert_eq!(redact_url("redis://host:6379"), "redis://host:6379");
        assert_eq!(
            redact_url("unix:///run/redis.sock"),
            "unix:///run/redis.sock"
        );
        assert_eq!(redact_url("s3://bucket/a@b"), "s3://bucket/a@b");
    }

    fn parse(text: &str) -> Result<Config> {
        Config::from_yaml(text, "ax.yaml", Path::new("/cfg"))
    }

    #[test]
    fn embedded_default_and_example_parse() {
        let d = Config::from_yaml(DEFAULT_CONFIG, "default", Path::new("/w")).unwrap();
        let names: Vec<_> = d.mounts.iter().map(|m| m.path.as_str()).collect();
        assert_eq!(
            names,
            [
                "/context",
                "/scratch",
                "/skills",
                "/memories",
                "/code",
                "/docs",
                "/archive"
            ]
        );
        assert!(d.state_dir.starts_with("/w/.ax-data"));
        Config::from_yaml(EXAMPLE_CONFIG, "example", Path::new("/w")).unwrap();
    }

    #[test]
    fn relative_roots_resolve_against_the_config_dir() {
        let c = parse("mounts:\n  - path: /a\n    tier: hot\n    root: ./data/../x\n").unwrap();
        assert_eq!(
            c.mounts[0].backend,
            BackendSpec::Local {
                root: PathBuf::from("/cfg/x")
            }
        );
        assert!(!c.mounts[0].index);
        assert_eq!(c.state_dir, PathBuf::from("/cfg/.ax"));
    }

    #[test]
    fn unknown_key_names_line_and_valid_keys() {
        let e = parse("mounts:\n  - path: /a\n    tyer: hot\n").unwrap_err();
        let s = e.to_string();
        assert!(s.starts_with("ax.yaml:3:"), "{s}");
        assert!(s.contains("tyer") && s.contains("tier"), "{s}");
        assert_eq!(e.kind(), ErrorKind::Config);
    }

    #[test]
    fn bad_values_are_located() {
        let e = parse("mounts:\n  - path: scratch\n    tier: hot\n    root: x\n").unwrap_err();
        assert!(e.to_string().starts_with("ax.yaml:2:"), "{e}");
        let e = parse("mounts:\n  - path: /a\n    tier: lukewarm\n    root: x\n").unwrap_err();
        assert!(e.to_string().contains("hot"), "{e}");
        let e = parse("mounts:\n  - path: /a\n    tier: hot\n    root: x\n  - path: /a\n    tier: hot\n    root: y\n")
            .unwrap_err();
        assert!(
            e.to_string().starts_with("ax.yaml:5:") && e.to_string().contains("twice"),
            "{e}"
        );
    }

    #[test]
    fn lifecycle_rules_are_checked() {
        let base = "mounts:\n  - path: /s\n    tier: hot\n    root: s\n";
        let ok =
            format!("{base}lifecycle:\n  - mount: /s\n    older_than: 7d\n    action: delete\n");
        assert_eq!(parse(&ok).unwrap().lifecycle[0].older_than_secs, 7 * 86_400);
        let bad =
            format!("{base}lifecycle:\n  - mount: /nope\n    older_than: 7d\n    action: delete\n");
        let e = parse(&bad).unwrap_err();
        assert!(e.to_string().starts_with("ax.yaml:6:"), "{e}");
        let bad =
            format!("{base}lifecycle:\n  - mount: /s\n    older_than: 7d\n    action: move\n");
        assert!(parse(&bad).unwrap_err().to_string().contains("to:"));
    }

    #[test]
    fn state_dir_may_not_live_in_mount_data() {
        let e = parse("state_dir: ./d/.ax\nmounts:\n  - path: /a\n    tier: hot\n    root: ./d\n")
            .unwrap_err();
        assert!(e.to_string().starts_with("ax.yaml:1:"), "{e}");
    }

    #[test]
    fn file_urls_become_absolute() {
        let c =
            parse("mounts:\n  - path: /archive\n    tier: cold\n    url: file://./arch\n").unwrap();
        assert!(
            matches!(&c.mounts[0].backend, BackendSpec::Object { url, .. } if url == "file:///cfg/arch")
        );
        assert!(parse("mounts:\n  - path: /a\n    tier: cold\n    url: ftp://x\n").is_err());
    }
}
