//! Line-ranged reads: the `--offset/--limit` window agents use to page through big files.
//!
//! One streaming pass: lines before the window are counted, lines inside are copied (with
//! `cat -n` style numbers if asked), lines after are counted with `memchr` only, so the
//! total line count is exact while memory stays at one buffer.

use std::io::{self, BufRead, BufReader, Read, Write};

use crate::backend::{COPY_BUF, EtagHasher};
use crate::error::{Error, Result};

/// Which lines to copy.
#[derive(Debug, Clone, Default)]
pub struct LineWindow {
    /// First line to copy, 1-based (0 is read as 1).
    pub offset: u64,
    /// At most this many lines (`None`: to the end).
    pub limit: Option<u64>,
    /// Prefix each line with its number, right-aligned to 6 columns and a tab.
    pub numbered: bool,
    /// Hash the whole content on the way (for the ETag).
    pub etag: bool,
}

/// What a windowed read saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinesInfo {
    /// First line copied (1-based); equals the requested offset.
    pub start_line: u64,
    /// Last line copied; `start_line - 1` when nothing was copied.
    pub end_line: u64,
    /// Lines in the whole file (a last line without newline counts).
    pub total_lines: u64,
    /// Bytes in the whole file.
    pub size: u64,
    /// ETag of the whole content, when asked for.
    pub etag: Option<String>,
}

/// Copies the lines of `src` selected by `window` to `out`.
pub(super) fn copy_lines(
    src: &mut dyn Read,
    window: &LineWindow,
    out: &mut dyn Write,
) -> Result<LinesInfo> {
    copy_lines_io(src, window, out).map_err(|e| Error::from_io(&e))
}

fn copy_lines_io(
    src: &mut dyn Read,
    window: &LineWindow,
    out: &mut dyn Write,
) -> io::Result<LinesInfo> {
    let first = window.offset.max(1);
    let last = window
        .limit
        .map(|l| first.saturating_add(l).saturating_sub(1));
    let mut reader = BufReader::with_capacity(COPY_BUF, src);
    let mut hasher = window.etag.then(EtagHasher::new);
    let mut done: u64 = 0; // completed lines so far
    let mut at_line_start = true;
    let mut size: u64 = 0;
    let mut copied_last: u64 = first - 1;
    loop {
        let buf = match reader.fill_buf() {
            Ok([]) => break,
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let len = buf.len();
        size += len as u64;
        if let Some(h) = hasher.as_mut() {
            h.update(buf);
        }
        let current = done + 1;
        let past_window = last.is_some_and(|l| current > l);
        let before_window_entirely = {
            let newlines = memchr::memchr_iter(b'\n', buf).count() as u64;
            current + newlines < first
        };
        if past_window || before_window_entirely {
            done += memchr::memchr_iter(b'\n', buf).count() as u64;
            at_line_start = buf[len - 1] == b'\n';
        } else {
            let mut pos = 0;
            while pos < len {
                let end = memchr::memchr(b'\n', &buf[pos..])
                    .map(|i| pos + i + 1)
                    .unwrap_or(len);
                let line_no = done + 1;
                if line_no >= first && last.is_none_or(|l| line_no <= l) {
                    if at_line_start && window.numbered {
                        write!(out, "{line_no:>6}\t")?;
                    }
                    out.write_all(&buf[pos..end])?;
                    copied_last = line_no;
                }
                if buf[end - 1] == b'\n' {
                    done += 1;
                    at_line_start = true;
                } else {
                    at_line_start = false;
                }
                pos = end;
            }
        }
        reader.consume(len);
    }
    let total = done + u64::from(!at_line_start);
    Ok(LinesInfo {
        start_line: first,
        end_line: copied_last,
        total_lines: total,
        size,
        etag: hasher.map(|h| h.finish()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, offset: u64, limit: Option<u64>, numbered: bool) -> (String, LinesInfo) {
        let mut out = Vec::new();
        let w = LineWindow {
            offset,
            limit,
            numbered,
            etag: false,
        };
        let info = copy_lines(&mut text.as_bytes(), &w, &mut out).unwrap();
        (String::from_utf8(out).unwrap(), info)
    }

    #[test]
    fn windows() {
        let text = "a\nb\nc\nd";
        assert_eq!(run(text, 1, None, false).0, text);
        let (s, i) = run(text, 2, Some(2), false);
        assert_eq!(s, "b\nc\n");
        assert_eq!((i.start_line, i.end_line, i.total_lines), (2, 3, 4));
        let (s, i) = run(text, 9, Some(2), false);
        assert_eq!(s, "");
        assert_eq!((i.start_line, i.end_line, i.total_lines), (9, 8, 4));
        assert_eq!(run(text, 3, None, true).0, "     3\tc\n     4\td");
        assert_eq!(run("", 1, None, false).1.total_lines, 0);
        assert_eq!(run("x\n", 1, None, false).1.total_lines, 1);
    }

    #[test]
    fn long_files_span_buffers() {
        let text: String = (1..=100_000).map(|i| format!("line {i}\n")).collect();
        let (s, i) = run(&text, 70_000, Some(3), false);
        assert_eq!(s, "line 70000\nline 70001\nline 70002\n");
        assert_eq!(i.total_lines, 100_000);
        assert_eq!(i.size, text.len() as u64);
    }
}
