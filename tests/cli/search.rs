//! Search over warm mounts, driven through the built `ax`: always fresh (writes through ax,
//! edits and deletes behind its back), incremental (a second index re-embeds nothing),
//! crash-safe (`kill -9` mid-index), read-only mounts indexed, and the real embedding model
//! (installed by the test command) for semantic search.

use std::process::{Command as StdCommand, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::common::TestEnv;

/// The model's environment (set by scripts/install-model.sh), if present. Without it the
/// model tests skip with a note, or fail when `AX_REQUIRE_BACKENDS=1` (as in CI).
fn model_env(test: &str) -> Option<Vec<(&'static str, String)>> {
    let dir = std::env::var("AX_MODEL_DIR").ok().filter(|d| !d.is_empty());
    match dir {
        Some(d) => {
            let mut env = vec![("AX_MODEL_DIR", d)];
            if let Ok(ort) = std::env::var("ORT_DYLIB_PATH") {
                env.push(("ORT_DYLIB_PATH", ort));
            }
            Some(env)
        }
        None if std::env::var("AX_REQUIRE_BACKENDS").is_ok_and(|v| v == "1") => {
            panic!(
                "{test}: AX_MODEL_DIR is not set, and AX_REQUIRE_BACKENDS=1 requires the embedding model"
            )
        }
        None => {
            eprintln!("{test}: skipped (no embedding model; source scripts/install-model.sh)");
            None
        }
    }
}

fn search_json(env: &TestEnv, extra: &[(&str, String)], args: &[&str]) -> Vec<Value> {
    let mut cmd = env.ax();
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let mut full = vec!["--json", "search"];
    full.extend_from_slice(args);
    let out = cmd.args(&full).output().unwrap();
    assert!(
        out.status.success(),
        "ax {full:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array().unwrap().clone()
}

/// Writes a file on the host under the `/notes` mount (behind ax's back).
fn put(env: &TestEnv, vpath: &str, content: impl AsRef<[u8]>) {
    let rel = vpath.strip_prefix("/notes/").expect("a /notes path");
    let host = env.root().join("data/notes").join(rel);
    std::fs::create_dir_all(host.parent().unwrap()).unwrap();
    std::fs::write(host, content).unwrap();
}

fn paths(hits: &[Value]) -> Vec<String> {
    hits.iter()
        .map(|h| h["path"].as_str().unwrap().to_string())
        .collect()
}

/// A config with an indexed, writable warm mount and the harness's read-only warm /docs.
fn env_with_notes() -> TestEnv {
    let env = TestEnv::with_config(
        "mounts:\n  - path: /notes\n    tier: warm\n    root: ./data/notes\n  - path: /docs\n    tier: warm\n    root: ./data/docs\n    read_only: true\n  - path: /scratch\n    tier: hot\n    root: ./data/scratch\n",
    );
    std::fs::create_dir_all(env.root().join("data/docs")).unwrap();
    std::fs::write(
        env.root().join("data/docs/guide.md"),
        "# Guide\n\nRetry failed requests with exponential backoff.\n",
    )
    .unwrap();
    env
}

#[test]
fn a_file_written_with_ax_write_is_found_by_the_next_search() {
    let env = env_with_notes();
    env.ok(&[
        "write",
        "/notes/auth.md",
        "# Auth\n\nWe validate JWT tokens with an HMAC signature.\n",
    ]);
    let hits = search_json(&env, &[], &["JWT token validation", "--mode", "keyword"]);
    assert_eq!(paths(&hits)[0], "/notes/auth.md");
    let h = &hits[0];
    assert_eq!(
        (h["start_line"].as_u64(), h["end_line"].as_u64()),
        (Some(1), Some(3))
    );
    assert!(h["snippet"].as_str().unwrap().contains("**JWT**"), "{h}");
    assert!(h["score"].as_f64().unwrap() > 0.0);
}

#[test]
fn a_file_edited_on_disk_is_found_with_its_new_content_and_not_its_old() {
    let env = env_with_notes();
    env.ok(&["write", "/notes/plan.md", "we bake sourdough bread\n"]);
    assert_eq!(
        paths(&search_json(&env, &[], &["sourdough", "--mode", "keyword"])),
        ["/notes/plan.md"]
    );
    // Behind ax's back, with the same size and a fresh mtime.
    std::fs::write(
        env.root().join("data/notes/plan.md"),
        "we brew espresso coffee\n",
    )
    .unwrap();
    assert!(
        search_json(&env, &[], &["sourdough", "--mode", "keyword"]).is_empty(),
        "old content still found"
    );
    assert_eq!(
        paths(&search_json(&env, &[], &["espresso", "--mode", "keyword"])),
        ["/notes/plan.md"]
    );
}

#[test]
fn a_deleted_file_is_gone_from_results() {
    let env = env_with_notes();
    env.ok(&["write", "/notes/a.md", "zebra crossing\n"]);
    env.ok(&["write", "/notes/b.md", "zebra stripes\n"]);
    assert_eq!(
        search_json(&env, &[], &["zebra", "--mode", "keyword"]).len(),
        2
    );
    std::fs::remove_file(env.root().join("data/notes/a.md")).unwrap();
    assert_eq!(
        paths(&search_json(&env, &[], &["zebra", "--mode", "keyword"])),
        ["/notes/b.md"]
    );
    env.ok(&["rm", "/notes/b.md"]);
    assert!(search_json(&env, &[], &["zebra", "--mode", "keyword"]).is_empty());
}

#[test]
fn a_read_only_warm_mount_is_indexed_and_searchable() {
    let env = env_with_notes();
    let hits = search_json(
        &env,
        &[],
        &[
            "exponential backoff",
            "--path",
            "/docs",
            "--mode",
            "keyword",
        ],
    );
    assert_eq!(paths(&hits), ["/docs/guide.md"]);
    assert!(
        !env.root().join("data/docs/.ax").exists(),
        "index state written into mount data"
    );
}

#[test]
fn search_scopes_to_a_path_and_refuses_unindexed_mounts() {
    let env = env_with_notes();
    env.ok(&["write", "/notes/x/one.md", "kiwi fruit\n"]);
    env.ok(&["write", "/notes/y/two.md", "kiwi bird\n"]);
    assert_eq!(
        paths(&search_json(
            &env,
            &[],
            &["kiwi", "--path", "/notes/x", "--mode", "keyword"]
        )),
        ["/notes/x/one.md"]
    );
    assert_eq!(
        search_json(&env, &[], &["kiwi", "--mode", "keyword"]).len(),
        2
    );
    env.run(&["search", "kiwi", "--path", "/scratch"]).fails(2);
}

#[test]
fn binary_and_huge_files_are_skipped_and_counted() {
    let env = env_with_notes();
    put(&env, "/notes/blob.bin", [0u8, 1, 2, 3, 0, 255]);
    put(&env, "/notes/huge.txt", "x".repeat(5 * 1024 * 1024));
    put(&env, "/notes/ok.md", "fine text\n");
    let out = env.run(&["--json", "index", "/notes"]).success().json();
    assert_eq!(out["skipped_binary"], 1, "{out}");
    assert_eq!(out["skipped_large"], 1, "{out}");
    assert_eq!(out["files_indexed"], 1, "{out}");
}

#[test]
fn without_a_model_hybrid_degrades_to_keyword_with_one_notice() {
    let env = env_with_notes();
    env.ok(&["write", "/notes/a.md", "alpha beta\n"]);
    let out = env.run(&["search", "alpha"]).success().stderr.clone();
    assert_eq!(out.lines().count(), 1, "one notice: {out}");
    assert!(out.contains("using keyword search"), "{out}");
    env.run(&["search", "alpha", "--mode", "semantic"]).fails(1);
    let quiet = env
        .run(&["search", "alpha", "--mode", "keyword"])
        .success()
        .stderr
        .clone();
    assert!(
        quiet.is_empty(),
        "keyword mode never mentions the model: {quiet}"
    );
}

#[test]
fn a_second_index_on_an_unchanged_corpus_re_embeds_nothing() {
    let Some(model) = model_env("a_second_index_on_an_unchanged_corpus_re_embeds_nothing") else {
        return;
    };
    let env = env_with_notes();
    for i in 0..5 {
        put(
            &env,
            &format!("/notes/n{i}.md"),
            format!("# Note {i}\n\nThis note talks about topic number {i}.\n"),
        );
    }
    let run = |args: &[&str]| -> Value {
        let mut cmd = env.ax();
        for (k, v) in &model {
            cmd.env(k, v);
        }
        let out = cmd.args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let first = run(&["--json", "index"]);
    assert_eq!(first["files_indexed"], 6, "{first}");
    assert!(first["chunks_embedded"].as_u64().unwrap() >= 6, "{first}");
    let second = run(&["--json", "index"]);
    assert_eq!(second["files_indexed"], 0, "{second}");
    assert_eq!(second["files_unchanged"], 6, "{second}");
    assert_eq!(second["chunks_embedded"], 0, "{second}");
    // A copy of a file costs no new embedding: same chunk content, cached vector.
    env.ok(&["cp", "/notes/n1.md", "/notes/copy.md"]);
    let third = run(&["--json", "index"]);
    assert_eq!(third["files_indexed"], 1, "{third}");
    assert_eq!(third["chunks_embedded"], 0, "{third}");
    assert!(third["embeddings_reused"].as_u64().unwrap() >= 1, "{third}");
}

#[test]
fn semantic_search_finds_meaning_without_shared_words() {
    let Some(model) = model_env("semantic_search_finds_meaning_without_shared_words") else {
        return;
    };
    let env = env_with_notes();
    put(
        &env,
        "/notes/auth.md",
        "# Tokens\n\nVerify the JSON web token signature before trusting its claims.\n",
    );
    put(
        &env,
        "/notes/bread.md",
        "# Baking\n\nKnead the sourdough and let it rise overnight.\n",
    );
    put(
        &env,
        "/notes/garden.md",
        "# Garden\n\nWater the tomatoes every morning in summer.\n",
    );
    for mode in ["semantic", "hybrid"] {
        let hits = search_json(
            &env,
            &model,
            &[
                "how do I check that a login credential is authentic",
                "--mode",
                mode,
            ],
        );
        assert_eq!(paths(&hits)[0], "/notes/auth.md", "{mode}: {hits:?}");
    }
}

#[test]
fn kill_9_during_index_leaves_a_usable_index() {
    let env = env_with_notes();
    for i in 0..400 {
        put(
            &env,
            &format!("/notes/f{i:03}.md"),
            format!(
                "# File {i}\n\nunique{i} words about quokka number {i}\n\n{}",
                "filler text. ".repeat(200)
            ),
        );
    }
    let mut cmd = StdCommand::new(crate::common::ax_bin());
    cmd.current_dir(env.root())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AX_CONFIG", env.config_path())
        .args(["index"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Ok(model) = std::env::var("AX_MODEL_DIR") {
        cmd.env("AX_MODEL_DIR", model);
        if let Ok(ort) = std::env::var("ORT_DYLIB_PATH") {
            cmd.env("ORT_DYLIB_PATH", ort);
        }
    }
    let mut child = cmd.spawn().unwrap();
    std::thread::sleep(Duration::from_millis(400));
    child.kill().unwrap();
    child.wait().unwrap();
    // The next command repairs or continues; every file is findable.
    let hits = search_json(
        &env,
        &[],
        &["unique399 quokka", "--mode", "keyword", "--limit", "3"],
    );
    assert_eq!(paths(&hits)[0], "/notes/f399.md");
    let hits = search_json(&env, &[], &["unique7", "--mode", "keyword", "--limit", "3"]);
    assert_eq!(paths(&hits)[0], "/notes/f007.md");
    let again = env.run(&["--json", "index"]).success().json();
    assert_eq!(again["files_indexed"], 0, "nothing left to redo: {again}");
}

#[test]
fn ax_watch_reindexes_changes_as_they_happen() {
    let env = env_with_notes();
    put(&env, "/notes/start.md", "first words\n");
    let mut child = env
        .ax_process()
        .args(["watch", "/notes"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    // The initial catch-up indexes start.md.
    let first = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("initial index line");
    assert!(first.contains("indexed 1 of 1"), "{first}");
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(
        env.root().join("data/notes/later.md"),
        "written behind ax's back\n",
    )
    .unwrap();
    let next = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("a re-index line after the change");
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(next.contains("indexed 1 of 2"), "{next}");
}

#[test]
fn an_indexed_object_store_mount_is_searchable_and_tracks_etags() {
    use ax::backend::WriteOptions;
    use ax::index::{Mode, SearchIndex};
    let dir = tempfile::tempdir().unwrap();
    let yaml = "mounts:\n  - path: /vault\n    tier: cold\n    url: memory://\n    index: true\n";
    let cfg = ax::config::Config::from_yaml(yaml, "test", dir.path()).unwrap();
    let vfs = ax::vfs::Vfs::new(cfg);
    let put = |path: &str, text: &str| {
        vfs.write(path, &mut text.as_bytes(), &WriteOptions::default())
            .unwrap();
    };
    put("/vault/a.md", "# Archive\n\nthe quarterly llama report\n");
    let index = SearchIndex::open(&vfs.config().state_dir).unwrap();
    let scope = vfs.path("/vault").unwrap();
    let lock = index.lock(Duration::from_secs(5)).unwrap().unwrap();
    let first = index
        .refresh(&vfs, &scope, None, &lock, &mut |_| {})
        .unwrap();
    assert_eq!(first.files_indexed, 1);
    let hits = index
        .search(&vfs, "llama", &scope, 5, Mode::Keyword, None)
        .unwrap();
    assert_eq!(hits[0].path.as_str(), "/vault/a.md");
    // Unchanged ETag: nothing read again. A new version (new ETag): re-indexed.
    assert_eq!(
        index
            .refresh(&vfs, &scope, None, &lock, &mut |_| {})
            .unwrap()
            .files_indexed,
        0
    );
    put("/vault/a.md", "# Archive\n\nthe annual alpaca report\n");
    assert_eq!(
        index
            .refresh(&vfs, &scope, None, &lock, &mut |_| {})
            .unwrap()
            .files_indexed,
        1
    );
    assert!(
        index
            .search(&vfs, "llama", &scope, 5, Mode::Keyword, None)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        index
            .search(&vfs, "alpaca", &scope, 5, Mode::Keyword, None)
            .unwrap()
            .len(),
        1
    );
}
