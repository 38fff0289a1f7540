//! The command-line contract as a whole: global flags, usage errors, exit codes, `--help`
//! and the error-line format (snapshots).

use crate::common::{Outcome, TestEnv};

#[test]
fn json_is_global_before_or_after_the_subcommand() {
    let env = TestEnv::new();
    env.write("/scratch/a.txt", "a");
    let before = env
        .run(&["--json", "stat", "/scratch/a.txt"])
        .success()
        .json();
    let after = env
        .run(&["stat", "/scratch/a.txt", "--json"])
        .success()
        .json();
    assert_eq!(before["etag"], after["etag"]);
    assert_eq!(before["path"], "/scratch/a.txt");
}

#[test]
fn missing_arguments_are_a_usage_error_with_exit_2() {
    let env = TestEnv::new();
    env.run(&["cat"]).code(2);
    env.run(&["rm"]).code(2);
    env.run(&["edit", "/scratch/a.txt", "--old", "x"]).code(2);
    env.run(&["no-such-command"]).code(2);
    env.run(&["cat", "/scratch/a.txt", "--no-such-flag"])
        .code(2);
    env.run(&["find", "--type", "x"]).code(2);
}

#[test]
fn conflicting_preconditions_are_a_usage_error() {
    let env = TestEnv::new();
    env.run(&[
        "write",
        "/scratch/a",
        "x",
        "--if-match",
        "abc",
        "--if-none-match",
        "*",
    ])
    .code(2);
    env.run(&["write", "/scratch/a", "x", "--if-none-match", "abc"])
        .fails(2);
    assert!(!env.exists("/scratch/a"), "nothing was attempted");
}

#[test]
fn help_and_version_exit_0() {
    let env = TestEnv::new();
    let help = env.ok(&["--help"]);
    assert!(help.contains("Exit codes"), "{help}");
    let version = env.ok(&["--version"]);
    assert!(version.starts_with("ax "), "{version}");
    env.ok(&["write", "--help"]);
}

#[test]
fn help_snapshot() {
    let env = TestEnv::new();
    insta::assert_snapshot!("ax_help", env.ok(&["--help"]));
}

/// How a failed command looks to its caller: exit code, stdout and stderr.
fn transcript(out: &Outcome) -> String {
    format!(
        "exit: {:?}\nstdout: {:?}\nstderr: {}",
        out.code,
        out.stdout_text(),
        out.stderr
    )
}

#[test]
fn read_only_error_snapshot() {
    let env = TestEnv::new();
    let out = env.run(&["write", "/docs/new.md", "x"]);
    insta::assert_snapshot!("write_read_only_error", transcript(&out));
}

#[test]
fn not_found_error_snapshot() {
    let env = TestEnv::new();
    let out = env.run(&["cat", "/scratch/missing.md"]);
    insta::assert_snapshot!("cat_not_found_error", transcript(&out));
}
