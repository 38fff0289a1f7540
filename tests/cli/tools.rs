//! `ax tools`: one snapshot per format for the example config, `docs/tools-mcp.json` kept
//! current, and the no-config case.

use std::path::{Path, PathBuf};

use crate::common::bare_ax as ax;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tools(config: &Path, format: &str) -> String {
    let out = ax()
        .arg("--config")
        .arg(config)
        .args(["tools", "--format", format])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn tools_snapshots_for_the_example_config() {
    let example = repo().join("ax.yaml.example");
    for format in ["mcp", "openai", "openai-responses", "anthropic", "json"] {
        let text = tools(&example, format);
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(parsed.as_array().is_some_and(|a| !a.is_empty()), "{format}");
        insta::assert_snapshot!(format!("tools_{}", format.replace('-', "_")), text);
    }
}

#[test]
fn tools_output_is_deterministic_and_compact_on_request() {
    let example = repo().join("ax.yaml.example");
    assert_eq!(tools(&example, "mcp"), tools(&example, "mcp"));
    let out = ax()
        .arg("--config")
        .arg(&example)
        .args([
            "tools",
            "--format",
            "anthropic",
            "--compact",
            "--only",
            "read,grep",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 1);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ax_read", "ax_grep"]);
    let out = ax()
        .arg("--config")
        .arg(&example)
        .args(["tools", "--exclude", "raed"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "a typo in --exclude is a usage error"
    );
}

#[test]
fn docs_tools_mcp_json_is_the_current_listing_for_the_example_config() {
    let path = repo().join("docs/tools-mcp.json");
    let shown = std::fs::read_to_string(&path).unwrap();
    let current = tools(&repo().join("ax.yaml.example"), "mcp");
    assert!(
        shown == current,
        "docs/tools-mcp.json is stale; regenerate it with \
         `ax --config ax.yaml.example tools --format mcp > docs/tools-mcp.json`"
    );
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    assert!(
        readme.contains("(docs/tools-mcp.json)"),
        "the README links to it"
    );
}

#[test]
fn tools_work_without_a_config_and_touch_no_data() {
    let dir = tempfile::tempdir().unwrap();
    let out = ax()
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .args(["tools", "--format", "mcp"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = v
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "ax_list")
        .unwrap();
    assert!(
        list["description"]
            .as_str()
            .unwrap()
            .contains("/archive (cold tier")
    );
    assert!(
        !dir.path().join(".ax-data").exists(),
        "ax tools created data"
    );
}

/// `ax … --json` and the tool's structured result are one vocabulary: the same object for
/// the same request.
#[test]
fn cli_json_and_tool_results_are_the_same_object() {
    use serde_json::{Value, json};
    let env = crate::common::TestEnv::new();
    env.write("/scratch/notes/a.md", "# Retry\n\nretry with backoff\n");
    env.write("/scratch/notes/b.md", "other\n");
    // /docs is the warm (indexed, read-only) mount: written on the host
    std::fs::create_dir_all(env.root().join("data/docs")).unwrap();
    std::fs::write(
        env.root().join("data/docs/retry.md"),
        "# Retry\n\nretry with backoff\n",
    )
    .unwrap();
    let tool = |name: &str, args: Value| -> Value {
        env.run(&["--json", "call", name, &args.to_string()])
            .success()
            .json()
    };
    let cli = |args: &[&str]| -> Value {
        let mut full = vec!["--json"];
        full.extend_from_slice(args);
        env.run(&full).success().json()
    };
    let pairs = [
        (
            cli(&["stat", "/scratch/notes/a.md"]),
            tool("ax_stat", json!({"path": "/scratch/notes/a.md"})),
        ),
        (
            cli(&["cat", "/scratch/notes/a.md"]),
            tool("ax_read", json!({"path": "/scratch/notes/a.md"})),
        ),
        (
            cli(&["ls", "/scratch/notes"]),
            tool("ax_list", json!({"path": "/scratch/notes"})),
        ),
        (cli(&["mounts"]), tool("ax_mounts", json!({}))),
        (
            cli(&[
                "search",
                "retry backoff",
                "--mode",
                "keyword",
                "--path",
                "/docs",
            ]),
            tool(
                "ax_search",
                json!({"query": "retry backoff", "mode": "keyword", "path": "/docs"}),
            ),
        ),
    ];
    for (c, t) in &pairs {
        assert!(c.is_object(), "{c}");
        assert_eq!(c, t, "CLI --json and the tool differ");
    }
    assert!(
        pairs[0].0["modified"]
            .as_str()
            .is_some_and(|m| m.ends_with('Z'))
    );
    // copy and move: the same fields and values, but for the destination each was given
    let c = cli(&["cp", "/scratch/notes/b.md", "/scratch/c1.md"]);
    let t = tool(
        "ax_copy",
        json!({"src": "/scratch/notes/b.md", "dst": "/scratch/c2.md"}),
    );
    let m = cli(&["mv", "/scratch/c1.md", "/scratch/m1.md"]);
    let n = tool(
        "ax_move",
        json!({"src": "/scratch/c2.md", "dst": "/scratch/m2.md"}),
    );
    for (mut a, mut b) in [(c, t), (m, n)] {
        for v in [&mut a, &mut b] {
            let o = v.as_object_mut().unwrap();
            assert!(o.remove("to").is_some() && o.contains_key("renamed"), "{v}");
            o.remove("from");
        }
        assert_eq!(a, b);
    }
}
