//! Nothing lost under concurrency and crashes: parallel appenders, `--if-match` races,
//! `kill -9` in the middle of a write, and a reader that goes away.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::common::TestEnv;

// ---- concurrent appenders -------------------------------------------------------------------

const WRITERS: usize = 20;
const LINES: usize = 200;
/// Writers from this index on append their 200 lines through stdin in one call; the others
/// make one `ax append` call per line (the case that stresses locking most).
const FIRST_STDIN_WRITER: usize = 15;
const LINE_LEN: usize = 100;

/// `writer-07 line-0123 hhhh…` padded to 99 bytes with a letter unique to the writer, so a torn
/// or interleaved line cannot pass for a whole one.
fn append_line(w: usize, l: usize) -> String {
    let head = format!("writer-{w:02} line-{l:04} ");
    let pad = char::from(b'a' + w as u8)
        .to_string()
        .repeat(LINE_LEN - 1 - head.len());
    format!("{head}{pad}")
}

#[test]
fn concurrent_appenders_never_lose_or_tear_lines() {
    let env = TestEnv::new();
    let started = Instant::now();
    thread::scope(|s| {
        for w in 0..WRITERS {
            let env = &env;
            s.spawn(move || {
                if w < FIRST_STDIN_WRITER {
                    for l in 0..LINES {
                        let status = env
                            .ax_process()
                            .args(["append", "/scratch/log.txt", &append_line(w, l)])
                            .stdin(Stdio::null())
                            .status()
                            .expect("spawn ax");
                        assert!(status.success(), "writer {w} line {l}: {status}");
                    }
                } else {
                    let mut text = String::new();
                    for l in 0..LINES {
                        text.push_str(&append_line(w, l));
                        text.push('\n');
                    }
                    let out = env.run_stdin(&["append", "/scratch/log.txt"], text);
                    out.success();
                }
            });
        }
    });
    eprintln!(
        "{} appends by {WRITERS} writers took {:?}",
        FIRST_STDIN_WRITER * LINES + (WRITERS - FIRST_STDIN_WRITER),
        started.elapsed()
    );

    let text = env.read_string("/scratch/log.txt");
    assert!(text.ends_with('\n'), "the file ends with a whole line");
    let lines: Vec<&str> = text.lines().collect();
    let mut seen = HashSet::new();
    let mut last_of_writer = [None::<usize>; WRITERS];
    for (i, line) in lines.iter().enumerate() {
        let parsed = line.strip_prefix("writer-").and_then(|r| {
            Some((
                r.get(0..2)?.parse::<usize>().ok()?,
                r.get(8..12)?.parse::<usize>().ok()?,
            ))
        });
        let Some((w, l)) = parsed.filter(|&(w, l)| w < WRITERS && l < LINES) else {
            panic!("line {} is torn: {line:?}", i + 1);
        };
        assert_eq!(*line, append_line(w, l), "line {} is torn", i + 1);
        assert!(
            seen.insert((w, l)),
            "line {} is a duplicate: {line:?}",
            i + 1
        );
        assert!(
            last_of_writer[w].is_none_or(|prev| prev < l),
            "writer {w}'s lines are out of order at line {}",
            i + 1
        );
        last_of_writer[w] = Some(l);
    }
    assert_eq!(
        lines.len(),
        WRITERS * LINES,
        "every line is there exactly once"
    );
    assert_eq!(text.len(), WRITERS * LINES * LINE_LEN);
}

// ---- --if-match races -----------------------------------------------------------------------

/// Runs two `ax` processes at once and returns their outcomes.
fn race(env: &TestEnv, a: &[&str], b: &[&str]) -> [(Option<i32>, String); 2] {
    let spawn = |args: &[&str]| -> Child {
        env.ax_process()
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ax")
    };
    let (ca, cb) = (spawn(a), spawn(b));
    let finish = |c: Child| {
        let out = c.wait_with_output().expect("wait");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    [finish(ca), finish(cb)]
}

/// Checks that exactly one of the two racers won and the file holds its content.
#[track_caller]
fn assert_one_winner(
    env: &TestEnv,
    vpath: &str,
    results: &[(Option<i32>, String); 2],
    contents: [&str; 2],
) {
    let codes = [results[0].0, results[1].0];
    let winner = match codes {
        [Some(0), Some(3)] => 0,
        [Some(3), Some(0)] => 1,
        _ => panic!("expected one exit 0 and one exit 3, got {codes:?}: {results:?}"),
    };
    let loser = &results[1 - winner].1;
    assert_eq!(loser.lines().count(), 1, "loser's stderr: {loser:?}");
    assert!(
        loser.starts_with(&format!("ax: {vpath}: ")),
        "loser's stderr: {loser:?}"
    );
    assert!(
        results[winner].1.is_empty(),
        "winner's stderr: {:?}",
        results[winner].1
    );
    assert_eq!(
        env.read_string(vpath),
        contents[winner],
        "the winner's content"
    );
}

#[test]
fn two_edits_from_the_same_etag_one_wins_the_other_exits_3() {
    let env = TestEnv::new();
    for round in 0..8 {
        let vpath = format!("/scratch/race-{round}.txt");
        env.ok(&["write", &vpath, "value: 0\n"]);
        let tag = env.etag(&vpath);
        let edit = |new: &'static str| {
            vec![
                "edit",
                vpath.as_str(),
                "--old",
                "value: 0",
                "--new",
                new,
                "--if-match",
                tag.as_str(),
            ]
        };
        let results = race(&env, &edit("value: A"), &edit("value: B"));
        assert_one_winner(&env, &vpath, &results, ["value: A\n", "value: B\n"]);
    }
}

#[test]
fn two_writes_from_the_same_etag_one_wins_the_other_exits_3() {
    let env = TestEnv::new();
    for round in 0..8 {
        let vpath = format!("/scratch/race-{round}.txt");
        env.ok(&["write", &vpath, "v0"]);
        let tag = env.etag(&vpath);
        let results = race(
            &env,
            &["write", &vpath, "from A", "--if-match", &tag],
            &["write", &vpath, "from B", "--if-match", &tag],
        );
        assert_one_winner(&env, &vpath, &results, ["from A", "from B"]);
    }
}

#[test]
fn two_create_only_writes_one_wins_the_other_exits_3() {
    let env = TestEnv::new();
    for round in 0..8 {
        let vpath = format!("/scratch/new-{round}.txt");
        let results = race(
            &env,
            &["write", &vpath, "from A", "--if-none-match", "*"],
            &["write", &vpath, "from B", "--if-none-match", "*"],
        );
        assert_one_winner(&env, &vpath, &results, ["from A", "from B"]);
    }
}

// ---- kill -9 during a write -----------------------------------------------------------------

const MIB: usize = 1024 * 1024;
const BIG_MIB: usize = 200;

/// One MiB of the new content; chunk `i` differs from every other chunk.
fn new_chunk(i: usize) -> Vec<u8> {
    let mut c = vec![0u8; MIB];
    for (j, b) in c.iter_mut().enumerate() {
        *b = (j.wrapping_mul(31) ^ i) as u8;
    }
    c[..8].copy_from_slice(&(i as u64).to_le_bytes());
    c
}

fn old_content() -> Vec<u8> {
    "the old version, intact\n".repeat(1000).into_bytes()
}

/// The file behind `vpath` is exactly the old content, or exactly the full new content.
fn assert_old_or_new(env: &TestEnv, vpath: &str) -> &'static str {
    let host = env.host(vpath);
    let len = std::fs::metadata(&host)
        .expect("the file still exists")
        .len() as usize;
    let old = old_content();
    if len == old.len() {
        assert!(
            env.read(vpath) == old,
            "same length as the old content but different bytes"
        );
        return "old";
    }
    assert_eq!(
        len,
        BIG_MIB * MIB,
        "torn: neither the old ({}) nor the new size",
        old.len()
    );
    let mut r = BufReader::new(File::open(&host).unwrap());
    let mut buf = vec![0u8; MIB];
    for i in 0..BIG_MIB {
        r.read_exact(&mut buf).unwrap();
        assert!(
            buf == new_chunk(i),
            "torn: MiB {i} of the new content differs"
        );
    }
    "new"
}

/// After a crash, listings show no temp-file litter and the file works normally.
fn assert_no_litter(env: &TestEnv) {
    assert_eq!(env.ok(&["ls", "/scratch"]), "big\n", "ax ls shows litter");
    let found = env.ok(&["find", "/scratch"]);
    assert_eq!(found, "/scratch/big\n", "ax find shows litter");
    env.ok(&["write", "/scratch/big", "after the crash"]);
    assert_eq!(env.ok(&["cat", "/scratch/big"]), "after the crash");
    assert_eq!(env.ok(&["ls", "/scratch"]), "big\n");
}

fn spawn_big_write(env: &TestEnv) -> Child {
    env.run_stdin(&["write", "/scratch/big"], old_content())
        .success();
    env.ax_process()
        .args(["write", "/scratch/big"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn ax")
}

#[test]
fn kill_9_in_the_middle_of_a_write_leaves_the_old_file() {
    let env = TestEnv::new();
    let mut child = spawn_big_write(&env);
    let mut stdin = child.stdin.take().unwrap();
    let (fed_tx, fed_rx) = mpsc::channel();
    let (killed_tx, killed_rx) = mpsc::channel::<()>();
    let feeder = thread::spawn(move || {
        // Half the data, then hold stdin open so ax is certainly mid-write when killed.
        for i in 0..BIG_MIB / 2 {
            if stdin.write_all(&new_chunk(i)).is_err() {
                break;
            }
        }
        fed_tx.send(()).unwrap();
        let _ = killed_rx.recv();
        for i in BIG_MIB / 2..BIG_MIB {
            if stdin.write_all(&new_chunk(i)).is_err() {
                break;
            }
        }
    });
    fed_rx
        .recv_timeout(Duration::from_secs(120))
        .expect("fed half of the data");
    thread::sleep(Duration::from_millis(100));
    child.kill().expect("kill -9");
    let status = child.wait().unwrap();
    assert!(!status.success(), "ax was killed: {status}");
    killed_tx.send(()).unwrap();
    feeder.join().unwrap();
    assert_eq!(
        assert_old_or_new(&env, "/scratch/big"),
        "old",
        "stdin never ended"
    );
    assert_no_litter(&env);
}

#[test]
fn kill_9_at_100ms_into_a_200_mib_write_leaves_old_or_new() {
    let env = TestEnv::new();
    let mut child = spawn_big_write(&env);
    let mut stdin = child.stdin.take().unwrap();
    let feeder = thread::spawn(move || {
        for i in 0..BIG_MIB {
            if stdin.write_all(&new_chunk(i)).is_err() {
                break;
            }
        }
        // Dropping stdin ends the input, so ax may well finish before the kill.
    });
    thread::sleep(Duration::from_millis(100));
    child.kill().expect("kill -9");
    child.wait().unwrap();
    feeder.join().unwrap();
    let which = assert_old_or_new(&env, "/scratch/big");
    eprintln!("after kill -9 the file holds the {which} content");
    assert_no_litter(&env);
}

// ---- a reader that goes away ----------------------------------------------------------------

fn big_text_file(env: &TestEnv) {
    let mut text = String::with_capacity(21 * MIB);
    let mut i = 0;
    while text.len() < 20 * MIB {
        i += 1;
        text.push_str(&format!(
            "line {i:08} of a big file that is read only partly\n"
        ));
    }
    env.write("/scratch/big.txt", text);
}

/// Runs ax with stdout piped, reads 10 bytes, closes the pipe; returns (exit code, stderr).
fn read_10_bytes_and_close(env: &TestEnv, args: &[&str]) -> (Option<i32>, String) {
    let mut child = env
        .ax_process()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ax");
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 10];
    stdout.read_exact(&mut first).expect("10 bytes");
    drop(stdout);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    (status.code(), stderr)
}

#[test]
fn cat_to_a_closed_pipe_ends_quietly_with_exit_0() {
    let env = TestEnv::new();
    big_text_file(&env);
    for args in [
        &["cat", "/scratch/big.txt"][..],
        &["cat", "-n", "/scratch/big.txt"],
        &[
            "cat",
            "/scratch/big.txt",
            "--offset",
            "2",
            "--limit",
            "1000000",
        ],
        &["grep", "line", "/scratch"],
    ] {
        let (code, stderr) = read_10_bytes_and_close(&env, args);
        assert_eq!(
            code,
            Some(0),
            "`ax {}` | head -c 10: {stderr}",
            args.join(" ")
        );
        assert!(
            stderr.is_empty(),
            "`ax {}` | head -c 10 printed {stderr:?}",
            args.join(" ")
        );
    }
}
