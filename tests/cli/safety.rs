//! Nobody escapes: the path jail (`..`, symlinks, host paths) and read-only mounts.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};

use crate::common::{DOCS_FIXTURE, TestEnv, host_tree};

/// A temp env plus a folder beside (not inside) the mounts' data, holding a secret.
struct Jail {
    env: TestEnv,
    outside: PathBuf,
}

const SECRET: &str = "secret outside the jail\n";

fn jail() -> Jail {
    let env = TestEnv::new();
    let outside = env.root().join("outside");
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("secret.txt"), SECRET).unwrap();
    env.mkdir("/scratch");
    Jail { env, outside }
}

impl Jail {
    /// Asserts a refusal with exit 1 whose message names no host path.
    #[track_caller]
    fn refused(&self, args: &[&str]) -> String {
        let line = self.env.run(args).fails(1);
        let host = self.env.root().display().to_string();
        assert!(
            !line.contains(&host),
            "the error leaks the host layout: {line}"
        );
        line
    }

    fn secret_untouched(&self) {
        assert_eq!(
            fs::read_to_string(self.outside.join("secret.txt")).unwrap(),
            SECRET,
            "the file outside the jail changed"
        );
        let mut names: Vec<_> = fs::read_dir(&self.outside)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["secret.txt"],
            "something was created outside the jail"
        );
    }
}

/// Content of a host file, or `None` if it does not exist.
fn host_state(p: &Path) -> Option<Vec<u8>> {
    fs::read(p).ok()
}

// ---- `..` traversal -------------------------------------------------------------------------

#[test]
fn traversal_cat_above_the_root_is_refused() {
    let env = TestEnv::new();
    let out = env.run(&["cat", "/scratch/../../etc/passwd"]);
    out.fails(1);
    assert!(out.stdout.is_empty(), "nothing was read");
}

#[test]
fn traversal_write_above_the_root_is_refused() {
    let env = TestEnv::new();
    let host_tmp_x = Path::new("/tmp/x");
    let before = host_state(host_tmp_x);
    env.run(&["write", "/scratch/../../tmp/x", "y"]).fails(1);
    assert_eq!(
        host_state(host_tmp_x),
        before,
        "/tmp/x on the host was touched"
    );
    let stray: Vec<_> = host_tree(env.root())
        .into_iter()
        .filter(|p| p.ends_with("/x") || p == "x")
        .collect();
    assert!(stray.is_empty(), "created {stray:?}");
}

#[test]
fn traversal_out_of_one_mount_into_another_is_refused() {
    let env = TestEnv::new();
    env.write("/context/x", "context data");
    let out = env.run(&["cat", "/scratch/../context/x"]);
    out.fails(1);
    assert!(out.stdout.is_empty(), "nothing was read");
    env.run(&["write", "/scratch/../context/y", "y"]).fails(1);
    assert!(!env.exists("/context/y"));
    env.run(&["append", "/scratch/../context/x", "more"])
        .fails(1);
    assert_eq!(env.read("/context/x"), b"context data");
}

#[test]
fn traversal_write_into_the_read_only_mount_is_refused() {
    let env = TestEnv::new();
    env.run(&["write", "/scratch/../docs/readme.md", "pwned"])
        .fails(1);
    assert_eq!(env.read_string("/docs/readme.md"), DOCS_FIXTURE[0].1);
}

#[test]
fn dot_dot_within_a_mount_is_resolved() {
    let env = TestEnv::new();
    env.ok(&["write", "/scratch/a/../b.txt", "fine"]);
    assert_eq!(env.read("/scratch/b.txt"), b"fine");
    assert!(!env.exists("/scratch/a"), "no folder for a `..`'d segment");
    assert_eq!(env.ok(&["cat", "/scratch/./x/../b.txt"]), "fine");
}

#[test]
fn host_paths_are_not_virtual_paths() {
    let env = TestEnv::new();
    let out = env.run(&["cat", "/etc/passwd"]);
    out.fails(1);
    assert!(out.stdout.is_empty());
    let host = env.host("/scratch/secret.txt");
    fs::create_dir_all(host.parent().unwrap()).unwrap();
    fs::write(&host, "host file").unwrap();
    let out = env.run(&["cat", host.to_str().unwrap()]);
    out.fails(1);
    assert!(out.stdout.is_empty(), "a host path must not reach the file");
}

// ---- symlinks -------------------------------------------------------------------------------

#[test]
fn symlink_to_a_file_outside_cannot_be_read() {
    let j = jail();
    symlink(j.outside.join("secret.txt"), j.env.host("/scratch/link")).unwrap();
    let out = j.env.run(&["cat", "/scratch/link"]);
    out.fails_at(1, "/scratch/link");
    assert!(out.stdout.is_empty(), "leaked {:?}", out.stdout_text());
    j.env.run(&["cat", "-n", "/scratch/link"]).fails(1);
    j.env.run(&["cat", "--json", "/scratch/link"]).fails(1);
    j.env
        .run(&["cp", "/scratch/link", "/scratch/copy"])
        .fails(1);
    assert!(!j.env.exists("/scratch/copy"));
}

#[test]
fn symlink_to_a_file_outside_cannot_be_written_through() {
    let j = jail();
    symlink(j.outside.join("secret.txt"), j.env.host("/scratch/link")).unwrap();
    j.env
        .run(&["write", "/scratch/link", "pwned"])
        .fails_at(1, "/scratch/link");
    j.secret_untouched();
    j.env
        .run_stdin(&["write", "/scratch/link"], "pwned via stdin")
        .fails(1);
    j.secret_untouched();
}

#[test]
fn symlink_to_a_file_outside_cannot_be_appended_through() {
    let j = jail();
    symlink(j.outside.join("secret.txt"), j.env.host("/scratch/link")).unwrap();
    j.env
        .run(&["append", "/scratch/link", "pwned"])
        .fails_at(1, "/scratch/link");
    j.secret_untouched();
    j.env
        .run(&["edit", "/scratch/link", "--old", "secret", "--new", "pwned"])
        .fails(1);
    j.secret_untouched();
}

#[test]
fn dangling_symlink_to_outside_creates_nothing_there() {
    let j = jail();
    symlink(
        j.outside.join("planted.txt"),
        j.env.host("/scratch/dangling"),
    )
    .unwrap();
    j.refused(&["write", "/scratch/dangling", "x"]);
    j.refused(&["append", "/scratch/dangling", "x"]);
    j.refused(&["cat", "/scratch/dangling"]);
    j.secret_untouched();
}

#[test]
fn symlink_to_a_directory_outside_cannot_be_entered() {
    let j = jail();
    symlink(&j.outside, j.env.host("/scratch/dirlink")).unwrap();
    let out = j.env.run(&["cat", "/scratch/dirlink/secret.txt"]);
    out.fails(1);
    assert!(out.stdout.is_empty());
    j.env
        .run(&["write", "/scratch/dirlink/new.txt", "x"])
        .fails(1);
    j.env
        .run(&["append", "/scratch/dirlink/new.txt", "x"])
        .fails(1);
    j.env
        .run(&["write", "/scratch/dirlink/deep/er/new.txt", "x"])
        .fails(1);
    j.env
        .run(&["append", "/scratch/dirlink/secret.txt", "x"])
        .fails(1);
    j.env.run(&["rm", "/scratch/dirlink/secret.txt"]).fails(1);
    j.env
        .run(&["cp", "/docs/readme.md", "/scratch/dirlink/copied.md"])
        .fails(1);
    let ls = j.env.run(&["ls", "/scratch/dirlink"]);
    ls.fails(1);
    assert!(
        !ls.stdout_text().contains("secret"),
        "listed the outside folder"
    );
    j.secret_untouched();
}

#[test]
fn walks_do_not_follow_symlinks_outside() {
    let j = jail();
    symlink(&j.outside, j.env.host("/scratch/dirlink")).unwrap();
    symlink(j.outside.join("secret.txt"), j.env.host("/scratch/link")).unwrap();
    let grep = j.env.run(&["grep", "secret", "/scratch"]);
    assert!(
        !grep.stdout_text().contains("jail"),
        "grep read outside: {}",
        grep.stdout_text()
    );
    let find = j.env.ok(&["find", "/scratch"]);
    assert!(!find.contains("secret.txt"), "find entered outside: {find}");
    let tree = j.env.ok(&["tree", "/scratch"]);
    assert!(!tree.contains("secret.txt"), "tree entered outside: {tree}");
    j.env.run(&["cp", "-r", "/scratch", "/archive/copy"]);
    assert!(
        !host_tree(&j.env.host("/archive"))
            .iter()
            .any(|p| p.contains("secret")),
        "cp -r copied the outside secret into the archive"
    );
    j.env.run(&["rm", "-r", "/scratch/dirlink"]);
    j.secret_untouched();
}

#[test]
fn symlink_inside_the_jail_is_followed() {
    let env = TestEnv::new();
    env.write("/scratch/real.txt", "real");
    symlink(env.host("/scratch/real.txt"), env.host("/scratch/alias")).unwrap();
    assert_eq!(env.ok(&["cat", "/scratch/alias"]), "real");
}

// ---- read-only mounts -----------------------------------------------------------------------

#[track_caller]
fn assert_read_only_refusal(line: &str) {
    assert!(line.contains("read-only"), "should say read-only: {line}");
}

#[test]
fn write_to_the_read_only_mount_is_refused() {
    let env = TestEnv::new();
    let line = env
        .run(&["write", "/docs/new.md", "x"])
        .fails_at(1, "/docs/new.md");
    assert_read_only_refusal(&line);
    assert!(!env.exists("/docs/new.md"));
    let line = env.run(&["write", "/docs/readme.md", "x"]).fails(1);
    assert_read_only_refusal(&line);
    let line = env
        .run_stdin(&["write", "/docs/guide/new.md"], "from stdin")
        .fails(1);
    assert_read_only_refusal(&line);
    assert_eq!(env.read_string("/docs/readme.md"), DOCS_FIXTURE[0].1);
    assert!(!env.exists("/docs/guide/new.md"));
}

#[test]
fn append_and_edit_in_the_read_only_mount_are_refused() {
    let env = TestEnv::new();
    assert_read_only_refusal(&env.run(&["append", "/docs/readme.md", "x"]).fails(1));
    assert_read_only_refusal(
        &env.run(&["edit", "/docs/readme.md", "--old", "Docs", "--new", "X"])
            .fails(1),
    );
    assert_eq!(env.read_string("/docs/readme.md"), DOCS_FIXTURE[0].1);
}

#[test]
fn rm_in_the_read_only_mount_is_refused() {
    let env = TestEnv::new();
    assert_read_only_refusal(&env.run(&["rm", "/docs/readme.md"]).fails(1));
    assert_read_only_refusal(&env.run(&["rm", "-r", "/docs/guide"]).fails(1));
    assert_read_only_refusal(&env.run(&["rm", "-f", "/docs/readme.md"]).fails(1));
    for (vpath, content) in DOCS_FIXTURE {
        assert_eq!(env.read_string(vpath), *content);
    }
}

#[test]
fn cp_into_the_read_only_mount_is_refused_and_the_source_stays() {
    let env = TestEnv::new();
    env.write("/scratch/a.txt", "a");
    env.write("/scratch/dir/b.txt", "b");
    assert_read_only_refusal(&env.run(&["cp", "/scratch/a.txt", "/docs/a.txt"]).fails(1));
    assert_read_only_refusal(&env.run(&["cp", "/scratch/a.txt", "/docs"]).fails(1));
    assert_read_only_refusal(
        &env.run(&["cp", "-r", "/scratch/dir", "/docs/guide"])
            .fails(1),
    );
    assert_read_only_refusal(
        &env.run(&["cp", "/scratch/a.txt", "/docs/readme.md"])
            .fails(1),
    );
    assert_eq!(env.read("/scratch/a.txt"), b"a");
    assert!(!env.exists("/docs/a.txt"));
    assert!(!env.exists("/docs/guide/dir"));
    assert_eq!(env.read_string("/docs/readme.md"), DOCS_FIXTURE[0].1);
}

#[test]
fn mv_into_the_read_only_mount_is_refused_and_the_source_stays() {
    let env = TestEnv::new();
    env.write("/scratch/a.txt", "a");
    env.write("/scratch/dir/b.txt", "b");
    assert_read_only_refusal(&env.run(&["mv", "/scratch/a.txt", "/docs/a.txt"]).fails(1));
    assert_read_only_refusal(&env.run(&["mv", "/scratch/dir", "/docs/dir"]).fails(1));
    assert_eq!(env.read("/scratch/a.txt"), b"a");
    assert_eq!(env.read("/scratch/dir/b.txt"), b"b");
    assert!(!env.exists("/docs/a.txt"));
    assert!(!env.exists("/docs/dir"));
}

#[test]
fn mv_out_of_the_read_only_mount_is_refused_before_copying() {
    let env = TestEnv::new();
    assert_read_only_refusal(
        &env.run(&["mv", "/docs/readme.md", "/scratch/readme.md"])
            .fails(1),
    );
    assert_eq!(env.read_string("/docs/readme.md"), DOCS_FIXTURE[0].1);
    assert!(!env.exists("/scratch/readme.md"), "nothing was attempted");
}

// ---- property: no generated path escapes ----------------------------------------------------

/// Lexical normalisation as the spec defines it: `None` if the path climbs above `/`.
fn normalise(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(format!("/{}", parts.join("/")))
}

#[test]
fn no_generated_path_escapes_the_jail() {
    let j = jail();
    symlink(&j.outside, j.env.host("/scratch/dirlink")).unwrap();
    let guarded = |root: &Path| -> Vec<(String, Option<Vec<u8>>)> {
        host_tree(root)
            .into_iter()
            .filter(|p| !p.starts_with("data/") && !p.starts_with(".ax"))
            .map(|p| {
                let content = fs::read(root.join(&p)).ok();
                (p, content)
            })
            .collect()
    };
    let before = guarded(j.env.root());

    let segment = prop_oneof![
        Just(".."),
        Just("."),
        Just(""),
        Just("a"),
        Just("outside"),
        Just("data"),
        Just("scratch"),
        Just("dirlink"),
    ];
    let mount = prop_oneof![
        Just("/scratch"),
        Just("/context"),
        Just("/docs"),
        Just("/archive"),
        Just(""),
    ];
    let strategy = (mount, prop::collection::vec(segment, 0..6));
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 40,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let n = std::cell::Cell::new(0u32);
    runner
        .run(&strategy, |(mount, segs)| {
            n.set(n.get() + 1);
            let n = n.get();
            let path = format!("{mount}/{}/f{n}.txt", segs.join("/"));
            let content = format!("case {n}");
            let out = j.env.run(&["write", &path, &content]);
            prop_assert!(
                matches!(out.code, Some(0 | 1)),
                "{path}: exit {:?}: {}",
                out.code,
                out.stderr
            );
            prop_assert_eq!(guarded(j.env.root()), before.clone(), "{} escaped", path);
            let normal = normalise(&path);
            if out.code == Some(0) {
                let normal =
                    normal.unwrap_or_else(|| panic!("{path} climbs above / yet was written"));
                prop_assert!(
                    ["/scratch/", "/context/", "/archive/"]
                        .iter()
                        .any(|m| normal.starts_with(m)),
                    "{} was written but normalises to {}",
                    path,
                    normal
                );
                prop_assert!(
                    !normal.starts_with("/scratch/dirlink/"),
                    "{} went through the symlink",
                    path
                );
                prop_assert_eq!(j.env.read_string(&normal), content.clone());
                let cat = j.env.run(&["cat", &path]);
                prop_assert_eq!(cat.stdout_text(), content);
            } else {
                prop_assert!(out.stderr.starts_with("ax: "), "{}", out.stderr);
            }
            Ok(())
        })
        .unwrap();
    j.secret_untouched();
}
