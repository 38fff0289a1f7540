#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, then every test.
# Usage: scripts/test.sh   (from anywhere; needs only cargo and the crates.io registry)
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --quiet -- -D warnings

echo "== cargo test"
# Snapshots must match what is committed; never write new ones in CI.
INSTA_UPDATE=no cargo test --all-targets -j2 "$@"
cargo test --doc -j2 --quiet
