//! `ax serve` driven over real HTTP on 127.0.0.1 (a free port): tokens (401, 403, scopes
//! that hide mounts, including through `..`, `%2e%2e` and `/v1/files/`), `Origin`, the JSON
//! API, streamed 100 MiB files with the server's peak RSS, SIGTERM during concurrent
//! writers, metrics that count what was called, and the refusal of a public address
//! without tokens. The Python MCP SDK's streamable-HTTP client is in tests/mcp_http_client.py.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ax::config::secret_digest;
use serde_json::{Value, json};

use crate::common::{DEFAULT_CONFIG, TestEnv};

const RW: &str = "rw-secret-for-tests";
const RO: &str = "ro-secret-for-tests";

/// A running `ax serve` and what it printed on stderr.
struct Server {
    child: Child,
    addr: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tokens_config() -> String {
    format!(
        "{DEFAULT_CONFIG}search:\n  embedder: none\nserve:\n  tokens:\n    - name: writer\n      sha256: {}\n      mounts: {{ /scratch: rw, /docs: r }}\n    - name: reader\n      sha256: {}\n      mounts: {{ /scratch: r }}\n",
        secret_digest(RW),
        secret_digest(RO)
    )
}

fn start(env: &TestEnv, extra: &[&str]) -> Server {
    let mut child = env
        .ax_process()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ax serve");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let first = lines
        .next()
        .and_then(|l| l.ok())
        .unwrap_or_else(|| panic!("ax serve printed nothing"));
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_string();
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&log);
    std::thread::spawn(move || {
        for l in lines.map_while(Result::ok) {
            sink.lock().unwrap().push(l);
        }
    });
    Server { child, addr, log }
}

struct Reply {
    status: u16,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

/// One HTTP/1.1 request on a fresh connection; `body` is sent with a Content-Length.
fn http(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    // A server may answer (413) and close before the whole body is sent: the reply still counts.
    let _ = s.write_all(body);
    read_reply(&mut BufReader::new(s), &mut |b: &[u8]| b.to_vec())
}

/// Reads a reply; `keep` turns the whole body into what is stored (big bodies: a digest).
fn read_reply(r: &mut impl BufRead, keep: &mut dyn FnMut(&[u8]) -> Vec<u8>) -> Reply {
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let mut headers = HashMap::new();
    loop {
        line.clear();
        r.read_line(&mut line).unwrap();
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let mut body = Vec::new();
    let _ = r.read_to_end(&mut body); // a reset after an early answer ends the body, no more

    let body = keep(&body);
    Reply {
        status,
        headers,
        body,
    }
}

fn bearer(secret: &str) -> String {
    format!("Bearer {secret}")
}

fn call(addr: &str, secret: &str, tool: &str, args: Value) -> Reply {
    let auth = bearer(secret);
    http(
        addr,
        "POST",
        &format!("/v1/tools/{tool}"),
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        args.to_string().as_bytes(),
    )
}

#[test]
fn tokens_are_required_and_scopes_hold_on_every_route() {
    let env = TestEnv::with_config(&tokens_config());
    env.write("/docs/readme.md", "# Docs\n");
    env.write("/context/secret.md", "hidden\n");
    let srv = start(&env, &[]);
    let a = srv.addr.as_str();

    assert_eq!(http(a, "GET", "/healthz", &[], b"").status, 200);
    for auth in [None, Some("Bearer nope"), Some("Basic x"), Some(RW)] {
        let h: Vec<(&str, &str)> = auth.map(|v| ("Authorization", v)).into_iter().collect();
        let r = http(a, "GET", "/v1/tools", &h, b"");
        assert_eq!(r.status, 401, "{auth:?}");
        assert!(
            r.headers["www-authenticate"].starts_with("Bearer"),
            "{auth:?}"
        );
        assert_eq!(
            http(a, "POST", "/mcp", &h, b"{}").status,
            401,
            "/mcp with {auth:?}"
        );
    }

    // The tool list and the mount list show only the token's mounts.
    let tools = http(
        a,
        "GET",
        "/v1/tools",
        &[("Authorization", &bearer(RW))],
        b"",
    );
    assert_eq!(tools.status, 200);
    let text = String::from_utf8_lossy(&tools.body).to_string();
    assert!(
        text.contains("Mount points: /scratch, /docs."),
        "the token's mounts only"
    );
    assert!(
        !text.contains("/archive (") && !text.contains("/context ("),
        "no other mount described"
    );
    let root = call(a, RW, "ax_list", json!({"path": "/"})).json();
    let names: Vec<&str> = root["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["/docs", "/scratch"]);

    // Writes where the scope allows; 403 and nothing on disk where it reads only.
    assert_eq!(
        call(
            a,
            RW,
            "ax_write",
            json!({"path": "/scratch/a.md", "content": "a"})
        )
        .status,
        200
    );
    let denied = call(
        a,
        RW,
        "ax_write",
        json!({"path": "/docs/new.md", "content": "x"}),
    );
    assert_eq!(denied.status, 403);
    assert_eq!(
        denied.json()["error"]["kind"],
        "read_only",
        "/docs is a read-only mount"
    );
    for (tool, args) in [
        ("ax_write", json!({"path": "/scratch/b.md", "content": "x"})),
        (
            "ax_append",
            json!({"path": "/scratch/a.md", "content": "x"}),
        ),
        (
            "ax_edit",
            json!({"path": "/scratch/a.md", "old": "a", "new": "b"}),
        ),
        ("ax_delete", json!({"path": "/scratch/a.md"})),
        (
            "ax_move",
            json!({"src": "/scratch/a.md", "dst": "/scratch/c.md"}),
        ),
    ] {
        let r = call(a, RO, tool, args);
        assert_eq!(
            r.status,
            403,
            "reader {tool}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert_eq!(r.json()["error"]["kind"], "forbidden", "reader {tool}");
    }
    let put = http(
        a,
        "PUT",
        "/v1/files/scratch/put.md",
        &[("Authorization", &bearer(RO))],
        b"x",
    );
    assert_eq!(put.status, 403);
    assert_eq!(env.read_string("/scratch/a.md"), "a");
    assert!(
        !env.exists("/scratch/b.md")
            && !env.exists("/docs/new.md")
            && !env.exists("/scratch/put.md")
    );
    assert_eq!(
        call(a, RO, "ax_read", json!({"path": "/scratch/a.md"})).json()["content"],
        "a"
    );

    // A mount outside the scope does not exist, however it is asked for.
    let auth = bearer(RW);
    for path in [
        "/v1/files/context/secret.md",
        "/v1/files/scratch/../context/secret.md",
        "/v1/files/scratch/%2e%2e/context/secret.md",
        "/v1/files/scratch/%2E%2E/%2E%2E/etc/passwd",
        "/v1/files/%2fcontext/secret.md",
    ] {
        let r = http(a, "GET", path, &[("Authorization", &auth)], b"");
        assert!(matches!(r.status, 400 | 403 | 404), "{path}: {}", r.status);
        assert!(
            !String::from_utf8_lossy(&r.body).contains("hidden"),
            "{path}"
        );
    }
    for args in [
        json!({"path": "/context/secret.md"}),
        json!({"path": "/scratch/../context/secret.md"}),
    ] {
        let r = call(a, RW, "ax_read", args.clone());
        assert!(matches!(r.status, 403 | 404), "{args}: {}", r.status);
        assert!(!String::from_utf8_lossy(&r.body).contains("hidden"));
    }
    let r = call(
        a,
        RW,
        "ax_copy",
        json!({"src": "/context/secret.md", "dst": "/scratch/leak.md"}),
    );
    assert_eq!(r.status, 404);
    assert!(!env.exists("/scratch/leak.md"));

    // A browser page from another origin is refused, even with a valid token.
    let r = http(
        a,
        "GET",
        "/v1/tools",
        &[("Authorization", &auth), ("Origin", "http://evil.example")],
        b"",
    );
    assert_eq!(r.status, 403);
    // Errors carry a kind and a status that fits.
    assert_eq!(
        call(a, RW, "ax_read", json!({"path": "/scratch/none.md"})).status,
        404
    );
    assert_eq!(call(a, RW, "ax_nope", json!({})).status, 400);
    let bad = http(
        a,
        "POST",
        "/v1/tools/ax_read",
        &[("Authorization", &auth)],
        b"{not json",
    );
    assert_eq!(
        (bad.status, bad.json()["error"]["kind"].as_str()),
        (400, Some("usage"))
    );
    let stale = call(
        a,
        RW,
        "ax_write",
        json!({"path": "/scratch/a.md", "content": "z", "if_match": "0000"}),
    );
    assert_eq!(stale.status, 412);
    let big = vec![b' '; 5 << 20];
    assert_eq!(
        http(
            a,
            "POST",
            "/v1/tools/ax_read",
            &[("Authorization", &auth)],
            &big
        )
        .status,
        413
    );

    // The log names tokens, never secrets.
    std::thread::sleep(Duration::from_millis(200));
    let log = srv.log.lock().unwrap().join("\n");
    assert!(
        log.contains("\"token\":\"writer\"") && log.contains("\"token\":\"reader\""),
        "{log}"
    );
    assert!(
        !log.contains(RW) && !log.contains(RO),
        "a secret reached the log"
    );
}

#[test]
fn a_public_address_without_tokens_is_refused() {
    let env = TestEnv::new();
    let out = crate::common::Outcome::of(env.ax().args(["serve", "--listen", "0.0.0.0:0"]));
    let line = out.fails(2);
    assert!(line.contains("without tokens"), "{line}");
}

#[test]
fn files_stream_both_ways_with_ranges_and_preconditions_in_bounded_memory() {
    let env = TestEnv::with_config(&tokens_config());
    let srv = start(&env, &[]);
    let a = srv.addr.clone();
    let auth = bearer(RW);
    let size: u64 = 100 << 20;
    let pattern = |i: u64| (i.wrapping_mul(2654435761) >> 13) as u8;

    // PUT 100 MiB, streamed from a generator (never whole in the test either).
    let mut s = TcpStream::connect(&a).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    write!(
        s,
        "PUT /v1/files/scratch/big.bin HTTP/1.1\r\nHost: {a}\r\nAuthorization: {auth}\r\nConnection: close\r\nContent-Length: {size}\r\n\r\n"
    )
    .unwrap();
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    let mut chunk = vec![0u8; 1 << 20];
    for c in 0..(size >> 20) {
        for (j, b) in chunk.iter_mut().enumerate() {
            *b = pattern((c << 20) + j as u64);
        }
        h.update(&chunk);
        s.write_all(&chunk).unwrap();
    }
    let sent = h.digest128();
    let put = read_reply(&mut BufReader::new(s), &mut |b| b.to_vec());
    assert_eq!(put.status, 201, "{}", String::from_utf8_lossy(&put.body));
    let etag = put.json()["etag"].as_str().unwrap().to_string();
    assert_eq!(
        std::fs::metadata(env.host("/scratch/big.bin"))
            .unwrap()
            .len(),
        size
    );

    // GET it back, hashing as it arrives.
    let mut s = TcpStream::connect(&a).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    write!(s, "GET /v1/files/scratch/big.bin HTTP/1.1\r\nHost: {a}\r\nAuthorization: {auth}\r\nConnection: close\r\n\r\n").unwrap();
    let mut r = BufReader::with_capacity(1 << 20, s);
    let mut line = String::new();
    let mut headers = Vec::new();
    loop {
        line.clear();
        r.read_line(&mut line).unwrap();
        if line.trim_end().is_empty() {
            break;
        }
        headers.push(line.trim_end().to_ascii_lowercase());
    }
    assert!(headers[0].contains(" 200 "), "{headers:?}");
    assert!(
        headers
            .iter()
            .any(|h| h == &format!("content-length: {size}")),
        "{headers:?}"
    );
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    let mut got = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = r.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        got += n as u64;
        h.update(&buf[..n]);
    }
    assert_eq!((got, h.digest128()), (size, sent), "byte-exact round trip");

    // Ranges and preconditions.
    let part = http(
        &a,
        "GET",
        "/v1/files/scratch/big.bin",
        &[("Authorization", &auth), ("Range", "bytes=1000-1009")],
        b"",
    );
    assert_eq!(part.status, 206);
    assert_eq!(part.body, (1000..1010).map(pattern).collect::<Vec<u8>>());
    assert_eq!(
        part.headers["content-range"],
        format!("bytes 1000-1009/{size}")
    );
    let tail = http(
        &a,
        "GET",
        "/v1/files/scratch/big.bin",
        &[("Authorization", &auth), ("Range", "bytes=-3")],
        b"",
    );
    assert_eq!(
        tail.body,
        (size - 3..size).map(pattern).collect::<Vec<u8>>()
    );
    assert_eq!(
        http(
            &a,
            "GET",
            "/v1/files/scratch/big.bin",
            &[
                ("Authorization", &auth),
                ("Range", &format!("bytes={size}-"))
            ],
            b""
        )
        .status,
        416
    );
    let quoted = format!("\"{etag}\"");
    assert_eq!(part.headers["etag"], quoted);
    let stale = http(
        &a,
        "PUT",
        "/v1/files/scratch/big.bin",
        &[("Authorization", &auth), ("If-Match", "\"0000\"")],
        b"new",
    );
    assert_eq!(stale.status, 412);
    let exists = http(
        &a,
        "PUT",
        "/v1/files/scratch/big.bin",
        &[("Authorization", &auth), ("If-None-Match", "*")],
        b"new",
    );
    assert_eq!(exists.status, 412);
    assert_eq!(
        std::fs::metadata(env.host("/scratch/big.bin"))
            .unwrap()
            .len(),
        size,
        "refused writes change nothing"
    );
    let ok = http(
        &a,
        "PUT",
        "/v1/files/scratch/big.bin",
        &[("Authorization", &auth), ("If-Match", &quoted)],
        b"new",
    );
    assert_eq!(ok.status, 200);
    assert_eq!(env.read_string("/scratch/big.bin"), "new");

    // The server never held the file: peak RSS stays far below its size.
    let status = std::fs::read_to_string(format!("/proc/{}/status", srv.child.id())).unwrap();
    let hwm_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap();
    assert!(
        hwm_kib < 64 * 1024,
        "server peak RSS {hwm_kib} KiB after 2 × 100 MiB"
    );
}

#[test]
fn sigterm_during_twenty_writers_leaves_every_file_old_or_new() {
    let env = TestEnv::with_config(&tokens_config());
    let old = vec![b'o'; 256 << 10];
    let new = vec![b'n'; 256 << 10];
    for i in 0..20 {
        env.write(&format!("/scratch/w{i}.bin"), &old);
    }
    let srv = start(&env, &[]);
    let a = srv.addr.clone();
    let started = Instant::now();
    let writers: Vec<_> = (0..20)
        .map(|i| {
            let (a, new) = (a.clone(), new.clone());
            std::thread::spawn(move || {
                // Slow uploads: some finish before the signal, some are cut short.
                let Ok(mut s) = TcpStream::connect(&a) else { return };
                let head = format!(
                    "PUT /v1/files/scratch/w{i}.bin HTTP/1.1\r\nHost: {a}\r\nAuthorization: Bearer {RW}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
                    new.len()
                );
                if s.write_all(head.as_bytes()).is_err() {
                    return;
                }
                for piece in new.chunks(16 << 10) {
                    if s.write_all(piece).is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(if i % 2 == 0 { 1 } else { 40 }));
                }
                let mut sink = Vec::new();
                let _ = s.read_to_end(&mut sink);
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let pid = srv.child.id() as i32;
    // SAFETY-free: `kill` through the shell's utility, by the PID we started.
    std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    let mut srv = srv;
    let exit = srv.child.wait().unwrap();
    assert!(exit.success(), "a graceful stop exits 0: {exit:?}");
    assert!(started.elapsed() < Duration::from_secs(30));
    for w in writers {
        let _ = w.join();
    }
    let (mut olds, mut news) = (0, 0);
    for i in 0..20 {
        let got = env.read(&format!("/scratch/w{i}.bin"));
        if got == old {
            olds += 1;
        } else if got == new {
            news += 1;
        } else {
            panic!("w{i}.bin is torn: {} bytes", got.len());
        }
    }
    assert_eq!(olds + news, 20);
    let leftovers: Vec<_> = std::fs::read_dir(env.host("/scratch"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| !n.starts_with('w'))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
}

#[test]
fn metrics_count_the_calls_made() {
    let env = TestEnv::with_config(&tokens_config());
    let srv = start(&env, &[]);
    let a = srv.addr.as_str();
    for i in 0..7 {
        assert_eq!(
            call(
                a,
                RW,
                "ax_write",
                json!({"path": format!("/scratch/m{i}.md"), "content": "x"})
            )
            .status,
            200
        );
    }
    for _ in 0..3 {
        assert_eq!(
            call(
                a,
                RO,
                "ax_write",
                json!({"path": "/scratch/x.md", "content": "x"})
            )
            .status,
            403
        );
    }
    assert_eq!(
        http(
            a,
            "GET",
            "/v1/files/scratch/m0.md",
            &[("Authorization", &bearer(RO))],
            b""
        )
        .status,
        200
    );
    let m = http(a, "GET", "/metrics", &[("Authorization", &bearer(RW))], b"");
    let text = String::from_utf8(m.body).unwrap();
    assert!(
        text.contains("ax_requests_total{token=\"writer\",tool=\"ax_write\",status=\"200\"} 7"),
        "{text}"
    );
    assert!(
        text.contains("ax_requests_total{token=\"reader\",tool=\"ax_write\",status=\"403\"} 3"),
        "{text}"
    );
    assert!(
        text.contains("ax_request_duration_seconds_count{tool=\"ax_write\"} 10"),
        "{text}"
    );
    assert!(text.contains("ax_file_bytes_read_total 1"), "{text}");
}
