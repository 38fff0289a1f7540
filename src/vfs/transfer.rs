//! `cp` and `mv` across mounts and tiers (hot → cold is "archive", cold → hot "restore").
//!
//! Within one mount a move is the backend's rename (atomic on local disks). Across mounts it
//! is copy, verify, then delete: every file is streamed through the destination's atomic
//! write, its byte count checked against the source, and the source is removed only when the
//! whole copy succeeded and the source did not change meanwhile. A failure at any step
//! leaves the source in place. Destinations follow `cp`: an existing directory (or a path
//! ending in `/`) receives the source under its own name.

use crate::backend::{Backend, Kind, Meta, RemoveOptions, StatOptions, Walk, WriteOptions};
use crate::error::{Advice, Error, ErrorKind, Result};
use crate::vfs::Vfs;
use crate::vpath::VPath;

/// Options for `cp` / `mv`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TransferOptions {
    /// Copy directories (always implied for `mv`).
    pub recursive: bool,
}

/// What a copy or move did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferOutcome {
    /// The source path.
    pub from: VPath,
    /// The final destination path.
    pub to: VPath,
    /// Files copied (or moved).
    pub files: u64,
    /// Bytes copied (0 for a rename, which copies nothing).
    pub bytes: u64,
    /// True when the move was a rename within one mount.
    pub renamed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Copy,
    Move,
}

pub(super) fn transfer(
    vfs: &Vfs,
    src_raw: &str,
    dst_raw: &str,
    opts: &TransferOptions,
    mode: Mode,
) -> Result<TransferOutcome> {
    let src = vfs.path(src_raw)?;
    if vfs.mounts.is_virtual_dir(&src) {
        return Err(Error::new(
            ErrorKind::Refused,
            "is a directory of mount points; copy a mount's contents instead",
        )
        .at(&src));
    }
    let src_loc = vfs.mounts.locate(&src)?;
    if mode == Mode::Move {
        if src_loc.rel.is_empty() {
            return Err(Error::new(
                ErrorKind::Refused,
                "is a mount point; ax never moves a mount's directory",
            )
            .at(&src)
            .advise(Advice::MoveEntries));
        }
        src_loc.mount.check_writable(&src)?;
    }
    let src_backend = src_loc.mount.backend()?;
    let src_meta = src_backend.stat(&src_loc.rel, StatOptions::default())?;
    if src_meta.kind == Kind::Symlink {
        return Err(Error::new(
            ErrorKind::OutsideMount,
            "is a symlink that leads outside the mount; refused",
        )
        .at(&src));
    }
    if src_meta.kind == Kind::Dir && mode == Mode::Copy && !opts.recursive {
        return Err(Error::new(ErrorKind::IsADirectory, "is a directory")
            .at(&src)
            .advise(Advice::CopyRecursively));
    }

    // Where does it go? An existing directory (or a trailing slash) receives it by name.
    let mut dst = vfs.path(dst_raw)?;
    // Only "not there" means "not a folder": any other failure (an unreachable store) ends
    // the transfer here, not after a second wait on the same endpoint.
    let into_dir = dst_raw.ends_with('/')
        || vfs.mounts.is_virtual_dir(&dst)
        || match vfs.stat(dst.as_str(), StatOptions::default()) {
            Ok(s) => s.meta.kind == Kind::Dir,
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => false,
            Err(e) => return Err(e),
        };
    if into_dir {
        if src.name().is_empty() {
            return Err(Error::usage("cannot name the destination after the source").at(&src));
        }
        dst = dst.join(src.name())?;
    }
    let dst_loc = vfs.locate_writable(dst.as_str())?;
    if dst == src {
        return Err(Error::usage("source and destination are the same path").at(&src));
    }
    if src_meta.kind == Kind::Dir && dst.starts_with(&src) {
        return Err(Error::usage(format!("cannot put a directory inside itself ({dst})")).at(&src));
    }
    let dst_backend = dst_loc.mount.backend()?;

    let same_mount = std::ptr::eq(src_loc.mount, dst_loc.mount);
    if mode == Mode::Move && same_mount && src_backend.rename(&src_loc.rel, &dst_loc.rel)? {
        return Ok(TransferOutcome {
            from: src,
            to: dst,
            files: 1,
            bytes: 0,
            renamed: true,
        });
    }

    let (files, bytes) = copy_tree(
        src_backend,
        &src_loc.rel,
        &src,
        &src_meta,
        dst_backend,
        &dst_loc.rel,
        &dst,
    )?;

    if mode == Mode::Move {
        // Verify the source is still what was copied, then delete it.
        let again = src_backend.stat(&src_loc.rel, StatOptions::default())?;
        if src_meta.kind == Kind::File
            && (again.size != src_meta.size || again.modified != src_meta.modified)
        {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!("changed while being moved; the copy at {dst} is complete but the source was kept"),
            )
            .at(&src));
        }
        src_backend.remove(&src_loc.rel, RemoveOptions { recursive: true })?;
    }
    Ok(TransferOutcome {
        from: src,
        to: dst,
        files,
        bytes,
        renamed: false,
    })
}

/// Copies a file or a whole directory; returns (files, bytes).
fn copy_tree(
    src_b: &dyn Backend,
    src_rel: &str,
    src: &VPath,
    src_meta: &Meta,
    dst_b: &dyn Backend,
    dst_rel: &str,
    dst: &VPath,
) -> Result<(u64, u64)> {
    if src_meta.kind != Kind::Dir {
        let bytes = copy_file(src_b, src_rel, src, src_meta.size, dst_b, dst_rel, dst)?;
        return Ok((1, bytes));
    }
    // Collect first: the destination may be below the same backend's walk.
    let mut entries = Vec::new();
    src_b.walk(src_rel, &mut |e| {
        entries.push(e.clone());
        Walk::Continue
    })?;
    dst_b.create_dir(dst_rel)?;
    let (mut files, mut bytes) = (0, 0);
    for e in entries {
        let below = e
            .rel
            .strip_prefix(src_rel)
            .unwrap_or(&e.rel)
            .trim_start_matches('/');
        let d_rel = if dst_rel.is_empty() {
            below.to_string()
        } else {
            format!("{dst_rel}/{below}")
        };
        let s_path = src.join(below)?;
        let d_path = dst.join(below)?;
        match e.meta.kind {
            Kind::Dir => dst_b.create_dir(&d_rel)?,
            Kind::File => {
                bytes += copy_file(src_b, &e.rel, &s_path, e.meta.size, dst_b, &d_rel, &d_path)?;
                files += 1;
            }
            Kind::Symlink => {} // never followed out of a mount
        }
    }
    Ok((files, bytes))
}

fn copy_file(
    src_b: &dyn Backend,
    src_rel: &str,
    src: &VPath,
    expected: u64,
    dst_b: &dyn Backend,
    dst_rel: &str,
    dst: &VPath,
) -> Result<u64> {
    let mut content = src_b.open(src_rel)?;
    let out = dst_b
        .write(dst_rel, &mut content, &WriteOptions::default())
        .map_err(|e| e.at_if_unset(dst))?;
    if out.bytes != expected {
        return Err(Error::new(
            ErrorKind::Conflict,
            format!(
                "changed while being copied ({expected} bytes expected, {} copied); check {dst}",
                out.bytes
            ),
        )
        .at(src));
    }
    Ok(out.bytes)
}
