#!/usr/bin/env bash
# Instructions per request of the whole server (hyper, tokio and the pipeline; the kernel is not
# counted), the mock's against the floor's, counted by callgrind while h2load sends the seed
# page's create over HTTP/1.1. Like benches/instructions.sh, a figure that does not drift with
# the machine's load; unlike it, it includes the transport.
#
# Each server runs twice under callgrind, answering LOW and then HIGH requests; the difference
# of the two totals over HIGH - LOW is one request's instructions.
# Environment: LOW (2000), HIGH (12000), CONNECTIONS (8), SHARED (../shared beside the repository).
set -euo pipefail
LOW="${LOW:-2000}"
HIGH="${HIGH:-12000}"
CONNECTIONS="${CONNECTIONS:-8}"
ADMIN=sk_test_acme_admin
port=4290

command -v valgrind >/dev/null || apt-get install -y valgrind >/dev/null
command -v h2load >/dev/null || apt-get install -y nghttp2-client >/dev/null
# shellcheck source=benches/servers.sh
source "$(dirname "$0")/servers.sh"

total() { # requests, server command...
  local n="$1" out pid
  shift
  out="$(mktemp)"
  RUST_LOG=warn valgrind --tool=callgrind --callgrind-out-file="$out" "$@" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  h2load --h1 -n "$n" -c "$CONNECTIONS" -m 1 -d "$bench/data/create-request.json" \
    -H "x-api-key: $ADMIN" -H 'content-type: application/json' \
    "http://127.0.0.1:$port/v3/profiles" | grep -q "status codes: $n 2xx" ||
    { echo "not every request was answered 2xx"; kill "$pid"; exit 1; }
  kill -TERM "$pid"
  wait "$pid" || true
  awk '/^summary:/ {print $2}' "$out"
  rm -f "$out"
}

per_request() { # name, server command...
  local name="$1" low high
  shift
  low="$(total "$LOW" "$@")"
  high="$(total "$HIGH" "$@")"
  echo "$name: $(( (high - low) / (HIGH - LOW) )) instructions per create"
}

per_request floor "$floor" "$port" "$bench/data/create-response.json"
per_request sent-mock "$mock" --port "$port"
