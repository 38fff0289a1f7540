//! Token scopes (`serve.tokens` in ax.yaml), enforced in the library's call path: a Vfs
//! restricted to one token sees only its mounts, may change only where its scope says `w`,
//! and runs commands only where it says `x` — through the direct API and the catalogue alike
//! (what `ax serve` dispatches through). `ax token new` prints an entry that loads.

use std::io::Read;

use ax::backend::{RemoveOptions, StatOptions, WriteOptions};
use ax::catalogue;
use ax::config::{Config, secret_digest};
use ax::error::ErrorKind;
use ax::vfs::Vfs;
use serde_json::json;
use tempfile::TempDir;

use crate::common::{Outcome, TestEnv};

struct Env {
    full: Vfs,
    ci: Vfs,
    tmp: TempDir,
}

fn env() -> Env {
    let tmp = tempfile::Builder::new()
        .prefix("ax-scopes-")
        .tempdir()
        .expect("temp dir");
    let root = tmp.path();
    for d in ["scratch", "docs", "secret", "code"] {
        std::fs::create_dir_all(root.join(d)).expect("mount dir");
    }
    std::fs::write(root.join("docs/guide.md"), "# Guide\nretry with backoff\n").unwrap();
    std::fs::write(root.join("secret/plans.md"), "# Plans\nzanzibar backoff\n").unwrap();
    let yaml = format!(
        "\
state_dir: {root}/state
mounts:
  - path: /scratch
    tier: hot
    root: {root}/scratch
  - path: /docs
    tier: warm
    root: {root}/docs
  - path: /secret
    tier: warm
    root: {root}/secret
  - path: /code
    tier: hot
    root: {root}/code
    exec: true
search:
  embedder: none
serve:
  tokens:
    - name: ci-agent
      sha256: {ci}
      mounts: {{ /scratch: rw, /docs: r, /code: rw }}
    - name: runner
      sha256: {runner}
      mounts: {{ /code: rwx }}
",
        root = root.display(),
        ci = secret_digest("ci-secret"),
        runner = secret_digest("runner-secret"),
    );
    let cfg = Config::from_yaml(&yaml, "ax.yaml", root)
        .unwrap_or_else(|e| panic!("config rejected: {}", e.to_line()));
    let full = Vfs::new(cfg);
    let token = full
        .config()
        .serve
        .authenticate("ci-secret")
        .expect("the ci token")
        .clone();
    let ci = full.restricted(&token);
    Env { full, ci, tmp }
}

fn kind<T: std::fmt::Debug>(r: ax::error::Result<T>) -> (ErrorKind, String) {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => (e.kind(), e.to_line()),
    }
}

fn put(vfs: &Vfs, path: &str, text: &str) -> ax::error::Result<()> {
    vfs.write(path, &mut text.as_bytes(), &WriteOptions::default())
        .map(|_| ())
}

#[test]
fn a_token_sees_only_its_mounts() {
    let e = env();
    let names: Vec<String> =
        e.ci.list("/")
            .unwrap()
            .iter()
            .map(|x| x.path.to_string())
            .collect();
    assert_eq!(names, ["/code", "/docs", "/scratch"]);
    for p in ["/secret/plans.md", "/secret", "/scratch/../secret/plans.md"] {
        let (k, line) = kind(e.ci.stat(p, StatOptions::default()));
        assert!(
            matches!(k, ErrorKind::NotFound | ErrorKind::OutsideMount),
            "{p}: {k:?} {line}"
        );
        assert!(
            !line.contains("/secret,") && !line.contains(", /secret"),
            "{line}"
        );
        assert!(e.ci.open(p).is_err(), "{p}");
    }
    let (k, _) = kind(put(&e.ci, "/secret/new.md", "x"));
    assert_eq!(k, ErrorKind::NotFound);
    assert!(!e.tmp.path().join("secret/new.md").exists());
    let mounts = catalogue::call(&e.ci, "ax_mounts", json!({}))
        .unwrap()
        .structured;
    let listed: Vec<&str> = mounts["mounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["path"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["/code", "/docs", "/scratch"]);
    let tools = ax::tools::render_text(
        e.ci.config(),
        ax::tools::Format::Mcp,
        &Default::default(),
        false,
    )
    .unwrap();
    assert!(
        !tools.contains("/secret"),
        "tool descriptions name only the token's mounts"
    );
    // A walk, a find and a grep from / never enter the hidden mount.
    let found = catalogue::call(&e.ci, "ax_find", json!({"name": "*.md"}))
        .unwrap()
        .structured;
    assert!(!found.to_string().contains("/secret"), "{found}");
    let grep = catalogue::call(&e.ci, "ax_grep", json!({"pattern": "backoff"}))
        .unwrap()
        .structured;
    assert!(!grep.to_string().contains("/secret"), "{grep}");
    assert!(grep.to_string().contains("/docs/guide.md"), "{grep}");
}

#[test]
fn search_never_returns_a_hidden_mount_even_when_it_is_indexed() {
    let e = env();
    // The full view indexes both warm mounts first.
    let all = catalogue::call(
        &e.full,
        "ax_search",
        json!({"query": "backoff", "mode": "keyword"}),
    )
    .unwrap()
    .structured;
    assert!(all.to_string().contains("/secret/plans.md"), "{all}");
    let mine = catalogue::call(
        &e.ci,
        "ax_search",
        json!({"query": "backoff zanzibar", "mode": "keyword"}),
    )
    .unwrap()
    .structured;
    let paths: Vec<&str> = mine["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/docs/guide.md"]);
    let (k, _) = kind(catalogue::call(
        &e.ci,
        "ax_search",
        json!({"query": "x", "path": "/secret"}),
    ));
    assert_eq!(k, ErrorKind::NotFound);
}

#[test]
fn a_read_scope_refuses_every_change_and_changes_nothing() {
    let e = env();
    let guide = e.tmp.path().join("docs/guide.md");
    let before = std::fs::read(&guide).unwrap();
    let calls = [
        ("ax_write", json!({"path": "/docs/new.md", "content": "x"})),
        (
            "ax_write",
            json!({"path": "/docs/guide.md", "content": "x"}),
        ),
        (
            "ax_append",
            json!({"path": "/docs/guide.md", "content": "x"}),
        ),
        (
            "ax_edit",
            json!({"path": "/docs/guide.md", "old": "retry", "new": "x"}),
        ),
        ("ax_delete", json!({"path": "/docs/guide.md"})),
        (
            "ax_move",
            json!({"src": "/docs/guide.md", "dst": "/scratch/guide.md"}),
        ),
        ("ax_copy", json!({"src": "/scratch", "dst": "/docs/copied"})),
    ];
    std::fs::write(e.tmp.path().join("scratch/a.md"), "a").unwrap();
    for (tool, args) in calls {
        let (k, line) = kind(catalogue::call(&e.ci, tool, args.clone()));
        assert_eq!(k, ErrorKind::Forbidden, "{tool} {args}: {line}");
        assert!(line.contains("may only read /docs"), "{line}");
    }
    assert_eq!(std::fs::read(&guide).unwrap(), before);
    assert!(!e.tmp.path().join("docs/new.md").exists());
    assert!(!e.tmp.path().join("docs/copied").exists());
    assert!(e.tmp.path().join("scratch/a.md").exists());
    let (k, _) = kind(e.ci.remove("/docs/guide.md", RemoveOptions::default()));
    assert_eq!(k, ErrorKind::Forbidden);
    // Reading it is fine, and the mount shows as read-only to the token.
    let mut s = String::new();
    e.ci.open("/docs/guide.md")
        .unwrap()
        .1
        .read_to_string(&mut s)
        .unwrap();
    assert!(s.starts_with("# Guide"));
    assert!(
        e.ci.stat("/docs/guide.md", StatOptions::default())
            .unwrap()
            .read_only
    );
    // Where the scope says rw, changes go through.
    put(&e.ci, "/scratch/plan.md", "ok").unwrap();
    catalogue::call(
        &e.ci,
        "ax_copy",
        json!({"src": "/docs/guide.md", "dst": "/scratch/g.md"}),
    )
    .unwrap();
    assert!(e.tmp.path().join("scratch/g.md").exists());
}

#[test]
fn commands_run_only_where_the_scope_says_x() {
    let e = env();
    // The ci token has rw on /code (a mount with exec: true) but no x: no ax_exec for it.
    let (k, line) = kind(catalogue::call(
        &e.ci,
        "ax_exec",
        json!({"command": "true", "cwd": "/code"}),
    ));
    assert!(
        matches!(
            k,
            ErrorKind::Usage | ErrorKind::Forbidden | ErrorKind::Refused
        ),
        "{k:?} {line}"
    );
    let tools = ax::tools::render_text(
        e.ci.config(),
        ax::tools::Format::Mcp,
        &Default::default(),
        false,
    )
    .unwrap();
    assert!(
        !tools.contains("\"name\": \"ax_exec\""),
        "ax_exec is not offered to a token without x"
    );
    let runner = e
        .full
        .config()
        .serve
        .authenticate("runner-secret")
        .unwrap()
        .clone();
    let r = e.full.restricted(&runner);
    let tools = ax::tools::render_text(
        r.config(),
        ax::tools::Format::Mcp,
        &Default::default(),
        false,
    )
    .unwrap();
    assert!(
        tools.contains("\"name\": \"ax_exec\""),
        "offered where the scope says x"
    );
    assert_eq!(
        r.list("/")
            .unwrap()
            .iter()
            .map(|x| x.path.to_string())
            .collect::<Vec<_>>(),
        ["/code"]
    );
}

#[test]
fn token_scopes_are_checked_when_the_config_loads() {
    let sha = secret_digest("x");
    let cases = [
        (
            format!(
                "serve:\n  tokens:\n    - name: a\n      sha256: {sha}\n      mounts: {{ /nope: r }}\n"
            ),
            "/nope is not a declared mount point",
        ),
        (
            format!(
                "serve:\n  tokens:\n    - name: a\n      sha256: {sha}\n      mounts: {{ /scratch: rwx }}\n"
            ),
            "does not allow them",
        ),
        (
            "serve:\n  tokens:\n    - name: a\n      sha256: abc\n      mounts: {}\n".to_string(),
            "64 hex digits",
        ),
        (
            format!(
                "serve:\n  tokens:\n    - name: a\n      sha256: {sha}\n      mounts: {{ /scratch: w }}\n"
            ),
            "scope \"w\"",
        ),
        (
            format!(
                "serve:\n  tokens:\n    - name: a b\n      sha256: {sha}\n      mounts: {{}}\n"
            ),
            "token name",
        ),
        (
            format!(
                "serve:\n  tokens:\n    - name: a\n      sha256: {sha}\n      mounts: {{}}\n    - name: a\n      sha256: {}\n      mounts: {{}}\n",
                secret_digest("y")
            ),
            "used by another token",
        ),
    ];
    for (serve, want) in cases {
        let yaml = format!("mounts:\n  - path: /scratch\n    tier: hot\n    root: ./s\n{serve}");
        let env = TestEnv::with_config(&yaml);
        let line = env.run(&["mounts"]).fails(2);
        assert!(line.contains(want), "{want}: {line}");
        assert!(line.contains("ax.yaml:"), "names the file and line: {line}");
    }
}

#[test]
fn token_new_prints_a_secret_once_and_an_entry_that_loads() {
    let env = TestEnv::empty();
    let token = |args: &[&str]| Outcome::of(env.ax_without_config().arg("token").args(args));
    let out = token(&[
        "new",
        "ci-agent",
        "--mount",
        "/scratch:rw",
        "--mount",
        "/docs:r",
    ]);
    out.success();
    let text = out.stdout_text();
    let secret = text
        .lines()
        .find_map(|l| l.strip_prefix("secret: "))
        .unwrap_or_else(|| panic!("no secret line in {text}"))
        .trim()
        .to_string();
    assert!(secret.len() >= 40, "{secret}");
    assert!(
        text.contains(&secret_digest(&secret)),
        "the entry carries the digest"
    );
    let entry: String = text
        .lines()
        .skip_while(|l| !l.starts_with("serve:"))
        .map(|l| format!("{l}\n"))
        .collect();
    let yaml = format!(
        "mounts:\n  - path: /scratch\n    tier: hot\n    root: ./s\n  - path: /docs\n    tier: warm\n    root: ./d\n{entry}"
    );
    let cfg = Config::from_yaml(&yaml, "ax.yaml", env.root())
        .unwrap_or_else(|e| panic!("{}\n{yaml}", e.to_line()));
    let t = cfg
        .serve
        .authenticate(&secret)
        .expect("the new secret authenticates");
    assert_eq!(t.name, "ci-agent");
    let again = token(&["new", "ci-agent"]);
    assert!(
        !again.success().stdout_text().contains(&secret),
        "a fresh secret every time"
    );
    token(&["new", "x", "--mount", "/scratch:w"]).fails(2);
}
