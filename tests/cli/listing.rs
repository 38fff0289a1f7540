//! Listing commands: `ls`, `tree`, `stat`, `find`.

use serde_json::Value;

use crate::common::{TestEnv, assert_has_keys, assert_keys};

/// A small tree in /scratch: a.txt, notes.md, sub/b.md, sub/deeper/c.txt.
fn with_tree() -> TestEnv {
    let env = TestEnv::new();
    env.write("/scratch/a.txt", "aaa");
    env.write("/scratch/notes.md", "notes\n");
    env.write("/scratch/sub/b.md", "b\n");
    env.write("/scratch/sub/deeper/c.txt", "c\n");
    env
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

// ---- ls -------------------------------------------------------------------------------------

#[test]
fn ls_root_lists_the_mount_points() {
    let env = TestEnv::new();
    assert_eq!(
        env.ok(&["ls", "/"]),
        "archive/\ncontext/\ndocs/\nscratch/\n"
    );
    assert_eq!(
        env.ok(&["ls"]),
        "archive/\ncontext/\ndocs/\nscratch/\n",
        "default is /"
    );
}

#[test]
fn ls_lists_one_name_per_line_with_a_slash_on_directories() {
    let env = with_tree();
    assert_eq!(env.ok(&["ls", "/scratch"]), "a.txt\nnotes.md\nsub/\n");
    assert_eq!(env.ok(&["ls", "/scratch/sub"]), "b.md\ndeeper/\n");
    assert_eq!(env.ok(&["ls", "/docs"]), "guide/\nreadme.md\n");
}

#[test]
fn ls_of_an_empty_writable_mount_is_empty() {
    let env = TestEnv::new();
    let out = env.run(&["ls", "/context"]);
    out.success();
    assert!(out.stdout.is_empty(), "{}", out.stdout_text());
}

#[test]
fn ls_long_shows_sizes() {
    let env = with_tree();
    let out = env.ok(&["ls", "-l", "/scratch"]);
    let a = out
        .lines()
        .find(|l| l.ends_with("a.txt"))
        .unwrap_or_else(|| panic!("no a.txt line in {out}"));
    assert!(a.split_whitespace().any(|w| w == "3"), "size 3 in {a:?}");
    assert!(out.lines().any(|l| l.ends_with("sub/")), "{out}");
}

#[test]
fn ls_json_is_the_tools_list_of_entries() {
    let env = with_tree();
    let v = env.run(&["ls", "/scratch", "--json"]).success().json();
    let arr = v["entries"].as_array().expect("{entries: [...]}");
    assert_eq!(arr.len(), 3, "{v}");
    for e in arr {
        assert_has_keys(e, &["path", "name", "kind", "size", "modified", "tier"]);
    }
    let by_name = |n: &str| -> &Value {
        arr.iter()
            .find(|e| e["name"] == n)
            .unwrap_or_else(|| panic!("no {n} in {v}"))
    };
    assert_eq!(by_name("a.txt")["path"], "/scratch/a.txt");
    assert_eq!(by_name("a.txt")["kind"], "file");
    assert_eq!(by_name("a.txt")["size"], 3);
    assert_eq!(by_name("sub")["kind"], "dir");
    assert_eq!(by_name("sub")["path"], "/scratch/sub");
}

#[test]
fn ls_json_of_the_root_lists_mounts_as_directories() {
    let env = TestEnv::new();
    let v = env.run(&["--json", "ls", "/"]).success().json();
    let mut names: Vec<&str> = v["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            assert_eq!(e["kind"], "dir", "{e}");
            e["name"].as_str().unwrap()
        })
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["archive", "context", "docs", "scratch"]);
}

#[test]
fn ls_hides_temp_files() {
    let env = with_tree();
    env.write("/scratch/.ax-tmp-leftover", "partial");
    env.write("/scratch/sub/.ax-tmp-123", "partial");
    assert_eq!(env.ok(&["ls", "/scratch"]), "a.txt\nnotes.md\nsub/\n");
    assert_eq!(env.ok(&["ls", "/scratch/sub"]), "b.md\ndeeper/\n");
    let found = env.ok(&["find", "/scratch"]);
    assert!(!found.contains(".ax-tmp"), "{found}");
}

#[test]
fn ls_of_a_file_lists_that_file() {
    let env = with_tree();
    assert_eq!(env.ok(&["ls", "/scratch/a.txt"]), "a.txt\n");
}

#[test]
fn ls_of_a_missing_path_fails_with_exit_1() {
    let env = TestEnv::new();
    env.run(&["ls", "/scratch/missing"])
        .fails_at(1, "/scratch/missing");
    env.run(&["ls", "/nomount"]).fails(1);
}

#[test]
fn ls_json_reports_a_symlink_leading_outside_as_a_symlink() {
    let env = with_tree();
    let outside = env.root().join("outside.txt");
    std::fs::write(&outside, "outside").unwrap();
    std::os::unix::fs::symlink(&outside, env.host("/scratch/link")).unwrap();
    let v = env.run(&["ls", "--json", "/scratch"]).success().json();
    let link = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "link")
        .unwrap_or_else(|| panic!("no link in {v}"));
    assert_eq!(link["kind"], "symlink", "{link}");
}

// ---- tree -----------------------------------------------------------------------------------

#[test]
fn tree_shows_every_entry_below_the_path() {
    let env = with_tree();
    let out = env.ok(&["tree", "/scratch"]);
    for name in ["a.txt", "notes.md", "sub/", "b.md", "deeper/", "c.txt"] {
        assert!(out.contains(name), "{name} missing in\n{out}");
    }
    assert!(out.lines().next().unwrap().contains("/scratch"), "{out}");
}

#[test]
fn tree_depth_limits_the_levels() {
    let env = with_tree();
    let out = env.ok(&["tree", "/scratch", "-L", "1"]);
    assert!(out.contains("a.txt") && out.contains("sub/"), "{out}");
    assert!(!out.contains("b.md") && !out.contains("c.txt"), "{out}");
    let out = env.ok(&["tree", "/scratch", "-L", "2"]);
    assert!(out.contains("b.md") && out.contains("deeper/"), "{out}");
    assert!(!out.contains("c.txt"), "{out}");
}

#[test]
fn tree_of_the_root_shows_the_mounts() {
    let env = TestEnv::new();
    let out = env.ok(&["tree", "/"]);
    for m in [
        "archive/",
        "context/",
        "docs/",
        "scratch/",
        "readme.md",
        "intro.md",
    ] {
        assert!(out.contains(m), "{m} missing in\n{out}");
    }
}

#[test]
fn tree_of_a_missing_path_fails_with_exit_1() {
    let env = TestEnv::new();
    env.run(&["tree", "/scratch/missing"])
        .fails_at(1, "/scratch/missing");
}

// ---- stat -----------------------------------------------------------------------------------

#[test]
fn stat_prints_key_value_lines_with_an_etag() {
    let env = with_tree();
    let out = env.ok(&["stat", "/scratch/a.txt"]);
    let ls = lines(&out);
    for l in &ls {
        assert!(l.contains(": "), "not a `key: value` line: {l:?}\n{out}");
    }
    assert!(ls.contains(&"path: /scratch/a.txt"), "{out}");
    assert!(ls.contains(&"kind: file"), "{out}");
    assert!(ls.contains(&"size: 3"), "{out}");
    let etag = ls
        .iter()
        .find_map(|l| l.strip_prefix("etag: "))
        .unwrap_or_else(|| panic!("no etag line in {out}"));
    assert_eq!(etag, env.etag("/scratch/a.txt"));
}

#[test]
fn stat_json_reports_kind_size_mount_tier_and_etag() {
    let env = with_tree();
    let v = env
        .run(&["stat", "--json", "/scratch/a.txt"])
        .success()
        .json();
    assert_keys(
        &v,
        &[
            "path",
            "kind",
            "size",
            "modified",
            "mount",
            "tier",
            "read_only",
            "etag",
            "cached",
        ],
    );
    assert_eq!(
        v["cached"],
        serde_json::Value::Null,
        "local mounts have no read cache"
    );
    assert_eq!(v["path"], "/scratch/a.txt");
    assert_eq!(v["kind"], "file");
    assert_eq!(v["size"], 3);
    assert_eq!(v["mount"], "/scratch");
    assert_eq!(v["tier"], "hot");
    assert_eq!(v["read_only"], false);
    assert!(v["modified"].is_string(), "{v}");
    assert!(!v["etag"].as_str().expect("etag string").is_empty());
}

#[test]
fn stat_reports_the_mount_of_read_only_and_cold_paths() {
    let env = TestEnv::new();
    let v = env
        .run(&["stat", "--json", "/docs/readme.md"])
        .success()
        .json();
    assert_eq!(v["mount"], "/docs");
    assert_eq!(v["tier"], "warm");
    assert_eq!(v["read_only"], true);
    env.write("/archive/x.bin", "x");
    let v = env
        .run(&["stat", "--json", "/archive/x.bin"])
        .success()
        .json();
    assert_eq!(v["mount"], "/archive");
    assert_eq!(v["tier"], "cold");
}

#[test]
fn stat_of_a_directory_says_dir() {
    let env = with_tree();
    let v = env
        .run(&["stat", "--json", "/scratch/sub"])
        .success()
        .json();
    assert_eq!(v["kind"], "dir");
}

#[test]
fn stat_etag_changes_when_the_content_changes() {
    let env = TestEnv::new();
    env.ok(&["write", "/scratch/f", "one"]);
    let a = env.etag("/scratch/f");
    assert_eq!(a, env.etag("/scratch/f"), "stable while unchanged");
    env.ok(&["write", "/scratch/f", "two"]);
    assert_ne!(a, env.etag("/scratch/f"));
}

#[test]
fn stat_of_a_missing_path_fails_with_exit_1() {
    let env = TestEnv::new();
    env.run(&["stat", "/scratch/missing"])
        .fails_at(1, "/scratch/missing");
}

// ---- find -----------------------------------------------------------------------------------

fn sorted_lines(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text.lines().map(str::to_string).collect();
    v.sort();
    v
}

#[test]
fn find_by_name_prints_virtual_paths() {
    let env = with_tree();
    assert_eq!(
        sorted_lines(&env.ok(&["find", "/scratch", "--name", "*.md"])),
        ["/scratch/notes.md", "/scratch/sub/b.md"]
    );
}

#[test]
fn find_type_selects_files_or_directories() {
    let env = with_tree();
    assert_eq!(
        sorted_lines(&env.ok(&["find", "/scratch", "--type", "d"])),
        ["/scratch/sub", "/scratch/sub/deeper"]
    );
    assert_eq!(
        sorted_lines(&env.ok(&["find", "/scratch", "--type", "f"])),
        [
            "/scratch/a.txt",
            "/scratch/notes.md",
            "/scratch/sub/b.md",
            "/scratch/sub/deeper/c.txt"
        ]
    );
}

#[test]
fn the_find_tool_keeps_one_kind_by_the_same_rule() {
    let env = with_tree();
    let found = |args: &str| -> Vec<String> {
        let v = env
            .run(&["--json", "call", "ax_find", args])
            .success()
            .json();
        let mut paths: Vec<String> = v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["path"].as_str().unwrap().to_string())
            .collect();
        paths.sort();
        paths
    };
    assert_eq!(
        found(r#"{"name": "*", "path": "/scratch", "kind": "dir"}"#),
        ["/scratch/sub", "/scratch/sub/deeper"]
    );
    assert_eq!(
        found(r#"{"name": "*.md", "path": "/scratch", "kind": "file"}"#),
        ["/scratch/notes.md", "/scratch/sub/b.md"]
    );
    // the CLI's long spelling works too
    assert_eq!(
        sorted_lines(&env.ok(&["find", "/scratch", "--type", "dir"])),
        ["/scratch/sub", "/scratch/sub/deeper"]
    );
}

#[test]
fn find_defaults_to_every_mount() {
    let env = with_tree();
    env.write("/archive/old.md", "old");
    let all = sorted_lines(&env.ok(&["find", "--name", "*.md"]));
    assert_eq!(
        all,
        [
            "/archive/old.md",
            "/docs/guide/intro.md",
            "/docs/readme.md",
            "/scratch/notes.md",
            "/scratch/sub/b.md"
        ]
    );
}

#[test]
fn find_json_is_json_lines() {
    let env = with_tree();
    let rows = env
        .run(&["find", "/scratch/sub", "--json"])
        .success()
        .json_lines();
    assert_eq!(rows.len(), 3, "{rows:?}");
    for r in &rows {
        assert_keys(r, &["path", "kind", "size"]);
    }
    let b = rows
        .iter()
        .find(|r| r["path"] == "/scratch/sub/b.md")
        .unwrap();
    assert_eq!(b["kind"], "file");
    assert_eq!(b["size"], 2);
    let d = rows
        .iter()
        .find(|r| r["path"] == "/scratch/sub/deeper")
        .unwrap();
    assert_eq!(d["kind"], "dir");
}

#[test]
fn find_of_a_missing_path_fails_with_exit_1() {
    let env = TestEnv::new();
    env.run(&["find", "/scratch/missing"])
        .fails_at(1, "/scratch/missing");
}
