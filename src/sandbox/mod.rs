//! `ax exec` and the `ax_exec` tool: run a command in a local mount's folder, confined,
//! bounded in time and output, and always come back with a result.
//!
//! **Off by default.** Only mounts with `exec: true` (local folders) can be run in.
//!
//! **Confinement (Landlock, Linux 6.2+).** The command and everything it starts may:
//! - write (create, change, rename, delete) only beneath the writable mounts it was allowed
//!   (by default the mount it runs in; never a read-only mount), `exec.write` folders, and a
//!   private temporary folder (`TMPDIR`) removed after the run;
//! - read and execute beneath every local mount, the system folders a toolchain needs
//!   (`/usr`, `/bin`, `/sbin`, `/lib*`, `/opt`, `/nix`, `/sys`, `/etc` without its secrets:
//!   `shadow`, `gshadow`, `sudoers`, `ssh/`, `ssl/private/`; `/proc` without any process's
//!   folder, its own included, since a confined process could otherwise read the
//!   environment of ax and of the user's other processes), a few devices
//!   (`/dev/null`, `/dev/zero`, `/dev/full`, `/dev/tty` read-write; `/dev/random`,
//!   `/dev/urandom`), toolchain homes under `~` ([`crate::config::HOME_TOOLCHAINS`]) and
//!   `exec.read` paths — and nothing else: not the rest of the home folder, not `/tmp`, not
//!   other host folders, not ax's state (catalog, index).
//! - On ABI 6+ kernels it also cannot signal, or connect to abstract Unix sockets of,
//!   processes outside the sandbox, and Landlock stops it from attaching to them with
//!   ptrace.
//!
//! What it does *not* stop: network access (TCP, UDP), connecting to a Unix socket by its
//! path anywhere, the number of processes, CPU and memory use (the time limit bounds them). Where the kernel cannot enforce
//! Landlock, ax refuses to run unless the config says `exec.sandbox: none`; it never runs
//! a command unconfined silently.
//!
//! **Bounded.** The command gets its own process group. At the time limit the whole group
//! is killed (SIGKILL) and the result says `timed_out` with exit code 124; when the command
//! exits, whatever it left running in its group is killed too, so a run leaves nothing
//! behind. A process that left the group (`setsid`) is not killed, but it stays confined
//! (Landlock is inherited and cannot be lifted); ax stops reading its output a moment after
//! the command ends. Output is read from both pipes as it comes (one thread, `poll`), and at
//! most `exec.output_limit` bytes of each are kept: the first and last halves, with a line
//! saying how many bytes were dropped between them.
//!
//! **Environment.** Inherited, minus `exec.env_deny` patterns (cloud credentials and
//! secret-looking names by default, [`crate::config::DEFAULT_ENV_DENY`]), plus
//! `PYTHONUNBUFFERED=1` and `TMPDIR`/`TMP`/`TEMP` pointing at the private folder. Standard
//! input is empty.

mod sys;

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::Read;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::config::{BackendSpec, HOME_TOOLCHAINS, SandboxMode};
use crate::error::{Error, ErrorKind, Result};
use crate::vfs::Vfs;
use crate::vpath::VPath;

use sys::{Access, Ruleset};

/// What to run.
#[derive(Debug, Clone)]
pub enum Program {
    /// A shell command line, run by `/bin/sh -c`.
    Shell(String),
    /// A program and its arguments, run as given (found on `PATH`).
    Argv(Vec<OsString>),
}

/// A request to run something.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// The command.
    pub program: Program,
    /// Virtual folder to run in; `None` means the root of the one mount that allows commands.
    pub cwd: Option<String>,
    /// Time limit; `None` means `exec.timeout`.
    pub timeout: Option<Duration>,
    /// More writable places (virtual paths in local, writable mounts) beside the mount the
    /// command runs in.
    pub allow_write: Vec<String>,
}

/// Which output stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// Where output goes as it arrives, for a caller that shows it live; an error (the reader
/// went away) ends the run.
pub type Forward<'a> = &'a mut dyn FnMut(Stream, &[u8]) -> std::io::Result<()>;

/// A checked, resolved run: where, what it may touch, for how long.
#[derive(Debug)]
pub struct Plan {
    argv: Vec<OsString>,
    /// The virtual folder it runs in.
    pub cwd: VPath,
    host_cwd: PathBuf,
    /// Host folders it may write.
    pub write: Vec<PathBuf>,
    /// Host paths it may read.
    pub read: Vec<PathBuf>,
    /// Whether Landlock confines it.
    pub sandbox: SandboxMode,
    /// The time limit.
    pub timeout: Duration,
    output_limit: usize,
    env_deny: Vec<String>,
}

/// What a run did. Produced for every command that started, however it ended.
#[derive(Debug)]
pub struct Outcome {
    /// The command's exit status; 128 + N after signal N; 124 after the time limit.
    pub exit_code: i32,
    /// True when the time limit ended it.
    pub timed_out: bool,
    /// Wall-clock time.
    pub duration: Duration,
    /// Captured stdout (empty when forwarded).
    pub stdout: Vec<u8>,
    /// Captured stderr (empty when forwarded).
    pub stderr: Vec<u8>,
    /// True when either stream went over the cap.
    pub truncated: bool,
}

/// Exit code of a run that hit its time limit (the `timeout(1)` convention).
pub const TIMEOUT_EXIT: i32 = 124;

/// How long ax keeps reading output after the command exits, for writers that left its
/// process group (whatever stayed in the group is killed at once).
const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(250);

/// System folders a toolchain needs, readable (and executable) in the sandbox.
const SYSTEM_READ: &[&str] = &[
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt", "/nix", "/sys",
];
/// Devices a command may read and write.
const DEVICES_RW: &[&str] = &["/dev/null", "/dev/zero", "/dev/full", "/dev/tty"];
/// Devices a command may read.
const DEVICES_R: &[&str] = &["/dev/random", "/dev/urandom"];
/// Entries of `/etc` kept unreadable: password hashes, sudo rules, SSH and TLS private keys.
const ETC_SECRETS: &[&str] = &[
    "shadow",
    "shadow-",
    "gshadow",
    "gshadow-",
    "sudoers",
    "sudoers.d",
    "ssh",
    "ssl/private",
    "security/opasswd",
];

/// Checks a request against the config and resolves it into a [`Plan`]. Every refusal
/// (commands not enabled, not a local folder, a read-only mount asked to be writable, a
/// layout the sandbox cannot keep) happens here, before anything runs.
pub fn plan(vfs: &Vfs, req: &RunRequest) -> Result<Plan> {
    let cfg = vfs.config();
    let enabled: Vec<&VPath> = cfg
        .mounts
        .iter()
        .filter(|m| m.exec)
        .map(|m| &m.path)
        .collect();
    if enabled.is_empty() {
        return Err(Error::new(
            ErrorKind::Refused,
            "running commands is not enabled on any mount",
        )
        .hint("it is off by default: add `exec: true` to a local mount in ax.yaml (see ax.yaml.example)"));
    }
    let cwd = match &req.cwd {
        Some(c) => vfs.path(c)?,
        None if enabled.len() == 1 => enabled[0].clone(),
        None => {
            return Err(Error::usage(format!(
                "several mounts allow commands ({}); say which folder to run in",
                list(&enabled)
            ))
            .hint("pass --in /mount/folder (the tool: cwd)"));
        }
    };
    let loc = vfs.mounts().locate(&cwd)?;
    let mount = &loc.mount.config;
    if !mount.exec {
        return Err(Error::new(
            ErrorKind::Refused,
            "running commands is not enabled on this mount",
        )
        .at(&cwd)
        .hint(format!(
            "run in a mount that allows it ({}), or add `exec: true` to {} in ax.yaml",
            list(&enabled),
            mount.path
        )));
    }
    let meta = vfs.stat(cwd.as_str(), Default::default())?;
    if meta.meta.kind != crate::backend::Kind::Dir {
        return Err(Error::new(
            ErrorKind::NotADirectory,
            "is not a folder; commands run in a folder",
        )
        .at(&cwd));
    }
    let host_cwd = local_dir(vfs, &cwd)?;

    // Writable: the mount it runs in (unless read-only), each --allow-write place, and the
    // exec.write folders; each with a name for messages and the mount it belongs to.
    let mut write: Vec<(String, PathBuf, Option<VPath>)> = Vec::new();
    if !mount.read_only {
        write.push((
            mount.path.to_string(),
            local_dir(vfs, &mount.path)?,
            Some(mount.path.clone()),
        ));
    }
    for w in &req.allow_write {
        let p = vfs.path(w)?;
        let l = vfs.mounts().locate(&p)?;
        l.mount.check_writable(&p)?;
        let meta = vfs.stat(p.as_str(), Default::default())?;
        if meta.meta.kind != crate::backend::Kind::Dir {
            return Err(Error::new(
                ErrorKind::NotADirectory,
                "is not a folder; --allow-write takes folders",
            )
            .at(&p));
        }
        write.push((
            p.to_string(),
            local_dir(vfs, &p)?,
            Some(l.mount.path().clone()),
        ));
    }
    for w in &cfg.exec.write {
        write.push(("a folder of exec.write".to_string(), w.clone(), None));
    }

    // Readable: every local mount, the system, toolchains. A mount the command may not
    // write must not lie inside a folder it may write (Landlock rules add up, so it would
    // become writable).
    let mut read = Vec::new();
    for m in &cfg.mounts {
        if !matches!(m.backend, BackendSpec::Local { .. }) {
            continue;
        }
        let Ok(root) = local_dir(vfs, &m.path) else {
            continue;
        };
        let own_root = write
            .iter()
            .any(|(_, h, owner)| owner.as_ref() == Some(&m.path) && *h == root);
        if !own_root && let Some((name, _, _)) = write.iter().find(|(_, h, _)| root.starts_with(h))
        {
            return Err(Error::new(
                ErrorKind::Refused,
                format!(
                    "mount {} lies inside {name}, which the command may write, so it could change that mount too; refused",
                    m.path
                ),
            )
            .hint("give that mount a folder of its own in ax.yaml, or allow writing it too (--allow-write)"));
        }
        read.push(root);
    }
    let write: Vec<PathBuf> = write.into_iter().map(|(_, h, _)| h).collect();
    read.extend(SYSTEM_READ.iter().map(PathBuf::from));
    if let Some(home) = std::env::var_os("HOME").map(PathBuf::from) {
        read.extend(HOME_TOOLCHAINS.iter().map(|t| home.join(t)));
    }
    read.extend(cfg.exec.read.iter().cloned());

    let timeout = req.timeout.unwrap_or(cfg.exec.timeout);
    if timeout.is_zero() {
        return Err(Error::usage("the time limit must be above zero"));
    }
    if timeout > cfg.exec.max_timeout {
        return Err(Error::usage(format!(
            "a time limit of {} s is above exec.max_timeout ({} s)",
            timeout.as_secs_f64(),
            cfg.exec.max_timeout.as_secs_f64()
        ))
        .hint("ask for less, or raise exec.max_timeout in ax.yaml"));
    }
    let argv = match &req.program {
        Program::Shell(line) => vec!["/bin/sh".into(), "-c".into(), line.into()],
        Program::Argv(a) if a.is_empty() => {
            return Err(Error::usage("no command given").hint("ax exec -- CMD ARGS…"));
        }
        // Through the shell too, so a missing program is the shell's exit 127, not an ax error.
        Program::Argv(a) => {
            let mut v: Vec<OsString> = vec![
                "/bin/sh".into(),
                "-c".into(),
                "exec \"$@\"".into(),
                "sh".into(),
            ];
            v.extend(a.iter().cloned());
            v
        }
    };
    Ok(Plan {
        argv,
        cwd,
        host_cwd,
        write,
        read,
        sandbox: cfg.exec.sandbox,
        timeout,
        output_limit: cfg.exec.output_limit as usize,
        env_deny: cfg.exec.env_deny.clone(),
    })
}

fn list(paths: &[&VPath]) -> String {
    paths
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The host folder behind virtual folder `p` of a local mount.
fn local_dir(vfs: &Vfs, p: &VPath) -> Result<PathBuf> {
    let loc = vfs.mounts().locate(p)?;
    if !matches!(loc.mount.config.backend, BackendSpec::Local { .. }) {
        return Err(Error::new(
            ErrorKind::Unsupported,
            "commands run only in local-folder mounts; this one is an object store",
        )
        .at(p));
    }
    loc.mount
        .backend()?
        .host_dir(&loc.rel)
        .ok_or_else(|| Error::new(ErrorKind::NotFound, "no such folder in the mount").at(p))
}

impl Plan {
    /// Runs the plan. With `forward`, output goes to it as it arrives (nothing is captured or
    /// capped: a person at a terminal); if it fails (the reader went away), the command is
    /// killed and that error returned. Without, output is captured within the cap. Otherwise
    /// `Err` only when ax could not start the command (the sandbox cannot be set up, no
    /// `/bin/sh`); however the command itself ends, the result is an [`Outcome`].
    pub fn run(&self, mut forward: Option<Forward<'_>>) -> Result<Outcome> {
        let mut ruleset = match self.sandbox {
            SandboxMode::Landlock => Some(self.ruleset()?),
            SandboxMode::None => None,
        };
        let tmp = self.private_tmp()?;
        if let Some(rs) = ruleset.as_mut() {
            rs.allow(tmp.path(), Access::Write)
                .map_err(|e| sandbox_error(&e))?;
        }

        let mut cmd = Command::new(&self.argv[0]);
        cmd.args(&self.argv[1..])
            .current_dir(&self.host_cwd)
            .env_clear()
            .envs(self.environment(tmp.path()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        sys::confine(&mut cmd, ruleset.as_ref());

        let started = Instant::now();
        let mut child =
            cmd.spawn().map_err(|e| {
                Error::new(
                ErrorKind::Io,
                format!("could not start the command: {}", Error::io(&e, "").message()),
            )
            .at(&self.cwd)
            .hint(if ruleset.is_some() {
                "the sandbox could not be applied; `ax exec` needs Linux 6.2+ with Landlock enabled"
            } else {
                "check that /bin/sh exists"
            })
            })?;
        drop(ruleset);
        let pid = child.id();
        let pidfd = sys::pidfd_open(pid).map_err(|e| {
            sys::kill_group(pid);
            let _ = child.wait();
            Error::new(ErrorKind::Io, format!("cannot watch the command: {e}"))
        })?;
        let mut pipes = [
            child.stdout.take().map(|p| Box::new(p) as Box<dyn ReadFd>),
            child.stderr.take().map(|p| Box::new(p) as Box<dyn ReadFd>),
        ];
        let mut caps = [
            Capture::new(self.output_limit),
            Capture::new(self.output_limit),
        ];
        let deadline = started + self.timeout;
        let mut timed_out = false;
        let mut status = None;
        let mut drain_until = None;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let now = Instant::now();
            if status.is_none() && !timed_out && now >= deadline {
                sys::kill_group(pid);
                timed_out = true;
            }
            let open = pipes.iter().any(Option::is_some);
            if status.is_some() && (!open || drain_until.is_some_and(|d| now >= d)) {
                break;
            }
            let wake = match (status.is_some(), timed_out) {
                (true, _) => drain_until.unwrap_or(now),
                (false, false) => deadline,
                (false, true) => now + Duration::from_millis(100),
            };
            let ms = wake
                .saturating_duration_since(now)
                .as_millis()
                .min(i32::MAX as u128) as i32;
            let mut fds = Vec::new();
            let mut which = Vec::new();
            for (i, p) in pipes.iter().enumerate() {
                if let Some(p) = p {
                    fds.push(p.raw_fd());
                    which.push(Some(i));
                }
            }
            if status.is_none() {
                fds.push(pidfd.as_raw_fd());
                which.push(None);
            }
            let ready = sys::poll_readable(&fds, ms).map_err(|e| {
                Error::new(
                    ErrorKind::Io,
                    format!("waiting for the command failed: {e}"),
                )
            })?;
            for (slot, r) in which.iter().zip(ready) {
                if !r {
                    continue;
                }
                match slot {
                    Some(i) => {
                        let n = match pipes[*i].as_mut().map(|p| p.read(&mut buf)) {
                            Some(Ok(n)) => n,
                            Some(Err(e)) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                            _ => 0,
                        };
                        if n == 0 {
                            pipes[*i] = None;
                        } else {
                            let stream = if *i == 0 {
                                Stream::Stdout
                            } else {
                                Stream::Stderr
                            };
                            match forward.as_mut() {
                                Some(f) => {
                                    if let Err(e) = f(stream, &buf[..n]) {
                                        if status.is_none() {
                                            sys::kill_group(pid);
                                            let _ = child.wait();
                                        }
                                        return Err(Error::from_io(&e));
                                    }
                                }
                                None => caps[*i].push(&buf[..n]),
                            }
                        }
                    }
                    None => {
                        // Exited, not yet reaped: its id is still held, so the group can be
                        // killed without hitting a reused id. Leftovers die with it.
                        sys::kill_group(pid);
                        status = Some(child.wait().map_err(|e| {
                            Error::new(
                                ErrorKind::Io,
                                format!("waiting for the command failed: {e}"),
                            )
                        })?);
                        drain_until = Some(Instant::now() + DRAIN_AFTER_EXIT);
                    }
                }
            }
        }
        let duration = started.elapsed();
        let status = status
            .ok_or_else(|| Error::new(ErrorKind::Internal, "run ended without an exit status"))?;
        let exit_code = if timed_out {
            TIMEOUT_EXIT
        } else {
            use std::os::unix::process::ExitStatusExt;
            status
                .code()
                .unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
        };
        let [out, err] = caps;
        let truncated = out.dropped > 0 || err.dropped > 0;
        Ok(Outcome {
            exit_code,
            timed_out,
            duration,
            stdout: out.finish("stdout"),
            stderr: err.finish("stderr"),
            truncated,
        })
    }

    /// The Landlock ruleset of this plan, without the private temporary folder.
    fn ruleset(&self) -> Result<Ruleset> {
        let mut rs = Ruleset::new().map_err(|e| sandbox_error(&e))?;
        let add = |rs: &mut Ruleset, p: &Path, a: Access| {
            rs.allow(p, a).map(|_| ()).map_err(|e| {
                Error::new(
                    ErrorKind::Io,
                    format!("cannot add {} to the sandbox: {e}", p.display()),
                )
            })
        };
        for p in &self.read {
            add(&mut rs, p, Access::Read)?;
        }
        // /etc: listable; every entry readable except the secrets.
        add(&mut rs, Path::new("/etc"), Access::List)?;
        allow_except(&mut rs, Path::new("/etc"), Path::new(""), ETC_SECRETS)?;
        // /proc: listable, and its system-wide entries (cpuinfo, meminfo, sys/, …) readable,
        // but no process's own folder: Landlock lets a confined process read the
        // /proc/PID/environ of same-user processes outside it (measured on Linux 6.18), and
        // ax's own environment holds the credentials the command was denied. `self` is left
        // out too: granted here it would name ax's folder.
        add(&mut rs, Path::new("/proc"), Access::List)?;
        if let Ok(entries) = std::fs::read_dir("/proc") {
            for e in entries.flatten() {
                let name = e.file_name();
                let name = name.to_string_lossy();
                if name.bytes().all(|b| b.is_ascii_digit())
                    || name == "self"
                    || name == "thread-self"
                {
                    continue;
                }
                // Entries that vanish or refuse O_PATH are simply not granted.
                let _ = rs.allow(&e.path(), Access::Read);
            }
        }
        for d in DEVICES_R {
            add(&mut rs, Path::new(d), Access::Read)?;
        }
        for d in DEVICES_RW {
            add(&mut rs, Path::new(d), Access::Write)?;
        }
        for p in &self.write {
            add(&mut rs, p, Access::Write)?;
        }
        Ok(rs)
    }

    fn private_tmp(&self) -> Result<tempfile::TempDir> {
        tempfile::Builder::new()
            .prefix("ax-exec-")
            .tempdir()
            .map_err(|e| {
                Error::new(
                    ErrorKind::Io,
                    format!("cannot create the run's temporary folder: {e}"),
                )
            })
    }

    /// The command's environment: ax's, minus the denied names, plus the run's own.
    fn environment(&self, tmp: &Path) -> Vec<(OsString, OsString)> {
        let mut env: Vec<(OsString, OsString)> = std::env::vars_os()
            .filter(|(k, _)| {
                let k = k.to_string_lossy();
                !self.env_deny.iter().any(|p| wildcard(p, &k))
                    && !matches!(k.as_ref(), "TMPDIR" | "TMP" | "TEMP" | "PYTHONUNBUFFERED")
            })
            .collect();
        env.push(("PYTHONUNBUFFERED".into(), "1".into()));
        for k in ["TMPDIR", "TMP", "TEMP"] {
            env.push((k.into(), tmp.into()));
        }
        env
    }
}

/// Grants read beneath `base/rel`'s entries, except those named in `deny` (relative to
/// `base`); an entry that holds a denied path is itself only listable, and its entries are
/// handled the same way.
fn allow_except(rs: &mut Ruleset, base: &Path, rel: &Path, deny: &[&str]) -> Result<()> {
    let dir = base.join(rel);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(());
    };
    for e in entries.flatten() {
        let r = rel.join(e.file_name());
        let denied = deny.iter().any(|d| Path::new(d) == r);
        if denied {
            continue;
        }
        let holds_denied = deny.iter().any(|d| Path::new(d).starts_with(&r));
        let path = base.join(&r);
        let res = rs.allow(
            &path,
            if holds_denied {
                Access::List
            } else {
                Access::Read
            },
        );
        // An entry we may not open (a broken link, a root-only file) is simply not granted.
        if res.is_ok() && holds_denied {
            allow_except(rs, base, &r, deny)?;
        }
    }
    Ok(())
}

fn sandbox_error(e: &std::io::Error) -> Error {
    Error::new(
        ErrorKind::Unsupported,
        format!("the command sandbox (Landlock) is not available here: {e}"),
    )
    .hint("ax exec needs Linux 6.2+ with Landlock enabled; to run without any sandbox (the command can then do anything you can), set `exec: {sandbox: none}` in ax.yaml")
}

/// `*` matches any run of characters; everything else matches itself.
fn wildcard(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

/// A pipe end ax reads from.
trait ReadFd: Read {
    fn raw_fd(&self) -> std::os::fd::RawFd;
}
impl<T: Read + AsRawFd> ReadFd for T {
    fn raw_fd(&self) -> std::os::fd::RawFd {
        self.as_raw_fd()
    }
}

/// Keeps the first and last halves of a stream within `limit` bytes.
struct Capture {
    head: Vec<u8>,
    tail: VecDeque<u8>,
    head_cap: usize,
    tail_cap: usize,
    dropped: u64,
}

impl Capture {
    fn new(limit: usize) -> Capture {
        Capture {
            head: Vec::new(),
            tail: VecDeque::new(),
            head_cap: limit / 2,
            tail_cap: limit - limit / 2,
            dropped: 0,
        }
    }

    fn push(&mut self, mut b: &[u8]) {
        let room = self.head_cap - self.head.len();
        let take = room.min(b.len());
        self.head.extend_from_slice(&b[..take]);
        b = &b[take..];
        if b.is_empty() {
            return;
        }
        if b.len() >= self.tail_cap {
            self.dropped += (self.tail.len() + b.len() - self.tail_cap) as u64;
            self.tail.clear();
            self.tail.extend(&b[b.len() - self.tail_cap..]);
        } else {
            self.tail.extend(b);
            let excess = self.tail.len().saturating_sub(self.tail_cap);
            if excess > 0 {
                self.tail.drain(..excess);
                self.dropped += excess as u64;
            }
        }
    }

    fn finish(self, name: &str) -> Vec<u8> {
        let mut out = self.head;
        if self.dropped > 0 {
            if out.last().is_some_and(|&c| c != b'\n') {
                out.push(b'\n');
            }
            out.extend_from_slice(
                format!(
                    "[ax: {} bytes of {name} dropped here; the output limit keeps the first and last {} bytes]\n",
                    self.dropped,
                    self.head_cap
                )
                .as_bytes(),
            );
        }
        out.extend(self.tail);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard("AWS_*", "AWS_SECRET_ACCESS_KEY"));
        assert!(wildcard("*_TOKEN", "GITHUB_TOKEN"));
        assert!(!wildcard("*_TOKEN", "TOKENS"));
        assert!(wildcard("A*B*C", "AxxBxxC"));
        assert!(!wildcard("A*B*C", "AxxC"));
        assert!(wildcard("HOME", "HOME"));
        assert!(!wildcard("HOME", "HOMES"));
        assert!(wildcard("*", "anything"));
        assert!(!wildcard("AB*BA", "ABA"));
    }

    #[test]
    fn capture_keeps_head_and_tail() {
        let mut c = Capture::new(10);
        c.push(b"0123");
        c.push(b"456789abcdef");
        c.push(b"XYZ");
        assert_eq!(c.dropped, 9);
        let out = String::from_utf8(c.finish("stdout")).unwrap();
        assert!(
            out.starts_with("01234\n[ax: 9 bytes of stdout dropped"),
            "{out}"
        );
        assert!(out.ends_with("]\nefXYZ"), "{out}");
        let mut small = Capture::new(10);
        small.push(b"hello");
        assert_eq!(small.finish("stdout"), b"hello");
    }
}
