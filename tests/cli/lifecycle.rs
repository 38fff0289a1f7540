//! `ax lifecycle`: the dry run lists exactly what the real run then does; old files are
//! deleted or moved (into the cold `file://` mount too), young ones stay; read-only mounts
//! fail visibly; a second run finds nothing.

use serde_json::Value;

use crate::common::{TestEnv, assert_keys, host_tree};

const DAY: u64 = 86_400;

/// Scratch expires after 7 days; context older than 30 days goes to the cold archive.
const RULES: &str = concat!(
    "  - mount: /scratch\n",
    "    older_than: 7d\n",
    "    action: delete\n",
    "  - mount: /context\n",
    "    older_than: 30d\n",
    "    action: move\n",
    "    to: /archive/context\n",
);

/// Every byte value, so a lossy copy shows.
fn binary_blob() -> Vec<u8> {
    (0..5000u32).map(|i| (i * 31 % 256) as u8).collect()
}

/// A file on disk behind `vpath`, last modified `days` ago.
fn put(env: &TestEnv, vpath: &str, content: impl AsRef<[u8]>, days: u64) {
    env.write(vpath, content);
    env.age(vpath, days * DAY);
}

/// The `(action, path, to)` of each step line, and the summary line, of a `--json` run.
fn steps_and_summary(lines: &[Value]) -> (Vec<(String, String, Value)>, Value) {
    let (summary, steps) = lines.split_last().expect("at least the summary line");
    assert_eq!(summary["type"], "summary", "the last line is the summary");
    let steps = steps
        .iter()
        .map(|s| {
            assert_eq!(s["type"], "step", "{s}");
            (
                s["action"].as_str().expect("action").to_string(),
                s["path"].as_str().expect("path").to_string(),
                s["to"].clone(),
            )
        })
        .collect();
    (steps, summary.clone())
}

#[test]
fn dry_run_lists_exactly_what_the_real_run_then_does() {
    let env = TestEnv::with_lifecycle(RULES);
    let blob = binary_blob();
    put(&env, "/scratch/old.log", "old log\n", 12);
    put(&env, "/scratch/sub/older.tmp", "tmp", 8);
    put(&env, "/scratch/fresh.log", "fresh\n", 1);
    put(&env, "/context/notes.md", "# notes\n", 40);
    put(&env, "/context/task1/blob.bin", &blob, 45);
    put(&env, "/context/plan.md", "# current plan\n", 2);
    let before = host_tree(env.root());

    let dry = env
        .run(&["lifecycle", "--dry-run", "--json"])
        .success()
        .json_lines();
    assert_eq!(host_tree(env.root()), before, "a dry run changes nothing");
    for s in &dry[..dry.len() - 1] {
        assert_keys(
            s,
            &["type", "action", "path", "to", "size", "age_secs", "status"],
        );
        assert_eq!(s["status"], "planned");
    }
    let (planned, summary) = steps_and_summary(&dry);
    assert_eq!(summary["planned"], 4, "{summary}");
    assert_eq!(summary["failed"], 0);
    let mut want = vec![
        ("delete", "/scratch/old.log", Value::Null),
        ("delete", "/scratch/sub/older.tmp", Value::Null),
        (
            "move",
            "/context/notes.md",
            Value::from("/archive/context/notes.md"),
        ),
        (
            "move",
            "/context/task1/blob.bin",
            Value::from("/archive/context/task1/blob.bin"),
        ),
    ];
    want.sort_by(|a, b| a.1.cmp(b.1));
    let mut got = planned.clone();
    got.sort_by(|a, b| a.1.cmp(&b.1));
    let got_ref: Vec<(&str, &str, Value)> = got
        .iter()
        .map(|(a, p, t)| (a.as_str(), p.as_str(), t.clone()))
        .collect();
    assert_eq!(got_ref, want);
    let blob_step = dry
        .iter()
        .find(|s| s["path"] == "/context/task1/blob.bin")
        .unwrap();
    assert_eq!(blob_step["size"], blob.len());
    assert!(blob_step["age_secs"].as_u64().unwrap() >= 45 * DAY - 60);

    let real = env.run(&["lifecycle", "--json"]).success().json_lines();
    for s in &real[..real.len() - 1] {
        assert_eq!(s["status"], "done", "{s}");
    }
    let (done, summary) = steps_and_summary(&real);
    assert_eq!(
        done, planned,
        "the real run does exactly the dry run's steps"
    );
    assert_eq!(summary["done"], 4);
    assert_eq!(summary["failed"], 0);

    // Deleted files are gone.
    assert!(!env.exists("/scratch/old.log"));
    assert!(!env.exists("/scratch/sub/older.tmp"));
    // Moved files are in the cold archive, byte-identical, and gone from the source.
    for (src, dst, bytes) in [
        (
            "/context/notes.md",
            "/archive/context/notes.md",
            b"# notes\n".to_vec(),
        ),
        (
            "/context/task1/blob.bin",
            "/archive/context/task1/blob.bin",
            blob.clone(),
        ),
    ] {
        assert!(!env.exists(src), "{src} moved away");
        let cat = env.run(&["cat", dst]);
        cat.success();
        assert_eq!(cat.stdout, bytes, "{dst} is byte-identical");
        assert_eq!(env.read(dst), bytes, "{dst} on disk");
    }
    // Young files are untouched.
    assert_eq!(env.read_string("/scratch/fresh.log"), "fresh\n");
    assert_eq!(env.read_string("/context/plan.md"), "# current plan\n");
    // Folders the run emptied are gone; the mount points stay.
    assert!(!env.exists("/scratch/sub"));
    assert!(!env.exists("/context/task1"));
    assert!(env.exists("/context") && env.exists("/scratch"));
}

#[test]
fn text_lines_are_the_same_for_the_dry_run_and_the_real_run() {
    let env = TestEnv::with_lifecycle(RULES);
    put(&env, "/scratch/old.log", vec![b'x'; 3 * 1024], 12);
    put(&env, "/context/a.md", "a", 40);

    let dry = env.run(&["lifecycle", "--dry-run"]);
    dry.success();
    assert_eq!(dry.stderr, "(dry run: nothing changed)\n");
    let dry_text = dry.stdout_text();
    assert_eq!(
        dry_text,
        "delete /scratch/old.log  (12 days old, 3 KiB)\n\
         move /context/a.md -> /archive/context/a.md  (40 days old, 1 B)\n"
    );

    let real = env.run(&["lifecycle"]);
    real.success();
    assert_eq!(real.stderr, "", "a clean run says nothing on stderr");
    assert_eq!(real.stdout_text(), dry_text);
}

#[test]
fn young_files_are_left_alone() {
    let env = TestEnv::with_lifecycle(RULES);
    put(&env, "/scratch/six-days.log", "6", 6);
    put(&env, "/context/29-days.md", "29", 29);
    env.write("/scratch/now.txt", "now");
    let before = host_tree(env.root());

    let out = env.run(&["lifecycle", "--json"]).success().json_lines();
    assert_eq!(out.len(), 1, "only the summary: {out:?}");
    assert_eq!(out[0]["done"], 0);
    assert_eq!(out[0]["failed"], 0);
    assert_eq!(env.ok(&["lifecycle"]), "");
    assert_eq!(host_tree(env.root()), before);
    assert_eq!(env.read_string("/context/29-days.md"), "29");
}

#[test]
fn a_rule_on_a_read_only_mount_fails_visibly_and_changes_nothing() {
    // /docs is read-only; the /scratch rule still does its work (failures do not stop it).
    let env = TestEnv::with_lifecycle(
        "  - mount: /docs\n    older_than: 1d\n    action: delete\n  - mount: /scratch\n    older_than: 1d\n    action: delete\n",
    );
    env.age("/docs/readme.md", 3 * DAY);
    env.age("/docs/guide/intro.md", 3 * DAY);
    put(&env, "/scratch/old.txt", "old", 2);
    let docs_before = host_tree(&env.host("/docs"));

    // Planned like any other step, not silently skipped.
    let dry = env
        .run(&["lifecycle", "--dry-run", "--json"])
        .success()
        .json_lines();
    assert_eq!(dry.last().unwrap()["planned"], 3);

    let out = env.run(&["lifecycle"]);
    out.code(1);
    let errors: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(
        errors.len(),
        2,
        "one error line per failed step: {errors:?}"
    );
    for (line, path) in errors
        .iter()
        .zip(["/docs/guide/intro.md", "/docs/readme.md"])
    {
        assert!(
            line.starts_with(&format!("ax: {path}: mount /docs is read-only")),
            "{line}"
        );
    }
    assert_eq!(
        out.stdout_text(),
        "delete /scratch/old.txt  (2 days old, 3 B)\n"
    );
    assert_eq!(host_tree(&env.host("/docs")), docs_before);
    assert_eq!(
        env.read_string("/docs/readme.md"),
        "# Docs\nThe docs mount is read-only.\n"
    );
    assert!(!env.exists("/scratch/old.txt"));

    let json = env.run(&["lifecycle", "--json"]);
    json.code(1);
    let lines = json.json_lines();
    let (summary, steps) = lines.split_last().unwrap();
    assert_eq!(summary["done"], 0);
    assert_eq!(summary["failed"], 2);
    for s in steps {
        assert_keys(
            s,
            &[
                "type", "action", "path", "to", "size", "age_secs", "status", "error",
            ],
        );
        assert_eq!(s["status"], "failed");
        assert!(
            s["error"].as_str().unwrap().contains("read-only"),
            "{}",
            s["error"]
        );
    }
}

#[test]
fn a_move_into_a_read_only_mount_fails_and_keeps_the_source() {
    let env = TestEnv::with_lifecycle(
        "  - mount: /context\n    older_than: 1d\n    action: move\n    to: /docs/old\n",
    );
    put(&env, "/context/a.md", "keep me", 2);
    let out = env.run(&["lifecycle"]);
    let line = out.fails_at(1, "/docs/old/a.md");
    assert!(line.contains("mount /docs is read-only"), "{line}");
    assert_eq!(env.read_string("/context/a.md"), "keep me");
    assert!(!env.exists("/docs/old"));
}

#[test]
fn a_file_is_picked_by_the_first_rule_that_matches_only() {
    let env = TestEnv::with_lifecycle(
        "  - mount: /context\n    older_than: 30d\n    action: move\n    to: /archive/ctx\n  - mount: /context\n    older_than: 7d\n    action: delete\n",
    );
    put(&env, "/context/very-old.md", "v", 40);
    put(&env, "/context/old.md", "o", 10);
    let lines = env.run(&["lifecycle", "--json"]).success().json_lines();
    let (steps, _) = steps_and_summary(&lines);
    assert_eq!(
        steps,
        vec![
            (
                "move".to_string(),
                "/context/very-old.md".to_string(),
                Value::from("/archive/ctx/very-old.md")
            ),
            (
                "delete".to_string(),
                "/context/old.md".to_string(),
                Value::Null
            ),
        ]
    );
    assert_eq!(env.read_string("/archive/ctx/very-old.md"), "v");
    assert!(!env.exists("/context/old.md"));
}

#[test]
fn running_it_twice_does_nothing_the_second_time() {
    let env = TestEnv::with_lifecycle(RULES);
    put(&env, "/scratch/old.log", "old", 9);
    put(&env, "/context/deep/er/a.md", "a", 31);
    env.run(&["lifecycle"]).success();
    let after_first = host_tree(env.root());

    let again = env.run(&["lifecycle", "--json"]).success().json_lines();
    assert_eq!(again.len(), 1, "{again:?}");
    assert_eq!(again[0]["done"], 0);
    assert_eq!(again[0]["failed"], 0);
    let dry = env.run(&["lifecycle", "--dry-run"]);
    dry.success();
    assert_eq!(dry.stdout_text(), "");
    assert_eq!(host_tree(env.root()), after_first);
    assert_eq!(env.read_string("/archive/context/deep/er/a.md"), "a");
}

/// Leftover temporary files of interrupted writes are swept by every run: old ones go, a
/// fresh one and one a write still holds (a lock) stay, data and read-only mounts are not
/// touched.
#[test]
fn a_run_sweeps_old_temporary_files_but_never_one_in_use() {
    let env = TestEnv::new();
    let old = |vpath: &str| {
        env.write(vpath, "partial");
        env.age(vpath, 2 * 3600);
    };
    old("/scratch/deep/.ax-tmp-abandoned");
    old("/context/.ax-tmp-held");
    old("/docs/.ax-tmp-readonly");
    env.write("/scratch/.ax-tmp-fresh", "in progress");
    env.write("/scratch/keep.txt", "data\n");
    env.age("/scratch/keep.txt", 2 * 3600);
    // A write in progress holds a shared lock on its temp file.
    let held = std::fs::File::open(env.host("/context/.ax-tmp-held")).unwrap();
    held.lock_shared().unwrap();

    let planned = env
        .run(&["--json", "lifecycle", "--dry-run"])
        .success()
        .json_lines();
    let paths: Vec<&str> = planned
        .iter()
        .filter(|l| l["action"] == "sweep")
        .map(|l| l["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        ["/context/.ax-tmp-held", "/scratch/deep/.ax-tmp-abandoned"],
        "old temp files of writable mounts are planned"
    );
    assert!(
        env.exists("/scratch/deep/.ax-tmp-abandoned"),
        "a dry run changes nothing"
    );

    let done = env.run(&["--json", "lifecycle"]).success().json_lines();
    let swept: Vec<&str> = done
        .iter()
        .filter(|l| l["action"] == "sweep" && l["status"] == "done")
        .map(|l| l["path"].as_str().unwrap())
        .collect();
    assert_eq!(swept, ["/scratch/deep/.ax-tmp-abandoned"]);
    assert!(!env.exists("/scratch/deep/.ax-tmp-abandoned"));
    assert!(
        env.exists("/context/.ax-tmp-held"),
        "held by a write: never swept"
    );
    assert!(env.exists("/scratch/.ax-tmp-fresh"), "too young");
    assert!(
        env.exists("/docs/.ax-tmp-readonly"),
        "read-only mounts are left alone"
    );
    assert_eq!(
        env.read_string("/scratch/keep.txt"),
        "data\n",
        "data is not debris"
    );
    drop(held);
    env.run(&["lifecycle"]).success();
    assert!(!env.exists("/context/.ax-tmp-held"), "swept once released");
}
