//! `cp` and `mv`, within a mount and across mounts and tiers.

use crate::common::TestEnv;

/// Every byte value, a few times over, so a text-mode or lossy copy shows.
fn binary_blob() -> Vec<u8> {
    (0..4096u32).map(|i| (i * 7 % 256) as u8).collect()
}

// ---- cp -------------------------------------------------------------------------------------

#[test]
fn cp_copies_a_file_within_a_mount() {
    let env = TestEnv::new();
    env.write("/scratch/a.txt", "aaa");
    env.ok(&["cp", "/scratch/a.txt", "/scratch/b.txt"]);
    assert_eq!(env.read("/scratch/a.txt"), b"aaa");
    assert_eq!(env.read("/scratch/b.txt"), b"aaa");
}

#[test]
fn cp_archives_to_the_cold_tier_and_restores_byte_exact() {
    let env = TestEnv::new();
    let blob = binary_blob();
    env.run_stdin(&["write", "/scratch/blob.bin"], blob.clone())
        .success();
    env.ok(&["cp", "/scratch/blob.bin", "/archive/2026/blob.bin"]);
    assert_eq!(env.read("/archive/2026/blob.bin"), blob, "archived");
    env.ok(&["cp", "/archive/2026/blob.bin", "/context/restored.bin"]);
    assert_eq!(env.read("/context/restored.bin"), blob, "restored");
    let out = env.run(&["cat", "/context/restored.bin"]);
    out.success();
    assert_eq!(out.stdout, blob);
}

#[test]
fn cp_replaces_an_existing_destination_file() {
    let env = TestEnv::new();
    env.write("/scratch/a.txt", "new");
    env.write("/context/a.txt", "old content that is longer");
    env.ok(&["cp", "/scratch/a.txt", "/context/a.txt"]);
    assert_eq!(env.read("/context/a.txt"), b"new");
}

#[test]
fn cp_into_an_existing_directory_keeps_the_name() {
    let env = TestEnv::new();
    env.write("/scratch/a.txt", "aaa");
    env.mkdir("/context/inbox");
    env.ok(&["cp", "/scratch/a.txt", "/context/inbox"]);
    assert_eq!(env.read("/context/inbox/a.txt"), b"aaa");
    env.ok(&["cp", "/scratch/a.txt", "/archive"]);
    assert_eq!(
        env.read("/archive/a.txt"),
        b"aaa",
        "a mount point is a directory too"
    );
}

#[test]
fn cp_of_a_directory_needs_r() {
    let env = TestEnv::new();
    env.write("/scratch/dir/a.txt", "a");
    env.run(&["cp", "/scratch/dir", "/context/dir"]).fails(1);
    assert!(!env.exists("/context/dir"));
}

#[test]
fn cp_r_copies_a_tree_across_mounts() {
    let env = TestEnv::new();
    env.write("/scratch/dir/a.txt", "a");
    env.write("/scratch/dir/sub/b.bin", binary_blob());
    env.ok(&["cp", "-r", "/scratch/dir", "/archive/dir"]);
    assert_eq!(env.read("/archive/dir/a.txt"), b"a");
    assert_eq!(env.read("/archive/dir/sub/b.bin"), binary_blob());
    assert_eq!(env.read("/scratch/dir/a.txt"), b"a", "the source stays");
}

#[test]
fn cp_r_into_an_existing_directory_keeps_the_name() {
    let env = TestEnv::new();
    env.write("/scratch/dir/a.txt", "a");
    env.mkdir("/context/into");
    env.ok(&["cp", "-r", "/scratch/dir", "/context/into"]);
    assert_eq!(env.read("/context/into/dir/a.txt"), b"a");
}

#[test]
fn cp_from_the_read_only_mount_works() {
    let env = TestEnv::new();
    env.ok(&["cp", "/docs/readme.md", "/scratch/readme.md"]);
    assert_eq!(env.read("/scratch/readme.md"), env.read("/docs/readme.md"));
}

#[test]
fn cp_of_a_missing_source_fails_with_exit_1() {
    let env = TestEnv::new();
    env.run(&["cp", "/scratch/missing", "/scratch/b"])
        .fails_at(1, "/scratch/missing");
    assert!(!env.exists("/scratch/b"));
}

// ---- mv -------------------------------------------------------------------------------------

#[test]
fn mv_renames_within_a_mount() {
    let env = TestEnv::new();
    env.write("/scratch/a.txt", "aaa");
    env.ok(&["mv", "/scratch/a.txt", "/scratch/b.txt"]);
    assert!(!env.exists("/scratch/a.txt"));
    assert_eq!(env.read("/scratch/b.txt"), b"aaa");
}

#[test]
fn mv_archives_and_restores_across_tiers_byte_exact() {
    let env = TestEnv::new();
    let blob = binary_blob();
    env.write("/scratch/blob.bin", &blob);
    env.ok(&["mv", "/scratch/blob.bin", "/archive/blob.bin"]);
    assert!(!env.exists("/scratch/blob.bin"), "moved away");
    assert_eq!(env.read("/archive/blob.bin"), blob);
    env.ok(&["mv", "/archive/blob.bin", "/scratch/back.bin"]);
    assert!(!env.exists("/archive/blob.bin"));
    assert_eq!(env.read("/scratch/back.bin"), blob);
}

#[test]
fn mv_moves_a_directory_across_mounts() {
    let env = TestEnv::new();
    env.write("/scratch/dir/a.txt", "a");
    env.write("/scratch/dir/sub/b.txt", "b");
    env.ok(&["mv", "/scratch/dir", "/archive/dir"]);
    assert!(!env.exists("/scratch/dir"));
    assert_eq!(env.read("/archive/dir/a.txt"), b"a");
    assert_eq!(env.read("/archive/dir/sub/b.txt"), b"b");
}

#[test]
fn mv_into_an_existing_directory_keeps_the_name() {
    let env = TestEnv::new();
    env.write("/scratch/a.txt", "aaa");
    env.mkdir("/context/inbox");
    env.ok(&["mv", "/scratch/a.txt", "/context/inbox"]);
    assert_eq!(env.read("/context/inbox/a.txt"), b"aaa");
    assert!(!env.exists("/scratch/a.txt"));
}

#[test]
fn mv_of_a_mount_point_is_refused() {
    let env = TestEnv::new();
    env.write("/scratch/keep.txt", "keep");
    env.run(&["mv", "/scratch", "/context/scratch"]).fails(1);
    assert_eq!(env.read("/scratch/keep.txt"), b"keep");
    assert!(!env.exists("/context/scratch"));
}

#[test]
fn mv_of_a_missing_source_fails_with_exit_1() {
    let env = TestEnv::new();
    env.run(&["mv", "/scratch/missing", "/scratch/b"])
        .fails_at(1, "/scratch/missing");
}
