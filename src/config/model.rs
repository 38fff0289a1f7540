//! The shape of `ax.yaml`, as serde types.
//!
//! Validation that can be tied to a place in the file happens *during* deserialisation
//! (newtypes and `try_from` conversions), so every error the YAML parser reports carries the
//! line, column and key path of the offending value. Unknown keys are rejected everywhere.
//! Resolving relative roots against the config's folder happens afterwards, in
//! [`super::Config::from_yaml`], because it needs to know where the file lives.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use super::expand::expand_env;
use super::options::{ObjectOptions, Parsed};
use crate::vpath::VPath;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    /// A name for this layout (shown by `ax mounts` and in tool descriptions).
    #[serde(default)]
    pub name: Option<String>,
    /// Where ax keeps its own state (catalog, index, caches); default `.ax` beside the config.
    #[serde(default)]
    pub state_dir: Option<Expanded>,
    /// The mount table.
    pub mounts: Mounts,
    /// Search settings (the warm tier).
    #[serde(default)]
    pub search: Option<SearchSection>,
    /// Lifecycle rules (expiry, demotion to a colder tier).
    #[serde(default)]
    pub lifecycle: Vec<LifecycleRule>,
    /// How `ax exec` runs commands (enabled per mount with `exec: true`).
    #[serde(default)]
    pub exec: Option<ExecSection>,
    /// `ax serve`: the tokens that may call it, each with its mounts.
    #[serde(default)]
    pub serve: Option<ServeSection>,
}

/// `serve:` — who may call `ax serve`, and on which mounts.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct ServeSection {
    /// The tokens; `ax token new NAME` prints an entry to paste.
    #[serde(default)]
    pub tokens: Vec<TokenSection>,
}

/// One token: a name, the SHA-256 of its secret (never the secret) and its mounts.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TokenSection {
    /// Shown in logs and metrics (never the secret).
    pub name: TokenName,
    /// SHA-256 of the secret, 64 hex digits.
    pub sha256: Sha256Hex,
    /// Mount point → what the token may do there: `r`, `rw`, `rx` or `rwx`.
    pub mounts: std::collections::BTreeMap<String, Grant>,
}

/// A token's name: letters, digits, `-`, `_` and `.`, at most 64 characters.
#[derive(Debug, Clone)]
pub(super) struct TokenName(pub String);

/// Checks a token name (the one rule for `ax.yaml` and `ax token new`).
pub fn check_token_name(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "token name {s:?}: use 1 to 64 letters, digits, `-`, `_` or `.`"
        ))
    }
}

impl<'de> Deserialize<'de> for TokenName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        check_token_name(&s).map_err(serde::de::Error::custom)?;
        Ok(TokenName(s))
    }
}

/// The SHA-256 of a token's secret, from 64 hex digits.
#[derive(Debug, Clone, Copy)]
pub(super) struct Sha256Hex(pub [u8; 32]);

impl<'de> Deserialize<'de> for Sha256Hex {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let bad = || {
            serde::de::Error::custom(
                "sha256: 64 hex digits, the SHA-256 of the secret (`ax token new NAME` prints it)",
            )
        };
        if s.len() != 64 {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(s.get(2 * i..2 * i + 2).ok_or_else(bad)?, 16)
                .map_err(|_| bad())?;
        }
        Ok(Sha256Hex(out))
    }
}

/// What a token may do on one mount: always read; `w` adds every change (write, append,
/// edit, delete, copy and move into it), `x` adds `ax_exec` (on a mount with `exec: true`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    /// May change files.
    pub write: bool,
    /// May run commands.
    pub exec: bool,
}

impl Grant {
    /// Read only.
    pub const READ: Grant = Grant {
        write: false,
        exec: false,
    };

    /// The scope's letters, as written in `ax.yaml`.
    pub fn letters(self) -> &'static str {
        match (self.write, self.exec) {
            (false, false) => "r",
            (true, false) => "rw",
            (false, true) => "rx",
            (true, true) => "rwx",
        }
    }

    /// Parses `r`, `rw`, `rx` or `rwx`.
    pub fn parse(s: &str) -> Option<Grant> {
        let (write, exec) = match s {
            "r" => (false, false),
            "rw" => (true, false),
            "rx" => (false, true),
            "rwx" => (true, true),
            _ => return None,
        };
        Some(Grant { write, exec })
    }
}

impl<'de> Deserialize<'de> for Grant {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Grant::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "scope {s:?}: use r (read), rw (read and write), rx or rwx (x: may run commands)"
            ))
        })
    }
}

/// The three storage tiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// Local directory, frequent reads and writes, session-scoped.
    Hot,
    /// Local directory plus a search index.
    Warm,
    /// Object store: cheap, durable, read-mostly.
    Cold,
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Tier::Hot => "hot",
            Tier::Warm => "warm",
            Tier::Cold => "cold",
        })
    }
}

/// One mount as written in the file (before resolution).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMount {
    path: MountPoint,
    tier: Tier,
    #[serde(default)]
    root: Option<Expanded>,
    #[serde(default)]
    url: Option<Expanded>,
    #[serde(default)]
    read_only: Option<bool>,
    #[serde(default)]
    index: Option<bool>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    options: Option<ObjectOptions>,
    #[serde(default)]
    exec: Option<bool>,
}

/// Where a mount's data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A local directory (`root:`), possibly relative to the config file.
    Dir(String),
    /// An object-store URL (`url:`): `s3://`, `gs://`, `az://`, `file://`, `memory://`.
    Url(String),
}

/// One mount, checked for consistency (exactly one of `root`/`url`).
#[derive(Debug, Deserialize)]
#[serde(try_from = "RawMount")]
pub(super) struct MountSpec {
    pub path: VPath,
    pub tier: Tier,
    pub location: Location,
    pub read_only: Option<bool>,
    pub index: Option<bool>,
    pub description: Option<String>,
    pub options: ObjectOptions,
    pub exec: bool,
}

impl TryFrom<RawMount> for MountSpec {
    type Error = String;

    fn try_from(raw: RawMount) -> Result<Self, String> {
        let location = match (raw.root, raw.url) {
            (Some(root), None) => {
                if root.0.is_empty() {
                    return Err(format!(
                        "mount {}: `root` is empty; give a directory",
                        raw.path.0
                    ));
                }
                Location::Dir(root.0)
            }
            (None, Some(url)) => Location::Url(url.0),
            (Some(_), Some(_)) => {
                return Err(format!(
                    "mount {}: give either `root` (a local directory) or `url` (an object store), not both",
                    raw.path.0
                ));
            }
            (None, None) => {
                return Err(format!(
                    "mount {}: missing `root` (a local directory) or `url` (an object store such as s3://bucket/prefix or file:///path)",
                    raw.path.0
                ));
            }
        };
        if raw.exec == Some(true) && matches!(location, Location::Url(_)) {
            return Err(format!(
                "mount {}: `exec: true` needs a local folder (`root:`); commands cannot run inside an object store",
                raw.path.0
            ));
        }
        if raw.options.is_some() && matches!(location, Location::Dir(_)) {
            return Err(format!(
                "mount {}: `options` apply to object-store mounts (`url:`), not to a local `root`",
                raw.path.0
            ));
        }
        Ok(MountSpec {
            path: raw.path.0,
            tier: raw.tier,
            location,
            read_only: raw.read_only,
            index: raw.index,
            description: raw.description,
            options: raw.options.unwrap_or_default(),
            exec: raw.exec.unwrap_or(false),
        })
    }
}

/// The mount list: non-empty. (Duplicates are checked after parsing, where the second
/// declaration's line can be found.)
#[derive(Debug, Deserialize)]
#[serde(try_from = "Vec<MountSpec>")]
pub(super) struct Mounts(pub Vec<MountSpec>);

impl TryFrom<Vec<MountSpec>> for Mounts {
    type Error = String;

    fn try_from(list: Vec<MountSpec>) -> Result<Self, String> {
        if list.is_empty() {
            return Err("`mounts` is empty; declare at least one mount (see `ax init`)".into());
        }
        Ok(Mounts(list))
    }
}

/// A mount point: an absolute, normalised virtual path other than `/`.
#[derive(Debug)]
struct MountPoint(VPath);

impl<'de> Deserialize<'de> for MountPoint {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        let p = VPath::parse(&raw).map_err(|e| {
            serde::de::Error::custom(format!(
                "invalid mount point {raw:?}: {}; write it like /scratch",
                e.message()
            ))
        })?;
        if p.is_root() {
            return Err(serde::de::Error::custom(
                "`/` cannot be a mount point: it lists the mounts; use a path like /scratch",
            ));
        }
        if p.as_str() != raw.trim_end_matches('/') || raw.contains("//") {
            return Err(serde::de::Error::custom(format!(
                "mount point {raw:?} is not in normal form; write it as {p}"
            )));
        }
        Ok(MountPoint(p))
    }
}

/// A string with `${VAR}` and `${VAR:-default}` expanded while parsing, so a missing
/// variable is reported at its line.
#[derive(Debug, Clone)]
pub(super) struct Expanded(pub String);

impl<'de> Deserialize<'de> for Expanded {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        expand_env(&raw, |k| std::env::var(k).ok())
            .map(Expanded)
            .map_err(serde::de::Error::custom)
    }
}

/// `search:` — the warm tier's settings.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct SearchSection {
    /// `default` (a local embedding model) or `none` (keyword search only).
    #[serde(default)]
    pub embedder: Option<Embedder>,
    /// A folder holding `model.onnx` and the tokenizer files; overrides `AX_MODEL_DIR`.
    #[serde(default)]
    pub model_dir: Option<Expanded>,
}

/// `exec:` — how `ax exec` and the `ax_exec` tool run commands.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct ExecSection {
    /// `landlock` (the default) or `none` (no sandbox: an explicit opt-out).
    #[serde(default)]
    pub sandbox: Option<SandboxMode>,
    /// Default time limit of one run (`120s`).
    #[serde(default)]
    pub timeout: Option<Parsed<Duration>>,
    /// The most a caller may ask for (`10m`).
    #[serde(default)]
    pub max_timeout: Option<Parsed<Duration>>,
    /// Most bytes kept of stdout and of stderr, each (`1MiB`).
    #[serde(default)]
    pub output_limit: Option<Parsed<u64>>,
    /// Host folders or files the command may also read (toolchains, SDKs).
    #[serde(default)]
    pub read: Option<Vec<Expanded>>,
    /// Host folders the command may also write (a package cache, say).
    #[serde(default)]
    pub write: Option<Vec<Expanded>>,
    /// Environment variables removed before the command starts (`*` is a wildcard); replaces
    /// the default list.
    #[serde(default)]
    pub env_deny: Option<Vec<String>>,
}

/// Whether `ax exec` confines what it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SandboxMode {
    /// Landlock: writes only in the allowed mounts, reads only the mounts and system folders.
    Landlock,
    /// No confinement at all; the command can do whatever the user can.
    None,
}

/// Which embedder semantic search uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Embedder {
    /// The local default model.
    Default,
    /// No model: keyword search only.
    None,
}

/// One `lifecycle:` rule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LifecycleRule {
    /// The mount the rule applies to.
    pub mount: String,
    /// Age threshold such as `7d`, `12h`, `30m`, `2w`.
    pub older_than: Age,
    /// What to do with files older than that.
    pub action: LifecycleAction,
    /// Destination for `action: move`.
    #[serde(default)]
    pub to: Option<String>,
}

/// What a lifecycle rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LifecycleAction {
    /// Remove the file.
    Delete,
    /// Move the file under `to:` (usually a colder tier).
    Move,
}

/// An age in seconds, written as `<number><s|m|h|d|w>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Age(pub u64);

impl<'de> Deserialize<'de> for Age {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        parse_age(&raw).map(Age).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "invalid age {raw:?}; write a number and a unit: 30m, 12h, 7d, 2w (s, m, h, d, w)"
            ))
        })
    }
}

fn parse_age(raw: &str) -> Option<u64> {
    let raw = raw.trim();
    let unit = raw.chars().last()?;
    let mult = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return None,
    };
    let n: u64 = raw[..raw.len() - 1].trim().parse().ok()?;
    n.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages() {
        assert_eq!(parse_age("7d"), Some(7 * 86_400));
        assert_eq!(parse_age("30m"), Some(1800));
        assert_eq!(parse_age("d"), None);
        assert_eq!(parse_age("7"), None);
        assert_eq!(parse_age("99999999999999999999w"), None);
    }
}
