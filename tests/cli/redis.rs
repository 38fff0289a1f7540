//! The Redis backend through the built `ax`, against a real Valkey server: concurrent
//! appenders and conditional editors, expiry, the size limit, prefixes, search, secrets kept
//! out of output, and faults (a silent server, a server stopped and restarted).
//! The behaviour every backend shares is in `conformance.rs`.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::common::{
    BlackHole, Outcome, TestEnv, append_race, assert_appended_whole, redis, two_editors_race,
};

const BOUND: Duration = Duration::from_secs(15);

/// A test environment with `/shared` (hot) and `/kb` (warm, indexed) on the Valkey server,
/// under prefixes of their own, plus `extra` YAML for `/shared`'s options.
fn shared(test: &str, extra: &str) -> Option<TestEnv> {
    let url = redis::url(test)?;
    let p = redis::unique_prefix("cli");
    Some(TestEnv::with_config(&format!(
        "\
mounts:
  - path: /shared
    tier: hot
    url: {url}
    options:
      prefix: {p}-shared
{extra}  - path: /kb
    tier: warm
    url: {url}
    options:
      prefix: {p}-kb
search:
  embedder: none
"
    )))
}

#[test]
fn twenty_processes_appending_200_lines_each_lose_and_tear_nothing() {
    let Some(env) = shared("redis::appends", "") else {
        return;
    };
    const WRITERS: usize = 20;
    const EACH: usize = 200;
    let started = Instant::now();
    append_race(&|| env.ax_process(), "/shared/log.txt", WRITERS, EACH);
    eprintln!(
        "{} ax append processes, {WRITERS} at a time, to one Redis file: {:.1} s",
        WRITERS * EACH,
        started.elapsed().as_secs_f64()
    );
    assert_appended_whole(&env.ok(&["cat", "/shared/log.txt"]), WRITERS, EACH);
}

#[test]
fn of_two_editors_with_the_same_etag_exactly_one_wins() {
    let Some(env) = shared("redis::editors", "") else {
        return;
    };
    env.ok(&["write", "/shared/plan.md", "step one\n"]);
    two_editors_race(
        &|args| Outcome::of(env.ax().args(args)),
        "/shared/plan.md",
        10,
    );
    // Create-only: the second create fails and changes nothing.
    env.ok(&["write", "--if-none-match", "*", "/shared/new.md", "first\n"]);
    env.run(&[
        "write",
        "--if-none-match",
        "*",
        "/shared/new.md",
        "second\n",
    ])
    .fails(3);
    assert_eq!(env.ok(&["cat", "/shared/new.md"]), "first\n");
}

#[test]
fn expiry_size_limit_prefixes_and_search_work_on_redis() {
    let Some(env) = shared("redis::options", "      ttl: 1s\n      max_size: 1KiB\n") else {
        return;
    };
    // ttl: the file vanishes by itself, from reads and listings.
    env.ok(&["write", "/shared/tmp/scratch.txt", "short-lived\n"]);
    assert!(env.ok(&["ls", "/shared/tmp"]).contains("scratch.txt"));
    thread::sleep(Duration::from_millis(1600));
    env.run(&["cat", "/shared/tmp/scratch.txt"]).fails(1);
    assert!(!env.ok(&["ls", "/shared/tmp"]).contains("scratch.txt"));
    // ax lifecycle knows the mount expires files by itself.
    let out = env.run(&["lifecycle", "--dry-run"]);
    assert!(
        out.success()
            .stderr
            .contains("/shared: files expire by themselves 1s"),
        "{}",
        out.stderr
    );
    // max_size: refused with a clear error; nothing written, by write or by append.
    let big = "x".repeat(2048);
    let err = env.run(&["write", "/shared/big.txt", &big]).fails(1);
    assert!(err.contains("limit of 1024 bytes"), "{err}");
    env.run(&["stat", "/shared/big.txt"]).fails(1);
    env.ok(&["write", "/shared/small.txt", "ok\n"]);
    env.run(&["append", "/shared/small.txt", &big]).fails(1);
    assert_eq!(env.ok(&["cat", "/shared/small.txt"]), "ok\n");
    // Prefixes: the two mounts share the server, not their files.
    env.run(&["cat", "/kb/small.txt"]).fails(1);
    // An indexed Redis mount is searchable and stays fresh.
    env.ok(&[
        "write",
        "/kb/notes/animals.md",
        "# Zebras\nzebras have stripes\n",
    ]);
    let hits = env
        .run(&["search", "--json", "--mode", "keyword", "zebras"])
        .success()
        .json();
    assert_eq!(hits["results"][0]["path"], "/kb/notes/animals.md", "{hits}");
    env.ok(&["write", "/kb/notes/animals.md", "# Horses\nhorses run\n"]);
    let hits = env
        .run(&["search", "--json", "--mode", "keyword", "zebras"])
        .success()
        .json();
    assert_eq!(hits["results"].as_array().unwrap().len(), 0, "{hits}");
    // Folders are real: listing, tree, rename, removal.
    env.ok(&["mv", "/kb/notes/animals.md", "/kb/archive/horses.md"]);
    assert_eq!(
        env.ok(&["cat", "/kb/archive/horses.md"]),
        "# Horses\nhorses run\n"
    );
    env.ok(&["write", "/kb/archive/deep/more.md", "more\n"]);
    env.ok(&["mv", "/kb/archive", "/kb/attic"]);
    assert_eq!(
        env.ok(&["cat", "/kb/attic/deep/more.md"]),
        "more\n",
        "a folder moves whole"
    );
    env.run(&["stat", "/kb/archive"]).fails(1);
    env.ok(&["mv", "/kb/attic", "/kb/archive"]);
    env.run(&["rm", "/kb/archive"]).fails(1);
    env.ok(&["rm", "-r", "/kb/archive"]);
    env.run(&["stat", "/kb/archive"]).fails(1);
}

#[test]
fn a_password_in_the_url_never_reaches_output() {
    // A server that is not there: the error line and the mount table name it without the
    // password.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let env = TestEnv::with_config(&format!(
        "mounts:\n  - path: /shared\n    tier: hot\n    url: redis://:hunter2-secret@127.0.0.1:{port}/0\n"
    ));
    let table = env.ok(&["mounts"]);
    assert!(
        table.contains(&format!("redis://127.0.0.1:{port}/0")),
        "{table}"
    );
    let json = env.run(&["mounts", "--json"]).success().stdout_text();
    let err = env.run(&["cat", "/shared/x"]).fails(1);
    for out in [&table, &json, &err] {
        assert!(!out.contains("hunter2"), "the password leaked: {out}");
    }
    assert!(
        err.contains(&format!("127.0.0.1:{port}")),
        "names the server: {err}"
    );
}

/// Runs `ax ARGS` and returns its outcome and run time, killing it after 60 s.
fn timed(env: &TestEnv, args: &[&str]) -> (Outcome, Duration) {
    let started = Instant::now();
    let out = Outcome::of(env.ax().args(args).timeout(Duration::from_secs(60)));
    (out, started.elapsed())
}

#[test]
fn a_silent_redis_fails_within_15_s_with_the_default_settings() {
    let hole = BlackHole::start();
    let addr = hole.addr.clone();
    let env = TestEnv::with_config(&format!(
        "mounts:\n  - path: /shared\n    tier: hot\n    url: redis://{addr}/0\n"
    ));
    for args in [
        &["cat", "/shared/x.txt"][..],
        &["write", "/shared/y.txt", "small"][..],
    ] {
        let (out, took) = timed(&env, args);
        let err = out.fails(1);
        eprintln!(
            "ax {args:?} against a silent Redis: {:.2} s: {err}",
            took.as_secs_f64()
        );
        assert!(took < BOUND, "took {took:?}");
        assert!(err.contains(&addr), "names the server: {err}");
    }
    drop(hole);
}

/// A Valkey server of this test's own on 127.0.0.1:`port`, stopped (by its PID) on drop.
struct OwnServer(Child);

impl OwnServer {
    fn start(bin: &str, port: u16, dir: &std::path::Path) -> OwnServer {
        let child = Command::new(bin)
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--dir"])
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start valkey-server");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "valkey-server did not come up");
            thread::sleep(Duration::from_millis(50));
        }
        OwnServer(child)
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_stopped_server_is_a_clear_error_and_a_restarted_one_works_again() {
    let Some(bin) = redis::server_bin("redis::restart") else {
        return;
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let env = TestEnv::with_config(&format!(
        "mounts:\n  - path: /shared\n    tier: hot\n    url: redis://127.0.0.1:{port}/0\n"
    ));
    let server = OwnServer::start(&bin, port, env.root());
    env.ok(&["write", "/shared/a.txt", "before\n"]);
    drop(server);
    let (out, took) = timed(&env, &["cat", "/shared/a.txt"]);
    let err = out.fails(1);
    assert!(took < BOUND, "took {took:?}");
    assert!(
        err.contains(&format!("redis://127.0.0.1:{port}")),
        "names the server: {err}"
    );
    let _server = OwnServer::start(&bin, port, env.root());
    env.ok(&["write", "/shared/a.txt", "after\n"]);
    assert_eq!(env.ok(&["cat", "/shared/a.txt"]), "after\n");
}
