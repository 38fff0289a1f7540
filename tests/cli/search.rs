//! Search over warm mounts, driven through the built `ax`: always fresh (writes through ax,
//! edits and deletes behind its back), incremental (a second index re-embeds nothing),
//! crash-safe (`kill -9` mid-index), read-only mounts indexed, and the real embedding model
//! (installed by the test command) for semantic search.

use std::process::{Command as StdCommand, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::common::{TestEnv, model_env};

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
    assert!(
        v["mode"].is_string(),
        "the tool's shape, {{results, mode, notice}}: {v}"
    );
    v["results"].as_array().unwrap().clone()
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
    use ax::index::{SearchIndex, SearchMode, Tuning};
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
    let t = Tuning::default();
    let first = index.refresh(&vfs, &scope, &lock, &mut |_| {}).unwrap();
    assert_eq!(first.files_indexed, 1);
    let hits = index
        .search(&vfs, "llama", &scope, 5, SearchMode::Keyword, None, &t)
        .unwrap();
    assert_eq!(hits[0].path.as_str(), "/vault/a.md");
    // Unchanged ETag: nothing read again. A new version (new ETag): re-indexed.
    assert_eq!(
        index
            .refresh(&vfs, &scope, &lock, &mut |_| {})
            .unwrap()
            .files_indexed,
        0
    );
    put("/vault/a.md", "# Archive\n\nthe annual alpaca report\n");
    assert_eq!(
        index
            .refresh(&vfs, &scope, &lock, &mut |_| {})
            .unwrap()
            .files_indexed,
        1
    );
    assert!(
        index
            .search(&vfs, "llama", &scope, 5, SearchMode::Keyword, None, &t)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        index
            .search(&vfs, "alpaca", &scope, 5, SearchMode::Keyword, None, &t)
            .unwrap()
            .len(),
        1
    );
}

/// Runs `ax search` with extra environment and returns (hits, stderr).
fn search_with_stderr(
    env: &TestEnv,
    extra: &[(&str, String)],
    args: &[&str],
) -> (Vec<Value>, String) {
    let mut cmd = env.ax();
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let mut full = vec!["--json", "search"];
    full.extend_from_slice(args);
    let out = cmd.args(&full).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "ax {full:?}: {stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    (v["results"].as_array().unwrap().clone(), stderr)
}

#[test]
fn any_text_is_a_query_and_finds_the_obvious_file() {
    let env = env_with_notes();
    put(
        &env,
        "/notes/io.md",
        "# Reading\n\nCall `std::fs::read_to_string(path)?` to load a file.\n",
    );
    put(
        &env,
        "/notes/flags.md",
        "# Flags\n\nPass -v or --verbose to print more.\n",
    );
    put(
        &env,
        "/notes/vars.md",
        "# Names\n\nThe field max_retry_count limits attempts.\n",
    );
    put(
        &env,
        "/notes/quote.md",
        "# Quote\n\nShe said \"hello world\" twice.\n",
    );
    put(
        &env,
        "/notes/other.md",
        "# Other\n\nNothing to see in this unrelated page.\n",
    );
    let cases: &[(&str, &str)] = &[
        ("std::fs::read_to_string", "/notes/io.md"),
        ("read_to_string(", "/notes/io.md"),
        ("-v", "/notes/flags.md"),
        ("--verbose", "/notes/flags.md"),
        ("-verbose output", "/notes/flags.md"),
        ("max_retry_count", "/notes/vars.md"),
        ("retry count", "/notes/vars.md"),
        ("\"hello world\"", "/notes/quote.md"),
        ("\"hello world", "/notes/quote.md"),
        ("hello*", "/notes/quote.md"),
        ("(verbose", "/notes/flags.md"),
        ("verbose AND NOT OR", "/notes/flags.md"),
        ("title:verbose", "/notes/flags.md"),
    ];
    for (query, want) in cases {
        let hits = search_json(&env, &[], &[query, "--mode", "keyword"]);
        assert_eq!(
            paths(&hits).first().map(String::as_str),
            Some(*want),
            "query {query:?}: {hits:?}"
        );
    }
    // Only punctuation: a valid query with no words, so no hits (and no error).
    assert!(search_json(&env, &[], &["*** (( \" -", "--mode", "keyword"]).is_empty());
    // The same through the tool call, where nothing is a CLI flag.
    let out = env
        .run(&[
            "--json",
            "call",
            "ax_search",
            r#"{"query":"-v --verbose","mode":"keyword"}"#,
        ])
        .success()
        .json();
    assert_eq!(out["results"][0]["path"], "/notes/flags.md", "{out}");
}

#[test]
fn results_are_files_with_their_matching_regions() {
    let env = env_with_notes();
    let filler = "Unrelated words about the weather and gardens fill this paragraph. ".repeat(14);
    put(
        &env,
        "/notes/long.md",
        format!(
            "# Guide\n\n## Install\n\nThe walrus installer runs first.\n\n{filler}\n\n## Configure\n\n{filler}\n\n## Tune\n\nA walrus tuning pass comes last.\n\n{filler}\n"
        ),
    );
    put(&env, "/notes/short.md", "# Short\n\nOne walrus here.\n");
    let hits = search_json(&env, &[], &["walrus", "--mode", "keyword"]);
    assert_eq!(hits.len(), 2, "one hit per file: {hits:?}");
    let long = hits.iter().find(|h| h["path"] == "/notes/long.md").unwrap();
    let regions = long["regions"].as_array().unwrap();
    assert!(regions.len() >= 2, "both walrus sections: {long}");
    assert_eq!(regions[0]["start_line"], long["start_line"], "{long}");
    assert_eq!(regions[0]["end_line"], long["end_line"], "{long}");
    for (i, a) in regions.iter().enumerate() {
        for b in &regions[i + 1..] {
            let (a0, a1) = (
                a["start_line"].as_u64().unwrap(),
                a["end_line"].as_u64().unwrap(),
            );
            let (b0, b1) = (
                b["start_line"].as_u64().unwrap(),
                b["end_line"].as_u64().unwrap(),
            );
            assert!(a1 < b0 || b1 < a0, "regions overlap: {long}");
        }
    }
    for h in &hits {
        assert_eq!(h["found_by"], "keyword", "{h}");
        assert!(h["snippet"].as_str().unwrap().contains("**walrus**"), "{h}");
    }
}

#[test]
fn embedder_none_never_touches_the_model_and_says_nothing() {
    let env = TestEnv::with_config(
        "mounts:\n  - path: /notes\n    tier: warm\n    root: ./data/notes\nsearch:\n  embedder: none\n",
    );
    put(&env, "/notes/a.md", "# A\n\nalpha beta gamma\n");
    // A model folder that would be refused if anything looked at it.
    let bogus = vec![(
        "AX_MODEL_DIR",
        env.root().join("no-such-model").display().to_string(),
    )];
    let (hits, stderr) = search_with_stderr(&env, &bogus, &["alpha"]);
    assert_eq!(paths(&hits), ["/notes/a.md"]);
    assert!(stderr.is_empty(), "the user chose keyword search: {stderr}");
    let mut cmd = env.ax();
    cmd.env("AX_MODEL_DIR", &bogus[0].1);
    let out = cmd.args(["--json", "index"]).output().unwrap();
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stats: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stats["model_loaded"], false, "{stats}");
}

/// A copy of the installed model folder (real files or links), to tamper with or to place
/// where ax looks by default.
fn copy_model(from: &str, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let src = std::fs::canonicalize(e.path()).unwrap();
        std::fs::copy(&src, to.join(e.file_name())).unwrap();
    }
}

fn model_dir_of(model: &[(&str, String)]) -> String {
    model
        .iter()
        .find(|(k, _)| *k == "AX_MODEL_DIR")
        .unwrap()
        .1
        .clone()
}

#[test]
fn a_tampered_model_file_is_refused_and_keyword_search_still_works() {
    let Some(model) = model_env("a_tampered_model_file_is_refused_and_keyword_search_still_works")
    else {
        return;
    };
    let env = env_with_notes();
    put(&env, "/notes/a.md", "# A\n\nthe quarterly llama report\n");
    let dir = env.root().join("tampered-model");
    copy_model(&model_dir_of(&model), &dir);
    let onnx = dir.join("model.onnx");
    let mut bytes = std::fs::read(&onnx).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(&onnx, bytes).unwrap();
    let tampered = vec![("AX_MODEL_DIR", dir.display().to_string())];
    let (hits, stderr) = search_with_stderr(&env, &tampered, &["llama"]);
    assert_eq!(
        paths(&hits),
        ["/notes/a.md"],
        "keyword search still answers"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("does not match its pinned SHA-256"),
        "{stderr}"
    );
    assert!(stderr.contains("model.onnx"), "{stderr}");
    assert!(stderr.contains("using keyword search"), "{stderr}");
    let mut cmd = env.ax();
    cmd.env("AX_MODEL_DIR", &tampered[0].1);
    let out = cmd
        .args(["search", "llama", "--mode", "semantic"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not match its pinned SHA-256"), "{err}");
    // The tokenizer is pinned too.
    copy_model(&model_dir_of(&model), &dir);
    std::fs::write(dir.join("tokenizer_config.json"), b"{}").unwrap();
    let (_, stderr) = search_with_stderr(&env, &tampered, &["llama"]);
    assert!(
        stderr.contains("tokenizer_config.json does not match"),
        "{stderr}"
    );
}

#[test]
fn the_per_user_model_folder_is_found_without_any_variable() {
    let Some(model) = model_env("the_per_user_model_folder_is_found_without_any_variable") else {
        return;
    };
    let env = env_with_notes();
    put(
        &env,
        "/notes/auth.md",
        "# Tokens\n\nVerify the JSON web token signature.\n",
    );
    // HOME is the test's root: ~/.local/share/ax/model is where the installer puts it.
    copy_model(
        &model_dir_of(&model),
        &env.root().join(".local/share/ax/model"),
    );
    let (hits, stderr) = search_with_stderr(&env, &[], &["check a login credential"]);
    assert!(stderr.is_empty(), "hybrid with no notice: {stderr}");
    assert_eq!(paths(&hits)[0], "/notes/auth.md");
    let out = env
        .run(&[
            "--json",
            "call",
            "ax_search",
            r#"{"query":"check a login credential"}"#,
        ])
        .success()
        .json();
    assert_eq!(out["mode"], "hybrid", "{out}");
    let status = env.run(&["--json", "index", "--status"]).success().json();
    assert_eq!(status["model"]["available"], true, "{status}");
    assert_eq!(status["model"]["source"], "default", "{status}");
    assert!(
        status["model"]["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f[1] == true),
        "{status}"
    );
    assert!(status["index"]["chunks"].as_u64().unwrap() >= 2, "{status}");
    assert_eq!(status["index"]["embedded_fraction"], 1.0, "{status}");
    let text = env.ok(&["index", "--status"]);
    assert!(text.contains("verified") && text.contains("100%"), "{text}");
    // An unchanged corpus: a re-index loads no model.
    let again = env.run(&["--json", "index"]).success().json();
    assert_eq!(again["model_loaded"], false, "{again}");
    assert_eq!(again["chunks_pending"], 0, "{again}");
}

#[test]
fn a_nonsense_word_finds_nothing_and_a_dropped_word_is_not_found_again() {
    let Some(model) =
        model_env("a_nonsense_word_finds_nothing_and_a_dropped_word_is_not_found_again")
    else {
        return;
    };
    let env = env_with_notes();
    put(
        &env,
        "/notes/a.md",
        "# Cooking\n\nBoil the pasta for nine minutes, then drain it.\n",
    );
    put(
        &env,
        "/notes/b.md",
        "# Travel\n\nThe train to the coast leaves at noon.\n",
    );
    put(
        &env,
        "/notes/c.md",
        "# Code\n\nA function returns a Result when it can fail.\n",
    );
    put(
        &env,
        "/notes/d.md",
        "# Plan\n\nShip the zorblaxian feature on Friday.\n",
    );
    for mode in ["hybrid", "semantic"] {
        let hits = search_json(&env, &model, &["qwzxvbnmplk", "--mode", mode]);
        assert!(
            hits.is_empty(),
            "{mode}: a word that appears nowhere: {hits:?}"
        );
    }
    let hits = search_json(&env, &model, &["zorblaxian"]);
    assert_eq!(paths(&hits), ["/notes/d.md"], "{hits:?}");
    assert_ne!(
        hits[0]["found_by"], "semantic",
        "its words found it: {hits:?}"
    );
    // Edited to drop the word: it no longer comes back for it.
    put(
        &env,
        "/notes/d.md",
        "# Plan\n\nShip the new feature on Friday.\n",
    );
    let hits = search_json(&env, &model, &["zorblaxian"]);
    assert!(hits.is_empty(), "{hits:?}");
    // Meaning still finds meaning, and says so.
    let hits = search_json(
        &env,
        &model,
        &["how long to cook noodles", "--mode", "hybrid"],
    );
    assert_eq!(paths(&hits)[0], "/notes/a.md", "{hits:?}");
    assert_ne!(hits[0]["found_by"], "keyword", "{hits:?}");
}

#[test]
fn a_search_during_an_unfinished_bulk_embed_answers_with_progress() {
    let Some(model) = model_env("a_search_during_an_unfinished_bulk_embed_answers_with_progress")
    else {
        return;
    };
    let env = env_with_notes();
    // Enough chunks that embedding takes many seconds, well past one hybrid search (a debug
    // build loads the model slowly).
    for i in 0..900 {
        put(
            &env,
            &format!("/notes/p{i:03}.md"),
            format!(
                "# Page {i}\n\nparagraph one of page {i} about topic {}.\n\n{}\n\n## More\n\n{}\n",
                i % 17,
                "Some words that make this section long enough to be its own chunk. ".repeat(12),
                "Another section with different words in it for the embedder. ".repeat(12),
            ),
        );
    }
    let mut cmd = env.ax_process();
    cmd.args(["index"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in &model {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    // Once every file is keyword-searchable (seconds), it embeds; meanwhile a hybrid search
    // answers: keyword for every file, with one progress notice.
    for _ in 0..600 {
        let (hits, _) = search_with_stderr(
            &env,
            &[],
            &["paragraph one of page 123", "--mode", "keyword"],
        );
        if !hits.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut seen = None;
    for _ in 0..600 {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        let (hits, stderr) = search_with_stderr(&env, &model, &["paragraph one of page 123"]);
        if stderr.contains("another ax process is embedding") && child.try_wait().unwrap().is_none()
        {
            seen = Some((hits, stderr));
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let (hits, stderr) = seen.expect("a search while `ax index` was still embedding");
    assert_eq!(
        paths(&hits).first().map(String::as_str),
        Some("/notes/p123.md"),
        "{hits:?} {stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("chunks embedded"), "{stderr}");
    assert!(
        stderr.contains("another ax process is embedding"),
        "{stderr}"
    );
    // Interrupted, the rest waits for the next `ax index`; a search still answers at once.
    child.kill().unwrap();
    child.wait().unwrap();
    let (hits, stderr) = search_with_stderr(&env, &model, &["paragraph one of page 45"]);
    assert_eq!(paths(&hits)[0], "/notes/p045.md", "{hits:?}");
    if !stderr.is_empty() {
        assert!(stderr.contains("`ax index` embeds the rest"), "{stderr}");
    }
    let mut finish = env.ax();
    for (k, v) in &model {
        finish.env(k, v);
    }
    let out = finish.args(["--json", "index"]).output().unwrap();
    assert!(out.status.success());
    let stats: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stats["chunks_pending"], 0, "{stats}");
    let (_, stderr) = search_with_stderr(&env, &model, &["page 45"]);
    assert!(stderr.is_empty(), "complete now: {stderr}");
}
