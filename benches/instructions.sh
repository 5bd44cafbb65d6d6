#!/usr/bin/env bash
# Instructions per request for each kind of request, counted by callgrind (valgrind): unlike
# time, the count does not move with the machine's load, so a change's effect on the
# pipeline's own work shows even on a busy shared machine.
#
# Each kind runs twice under callgrind, answering LOW and then HIGH requests after the same
# set-up; the difference of the two totals over HIGH - LOW is one request's instructions.
# Environment: LOW (2000), HIGH (12000), KINDS ("create fresh-key replay get").
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
LOW="${LOW:-2000}"
HIGH="${HIGH:-12000}"
KINDS="${KINDS:-create fresh-key replay get}"
command -v valgrind >/dev/null || apt-get install -y valgrind >/dev/null

bin="$(cd "$repo" && cargo bench --bench count --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "count" and m.get("executable"):
        print(m["executable"])')"
total() { # kind n
  local out
  out="$(mktemp)"
  valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" "$1" "$2" >/dev/null 2>&1
  awk '/^summary:/ {print $2}' "$out"
  rm -f "$out"
}
for kind in $KINDS; do
  low="$(total "$kind" "$LOW")"
  high="$(total "$kind" "$HIGH")"
  echo "$kind: $(( (high - low) / (HIGH - LOW) )) instructions per request"
done
