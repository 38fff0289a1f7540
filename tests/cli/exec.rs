//! `ax exec` and the `ax_exec` tool: results, time limit, output cap, and what the Landlock
//! sandbox lets a command read and write — probed with real files outside the mounts.

use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{TestEnv, assert_keys, skip_or_fail};

const CONFIG: &str = "\
mounts:
  - path: /proj
    tier: warm
    root: ./data/proj
    exec: true
  - path: /context
    tier: hot
    root: ./data/context
  - path: /docs
    tier: warm
    root: ./data/docs
    read_only: true
    exec: true
  - path: /archive
    tier: cold
    url: file://./data/archive
";

const RESULT_KEYS: &[&str] = &[
    "exit_code",
    "stdout",
    "stderr",
    "timed_out",
    "duration_ms",
    "truncated",
    "cwd",
    "sandbox",
];

/// The exec test layout, with a file in each local mount and a secret outside them all (in
/// the test's home folder, as `~/.ssh/id_ed25519` would be).
fn exec_env(extra: &str) -> TestEnv {
    let env = TestEnv::with_config(&format!("{CONFIG}{extra}"));
    for (p, c) in [
        ("data/proj/main.sh", "echo from-proj\n"),
        ("data/context/plan.md", "the plan\n"),
        ("data/docs/guide.md", "the guide\n"),
        (".ssh/id_ed25519", "PRIVATE-KEY-MATERIAL\n"),
        ("outside/secret.txt", "OUTSIDE-SECRET\n"),
    ] {
        let path = env.root().join(p);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, c).unwrap();
    }
    env
}

fn host(env: &TestEnv, rel: &str) -> PathBuf {
    env.root().join(rel)
}

/// `ax --json exec --in DIR -- sh -c SCRIPT`, its result checked for shape.
fn exec_json(env: &TestEnv, dir: &str, script: &str) -> Value {
    let out = env.run(&["--json", "exec", "--in", dir, "--", "sh", "-c", script]);
    let v = out.json();
    assert_keys(&v, RESULT_KEYS);
    assert_eq!(
        out.code,
        Some(v["exit_code"].as_i64().unwrap() as i32),
        "ax exits with the command's status"
    );
    v
}

/// [`exec_env`] where Landlock can be used; otherwise the skip-gate (CI requires it).
fn sandboxed(extra: &str) -> Option<TestEnv> {
    let env = exec_env(extra);
    landlock(&env).then_some(env)
}

/// True when Landlock can be used here.
fn landlock(env: &TestEnv) -> bool {
    let out = env.run(&["exec", "--in", "/proj", "--", "true"]);
    if out.code == Some(0) {
        return true;
    }
    assert!(
        out.stderr.contains("Landlock"),
        "unexpected failure: {}",
        out.stderr
    );
    skip_or_fail::<()>("ax exec: Landlock is not available on this kernel");
    false
}

#[test]
fn a_command_runs_in_its_mount_and_its_status_and_output_come_back() {
    let Some(env) = sandboxed("") else {
        return;
    };
    // Passed through live, exit status passed on.
    let out = env.run(&[
        "exec",
        "--in",
        "/proj",
        "--",
        "sh",
        "-c",
        "sh main.sh; pwd; echo oops >&2; exit 7",
    ]);
    out.code(7);
    let stdout = out.stdout_text();
    assert!(stdout.starts_with("from-proj\n"), "{stdout}");
    assert!(
        stdout.contains(
            &fs::canonicalize(host(&env, "data/proj"))
                .unwrap()
                .display()
                .to_string()
        ),
        "runs in the mount's folder: {stdout}"
    );
    assert_eq!(out.stderr, "oops\n");

    let v = exec_json(&env, "/proj", "printf 'a\\nb'; echo e >&2; exit 3");
    assert_eq!(v["exit_code"], 3);
    assert_eq!(v["stdout"], "a\nb");
    assert_eq!(v["stderr"], "e\n");
    assert_eq!(v["timed_out"], false);
    assert_eq!(v["truncated"], false);
    assert_eq!(v["cwd"], "/proj");
    assert_eq!(v["sandbox"], "landlock");

    // A missing program is the shell's 127, a result like any other.
    let out = env.run(&["exec", "--in", "/proj", "--", "no-such-program-ax"]);
    out.code(127);
    // A signal is 128 + N.
    let v = exec_json(&env, "/proj", "kill -TERM $$");
    assert_eq!(v["exit_code"], 128 + 15);
}

#[test]
fn the_time_limit_kills_the_whole_process_group_and_exits_124() {
    let Some(env) = sandboxed("") else {
        return;
    };
    let started = Instant::now();
    let out = env.run(&[
        "--json",
        "exec",
        "--timeout",
        "1s",
        "--in",
        "/proj",
        "--",
        "sh",
        "-c",
        "sleep 60 & echo $! > child.pid; echo started; sleep 60",
    ]);
    let took = started.elapsed();
    out.code(124);
    let v2 = out.json();
    assert_eq!(v2["timed_out"], true);
    assert_eq!(v2["exit_code"], 124);
    assert_eq!(v2["stdout"], "started\n", "output before the kill is kept");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(v2["duration_ms"].as_u64().unwrap() >= 1000);
    let pid = fs::read_to_string(host(&env, "data/proj/child.pid")).unwrap();
    assert!(gone(pid.trim()), "the sleeping child {pid} was not killed");

    // Whatever the command leaves running in its group is killed when it exits.
    let v = exec_json(&env, "/proj", "sleep 60 & echo $! > bg.pid");
    assert_eq!(v["exit_code"], 0);
    let pid = fs::read_to_string(host(&env, "data/proj/bg.pid")).unwrap();
    assert!(
        gone(pid.trim()),
        "the background child {pid} outlived the run"
    );

    // The plain CLI says why it stopped.
    let out = env.run(&[
        "exec",
        "--timeout",
        "500ms",
        "--in",
        "/proj",
        "--",
        "sleep",
        "30",
    ]);
    out.code(124);
    assert!(
        out.stderr.contains("timed out after 0.5 s"),
        "{}",
        out.stderr
    );

    // Limits: above exec.max_timeout (default 10m) is refused before anything runs.
    let line = env
        .run(&["exec", "--timeout", "2h", "--in", "/proj", "--", "true"])
        .fails(2);
    assert!(line.contains("max_timeout"), "{line}");
}

/// Whether process `pid` has ended (gone, or a zombie waiting for its reaper).
fn gone(pid: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => return true,
            Ok(s)
                if s.rsplit(')')
                    .next()
                    .is_some_and(|r| r.trim_start().starts_with('Z')) =>
            {
                return true;
            }
            Ok(_) if Instant::now() > deadline => return false,
            Ok(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

#[test]
fn output_over_the_limit_keeps_its_head_and_tail_and_says_what_was_dropped() {
    let Some(env) = sandboxed("exec:\n  output_limit: 4KiB\n") else {
        return;
    };
    // 100,000 bytes: 'S', then 'a's, then 'E' at the very end.
    let v = exec_json(
        &env,
        "/proj",
        "printf S; head -c 99998 /dev/zero | tr '\\0' a; printf E; echo small >&2",
    );
    assert_eq!(v["truncated"], true);
    assert_eq!(v["stderr"], "small\n", "the other stream is untouched");
    let s = v["stdout"].as_str().unwrap();
    assert!(s.starts_with("Saaa"), "{}", &s[..20]);
    assert!(s.ends_with("aaaE"), "the end is kept");
    let dropped = 100_000 - 4096;
    assert!(
        s.contains(&format!("[ax: {dropped} bytes of stdout dropped here")),
        "the note says how much was dropped"
    );
    let kept = s.len() - s.lines().find(|l| l.starts_with("[ax:")).unwrap().len() - 2;
    assert_eq!(kept, 4096, "exactly the limit is kept");
}

#[test]
fn the_sandbox_keeps_reads_inside_the_mounts_and_system_folders() {
    let Some(env) = sandboxed("") else {
        return;
    };
    let secret = host(&env, "outside/secret.txt");
    let key = host(&env, ".ssh/id_ed25519");
    let v = exec_json(
        &env,
        "/proj",
        &format!(
            "cat {} ; cat {} ; cat ~/.ssh/id_ed25519 ; ls ~ ; cat ../context/plan.md ../docs/guide.md ; head -c 4 /etc/passwd ; echo; cat /etc/shadow; cat /proc/$PPID/environ; echo done",
            secret.display(),
            key.display()
        ),
    );
    let out = v["stdout"].as_str().unwrap();
    let err = v["stderr"].as_str().unwrap();
    for leaked in ["OUTSIDE-SECRET", "PRIVATE-KEY", "root:x:0:0:"] {
        assert!(!out.contains(leaked), "{leaked} leaked: {out}");
    }
    assert!(
        out.contains("the plan\nthe guide\n"),
        "other mounts are readable: {out}"
    );
    assert!(out.contains("root"), "/etc/passwd is readable: {out}");
    assert!(out.ends_with("done\n"), "{out}");
    assert!(err.matches("Permission denied").count() >= 4, "{err}");
    // ax's own environment is out of reach (it would hold the credentials denied below).
    assert!(!out.contains("AX_CONFIG="), "{out}");
    if fs::metadata("/etc/shadow").is_ok() {
        assert!(err.contains("/etc/shadow: Permission denied"), "{err}");
    }
}

#[test]
fn the_sandbox_keeps_writes_inside_the_allowed_writable_mounts() {
    let Some(env) = sandboxed("") else {
        return;
    };
    let outside = host(&env, "outside/new.txt");
    let v = exec_json(
        &env,
        "/proj",
        &format!(
            "echo ok > made.txt; echo x > {}; echo x > ../context/new.txt; echo x > ../docs/new.txt; truncate -s 0 ../context/plan.md; rm ../docs/guide.md; mv ../docs/guide.md moved.md; echo x > /tmp/ax-exec-probe-$$; echo x > $TMPDIR/fine && echo tmp-ok; echo end",
            outside.display()
        ),
    );
    assert_eq!(v["stdout"], "tmp-ok\nend\n", "{v}");
    assert_eq!(
        fs::read_to_string(host(&env, "data/proj/made.txt")).unwrap(),
        "ok\n"
    );
    assert!(!outside.exists());
    assert!(!host(&env, "data/context/new.txt").exists());
    assert!(!host(&env, "data/docs/new.txt").exists());
    assert_eq!(
        fs::read_to_string(host(&env, "data/context/plan.md")).unwrap(),
        "the plan\n",
        "not even truncated"
    );
    assert!(host(&env, "data/docs/guide.md").exists());
    assert!(!host(&env, "data/proj/moved.md").exists());

    // --allow-write opens one more writable mount.
    let out = env.run(&[
        "exec",
        "--in",
        "/proj",
        "--allow-write",
        "/context",
        "--",
        "sh",
        "-c",
        "echo more >> ../context/plan.md",
    ]);
    out.success();
    assert_eq!(
        fs::read_to_string(host(&env, "data/context/plan.md")).unwrap(),
        "the plan\nmore\n"
    );
    // ... never a read-only one.
    let line = env
        .run(&[
            "exec",
            "--in",
            "/proj",
            "--allow-write",
            "/docs",
            "--",
            "true",
        ])
        .fails(1);
    assert!(line.contains("read-only"), "{line}");

    // A read-only mount that allows commands runs them read-only.
    let v = exec_json(&env, "/docs", "cat guide.md; echo x > new.txt; echo end");
    assert_eq!(v["stdout"], "the guide\nend\n");
    assert!(!host(&env, "data/docs/new.txt").exists());
}

#[test]
fn commands_run_only_where_a_mount_allows_them() {
    let env = exec_env("");
    // Not enabled on /context; the cold mount is not a local folder.
    let line = env
        .run(&["exec", "--in", "/context", "--", "true"])
        .fails_at(1, "/context");
    assert!(line.contains("not enabled on this mount"), "{line}");
    assert!(
        line.contains("/proj, /docs"),
        "names where it is allowed: {line}"
    );
    let line = env.run(&["exec", "--", "true"]).fails(2);
    assert!(line.contains("several mounts allow commands"), "{line}");
    let line = env
        .run(&["exec", "--in", "/proj/nope", "--", "true"])
        .fails(1);
    assert!(line.contains("/proj/nope"), "{line}");

    // `exec: true` on an object-store mount is a config error at its line.
    let bad = TestEnv::with_config(
        "mounts:\n  - path: /archive\n    tier: cold\n    url: file://./a\n    exec: true\n",
    );
    let line = bad.run(&["config", "check"]).fails(2);
    assert!(
        line.contains("exec: true") && line.contains("local folder"),
        "{line}"
    );

    // Off by default: no mount allows it, no tool offers it, a call is refused.
    let plain = TestEnv::new();
    let line = plain.run(&["exec", "--", "true"]).fails(1);
    assert!(line.contains("not enabled on any mount"), "{line}");
    let tools = plain.run(&["tools", "--format", "json"]).success().json();
    let names: Vec<&str> = tools
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"ax_exec"), "{names:?}");
    let line = plain
        .run(&["call", "ax_exec", r#"{"command":"true"}"#])
        .fails(1);
    assert!(line.contains("not enabled"), "{line}");

    let tools = env.run(&["tools", "--format", "json"]).success().json();
    let exec = tools
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "ax_exec")
        .expect("offered when a mount allows it");
    let d = exec["description"].as_str().unwrap();
    assert!(d.contains("/proj (writable), /docs (read-only)"), "{d}");
    let mounts = env.run(&["mounts", "--json"]).success().json();
    let flags: Vec<(String, bool)> = mounts["mounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["path"].as_str().unwrap().to_string(),
                m["exec"].as_bool().unwrap(),
            )
        })
        .collect();
    for (path, exec) in flags {
        assert_eq!(exec, path == "/proj" || path == "/docs", "{path}");
    }
}

#[test]
fn credentials_are_removed_from_the_environment() {
    let Some(env) = sandboxed("") else {
        return;
    };
    let out = env
        .ax()
        .args(["--json", "exec", "--in", "/proj", "--", "env"])
        .env("AWS_SECRET_ACCESS_KEY", "s3cr3t")
        .env("GITHUB_TOKEN", "ghp_x")
        .env("OPENAI_API_KEY", "sk-x")
        .env("SSH_AUTH_SOCK", "/tmp/ssh-x/agent.1")
        .env("KEEP_ME", "yes")
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let vars = v["stdout"].as_str().unwrap();
    for gone in [
        "AWS_SECRET_ACCESS_KEY",
        "GITHUB_TOKEN",
        "OPENAI_API_KEY",
        "s3cr3t",
    ] {
        assert!(!vars.contains(gone), "{gone} reached the command");
    }
    assert!(vars.contains("KEEP_ME=yes\n"));
    assert!(vars.contains("PYTHONUNBUFFERED=1\n"));
    let tmp = vars
        .lines()
        .find_map(|l| l.strip_prefix("TMPDIR="))
        .expect("TMPDIR set");
    assert!(
        !std::path::Path::new(tmp).exists(),
        "the private temporary folder is removed after the run"
    );
}

/// Runs `ax exec` with a seccomp filter that makes `landlock_create_ruleset` fail with
/// ENOSYS, as on a kernel without Landlock.
#[allow(unsafe_code)]
fn without_landlock(env: &TestEnv, args: &[&str]) -> std::process::Output {
    use std::os::unix::process::CommandExt;
    let mut cmd = env.ax_process();
    cmd.args(args);
    // SAFETY: the closure only builds a filter on the stack and calls prctl; it runs in the
    // forked child before exec.
    unsafe {
        cmd.pre_exec(|| {
            let filter = [
                // load the syscall number
                libc::sock_filter {
                    code: 0x20,
                    jt: 0,
                    jf: 0,
                    k: 0,
                },
                // == landlock_create_ruleset ?
                libc::sock_filter {
                    code: 0x15,
                    jt: 0,
                    jf: 1,
                    k: libc::SYS_landlock_create_ruleset as u32,
                },
                libc::sock_filter {
                    code: 0x06,
                    jt: 0,
                    jf: 0,
                    k: libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32,
                },
                libc::sock_filter {
                    code: 0x06,
                    jt: 0,
                    jf: 0,
                    k: libc::SECCOMP_RET_ALLOW,
                },
            ];
            let prog = libc::sock_fprog {
                len: filter.len() as u16,
                filter: filter.as_ptr() as *mut libc::sock_filter,
            };
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                || libc::prctl(
                    libc::PR_SET_SECCOMP,
                    libc::SECCOMP_MODE_FILTER,
                    &prog as *const libc::sock_fprog,
                ) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.output().unwrap()
}

#[test]
fn without_landlock_ax_refuses_to_run_unless_the_config_opts_out() {
    let env = exec_env("");
    let out = without_landlock(
        &env,
        &[
            "exec",
            "--in",
            "/proj",
            "--",
            "sh",
            "-c",
            "echo ran > ran.txt",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("sandbox (Landlock) is not available"), "{err}");
    assert!(err.contains("sandbox: none"), "says how to opt out: {err}");
    assert!(!host(&env, "data/proj/ran.txt").exists(), "nothing ran");

    let optout = exec_env("exec:\n  sandbox: none\n");
    let out = without_landlock(
        &optout,
        &[
            "--json",
            "exec",
            "--in",
            "/proj",
            "--",
            "sh",
            "-c",
            "cat ../../outside/secret.txt",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["sandbox"], "none");
    assert_eq!(
        v["stdout"], "OUTSIDE-SECRET\n",
        "unconfined, as the config chose"
    );
}

#[test]
fn ax_exec_through_a_tool_call_returns_the_same_result() {
    let Some(env) = sandboxed("") else {
        return;
    };
    let out = env
        .run(&[
            "call",
            "--json",
            "ax_exec",
            &json!({"command": "echo hi; exit 4", "cwd": "/proj"}).to_string(),
        ])
        .success()
        .json();
    assert_keys(&out, RESULT_KEYS);
    assert_eq!(
        out["exit_code"], 4,
        "a failing command is a result, not an error"
    );
    assert_eq!(out["stdout"], "hi\n");
    let text = env
        .run(&[
            "call",
            "ax_exec",
            &json!({"command": "sleep 30", "cwd": "/proj", "timeout_secs": 1}).to_string(),
        ])
        .success()
        .stdout_text();
    assert!(text.starts_with("timed out after 1 s"), "{text}");
    assert!(text.contains("exit code 124"), "{text}");
}

#[test]
fn files_a_command_writes_are_found_by_the_next_search() {
    let Some(env) = sandboxed("search:\n  embedder: none\n") else {
        return;
    };
    env.ok(&["index"]);
    let before = env
        .run(&["search", "--json", "--mode", "keyword", "zanzibarquux"])
        .success()
        .json();
    assert_eq!(before["results"].as_array().unwrap().len(), 0);
    exec_json(&env, "/proj", "echo 'notes about zanzibarquux' > found.md");
    let after = env
        .run(&["search", "--json", "--mode", "keyword", "zanzibarquux"])
        .success()
        .json();
    let hits = after["results"].as_array().unwrap();
    assert_eq!(hits.len(), 1, "{after}");
    assert_eq!(hits[0]["path"], "/proj/found.md");
}

/// What the sandbox does not stop, pinned so the README's list stays true: network
/// connections, and a process that leaves the group with `setsid` (it survives the run, but
/// stays confined and ax does not wait for it).
#[test]
fn what_the_sandbox_does_not_stop_is_as_documented() {
    let Some(env) = sandboxed("") else {
        return;
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let v = exec_json(
        &env,
        "/proj",
        &format!("bash -c 'exec 3<>/dev/tcp/127.0.0.1/{port}' && echo connected"),
    );
    assert_eq!(v["stdout"], "connected\n", "network is open: {v}");
    drop(listener);

    let started = Instant::now();
    let v = exec_json(
        &env,
        "/proj",
        &format!(
            "setsid sh -c 'echo $$ > escaped.pid; sleep 2; exec >/dev/null 2>&1; echo late > {}; echo inside > late.txt' & sleep 0.3; echo main-done",
            host(&env, "outside/late.txt").display()
        ),
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "ax did not wait for the escaped process"
    );
    assert_eq!(v["stdout"], "main-done\n");
    let pid = fs::read_to_string(host(&env, "data/proj/escaped.pid")).unwrap();
    let pid = pid.trim().to_string();
    assert!(!gone_now(&pid), "a setsid process outlives the run");
    // Still confined: it writes inside the mount but not outside.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !host(&env, "data/proj/late.txt").exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(host(&env, "data/proj/late.txt").exists());
    assert!(!host(&env, "outside/late.txt").exists());
}

fn gone_now(pid: &str) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat")).is_err()
}

#[test]
fn a_mount_nested_in_a_writable_folder_is_refused_rather_than_left_writable() {
    let env = TestEnv::with_config(
        "mounts:\n  - path: /code\n    tier: hot\n    root: ./data/code\n    exec: true\n  - path: /docs\n    tier: warm\n    root: ./data/code/docs\n    read_only: true\n",
    );
    fs::create_dir_all(env.root().join("data/code/docs")).unwrap();
    let line = env
        .run(&["exec", "--", "sh", "-c", "echo x > docs/new.md"])
        .fails(1);
    assert!(
        line.contains("mount /docs lies inside /code, which the command may write"),
        "{line}"
    );
    assert!(
        !line.contains(&env.root().display().to_string()),
        "no host paths: {line}"
    );
    assert!(!env.root().join("data/code/docs/new.md").exists());
}
