//! `ax completions SHELL`, and the generated files kept in `completions/` being current.

use std::path::Path;

use crate::common::TestEnv;

/// (shell, committed file)
const SHELLS: &[(&str, &str)] = &[
    ("bash", "completions/ax.bash"),
    ("zsh", "completions/_ax"),
    ("fish", "completions/ax.fish"),
];

#[test]
fn completions_print_a_script_for_each_shell() {
    let env = TestEnv::empty();
    for (shell, _) in SHELLS {
        let out = crate::common::Outcome::of(env.ax_without_config().args(["completions", shell]));
        out.success();
        let script = out.stdout_text();
        assert!(script.contains("ax"), "{shell}: {script}");
        for sub in ["write", "append", "grep", "mounts"] {
            assert!(script.contains(sub), "{shell} completion lacks `{sub}`");
        }
    }
    assert!(
        !env.root().join(".ax-data").exists(),
        "printing completions touches no data"
    );
}

#[test]
fn completions_for_an_unknown_shell_are_a_usage_error() {
    let env = TestEnv::empty();
    env.ax_without_config()
        .args(["completions", "tcsh-9000"])
        .assert()
        .code(2);
}

#[test]
fn committed_completions_are_current() {
    let env = TestEnv::empty();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut stale = Vec::new();
    for (shell, file) in SHELLS {
        let out = crate::common::Outcome::of(env.ax_without_config().args(["completions", shell]));
        out.success();
        match std::fs::read(repo.join(file)) {
            Ok(committed) if committed == out.stdout => {}
            Ok(_) => stale.push(format!(
                "{file} is out of date; regenerate it with `cargo run -q -- completions {shell} > {file}`"
            )),
            Err(e) => stale.push(format!(
                "{file} cannot be read ({e}); generate it with `cargo run -q -- completions {shell} > {file}`"
            )),
        }
    }
    assert!(stale.is_empty(), "{}", stale.join("\n"));
}
