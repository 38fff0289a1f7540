//! The test harness: every test gets its own temporary directory holding an `ax.yaml` and the
//! data folders behind its mounts, and runs the built `ax` binary there with a cleared
//! environment (only `PATH`, `HOME` = the temp dir and `AX_CONFIG` = its `ax.yaml`), so nothing
//! from the developer's machine leaks in.
//!
//! Tests assert on what is really on disk through the host helpers ([`TestEnv::host`],
//! [`TestEnv::read`], ...), which map a virtual path to the file behind its mount.

// Each area module uses a different subset of the harness.
#![allow(dead_code)]

pub(crate) mod redis;
pub(crate) mod s3;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

/// The default test configuration: two hot mounts, a read-only warm mount and a cold
/// `file://` mount, all under `./data`.
pub(crate) const DEFAULT_CONFIG: &str = "\
mounts:
  - path: /scratch
    tier: hot
    root: ./data/scratch
  - path: /context
    tier: hot
    root: ./data/context
  - path: /docs
    tier: warm
    root: ./data/docs
    read_only: true
  - path: /archive
    tier: cold
    url: file://./data/archive
";

/// [`DEFAULT_CONFIG`] with a `lifecycle:` section holding `rules` (YAML list items, indented
/// by two spaces).
pub(crate) fn config_with_lifecycle(rules: &str) -> String {
    format!("{DEFAULT_CONFIG}lifecycle:\n{rules}")
}

/// Files the read-only `/docs` mount starts with (virtual path, content).
pub(crate) const DOCS_FIXTURE: &[(&str, &str)] = &[
    ("/docs/readme.md", "# Docs\nThe docs mount is read-only.\n"),
    (
        "/docs/guide/intro.md",
        "Intro to the guide.\nSee the readme for more.\n",
    ),
];

/// Host folder (relative to the temp dir) behind each mount of [`DEFAULT_CONFIG`].
const MOUNT_ROOTS: &[(&str, &str)] = &[
    ("/scratch", "data/scratch"),
    ("/context", "data/context"),
    ("/docs", "data/docs"),
    ("/archive", "data/archive"),
];

/// Path of the built `ax` binary.
pub(crate) fn ax_bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_ax"))
}

/// `ax` with an empty environment (only a system `PATH`) and no temp dir: for tests of
/// repo files such as `ax.yaml.example`, which need no isolated data.
pub(crate) fn bare_ax() -> std::process::Command {
    let mut c = std::process::Command::new(ax_bin());
    c.env_clear().env("PATH", "/usr/bin:/bin");
    c
}

/// An isolated environment for one test.
pub(crate) struct TestEnv {
    dir: TempDir,
}

impl TestEnv {
    /// The default configuration, with the `/docs` fixture on disk.
    pub(crate) fn new() -> TestEnv {
        let env = TestEnv::with_config(DEFAULT_CONFIG);
        for (vpath, content) in DOCS_FIXTURE {
            env.write(vpath, content);
        }
        env
    }

    /// The default configuration plus lifecycle `rules` (see [`config_with_lifecycle`]),
    /// with the `/docs` fixture on disk.
    pub(crate) fn with_lifecycle(rules: &str) -> TestEnv {
        let env = TestEnv::with_config(&config_with_lifecycle(rules));
        for (vpath, content) in DOCS_FIXTURE {
            env.write(vpath, content);
        }
        env
    }

    /// A custom `ax.yaml` (nothing else is created).
    pub(crate) fn with_config(yaml: &str) -> TestEnv {
        let env = TestEnv::empty();
        fs::write(env.config_path(), yaml).expect("write ax.yaml");
        env
    }

    /// An empty temp dir: no `ax.yaml`, no data.
    pub(crate) fn empty() -> TestEnv {
        let dir = tempfile::Builder::new()
            .prefix("ax-cli-test-")
            .tempdir()
            .expect("create temp dir");
        TestEnv { dir }
    }

    /// The temp dir (the working directory of every command).
    pub(crate) fn root(&self) -> &Path {
        self.dir.path()
    }

    /// The temp dir's `ax.yaml`.
    pub(crate) fn config_path(&self) -> PathBuf {
        self.root().join("ax.yaml")
    }

    /// `ax` with the isolated environment and `AX_CONFIG` pointing at the temp dir's `ax.yaml`.
    pub(crate) fn ax(&self) -> Command {
        let mut cmd = self.ax_without_config();
        cmd.env("AX_CONFIG", self.config_path());
        cmd
    }

    /// `ax` with the isolated environment but no `AX_CONFIG`: discovery walks up from the
    /// working directory (the temp dir unless changed with `current_dir`).
    pub(crate) fn ax_without_config(&self) -> Command {
        let mut cmd = Command::new(ax_bin());
        cmd.current_dir(self.root())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.root());
        cmd
    }

    /// A plain `std::process::Command` for `ax` with the same environment as [`TestEnv::ax`],
    /// for tests that spawn, pipe into, or kill the process themselves.
    pub(crate) fn ax_process(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(ax_bin());
        cmd.current_dir(self.root())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.root())
            .env("AX_CONFIG", self.config_path());
        cmd
    }

    /// The host path behind a virtual path of the default configuration.
    pub(crate) fn host(&self, vpath: &str) -> PathBuf {
        for (mount, root) in MOUNT_ROOTS {
            if let Some(rest) = vpath.strip_prefix(mount)
                && (rest.is_empty() || rest.starts_with('/'))
            {
                return self.root().join(root).join(rest.trim_start_matches('/'));
            }
        }
        panic!("{vpath} is not under a mount of the default test config");
    }

    /// The bytes of the host file behind `vpath`.
    pub(crate) fn read(&self, vpath: &str) -> Vec<u8> {
        let p = self.host(vpath);
        fs::read(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
    }

    /// The host file behind `vpath` as UTF-8.
    pub(crate) fn read_string(&self, vpath: &str) -> String {
        String::from_utf8(self.read(vpath)).expect("file is UTF-8")
    }

    /// Puts a file on disk behind `vpath` (bypassing ax), creating parent folders.
    pub(crate) fn write(&self, vpath: &str, content: impl AsRef<[u8]>) {
        let p = self.host(vpath);
        fs::create_dir_all(p.parent().expect("has parent")).expect("create parent");
        fs::write(&p, content).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
    }

    /// Creates a folder on disk behind `vpath` (bypassing ax).
    pub(crate) fn mkdir(&self, vpath: &str) {
        fs::create_dir_all(self.host(vpath)).expect("create dir");
    }

    /// Sets the modification time of the host file behind `vpath` to `secs` seconds ago.
    pub(crate) fn age(&self, vpath: &str, secs: u64) {
        let p = self.host(vpath);
        let when = std::time::SystemTime::now() - std::time::Duration::from_secs(secs);
        fs::File::options()
            .write(true)
            .open(&p)
            .and_then(|f| f.set_modified(when))
            .unwrap_or_else(|e| panic!("set mtime of {}: {e}", p.display()));
    }

    /// Whether anything (even a dangling symlink) exists on disk behind `vpath`.
    pub(crate) fn exists(&self, vpath: &str) -> bool {
        fs::symlink_metadata(self.host(vpath)).is_ok()
    }

    /// Runs `ax ARGS` (with the default environment) and returns what happened.
    pub(crate) fn run(&self, args: &[&str]) -> Outcome {
        Outcome::of(self.ax().args(args))
    }

    /// Runs `ax ARGS` with `stdin` as its standard input.
    pub(crate) fn run_stdin(&self, args: &[&str], stdin: impl Into<Vec<u8>>) -> Outcome {
        Outcome::of(self.ax().args(args).write_stdin(stdin))
    }

    /// Runs `ax ARGS`, asserts exit 0 and returns stdout as text.
    pub(crate) fn ok(&self, args: &[&str]) -> String {
        self.run(args).success().stdout_text()
    }

    /// The ETag `ax stat --json` reports for `vpath`.
    pub(crate) fn etag(&self, vpath: &str) -> String {
        let v = self.run(&["stat", "--json", vpath]).success().json();
        v["etag"]
            .as_str()
            .unwrap_or_else(|| panic!("stat --json {vpath} has no string etag: {v}"))
            .to_string()
    }
}

/// The result of one `ax` run.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// The exit code (`None` if killed by a signal).
    pub code: Option<i32>,
    /// Raw stdout.
    pub stdout: Vec<u8>,
    /// Stderr as text (lossy).
    pub stderr: String,
    /// The command line, for failure messages.
    pub command: String,
}

impl Outcome {
    /// Runs `cmd` to completion (stdin is empty unless set on `cmd`).
    pub(crate) fn of(cmd: &mut Command) -> Outcome {
        let command = format!("{cmd:?}");
        let out: Output = cmd.output().expect("run ax");
        Outcome {
            code: out.status.code(),
            stdout: out.stdout,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            command,
        }
    }

    fn describe(&self) -> String {
        format!(
            "command: {}\nexit: {:?}\nstdout: {}\nstderr: {}",
            self.command,
            self.code,
            String::from_utf8_lossy(&self.stdout),
            self.stderr
        )
    }

    /// Asserts exit 0.
    #[track_caller]
    pub(crate) fn success(&self) -> &Outcome {
        assert_eq!(self.code, Some(0), "expected success\n{}", self.describe());
        self
    }

    /// Asserts the exit code.
    #[track_caller]
    pub(crate) fn code(&self, code: i32) -> &Outcome {
        assert_eq!(
            self.code,
            Some(code),
            "wrong exit code\n{}",
            self.describe()
        );
        self
    }

    /// Asserts a failure with `code` reported as exactly one stderr line starting with
    /// `ax: ` and returns that line (without its newline).
    #[track_caller]
    pub(crate) fn fails(&self, code: i32) -> String {
        self.code(code);
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "an error must be exactly one stderr line\n{}",
            self.describe()
        );
        assert!(
            lines[0].starts_with("ax: "),
            "an error line starts with `ax: `\n{}",
            self.describe()
        );
        lines[0].to_string()
    }

    /// Like [`Outcome::fails`], and the line names `subject` first: `ax: SUBJECT: ...`.
    #[track_caller]
    pub(crate) fn fails_at(&self, code: i32, subject: &str) -> String {
        let line = self.fails(code);
        assert!(
            line.starts_with(&format!("ax: {subject}: ")),
            "the error should start with `ax: {subject}: `\n{}",
            self.describe()
        );
        line
    }

    /// Stdout as UTF-8 text.
    #[track_caller]
    pub(crate) fn stdout_text(&self) -> String {
        String::from_utf8(self.stdout.clone())
            .unwrap_or_else(|_| panic!("stdout is not UTF-8\n{}", self.describe()))
    }

    /// Stdout parsed as one JSON document.
    #[track_caller]
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document: {e}\n{}", self.describe()))
    }

    /// Stdout parsed as JSON Lines.
    #[track_caller]
    pub(crate) fn json_lines(&self) -> Vec<Value> {
        self.stdout_text()
            .lines()
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("line {l:?} is not JSON: {e}\n{}", self.describe()))
            })
            .collect()
    }
}

/// Asserts that `value` is an object with exactly the keys `keys` (in any order).
#[track_caller]
pub(crate) fn assert_keys(value: &Value, keys: &[&str]) {
    let obj = value
        .as_object()
        .unwrap_or_else(|| panic!("expected a JSON object, got {value}"));
    let mut have: Vec<&str> = obj.keys().map(String::as_str).collect();
    have.sort_unstable();
    let mut want = keys.to_vec();
    want.sort_unstable();
    assert_eq!(have, want, "keys of {value}");
}

/// Asserts that `value` is an object having at least the keys `keys`.
#[track_caller]
pub(crate) fn assert_has_keys(value: &Value, keys: &[&str]) {
    let obj = value
        .as_object()
        .unwrap_or_else(|| panic!("expected a JSON object, got {value}"));
    for k in keys {
        assert!(obj.contains_key(*k), "missing key {k:?} in {value}");
    }
}

/// Every file and directory below `dir` (host paths, relative to `dir`), sorted.
pub(crate) fn host_tree(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(rd) = fs::read_dir(dir) else { return };
        for e in rd.flatten() {
            let p = e.path();
            out.push(
                p.strip_prefix(base)
                    .expect("below base")
                    .display()
                    .to_string(),
            );
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                walk(base, &p, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The one skip-gate of the suite: a test that needs a real component the environment lacks
/// skips with `why` on stderr, or fails when `AX_REQUIRE_BACKENDS=1` (as in CI), so a broken
/// set-up cannot pass silently. Returns `None` so callers can `?`/`let … else` on it.
pub(crate) fn skip_or_fail<T>(why: &str) -> Option<T> {
    if std::env::var("AX_REQUIRE_BACKENDS").is_ok_and(|v| v == "1") {
        panic!("{why}, and AX_REQUIRE_BACKENDS=1 requires every backend");
    }
    eprintln!("skipped: {why}");
    None
}

/// The embedding model's environment (set by scripts/install-model.sh), or the skip-gate.
pub(crate) fn model_env(test: &str) -> Option<Vec<(&'static str, String)>> {
    match std::env::var("AX_MODEL_DIR").ok().filter(|d| !d.is_empty()) {
        Some(d) => {
            let mut env = vec![("AX_MODEL_DIR", d)];
            if let Ok(ort) = std::env::var("ORT_DYLIB_PATH") {
                env.push(("ORT_DYLIB_PATH", ort));
            }
            Some(env)
        }
        None => skip_or_fail(&format!(
            "{test}: no embedding model (AX_MODEL_DIR unset; source scripts/install-model.sh)"
        )),
    }
}

/// A TCP listener on 127.0.0.1 that accepts connections and never answers (a silent
/// endpoint); it holds every connection until dropped, when its thread ends.
pub(crate) struct BlackHole {
    /// `127.0.0.1:PORT`.
    pub addr: String,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<usize>>,
}

impl BlackHole {
    pub(crate) fn start() -> BlackHole {
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind black hole");
        let addr = listener.local_addr().expect("addr").to_string();
        listener.set_nonblocking(true).expect("nonblocking");
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = std::sync::Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut held = Vec::new();
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => held.push(conn),
                    Err(_) => std::thread::sleep(std::time::Duration::from_millis(10)),
                }
            }
            held.len()
        });
        BlackHole {
            addr,
            stop,
            thread: Some(thread),
        }
    }

    /// Stops it and returns how many connections it swallowed.
    pub(crate) fn connections(mut self) -> usize {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.take().map_or(0, |t| t.join().unwrap_or(0))
    }
}

impl Drop for BlackHole {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// `appender-3 line-017 dddd…`: a 60-byte line padded with a letter unique to the appender,
/// so a torn or interleaved line cannot pass for a whole one.
pub(crate) fn tagged_line(w: usize, l: usize) -> String {
    let head = format!("appender-{w:02} line-{l:03} ");
    let pad = char::from(b'a' + w as u8)
        .to_string()
        .repeat(60 - head.len());
    format!("{head}{pad}")
}

/// `rounds` rounds of two editors ("alice", "bob") writing `path` at once with the same
/// `--if-match` ETag, through `run` (an `ax` with the store's environment): each round
/// exactly one wins (exit 0), the other gets a conflict (exit 3), and the file holds the
/// winner's text. The file must exist.
pub(crate) fn two_editors_race(
    run: &(dyn Fn(&[&str]) -> Outcome + Sync),
    path: &str,
    rounds: usize,
) {
    for round in 0..rounds {
        let stat = run(&["stat", "--json", path]);
        let tag = stat.success().json()["etag"]
            .as_str()
            .expect("an ETag")
            .to_string();
        let outs: Vec<Outcome> = std::thread::scope(|s| {
            let hs: Vec<_> = ["alice", "bob"]
                .into_iter()
                .map(|who| {
                    let tag = &tag;
                    s.spawn(move || {
                        run(&[
                            "write",
                            "--if-match",
                            tag,
                            path,
                            &format!("{who} round {round}\n"),
                        ])
                    })
                })
                .collect();
            hs.into_iter()
                .map(|h| h.join().expect("editor thread"))
                .collect()
        });
        let codes: Vec<Option<i32>> = outs.iter().map(|o| o.code).collect();
        assert!(
            codes == [Some(0), Some(3)] || codes == [Some(3), Some(0)],
            "round {round}: exactly one wins, the other gets a conflict: {codes:?}"
        );
        let winner = if codes[0] == Some(0) { "alice" } else { "bob" };
        assert_eq!(
            run(&["cat", path]).success().stdout_text(),
            format!("{winner} round {round}\n")
        );
    }
}

/// `writers` threads, each running `each` `ax append PATH LINE` processes in turn (line
/// `tagged_line(w, l)`), `process()` giving an `ax` command with the store's environment.
/// Asserts that every append succeeded.
pub(crate) fn append_race(
    process: &(dyn Fn() -> std::process::Command + Sync),
    path: &str,
    writers: usize,
    each: usize,
) {
    let failures: Vec<String> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..writers)
            .map(|w| {
                s.spawn(move || {
                    (0..each)
                        .filter_map(|l| {
                            let out = process()
                                .args(["append", path, &tagged_line(w, l)])
                                .stdin(std::process::Stdio::null())
                                .output()
                                .expect("spawn ax");
                            (!out.status.success())
                                .then(|| String::from_utf8_lossy(&out.stderr).into_owned())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter()
            .flat_map(|h| h.join().expect("appender thread"))
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} of {} appends failed, e.g. {:?}",
        failures.len(),
        writers * each,
        failures.first()
    );
}

/// Asserts that `text` holds every line of [`append_race`] whole and once, and each
/// writer's lines in its own order.
pub(crate) fn assert_appended_whole(text: &str, writers: usize, each: usize) {
    let expected: std::collections::HashSet<String> = (0..writers)
        .flat_map(|w| (0..each).map(move |l| tagged_line(w, l)))
        .collect();
    let mut seen = std::collections::HashSet::new();
    for l in text.lines() {
        assert!(expected.contains(l), "a torn or foreign line: {l:?}");
        assert!(seen.insert(l.to_string()), "a duplicated line: {l:?}");
    }
    assert_eq!(seen.len(), writers * each, "lines lost");
    for w in 0..writers {
        let prefix = format!("appender-{w:02} ");
        let order: Vec<&str> = text.lines().filter(|l| l.starts_with(&prefix)).collect();
        let want: Vec<String> = (0..each).map(|l| tagged_line(w, l)).collect();
        assert_eq!(order, want, "appender {w}'s lines keep their order");
    }
}
