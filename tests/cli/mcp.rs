//! `ax mcp` driven by a real MCP client: rmcp's own (the official Rust SDK).
//! The Python SDK client test lives in tests/mcp_client.py and runs from scripts/test.sh.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult, ContentBlock};
use rmcp::transport::{ConfigureCommandExt, TokioChildProcess};
use serde_json::{Value, json};

use crate::common::{TestEnv, ax_bin};

const CONFIG: &str = "\
mounts:
  - path: /scratch
    tier: hot
    root: ./data/scratch
    description: temporary files
    exec: true
  - path: /docs
    tier: warm
    root: ./data/docs
    read_only: true
    description: reference documentation
  - path: /archive
    tier: cold
    url: file://./data/archive
";

/// The suite's one harness, with this module's config and the `/docs` guide on disk.
fn mcp_env() -> TestEnv {
    let env = TestEnv::with_config(CONFIG);
    std::fs::create_dir_all(env.root().join("data/docs")).unwrap();
    std::fs::write(
        env.root().join("data/docs/guide.md"),
        "# Guide\nretry with backoff\n",
    )
    .unwrap();
    env
}

fn ax_tools_mcp(env: &TestEnv) -> Value {
    let out = Command::new(ax_bin())
        .args(["--config"])
        .arg(env.config_path())
        .args(["tools", "--format", "mcp"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn args(v: Value) -> serde_json::Map<String, Value> {
    v.as_object().unwrap().clone()
}

fn text(r: &CallToolResult) -> String {
    r.content
        .iter()
        .filter_map(|c| match c {
            ContentBlock::Text(t) => Some(t.text.clone()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "current_thread")]
async fn rmcp_client_lists_and_calls_every_tool() {
    let env = mcp_env();
    let cfg = env.config_path();
    let root = env.root().to_path_buf();
    let transport = TokioChildProcess::new(tokio::process::Command::new(ax_bin()).configure(|c| {
        c.arg("--config")
            .arg(&cfg)
            .arg("mcp")
            .current_dir(&root)
            .env_clear()
            .env("PATH", "/usr/bin:/bin");
    }))
    .unwrap();
    let client = ().serve(transport).await.expect("initialize");
    let info = client.peer_info().expect("server info");
    assert_eq!(
        info.server_info.as_ref().map(|s| s.name.as_str()),
        Some("ax")
    );

    // tools/list is exactly `ax tools --format mcp`.
    let tools = client.list_all_tools().await.unwrap();
    let listed = serde_json::to_value(&tools).unwrap();
    assert_eq!(
        listed,
        ax_tools_mcp(&env),
        "tools/list differs from `ax tools --format mcp`"
    );

    let call = |name: &'static str, a: Value| {
        let client = &client;
        async move {
            client
                .call_tool(CallToolRequestParams::new(name).with_arguments(args(a)))
                .await
                .unwrap()
        }
    };
    let ok = |r: &CallToolResult| {
        assert_ne!(r.is_error, Some(true), "unexpected error: {}", text(r));
    };

    let r = call(
        "ax_write",
        json!({"path": "/scratch/plan.md", "content": "step one\nstep two\n"}),
    )
    .await;
    ok(&r);
    let etag = r.structured_content.as_ref().unwrap()["etag"]
        .as_str()
        .unwrap()
        .to_string();
    ok(&call(
        "ax_append",
        json!({"path": "/scratch/plan.md", "content": "step three"}),
    )
    .await);
    let r = call(
        "ax_read",
        json!({"path": "/scratch/plan.md", "offset": 2, "limit": 1}),
    )
    .await;
    ok(&r);
    assert!(
        text(&r).contains("[/scratch/plan.md: lines 2-2 of 3]"),
        "{}",
        text(&r)
    );
    assert_eq!(
        r.structured_content.as_ref().unwrap()["content"],
        "step two\n"
    );
    // The ETag from before the append is stale now: a conditional edit must fail.
    let r = call(
        "ax_edit",
        json!({"path": "/scratch/plan.md", "old": "one", "new": "1", "if_match": etag}),
    )
    .await;
    assert_eq!(r.is_error, Some(true));
    assert!(
        text(&r).contains("changed since you read it"),
        "{}",
        text(&r)
    );
    ok(&call(
        "ax_edit",
        json!({"path": "/scratch/plan.md", "old": "one", "new": "1"}),
    )
    .await);
    let r = call("ax_stat", json!({"path": "/scratch/plan.md"})).await;
    ok(&r);
    assert_eq!(r.structured_content.as_ref().unwrap()["tier"], "hot");
    let r = call("ax_list", json!({"path": "/"})).await;
    ok(&r);
    assert!(text(&r).contains("scratch/"), "{}", text(&r));
    let r = call("ax_find", json!({"name": "*.md"})).await;
    ok(&r);
    assert!(
        text(&r).contains("/docs/guide.md") && text(&r).contains("/scratch/plan.md"),
        "{}",
        text(&r)
    );
    let r = call(
        "ax_search",
        json!({"query": "retry backoff", "mode": "keyword"}),
    )
    .await;
    ok(&r);
    let results = &r.structured_content.as_ref().unwrap()["results"];
    assert_eq!(results[0]["path"], "/docs/guide.md", "{}", text(&r));
    let r = call("ax_grep", json!({"pattern": "backoff"})).await;
    ok(&r);
    assert!(
        text(&r).contains("/docs/guide.md:2:retry with backoff"),
        "{}",
        text(&r)
    );
    ok(&call(
        "ax_copy",
        json!({"src": "/scratch/plan.md", "dst": "/archive/plan.md"}),
    )
    .await);
    ok(&call(
        "ax_move",
        json!({"src": "/scratch/plan.md", "dst": "/archive/old/plan.md"}),
    )
    .await);
    assert_eq!(
        std::fs::read_to_string(env.root().join("data/archive/old/plan.md")).unwrap(),
        "step 1\nstep two\nstep three\n"
    );
    assert!(!env.root().join("data/scratch/plan.md").exists());
    ok(&call("ax_delete", json!({"path": "/archive/plan.md"})).await);
    assert!(!env.root().join("data/archive/plan.md").exists());
    // A command's result, failing status included, is a result, not an error.
    let r = call(
        "ax_exec",
        json!({"command": "ls; echo oops >&2; exit 5", "cwd": "/scratch"}),
    )
    .await;
    ok(&r);
    let sc = r.structured_content.as_ref().unwrap();
    assert_eq!(sc["exit_code"], 5, "{sc}");
    assert_eq!(sc["stderr"], "oops\n");
    assert_eq!(sc["cwd"], "/scratch");
    assert!(text(&r).starts_with("exit code 5 after "), "{}", text(&r));
    let r = call("ax_mounts", json!({})).await;
    ok(&r);
    assert!(
        text(&r).contains("/docs — warm tier, read-only"),
        "{}",
        text(&r)
    );

    // Failures are isError results with the CLI's one-line message; the server survives.
    let r = call("ax_read", json!({})).await;
    assert_eq!(r.is_error, Some(true));
    assert!(
        text(&r).contains("invalid arguments for ax_read"),
        "{}",
        text(&r)
    );
    let r = call("ax_read", json!({"path": "/scratch/../../etc/passwd"})).await;
    assert_eq!(r.is_error, Some(true));
    assert!(
        text(&r).starts_with("ax: /scratch/../../etc/passwd:"),
        "{}",
        text(&r)
    );
    let r = call("ax_write", json!({"path": "/docs/new.md", "content": "x"})).await;
    assert_eq!(r.is_error, Some(true));
    assert!(
        text(&r).contains("mount /docs is read-only"),
        "{}",
        text(&r)
    );
    assert!(!env.root().join("data/docs/new.md").exists());
    assert!(
        !text(&r).contains("ax mounts"),
        "advice names tools, not CLI commands: {}",
        text(&r)
    );
    // Deleting a folder needs `recursive`: the advice names the argument, not `-r`.
    ok(&call(
        "ax_write",
        json!({"path": "/scratch/dir/a.md", "content": "x"}),
    )
    .await);
    let r = call("ax_delete", json!({"path": "/scratch/dir"})).await;
    assert_eq!(r.is_error, Some(true));
    assert!(
        text(&r).contains("recursive: true") && !text(&r).contains("-r"),
        "{}",
        text(&r)
    );
    ok(&call(
        "ax_delete",
        json!({"path": "/scratch/dir", "recursive": true}),
    )
    .await);
    assert!(!env.root().join("data/scratch/dir").exists());
    // A tool that does not exist is a protocol error, not a crash.
    assert!(
        client
            .call_tool(CallToolRequestParams::new("ax_nope"))
            .await
            .is_err()
    );
    // Still answering.
    assert_eq!(client.list_all_tools().await.unwrap().len(), tools.len());
    client.cancel().await.unwrap();
}

#[test]
fn mcp_server_exits_cleanly_when_stdin_closes() {
    let env = mcp_env();
    let mut child = Command::new(ax_bin())
        .arg("--config")
        .arg(env.config_path())
        .arg("mcp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{init}").unwrap();
    drop(stdin);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            assert!(
                status.success(),
                "exit {status}; stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let first: Value =
                serde_json::from_slice(out.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
            assert_eq!(first["result"]["serverInfo"]["name"], "ax");
            return;
        }
        assert!(
            Instant::now() < deadline,
            "ax mcp did not exit after stdin closed"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
