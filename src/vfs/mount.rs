//! The mount table: longest-prefix routing from virtual paths to backends.
//!
//! Backends are built lazily, on first use, so a command that touches one mount never pays
//! for the others (an object-store client, say).

use std::sync::{Arc, OnceLock};

use crate::backend::Backend;
use crate::config::{Grant, Mount};
use crate::error::{Advice, Error, ErrorKind, Result};
use crate::vpath::VPath;

type Built = OnceLock<std::result::Result<Box<dyn Backend>, Error>>;

/// What a restricted table lets its caller do on a mount (see [`MountTable::restricted`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// Whatever the mount allows.
    Full,
    /// Read only, whatever the mount allows.
    Read,
    /// The mount does not exist for the caller.
    Hidden,
}

/// A configured mount and its (lazily built) backend.
pub struct MountEntry {
    /// The resolved configuration of this mount (in a restricted table: as the caller sees it).
    pub config: Mount,
    state_dir: std::path::PathBuf,
    /// Shared by a table and the tables restricted from it: one client per store.
    backend: Arc<Built>,
    scope: Scope,
}

impl MountEntry {
    fn new(config: Mount, state_dir: &std::path::Path) -> Self {
        MountEntry {
            config,
            state_dir: state_dir.to_path_buf(),
            backend: Arc::new(OnceLock::new()),
            scope: Scope::Full,
        }
    }

    /// The mount point.
    pub fn path(&self) -> &VPath {
        &self.config.path
    }

    /// The backend serving this mount, built on first use.
    pub fn backend(&self) -> Result<&dyn Backend> {
        self.backend
            .get_or_init(|| crate::backend::build(&self.config, &self.state_dir))
            .as_ref()
            .map(|b| b.as_ref())
            .map_err(Clone::clone)
    }

    /// Fails with the standard read-only error if this mount refuses changes (or, in a
    /// restricted table, with a scope error if the caller may only read it).
    pub fn check_writable(&self, path: &VPath) -> Result<()> {
        if self.scope == Scope::Read {
            return Err(Error::new(
                ErrorKind::Forbidden,
                format!("this token may only read {}", self.config.path),
            )
            .at(path)
            .hint("ask for a token whose scope gives `rw` on this mount"));
        }
        if self.config.read_only {
            return Err(Error::new(
                ErrorKind::ReadOnly,
                format!("mount {} is read-only", self.config.path),
            )
            .at(path)
            .advise(Advice::WritableMount));
        }
        Ok(())
    }
}

/// All mounts, ordered for longest-prefix matching.
pub struct MountTable {
    /// Sorted by mount path, longest first within shared prefixes.
    entries: Vec<MountEntry>,
}

/// A virtual path routed to its mount.
pub struct Located<'a> {
    /// The full virtual path.
    pub path: VPath,
    /// The mount serving it.
    pub mount: &'a MountEntry,
    /// The path relative to the mount (`""` for the mount point itself).
    pub rel: String,
}

impl MountTable {
    /// Builds the table from resolved mounts.
    pub fn new(mounts: &[Mount], state_dir: &std::path::Path) -> Self {
        let mut entries: Vec<MountEntry> = mounts
            .iter()
            .cloned()
            .map(|m| MountEntry::new(m, state_dir))
            .collect();
        // Longest first, so the first prefix match is the longest.
        entries.sort_by(|a, b| {
            b.path()
                .as_str()
                .len()
                .cmp(&a.path().as_str().len())
                .then(a.path().cmp(b.path()))
        });
        MountTable { entries }
    }

    /// The same mounts as one caller may use them, sharing this table's backends: `grant`
    /// says, per mount point, whether the caller may see it and with which rights. A hidden
    /// mount still takes part in routing (so a path below it never falls through to a mount
    /// above) but is absent everywhere else: it cannot be located, listed or walked. A
    /// read-only grant makes the mount read-only, with a scope error on changes.
    pub fn restricted(&self, grant: &dyn Fn(&VPath) -> Option<Grant>) -> MountTable {
        let entries = self
            .entries
            .iter()
            .map(|e| {
                let g = grant(e.path());
                let mut config = e.config.clone();
                let scope = match g {
                    None => Scope::Hidden,
                    Some(g) => {
                        config.exec &= g.exec;
                        if g.write || config.read_only {
                            Scope::Full
                        } else {
                            config.read_only = true;
                            Scope::Read
                        }
                    }
                };
                MountEntry {
                    config,
                    state_dir: e.state_dir.clone(),
                    backend: Arc::clone(&e.backend),
                    scope: if e.scope == Scope::Hidden {
                        Scope::Hidden
                    } else {
                        scope
                    },
                }
            })
            .collect();
        MountTable { entries }
    }

    fn visible(&self) -> impl Iterator<Item = &MountEntry> {
        self.entries.iter().filter(|m| m.scope != Scope::Hidden)
    }

    /// Mounts sorted by path (for listings).
    pub fn sorted(&self) -> Vec<&MountEntry> {
        let mut v: Vec<&MountEntry> = self.visible().collect();
        v.sort_by(|a, b| a.path().cmp(b.path()));
        v
    }

    /// Parses a user-given path, refusing `..` that would leave a mount.
    pub fn parse(&self, raw: &str) -> Result<VPath> {
        VPath::parse_within(raw, |p| self.visible().any(|m| m.path().as_str() == p))
    }

    /// The mount that serves `path`, if any (none when that mount is hidden).
    pub fn route(&self, path: &VPath) -> Option<Located<'_>> {
        let mount = self.entries.iter().find(|m| path.starts_with(m.path()))?;
        if mount.scope == Scope::Hidden {
            return None;
        }
        let rel = path.strip_prefix(mount.path()).unwrap_or("").to_string();
        Some(Located {
            path: path.clone(),
            mount,
            rel,
        })
    }

    /// True if `path` is `/` or an ancestor of a mount point that is not itself mounted
    /// (a directory that exists only in the namespace).
    pub fn is_virtual_dir(&self, path: &VPath) -> bool {
        self.entries
            .iter()
            .find(|m| path.starts_with(m.path()))
            .is_none()
            && self.visible().any(|m| m.path().starts_with(path))
    }

    /// Mounts at or below `path` (for walks and grep over `/` or a virtual directory).
    pub fn below(&self, path: &VPath) -> Vec<&MountEntry> {
        self.sorted()
            .into_iter()
            .filter(|m| m.path().starts_with(path))
            .collect()
    }

    /// Routes `path` or explains that nothing is mounted there.
    pub fn locate(&self, path: &VPath) -> Result<Located<'_>> {
        self.route(path).ok_or_else(|| {
            let list: Vec<&str> = self.sorted().iter().map(|m| m.path().as_str()).collect();
            Error::new(
                ErrorKind::NotFound,
                format!("no mount here; the mounts are {}", list.join(", ")),
            )
            .at(path)
            .advise(Advice::ListMounts)
        })
    }
}
