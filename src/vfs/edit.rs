//! `edit`: replace an exact piece of text in a file — the edit agents make most.
//!
//! The replacement is computed in memory and written back with the atomic write, guarded by
//! the ETag of the content it was computed from. If another process changes the file in
//! between, the edit is recomputed on the new content (when the caller gave no `if_match`)
//! or fails as a conflict (when it did), so an edit never silently undoes someone else's.

use std::io::Read;

use crate::backend::{Backend, EtagHasher, Precondition, WriteOptions, check_if_match};
use crate::error::{Advice, Error, ErrorKind, Result};
use crate::vpath::VPath;

/// What to replace.
#[derive(Debug, Clone)]
pub struct EditRequest {
    /// Exact text to find (not a regex). Must not be empty.
    pub old: String,
    /// Replacement text.
    pub new: String,
    /// Replace every occurrence; without it, `old` must occur exactly once.
    pub all: bool,
    /// Only edit if the file still has this ETag.
    pub if_match: Option<String>,
}

/// What an edit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditOutcome {
    /// The edited path.
    pub path: VPath,
    /// How many occurrences were replaced.
    pub replacements: usize,
    /// The ETag of the new content.
    pub etag: String,
}

/// Attempts before giving up when other writers keep changing the file.
const RETRIES: usize = 8;

pub(super) fn edit(
    backend: &dyn Backend,
    path: &VPath,
    rel: &str,
    req: &EditRequest,
) -> Result<EditOutcome> {
    if req.old.is_empty() {
        return Err(Error::usage("--old is empty; give the exact text to replace").at(path));
    }
    for _ in 0..RETRIES {
        let mut content = Vec::new();
        let (mut src, tag) = backend.open_tagged(rel)?;
        src.read_to_end(&mut content)
            .map_err(|e| Error::io(&e, path))?;
        // The guard of the write-back: the store's tag of exactly this content, or its hash.
        let etag = tag.unwrap_or_else(|| {
            let mut h = EtagHasher::new();
            h.update(&content);
            h.finish()
        });
        if let Some(want) = &req.if_match {
            check_if_match(path, want, Some(&etag))?;
        }
        let finder = memchr::memmem::Finder::new(req.old.as_bytes());
        let hits: Vec<usize> = finder.find_iter(&content).collect();
        match hits.len() {
            0 => {
                return Err(
                    Error::new(ErrorKind::NoMatch, "the text to replace was not found")
                        .at(path)
                        .hint(
                            "--old must match the file exactly, including spaces and line breaks",
                        ),
                );
            }
            n if n > 1 && !req.all => {
                return Err(Error::new(
                    ErrorKind::NoMatch,
                    format!("the text to replace occurs {n} times"),
                )
                .at(path)
                .advise(Advice::EditUniqueOrAll));
            }
            _ => {}
        }
        let mut next = Vec::with_capacity(content.len() + hits.len() * req.new.len());
        let mut pos = 0;
        for &h in &hits {
            next.extend_from_slice(&content[pos..h]);
            next.extend_from_slice(req.new.as_bytes());
            pos = h + req.old.len();
        }
        next.extend_from_slice(&content[pos..]);
        let opts = WriteOptions {
            precondition: Precondition::IfMatch(etag),
            report_etag: true,
        };
        match backend.write(rel, &mut next.as_slice(), &opts) {
            Ok(out) => {
                return Ok(EditOutcome {
                    path: path.clone(),
                    replacements: hits.len(),
                    etag: out.etag.unwrap_or_default(),
                });
            }
            Err(e) if e.kind() == ErrorKind::Conflict && req.if_match.is_none() => continue,
            Err(e) => return Err(e),
        }
    }
    Err(Error::new(
        ErrorKind::Conflict,
        "the file kept changing while editing; gave up",
    )
    .at(path))
}
