//! `VPath`: a validated virtual path.
//!
//! Virtual paths are absolute, `/`-separated UTF-8. Parsing resolves `.` and `..` lexically
//! and collapses repeated slashes, so two spellings of one file compare equal. A path that
//! climbs above `/`, or contains a NUL byte, never becomes a `VPath`. Whether a `..` leaves a
//! *mount* is the mount table's concern ([`VPath::parse_within`] takes the boundary test).
//!
//! ```
//! use ax::vpath::VPath;
//! assert_eq!(VPath::parse("/scratch//a/./b/../c.md").unwrap().as_str(), "/scratch/a/c.md");
//! assert!(VPath::parse("/scratch/../../etc/passwd").is_err());
//! ```

use std::fmt;

use crate::error::{Advice, Error, ErrorKind, Result};

/// A normalised absolute virtual path (`/` or `/a/b`, never a trailing slash).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VPath(String);

impl VPath {
    /// The root of the namespace, `/`.
    pub fn root() -> VPath {
        VPath("/".to_string())
    }

    /// Parses and normalises `raw`; refuses relative paths, NUL bytes and climbing above `/`.
    pub fn parse(raw: &str) -> Result<VPath> {
        VPath::parse_within(raw, |_| false)
    }

    /// Like [`VPath::parse`], and also refuses a `..` that would pop a segment for which
    /// `is_boundary` holds (the mount table passes "is a mount point or an ancestor of one"),
    /// so `/scratch/../context/x` cannot sneak from one mount into another.
    pub fn parse_within(raw: &str, is_boundary: impl Fn(&str) -> bool) -> Result<VPath> {
        if raw.is_empty() {
            return Err(Error::usage("empty path")
                .hint("virtual paths start with /, e.g. /scratch/notes.md"));
        }
        if raw.contains('\0') {
            return Err(
                Error::new(ErrorKind::OutsideMount, "path contains a NUL byte")
                    .at(raw.escape_debug()),
            );
        }
        if !raw.starts_with('/') {
            return Err(Error::usage("not an absolute virtual path")
                .at(raw)
                .advise(Advice::StartAtAMount));
        }
        let mut out = String::with_capacity(raw.len());
        for seg in raw.split('/') {
            match seg {
                "" | "." => {}
                ".." => {
                    if out.is_empty() {
                        return Err(
                            Error::new(ErrorKind::OutsideMount, "path climbs above /").at(raw)
                        );
                    }
                    if is_boundary(&out) {
                        return Err(Error::new(
                            ErrorKind::OutsideMount,
                            format!("`..` would leave the mount {out}"),
                        )
                        .at(raw));
                    }
                    let cut = out.rfind('/').unwrap_or(0);
                    out.truncate(cut);
                }
                s => {
                    out.push('/');
                    out.push_str(s);
                }
            }
        }
        if out.is_empty() {
            out.push('/');
        }
        Ok(VPath(out))
    }

    /// The path as a string, always starting with `/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for `/`.
    pub fn is_root(&self) -> bool {
        self.0 == "/"
    }

    /// The last segment (`""` for `/`).
    pub fn name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or("")
    }

    /// The parent path (`/` for top-level entries and for `/` itself).
    pub fn parent(&self) -> VPath {
        match self.0.rfind('/') {
            Some(0) | None => VPath::root(),
            Some(i) => VPath(self.0[..i].to_string()),
        }
    }

    /// Appends one or more `/`-separated segments; `..` and `.` are not allowed here.
    pub fn join(&self, rel: &str) -> Result<VPath> {
        if rel.split('/').any(|s| s == ".." || s == ".") || rel.contains('\0') {
            return Err(
                Error::new(ErrorKind::OutsideMount, "invalid path segment").at(rel.escape_debug())
            );
        }
        let base = if self.is_root() { "" } else { self.0.as_str() };
        VPath::parse(&format!("{base}/{rel}"))
    }

    /// True if `self` is `other` or lies below it (segment-wise: `/ab` is not below `/a`).
    pub fn starts_with(&self, other: &VPath) -> bool {
        if other.is_root() {
            return true;
        }
        self.0 == other.0
            || (self.0.starts_with(&other.0) && self.0.as_bytes().get(other.0.len()) == Some(&b'/'))
    }

    /// The part of `self` below `base` without a leading slash (`""` when equal).
    /// `None` if `self` is not below `base`.
    pub fn strip_prefix(&self, base: &VPath) -> Option<&str> {
        if !self.starts_with(base) {
            return None;
        }
        if base.is_root() {
            return Some(&self.0[1..]);
        }
        Some(self.0[base.0.len()..].trim_start_matches('/'))
    }
}

impl fmt::Display for VPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for VPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VPath({:?})", self.0)
    }
}

impl serde::Serialize for VPath {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn normalises() {
        let cases = [
            ("/", "/"),
            ("//", "/"),
            ("/a/", "/a"),
            ("/a/./b", "/a/b"),
            ("/a/b/..", "/a"),
            ("/a/b/../../c", "/c"),
            ("/a//b///c", "/a/b/c"),
        ];
        for (raw, want) in cases {
            assert_eq!(VPath::parse(raw).unwrap().as_str(), want, "{raw}");
        }
    }

    #[test]
    fn refuses_escapes() {
        for raw in ["/..", "/a/../..", "/scratch/../../etc/passwd", "/a/\0b"] {
            let err = VPath::parse(raw).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::OutsideMount, "{raw}");
        }
        assert_eq!(VPath::parse("a/b").unwrap_err().kind(), ErrorKind::Usage);
        assert_eq!(VPath::parse("").unwrap_err().kind(), ErrorKind::Usage);
    }

    #[test]
    fn boundaries_stop_dotdot() {
        let is_mount = |p: &str| p == "/scratch" || p == "/context";
        assert!(VPath::parse_within("/scratch/../context/x", is_mount).is_err());
        assert_eq!(
            VPath::parse_within("/scratch/a/../b", is_mount)
                .unwrap()
                .as_str(),
            "/scratch/b"
        );
    }

    #[test]
    fn prefix_is_segment_wise() {
        let a = VPath::parse("/a").unwrap();
        assert!(VPath::parse("/a/b").unwrap().starts_with(&a));
        assert!(!VPath::parse("/ab").unwrap().starts_with(&a));
        assert_eq!(
            VPath::parse("/a/b/c").unwrap().strip_prefix(&a),
            Some("b/c")
        );
        assert_eq!(a.strip_prefix(&a), Some(""));
        assert_eq!(a.strip_prefix(&VPath::root()), Some("a"));
        assert_eq!(VPath::parse("/a/b").unwrap().parent(), a);
        assert_eq!(a.parent(), VPath::root());
    }

    fn segment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("..".to_string()),
            Just(".".to_string()),
            Just(String::new()),
            "[a-zA-Z0-9_ é%-]{1,6}",
        ]
    }

    proptest! {
        /// Normalising twice changes nothing, and a parsed path never holds `.`/`..`/empty segments.
        #[test]
        fn parse_is_idempotent(segs in proptest::collection::vec(segment(), 0..12)) {
            let raw = format!("/{}", segs.join("/"));
            if let Ok(p) = VPath::parse(&raw) {
                let again = VPath::parse(p.as_str()).unwrap();
                prop_assert_eq!(&again, &p);
                if !p.is_root() {
                    for s in p.as_str()[1..].split('/') {
                        prop_assert!(!s.is_empty() && s != "." && s != "..");
                    }
                }
            }
        }

        /// A path accepted under a mount boundary never ends up outside that mount
        /// when it started inside it.
        #[test]
        fn dotdot_never_leaves_a_mount(segs in proptest::collection::vec(segment(), 0..12)) {
            let raw = format!("/scratch/{}", segs.join("/"));
            let is_boundary = |p: &str| p == "/scratch";
            if let Ok(p) = VPath::parse_within(&raw, is_boundary) {
                prop_assert!(p.starts_with(&VPath::parse("/scratch").unwrap()), "{} -> {}", raw, p);
            }
        }
    }
}
