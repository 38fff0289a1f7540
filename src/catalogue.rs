//! The operation catalogue: every agent-facing operation as one item (name, title,
//! description, flags, request and result types with their JSON Schemas, and the handler
//! that runs it). `ax tools` renders it, and `ax mcp`, `ax call` (and the future bindings
//! and HTTP API) dispatch through it: there is no second list of names.

use schemars::{Schema, schema_for};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::exec::{self, Done, Output};
use crate::ops::*;
use crate::vfs::Vfs;

/// One operation's description.
#[derive(Debug, Clone)]
pub struct OpSpec {
    /// Tool name: `[a-z0-9_]`, at most 64 characters, prefixed `ax_`.
    pub name: &'static str,
    /// Short human title.
    pub title: &'static str,
    /// What it does, when to use it, what it returns, its limits — written for a model.
    pub description: &'static str,
    /// Only reads.
    pub read_only: bool,
    /// May destroy data (delete, overwrite).
    pub destructive: bool,
    /// Repeating it with the same arguments has no further effect.
    pub idempotent: bool,
    /// JSON Schema of the arguments.
    pub schema: fn() -> Schema,
    /// JSON Schema of the structured result.
    pub output: fn() -> Schema,
    /// Runs it: JSON arguments in, text and structured result out. Built by `op!` from the
    /// handler named beside the request and result types, so the three cannot disagree.
    pub call: fn(&Vfs, Value) -> Result<Output>,
}

macro_rules! op {
    ($name:literal, $title:literal, $ty:ty => $out:ty, $handler:path, ro = $ro:literal, destructive = $d:literal, idempotent = $i:literal, $desc:literal) => {
        OpSpec {
            name: $name,
            title: $title,
            description: $desc,
            read_only: $ro,
            destructive: $d,
            idempotent: $i,
            schema: || schema_for!($ty),
            output: || schema_for!($out),
            call: |vfs, args| {
                let handler: fn(&Vfs, $ty) -> Result<Done<$out>> = $handler;
                handler(vfs, exec::args($name, args)?)?.into_output()
            },
        }
    };
}

/// Every agent-facing operation, in a stable order.
pub fn catalogue() -> Vec<OpSpec> {
    vec![
        op!(
            "ax_read",
            "Read file",
            ReadRequest => ReadOutput,
            exec::read,
            ro = true,
            destructive = false,
            idempotent = true,
            "Read a text file. Use offset/limit (lines, 1-based) to page through big files; the result says which lines were returned and how many the file has, plus its ETag for a later conditional write."
        ),
        op!(
            "ax_write",
            "Write file",
            WriteRequest => WriteOutput,
            exec::write,
            ro = false,
            destructive = true,
            idempotent = true,
            "Create or replace a file with the given content, atomically. Pass if_match (an ETag from read or stat) so you never overwrite someone else's change, or create_only to never replace."
        ),
        op!(
            "ax_append",
            "Append to file",
            AppendRequest => WriteOutput,
            exec::append,
            ro = false,
            destructive = false,
            idempotent = false,
            "Append text to a file, creating it if missing; a newline is added if missing. Safe with concurrent appenders: lines are never torn or lost. Use it for logs and conversation turns (JSONL)."
        ),
        op!(
            "ax_edit",
            "Edit file",
            EditRequest => EditOutput,
            exec::edit,
            ro = false,
            destructive = true,
            idempotent = false,
            "Replace exact text in a file. Fails if the text is absent, or occurs more than once unless all is true. Prefer this to rewriting a whole file."
        ),
        op!(
            "ax_delete",
            "Delete",
            DeleteRequest => DeleteOutput,
            exec::delete,
            ro = false,
            destructive = true,
            idempotent = true,
            "Delete a file, or a folder with recursive=true. Mount points themselves cannot be deleted."
        ),
        op!(
            "ax_list",
            "List folder",
            ListRequest => ListOutput,
            exec::list,
            ro = true,
            destructive = false,
            idempotent = true,
            "List a folder's entries with kind, size and modification time. `/` lists the mounts with their tiers."
        ),
        op!(
            "ax_stat",
            "Stat path",
            StatRequest => StatOutput,
            exec::stat,
            ro = true,
            destructive = false,
            idempotent = true,
            "Metadata of a path: kind, size, modification time, mount, tier, read-only flag and the ETag of a file."
        ),
        op!(
            "ax_move",
            "Move",
            TransferRequest => TransferOutput,
            exec::move_,
            ro = false,
            destructive = true,
            idempotent = false,
            "Move or rename a file or folder, also across mounts (e.g. to /archive). Across mounts it copies, verifies, then deletes the source; on failure the source stays."
        ),
        op!(
            "ax_copy",
            "Copy",
            TransferRequest => TransferOutput,
            exec::copy,
            ro = false,
            destructive = false,
            idempotent = true,
            "Copy a file or folder, also across mounts and tiers, byte for byte."
        ),
        op!(
            "ax_find",
            "Find by name",
            FindRequest => FindOutput,
            exec::find,
            ro = true,
            destructive = false,
            idempotent = true,
            "Find files and folders whose name matches a glob (e.g. *.md), below a folder; kind keeps only files or only folders."
        ),
        op!(
            "ax_grep",
            "Grep contents",
            GrepRequest => GrepOutput,
            exec::grep,
            ro = true,
            destructive = false,
            idempotent = true,
            "Search file contents with a regular expression; returns path, line number and line for each match. Binary files are skipped."
        ),
        op!(
            "ax_search",
            "Search",
            SearchRequest => SearchOutput,
            exec::search,
            ro = true,
            destructive = false,
            idempotent = true,
            "Search the indexed (warm) mounts by meaning and keywords: returns the best-matching files, each with its best region (line range, snippet), its other matching regions and whether keywords, meaning or both found it; then read those lines with ax_read. Any text is a valid query. Use it to find knowledge, code or past notes when you do not know the file. Sees every change immediately."
        ),
        op!(
            "ax_exec",
            "Run command",
            ExecRequest => ExecOutput,
            exec::run_command,
            ro = false,
            destructive = true,
            idempotent = false,
            "Run a shell command (sh -c) in a folder of a mount that allows it, e.g. to run tests or a script you wrote: returns exit_code, stdout, stderr, timed_out and duration_ms, whatever the command does. It runs sandboxed: it can write only inside that mount and read only the mounts and system folders; there is no input. At the time limit (timeout_secs, default 120) it and everything it started are killed and exit_code is 124. Output over the limit keeps its first and last parts. Files it writes in searchable mounts are found by the next search."
        ),
        op!(
            "ax_mounts",
            "List mounts",
            MountsRequest => MountsOutput,
            exec::mounts,
            ro = true,
            destructive = false,
            idempotent = true,
            "The mount table: each mount point with its tier (hot, warm, cold), what it is for, and whether it is read-only or indexed."
        ),
    ]
}

/// The operation named `name`, if any.
pub fn find(name: &str) -> Option<OpSpec> {
    catalogue().into_iter().find(|op| op.name == name)
}

/// Runs operation `name` with JSON `arguments`. Unknown names are a usage error.
pub fn call(vfs: &Vfs, name: &str, arguments: Value) -> Result<Output> {
    match find(name) {
        Some(op) => (op.call)(vfs, arguments),
        None => {
            Err(Error::usage(format!("no tool named {name:?}")).hint("`ax tools` lists the tools"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_legal_for_every_api() {
        let ops = catalogue();
        let mut seen = std::collections::BTreeSet::new();
        for op in &ops {
            assert!(
                op.name.len() <= 64 && op.name.starts_with("ax_"),
                "{}",
                op.name
            );
            assert!(
                op.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{}",
                op.name
            );
            assert!(seen.insert(op.name), "duplicate {}", op.name);
            assert!(!(op.read_only && op.destructive), "{}", op.name);
        }
    }

    #[test]
    fn schemas_are_objects_with_descriptions() {
        for op in catalogue() {
            let schema = serde_json::to_value((op.schema)()).unwrap();
            assert_eq!(schema["type"], "object", "{}", op.name);
            if let Some(props) = schema["properties"].as_object() {
                for (k, v) in props {
                    assert!(
                        v.get("description").is_some(),
                        "{}.{k} lacks a description",
                        op.name
                    );
                }
            }
        }
    }
}
