//! The Printer: every byte ax writes to stdout or stderr goes through here.
//!
//! Stdout is block-buffered (flushed at the end or when the printer drops), so output in a
//! pipe costs few system calls. A closed pipe surfaces as [`ErrorKind::BrokenPipe`], which
//! the dispatcher turns into a quiet exit 0. JSON documents are written compact, one per
//! line; streams are JSON Lines.
#![allow(clippy::print_stderr)]

use std::io::{self, Write};

use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};

/// Output for one command.
pub(super) struct Printer {
    out: io::BufWriter<io::Stdout>,
    /// `--json` was given.
    pub json: bool,
}

impl Printer {
    /// A printer on the process's stdout.
    pub(super) fn new(json: bool) -> Printer {
        Printer {
            out: io::BufWriter::with_capacity(64 * 1024, io::stdout()),
            json,
        }
    }

    /// The buffered stdout (for raw bytes and formatted text).
    pub(super) fn out(&mut self) -> &mut dyn Write {
        &mut self.out
    }

    /// Stdout without our buffer, for large copies that can use the kernel's zero-copy path.
    pub(super) fn raw(&mut self) -> Result<io::StdoutLock<'static>> {
        self.out.flush().map_err(|e| Error::from_io(&e))?;
        Ok(self.out.get_ref().lock())
    }

    /// Writes one line of text.
    pub(super) fn line(&mut self, text: impl std::fmt::Display) -> Result<()> {
        writeln!(self.out, "{text}").map_err(|e| Error::from_io(&e))
    }

    /// Writes one JSON document on its own line.
    pub(super) fn json_line(&mut self, value: &impl Serialize) -> Result<()> {
        serde_json::to_writer(&mut self.out, value).map_err(|e| match e.io_error_kind() {
            Some(kind) => Error::from_io(&io::Error::from(kind)),
            None => Error::new(ErrorKind::Io, format!("writing JSON failed: {e}")),
        })?;
        self.out.write_all(b"\n").map_err(|e| Error::from_io(&e))
    }

    /// Flushes stdout.
    pub(super) fn flush(&mut self) -> Result<()> {
        self.out.flush().map_err(|e| Error::from_io(&e))
    }
}

/// Passes a child's stderr bytes through as they arrive (`ax exec`).
pub(super) fn child_stderr(bytes: &[u8]) -> io::Result<()> {
    let mut e = io::stderr().lock();
    e.write_all(bytes)?;
    e.flush()
}

/// Prints an error as one line on stderr: `ax: SUBJECT: MESSAGE; HINT`.
pub(super) fn print_error(e: &Error) {
    let _ = writeln!(io::stderr().lock(), "{}", e.to_line());
}

/// Prints a notice (not an error) on stderr.
pub(super) fn notice(text: &str) {
    let _ = writeln!(io::stderr().lock(), "ax: {text}");
}

/// Prints a line on stderr as is (a remark about the output, not an `ax: ` notice).
pub(super) fn remark(text: &str) {
    let _ = writeln!(io::stderr().lock(), "{text}");
}
