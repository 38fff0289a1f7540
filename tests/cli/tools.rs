//! `ax tools`: one snapshot per format for the example config, the README's copy kept
//! current, and the no-config case.

use std::path::{Path, PathBuf};
use std::process::Command;

fn ax() -> Command {
    let mut c = Command::new(crate::common::ax_bin());
    c.env_clear().env("PATH", "/usr/bin:/bin");
    c
}

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
fn readme_shows_the_current_mcp_tools_for_the_example_config() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let start = "<!-- tools-mcp:start -->\n```json\n";
    let end = "```\n<!-- tools-mcp:end -->";
    let (Some(a), Some(b)) = (readme.find(start), readme.find(end)) else {
        panic!("README.md lacks the tools-mcp block");
    };
    let shown = &readme[a + start.len()..b];
    let current = tools(&repo().join("ax.yaml.example"), "mcp");
    assert!(
        shown == current,
        "README.md's `ax tools --format mcp` output is stale; regenerate it with \
         `ax --config ax.yaml.example tools --format mcp` and paste it between the tools-mcp markers"
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
