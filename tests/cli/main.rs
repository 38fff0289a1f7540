//! The integration tests: one binary driving the built `ax` as a user would, each test in its
//! own temporary environment (see [`common::TestEnv`]), one module per area.

// Tests say on stderr why they skip (no S3 server, no model); the house print lints are for
// the product.
#![allow(clippy::print_stderr, clippy::print_stdout)]

mod common;

mod azure;
mod cold;
mod completions;
mod concurrency;
mod config;
mod conformance;
mod docs;
mod exec;
mod files;
mod grep;
mod lifecycle;
mod listing;
mod mcp;
mod redis;
mod safety;
mod scopes;
mod search;
mod serve;
mod tools;
mod transfer;
mod usage;
