//! `grep`: ripgrep-style output over virtual paths.

use crate::common::{TestEnv, assert_has_keys};

/// Files with known matches in /scratch, /context and /archive (plus the /docs fixture).
fn corpus() -> TestEnv {
    let env = TestEnv::new();
    env.write("/scratch/a.txt", "first line\nthe needle here\nlast line\n");
    env.write(
        "/scratch/sub/b.txt",
        "Needle at the start\nno match\nneedles plural\n",
    );
    env.write("/context/c.md", "a.b literal\naxb regex only\n");
    env.write("/archive/old.txt", "archived needle\n");
    env
}

#[test]
fn grep_prints_path_line_and_text_with_virtual_paths() {
    let env = corpus();
    let out = env.run(&["grep", "--sort", "needle", "/scratch"]);
    out.success();
    assert_eq!(
        out.stdout_text(),
        "/scratch/a.txt:2:the needle here\n/scratch/sub/b.txt:3:needles plural\n"
    );
}

#[test]
fn grep_without_a_path_searches_every_mount() {
    let env = corpus();
    assert_eq!(
        env.ok(&["grep", "--sort", "needle"]),
        "/archive/old.txt:1:archived needle\n\
         /scratch/a.txt:2:the needle here\n\
         /scratch/sub/b.txt:3:needles plural\n"
    );
    assert_eq!(
        env.ok(&["grep", "--sort", "read-only"]),
        "/docs/readme.md:2:The docs mount is read-only.\n",
        "the read-only mount is searched too"
    );
}

#[test]
fn grep_accepts_several_paths_files_included() {
    let env = corpus();
    assert_eq!(
        env.ok(&["grep", "--sort", "needle", "/archive", "/scratch/a.txt"]),
        "/archive/old.txt:1:archived needle\n/scratch/a.txt:2:the needle here\n"
    );
}

#[test]
fn grep_ignore_case() {
    let env = corpus();
    assert_eq!(
        env.ok(&["grep", "--sort", "-i", "NEEDLE", "/scratch/sub"]),
        "/scratch/sub/b.txt:1:Needle at the start\n/scratch/sub/b.txt:3:needles plural\n"
    );
}

#[test]
fn grep_fixed_strings_treats_the_pattern_literally() {
    let env = corpus();
    assert_eq!(
        env.ok(&["grep", "--sort", "a.b", "/context"]),
        "/context/c.md:1:a.b literal\n/context/c.md:2:axb regex only\n"
    );
    assert_eq!(
        env.ok(&["grep", "--sort", "-F", "a.b", "/context"]),
        "/context/c.md:1:a.b literal\n"
    );
}

#[test]
fn grep_word_regexp_matches_whole_words() {
    let env = corpus();
    assert_eq!(
        env.ok(&["grep", "--sort", "-w", "needle", "/scratch"]),
        "/scratch/a.txt:2:the needle here\n"
    );
}

#[test]
fn grep_files_with_matches_lists_paths_once() {
    let env = corpus();
    assert_eq!(
        env.ok(&["grep", "--sort", "-l", "-i", "needle", "/scratch"]),
        "/scratch/a.txt\n/scratch/sub/b.txt\n"
    );
}

#[test]
fn grep_count_prints_matching_lines_per_file() {
    let env = corpus();
    assert_eq!(
        env.ok(&["grep", "--sort", "-c", "-i", "needle", "/scratch"]),
        "/scratch/a.txt:1\n/scratch/sub/b.txt:2\n"
    );
}

#[test]
fn grep_max_count_stops_per_file() {
    let env = corpus();
    assert_eq!(
        env.ok(&["grep", "--sort", "-i", "-m", "1", "needle", "/scratch"]),
        "/scratch/a.txt:2:the needle here\n/scratch/sub/b.txt:1:Needle at the start\n"
    );
}

#[test]
fn grep_skips_binary_files() {
    let env = corpus();
    env.write("/scratch/blob.bin", b"needle\x00binary needle\n");
    let out = env.ok(&["grep", "--sort", "needle", "/scratch"]);
    assert!(!out.contains("blob.bin"), "{out}");
    assert_eq!(
        out,
        "/scratch/a.txt:2:the needle here\n/scratch/sub/b.txt:3:needles plural\n"
    );
}

#[test]
fn grep_with_no_match_exits_1_and_prints_nothing() {
    let env = corpus();
    let out = env.run(&["grep", "zebra-never-there"]);
    out.code(1);
    assert!(out.stdout.is_empty(), "{}", out.stdout_text());
}

#[test]
fn grep_only_in_binary_files_is_no_match() {
    let env = TestEnv::new();
    env.write("/scratch/blob.bin", b"needle\x00\x01\x02");
    env.run(&["grep", "needle", "/scratch"]).code(1);
}

#[test]
fn grep_of_a_missing_path_fails_with_exit_1() {
    let env = corpus();
    env.run(&["grep", "needle", "/scratch/missing"])
        .fails_at(1, "/scratch/missing");
}

#[test]
fn grep_with_an_invalid_regex_is_a_usage_error() {
    let env = corpus();
    env.run(&["grep", "(unclosed", "/scratch"]).fails(2);
}

#[test]
fn grep_json_is_json_lines_with_matches_and_a_final_summary() {
    let env = corpus();
    let rows = env
        .run(&["grep", "--json", "--sort", "needle", "/scratch"])
        .success()
        .json_lines();
    assert_eq!(rows.len(), 3, "{rows:?}");
    let (summary, matches) = rows.split_last().unwrap();
    for m in matches {
        assert_has_keys(m, &["type", "path", "line_number", "text"]);
        assert_eq!(m["type"], "match");
    }
    assert_eq!(matches[0]["path"], "/scratch/a.txt");
    assert_eq!(matches[0]["line_number"], 2);
    assert_eq!(
        matches[0]["text"].as_str().unwrap().trim_end_matches('\n'),
        "the needle here"
    );
    assert_eq!(matches[1]["path"], "/scratch/sub/b.txt");
    assert_eq!(matches[1]["line_number"], 3);
    assert_eq!(summary["type"], "summary", "{summary}");
}

#[test]
fn grep_json_with_no_match_still_prints_the_summary_and_exits_1() {
    let env = corpus();
    let out = env.run(&["grep", "--json", "zebra-never-there", "/scratch"]);
    out.code(1);
    let rows = out.json_lines();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["type"], "summary");
}
