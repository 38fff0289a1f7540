//! Resolved `exec:` settings: how `ax exec` and the `ax_exec` tool run commands. Running is
//! off until a mount says `exec: true`; these settings only shape runs once it is on.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::model::{ExecSection, SandboxMode};

/// Environment variables removed from every command's environment unless `exec.env_deny`
/// replaces the list: cloud credentials, names that by convention hold secrets, and the
/// addresses of the user's key agents (Landlock does not stop connecting to a Unix socket
/// by its path, so the path itself is withheld; `/tmp` cannot be listed to find it).
pub const DEFAULT_ENV_DENY: &[&str] = &[
    "AWS_*",
    "AZURE_*",
    "ARM_*",
    "GOOGLE_*",
    "GCLOUD_*",
    "CLOUDSDK_*",
    "GCP_*",
    "DIGITALOCEAN_*",
    "*_TOKEN",
    "*_SECRET",
    "*_SECRET_KEY",
    "*_API_KEY",
    "*_PASSWORD",
    "SSH_AUTH_SOCK",
    "GPG_AGENT_INFO",
];

/// Folders under the user's home that hold toolchains; readable by a sandboxed command when
/// they exist (compilers, interpreters and their installed packages live there).
pub const HOME_TOOLCHAINS: &[&str] = &[
    ".cargo",
    ".rustup",
    ".pyenv",
    ".local/bin",
    ".local/lib",
    ".nvm",
    ".npm-global",
    ".deno",
    ".bun",
    "go",
    ".sdkman",
];

/// The `exec:` section, resolved.
#[derive(Debug, Clone)]
pub struct ExecSettings {
    /// Landlock (default) or none.
    pub sandbox: SandboxMode,
    /// Time limit of a run when the caller gives none.
    pub timeout: Duration,
    /// The longest time limit a caller may ask for.
    pub max_timeout: Duration,
    /// Most bytes kept of stdout and of stderr, each.
    pub output_limit: u64,
    /// Extra host paths the command may read (absolute).
    pub read: Vec<PathBuf>,
    /// Extra host folders the command may write (absolute).
    pub write: Vec<PathBuf>,
    /// Environment-variable patterns removed before the command starts.
    pub env_deny: Vec<String>,
}

impl Default for ExecSettings {
    fn default() -> Self {
        ExecSettings {
            sandbox: SandboxMode::Landlock,
            timeout: Duration::from_secs(120),
            max_timeout: Duration::from_secs(600),
            output_limit: 1 << 20,
            read: Vec::new(),
            write: Vec::new(),
            env_deny: DEFAULT_ENV_DENY.iter().map(|s| s.to_string()).collect(),
        }
    }
}

impl ExecSettings {
    /// Resolves the raw section; host paths are absolute against `dir` (the config's folder),
    /// `~` is the user's home. Returns the message of the first inconsistency.
    pub(super) fn resolve(raw: Option<ExecSection>, dir: &Path) -> Result<ExecSettings, String> {
        let mut s = ExecSettings::default();
        let Some(raw) = raw else {
            return Ok(s);
        };
        if let Some(m) = raw.sandbox {
            s.sandbox = m;
        }
        if let Some(t) = raw.timeout {
            s.timeout = t.0;
        }
        if let Some(t) = raw.max_timeout {
            s.max_timeout = t.0;
        }
        if s.timeout.is_zero() || s.max_timeout.is_zero() {
            return Err("exec.timeout and exec.max_timeout must be above zero".into());
        }
        if s.timeout > s.max_timeout {
            return Err(format!(
                "exec.timeout ({} s) is above exec.max_timeout ({} s)",
                s.timeout.as_secs_f64(),
                s.max_timeout.as_secs_f64()
            ));
        }
        if let Some(n) = raw.output_limit {
            if n.0 < 1024 {
                return Err("exec.output_limit must be at least 1KiB".into());
            }
            s.output_limit = n.0;
        }
        let host = |p: &str| -> PathBuf {
            let home = std::env::var_os("HOME").map(PathBuf::from);
            match (p.strip_prefix('~'), home) {
                (Some(rest), Some(h)) if rest.is_empty() || rest.starts_with('/') => {
                    super::normalize(&h.join(rest.trim_start_matches('/')))
                }
                _ => super::normalize(&dir.join(p)),
            }
        };
        s.read = raw
            .read
            .unwrap_or_default()
            .iter()
            .map(|p| host(&p.0))
            .collect();
        s.write = raw
            .write
            .unwrap_or_default()
            .iter()
            .map(|p| host(&p.0))
            .collect();
        if let Some(deny) = raw.env_deny {
            s.env_deny = deny;
        }
        Ok(s)
    }
}
