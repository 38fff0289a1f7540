//! File commands: `write`, `append`, `cat`, `edit`, `rm`.

use crate::common::{DOCS_FIXTURE, TestEnv, assert_keys};

const TEN_LINES: &str =
    "line 1\nline 2\nline 3\nline 4\nline 5\nline 6\nline 7\nline 8\nline 9\nline 10\n";

// ---- write ----------------------------------------------------------------------------------

#[test]
fn write_stores_content_verbatim_without_adding_a_newline() {
    let env = TestEnv::new();
    let out = env.run(&["write", "/scratch/a.txt", "hello"]);
    out.success();
    assert!(out.stdout.is_empty(), "text mode prints nothing on success");
    assert_eq!(env.read("/scratch/a.txt"), b"hello");
}

#[test]
fn write_creates_missing_parent_directories() {
    let env = TestEnv::new();
    env.ok(&["write", "/context/deep/er/plan.md", "# plan\n"]);
    assert_eq!(env.read("/context/deep/er/plan.md"), b"# plan\n");
}

#[test]
fn write_replaces_an_existing_file() {
    let env = TestEnv::new();
    env.write("/scratch/a.txt", "a much longer old content\n");
    env.ok(&["write", "/scratch/a.txt", "new"]);
    assert_eq!(env.read("/scratch/a.txt"), b"new");
}

#[test]
fn write_reads_stdin_when_content_is_omitted() {
    let env = TestEnv::new();
    env.run_stdin(&["write", "/scratch/in.txt"], "from stdin\nsecond line")
        .success();
    assert_eq!(env.read("/scratch/in.txt"), b"from stdin\nsecond line");
}

#[test]
fn write_reads_stdin_when_content_is_dash() {
    let env = TestEnv::new();
    env.run_stdin(&["write", "/scratch/in.txt", "-"], "dash means stdin")
        .success();
    assert_eq!(env.read("/scratch/in.txt"), b"dash means stdin");
}

#[test]
fn write_of_empty_stdin_creates_an_empty_file() {
    let env = TestEnv::new();
    env.run_stdin(&["write", "/scratch/empty"], "").success();
    assert_eq!(env.read("/scratch/empty"), b"");
}

#[test]
fn binary_round_trip_of_all_256_byte_values_through_stdin() {
    let env = TestEnv::new();
    let bytes: Vec<u8> = (0..=255u8).collect();
    env.run_stdin(&["write", "/scratch/bin"], bytes.clone())
        .success();
    assert_eq!(env.read("/scratch/bin"), bytes, "bytes on disk");
    let out = env.run(&["cat", "/scratch/bin"]);
    out.success();
    assert_eq!(out.stdout, bytes, "bytes from ax cat");
}

#[test]
fn write_json_reports_path_bytes_created_and_etag() {
    let env = TestEnv::new();
    let first = env
        .run(&["write", "--json", "/scratch/j.txt", "hello"])
        .success()
        .json();
    assert_keys(&first, &["path", "bytes", "created", "etag"]);
    assert_eq!(first["path"], "/scratch/j.txt");
    assert_eq!(first["bytes"], 5);
    assert_eq!(first["created"], true);
    let tag = first["etag"].as_str().expect("etag is a string");
    assert!(!tag.is_empty());
    assert_eq!(tag, env.etag("/scratch/j.txt"), "same ETag as ax stat");

    let second = env
        .run(&["write", "/scratch/j.txt", "hello, world", "--json"])
        .success()
        .json();
    assert_eq!(second["created"], false);
    assert_eq!(second["bytes"], 12);
    assert_ne!(second["etag"], first["etag"], "new content, new ETag");
}

#[test]
fn write_if_match_with_the_current_etag_replaces_the_file() {
    let env = TestEnv::new();
    env.ok(&["write", "/scratch/f.txt", "v1"]);
    let tag = env.etag("/scratch/f.txt");
    env.ok(&["write", "/scratch/f.txt", "v2", "--if-match", &tag]);
    assert_eq!(env.read("/scratch/f.txt"), b"v2");
}

#[test]
fn write_if_match_with_a_stale_etag_exits_3_and_leaves_the_file() {
    let env = TestEnv::new();
    env.ok(&["write", "/scratch/f.txt", "v1"]);
    let stale = env.etag("/scratch/f.txt");
    env.ok(&["write", "/scratch/f.txt", "v2"]);
    env.run(&["write", "/scratch/f.txt", "v3", "--if-match", &stale])
        .fails_at(3, "/scratch/f.txt");
    assert_eq!(env.read("/scratch/f.txt"), b"v2");
}

#[test]
fn write_if_match_on_a_missing_file_exits_3_and_creates_nothing() {
    let env = TestEnv::new();
    env.ok(&["write", "/scratch/f.txt", "v1"]);
    let tag = env.etag("/scratch/f.txt");
    env.run(&["write", "/scratch/other.txt", "x", "--if-match", &tag])
        .fails(3);
    assert!(!env.exists("/scratch/other.txt"));
}

#[test]
fn write_if_none_match_star_creates_a_missing_file() {
    let env = TestEnv::new();
    env.ok(&[
        "write",
        "/scratch/new.txt",
        "created",
        "--if-none-match",
        "*",
    ]);
    assert_eq!(env.read("/scratch/new.txt"), b"created");
}

#[test]
fn write_if_none_match_star_on_an_existing_file_exits_3_and_leaves_it() {
    let env = TestEnv::new();
    env.write("/scratch/there.txt", "original");
    env.run(&[
        "write",
        "/scratch/there.txt",
        "clobber",
        "--if-none-match",
        "*",
    ])
    .fails_at(3, "/scratch/there.txt");
    assert_eq!(env.read("/scratch/there.txt"), b"original");
}

#[test]
fn write_to_a_directory_fails_with_exit_1() {
    let env = TestEnv::new();
    env.mkdir("/scratch/dir");
    env.run(&["write", "/scratch/dir", "x"])
        .fails_at(1, "/scratch/dir");
    assert!(env.host("/scratch/dir").is_dir());
}

#[test]
fn write_to_a_mount_point_or_the_root_fails_with_exit_1() {
    let env = TestEnv::new();
    env.write("/scratch/keep.txt", "keep");
    env.run(&["write", "/scratch", "x"]).fails_at(1, "/scratch");
    env.run(&["write", "/", "x"]).fails_at(1, "/");
    assert!(env.host("/scratch").is_dir());
    assert_eq!(env.read("/scratch/keep.txt"), b"keep");
}

#[test]
fn write_to_a_path_outside_every_mount_fails_with_exit_1() {
    let env = TestEnv::new();
    env.run(&["write", "/nowhere/x.txt", "x"]).fails(1);
}

// ---- append ---------------------------------------------------------------------------------

#[test]
fn append_creates_a_missing_file() {
    let env = TestEnv::new();
    let out = env.run(&["append", "/scratch/log.txt", "first"]);
    out.success();
    assert!(out.stdout.is_empty(), "text mode prints nothing on success");
    assert_eq!(env.read("/scratch/log.txt"), b"first\n");
}

#[test]
fn append_adds_a_newline_to_an_argument_that_lacks_one() {
    let env = TestEnv::new();
    env.write("/scratch/log.txt", "a\n");
    env.ok(&["append", "/scratch/log.txt", "b"]);
    env.ok(&["append", "/scratch/log.txt", "c\n"]);
    assert_eq!(env.read_string("/scratch/log.txt"), "a\nb\nc\n");
}

#[test]
fn append_from_stdin_is_verbatim() {
    let env = TestEnv::new();
    env.write("/scratch/log.txt", "a\n");
    env.run_stdin(&["append", "/scratch/log.txt"], "no newline")
        .success();
    env.run_stdin(&["append", "/scratch/log.txt", "-"], "\x00\x01 more")
        .success();
    assert_eq!(env.read("/scratch/log.txt"), b"a\nno newline\x00\x01 more");
}

#[test]
fn append_json_reports_path_bytes_created_and_etag() {
    let env = TestEnv::new();
    let first = env
        .run(&["--json", "append", "/scratch/log.txt", "one"])
        .success()
        .json();
    assert_keys(&first, &["path", "bytes", "created", "etag"]);
    assert_eq!(first["path"], "/scratch/log.txt");
    assert_eq!(first["created"], true);
    assert_eq!(first["bytes"], 4, "the added newline counts");
    let second = env
        .run(&["--json", "append", "/scratch/log.txt", "two"])
        .success()
        .json();
    assert_eq!(second["created"], false);
    assert_eq!(
        second["etag"].as_str().unwrap(),
        env.etag("/scratch/log.txt")
    );
}

#[test]
fn append_if_match_with_the_current_etag_appends() {
    let env = TestEnv::new();
    env.write("/scratch/log.txt", "a\n");
    let tag = env.etag("/scratch/log.txt");
    env.ok(&["append", "/scratch/log.txt", "b", "--if-match", &tag]);
    assert_eq!(env.read_string("/scratch/log.txt"), "a\nb\n");
}

#[test]
fn append_if_match_with_a_stale_etag_exits_3_and_leaves_the_file() {
    let env = TestEnv::new();
    env.write("/scratch/log.txt", "a\n");
    let stale = env.etag("/scratch/log.txt");
    env.ok(&["append", "/scratch/log.txt", "b"]);
    env.run(&["append", "/scratch/log.txt", "c", "--if-match", &stale])
        .fails_at(3, "/scratch/log.txt");
    assert_eq!(env.read_string("/scratch/log.txt"), "a\nb\n");
}

// ---- cat ------------------------------------------------------------------------------------

#[test]
fn cat_prints_the_raw_bytes() {
    let env = TestEnv::new();
    env.write("/scratch/a.txt", "no trailing newline");
    let out = env.run(&["cat", "/scratch/a.txt"]);
    out.success();
    assert_eq!(out.stdout, b"no trailing newline");
    assert!(out.stderr.is_empty(), "stderr: {}", out.stderr);
}

#[test]
fn cat_reads_the_read_only_and_cold_mounts() {
    let env = TestEnv::new();
    assert_eq!(
        env.ok(&["cat", "/docs/readme.md"]),
        "# Docs\nThe docs mount is read-only.\n"
    );
    env.write("/archive/old.txt", "cold bytes");
    assert_eq!(env.ok(&["cat", "/archive/old.txt"]), "cold bytes");
}

#[test]
fn cat_offset_and_limit_print_a_header_and_the_window() {
    let env = TestEnv::new();
    env.write("/scratch/ten.txt", TEN_LINES);
    assert_eq!(
        env.ok(&["cat", "/scratch/ten.txt", "--offset", "3", "--limit", "4"]),
        "[lines 3-6 of 10]\nline 3\nline 4\nline 5\nline 6\n"
    );
}

#[test]
fn cat_limit_alone_starts_at_line_1() {
    let env = TestEnv::new();
    env.write("/scratch/ten.txt", TEN_LINES);
    assert_eq!(
        env.ok(&["cat", "/scratch/ten.txt", "--limit", "2"]),
        "[lines 1-2 of 10]\nline 1\nline 2\n"
    );
}

#[test]
fn cat_offset_alone_runs_to_the_end() {
    let env = TestEnv::new();
    env.write("/scratch/ten.txt", TEN_LINES);
    assert_eq!(
        env.ok(&["cat", "/scratch/ten.txt", "--offset", "9"]),
        "[lines 9-10 of 10]\nline 9\nline 10\n"
    );
}

#[test]
fn cat_limit_past_the_end_is_clamped() {
    let env = TestEnv::new();
    env.write("/scratch/ten.txt", TEN_LINES);
    assert_eq!(
        env.ok(&["cat", "/scratch/ten.txt", "--offset", "8", "--limit", "100"]),
        "[lines 8-10 of 10]\nline 8\nline 9\nline 10\n"
    );
}

#[test]
fn cat_numbered_prefixes_lines_like_cat_n() {
    let env = TestEnv::new();
    env.write("/scratch/three.txt", "a\nb\nc\n");
    assert_eq!(
        env.ok(&["cat", "-n", "/scratch/three.txt"]),
        "     1\ta\n     2\tb\n     3\tc\n"
    );
    assert_eq!(
        env.ok(&["cat", "--numbered", "/scratch/three.txt"]),
        "     1\ta\n     2\tb\n     3\tc\n"
    );
}

#[test]
fn cat_numbered_window_numbers_lines_from_the_offset() {
    let env = TestEnv::new();
    env.write("/scratch/ten.txt", TEN_LINES);
    assert_eq!(
        env.ok(&[
            "cat",
            "-n",
            "/scratch/ten.txt",
            "--offset",
            "9",
            "--limit",
            "1"
        ]),
        "[lines 9-9 of 10]\n     9\tline 9\n"
    );
}

#[test]
fn cat_json_reports_the_window_and_content() {
    let env = TestEnv::new();
    env.write("/scratch/ten.txt", TEN_LINES);
    let v = env
        .run(&[
            "cat",
            "/scratch/ten.txt",
            "--json",
            "--offset",
            "2",
            "--limit",
            "2",
        ])
        .success()
        .json();
    assert_keys(
        &v,
        &[
            "path",
            "etag",
            "size",
            "start_line",
            "end_line",
            "total_lines",
            "truncated",
            "content",
        ],
    );
    assert_eq!(v["truncated"], true, "lines remain after the window");
    assert_eq!(v["path"], "/scratch/ten.txt");
    assert_eq!(v["size"], TEN_LINES.len());
    assert_eq!(v["start_line"], 2);
    assert_eq!(v["end_line"], 3);
    assert_eq!(v["total_lines"], 10);
    assert_eq!(v["content"], "line 2\nline 3\n");
    assert_eq!(v["etag"].as_str().unwrap(), env.etag("/scratch/ten.txt"));
}

#[test]
fn cat_json_of_a_whole_file() {
    let env = TestEnv::new();
    env.write("/scratch/three.txt", "a\nb\nc\n");
    let v = env
        .run(&["--json", "cat", "/scratch/three.txt"])
        .success()
        .json();
    assert_eq!(v["content"], "a\nb\nc\n");
    assert_eq!(v["start_line"], 1);
    assert_eq!(v["end_line"], 3);
    assert_eq!(v["total_lines"], 3);
}

#[test]
fn cat_json_of_a_binary_file_is_an_error() {
    let env = TestEnv::new();
    env.write("/scratch/bin", [0xff, 0xfe, 0x00, 0x80]);
    let out = env.run(&["cat", "--json", "/scratch/bin"]);
    out.fails_at(1, "/scratch/bin");
    assert!(out.stdout.is_empty(), "no partial JSON on stdout");
}

#[test]
fn cat_of_a_directory_fails_with_exit_1() {
    let env = TestEnv::new();
    env.mkdir("/scratch/dir");
    let out = env.run(&["cat", "/scratch/dir"]);
    out.fails_at(1, "/scratch/dir");
    assert!(out.stdout.is_empty());
}

#[test]
fn cat_of_a_missing_file_fails_with_exit_1_naming_the_virtual_path() {
    let env = TestEnv::new();
    let line = env
        .run(&["cat", "/scratch/nope.txt"])
        .fails_at(1, "/scratch/nope.txt");
    let host = env.root().display().to_string();
    assert!(
        !line.contains(&host),
        "errors never show the host path: {line}"
    );
}

// ---- edit -----------------------------------------------------------------------------------

#[test]
fn edit_replaces_a_unique_occurrence() {
    let env = TestEnv::new();
    env.write(
        "/scratch/code.rs",
        "fn main() {\n    println!(\"hi\");\n}\n",
    );
    let out = env.run(&[
        "edit",
        "/scratch/code.rs",
        "--old",
        "\"hi\"",
        "--new",
        "\"hello\"",
    ]);
    out.success();
    assert!(out.stdout.is_empty(), "text mode prints nothing on success");
    assert_eq!(
        env.read_string("/scratch/code.rs"),
        "fn main() {\n    println!(\"hello\");\n}\n"
    );
}

#[test]
fn edit_fails_with_exit_1_when_the_text_is_absent() {
    let env = TestEnv::new();
    env.write("/scratch/f.txt", "alpha beta\n");
    env.run(&["edit", "/scratch/f.txt", "--old", "gamma", "--new", "delta"])
        .fails_at(1, "/scratch/f.txt");
    assert_eq!(env.read_string("/scratch/f.txt"), "alpha beta\n");
}

#[test]
fn edit_fails_with_exit_1_when_the_text_is_not_unique() {
    let env = TestEnv::new();
    env.write("/scratch/f.txt", "x = 1\nx = 1\n");
    env.run(&["edit", "/scratch/f.txt", "--old", "x = 1", "--new", "x = 2"])
        .fails_at(1, "/scratch/f.txt");
    assert_eq!(env.read_string("/scratch/f.txt"), "x = 1\nx = 1\n");
}

#[test]
fn edit_all_replaces_every_occurrence() {
    let env = TestEnv::new();
    env.write("/scratch/f.txt", "x = 1\ny = 0\nx = 1\n");
    env.ok(&[
        "edit",
        "/scratch/f.txt",
        "--old",
        "x = 1",
        "--new",
        "x = 2",
        "--all",
    ]);
    assert_eq!(env.read_string("/scratch/f.txt"), "x = 2\ny = 0\nx = 2\n");
}

#[test]
fn edit_handles_multiline_text() {
    let env = TestEnv::new();
    env.write("/scratch/f.txt", "a\nb\nc\n");
    env.ok(&["edit", "/scratch/f.txt", "--old", "a\nb\n", "--new", "B\n"]);
    assert_eq!(env.read_string("/scratch/f.txt"), "B\nc\n");
}

#[test]
fn edit_json_reports_replacements_and_the_new_etag() {
    let env = TestEnv::new();
    env.write("/scratch/f.txt", "a a a\n");
    let v = env
        .run(&[
            "edit",
            "--json",
            "/scratch/f.txt",
            "--old",
            "a",
            "--new",
            "b",
            "--all",
        ])
        .success()
        .json();
    assert_keys(&v, &["path", "replacements", "etag"]);
    assert_eq!(v["path"], "/scratch/f.txt");
    assert_eq!(v["replacements"], 3);
    assert_eq!(v["etag"].as_str().unwrap(), env.etag("/scratch/f.txt"));
    assert_eq!(env.read_string("/scratch/f.txt"), "b b b\n");
}

#[test]
fn edit_if_match_with_a_stale_etag_exits_3_and_leaves_the_file() {
    let env = TestEnv::new();
    env.write("/scratch/f.txt", "one\n");
    let stale = env.etag("/scratch/f.txt");
    env.ok(&["write", "/scratch/f.txt", "two\n"]);
    env.run(&[
        "edit",
        "/scratch/f.txt",
        "--old",
        "two",
        "--new",
        "three",
        "--if-match",
        &stale,
    ])
    .fails_at(3, "/scratch/f.txt");
    assert_eq!(env.read_string("/scratch/f.txt"), "two\n");
}

#[test]
fn edit_if_match_with_the_current_etag_edits() {
    let env = TestEnv::new();
    env.write("/scratch/f.txt", "one\n");
    let tag = env.etag("/scratch/f.txt");
    env.ok(&[
        "edit",
        "/scratch/f.txt",
        "--old",
        "one",
        "--new",
        "uno",
        "--if-match",
        &tag,
    ]);
    assert_eq!(env.read_string("/scratch/f.txt"), "uno\n");
}

#[test]
fn edit_of_a_missing_file_fails_with_exit_1() {
    let env = TestEnv::new();
    env.run(&["edit", "/scratch/none.txt", "--old", "a", "--new", "b"])
        .fails_at(1, "/scratch/none.txt");
    assert!(!env.exists("/scratch/none.txt"));
}

// ---- rm -------------------------------------------------------------------------------------

#[test]
fn rm_deletes_a_file() {
    let env = TestEnv::new();
    env.write("/scratch/a.txt", "a");
    env.ok(&["rm", "/scratch/a.txt"]);
    assert!(!env.exists("/scratch/a.txt"));
}

#[test]
fn rm_deletes_several_files() {
    let env = TestEnv::new();
    env.write("/scratch/a.txt", "a");
    env.write("/context/b.txt", "b");
    env.ok(&["rm", "/scratch/a.txt", "/context/b.txt"]);
    assert!(!env.exists("/scratch/a.txt"));
    assert!(!env.exists("/context/b.txt"));
}

#[test]
fn rm_of_a_directory_needs_r() {
    let env = TestEnv::new();
    env.write("/scratch/dir/a.txt", "a");
    let err = env.run(&["rm", "/scratch/dir"]).fails_at(1, "/scratch/dir");
    assert!(
        err.contains("`ax rm -r /scratch/dir`") && !err.contains("recursive: true"),
        "the CLI's advice names its flag: {err}"
    );
    // the same failure through `ax call` is a tool call, worded with the tool's argument
    let err = env
        .run(&["call", "ax_delete", r#"{"path": "/scratch/dir"}"#])
        .fails(1);
    assert!(err.contains("recursive: true"), "{err}");
    assert_eq!(env.read("/scratch/dir/a.txt"), b"a");
    env.ok(&["rm", "-r", "/scratch/dir"]);
    assert!(!env.exists("/scratch/dir"));
    assert!(env.host("/scratch").is_dir(), "the mount root stays");
}

#[test]
fn rm_of_a_missing_path_fails_unless_forced() {
    let env = TestEnv::new();
    env.run(&["rm", "/scratch/missing"])
        .fails_at(1, "/scratch/missing");
    env.write("/scratch/a.txt", "a");
    env.ok(&["rm", "-f", "/scratch/missing", "/scratch/a.txt"]);
    assert!(!env.exists("/scratch/a.txt"));
}

#[test]
fn rm_refuses_a_mount_point_and_keeps_its_files() {
    let env = TestEnv::new();
    env.write("/scratch/keep.txt", "keep");
    for args in [
        &["rm", "/scratch"][..],
        &["rm", "-r", "/scratch"],
        &["rm", "-rf", "/scratch"],
        &["rm", "-r", "/scratch/"],
    ] {
        env.run(args).fails(1);
        assert!(
            env.host("/scratch").is_dir(),
            "{args:?} removed the mount root"
        );
        assert_eq!(env.read("/scratch/keep.txt"), b"keep", "{args:?}");
    }
}

#[test]
fn rm_refuses_the_root() {
    let env = TestEnv::new();
    env.write("/scratch/keep.txt", "keep");
    let line = env.run(&["rm", "-r", "/"]).fails_at(1, "/");
    assert!(
        !line.contains("//"),
        "the hint must name commands that work: {line}"
    );
    env.run(&["rm", "-rf", "/"]).fails(1);
    env.run(&["rm", "/"]).fails(1);
    assert_eq!(env.read("/scratch/keep.txt"), b"keep");
    assert_eq!(env.read_string("/docs/readme.md"), DOCS_FIXTURE[0].1);
}

// ---- property: byte-exact round trips -------------------------------------------------------

#[test]
fn any_bytes_written_through_stdin_come_back_from_cat_unchanged() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    let env = TestEnv::new();
    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&prop::collection::vec(any::<u8>(), 0..8192), |bytes| {
            env.run_stdin(&["write", "/scratch/prop.bin"], bytes.clone())
                .success();
            prop_assert_eq!(env.read("/scratch/prop.bin"), bytes.clone());
            let out = env.run(&["cat", "/scratch/prop.bin"]);
            out.success();
            prop_assert_eq!(out.stdout, bytes);
            Ok(())
        })
        .unwrap();
}
