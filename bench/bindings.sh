#!/usr/bin/env bash
# bench/bindings.sh — the cost of one read of a 4 KiB hot file from Python and from Node,
# in-process, beside spawning `ax cat` for it; all in one run on release builds. Also prints
# the sizes of the release wheel and the release .node addon.
# Usage: bench/bindings.sh   (builds target/release/ax, the wheel and the addon first)
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d "${TMPDIR:-/tmp}/ax-bench-bindings.XXXXXX")
trap 'rm -rf "$out"' EXIT

cargo build --release --quiet
python3 -m venv "$out/venv"
"$out/venv/bin/pip" install -q --disable-pip-version-check "maturin==1.16.0"
"$out/venv/bin/maturin" build --release --quiet -m bindings/python/Cargo.toml -o "$out/wheel"
"$out/venv/bin/pip" install -q --disable-pip-version-check "$out"/wheel/*.whl
node bindings/node/build.js --release
echo "wheel: $(du -h "$out"/wheel/*.whl | cut -f1) ($(basename "$out"/wheel/*.whl)); addon: $(du -h bindings/node/ax_vfs.node | cut -f1) (ax_vfs.node, release)"
echo "Python: $("$out/venv/bin/python" bench/bindings.py target/release/ax)"
echo "Node:   $(node bench/bindings.mjs target/release/ax)"
