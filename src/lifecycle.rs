//! Lifecycle: acting on the `lifecycle:` rules of `ax.yaml` (expire old files, demote them to
//! a colder tier).
//!
//! Work is split in two so a dry run shows exactly what a real run does: [`plan`] walks each
//! rule's mount and lists the [`Step`]s (no changes), [`apply`] carries out a list of steps
//! through the ordinary [`Vfs`] operations — `remove` for `delete`, `rename` for `move`
//! (across mounts it copies, verifies, then deletes the source, so nothing is half-moved) —
//! and therefore under the same read-only and jail checks as every other mutation. A step on
//! a read-only mount (source, or destination of a move) is planned like any other and fails
//! with the Vfs's read-only error when applied: never silently skipped.
//!
//! This module owns the selection (which files, in which order, where they go) and the
//! tidy-up of folders a run emptied; it never prints (the CLI reports each step). A run also
//! sweeps the leftover temporary files of interrupted writes ([`plan_sweep`]): older than
//! an hour and not held by a write in progress.

use std::collections::{BTreeSet, HashSet};
use std::time::{Duration, SystemTime};

use crate::backend::{Kind, RemoveOptions, StatOptions, Walk};
use crate::config::LifecycleAction;
use crate::error::{Error, ErrorKind, Result};
use crate::vfs::{TransferOptions, Vfs};
use crate::vpath::VPath;

/// One planned action on one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Delete or move.
    pub action: LifecycleAction,
    /// The file acted on.
    pub path: VPath,
    /// Where a move puts it: the rule's `to` folder plus the path relative to the mount.
    pub to: Option<VPath>,
    /// Size in bytes when planned.
    pub size: u64,
    /// Age in whole seconds when planned.
    pub age_secs: u64,
    /// Modification time when planned; [`apply`] leaves the file alone if it changed since.
    pub modified: SystemTime,
}

/// How old a leftover temporary file of an interrupted write must be before a run removes
/// it. One in use is never removed (a write holds a lock on it); the age is a second guard.
pub const TEMP_SWEEP_AGE: Duration = Duration::from_secs(3600);

/// A leftover temporary file of an interrupted write (`.ax-tmp-*`), found by [`plan_sweep`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TempSweep {
    /// Its virtual path (hidden from listings).
    pub path: VPath,
    /// Size in bytes.
    pub size: u64,
    /// Age in whole seconds.
    pub age_secs: u64,
}

/// Lists the leftover temporary files of interrupted writes, older than [`TEMP_SWEEP_AGE`],
/// in every writable mount (whatever the rules say: they are ax's own debris, never data).
pub fn plan_sweep(vfs: &Vfs) -> Result<Vec<TempSweep>> {
    let mut out = Vec::new();
    for m in vfs.mounts().sorted() {
        if m.config.read_only {
            continue;
        }
        for (rel, size, age) in m.backend()?.stale_temps(TEMP_SWEEP_AGE)? {
            out.push(TempSweep {
                path: m.path().join(&rel)?,
                size,
                age_secs: age.as_secs(),
            });
        }
    }
    Ok(out)
}

/// Removes one planned temporary file; `Ok(false)` when a write holds it or it is gone.
pub fn apply_sweep(vfs: &Vfs, t: &TempSweep) -> Result<bool> {
    let loc = vfs.mounts().locate(&t.path)?;
    loc.mount.backend()?.remove_temp(&loc.rel)
}

/// What [`apply`] did, in numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Steps carried out.
    pub done: usize,
    /// Steps that failed (the file is where it was).
    pub failed: usize,
    /// Folders removed because the run emptied them.
    pub dirs_removed: usize,
}

/// Lists what the rules would do at `now`, without changing anything.
///
/// Rules are taken in config order; each walks its mount (depth-first, in name order) and
/// picks the **files** (not folders, not symlinks) whose modification time is more than
/// `older_than` before `now`. A file picked by an earlier rule is not picked again. Files
/// whose storage reports no modification time are never picked. Not walked: mounts nested
/// inside the rule's mount (they have rules of their own), and a move rule's own `to` folder
/// when it lies inside the mount (so archived files are not moved again). A mount whose
/// folder cannot be walked fails the whole plan, before anything is changed.
pub fn plan(vfs: &Vfs, now: SystemTime) -> Result<Vec<Step>> {
    let config = vfs.config();
    let mut picked: HashSet<VPath> = HashSet::new();
    let mut steps = Vec::new();
    for rule in &config.lifecycle {
        let nested: Vec<&VPath> = config
            .mounts
            .iter()
            .map(|m| &m.path)
            .filter(|p| *p != &rule.mount && p.starts_with(&rule.mount))
            .collect();
        let threshold = Duration::from_secs(rule.older_than_secs);
        let mut failure = None;
        vfs.walk(rule.mount.as_str(), &mut |e| {
            let excluded = nested.iter().any(|n| e.path.starts_with(n))
                || rule.to.as_ref().is_some_and(|to| e.path.starts_with(to));
            if excluded {
                return if e.meta.kind == Kind::Dir {
                    Walk::SkipDir
                } else {
                    Walk::Continue
                };
            }
            if e.meta.kind != Kind::File {
                return Walk::Continue;
            }
            let Some(modified) = e.meta.modified else {
                return Walk::Continue;
            };
            // A time in the future (clock skew) counts as age zero.
            let age = now.duration_since(modified).unwrap_or_default();
            if age <= threshold || picked.contains(&e.path) {
                return Walk::Continue;
            }
            let to = match (rule.action, &rule.to) {
                (LifecycleAction::Delete, _) => None,
                (LifecycleAction::Move, Some(folder)) => {
                    let rel = e.path.strip_prefix(&rule.mount).unwrap_or_default();
                    match folder.join(rel) {
                        Ok(p) => Some(p),
                        Err(err) => {
                            failure = Some(err);
                            return Walk::Stop;
                        }
                    }
                }
                (LifecycleAction::Move, None) => {
                    // Config validation guarantees `to:` on moves; refuse rather than guess.
                    failure = Some(
                        Error::new(
                            ErrorKind::Config,
                            "lifecycle rule `action: move` has no `to:`",
                        )
                        .at(&rule.mount),
                    );
                    return Walk::Stop;
                }
            };
            picked.insert(e.path.clone());
            steps.push(Step {
                action: rule.action,
                path: e.path.clone(),
                to,
                size: e.meta.size,
                age_secs: age.as_secs(),
                modified,
            });
            Walk::Continue
        })?;
        if let Some(err) = failure {
            return Err(err);
        }
    }
    Ok(steps)
}

/// Carries out one step. Before acting it checks the file is still the one planned (same
/// modification time): a file written since is left in place and the step fails, so an
/// agent's fresh write is never expired by a plan made a moment earlier.
pub fn apply_step(vfs: &Vfs, step: &Step) -> Result<()> {
    act(vfs, step).map_err(|e| {
        if e.kind() == ErrorKind::ReadOnly {
            e.hint("a lifecycle rule cannot change a read-only mount; change or remove the rule in ax.yaml")
        } else {
            e
        }
    })
}

fn act(vfs: &Vfs, step: &Step) -> Result<()> {
    let now = vfs.stat(step.path.as_str(), StatOptions::default())?;
    if now.meta.kind != Kind::File || now.meta.modified != Some(step.modified) {
        return Err(Error::new(
            ErrorKind::Conflict,
            "changed since the lifecycle plan was made; left in place",
        )
        .at(&step.path));
    }
    match (step.action, &step.to) {
        (LifecycleAction::Delete, _) => {
            vfs.remove(step.path.as_str(), RemoveOptions { recursive: false })?;
        }
        (LifecycleAction::Move, Some(to)) => {
            // `rename` would put the file *inside* a directory found at the destination.
            if vfs
                .stat(to.as_str(), StatOptions::default())
                .is_ok_and(|s| s.meta.kind == Kind::Dir)
            {
                return Err(Error::new(
                    ErrorKind::AlreadyExists,
                    "a directory is in the way of the lifecycle move",
                )
                .at(to));
            }
            // An existing file at the destination is replaced, as `ax mv` does.
            vfs.rename(
                step.path.as_str(),
                to.as_str(),
                &TransferOptions { recursive: false },
            )?;
        }
        (LifecycleAction::Move, None) => {
            return Err(Error::usage("a move step needs a destination").at(&step.path));
        }
    }
    Ok(())
}

/// Carries out `steps` in order, reporting each to `on_step` with its outcome, and keeps
/// going after a failure.
///
/// Afterwards, folders this run emptied are removed: for each file deleted or moved away,
/// its folder and then that folder's ancestors up to (not including) the mount point are
/// removed while they are empty. Removal is `rmdir`-atomic, so a file created meanwhile
/// stops it instead of being lost; folders that were empty before the run, or that still
/// hold anything, stay. This tidy-up is best-effort (a failure to remove a folder is not a
/// failed step) and is not listed as a step, on object stores it is a no-op (their folders
/// vanish with their last object), and a dry run does not do it.
pub fn apply(vfs: &Vfs, steps: &[Step], mut on_step: impl FnMut(&Step, &Result<()>)) -> Applied {
    let mut applied = Applied::default();
    let mut emptied: BTreeSet<VPath> = BTreeSet::new();
    for step in steps {
        let result = apply_step(vfs, step);
        if result.is_ok() {
            applied.done += 1;
            emptied.insert(step.path.parent());
        } else {
            applied.failed += 1;
        }
        on_step(step, &result);
    }
    // Deepest first, so a parent is tried after its children are gone.
    let mut dirs: Vec<VPath> = emptied.into_iter().collect();
    dirs.sort_by_key(|d| std::cmp::Reverse(d.as_str().matches('/').count()));
    for dir in dirs {
        let mut d = dir;
        while !d.is_root() {
            match vfs.remove_empty_dir(d.as_str()) {
                Ok(true) => applied.dirs_removed += 1,
                _ => break,
            }
            d = d.parent();
        }
    }
    applied
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use std::fs;
    use std::path::Path;

    fn vfs_in(dir: &Path, rules: &str) -> Vfs {
        let yaml = format!(
            "mounts:\n  - path: /s\n    tier: hot\n    root: ./s\n  - path: /c\n    tier: hot\n    root: ./c\n  - path: /a\n    tier: cold\n    url: file://./a\n  - path: /ro\n    tier: warm\n    root: ./ro\n    read_only: true\nlifecycle:\n{rules}"
        );
        for d in ["s", "c", "a", "ro"] {
            fs::create_dir_all(dir.join(d)).unwrap();
        }
        Vfs::new(Config::from_yaml(&yaml, "ax.yaml", dir).unwrap())
    }

    fn aged(path: &Path, content: &str, age_secs: u64) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
        let t = SystemTime::now() - Duration::from_secs(age_secs);
        fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(t)
            .unwrap();
    }

    const DAY: u64 = 86_400;

    #[test]
    fn picks_old_files_once_and_maps_move_destinations() {
        let tmp = tempfile::tempdir().unwrap();
        let vfs = vfs_in(
            tmp.path(),
            "  - mount: /c\n    older_than: 30d\n    action: move\n    to: /a/ctx\n  - mount: /c\n    older_than: 7d\n    action: delete\n",
        );
        aged(&tmp.path().join("c/x/old.md"), "old", 40 * DAY);
        aged(&tmp.path().join("c/mid.md"), "mid", 10 * DAY);
        aged(&tmp.path().join("c/new.md"), "new", DAY);
        let steps = plan(&vfs, SystemTime::now()).unwrap();
        let got: Vec<(LifecycleAction, &str, Option<&str>)> = steps
            .iter()
            .map(|s| (s.action, s.path.as_str(), s.to.as_ref().map(VPath::as_str)))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    LifecycleAction::Move,
                    "/c/x/old.md",
                    Some("/a/ctx/x/old.md")
                ),
                (LifecycleAction::Delete, "/c/mid.md", None),
            ]
        );
        assert!(steps[0].age_secs >= 40 * DAY - 5);
        assert_eq!(steps[0].size, 3);
    }

    #[test]
    fn apply_does_the_plan_and_tidies_emptied_folders() {
        let tmp = tempfile::tempdir().unwrap();
        let vfs = vfs_in(
            tmp.path(),
            "  - mount: /c\n    older_than: 1d\n    action: move\n    to: /a/ctx\n",
        );
        aged(&tmp.path().join("c/x/y/old.md"), "old", 2 * DAY);
        fs::create_dir_all(tmp.path().join("c/empty-before")).unwrap();
        let steps = plan(&vfs, SystemTime::now()).unwrap();
        let mut seen = 0;
        let applied = apply(&vfs, &steps, |_, r| {
            assert!(r.is_ok(), "{r:?}");
            seen += 1;
        });
        assert_eq!((applied.done, applied.failed, seen), (1, 0, 1));
        assert_eq!(applied.dirs_removed, 2, "c/x/y and c/x");
        assert_eq!(
            fs::read_to_string(tmp.path().join("a/ctx/x/y/old.md")).unwrap(),
            "old"
        );
        assert!(!tmp.path().join("c/x").exists());
        assert!(
            tmp.path().join("c/empty-before").is_dir(),
            "not emptied by the run"
        );
        assert!(plan(&vfs, SystemTime::now()).unwrap().is_empty());
    }

    #[test]
    fn a_move_destination_inside_the_mount_is_not_walked() {
        let tmp = tempfile::tempdir().unwrap();
        let vfs = vfs_in(
            tmp.path(),
            "  - mount: /c\n    older_than: 1d\n    action: move\n    to: /c/old\n",
        );
        aged(&tmp.path().join("c/a.md"), "a", 2 * DAY);
        aged(&tmp.path().join("c/old/b.md"), "b", 2 * DAY);
        let steps = plan(&vfs, SystemTime::now()).unwrap();
        assert_eq!(steps.len(), 1);
        assert_eq!(steps[0].to.as_ref().unwrap().as_str(), "/c/old/a.md");
    }

    #[test]
    fn read_only_steps_are_planned_and_fail() {
        let tmp = tempfile::tempdir().unwrap();
        let vfs = vfs_in(
            tmp.path(),
            "  - mount: /ro\n    older_than: 1d\n    action: delete\n",
        );
        aged(&tmp.path().join("ro/doc.md"), "doc", 2 * DAY);
        let steps = plan(&vfs, SystemTime::now()).unwrap();
        assert_eq!(steps.len(), 1);
        let mut errors = Vec::new();
        let applied = apply(&vfs, &steps, |_, r| {
            errors.push(r.as_ref().unwrap_err().kind());
        });
        assert_eq!((applied.done, applied.failed), (0, 1));
        assert_eq!(errors, vec![ErrorKind::ReadOnly]);
        assert!(tmp.path().join("ro/doc.md").exists());
    }

    #[test]
    fn a_file_changed_after_planning_is_left_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let vfs = vfs_in(
            tmp.path(),
            "  - mount: /s\n    older_than: 1d\n    action: delete\n",
        );
        let f = tmp.path().join("s/log.txt");
        aged(&f, "old", 2 * DAY);
        let steps = plan(&vfs, SystemTime::now()).unwrap();
        aged(&f, "fresh", 0);
        let applied = apply(&vfs, &steps, |_, r| {
            assert_eq!(r.as_ref().unwrap_err().kind(), ErrorKind::Conflict);
        });
        assert_eq!(applied.failed, 1);
        assert_eq!(fs::read_to_string(&f).unwrap(), "fresh");
    }
}
