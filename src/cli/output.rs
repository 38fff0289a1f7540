//! The Printer: every byte ax writes to stdout or stderr goes through here.
//!
//! Stdout is block-buffered (flushed at the end or when the printer drops), so output in a
//! pipe costs few system calls. A closed pipe surfaces as [`ErrorKind::BrokenPipe`], which
//! the dispatcher turns into a quiet exit 0. JSON documents are written compact, one per
//! line; streams are JSON Lines.
#![allow(clippy::print_stderr)]

use std::io::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};

/// Output for one command.
pub struct Printer {
    out: io::BufWriter<io::Stdout>,
    /// `--json` was given.
    pub json: bool,
}

impl Printer {
    /// A printer on the process's stdout.
    pub fn new(json: bool) -> Printer {
        Printer {
            out: io::BufWriter::with_capacity(64 * 1024, io::stdout()),
            json,
        }
    }

    /// The buffered stdout (for raw bytes and formatted text).
    pub fn out(&mut self) -> &mut dyn Write {
        &mut self.out
    }

    /// Stdout without our buffer, for large copies that can use the kernel's zero-copy path.
    pub fn raw(&mut self) -> Result<io::StdoutLock<'static>> {
        self.out.flush().map_err(|e| Error::from_io(&e))?;
        Ok(self.out.get_ref().lock())
    }

    /// Writes one line of text.
    pub fn line(&mut self, text: impl std::fmt::Display) -> Result<()> {
        writeln!(self.out, "{text}").map_err(|e| Error::from_io(&e))
    }

    /// Writes one JSON document on its own line.
    pub fn json_line(&mut self, value: &impl Serialize) -> Result<()> {
        serde_json::to_writer(&mut self.out, value).map_err(|e| match e.io_error_kind() {
            Some(kind) => Error::from_io(&io::Error::from(kind)),
            None => Error::new(ErrorKind::Io, format!("writing JSON failed: {e}")),
        })?;
        self.out.write_all(b"\n").map_err(|e| Error::from_io(&e))
    }

    /// Flushes stdout.
    pub fn flush(&mut self) -> Result<()> {
        self.out.flush().map_err(|e| Error::from_io(&e))
    }
}

/// Prints an error as one line on stderr: `ax: SUBJECT: MESSAGE; HINT`.
pub fn print_error(e: &Error) {
    let _ = writeln!(io::stderr().lock(), "{}", e.to_line());
}

/// Prints a notice (not an error) on stderr.
pub fn notice(text: &str) {
    let _ = writeln!(io::stderr().lock(), "ax: {text}");
}

/// Prints a line on stderr as is (a remark about the output, not an `ax: ` notice).
pub fn remark(text: &str) {
    let _ = writeln!(io::stderr().lock(), "{text}");
}

/// Formats a time as RFC 3339 in UTC, to the second (`2026-11-21T19:40:05Z`).
pub fn rfc3339(t: SystemTime) -> String {
    let secs = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    };
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_times() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(1_795_290_005)),
            "2026-11-21T19:40:05Z"
        );
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
    }
}
