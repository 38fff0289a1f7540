//! ax: a virtual filesystem for AI agents — hot, warm and cold storage behind one namespace.
//!
//! Crate map (dependencies point down the layers of ARCHITECTURE.md, checked by
//! `scripts/check-layers.py`):
//! - [`config`]: finding and validating `ax.yaml` (or the embedded default).
//! - [`vfs`]: the facade every front end calls — paths, mount routing, read-only
//!   enforcement, line-ranged reads, edit, cross-mount copy and move.
//! - [`backend`]: the storage trait and the jailed local-directory backend.
//! - [`grep`]: regex search over mounts with ripgrep's engine.
//! - [`lifecycle`]: the `lifecycle:` rules — plan (what is old enough) and apply.
//! - [`sandbox`]: `ax exec` — a command in a local mount's folder, under Landlock, with a
//!   time limit and capped output.
//! - [`ops`]: the operations' request and result types (with JSON Schemas).
//! - [`catalogue`]: every operation as one item with its handler: what `ax tools` renders
//!   and `ax mcp` / `ax call` dispatch through.
//! - [`tools`]: renders the catalogue as MCP, OpenAI, Anthropic or plain JSON tools.
//! - [`exec`]: executes catalogue requests against the Vfs (for `ax mcp` and `ax call`).
//! - [`mcp`]: the MCP server over stdio (rmcp).
//! - `cli` (the `cli` feature, on by default): the command-line edge; the only place that
//!   prints.
//! - [`vpath`]: `VPath`, the validated virtual path (the bottom layer with [`error`]).
//! - [`error`]: the error type, its kinds and exit codes.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod backend;
pub mod catalogue;
#[cfg(feature = "cli")]
pub mod cli;
pub mod config;
pub mod error;
pub mod exec;
pub mod grep;
pub mod index;
pub mod lifecycle;
pub mod mcp;
pub mod ops;
pub mod sandbox;
#[cfg(feature = "serve")]
pub mod serve;
pub mod tools;
pub mod vfs;
pub mod vpath;
