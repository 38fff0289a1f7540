//! Azure Blob storage (`az://`) through the built `ax`, against Azurite (started by
//! `scripts/test.sh`, see `scripts/azurite.sh`): concurrent appenders from many processes
//! and two conditional editors. The behaviour every backend shares is in `conformance.rs`;
//! the silent-endpoint test is in `cold.rs`.

use crate::common::{
    Outcome, TestEnv, append_race, assert_appended_whole, skip_or_fail, two_editors_race,
};

/// A test environment whose `/blob` is a fresh prefix of the Azurite container, and the
/// variables an `ax` child needs to reach the emulator.
fn blob(test: &str) -> Option<(TestEnv, Vec<(&'static str, String)>)> {
    let (Some(url), Some(emulator)) = (
        std::env::var("AX_TEST_AZURE_URL")
            .ok()
            .filter(|u| !u.is_empty()),
        std::env::var("AZURITE_BLOB_STORAGE_URL")
            .ok()
            .filter(|u| !u.is_empty()),
    ) else {
        return skip_or_fail(&format!(
            "{test}: no Azurite (AX_TEST_AZURE_URL unset; scripts/test.sh or scripts/azurite.sh sets it)"
        ));
    };
    let prefix = crate::common::s3::unique_prefix("azure");
    let env = TestEnv::with_config(&format!(
        "mounts:\n  - path: /blob\n    tier: cold\n    url: {url}/{prefix}/\n    options:\n      use_emulator: \"true\"\n"
    ));
    Some((env, vec![("AZURITE_BLOB_STORAGE_URL", emulator)]))
}

#[test]
fn ten_processes_appending_50_lines_each_lose_and_tear_nothing_on_azure() {
    let Some((env, vars)) = blob("azure::appends") else {
        return;
    };
    const WRITERS: usize = 10;
    const EACH: usize = 50;
    let process = || {
        let mut c = env.ax_process();
        c.envs(vars.iter().cloned());
        c
    };
    append_race(&process, "/blob/log.txt", WRITERS, EACH);
    let out = Outcome::of(
        env.ax()
            .envs(vars.iter().cloned())
            .args(["cat", "/blob/log.txt"]),
    );
    assert_appended_whole(&out.success().stdout_text(), WRITERS, EACH);
}

#[test]
fn of_two_editors_with_the_same_etag_exactly_one_wins_on_azure() {
    let Some((env, vars)) = blob("azure::editors") else {
        return;
    };
    let run = |args: &[&str]| Outcome::of(env.ax().envs(vars.iter().cloned()).args(args));
    run(&["write", "/blob/plan.md", "step one\n"]).success();
    two_editors_race(&run, "/blob/plan.md", 5);
}
