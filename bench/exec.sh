#!/usr/bin/env bash
# bench/exec.sh — what `ax exec` costs on top of starting the command yourself, in one run.
#
#   sh -c CMD                                   the reference: a plain spawn
#   ax exec -- sh -c CMD, exec.sandbox: none    ax's planning, pipes and process group
#   ax exec -- sh -c CMD, Landlock              plus building and enforcing the ruleset
#
# for CMD = `true` (the fixed cost) and a small workload (`ls -R /usr/lib > /dev/null`).
# Run from the repo root:  bash bench/exec.sh      (AX_BIN=/path/to/ax to skip the build)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO=$PWD
OUT=$REPO/bench/out
mkdir -p "$OUT"

if ! command -v hyperfine >/dev/null 2>&1; then
    echo "== installing hyperfine (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null
fi
if [[ -z ${AX_BIN:-} ]]; then
    cargo build --release
    AX_BIN=$REPO/target/release/ax
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ax-bench-exec.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/w"
cat > "$WORK/landlock.yaml" <<EOF
mounts:
  - path: /w
    tier: hot
    root: $WORK/w
    exec: true
EOF
{ cat "$WORK/landlock.yaml"; printf 'exec:\n  sandbox: none\n'; } > "$WORK/none.yaml"

for cmd in "true" "ls -R /usr/lib > /dev/null"; do
    echo "== $cmd"
    hyperfine -N --warmup 5 --runs "${RUNS:-50}" \
        --export-json "$OUT/exec-$(echo "$cmd" | tr -c 'a-z' _).json" \
        -n "sh -c" "sh -c '$cmd'" \
        -n "ax exec, sandbox none" "$AX_BIN --config $WORK/none.yaml exec -- sh -c '$cmd'" \
        -n "ax exec, Landlock" "$AX_BIN --config $WORK/landlock.yaml exec -- sh -c '$cmd'"
done
