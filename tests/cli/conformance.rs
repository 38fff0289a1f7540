//! One conformance suite for the `Backend` trait (STYLE.md point 6): the same behaviour checks
//! run on every backend kind — a local directory (hot), `file://`, `memory://`, the real
//! S3-compatible server, the Azurite emulator (`az://`) and the real Valkey server (Redis
//! backend) — through the library's [`Vfs`] facade. Not through the CLI: a
//! `memory://` store lives only inside one process.
//!
//! Each check is one test that loops over the backends and names the backend on failure.
//! Every test builds its own [`Vfs`] (a fresh `memory://` store, a fresh S3 prefix). Without
//! the S3 server's environment the `/s3` mount is left out with a note, or the test fails
//! when `AX_REQUIRE_BACKENDS=1` (see `common::s3`).

use std::fmt::Debug;
use std::io::Read;

use ax::backend::{
    EtagHasher, Kind, Precondition, RemoveOptions, StatOptions, Walk, WriteOptions, WriteOutcome,
};
use ax::config::Config;
use ax::error::{ErrorKind, Result};
use ax::vfs::{TransferOptions, Vfs};
use tempfile::TempDir;

use crate::common::s3::{Bucket, S3Env, unique_prefix};

/// A Vfs with one mount per backend kind.
struct Backends {
    vfs: Vfs,
    /// The mount points, one per backend: `/local`, `/file`, `/mem` and (with a server) `/s3`.
    mounts: Vec<&'static str>,
    /// Removes the S3 prefix's objects when the test ends.
    _bucket: Option<Bucket>,
    _tmp: TempDir,
}

fn backends(test: &str) -> Backends {
    let tmp = tempfile::Builder::new()
        .prefix("ax-conformance-")
        .tempdir()
        .expect("temp dir");
    let root = tmp.path();
    for d in ["local", "file"] {
        std::fs::create_dir_all(root.join(d)).expect("create mount dir");
    }
    let mut yaml = format!(
        "\
state_dir: {state}
mounts:
  - path: /local
    tier: hot
    root: {local}
  - path: /file
    tier: cold
    url: file://{file}
  - path: /mem
    tier: cold
    url: memory://
",
        state = root.join("state").display(),
        local = root.join("local").display(),
        file = root.join("file").display(),
    );
    let mut mounts = vec!["/local", "/file", "/mem"];
    let bucket = S3Env::get(test).map(|s3| {
        let bucket = Bucket::new(&s3, &unique_prefix("conformance"));
        yaml.push_str(&format!(
            "  - path: /s3\n    tier: cold\n    url: {}\n",
            bucket.url(&s3)
        ));
        mounts.push("/s3");
        bucket
    });
    if let Some(url) = crate::common::redis::url(test) {
        yaml.push_str(&format!(
            "  - path: /redis\n    tier: hot\n    url: {url}\n    options:\n      prefix: {}\n",
            crate::common::redis::unique_prefix("conformance")
        ));
        mounts.push("/redis");
    }
    if let Some(url) = azure_url(test) {
        yaml.push_str(&format!(
            "  - path: /az\n    tier: cold\n    url: {url}/{}/\n    options:\n      use_emulator: \"true\"\n",
            unique_prefix("conformance")
        ));
        mounts.push("/az");
    }
    let cfg = Config::from_yaml(&yaml, "conformance.yaml", root)
        .unwrap_or_else(|e| panic!("config rejected: {}\n{yaml}", e.to_line()));
    Backends {
        vfs: Vfs::new(cfg),
        mounts,
        _bucket: bucket,
        _tmp: tmp,
    }
}

/// The Azurite container's URL (`az://ax-test`), or the skip-gate.
fn azure_url(test: &str) -> Option<String> {
    match std::env::var("AX_TEST_AZURE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(u) => Some(u),
        None => crate::common::skip_or_fail(&format!(
            "{test}: no Azurite (AX_TEST_AZURE_URL unset; scripts/test.sh or scripts/azurite.sh sets it)"
        )),
    }
}

// ---- helpers --------------------------------------------------------------------------------

/// Unwraps a Vfs result, naming the operation (and so the backend) on failure.
#[track_caller]
fn ok<T>(r: Result<T>, what: &str) -> T {
    r.unwrap_or_else(|e| panic!("{what}: unexpected error: {}", e.to_line()))
}

/// Asserts that `r` failed with `kind`.
#[track_caller]
fn fails<T: Debug>(r: Result<T>, kind: ErrorKind, what: &str) {
    match r {
        Ok(v) => panic!("{what}: expected {kind:?}, got success: {v:?}"),
        Err(e) => assert_eq!(
            e.kind(),
            kind,
            "{what}: expected {kind:?}, got {:?}: {}",
            e.kind(),
            e.to_line()
        ),
    }
}

fn put(vfs: &Vfs, path: &str, bytes: &[u8]) -> WriteOutcome {
    put_with(vfs, path, bytes, Precondition::None).unwrap_or_else(|e| {
        panic!("write {path}: {}", e.to_line());
    })
}

fn put_with(vfs: &Vfs, path: &str, bytes: &[u8], pre: Precondition) -> Result<WriteOutcome> {
    let opts = WriteOptions {
        precondition: pre,
        report_etag: true,
    };
    vfs.write(path, &mut &bytes[..], &opts).map(|(_, o)| o)
}

fn append_with(vfs: &Vfs, path: &str, bytes: &[u8], pre: Precondition) -> Result<WriteOutcome> {
    let opts = WriteOptions {
        precondition: pre,
        report_etag: true,
    };
    vfs.append(path, &mut &bytes[..], &opts).map(|(_, o)| o)
}

fn read(vfs: &Vfs, path: &str) -> Vec<u8> {
    let (_, mut content) = ok(vfs.open(path), &format!("open {path}"));
    let mut buf = Vec::new();
    content
        .read_to_end(&mut buf)
        .unwrap_or_else(|e| panic!("read {path}: {e}"));
    buf
}

fn etag(vfs: &Vfs, path: &str) -> String {
    let st = ok(
        vfs.stat(path, StatOptions { etag: true }),
        &format!("stat {path}"),
    );
    st.meta
        .etag
        .unwrap_or_else(|| panic!("stat {path}: a file must have an ETag when asked"))
}

fn exists(vfs: &Vfs, path: &str) -> bool {
    match vfs.stat(path, StatOptions::default()) {
        Ok(_) => true,
        Err(e) if e.kind() == ErrorKind::NotFound => false,
        Err(e) => panic!("stat {path}: {}", e.to_line()),
    }
}

/// Every byte value, several times over, in a non-repeating order.
fn binary() -> Vec<u8> {
    let mut v: Vec<u8> = (0..=255u8).collect();
    v.extend((0..=255u8).rev());
    v.extend(noise(7, 4096));
    v
}

/// `len` bytes of [`Noise`].
fn noise(seed: u64, len: u64) -> Vec<u8> {
    let mut v = Vec::new();
    Noise::new(seed, len).read_to_end(&mut v).expect("noise");
    v
}

/// A deterministic stream of incompressible bytes (xorshift), `len` long, the same whatever
/// sizes the reader asks for.
struct Noise {
    state: u64,
    left: u64,
    /// Bytes of the current 8-byte block not handed out yet, so the stream is the same
    /// whatever sizes the reader asks for.
    block: [u8; 8],
    used: usize,
}

impl Noise {
    fn new(seed: u64, len: u64) -> Noise {
        Noise {
            state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            left: len,
            block: [0; 8],
            used: 8,
        }
    }
}

impl Read for Noise {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        for b in &mut buf[..n] {
            if self.used == 8 {
                self.state ^= self.state << 13;
                self.state ^= self.state >> 7;
                self.state ^= self.state << 17;
                self.block = self.state.to_le_bytes();
                self.used = 0;
            }
            *b = self.block[self.used];
            self.used += 1;
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// A walk of `path`: (virtual path, kind, depth) in visiting order.
fn walk(vfs: &Vfs, path: &str, mut decide: impl FnMut(&str) -> Walk) -> Vec<(String, Kind, usize)> {
    let mut seen = Vec::new();
    ok(
        vfs.walk(path, &mut |e| {
            seen.push((e.path.as_str().to_string(), e.meta.kind, e.depth));
            decide(e.path.as_str())
        }),
        &format!("walk {path}"),
    );
    seen
}

// ---- round trips ----------------------------------------------------------------------------

#[test]
fn write_then_open_round_trips_bytes() {
    let b = backends("conformance::write_then_open_round_trips_bytes");
    let cases: [(&str, Vec<u8>); 4] = [
        ("empty.txt", Vec::new()),
        (
            "text.md",
            b"# Title\nsome text\nlast line without newline".to_vec(),
        ),
        ("bin/all-bytes.bin", binary()),
        (
            "names/with space and \u{fc}mlaut.txt",
            b"unicode name\n".to_vec(),
        ),
    ];
    for m in &b.mounts {
        for (rel, bytes) in &cases {
            let p = format!("{m}/{rel}");
            let out = put(&b.vfs, &p, bytes);
            assert_eq!(out.bytes, bytes.len() as u64, "{p}: bytes written");
            assert!(out.created, "{p}: a new file reports created");
            assert_eq!(read(&b.vfs, &p), *bytes, "{p}: content read back");
            let st = ok(b.vfs.stat(&p, StatOptions::default()), &format!("stat {p}"));
            assert_eq!(st.meta.size, bytes.len() as u64, "{p}: stat size");
        }
    }
}

#[test]
fn a_20_mib_file_streams_in_and_out_intact() {
    let b = backends("conformance::a_20_mib_file_streams_in_and_out_intact");
    // Not a multiple of any part size, so the last part of a multipart upload is short.
    let len = 20 * 1024 * 1024 + 12_345;
    let want = EtagHasher::of_reader(&mut Noise::new(42, len)).expect("hash");
    for m in &b.mounts {
        let p = format!("{m}/large/blob.bin");
        let (_, out) = ok(
            b.vfs
                .write(&p, &mut Noise::new(42, len), &WriteOptions::default()),
            &format!("write {p}"),
        );
        assert_eq!(out.bytes, len, "{p}: bytes written");
        let st = ok(b.vfs.stat(&p, StatOptions::default()), &format!("stat {p}"));
        assert_eq!(st.meta.size, len, "{p}: stat size");
        let (_, mut content) = ok(b.vfs.open(&p), &format!("open {p}"));
        let got = EtagHasher::of_reader(&mut content).unwrap_or_else(|e| panic!("read {p}: {e}"));
        assert_eq!(got, want, "{p}: content read back differs");
    }
}

#[test]
fn write_replaces_the_whole_file() {
    let b = backends("conformance::write_replaces_the_whole_file");
    for m in &b.mounts {
        let p = format!("{m}/notes/replace.txt");
        put(&b.vfs, &p, b"a first version that is longer\n");
        let out = put(&b.vfs, &p, b"v2\n");
        assert!(!out.created, "{p}: replacing reports created = false");
        assert_eq!(read(&b.vfs, &p), b"v2\n", "{p}: content after replace");
        let st = ok(b.vfs.stat(&p, StatOptions::default()), &format!("stat {p}"));
        assert_eq!(st.meta.size, 3, "{p}: size after replace");
    }
}

// ---- stat and ETags -------------------------------------------------------------------------

#[test]
fn stat_reports_kind_size_and_etag() {
    let b = backends("conformance::stat_reports_kind_size_and_etag");
    for m in &b.mounts {
        let p = format!("{m}/st/file.txt");
        let written = put(&b.vfs, &p, b"hello\n");
        let st = ok(
            b.vfs.stat(&p, StatOptions { etag: true }),
            &format!("stat {p}"),
        );
        assert_eq!(st.meta.kind, Kind::File, "{p}: kind");
        assert_eq!(st.meta.size, 6, "{p}: size");
        assert!(st.meta.modified.is_some(), "{p}: a file has an mtime");
        let tag = st.meta.etag.clone().unwrap_or_default();
        assert!(!tag.is_empty(), "{p}: stat with etag: true gives an ETag");
        assert_eq!(
            written.etag.as_deref(),
            Some(tag.as_str()),
            "{p}: the ETag a write reports is the one stat gives"
        );
        assert_eq!(
            st.mount.as_ref().map(|v| v.as_str()),
            Some(*m),
            "{p}: mount"
        );

        put(&b.vfs, &p, b"hello, changed\n");
        assert_ne!(
            etag(&b.vfs, &p),
            tag,
            "{p}: the ETag changes with the content"
        );

        let d = format!("{m}/st");
        let st = ok(
            b.vfs.stat(&d, StatOptions { etag: true }),
            &format!("stat {d}"),
        );
        assert_eq!(
            st.meta.kind,
            Kind::Dir,
            "{d}: a folder holding a file is a Dir"
        );
        assert_eq!(st.meta.etag, None, "{d}: folders have no ETag");

        let root = ok(b.vfs.stat(m, StatOptions::default()), &format!("stat {m}"));
        assert_eq!(root.meta.kind, Kind::Dir, "{m}: the mount root is a Dir");
    }
}

// ---- preconditions --------------------------------------------------------------------------

#[test]
fn write_if_match_succeeds_on_the_current_etag_and_conflicts_on_a_stale_one() {
    let b = backends("conformance::write_if_match");
    for m in &b.mounts {
        let p = format!("{m}/pre/doc.md");
        put(&b.vfs, &p, b"v1\n");
        let v1 = etag(&b.vfs, &p);
        let out = ok(
            put_with(&b.vfs, &p, b"v2\n", Precondition::IfMatch(v1.clone())),
            &format!("write {p} --if-match current"),
        );
        assert!(!out.created, "{p}: if-match replace is not a create");
        assert_eq!(read(&b.vfs, &p), b"v2\n", "{p}: if-match write applied");

        fails(
            put_with(&b.vfs, &p, b"v3\n", Precondition::IfMatch(v1)),
            ErrorKind::Conflict,
            &format!("write {p} --if-match stale"),
        );
        fails(
            put_with(
                &b.vfs,
                &p,
                b"v3\n",
                Precondition::IfMatch("0123abcd".into()),
            ),
            ErrorKind::Conflict,
            &format!("write {p} --if-match made-up"),
        );
        assert_eq!(
            read(&b.vfs, &p),
            b"v2\n",
            "{p}: a failed if-match changes nothing"
        );
    }
}

/// The ETag a read reports and the one an edit is guarded by are the store's own, the same
/// as `stat` gives and a conditional write compares against (object stores and Redis keep
/// their own tags; a local file's tag is the hash of its content).
#[test]
fn read_and_edit_use_the_etag_conditional_writes_compare() {
    use ax::vfs::{EditRequest, LineWindow};
    let b = backends("conformance::read_and_edit_etags");
    for m in &b.mounts {
        let p = format!("{m}/edit/doc.md");
        put(&b.vfs, &p, b"alpha\nbeta\n");
        let window = LineWindow {
            offset: 2,
            limit: Some(1),
            numbered: false,
            etag: true,
        };
        let mut out = Vec::new();
        let info = ok(
            b.vfs.read_lines(&p, &window, &mut out),
            &format!("read {p}"),
        );
        assert_eq!(out, b"beta\n", "{p}: the window");
        let read_tag = info
            .etag
            .unwrap_or_else(|| panic!("{p}: a read asked for its ETag"));
        assert_eq!(
            read_tag,
            etag(&b.vfs, &p),
            "{p}: read and stat give one ETag"
        );
        ok(
            put_with(
                &b.vfs,
                &p,
                b"alpha\nbeta\ngamma\n",
                Precondition::IfMatch(read_tag.clone()),
            ),
            &format!("write {p} --if-match (the read's ETag)"),
        );

        let edit = |old: &str, new: &str, if_match: Option<String>| {
            b.vfs.edit(
                &p,
                &EditRequest {
                    old: old.into(),
                    new: new.into(),
                    all: false,
                    if_match,
                },
            )
        };
        let done = ok(edit("beta", "BETA", None), &format!("edit {p}"));
        assert_eq!(done.replacements, 1);
        assert_eq!(read(&b.vfs, &p), b"alpha\nBETA\ngamma\n", "{p}: edited");
        assert_eq!(
            done.etag,
            etag(&b.vfs, &p),
            "{p}: the edit reports the new ETag"
        );
        let guarded = ok(
            edit("gamma", "GAMMA", Some(done.etag.clone())),
            &format!("edit {p} --if-match current"),
        );
        fails(
            edit("alpha", "ALPHA", Some(read_tag)),
            ErrorKind::Conflict,
            &format!("edit {p} --if-match stale"),
        );
        assert_eq!(
            read(&b.vfs, &p),
            b"alpha\nBETA\nGAMMA\n",
            "{p}: a stale edit changes nothing"
        );
        assert_eq!(guarded.etag, etag(&b.vfs, &p));
    }
}

#[test]
fn write_if_none_match_only_creates() {
    let b = backends("conformance::write_if_none_match_only_creates");
    for m in &b.mounts {
        let p = format!("{m}/pre/new.txt");
        let out = ok(
            put_with(&b.vfs, &p, b"first\n", Precondition::IfNoneMatch),
            &format!("write {p} --if-none-match on a new path"),
        );
        assert!(out.created, "{p}: created");
        fails(
            put_with(&b.vfs, &p, b"second\n", Precondition::IfNoneMatch),
            ErrorKind::Conflict,
            &format!("write {p} --if-none-match on an existing file"),
        );
        assert_eq!(read(&b.vfs, &p), b"first\n", "{p}: unchanged");
    }
}

// ---- append ---------------------------------------------------------------------------------

#[test]
fn append_creates_appends_and_honours_if_match() {
    let b = backends("conformance::append_creates_appends_and_honours_if_match");
    for m in &b.mounts {
        let p = format!("{m}/logs/a.jsonl");
        let out = ok(
            append_with(&b.vfs, &p, b"{\"turn\":1}\n", Precondition::None),
            &format!("append {p} (new)"),
        );
        assert!(out.created, "{p}: first append creates");
        assert_eq!(out.bytes, 11, "{p}: bytes appended");
        let out = ok(
            append_with(&b.vfs, &p, b"{\"turn\":2}\n", Precondition::None),
            &format!("append {p}"),
        );
        assert!(!out.created, "{p}: second append does not create");
        assert_eq!(
            read(&b.vfs, &p),
            b"{\"turn\":1}\n{\"turn\":2}\n",
            "{p}: content"
        );

        let current = etag(&b.vfs, &p);
        if let Some(reported) = &out.etag {
            assert_eq!(reported, &current, "{p}: append reports the resulting ETag");
        }
        ok(
            append_with(&b.vfs, &p, b"3\n", Precondition::IfMatch(current.clone())),
            &format!("append {p} --if-match current"),
        );
        fails(
            append_with(&b.vfs, &p, b"4\n", Precondition::IfMatch(current)),
            ErrorKind::Conflict,
            &format!("append {p} --if-match stale"),
        );
        assert_eq!(
            read(&b.vfs, &p),
            b"{\"turn\":1}\n{\"turn\":2}\n3\n",
            "{p}: a failed if-match append changes nothing"
        );

        let bin = format!("{m}/logs/bytes.bin");
        let data = binary();
        let (first, second) = data.split_at(300);
        ok(append_with(&b.vfs, &bin, first, Precondition::None), &bin);
        ok(append_with(&b.vfs, &bin, second, Precondition::None), &bin);
        assert_eq!(
            read(&b.vfs, &bin),
            data,
            "{bin}: binary appends are byte-exact"
        );
    }
}

// ---- listing and walking --------------------------------------------------------------------

/// Files of the listing/walk fixture. `sub-x.txt` sorts between `sub` and `sub2` by name but
/// before `sub/…` as a flat object key ('-' < '/'): a walk must order by name, depth-first.
const TREE: &[(&str, &str)] = &[
    ("d/b.txt", "bb\n"),
    ("d/a.txt", "a\n"),
    ("d/sub/c.txt", "ccc\n"),
    ("d/sub-x.txt", "x\n"),
    ("d/sub2/x/y.txt", "yyyy\n"),
];

#[test]
fn list_shows_files_and_folders_sorted() {
    let b = backends("conformance::list_shows_files_and_folders_sorted");
    for m in &b.mounts {
        for (rel, text) in TREE {
            put(&b.vfs, &format!("{m}/{rel}"), text.as_bytes());
        }
        let d = format!("{m}/d");
        let got: Vec<(String, Kind, u64)> = ok(b.vfs.list(&d), &format!("list {d}"))
            .into_iter()
            .map(|e| {
                let size = if e.meta.kind == Kind::File {
                    e.meta.size
                } else {
                    0
                };
                (e.path.as_str().to_string(), e.meta.kind, size)
            })
            .collect();
        let want = vec![
            (format!("{d}/a.txt"), Kind::File, 2),
            (format!("{d}/b.txt"), Kind::File, 3),
            (format!("{d}/sub"), Kind::Dir, 0),
            (format!("{d}/sub-x.txt"), Kind::File, 2),
            (format!("{d}/sub2"), Kind::Dir, 0),
        ];
        assert_eq!(got, want, "list {d}");

        let root: Vec<String> = ok(b.vfs.list(m), &format!("list {m}"))
            .into_iter()
            .map(|e| e.path.as_str().to_string())
            .collect();
        assert_eq!(root, vec![d.clone()], "list {m}");

        let file = format!("{d}/a.txt");
        let single = ok(b.vfs.list(&file), &format!("list {file}"));
        assert_eq!(single.len(), 1, "list of a file gives the file: {file}");
        assert_eq!(single[0].path.as_str(), file);

        fails(
            b.vfs.list(&format!("{m}/no-such-dir")),
            ErrorKind::NotFound,
            &format!("list {m}/no-such-dir"),
        );
    }
}

#[test]
fn walk_is_recursive_depth_first_and_sorted() {
    let b = backends("conformance::walk_is_recursive_depth_first_and_sorted");
    for m in &b.mounts {
        for (rel, text) in TREE {
            put(&b.vfs, &format!("{m}/{rel}"), text.as_bytes());
        }
        let d = format!("{m}/d");
        let want: Vec<(String, Kind, usize)> = [
            ("a.txt", Kind::File, 1),
            ("b.txt", Kind::File, 1),
            ("sub", Kind::Dir, 1),
            ("sub/c.txt", Kind::File, 2),
            ("sub-x.txt", Kind::File, 1),
            ("sub2", Kind::Dir, 1),
            ("sub2/x", Kind::Dir, 2),
            ("sub2/x/y.txt", Kind::File, 3),
        ]
        .into_iter()
        .map(|(rel, kind, depth)| (format!("{d}/{rel}"), kind, depth))
        .collect();
        assert_eq!(walk(&b.vfs, &d, |_| Walk::Continue), want, "walk {d}");

        let skip = format!("{d}/sub2");
        let got = walk(&b.vfs, &d, |p| {
            if p == skip {
                Walk::SkipDir
            } else {
                Walk::Continue
            }
        });
        assert!(
            got.iter().any(|(p, ..)| p == &skip)
                && !got.iter().any(|(p, ..)| p.starts_with(&format!("{skip}/"))),
            "walk {d} with SkipDir at {skip}: {got:?}"
        );
        assert_eq!(got.len(), want.len() - 2, "walk {d} with SkipDir: {got:?}");

        let mut n = 0;
        let got = walk(&b.vfs, &d, |_| {
            n += 1;
            if n == 3 { Walk::Stop } else { Walk::Continue }
        });
        assert_eq!(got.len(), 3, "walk {d} stops when told: {got:?}");

        let from_root = walk(&b.vfs, m, |_| Walk::Continue);
        assert_eq!(from_root.len(), want.len() + 1, "walk {m}: {from_root:?}");
        assert_eq!(from_root[0], (d.clone(), Kind::Dir, 1), "walk {m}");
    }
}

// ---- remove ---------------------------------------------------------------------------------

#[test]
fn remove_deletes_files_and_needs_recursive_for_folders() {
    let b = backends("conformance::remove_deletes_files_and_needs_recursive_for_folders");
    let plain = RemoveOptions { recursive: false };
    let recursive = RemoveOptions { recursive: true };
    for m in &b.mounts {
        for rel in [
            "r/f.txt",
            "r/inner/g.txt",
            "r/inner/deep/h.txt",
            "r2.txt",
            "rx/keep.txt",
        ] {
            put(&b.vfs, &format!("{m}/{rel}"), rel.as_bytes());
        }
        let f = format!("{m}/r/f.txt");
        ok(b.vfs.remove(&f, plain), &format!("rm {f}"));
        assert!(!exists(&b.vfs, &f), "{f}: gone after rm");
        fails(
            b.vfs.remove(&f, plain),
            ErrorKind::NotFound,
            &format!("rm {f} again"),
        );

        let r = format!("{m}/r");
        let refused = b.vfs.remove(&r, plain);
        assert!(
            refused.is_err(),
            "rm {r} without recursive must fail: {refused:?}"
        );
        assert_eq!(
            read(&b.vfs, &format!("{r}/inner/deep/h.txt")),
            b"r/inner/deep/h.txt",
            "rm {r} without recursive changes nothing"
        );

        ok(b.vfs.remove(&r, recursive), &format!("rm -r {r}"));
        for gone in [
            r.clone(),
            format!("{r}/inner"),
            format!("{r}/inner/deep/h.txt"),
        ] {
            assert!(!exists(&b.vfs, &gone), "{gone}: gone after rm -r {r}");
        }
        let left: Vec<String> = ok(b.vfs.list(m), &format!("list {m}"))
            .into_iter()
            .map(|e| e.path.as_str().to_string())
            .collect();
        assert_eq!(
            left,
            vec![format!("{m}/r2.txt"), format!("{m}/rx")],
            "rm -r {r} removes only what is below it (not the sibling r2.txt or rx/)"
        );
    }
}

#[test]
fn the_mount_root_cannot_be_removed() {
    let b = backends("conformance::the_mount_root_cannot_be_removed");
    for m in &b.mounts {
        let p = format!("{m}/keep.txt");
        put(&b.vfs, &p, b"keep\n");
        for opts in [
            RemoveOptions { recursive: true },
            RemoveOptions { recursive: false },
        ] {
            fails(
                b.vfs.remove(m, opts),
                ErrorKind::Refused,
                &format!("rm {m} ({opts:?})"),
            );
            fails(
                b.vfs.remove(&format!("{m}/"), opts),
                ErrorKind::Refused,
                &format!("rm {m}/ ({opts:?})"),
            );
        }
        assert_eq!(
            read(&b.vfs, &p),
            b"keep\n",
            "{p}: survives rm of its mount root"
        );
    }
}

// ---- rename, copy and move ------------------------------------------------------------------

#[test]
fn rename_within_a_mount_moves_files_and_folders() {
    let b = backends("conformance::rename_within_a_mount_moves_files_and_folders");
    let opts = TransferOptions::default();
    for m in &b.mounts {
        let (a, to) = (format!("{m}/mv/a.txt"), format!("{m}/mv/moved/b.txt"));
        put(&b.vfs, &a, b"payload\n");
        let out = ok(b.vfs.rename(&a, &to, &opts), &format!("mv {a} {to}"));
        assert_eq!(out.to.as_str(), to, "mv {a} {to}: destination");
        assert!(!exists(&b.vfs, &a), "{a}: gone after mv");
        assert_eq!(read(&b.vfs, &to), b"payload\n", "{to}: content after mv");

        // Replacing an existing file.
        let c = format!("{m}/mv/c.txt");
        put(&b.vfs, &c, b"new\n");
        ok(
            b.vfs.rename(&c, &to, &opts),
            &format!("mv {c} {to} (replace)"),
        );
        assert_eq!(read(&b.vfs, &to), b"new\n", "{to}: replaced by mv");

        // A folder with nested content.
        let (dir, dir2) = (format!("{m}/tree"), format!("{m}/tree-renamed"));
        put(&b.vfs, &format!("{dir}/one.txt"), b"1\n");
        put(&b.vfs, &format!("{dir}/sub/two.bin"), &binary());
        ok(
            b.vfs.rename(&dir, &dir2, &opts),
            &format!("mv {dir} {dir2}"),
        );
        assert!(!exists(&b.vfs, &dir), "{dir}: gone after mv");
        assert_eq!(
            read(&b.vfs, &format!("{dir2}/one.txt")),
            b"1\n",
            "{dir2}/one.txt"
        );
        assert_eq!(
            read(&b.vfs, &format!("{dir2}/sub/two.bin")),
            binary(),
            "{dir2}/sub/two.bin"
        );
    }
}

#[test]
fn copy_and_move_across_every_pair_of_backends_are_byte_exact() {
    let b = backends("conformance::copy_and_move_across_every_pair_of_backends_are_byte_exact");
    let copy = TransferOptions { recursive: true };
    for (i, from) in b.mounts.iter().enumerate() {
        for (j, to) in b.mounts.iter().enumerate() {
            if i == j {
                continue;
            }
            let pair = format!("{}-to-{}", &from[1..], &to[1..]);
            let mut data = binary();
            data.extend_from_slice(pair.as_bytes());
            data.extend(noise((i * 10 + j) as u64, 300_000));

            // A file: copy keeps the source, move removes it.
            let src = format!("{from}/out/{pair}.bin");
            put(&b.vfs, &src, &data);
            let dst = format!("{to}/in/{pair}.bin");
            let out = ok(b.vfs.copy(&src, &dst, &copy), &format!("cp {src} {dst}"));
            assert_eq!(
                (out.files, out.bytes),
                (1, data.len() as u64),
                "cp {src} {dst}"
            );
            assert!(
                read(&b.vfs, &dst) == data,
                "cp {src} {dst}: destination differs"
            );
            assert!(read(&b.vfs, &src) == data, "cp {src} {dst}: source changed");

            let moved = format!("{to}/in/{pair}.moved.bin");
            ok(
                b.vfs.rename(&src, &moved, &copy),
                &format!("mv {src} {moved}"),
            );
            assert!(
                read(&b.vfs, &moved) == data,
                "mv {src} {moved}: destination differs"
            );
            assert!(
                !exists(&b.vfs, &src),
                "mv {src} {moved}: source still there"
            );

            // A folder, recursively.
            let tree = format!("{from}/trees/{pair}");
            put(&b.vfs, &format!("{tree}/one.txt"), pair.as_bytes());
            put(&b.vfs, &format!("{tree}/deep/er/two.bin"), &data);
            let dst_tree = format!("{to}/trees/{pair}-copy");
            let out = ok(
                b.vfs.copy(&tree, &dst_tree, &copy),
                &format!("cp -r {tree} {dst_tree}"),
            );
            assert_eq!(
                (out.files, out.bytes),
                (2, (pair.len() + data.len()) as u64),
                "cp -r {tree} {dst_tree}"
            );
            assert_eq!(
                read(&b.vfs, &format!("{dst_tree}/one.txt")),
                pair.as_bytes()
            );
            assert!(
                read(&b.vfs, &format!("{dst_tree}/deep/er/two.bin")) == data,
                "cp -r {tree} {dst_tree}: deep/er/two.bin differs"
            );
            let dst_moved = format!("{to}/trees/{pair}-moved");
            ok(
                b.vfs.rename(&tree, &dst_moved, &copy),
                &format!("mv {tree} {dst_moved}"),
            );
            assert!(
                !exists(&b.vfs, &tree),
                "mv {tree} {dst_moved}: source still there"
            );
            assert!(
                read(&b.vfs, &format!("{dst_moved}/deep/er/two.bin")) == data,
                "mv {tree} {dst_moved}: deep/er/two.bin differs"
            );
        }
    }
}

// ---- errors ---------------------------------------------------------------------------------

#[test]
fn a_missing_file_is_not_found() {
    let b = backends("conformance::a_missing_file_is_not_found");
    for m in &b.mounts {
        let p = format!("{m}/nothing/here.txt");
        fails(
            b.vfs.open(&p).map(|_| ()),
            ErrorKind::NotFound,
            &format!("open {p}"),
        );
        fails(
            b.vfs.stat(&p, StatOptions::default()),
            ErrorKind::NotFound,
            &format!("stat {p}"),
        );
        fails(
            b.vfs.remove(&p, RemoveOptions { recursive: true }),
            ErrorKind::NotFound,
            &format!("rm -r {p}"),
        );
        fails(
            b.vfs
                .copy(&p, &format!("{m}/x.txt"), &TransferOptions::default()),
            ErrorKind::NotFound,
            &format!("cp {p}"),
        );
        let e = b.vfs.open(&p).err().expect("checked above");
        assert!(
            e.to_line().contains(&p),
            "the error names the virtual path {p}: {}",
            e.to_line()
        );
    }
}

#[test]
fn reading_a_folder_is_an_error() {
    let b = backends("conformance::reading_a_folder_is_an_error");
    for m in &b.mounts {
        put(&b.vfs, &format!("{m}/folder/f.txt"), b"f\n");
        let p = format!("{m}/folder");
        match b.vfs.open(&p) {
            Ok(_) => panic!("open {p}: reading a folder must fail"),
            Err(e) => assert!(
                e.kind() == ErrorKind::IsADirectory,
                "open {p}: expected IsADirectory, got {:?}: {}",
                e.kind(),
                e.to_line()
            ),
        }
    }
}
