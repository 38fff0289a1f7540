#!/usr/bin/env bash
# Azurite, Microsoft's Azure Storage emulator (npm package azurite, pinned), serving Blob
# storage on 127.0.0.1 for the az:// tests (real emulator, not a mock of the client).
#
#   source scripts/azurite.sh; ax_azurite_start   # stopped when the sourcing shell exits
#   scripts/azurite.sh CMD ARGS...                # run one command with it
#
# Installs into .ax-node/ (git-ignored) with npm, picks a free port, keeps its data in a temp
# dir, creates the container `ax-test` (a SharedKey-signed request with the emulator's
# well-known development key), and exports AX_TEST_AZURE_URL=az://ax-test and
# AZURITE_BLOB_STORAGE_URL (where object_store's emulator mode connects).

AX_AZURITE=azurite@3.35.0

ax_azurite_start() {
  local node_dir=${AX_NODE_DIR:-$PWD/.ax-node}
  if [ ! -x "$node_dir/node_modules/.bin/azurite-blob" ]; then
    npm install --prefix "$node_dir" --no-audit --no-fund --silent "$AX_AZURITE" >/dev/null
  fi
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  AX_AZURITE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ax-azurite.XXXXXX")
  "$node_dir/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$port" \
    --location "$AX_AZURITE_DIR" --skipApiVersionCheck --silent >"$AX_AZURITE_DIR/log" 2>&1 &
  AX_AZURITE_PID=$!
  local prev
  prev=$(trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT$//")
  trap "ax_azurite_stop; $prev" EXIT
  export AZURITE_BLOB_STORAGE_URL="http://127.0.0.1:$port"
  local deadline=$((SECONDS + 30))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if python3 - "$AZURITE_BLOB_STORAGE_URL" ax-test <<'PY' 2>/dev/null
import base64, hashlib, hmac, sys, urllib.error, urllib.request
from email.utils import formatdate
acct = "devstoreaccount1"   # the emulator's published development account and key
key = base64.b64decode("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==")
base, container = sys.argv[1], sys.argv[2]
date, ver = formatdate(usegmt=True), "2021-08-06"
sts = "PUT\n" + "\n" * 11 + f"x-ms-date:{date}\nx-ms-version:{ver}\n/{acct}/{acct}/{container}\nrestype:container"
sig = base64.b64encode(hmac.new(key, sts.encode(), hashlib.sha256).digest()).decode()
req = urllib.request.Request(f"{base}/{acct}/{container}?restype=container", method="PUT",
    headers={"x-ms-date": date, "x-ms-version": ver, "Content-Length": "0",
             "Authorization": f"SharedKey {acct}:{sig}"})
try:
    urllib.request.urlopen(req, timeout=2)
except urllib.error.HTTPError as e:
    sys.exit(0 if e.code == 409 else 1)   # 409: the container exists already
PY
    then
      export AX_TEST_AZURE_URL="az://ax-test"
      echo "azurite: blob service (pid $AX_AZURITE_PID) at $AZURITE_BLOB_STORAGE_URL, container ax-test"
      return 0
    fi
    kill -0 "$AX_AZURITE_PID" 2>/dev/null || break
    sleep 0.2
  done
  echo "azurite: did not start; log:" >&2
  tail -20 "$AX_AZURITE_DIR/log" >&2
  ax_azurite_stop
  return 1
}

# Stops our emulator only (by its PID) and removes its data.
ax_azurite_stop() {
  if [ -n "${AX_AZURITE_PID:-}" ]; then
    kill "$AX_AZURITE_PID" 2>/dev/null || true
    wait "$AX_AZURITE_PID" 2>/dev/null || true
    AX_AZURITE_PID=
  fi
  [ -n "${AX_AZURITE_DIR:-}" ] && rm -rf "$AX_AZURITE_DIR"
  AX_AZURITE_DIR=
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  cd "$(dirname "$0")/.."
  ax_azurite_start
  "$@"
fi
