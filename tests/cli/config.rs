//! Configuration: discovery, errors with their line, env expansion, the embedded default,
//! `init`, `mounts` and `config check`.

use std::fs;

use crate::common::{DEFAULT_CONFIG, TestEnv, assert_has_keys};

/// The line number that follows `ax.yaml:` in `text`, if any.
fn config_line(text: &str) -> Option<u32> {
    let at = text.find("ax.yaml:")? + "ax.yaml:".len();
    let digits: String = text[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

// ---- config check ---------------------------------------------------------------------------

#[test]
fn config_check_accepts_a_valid_config() {
    let env = TestEnv::new();
    let out = env.run(&["config", "check"]);
    out.success();
    assert!(out.stdout_text().contains("ok"), "{}", out.stdout_text());
}

#[test]
fn config_check_touches_no_data() {
    let env = TestEnv::with_config(DEFAULT_CONFIG);
    fs::create_dir_all(env.root().join("data/docs")).unwrap();
    let data = env.root().join("data");
    let before = crate::common::host_tree(&data);
    env.run(&["config", "check"]).success();
    assert_eq!(
        crate::common::host_tree(&data),
        before,
        "no mount root was created"
    );
}

#[test]
fn malformed_config_is_reported_with_its_line_number() {
    let env = TestEnv::with_config(
        "mounts:\n  - path: /scratch\n    tyer: hot\n    root: ./data/scratch\n",
    );
    let line = env.run(&["config", "check"]).fails(2);
    let n = config_line(&line).unwrap_or_else(|| panic!("no ax.yaml:LINE in {line:?}"));
    assert!(
        (2..=4).contains(&n),
        "line {n} should point at `tyer:` (line 3): {line}"
    );
    assert!(line.contains("tyer"), "names the unknown key: {line}");
    assert!(line.contains("tier"), "names the valid keys: {line}");
}

#[test]
fn yaml_syntax_error_is_reported_with_its_line_number() {
    let env = TestEnv::with_config(
        "mounts:\n  - path: /scratch\n    tier: hot\n    root: [./data/scratch\n  - path: /context\n",
    );
    let line = env.run(&["config", "check"]).fails(2);
    assert!(config_line(&line).is_some(), "no ax.yaml:LINE in {line:?}");
}

#[test]
fn malformed_config_fails_every_command_with_exit_2() {
    let env =
        TestEnv::with_config("mounts:\n  - path: /scratch\n    tier: lukewarm\n    root: ./x\n");
    let line = env.run(&["write", "/scratch/a", "x"]).fails(2);
    assert_eq!(config_line(&line), Some(3), "{line}");
    assert!(line.contains("hot"), "names the valid tiers: {line}");
    env.run(&["ls", "/"]).fails(2);
    assert!(!env.root().join("x").exists(), "nothing was attempted");
}

#[test]
fn missing_env_var_is_a_config_error_naming_it() {
    let env = TestEnv::with_config(
        "mounts:\n  - path: /scratch\n    tier: hot\n    root: ${NOPE}/scratch\n",
    );
    let line = env.run(&["config", "check"]).fails(2);
    assert!(line.contains("NOPE"), "{line}");
    env.run(&["write", "/scratch/a", "x"]).fails(2);
}

#[test]
fn env_vars_and_defaults_are_expanded() {
    let env = TestEnv::with_config(
        "mounts:\n  - path: /scratch\n    tier: hot\n    root: ${AX_TEST_DATA}/s\n  - path: /context\n    tier: hot\n    root: ${AX_TEST_UNSET:-./fallback}/c\n",
    );
    env.ax()
        .env("AX_TEST_DATA", env.root().join("from-env"))
        .args(["write", "/scratch/a.txt", "via env"])
        .assert()
        .success();
    assert_eq!(
        fs::read(env.root().join("from-env/s/a.txt")).unwrap(),
        b"via env"
    );
    env.ax()
        .env("AX_TEST_DATA", env.root().join("from-env"))
        .args(["write", "/context/b.txt", "via default"])
        .assert()
        .success();
    assert_eq!(
        fs::read(env.root().join("fallback/c/b.txt")).unwrap(),
        b"via default"
    );
}

#[test]
fn duplicate_mount_points_are_a_config_error() {
    let env = TestEnv::with_config(
        "mounts:\n  - path: /scratch\n    tier: hot\n    root: ./a\n  - path: /scratch\n    tier: hot\n    root: ./b\n",
    );
    let line = env.run(&["config", "check"]).fails(2);
    assert_eq!(config_line(&line), Some(5), "{line}");
}

#[test]
fn unknown_tier_names_the_valid_ones() {
    let env = TestEnv::with_config("mounts:\n  - path: /x\n    tier: tepid\n    root: ./x\n");
    let line = env.run(&["config", "check"]).fails(2);
    assert!(line.contains("tepid"), "{line}");
    for t in ["hot", "warm", "cold"] {
        assert!(line.contains(t), "{t} missing: {line}");
    }
}

// ---- discovery ------------------------------------------------------------------------------

#[test]
fn config_flag_overrides_ax_config() {
    let env = TestEnv::new();
    fs::write(
        env.root().join("alt.yaml"),
        "mounts:\n  - path: /alt\n    tier: hot\n    root: ./alt-data\n",
    )
    .unwrap();
    let alt = env.root().join("alt.yaml");
    let alt = alt.to_str().unwrap();
    assert_eq!(
        env.ok(&["--config", alt, "ls", "/"]),
        "alt/\n",
        "before the subcommand"
    );
    assert_eq!(
        env.ok(&["ls", "/", "--config", alt]),
        "alt/\n",
        "after the subcommand"
    );
    env.ok(&["write", "/alt/x", "x", "--config", alt]);
    assert_eq!(fs::read(env.root().join("alt-data/x")).unwrap(), b"x");
}

#[test]
fn config_flag_with_a_missing_file_exits_2() {
    let env = TestEnv::new();
    let line = env
        .run(&["--config", "does-not-exist.yaml", "ls", "/"])
        .fails(2);
    assert!(line.contains("does-not-exist.yaml"), "{line}");
}

#[test]
fn ax_config_with_a_missing_file_exits_2() {
    let env = TestEnv::new();
    env.ax()
        .env("AX_CONFIG", env.root().join("gone.yaml"))
        .args(["ls", "/"])
        .assert()
        .code(2);
}

#[test]
fn nearest_ax_yaml_up_the_tree_is_found_and_roots_resolve_against_it() {
    let env = TestEnv::new();
    let sub = env.root().join("project/deep");
    fs::create_dir_all(&sub).unwrap();
    env.ax_without_config()
        .current_dir(&sub)
        .args(["write", "/scratch/found.txt", "up the tree"])
        .assert()
        .success();
    assert_eq!(env.read("/scratch/found.txt"), b"up the tree");
    assert!(
        !sub.join("data").exists(),
        "roots resolve against the config's folder"
    );
    assert!(!sub.join(".ax-data").exists(), "the default was not used");
}

#[test]
fn without_any_config_the_embedded_default_serves_under_ax_data() {
    let env = TestEnv::empty();
    for dir in env.root().ancestors() {
        assert!(
            !dir.join("ax.yaml").exists(),
            "{} exists on this machine; the test needs a tree without ax.yaml",
            dir.join("ax.yaml").display()
        );
    }
    let first = crate::common::Outcome::of(env.ax_without_config().args([
        "write",
        "/scratch/x.txt",
        "default layout",
    ]));
    first.success();
    assert!(env.root().join(".ax-data").is_dir(), ".ax-data appears");
    assert!(
        first.stderr.contains(".ax-data"),
        "the first use says where the data goes: {:?}",
        first.stderr
    );
    let out = env
        .ax_without_config()
        .args(["cat", "/scratch/x.txt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, b"default layout");
    assert!(out.stderr.is_empty(), "the notice is printed once");
    let ls = env.ax_without_config().args(["ls", "/"]).output().unwrap();
    let ls = String::from_utf8(ls.stdout).unwrap();
    for m in [
        "archive/",
        "code/",
        "context/",
        "docs/",
        "memories/",
        "scratch/",
        "skills/",
    ] {
        assert!(ls.lines().any(|l| l == m), "{m} missing from\n{ls}");
    }
}

// ---- init -----------------------------------------------------------------------------------

#[test]
fn init_writes_an_ax_yaml_that_checks_ok() {
    let env = TestEnv::empty();
    env.ax_without_config().arg("init").assert().success();
    let written = env.root().join("ax.yaml");
    assert!(written.is_file());
    let text = fs::read_to_string(&written).unwrap();
    assert!(text.contains("mounts:"), "{text}");
    assert!(text.contains('#'), "the example is commented");
    let out = env
        .ax_without_config()
        .args(["config", "check"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok"));
}

#[test]
fn init_refuses_to_overwrite_without_force() {
    let env = TestEnv::with_config("# mine\nmounts: []\n");
    let out = crate::common::Outcome::of(env.ax_without_config().arg("init"));
    let line = out.fails(1);
    assert!(line.contains("--force"), "hints at --force: {line}");
    assert_eq!(
        fs::read_to_string(env.config_path()).unwrap(),
        "# mine\nmounts: []\n"
    );
    env.ax_without_config()
        .args(["init", "--force"])
        .assert()
        .success();
    assert_ne!(
        fs::read_to_string(env.config_path()).unwrap(),
        "# mine\nmounts: []\n"
    );
}

// ---- mounts ---------------------------------------------------------------------------------

#[test]
fn mounts_prints_a_table_of_every_mount() {
    let env = TestEnv::new();
    let out = env.ok(&["mounts"]);
    for (m, tier) in [
        ("/scratch", "hot"),
        ("/context", "hot"),
        ("/docs", "warm"),
        ("/archive", "cold"),
    ] {
        let row = out
            .lines()
            .find(|l| l.split_whitespace().next() == Some(m))
            .unwrap_or_else(|| panic!("no row for {m} in\n{out}"));
        assert!(row.contains(tier), "{row}");
    }
}

#[test]
fn mounts_json_lists_path_tier_and_read_only() {
    let env = TestEnv::new();
    let v = env.run(&["mounts", "--json"]).success().json();
    let arr = v["mounts"].as_array().expect("{mounts: [...]}");
    assert_eq!(arr.len(), 4, "{v}");
    for m in arr {
        assert_has_keys(m, &["path", "tier", "read_only", "backend", "files"]);
        let b = m["backend"].as_str().unwrap();
        assert!(b == "local" || b == "file", "no host path: {m}");
    }
    let get = |p: &str| {
        arr.iter()
            .find(|m| m["path"] == p)
            .unwrap_or_else(|| panic!("{p}"))
    };
    assert_eq!(get("/docs")["read_only"], true);
    assert_eq!(get("/docs")["tier"], "warm");
    assert_eq!(get("/scratch")["read_only"], false);
    assert_eq!(get("/archive")["tier"], "cold");
}

#[test]
fn a_bad_object_store_option_is_a_config_error_naming_its_file_line_and_key() {
    // Line 10 is `timeout: soon`; the error must come at load, from `config check` too,
    // before any command touches the store.
    let yaml = "mounts:\n  - path: /scratch\n    tier: hot\n    root: ./data/scratch\n  - path: /vault\n    tier: cold\n    url: memory://\n    options:\n      retries: 3\n      timeout: soon\n";
    let env = TestEnv::with_config(yaml);
    for args in [&["config", "check"][..], &["ls", "/scratch"][..]] {
        let err = env.run(args).fails(2);
        assert_eq!(
            config_line(&err),
            Some(10),
            "points at `timeout: soon`: {err}"
        );
        assert!(err.contains("timeout"), "names the key: {err}");
        assert!(err.contains("10s"), "says what to write instead: {err}");
    }
    // numbers and strings both load
    let good = yaml.replace(
        "timeout: soon",
        "timeout: 30\n      connect_timeout: \"2s\"",
    );
    TestEnv::with_config(&good)
        .run(&["config", "check"])
        .success();
}

#[test]
fn an_unknown_s3_option_is_a_config_error_at_its_line() {
    let yaml = "mounts:\n  - path: /vault\n    tier: cold\n    url: s3://bucket/prefix\n    options:\n      region: eu-west-1\n      endpiont: http://127.0.0.1:9\n";
    let err = TestEnv::with_config(yaml)
        .run(&["config", "check"])
        .fails(2);
    assert_eq!(config_line(&err), Some(7), "points at the typo: {err}");
    assert!(
        err.contains("endpiont") && err.contains("endpoint"),
        "{err}"
    );
}
