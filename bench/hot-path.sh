#!/usr/bin/env bash
# bench/hot-path.sh — ax's hot path against the tools it stands in for, in one run.
#
#   1. ax cat            vs cat         on a 4 KiB and a 100 MiB text file
#   2. ax write (stdin)  vs tee         on the same inputs
#   3. ax grep           vs rg          on the Rust documentation books (a few thousand files)
#   4. 1 GiB ax write / ax cat vs cat:  wall time and peak RSS (/usr/bin/time -v)
#
# Run from the repo root:  bash bench/hot-path.sh
# Knobs (environment):
#   AX_BIN=/path/to/ax   use this binary instead of building target/release/ax
#   CAT_OUTPUT=pipe      where hyperfine sends cat output: pipe (default) or null
#   GREP_OUTPUT=null     same for grep (default null, as `rg ... >/dev/null`)
#   RUNS_BIG=10          hyperfine runs for the 100 MiB cases
#   RUNS_1G=5            repetitions of each 1 GiB measurement
#   SKIP_1G=1            skip the 1 GiB section
# Raw hyperfine exports (JSON, plus CSV used for the summary) go to bench/out/.
set -euo pipefail

START_TS=$(date +%s)
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO=$PWD
OUT=$REPO/bench/out
mkdir -p "$OUT"

CAT_OUTPUT=${CAT_OUTPUT:-pipe}
GREP_OUTPUT=${GREP_OUTPUT:-null}
RUNS_BIG=${RUNS_BIG:-10}
RUNS_1G=${RUNS_1G:-5}
SKIP_1G=${SKIP_1G:-0}

say()  { printf '\n== %s\n' "$*"; }
note() { printf '   %s\n' "$*"; }
die()  { printf 'hot-path.sh: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------------------
need_pkgs=()
command -v hyperfine >/dev/null 2>&1 || need_pkgs+=(hyperfine)
command -v rg        >/dev/null 2>&1 || need_pkgs+=(ripgrep)
if ((${#need_pkgs[@]})); then
    say "installing ${need_pkgs[*]} (apt-get)"
    command -v apt-get >/dev/null 2>&1 || die "missing ${need_pkgs[*]} and no apt-get to install them"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || die "apt-get update failed"
    apt-get install -y -qq "${need_pkgs[@]}" >/dev/null || die "apt-get install ${need_pkgs[*]} failed"
fi
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (apt-get install time)"
for t in hyperfine rg rustc awk tee cat; do
    command -v "$t" >/dev/null 2>&1 || die "required tool not found: $t"
done

# hyperfine >= 1.16 has --input; Debian bookworm ships 1.15 (no --input): the write cases
# then go through a shell redirection (`cmd < FILE`), identical for both sides.
HF_HELP=$(hyperfine --help 2>&1 || true)
if [[ $HF_HELP == *--input* ]]; then HF_INPUT=1; else HF_INPUT=0; fi

# ---------------------------------------------------------------------------------------
# The ax binary
# ---------------------------------------------------------------------------------------
if [[ -n ${AX_BIN:-} ]]; then
    [[ -x $AX_BIN ]] || die "AX_BIN=$AX_BIN is not an executable file"
    AX_BIN=$(cd "$(dirname "$AX_BIN")" && pwd)/$(basename "$AX_BIN")
else
    say "cargo build --release"
    cargo build --release || die "cargo build --release failed (set AX_BIN to use another binary)"
    AX_BIN=$REPO/target/release/ax
fi
[[ -x $AX_BIN ]] || die "no ax binary at $AX_BIN"

# ---------------------------------------------------------------------------------------
# Workspace: config, mounts, inputs
# ---------------------------------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ax-bench.XXXXXX")
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

DATA=$WORK/data   # /bench (hot)
DOCS=$WORK/docs   # /docs  (warm)
REF=$WORK/ref     # outputs of the reference tools (same filesystem as DATA)
mkdir -p "$DATA" "$DOCS" "$REF"
cat >"$WORK/ax.yaml" <<'YAML'
name: bench
mounts:
  - path: /bench
    tier: hot
    root: ./data
  - path: /docs
    tier: warm
    root: ./docs
YAML
CFG=$WORK/ax.yaml
export AX_CONFIG=$CFG   # also passed explicitly as --config below
AX="$AX_BIN --config $CFG"   # no spaces in these paths (mktemp); checked below
[[ $AX != *"  "* && $WORK != *" "* && $AX_BIN != *" "* ]] || die "paths with spaces are not supported"

say "setup"
note "ax:        $AX_BIN ($(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO" diff --quiet HEAD -- src 2>/dev/null || echo ', src/ modified'))"
note "hyperfine: $(hyperfine --version | awk '{print $2}') (--input: $([[ $HF_INPUT == 1 ]] && echo yes || echo 'no -> write cases use `sh -c "cmd < FILE"` on both sides'))"
note "ripgrep:   $(rg --version | head -1 | awk '{print $2}')"
# CPU busy share over one second (other processes competing with the benchmark).
cpu_busy() {
    local a b
    a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat); sleep 1
    b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ");
        busy = y[1] - x[1]; idle = y[2] - x[2]; printf "%.0f", (busy + idle) ? 100 * busy / (busy + idle) : 0 }'
}
BUSY_START=$(cpu_busy)
note "cpus:      $(nproc), ${BUSY_START}% busy before the run    work dir: $WORK"
((BUSY_START < 20)) || note "WARNING: other processes are using the CPU: expect noisy numbers"

# Sanity: the binary reads the config and lists an empty mount.
if ! $AX ls /bench >/dev/null 2>"$WORK/err"; then
    die "ax does not work with the bench config: $($AX_BIN --version 2>&1 | head -1); $(head -3 "$WORK/err")"
fi

# Text inputs: varied lines (line number + a sentence), so neither side gets a degenerate case.
gen_text() { # BYTES FILE
    awk 'BEGIN { for (i = 1; ; i++) printf "%09d the quick brown fox jumps over the lazy dog; lorem ipsum dolor sit amet %d\n", i, i * 7919 % 100003 }' \
        | head -c "$1" >"$2" || true   # awk gets SIGPIPE when head is done
    [[ $(stat -c %s "$2") == "$1" ]] || die "could not generate $2"
}
gen_text 4096       "$DATA/small.txt"
gen_text 104857600  "$DATA/medium.txt"
sync
note "inputs:    small.txt 4 KiB, medium.txt 100 MiB (text lines)"

# Corpus: the Rust documentation books (text files only; no hidden files, no .gitignore, so
# rg's defaults and ax's "search everything" see the same tree).
SYSROOT_DOC=$(rustc --print sysroot)/share/doc/rust/html
[[ -d $SYSROOT_DOC ]] || die "no Rust HTML docs at $SYSROOT_DOC (rustup component add rust-docs)"
BOOKS=(book reference rust-by-example cargo rustc edition-guide embedded-book nomicon rustdoc
       unstable-book style-guide clippy)
present=()
for b in "${BOOKS[@]}"; do [[ -d $SYSROOT_DOC/$b ]] && present+=("$b"); done
((${#present[@]})) || die "none of the documentation books found under $SYSROOT_DOC"
(cd "$SYSROOT_DOC" && find "${present[@]}" -type f ! -name '.*' \
    \( -name '*.html' -o -name '*.md' -o -name '*.txt' -o -name '*.css' -o -name '*.js' \
       -o -name '*.svg' -o -name '*.json' -o -name '*.toml' \) -print0 \
    | tar -c --null -T - -f -) | tar -x -C "$DOCS"
DOC_FILES=$(find "$DOCS" -type f | wc -l)
note "corpus:    $DOC_FILES files, $(du -sh "$DOCS" | cut -f1) from ${#present[@]} books (${present[*]})"
[[ -z $(find "$DOCS" -name '.*' -print -quit) ]] || die "corpus has hidden files; rg would skip them"

# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------
SUMMARY=$WORK/summary.tsv      # case \t ax_mean_s \t ref_mean_s
CHECKS=$WORK/checks.txt        # correctness notes
: >"$SUMMARY"; : >"$CHECKS"
check() { printf '%s\n' "$*" | tee -a "$CHECKS" | sed 's/^/   check: /'; }

# bench ID CASE_LABEL [hyperfine options...] -- AX_CMD REF_CMD
# Runs hyperfine with both commands; exports JSON+CSV to bench/out/ID.*; records the means.
bench() {
    local id=$1 label=$2; shift 2
    local opts=()
    while [[ $1 != -- ]]; do opts+=("$1"); shift; done
    shift
    local ax_cmd=$1 ref_cmd=$2
    say "$label"
    hyperfine --warmup 3 --style basic "${opts[@]}" \
        --export-json "$OUT/$id.json" --export-csv "$OUT/$id.csv" \
        -n "ax" "$ax_cmd" -n "ref" "$ref_cmd" 2>&1 | grep -vE '^\s*$' | sed 's/^/   /' \
        || die "hyperfine failed for: $label"
    # CSV: command,mean,stddev,median,user,system,min,max
    local ax_mean ref_mean ax_med ref_med
    ax_mean=$(awk -F, '$1=="ax"  {print $2}' "$OUT/$id.csv")
    ref_mean=$(awk -F, '$1=="ref" {print $2}' "$OUT/$id.csv")
    ax_med=$(awk -F, '$1=="ax"  {print $4}' "$OUT/$id.csv")
    ref_med=$(awk -F, '$1=="ref" {print $4}' "$OUT/$id.csv")
    [[ -n $ax_mean && -n $ref_mean ]] || die "no results in $OUT/$id.csv"
    printf '%s\t%s\t%s\t%s\t%s\n' "$label" "$ax_mean" "$ref_mean" "$ax_med" "$ref_med" >>"$SUMMARY"
}

# Runs the write benchmark for one input: ax write /bench/NAME vs tee REF/NAME.
bench_write() { # ID LABEL INPUT NAME [hyperfine options...]
    local id=$1 label=$2 input=$3 name=$4; shift 4
    if [[ $HF_INPUT == 1 ]]; then
        # -N: no shell; tee's stdout is hyperfine's --output (null), i.e. tee FILE >/dev/null.
        bench "$id" "$label" -N --input "$input" --output null "$@" -- \
            "$AX write /bench/$name" "tee $REF/$name"
    else
        bench "$id" "$label" --shell sh --output null "$@" -- \
            "$AX write /bench/$name < $input" "tee $REF/$name > /dev/null < $input"
    fi
    if cmp -s "$input" "$DATA/$name"; then check "$label: written file identical to input"
    else check "$label: MISMATCH: $DATA/$name differs from $input ($(stat -c %s "$DATA/$name" 2>/dev/null || echo missing) bytes)"; fi
}

# ---------------------------------------------------------------------------------------
# 1. cat
# ---------------------------------------------------------------------------------------
for f in small medium; do
    if $AX cat "/bench/$f.txt" | cmp -s - "$DATA/$f.txt"; then check "ax cat $f.txt: output identical to the file"
    else check "ax cat $f.txt: MISMATCH with the file (exit ${PIPESTATUS[0]})"; fi
done
bench cat-4k   "cat 4 KiB"   -N --output "$CAT_OUTPUT" -- \
    "$AX cat /bench/small.txt"  "cat $DATA/small.txt"
bench cat-100m "cat 100 MiB" -N --output "$CAT_OUTPUT" --runs "$RUNS_BIG" -- \
    "$AX cat /bench/medium.txt" "cat $DATA/medium.txt"

# ---------------------------------------------------------------------------------------
# 2. write from stdin
# ---------------------------------------------------------------------------------------
bench_write write-4k   "write 4 KiB (stdin)"   "$DATA/small.txt"  w-small.txt
# --prepare sync: earlier runs' dirty pages are written back outside the timed runs.
bench_write write-100m "write 100 MiB (stdin)" "$DATA/medium.txt" w-medium.txt --runs "$RUNS_BIG" --prepare sync
rm -f "$DATA/w-medium.txt" "$REF/w-medium.txt"

# ---------------------------------------------------------------------------------------
# 3. grep over the docs corpus
# ---------------------------------------------------------------------------------------
# -n: ax prints path:line:text; rg prints line numbers by default only to a terminal.
GREP_CASES=(
    "literal|lifetime"
    "icase|-i borrow checker"
    "regex|impl [A-Z][a-z]+ for"
)
i=0
for gc in "${GREP_CASES[@]}"; do
    i=$((i + 1))
    kind=${gc%%|*}; pat=${gc#*|}
    flag=""; [[ $pat == "-i "* ]] && { flag="-i "; pat=${pat#-i }; }
    # hyperfine -N splits commands like a shell would: quote the pattern.
    ax_cmd="$AX grep $flag'$pat' /docs"
    rg_cmd="rg -n $flag'$pat' $DOCS"
    # Same matches? ax names virtual paths (/docs/...), rg host paths: map, sort, compare.
    set +e
    eval "$ax_cmd" 2>"$WORK/ax-grep.err" | LC_ALL=C sort >"$WORK/ax-grep.out"; ax_rc=${PIPESTATUS[0]}
    eval "$rg_cmd" | sed "s|^$DOCS/|/docs/|" | LC_ALL=C sort >"$WORK/rg-grep.out"; rg_rc=${PIPESTATUS[0]}
    set -e
    ax_n=$(wc -l <"$WORK/ax-grep.out"); rg_n=$(wc -l <"$WORK/rg-grep.out")
    if [[ $ax_rc == "$rg_rc" ]] && cmp -s "$WORK/ax-grep.out" "$WORK/rg-grep.out"; then
        check "grep $kind '$pat': $ax_n lines, exit $ax_rc: identical to rg's (sorted)"
    else
        check "grep $kind '$pat': MISMATCH: ax $ax_n lines exit $ax_rc, rg $rg_n lines exit $rg_rc; first diff: $(diff "$WORK/ax-grep.out" "$WORK/rg-grep.out" | sed -n 2p | head -c 200) $(head -c 200 "$WORK/ax-grep.err")"
    fi
    hf_extra=()
    [[ $ax_rc != 0 || $rg_rc != 0 ]] && hf_extra=(--ignore-failure)
    bench "grep-$i-$kind" "grep $kind: $flag'$pat'" -N --output "$GREP_OUTPUT" "${hf_extra[@]}" -- \
        "$ax_cmd" "$rg_cmd"
done

# ---------------------------------------------------------------------------------------
# 4. 1 GiB: wall time and peak RSS
# ---------------------------------------------------------------------------------------
RSS=$WORK/rss.tsv   # label \t wall_s \t maxrss_kib (one line per repetition)
: >"$RSS"
# measure LABEL CMD...: runs CMD (a shell string) under /usr/bin/time -v.
measure() {
    local label=$1 cmd=$2 tv=$WORK/time.txt rc
    set +e
    /usr/bin/time -v -o "$tv" sh -c "$cmd"; rc=$?
    set -e
    [[ $rc == 0 ]] || { check "$label: exit $rc from: $cmd"; }
    # Elapsed (wall clock) time (h:mm:ss or m:ss): 0:01.23 | 1:02:03
    local wall rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, a, ":"); s = 0;
            for (k = 1; k <= n; k++) s = s * 60 + a[k]; print s }' "$tv")
    rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tv")
    printf '%s\t%s\t%s\n' "$label" "$wall" "$rss" >>"$RSS"
}
if [[ $SKIP_1G != 1 ]]; then
    say "1 GiB: wall time and peak RSS (/usr/bin/time -v, $RUNS_1G runs each; note: sh -c wraps each, RSS is the largest process)"
    gen_text 1073741824 "$DATA/big.txt"
    sync                             # write back the generated file before timing anything
    cat "$DATA/big.txt" >/dev/null   # warm the page cache
    for ((r = 1; r <= RUNS_1G; r++)); do
        rm -f "$DATA/w-big.txt" "$REF/w-big.txt"; sync
        measure "ax write 1 GiB (stdin)"  "$AX write /bench/w-big.txt < $DATA/big.txt"
        sync
        measure "cat < 1 GiB > file"      "cat < $DATA/big.txt > $REF/w-big.txt"
        sync
        measure "ax cat 1 GiB > /dev/null" "$AX cat /bench/big.txt > /dev/null"
        measure "cat 1 GiB > /dev/null"    "cat $DATA/big.txt > /dev/null"
    done
    if cmp -s "$DATA/big.txt" "$DATA/w-big.txt"; then check "ax write 1 GiB: written file identical to input"
    else check "ax write 1 GiB: MISMATCH: written file differs from input"; fi
    if $AX cat /bench/big.txt | cmp -s - "$DATA/big.txt"; then check "ax cat 1 GiB: output identical (through a pipe)"
    else check "ax cat 1 GiB: MISMATCH through a pipe"; fi
    rm -f "$DATA/big.txt" "$DATA/w-big.txt" "$REF/w-big.txt"
    awk -F'\t' '{ printf "   %-26s wall %6.2f s   peak RSS %8.1f MiB\n", $1, $2, $3 / 1024 }' "$RSS"
fi

# ---------------------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------------------
fmt_t() { awk -v s="$1" 'BEGIN { if (s < 1) printf "%9.2f ms", s * 1000; else printf "%9.3f s ", s }'; }
{
    say "SUMMARY (hyperfine; ratio = ax / reference of the means, (median) of the medians; < 1: ax faster)"
    printf '   %-34s %12s %12s %7s %8s   %s\n' "case" "ax mean" "ref mean" "ratio" "(median)" "reference tool"
    while IFS=$'\t' read -r label axm refm axmed refmed; do
        case $label in
            cat*)   ref="cat (output: $CAT_OUTPUT)" ;;
            write*) ref="tee FILE >/dev/null" ;;
            grep*)  ref="rg -n (output: $GREP_OUTPUT)" ;;
            *)      ref="" ;;
        esac
        printf '   %-34s %12s %12s %7s %8s   %s\n' "$label" "$(fmt_t "$axm")" "$(fmt_t "$refm")" \
            "$(awk -v a="$axm" -v b="$refm" 'BEGIN { printf "%.2f", a / b }')" \
            "$(awk -v a="$axmed" -v b="$refmed" 'BEGIN { printf "(%.2f)", a / b }')" "$ref"
    done <"$SUMMARY"
    if [[ -s $RSS ]]; then
        printf '\n   1 GiB (/usr/bin/time -v, %s runs: mean and min wall, max peak RSS; ratio of means ax/cat):\n' "$RUNS_1G"
        awk -F'\t' '{ n[$1]++; w[$1] += $2; if (!($1 in mn) || $2 < mn[$1]) mn[$1] = $2; if ($3 > m[$1]) m[$1] = $3;
                      if (!($1 in o)) { o[$1] = ++k; l[k] = $1 } }
            END { for (i = 1; i <= k; i++) { x = l[i]; mean[i] = w[x] / n[x]
                  r = ""; if (i % 2 == 0 && mean[i] > 0) r = sprintf("ratio %.2f", mean[i - 1] / mean[i])
                  printf "   %-26s wall mean %6.2f s  min %6.2f s   peak RSS %7.1f MiB   %s\n", x, mean[i], mn[x], m[x] / 1024, r } }' "$RSS"
        printf '   (ax cat to /dev/null lets the kernel do the copy: sendfile/splice into /dev/null is nearly free)\n'
    fi
    printf '\n   checks:\n'
    sed 's/^/     /' "$CHECKS"
    if [[ $HF_INPUT == 0 ]]; then
        printf '\n   note: hyperfine %s has no --input; write cases ran as `sh -c "... < FILE"` on both sides\n' \
            "$(hyperfine --version | awk '{print $2}')"
        printf '         (hyperfine subtracts the measured shell start-up from both).\n'
    fi
    printf '   note: ax write replaces atomically and durably (temp file, fsync, rename, fsync of the\n'
    printf '         folder); tee only writes. rg is multi-threaded, as is ax grep on a local mount.\n'
    printf '   raw exports: %s/*.json (and .csv)\n' "${OUT#$REPO/}"
    printf '   CPU busy (other load): %s%% before the run, %s%% after; load average %s\n' \
        "$BUSY_START" "$(cpu_busy)" "$(cut -d' ' -f1-3 /proc/loadavg)"
    printf '   total time: %ss\n' "$(($(date +%s) - START_TS))"
} | tee "$OUT/summary.txt"
