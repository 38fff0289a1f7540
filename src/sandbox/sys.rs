//! The system calls `ax exec` needs and std does not wrap: Landlock (create a ruleset, add
//! path rules, enforce it in the child), `pidfd_open`, `poll`, and signalling a process
//! group. This is the crate's one module of Linux-only `unsafe`; each block says why it is
//! sound.
#![allow(unsafe_code)]

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

// Filesystem access rights (linux/landlock.h). ABI 1 has bits 0..=12, ABI 2 adds REFER,
// ABI 3 adds TRUNCATE. `Write` grants all of them, renames across folders (REFER) included.
const EXECUTE: u64 = 1 << 0;
const WRITE_FILE: u64 = 1 << 1;
const READ_FILE: u64 = 1 << 2;
const READ_DIR: u64 = 1 << 3;
const TRUNCATE: u64 = 1 << 14;
/// Every right of ABI 3 (bits 0..=14).
const ALL_V3: u64 = (1 << 15) - 1;
/// Rights that make sense on a file (the rest apply to directories only).
const FILE_RIGHTS: u64 = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE;

// Scopes (ABI 6): no signals to, and no abstract-socket connections with, processes outside
// the sandbox.
const SCOPE_ABSTRACT_UNIX_SOCKET: u64 = 1 << 0;
const SCOPE_SIGNAL: u64 = 1 << 1;

const CREATE_RULESET_VERSION: u32 = 1 << 0;
const RULE_PATH_BENEATH: libc::c_int = 1;

/// The oldest Landlock ABI ax accepts: 3 (Linux 6.2), the first that also controls
/// `truncate(2)`; without it a confined command could empty a file it may not write.
pub(super) const MIN_ABI: i64 = 3;

#[repr(C)]
struct RulesetAttr {
    handled_access_fs: u64,
    handled_access_net: u64,
    scoped: u64,
}

#[repr(C, packed)]
struct PathBeneathAttr {
    allowed_access: u64,
    parent_fd: i32,
}

/// What a rule grants beneath a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Access {
    /// List folders, read and execute files.
    Read,
    /// List folders only (not read the files in them).
    List,
    /// Everything: create, write, rename, remove, truncate, plus `Read`.
    Write,
}

/// The Landlock ABI version the kernel offers, or the reason there is none.
pub(super) fn abi() -> io::Result<i64> {
    // SAFETY: the version query takes a null attribute pointer and size 0 by contract; it
    // reads and writes no memory of ours.
    let v = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<RulesetAttr>(),
            0usize,
            CREATE_RULESET_VERSION,
        )
    };
    if v < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(v)
    }
}

/// A Landlock ruleset being filled in the parent, enforced in the child.
pub(super) struct Ruleset {
    fd: OwnedFd,
    /// The rights this ruleset handles (everything it does not grant is denied).
    handled: u64,
}

impl Ruleset {
    /// A ruleset that handles every filesystem right of ABI 3 (and scopes signals and
    /// abstract sockets where the kernel can). Fails when the kernel's ABI is below 3.
    pub(super) fn new() -> io::Result<Ruleset> {
        let abi = abi()?;
        if abi < MIN_ABI {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("the kernel offers Landlock ABI {abi}; ax needs {MIN_ABI} (Linux 6.2)"),
            ));
        }
        let scoped = abi >= 6;
        let attr = RulesetAttr {
            handled_access_fs: ALL_V3,
            handled_access_net: 0,
            scoped: if scoped {
                SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL
            } else {
                0
            },
        };
        // SAFETY: `attr` is a live, initialised struct of the size passed; the kernel copies
        // it and keeps no pointer. Fields a kernel does not know are zero, which it accepts.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_landlock_create_ruleset,
                &attr as *const RulesetAttr,
                std::mem::size_of::<RulesetAttr>(),
                0u32,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: the call returned a new file descriptor (close-on-exec) that nothing else
        // owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd as RawFd) };
        Ok(Ruleset {
            fd,
            handled: ALL_V3,
        })
    }

    /// Grants `access` beneath `path` (a folder) or on it (a file). `Ok(false)` when the path
    /// does not exist; symlinks are followed, so the rule lands on what they point to.
    pub(super) fn allow(&mut self, path: &Path, access: Access) -> io::Result<bool> {
        let file = match File::options()
            .read(true)
            .custom_flags(libc::O_PATH | libc::O_CLOEXEC)
            .open(path)
        {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e),
        };
        let is_dir = file.metadata()?.is_dir();
        let mut rights = match access {
            Access::Read => EXECUTE | READ_FILE | READ_DIR,
            Access::List => READ_DIR,
            Access::Write => self.handled,
        };
        if !is_dir {
            rights &= FILE_RIGHTS;
            if rights == 0 {
                return Ok(true);
            }
        }
        let attr = PathBeneathAttr {
            allowed_access: rights & self.handled,
            parent_fd: file.as_raw_fd(),
        };
        // SAFETY: both descriptors are open for the duration of the call and `attr` is a
        // live packed struct of the layout the kernel expects for RULE_PATH_BENEATH.
        let r = unsafe {
            libc::syscall(
                libc::SYS_landlock_add_rule,
                self.fd.as_raw_fd(),
                RULE_PATH_BENEATH,
                &attr as *const PathBeneathAttr,
                0u32,
            )
        };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(true)
    }
}

/// Arranges for `cmd`'s child, between fork and exec: its own process group, death with ax
/// (SIGKILL when the spawning thread ends), and — with a ruleset — no new privileges and the
/// ruleset enforced, so it holds for the command and everything it starts.
pub(super) fn confine(cmd: &mut Command, ruleset: Option<&Ruleset>) {
    cmd.process_group(0);
    let fd = ruleset.map(|r| r.fd.as_raw_fd());
    // SAFETY: the closure runs in the forked child before exec and calls only prctl and the
    // landlock_restrict_self system call, which are async-signal-safe; it allocates nothing
    // and touches no lock. The ruleset descriptor stays open in the parent until `spawn`
    // returns, so it is valid in the child.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) != 0 {
                return Err(io::Error::last_os_error());
            }
            if let Some(fd) = fd {
                if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                    return Err(io::Error::last_os_error());
                }
                if libc::syscall(libc::SYS_landlock_restrict_self, fd, 0u32) != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
}

/// A descriptor that becomes readable when process `pid` exits (before it is reaped).
pub(super) fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0u32) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a new descriptor owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// Waits up to `timeout_ms` (-1: forever) for any of `fds` to be readable or closed; returns
/// which were. Interrupted waits return no readiness.
pub(super) fn poll_readable(fds: &[RawFd], timeout_ms: i32) -> io::Result<Vec<bool>> {
    let mut pfds: Vec<libc::pollfd> = fds
        .iter()
        .map(|&fd| libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    // SAFETY: `pfds` is a live array of `pfds.len()` initialised pollfd structs.
    let r = unsafe { libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, timeout_ms) };
    if r < 0 {
        let e = io::Error::last_os_error();
        if e.kind() == io::ErrorKind::Interrupted {
            return Ok(vec![false; fds.len()]);
        }
        return Err(e);
    }
    Ok(pfds
        .iter()
        .map(|p| p.revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0)
        .collect())
}

/// Sends SIGKILL to every process in group `pgid`; a group that is already gone is fine.
/// Call it only while the group leader is unreaped (a zombie still holds its id), so the id
/// cannot have been reused.
pub(super) fn kill_group(pgid: u32) {
    // SAFETY: killpg has no memory effects; a wrong or vanished group only yields ESRCH.
    unsafe {
        libc::killpg(pgid as libc::pid_t, libc::SIGKILL);
    }
}
