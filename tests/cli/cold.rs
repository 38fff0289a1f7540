//! The cold tier against a real S3-compatible server (SPEC §6): the built `ax` with `/archive`
//! on a fresh prefix of the test bucket, asserting on the objects in the bucket itself (read
//! with `object_store` directly, not through ax): big files stream in bounded memory, parallel
//! appenders lose nothing, writes and removals reach the bucket, the read cache notices
//! changes made behind its back, and a dead or silent endpoint fails within a bounded time.
//!
//! The server comes from `scripts/test.sh` (see `common::s3`); without it these tests skip with
//! a note, or fail under `AX_REQUIRE_BACKENDS=1`. The unreachable-endpoint tests need no server.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use ax::backend::EtagHasher;

use crate::common::s3::{Bucket, S3Env, unique_prefix};
use crate::common::{BlackHole, Outcome, TestEnv, ax_bin};

/// Peak RSS allowed for a 100 MiB copy between tiers: streaming, not buffering.
const RSS_LIMIT_KIB: u64 = 64 * 1024;
/// A dead or silent endpoint must fail within this (the mount allows 3 s per request, 1 retry).
const UNREACHABLE_BOUND: Duration = Duration::from_secs(15);

/// A test environment whose `/archive` is a fresh prefix of the S3 test bucket, with the hot
/// mounts of the default harness config (`/scratch`, `/context`).
struct Cold {
    env: TestEnv,
    s3: S3Env,
    bucket: Bucket,
}

impl Cold {
    fn new(test: &str, extra_options: &str) -> Option<Cold> {
        let s3 = S3Env::get(test)?;
        let bucket = Bucket::new(&s3, &unique_prefix("cold"));
        let env = TestEnv::with_config(&format!(
            "\
mounts:
  - path: /scratch
    tier: hot
    root: ./data/scratch
  - path: /context
    tier: hot
    root: ./data/context
  - path: /archive
    tier: cold
    url: {url}
{extra_options}",
            url = bucket.url(&s3)
        ));
        env.mkdir("/scratch");
        env.mkdir("/context");
        Some(Cold { env, s3, bucket })
    }

    /// `ax ARGS` with the S3 credentials and endpoint in its environment.
    fn run(&self, args: &[&str]) -> Outcome {
        Outcome::of(self.env.ax().envs(self.s3.vars()).args(args))
    }

    fn run_stdin(&self, args: &[&str], stdin: impl Into<Vec<u8>>) -> Outcome {
        Outcome::of(
            self.env
                .ax()
                .envs(self.s3.vars())
                .args(args)
                .write_stdin(stdin),
        )
    }

    /// A `std::process::Command` for `ax` with the S3 environment.
    fn process(&self) -> Command {
        let mut cmd = self.env.ax_process();
        cmd.envs(self.s3.vars());
        cmd
    }

    /// Runs `ax ARGS` under `/usr/bin/time` and returns its peak RSS in KiB.
    fn peak_rss_kib(&self, args: &[&str]) -> u64 {
        let report = self.env.root().join("time.txt");
        let mut cmd = Command::new("/usr/bin/time");
        cmd.arg("-f")
            .arg("%M")
            .arg("-o")
            .arg(&report)
            .arg(ax_bin())
            .args(args)
            .current_dir(self.env.root())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.env.root())
            .env("AX_CONFIG", self.env.config_path())
            .envs(self.s3.vars())
            .stdin(Stdio::null());
        let out = cmd
            .output()
            .expect("run /usr/bin/time (GNU time, package `time`) around ax");
        assert!(
            out.status.success(),
            "ax {args:?} failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let text = std::fs::read_to_string(&report).expect("read /usr/bin/time report");
        text.trim()
            .lines()
            .last()
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or_else(|| panic!("unexpected /usr/bin/time output {text:?}"))
    }
}

/// Writes `len` deterministic incompressible bytes (xorshift from `seed`) to `path`.
fn write_noise(path: &Path, seed: u64, len: u64) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("create parent");
    let mut out = BufWriter::new(File::create(path).expect("create noise file"));
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut buf = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = buf.len().min(left as usize);
        for chunk in buf[..n].chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            chunk.copy_from_slice(&state.to_le_bytes()[..chunk.len()]);
        }
        out.write_all(&buf[..n]).expect("write noise");
        left -= n as u64;
    }
    out.flush().expect("flush noise");
}

/// Size and content hash of a host file, read streaming.
fn fingerprint(path: &Path) -> (u64, String) {
    let size = std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .len();
    let mut f = File::open(path).expect("open for hashing");
    (size, EtagHasher::of_reader(&mut f).expect("hash"))
}

fn fingerprint_bytes(bytes: &[u8]) -> (u64, String) {
    (
        bytes.len() as u64,
        EtagHasher::of_reader(&mut &bytes[..]).expect("hash"),
    )
}

// ---- big files, bounded memory --------------------------------------------------------------

#[test]
fn a_100_mib_file_round_trips_hot_cold_hot_byte_exact_in_bounded_memory() {
    let Some(c) = Cold::new("cold::a_100_mib_file_round_trips", "") else {
        return;
    };
    let len = 100 * 1024 * 1024 + 321;
    let src = c.env.host("/scratch/big.bin");
    write_noise(&src, 2026, len);
    let want = fingerprint(&src);

    // Archive: hot → cold, streamed (multipart) in bounded memory.
    let up = c.peak_rss_kib(&["cp", "/scratch/big.bin", "/archive/big.bin"]);
    eprintln!(
        "ax cp 100 MiB hot → cold: peak RSS {:.1} MiB",
        up as f64 / 1024.0
    );
    let stored = c.bucket.get("big.bin").expect("big.bin is in the bucket");
    assert!(
        fingerprint_bytes(&stored) == want,
        "the object in the bucket differs from the source ({} bytes stored, {len} sent)",
        stored.len()
    );
    drop(stored);

    // Restore: cold → hot.
    let down = c.peak_rss_kib(&["cp", "/archive/big.bin", "/context/restored.bin"]);
    eprintln!(
        "ax cp 100 MiB cold → hot: peak RSS {:.1} MiB",
        down as f64 / 1024.0
    );
    assert_eq!(
        fingerprint(&c.env.host("/context/restored.bin")),
        want,
        "cold → hot copy differs"
    );
    assert!(
        up < RSS_LIMIT_KIB,
        "ax cp hot → cold peaked at {up} KiB (limit {RSS_LIMIT_KIB} KiB): not streaming"
    );
    assert!(
        down < RSS_LIMIT_KIB,
        "ax cp cold → hot peaked at {down} KiB (limit {RSS_LIMIT_KIB} KiB): not streaming"
    );

    // Pipes: `ax cat /archive/big.bin | ax write /scratch/piped.bin`, and the other way round
    // (an upload of unknown length from stdin).
    pipe(&c, "/archive/big.bin", "/scratch/piped.bin");
    assert_eq!(
        fingerprint(&c.env.host("/scratch/piped.bin")),
        want,
        "ax cat /archive/big.bin | ax write /scratch/piped.bin differs"
    );
    pipe(&c, "/scratch/big.bin", "/archive/piped.bin");
    let stored = c
        .bucket
        .get("piped.bin")
        .expect("piped.bin is in the bucket");
    assert!(
        fingerprint_bytes(&stored) == want,
        "ax cat /scratch/big.bin | ax write /archive/piped.bin: the object differs ({} bytes)",
        stored.len()
    );
}

/// `ax cat FROM | ax write TO`, both asserted successful.
fn pipe(c: &Cold, from: &str, to: &str) {
    let mut cat = c
        .process()
        .args(["cat", from])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ax cat");
    let cat_out = cat.stdout.take().expect("cat stdout");
    let write = c
        .process()
        .args(["write", to])
        .stdin(cat_out)
        .stderr(Stdio::piped())
        .output()
        .expect("run ax write");
    let cat = cat.wait_with_output().expect("wait for ax cat");
    assert!(
        cat.status.success(),
        "ax cat {from}: {}\n{}",
        cat.status,
        String::from_utf8_lossy(&cat.stderr)
    );
    assert!(
        write.status.success(),
        "ax write {to}: {}\n{}",
        write.status,
        String::from_utf8_lossy(&write.stderr)
    );
}

// ---- concurrent appends ---------------------------------------------------------------------

const APPENDERS: usize = 10;
const LINES_EACH: usize = 50;

use crate::common::tagged_line as append_line;

#[test]
fn concurrent_appends_to_one_object_keep_every_line_whole_and_once() {
    let Some(c) = Cold::new("cold::concurrent_appends", "") else {
        return;
    };
    let started = Instant::now();
    let failures: Vec<String> = thread::scope(|s| {
        let handles: Vec<_> = (0..APPENDERS)
            .map(|w| {
                let c = &c;
                s.spawn(move || {
                    let mut failed = Vec::new();
                    for l in 0..LINES_EACH {
                        let out = c
                            .process()
                            .args(["append", "/archive/log.txt", &append_line(w, l)])
                            .stdin(Stdio::null())
                            .output()
                            .expect("spawn ax append");
                        if !out.status.success() {
                            failed.push(format!(
                                "appender {w} line {l}: {} {}",
                                out.status,
                                String::from_utf8_lossy(&out.stderr).trim()
                            ));
                        }
                    }
                    failed
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("appender thread"))
            .collect()
    });
    eprintln!(
        "{} ax append processes ({APPENDERS} at a time) to one object: {:.1} s",
        APPENDERS * LINES_EACH,
        started.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{} of {} appends failed, e.g.:\n{}",
        failures.len(),
        APPENDERS * LINES_EACH,
        failures
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );

    // The object itself, read from the bucket directly.
    let stored = c.bucket.get("log.txt").expect("log.txt is in the bucket");
    let text = String::from_utf8(stored).expect("the log is UTF-8 (no torn bytes)");
    assert!(text.ends_with('\n'), "the log ends with a whole line");
    let lines: Vec<&str> = text.lines().collect();
    let expected: HashSet<String> = (0..APPENDERS)
        .flat_map(|w| (0..LINES_EACH).map(move |l| append_line(w, l)))
        .collect();
    let mut seen = HashSet::new();
    for line in &lines {
        assert!(expected.contains(*line), "a torn or foreign line: {line:?}");
        assert!(seen.insert(*line), "a duplicated line: {line:?}");
    }
    assert_eq!(
        lines.len(),
        APPENDERS * LINES_EACH,
        "lines lost: {} missing, e.g. {:?}",
        expected.len() - seen.len(),
        expected.iter().find(|l| !seen.contains(l.as_str()))
    );
    // Each appender's lines stay in its own order.
    for w in 0..APPENDERS {
        let prefix = format!("appender-{w:02} ");
        let mine: Vec<&&str> = lines.iter().filter(|l| l.starts_with(&prefix)).collect();
        let want: Vec<String> = (0..LINES_EACH).map(|l| append_line(w, l)).collect();
        assert!(
            mine.iter().map(|l| **l).eq(want.iter().map(String::as_str)),
            "appender {w}'s lines are out of order"
        );
    }
}

// ---- writes and removals reach the bucket ---------------------------------------------------

#[test]
fn write_and_rm_change_the_objects_in_the_bucket() {
    let Some(c) = Cold::new("cold::write_and_rm_change_the_objects", "") else {
        return;
    };
    c.run(&["write", "/archive/notes/a.md", "# A\nfrom an argument\n"])
        .success();
    c.run_stdin(&["write", "/archive/notes/sub/b.bin"], vec![0u8, 1, 2, 255])
        .success();
    assert_eq!(
        c.bucket.get("notes/a.md").as_deref(),
        Some(&b"# A\nfrom an argument\n"[..]),
        "ax write stores the object under the mount's prefix"
    );
    assert_eq!(
        c.bucket.get("notes/sub/b.bin").as_deref(),
        Some(&[0u8, 1, 2, 255][..])
    );
    assert_eq!(c.bucket.keys(), vec!["notes/a.md", "notes/sub/b.bin"]);

    // ax reports the store's own ETag.
    let (size, tag) = c.bucket.head("notes/a.md").expect("head notes/a.md");
    let v = c
        .run(&["stat", "--json", "/archive/notes/a.md"])
        .success()
        .json();
    assert_eq!(v["size"], size, "ax stat size: {v}");
    assert_eq!(v["kind"], "file", "ax stat kind: {v}");
    let reported = v["etag"].as_str().expect("stat --json has an etag");
    assert_eq!(
        Some(ax::backend::normalize_etag(reported)),
        tag.as_deref(),
        "ax stat reports the bucket's ETag"
    );

    // An object put by someone else is visible through ax.
    c.bucket
        .put("notes/from-elsewhere.txt", b"written by another agent\n");
    assert_eq!(
        c.run(&["cat", "/archive/notes/from-elsewhere.txt"])
            .success()
            .stdout,
        b"written by another agent\n"
    );
    let names: Vec<String> = c.run(&["ls", "--json", "/archive/notes"]).success().json()["entries"]
        .as_array()
        .expect("ls --json lists entries")
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["name"].as_str().unwrap_or("?"),
                e["kind"].as_str().unwrap_or("?")
            )
        })
        .collect();
    assert_eq!(
        names,
        vec!["a.md file", "from-elsewhere.txt file", "sub dir"]
    );

    // rm of one object, then rm -r of the rest.
    c.run(&["rm", "/archive/notes/a.md"]).success();
    assert_eq!(c.bucket.get("notes/a.md"), None, "ax rm deletes the object");
    assert_eq!(
        c.bucket.keys(),
        vec!["notes/from-elsewhere.txt", "notes/sub/b.bin"]
    );
    let line = c.run(&["rm", "/archive/notes"]).fails(1);
    assert!(
        line.contains("/archive/notes"),
        "rm of a folder without -r: {line}"
    );
    assert_eq!(c.bucket.keys().len(), 2, "a refused rm deletes nothing");
    c.run(&["rm", "-r", "/archive/notes"]).success();
    assert_eq!(
        c.bucket.keys(),
        Vec::<String>::new(),
        "ax rm -r deletes every object below"
    );
    c.run(&["cat", "/archive/notes/a.md"])
        .fails_at(1, "/archive/notes/a.md");
}

#[test]
fn the_read_cache_serves_the_current_version_after_a_change_behind_its_back() {
    let Some(c) = Cold::new("cold::the_read_cache", "    options:\n      cache: 16MiB\n") else {
        return;
    };
    c.bucket.put("doc.md", b"version 1\n");
    for _ in 0..2 {
        assert_eq!(
            c.run(&["cat", "/archive/doc.md"]).success().stdout,
            b"version 1\n"
        );
    }
    // Same length, so only the ETag / last-modified can tell the versions apart.
    c.bucket.put("doc.md", b"version 2\n");
    assert_eq!(
        c.run(&["cat", "/archive/doc.md"]).success().stdout,
        b"version 2\n",
        "a cached read must notice the object changed"
    );
    c.bucket.put("doc.md", b"version 3, longer\n");
    assert_eq!(
        c.run(&["cat", "/archive/doc.md"]).success().stdout,
        b"version 3, longer\n"
    );
}

// ---- unreachable stores fail in bounded time ------------------------------------------------

/// A config whose `/archive` points at `endpoint`, with short timeouts and its own
/// credentials (nothing from the environment: the harness clears it).
fn unreachable_env(endpoint: &str) -> TestEnv {
    let env = TestEnv::with_config(&format!(
        "\
mounts:
  - path: /scratch
    tier: hot
    root: ./data/scratch
  - path: /archive
    tier: cold
    url: s3://ax-test/unreachable/
    options:
      endpoint: {endpoint}
      region: us-east-1
      access_key_id: test-key
      secret_access_key: test-secret
      allow_http: \"true\"
      timeout: 3s
      connect_timeout: 2s
      retries: \"1\"
"
    ));
    env.mkdir("/scratch");
    env
}

/// Runs `ax ARGS` and returns its output and run time; kills it (and fails) after 60 s so a
/// hang cannot stall the suite.
fn run_timed(env: &TestEnv, args: &[&str]) -> (Output, Duration) {
    let started = Instant::now();
    let mut child = env
        .ax_process()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ax");
    loop {
        if child.try_wait().expect("poll ax").is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("ax {args:?} hung for 60 s against an unreachable store");
        }
        thread::sleep(Duration::from_millis(20));
    }
    let elapsed = started.elapsed();
    (
        child.wait_with_output().expect("collect ax output"),
        elapsed,
    )
}

#[track_caller]
fn assert_fails_in_bound(env: &TestEnv, args: &[&str], endpoint_hostport: &str) {
    let (out, elapsed) = run_timed(env, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!(
        "ax {} → {} in {:.2} s: {}",
        args.join(" "),
        out.status,
        elapsed.as_secs_f64(),
        stderr.trim()
    );
    assert!(!out.status.success(), "ax {args:?} must fail: {stderr}");
    assert_eq!(
        out.status.code(),
        Some(1),
        "ax {args:?}: exit code; stderr {stderr}"
    );
    assert!(
        elapsed < UNREACHABLE_BOUND,
        "ax {args:?} took {elapsed:?} (bound {UNREACHABLE_BOUND:?})"
    );
    assert!(
        stderr.starts_with("ax: ") && stderr.contains(endpoint_hostport),
        "ax {args:?}: the error names the endpoint {endpoint_hostport}: {stderr}"
    );
}

#[test]
fn a_refused_endpoint_fails_fast_with_a_message_naming_it() {
    // A port nobody listens on: bind, note it, close.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let hostport = format!("127.0.0.1:{port}");
    let env = unreachable_env(&format!("http://{hostport}"));
    assert_fails_in_bound(&env, &["cat", "/archive/x.txt"], &hostport);
    assert_fails_in_bound(&env, &["write", "/archive/y.txt", "data"], &hostport);
    assert_fails_in_bound(&env, &["ls", "/archive"], &hostport);
}

#[test]
fn a_black_hole_endpoint_fails_within_the_timeout() {
    // Accepts connections and never answers.
    let hole = BlackHole::start();
    let hostport = hole.addr.clone();
    let env = unreachable_env(&format!("http://{hostport}"));
    assert_fails_in_bound(&env, &["cat", "/archive/x.txt"], &hostport);
    env.write("/scratch/up.txt", "to archive\n");
    assert_fails_in_bound(
        &env,
        &["mv", "/scratch/up.txt", "/archive/up.txt"],
        &hostport,
    );
    assert_eq!(
        env.read("/scratch/up.txt"),
        b"to archive\n",
        "a failed move to the cold tier leaves the source in place"
    );
    assert!(
        hole.connections() > 0,
        "ax never connected to the black hole"
    );
}

// ---- default fault bounds, and faults mid-transfer ------------------------------------------

/// A black hole with the mount's *default* settings (no timeout, idle_timeout or retries set):
/// a small read, a small write and a move of a 20 MiB file each fail within the bound.
#[test]
fn a_black_hole_fails_within_15_s_with_the_default_settings() {
    let hole = BlackHole::start();
    let hostport = hole.addr.clone();
    let env = TestEnv::with_config(&format!(
        "\
mounts:
  - path: /scratch
    tier: hot
    root: ./data/scratch
  - path: /archive
    tier: cold
    url: s3://ax-test/hole/
    options:
      endpoint: http://{hostport}
      region: us-east-1
      access_key_id: test-key
      secret_access_key: test-secret
      allow_http: \"true\"
"
    ));
    env.mkdir("/scratch");
    assert_fails_in_bound(&env, &["cat", "/archive/x.txt"], &hostport);
    assert_fails_in_bound(&env, &["write", "/archive/y.txt", "small"], &hostport);
    write_noise(&env.host("/scratch/big.bin"), 7, 20 << 20);
    assert_fails_in_bound(&env, &["mv", "/scratch/big.bin", "/archive/"], &hostport);
    assert_eq!(
        std::fs::metadata(env.host("/scratch/big.bin"))
            .unwrap()
            .len(),
        20 << 20,
        "the source stays"
    );
    drop(hole);
}

/// What the proxy does to the bytes between ax and the S3 server.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// Forward everything, `chunk` bytes at a time with `pause` between (both ways).
    Trickle {
        chunk: usize,
        pause: Duration,
    },
    /// After `after` bytes from ax to the server (over all connections), stop forwarding
    /// and keep the connections open.
    StallUp {
        after: u64,
    },
    /// After `after` bytes in that direction, reset that connection (once; later
    /// connections pass).
    ResetUp {
        after: u64,
    },
    ResetDown {
        after: u64,
    },
}

/// A TCP proxy on 127.0.0.1 in front of the S3 server that injects one [`Fault`]. Stopped
/// (every thread ends) when dropped.
struct FaultProxy {
    addr: String,
    stop: Arc<AtomicBool>,
    accept: Option<thread::JoinHandle<()>>,
}

impl FaultProxy {
    fn start(upstream: &str, fault: Fault) -> FaultProxy {
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let up_bytes = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let down_bytes = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let fired = Arc::new(AtomicBool::new(false));
        let accept = {
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                let mut workers = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let Ok((client, _)) = listener.accept() else {
                        thread::sleep(Duration::from_millis(5));
                        continue;
                    };
                    client.set_nonblocking(false).unwrap();
                    let Ok(server) = std::net::TcpStream::connect(&upstream) else {
                        continue;
                    };
                    for (from, to, up) in [
                        (
                            client.try_clone().unwrap(),
                            server.try_clone().unwrap(),
                            true,
                        ),
                        (
                            server.try_clone().unwrap(),
                            client.try_clone().unwrap(),
                            false,
                        ),
                    ] {
                        let (stop, fired) = (Arc::clone(&stop), Arc::clone(&fired));
                        let count = Arc::clone(if up { &up_bytes } else { &down_bytes });
                        workers.push(thread::spawn(move || {
                            pump(from, to, up, fault, &count, &fired, &stop)
                        }));
                    }
                }
                for w in workers {
                    let _ = w.join();
                }
            })
        };
        FaultProxy {
            addr,
            stop,
            accept: Some(accept),
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(a) = self.accept.take() {
            let _ = a.join();
        }
    }
}

/// Copies `from` to `to`, applying `fault`; ends when either side closes or `stop` is set.
fn pump(
    mut from: std::net::TcpStream,
    mut to: std::net::TcpStream,
    up: bool,
    fault: Fault,
    count: &std::sync::atomic::AtomicU64,
    fired: &AtomicBool,
    stop: &AtomicBool,
) {
    use std::io::Read;
    from.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    while !stop.load(Ordering::Relaxed) {
        let max = match fault {
            Fault::Trickle { chunk, .. } => chunk.min(buf.len()),
            _ => buf.len(),
        };
        let n = match from.read(&mut buf[..max]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue;
            }
            Err(_) => break,
        };
        let before = count.fetch_add(n as u64, Ordering::Relaxed);
        match fault {
            Fault::Trickle { pause, .. } => thread::sleep(pause),
            Fault::StallUp { after } if up && before + n as u64 > after => {
                // Hold both sockets open and forward nothing more.
                while !stop.load(Ordering::Relaxed) {
                    thread::sleep(Duration::from_millis(50));
                }
                return;
            }
            Fault::ResetUp { after } | Fault::ResetDown { after }
                if up == matches!(fault, Fault::ResetUp { .. })
                    && before + n as u64 > after
                    && !fired.swap(true, Ordering::Relaxed) =>
            {
                reset(&from);
                reset(&to);
                return;
            }
            _ => {}
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}

/// Closes `s` with a TCP reset (SO_LINGER 0), as a crashed peer or a middlebox would.
#[allow(unsafe_code)]
fn reset(s: &std::net::TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid socket descriptor and a live, correctly sized option value.
    unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &linger as *const libc::linger as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
    let _ = s.shutdown(std::net::Shutdown::Both);
}

/// A [`Cold`] whose `/archive` reaches the server through `proxy`, with a 1 s idle bound.
fn through(test: &str, proxy_for: impl FnOnce(&S3Env) -> FaultProxy) -> Option<(Cold, FaultProxy)> {
    let s3 = S3Env::get(test)?;
    let proxy = proxy_for(&s3);
    let cold = Cold::new(
        test,
        &format!(
            "    options:\n      endpoint: http://{}\n      idle_timeout: 1s\n      region: {}\n      access_key_id: {}\n      secret_access_key: {}\n      allow_http: \"true\"\n",
            proxy.addr, s3.region, s3.access_key_id, s3.secret_access_key
        ),
    )?;
    Some((cold, proxy))
}

#[test]
fn a_slow_transfer_that_keeps_moving_is_never_cut_off() {
    // ~320 KiB/s both ways: 1.5 MiB takes about 5 s each way, far past the 1 s idle bound.
    let Some((cold, _proxy)) = through("slow transfer", |s3| {
        FaultProxy::start(
            &s3.endpoint,
            Fault::Trickle {
                chunk: 32 * 1024,
                pause: Duration::from_millis(100),
            },
        )
    }) else {
        return;
    };
    let len = 1536 * 1024;
    write_noise(&cold.env.host("/scratch/slow.bin"), 11, len as u64);
    let started = Instant::now();
    cold.run(&["cp", "/scratch/slow.bin", "/archive/slow.bin"])
        .success();
    cold.run(&["cp", "/archive/slow.bin", "/context/back.bin"])
        .success();
    assert!(
        started.elapsed() > Duration::from_secs(4),
        "the proxy did slow it down"
    );
    let sent = std::fs::read(cold.env.host("/scratch/slow.bin")).unwrap();
    assert_eq!(cold.bucket.get("slow.bin").as_deref(), Some(&sent[..]));
    assert_eq!(
        std::fs::read(cold.env.host("/context/back.bin")).unwrap(),
        sent
    );
}

#[test]
fn a_stalled_upload_fails_in_bounded_time_and_the_move_keeps_its_source() {
    let Some((cold, proxy)) = through("stalled upload", |s3| {
        FaultProxy::start(&s3.endpoint, Fault::StallUp { after: 64 * 1024 })
    }) else {
        return;
    };
    // A 256 KiB upload may wait 1 s + 256 KiB at 64 KiB/s = 5 s for its response; with the
    // default retries (within 10 s) that is two attempts.
    let len = 256 * 1024;
    write_noise(&cold.env.host("/scratch/stall.bin"), 13, len as u64);
    let (out, took) = run_timed(
        &cold.env,
        &["mv", "/scratch/stall.bin", "/archive/stall.bin"],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(took < UNREACHABLE_BOUND, "took {took:?}");
    assert!(err.contains(&proxy.addr), "names the endpoint: {err}");
    assert_eq!(
        std::fs::metadata(cold.env.host("/scratch/stall.bin"))
            .unwrap()
            .len(),
        len as u64,
        "the source stays"
    );
    assert_eq!(
        cold.bucket.head("stall.bin"),
        None,
        "no half-written object"
    );
}

#[test]
fn a_connection_reset_mid_transfer_never_loses_or_half_writes_data() {
    // Up: a move whose upload is reset once after 256 KiB.
    let Some((cold, _proxy)) = through("reset up", |s3| {
        FaultProxy::start(&s3.endpoint, Fault::ResetUp { after: 256 * 1024 })
    }) else {
        return;
    };
    let len = 2 << 20;
    write_noise(&cold.env.host("/scratch/r.bin"), 17, len as u64);
    let sent = std::fs::read(cold.env.host("/scratch/r.bin")).unwrap();
    let out = cold.run(&["mv", "/scratch/r.bin", "/archive/r.bin"]);
    match out.code {
        // Retried and finished: the object is whole and only then the source went.
        Some(0) => {
            assert_eq!(cold.bucket.get("r.bin").as_deref(), Some(&sent[..]));
            assert!(!cold.env.exists("/scratch/r.bin"));
        }
        _ => {
            assert_eq!(
                std::fs::read(cold.env.host("/scratch/r.bin")).unwrap(),
                sent
            );
            assert_eq!(cold.bucket.get("r.bin"), None, "nothing half-written");
        }
    }
    drop(_proxy);

    // Down: a copy out of the archive whose download is reset once after 256 KiB.
    let Some((cold, _proxy)) = through("reset down", |s3| {
        FaultProxy::start(&s3.endpoint, Fault::ResetDown { after: 256 * 1024 })
    }) else {
        return;
    };
    cold.bucket.put("d.bin", &sent);
    let out = cold.run(&["cp", "/archive/d.bin", "/context/d.bin"]);
    match out.code {
        Some(0) => assert_eq!(
            std::fs::read(cold.env.host("/context/d.bin")).unwrap(),
            sent
        ),
        _ => {
            assert!(!cold.env.exists("/context/d.bin"), "no half-written copy");
            assert!(out.stderr.starts_with("ax: "), "{}", out.stderr);
        }
    }
    assert_eq!(
        cold.bucket.get("d.bin").as_deref(),
        Some(&sent[..]),
        "the source stays"
    );
}

/// The same black hole as an Azure Blob endpoint (the emulator mode of `az://`), default
/// settings: a small read and a small write fail within the bound, naming the endpoint.
#[test]
fn a_black_hole_azure_endpoint_fails_within_15_s_with_the_default_settings() {
    let hole = BlackHole::start();
    let hostport = hole.addr.clone();
    let env = TestEnv::with_config(
        "mounts:\n  - path: /blob\n    tier: cold\n    url: az://ax-test/hole/\n    options:\n      use_emulator: \"true\"\n",
    );
    for args in [
        &["cat", "/blob/x.txt"][..],
        &["write", "/blob/y.txt", "small"][..],
    ] {
        let started = Instant::now();
        let out = Outcome::of(
            env.ax()
                .env("AZURITE_BLOB_STORAGE_URL", format!("http://{hostport}"))
                .args(args)
                .timeout(Duration::from_secs(60)),
        );
        let took = started.elapsed();
        let err = out.fails(1);
        eprintln!(
            "ax {args:?} against a silent Azure endpoint: {:.2} s",
            took.as_secs_f64()
        );
        assert!(took < UNREACHABLE_BOUND, "took {took:?}");
        assert!(err.contains(&hostport), "names the endpoint: {err}");
    }
    drop(hole);
}

/// GCS (`gs://`) has no emulator here that speaks the XML API object_store uses (see the
/// README), so what can be tested without one is: the default fault bounds, through a
/// service-account file that points the client at a black hole (`gcs_base_url`, no OAuth).
#[test]
fn a_black_hole_gcs_endpoint_fails_within_15_s_with_the_default_settings() {
    let hole = BlackHole::start();
    let env = TestEnv::empty();
    let sa = env.root().join("sa.json");
    std::fs::write(
        &sa,
        format!(
            r#"{{"private_key": "unused", "private_key_id": "unused", "client_email": "ax@example.invalid", "gcs_base_url": "http://{}", "disable_oauth": true}}"#,
            hole.addr
        ),
    )
    .unwrap();
    std::fs::write(
        env.config_path(),
        format!(
            "mounts:\n  - path: /g\n    tier: cold\n    url: gs://ax-test/hole/\n    options:\n      service_account: {}\n      allow_http: \"true\"\n",
            sa.display()
        ),
    )
    .unwrap();
    for args in [
        &["cat", "/g/x.txt"][..],
        &["write", "/g/y.txt", "small"][..],
    ] {
        let started = Instant::now();
        let out = Outcome::of(env.ax().args(args).timeout(Duration::from_secs(60)));
        let took = started.elapsed();
        let err = out.fails(1);
        eprintln!(
            "ax {args:?} against a silent GCS endpoint: {:.2} s",
            took.as_secs_f64()
        );
        assert!(took < UNREACHABLE_BOUND, "took {took:?}");
        assert!(err.contains(&hole.addr), "names the endpoint: {err}");
    }
    assert!(hole.connections() > 0);
}
