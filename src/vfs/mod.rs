//! The Vfs facade: the only API the CLI and the MCP server call.
//!
//! It parses user-given paths (refusing `..` out of a mount), routes them through the
//! [`MountTable`], enforces read-only mounts for every mutation, presents `/` and the
//! ancestors of mount points as directories, and implements what is the same for every
//! backend: line-ranged reads, `edit`, walks across mounts, and cross-mount `cp`/`mv`
//! (in `transfer.rs`). It never prints.

mod edit;
mod lines;
mod mount;
mod transfer;

use std::io::Read;

use crate::vpath::VPath;

pub use edit::{EditOutcome, EditRequest};
pub use lines::{LineWindow, LinesInfo};
pub use mount::{Located, MountEntry, MountTable};
pub use transfer::{TransferOptions, TransferOutcome};

use crate::backend::{
    Content, Entry, Kind, Meta, RemoveOptions, StatOptions, Walk, WriteOptions, WriteOutcome,
};
use crate::config::{Config, Tier};
use crate::error::{Advice, Error, ErrorKind, Result};

/// The matcher `find` uses for a name glob (`*.md`): `*` never crosses a `/`.
pub fn name_glob(glob: &str) -> Result<globset::GlobMatcher> {
    globset::GlobBuilder::new(glob)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| Error::usage(format!("invalid glob: {}", e.kind())).at(glob))
}

/// The virtual filesystem over a resolved configuration.
pub struct Vfs {
    config: Config,
    mounts: MountTable,
}

/// Metadata of a virtual path, with the mount that serves it.
#[derive(Debug, Clone)]
pub struct VStat {
    /// The normalised path.
    pub path: VPath,
    /// The mount point serving it (`None` for `/` and other namespace-only directories).
    pub mount: Option<VPath>,
    /// The tier of that mount.
    pub tier: Option<Tier>,
    /// Whether that mount is read-only (namespace-only directories are).
    pub read_only: bool,
    /// Kind, size, mtime, ETag.
    pub meta: Meta,
}

/// One entry of a listing or walk, by virtual path.
#[derive(Debug, Clone)]
pub struct VEntry {
    /// The entry's virtual path.
    pub path: VPath,
    /// Its metadata (no ETag).
    pub meta: Meta,
    /// Depth below the walk's starting directory (1 = direct child).
    pub depth: usize,
    /// Set when the entry is a mount point (its tier).
    pub mount_tier: Option<Tier>,
}

fn dir_meta() -> Meta {
    Meta {
        kind: Kind::Dir,
        size: 0,
        modified: None,
        etag: None,
        cached: None,
    }
}

impl Vfs {
    /// A Vfs over `config`. Builds no backend and touches no disk yet.
    pub fn new(config: Config) -> Vfs {
        let mounts = MountTable::new(&config.mounts, &config.state_dir);
        Vfs { config, mounts }
    }

    /// This namespace as one `ax serve` token sees it: only the mounts its scope names exist
    /// (listings, walks, search, `ax_mounts` and the tool descriptions show no others, and a
    /// path into another is not found), a mount it may only read refuses every change with a
    /// `Forbidden` error, and `ax_exec` runs only where its scope says `x`. The backends (and
    /// so connections and caches) are shared with `self`. Enforced here, in the path every
    /// operation takes, so no front end can forget it.
    pub fn restricted(&self, token: &crate::config::Token) -> Vfs {
        let mounts = self.mounts.restricted(&|p| token.grant(p));
        let mut config = self.config.clone();
        let seen: Vec<&MountEntry> = mounts.sorted();
        config.mounts = config
            .mounts
            .iter()
            .filter_map(|m| seen.iter().find(|e| e.path() == &m.path))
            .map(|e| e.config.clone())
            .collect();
        config
            .lifecycle
            .retain(|r| seen.iter().any(|e| e.path() == &r.mount));
        config.serve = crate::config::ServeSettings::default();
        Vfs { config, mounts }
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The mount table.
    pub fn mounts(&self) -> &MountTable {
        &self.mounts
    }

    /// Parses a user-given path.
    pub fn path(&self, raw: &str) -> Result<VPath> {
        self.mounts.parse(raw)
    }

    /// Parses and routes a user-given path to its mount.
    pub fn locate(&self, raw: &str) -> Result<Located<'_>> {
        let p = self.path(raw)?;
        self.mounts.locate(&p)
    }

    /// Routes for a mutation: refuses read-only mounts.
    fn locate_writable(&self, raw: &str) -> Result<Located<'_>> {
        let p = self.path(raw)?;
        if self.mounts.is_virtual_dir(&p) {
            return Err(Error::new(
                ErrorKind::ReadOnly,
                "is a directory of mount points, not inside a mount",
            )
            .at(&p)
            .advise(Advice::WriteBelowMount));
        }
        let loc = self.mounts.locate(&p)?;
        loc.mount.check_writable(&loc.path)?;
        Ok(loc)
    }

    /// Metadata of `raw`; with `opts.etag`, files carry their ETag.
    pub fn stat(&self, raw: &str, opts: StatOptions) -> Result<VStat> {
        let p = self.path(raw)?;
        if self.mounts.is_virtual_dir(&p) {
            return Ok(VStat {
                path: p,
                mount: None,
                tier: None,
                read_only: true,
                meta: dir_meta(),
            });
        }
        let loc = self.mounts.locate(&p)?;
        let meta = loc.mount.backend()?.stat(&loc.rel, opts)?;
        Ok(VStat {
            mount: Some(loc.mount.path().clone()),
            tier: Some(loc.mount.config.tier),
            read_only: loc.mount.config.read_only,
            meta,
            path: p,
        })
    }

    /// Opens a file for reading.
    pub fn open(&self, raw: &str) -> Result<(VPath, Content)> {
        self.open_tagged(raw).map(|(p, content, _)| (p, content))
    }

    /// Opens a file for reading, with the store's ETag of the content opened where the store
    /// keeps its own (see [`Backend::open_tagged`](crate::backend::Backend::open_tagged)).
    pub fn open_tagged(&self, raw: &str) -> Result<(VPath, Content, Option<String>)> {
        let p = self.path(raw)?;
        if self.mounts.is_virtual_dir(&p) {
            return Err(Error::new(ErrorKind::IsADirectory, "is a directory")
                .at(&p)
                .advise(Advice::ListFolder));
        }
        let loc = self.mounts.locate(&p)?;
        if loc.rel.is_empty() {
            return Err(
                Error::new(ErrorKind::IsADirectory, "is a mount point (a directory)")
                    .at(&p)
                    .advise(Advice::ListFolder),
            );
        }
        let (content, tag) = loc.mount.backend()?.open_tagged(&loc.rel)?;
        Ok((p, content, tag))
    }

    /// Creates or replaces a file atomically with everything `src` yields.
    pub fn write(
        &self,
        raw: &str,
        src: &mut dyn Read,
        opts: &WriteOptions,
    ) -> Result<(VPath, WriteOutcome)> {
        let loc = self.locate_writable(raw)?;
        let out = loc.mount.backend()?.write(&loc.rel, src, opts)?;
        Ok((loc.path, out))
    }

    /// Appends everything `src` yields to a file (created if missing).
    pub fn append(
        &self,
        raw: &str,
        src: &mut dyn Read,
        opts: &WriteOptions,
    ) -> Result<(VPath, WriteOutcome)> {
        let loc = self.locate_writable(raw)?;
        let out = loc.mount.backend()?.append(&loc.rel, src, opts)?;
        Ok((loc.path, out))
    }

    /// Removes a file, or a directory with `opts.recursive`. Mount points and `/` are refused.
    pub fn remove(&self, raw: &str, opts: RemoveOptions) -> Result<VPath> {
        let p = self.path(raw)?;
        if p.is_root() {
            return Err(Error::new(
                ErrorKind::Refused,
                "is the root of the namespace; it cannot be removed",
            )
            .at(&p)
            .advise(Advice::RemoveInside));
        }
        if self.mounts.is_virtual_dir(&p) || self.mounts.route(&p).is_some_and(|l| l.rel.is_empty())
        {
            return Err(Error::new(
                ErrorKind::Refused,
                "is a mount point; ax never deletes a mount's directory",
            )
            .at(&p)
            .hint(format!(
                "to empty it, remove its entries: `ax ls {p}` then `ax rm -r {p}/NAME`"
            )));
        }
        let loc = self.locate_writable(raw)?;
        loc.mount.backend()?.remove(&loc.rel, opts)?;
        Ok(loc.path)
    }

    /// Removes the directory `raw` only if it is empty (like `rmdir`, atomic: a file created
    /// meanwhile makes it fail, never disappear). Returns whether it was removed: `false` when
    /// it is not empty, missing, not a directory, a mount point or a namespace directory, or
    /// when the backend has no real directories. Read-only mounts are refused.
    pub fn remove_empty_dir(&self, raw: &str) -> Result<bool> {
        let p = self.path(raw)?;
        if p.is_root()
            || self.mounts.is_virtual_dir(&p)
            || self.mounts.route(&p).is_some_and(|l| l.rel.is_empty())
        {
            return Ok(false);
        }
        let loc = self.locate_writable(raw)?;
        loc.mount.backend()?.remove_empty_dir(&loc.rel)
    }

    /// The entries directly below `raw` (a directory), or the entry itself for a file.
    /// `/` and namespace-only directories list mount points.
    pub fn list(&self, raw: &str) -> Result<Vec<VEntry>> {
        let p = self.path(raw)?;
        if self.mounts.is_virtual_dir(&p) {
            return Ok(self.virtual_children(&p));
        }
        let loc = self.mounts.locate(&p)?;
        let backend = loc.mount.backend()?;
        let meta = backend.stat(&loc.rel, StatOptions::default())?;
        if meta.kind != Kind::Dir {
            return Ok(vec![VEntry {
                path: p,
                meta,
                depth: 0,
                mount_tier: None,
            }]);
        }
        let mut out = Vec::new();
        for e in backend.list(&loc.rel)? {
            out.push(self.ventry(loc.mount, &e, 1)?);
        }
        // Mount points nested below this directory shadow what is there.
        for m in self.mounts.sorted() {
            if m.path().parent() == p && m.path() != &p {
                out.retain(|e| &e.path != m.path());
                out.push(VEntry {
                    path: m.path().clone(),
                    meta: dir_meta(),
                    depth: 1,
                    mount_tier: Some(m.config.tier),
                });
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// The children of a namespace-only directory: mount points and further virtual dirs.
    fn virtual_children(&self, p: &VPath) -> Vec<VEntry> {
        let mut out: Vec<VEntry> = Vec::new();
        for m in self.mounts.below(p) {
            let rest = m.path().strip_prefix(p).unwrap_or("");
            let first = rest.split('/').next().unwrap_or("");
            let Ok(child) = p.join(first) else { continue };
            if out.iter().any(|e| e.path == child) {
                continue;
            }
            let tier = (&child == m.path()).then_some(m.config.tier);
            out.push(VEntry {
                path: child,
                meta: dir_meta(),
                depth: 1,
                mount_tier: tier,
            });
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out
    }

    fn ventry(&self, mount: &MountEntry, e: &Entry, depth: usize) -> Result<VEntry> {
        let path = mount.path().join(&e.rel)?;
        Ok(VEntry {
            path,
            meta: e.meta.clone(),
            depth,
            mount_tier: None,
        })
    }

    /// `find`, by one rule for every front end: the walk below `raw`, keeping entries whose
    /// name matches the glob `name` (all, if `None`) and whose kind is `kind` (any, if `None`).
    pub fn find(
        &self,
        raw: &str,
        name: Option<&str>,
        kind: Option<Kind>,
        visit: &mut dyn FnMut(&VEntry) -> Walk,
    ) -> Result<()> {
        let glob = name.map(name_glob).transpose()?;
        self.walk(raw, &mut |e| {
            let keep = kind.is_none_or(|k| e.meta.kind == k)
                && glob.as_ref().is_none_or(|g| g.is_match(e.path.name()));
            if keep { visit(e) } else { Walk::Continue }
        })
    }

    /// Visits everything below `raw`, depth-first in name order, crossing into mounts below
    /// namespace-only directories. Symlinks are not followed.
    pub fn walk(&self, raw: &str, visit: &mut dyn FnMut(&VEntry) -> Walk) -> Result<()> {
        let p = self.path(raw)?;
        self.walk_path(&p, 0, visit).map(|_| ())
    }

    /// Walks `p` whose depth below the walk's start is `base`; returns false when stopped.
    fn walk_path(
        &self,
        p: &VPath,
        base: usize,
        visit: &mut dyn FnMut(&VEntry) -> Walk,
    ) -> Result<bool> {
        if self.mounts.is_virtual_dir(p) {
            for child in self.virtual_children(p) {
                let mut child = child;
                child.depth = base + 1;
                match visit(&child) {
                    Walk::Stop => return Ok(false),
                    Walk::SkipDir => continue,
                    Walk::Continue => {}
                }
                if !self.walk_path(&child.path, base + 1, visit)? {
                    return Ok(false);
                }
            }
            return Ok(true);
        }
        let loc = self.mounts.locate(p)?;
        let backend = loc.mount.backend()?;
        let meta = backend.stat(&loc.rel, StatOptions::default())?;
        if meta.kind != Kind::Dir {
            return Ok(true);
        }
        let start_depth = if loc.rel.is_empty() {
            0
        } else {
            loc.rel.split('/').count()
        };
        let mount = loc.mount;
        let mut stopped = false;
        let mut failure = None;
        backend.walk(&loc.rel, &mut |e| {
            let depth = e.rel.split('/').count() - start_depth + base;
            match self.ventry(mount, e, depth) {
                Ok(ve) => {
                    let w = visit(&ve);
                    if w == Walk::Stop {
                        stopped = true;
                    }
                    w
                }
                Err(err) => {
                    failure = Some(err);
                    Walk::Stop
                }
            }
        })?;
        if let Some(err) = failure {
            return Err(err);
        }
        Ok(!stopped)
    }

    /// Targeted replacement in a file; see [`EditRequest`].
    pub fn edit(&self, raw: &str, req: &EditRequest) -> Result<EditOutcome> {
        let loc = self.locate_writable(raw)?;
        edit::edit(loc.mount.backend()?, &loc.path, &loc.rel, req)
    }

    /// Copies the lines in `window` of a file to `out`; see [`LineWindow`].
    pub fn read_lines(
        &self,
        raw: &str,
        window: &LineWindow,
        out: &mut dyn std::io::Write,
    ) -> Result<LinesInfo> {
        let (p, mut content, tag) = self.open_tagged(raw)?;
        // The ETag a later conditional write compares against: the store's own where it has
        // one, else the hash of the content, computed on the way.
        let hash = LineWindow {
            etag: window.etag && tag.is_none(),
            ..window.clone()
        };
        let mut info =
            lines::copy_lines(&mut content, &hash, out).map_err(|e| e.at_if_unset(&p))?;
        if window.etag && tag.is_some() {
            info.etag = tag;
        }
        Ok(info)
    }

    /// Copies `src` to `dst`, across mounts and tiers, byte-exact.
    pub fn copy(&self, src: &str, dst: &str, opts: &TransferOptions) -> Result<TransferOutcome> {
        transfer::transfer(self, src, dst, opts, transfer::Mode::Copy)
    }

    /// Moves `src` to `dst`: a rename within a mount, copy-verify-delete across mounts.
    pub fn rename(&self, src: &str, dst: &str, opts: &TransferOptions) -> Result<TransferOutcome> {
        transfer::transfer(self, src, dst, opts, transfer::Mode::Move)
    }
}
