//! Azure Blob storage (`az://`) through the built `ax`, against Azurite (started by
//! `scripts/test.sh`, see `scripts/azurite.sh`): concurrent appenders from many processes
//! and two conditional editors. The behaviour every backend shares is in `conformance.rs`;
//! the silent-endpoint test is in `cold.rs`.

use std::collections::HashSet;
use std::process::Stdio;
use std::thread;

use crate::common::{Outcome, TestEnv, skip_or_fail, tagged_line, two_editors_race};

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
    let failures: Vec<String> = thread::scope(|s| {
        let hs: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (env, vars) = (&env, &vars);
                s.spawn(move || {
                    (0..EACH)
                        .filter_map(|l| {
                            let out = env
                                .ax_process()
                                .envs(vars.iter().cloned())
                                .args(["append", "/blob/log.txt", &tagged_line(w, l)])
                                .stdin(Stdio::null())
                                .output()
                                .expect("spawn ax");
                            (!out.status.success())
                                .then(|| String::from_utf8_lossy(&out.stderr).into_owned())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert!(
        failures.is_empty(),
        "{} failed: {:?}",
        failures.len(),
        failures.first()
    );
    let out = Outcome::of(
        env.ax()
            .envs(vars.iter().cloned())
            .args(["cat", "/blob/log.txt"]),
    );
    let text = out.success().stdout_text();
    let expected: HashSet<String> = (0..WRITERS)
        .flat_map(|w| (0..EACH).map(move |l| tagged_line(w, l)))
        .collect();
    let mut seen = HashSet::new();
    for l in text.lines() {
        assert!(expected.contains(l), "a torn or foreign line: {l:?}");
        assert!(seen.insert(l.to_string()), "a duplicated line: {l:?}");
    }
    assert_eq!(seen.len(), WRITERS * EACH, "lines lost");
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
