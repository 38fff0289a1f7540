#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, Rust tests, then the official
# Python MCP SDK client against `ax mcp`. Installs what it needs (PyPI packages into a
# git-ignored venv); needs only cargo, python3 and the package registries.
# Usage: scripts/test.sh [extra cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${AX_VENV:-$PWD/.ax-venv}
echo "== python test dependencies ($VENV)"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check "mcp==2.3.0" "jsonschema==4.26.0"

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --quiet -- -D warnings

echo "== cargo test"
# Snapshots must match what is committed; never write new ones in CI.
INSTA_UPDATE=no cargo test --all-targets -j2 "$@"
cargo test --doc -j2 --quiet

echo "== MCP: official Python SDK client + JSON Schema validation of every tool format"
"$VENV/bin/python" tests/mcp_client.py target/debug/ax
