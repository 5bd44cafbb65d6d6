#!/usr/bin/env bash
# What a fresh-key create costs as the mock's heap grows: one server, pinned to CPU 0, takes
# SEGMENTS back-to-back wrk runs of fresh-key creates (wrk on CPU 1), and each segment prints
# its requests/s, the server's CPU and system µs per request, the minor faults per request and
# the resident size at its end. The floor runs first, for its CPU per request.
#
# Every create keeps what it answered (~2.9 KB), so a 10-second run of run.sh grows the heap by
# ~2 GB. On a VM whose guest hands freed memory back to its host (virtio-balloon free page
# reporting), a page the host has taken back must be backed again at its first touch: the
# segments show at what size that begins, and what it adds; then page-cost.py grows a plain
# process by 256 MiB at a time, for the same curve without the mock. The guest's reporting
# settings, if its kernel has them, are printed first.
#
# Environment: SEGMENT (3s), SEGMENTS (6), SHARED (the shared folder, default ../shared).
set -euo pipefail
SEGMENT="${SEGMENT:-3s}"
SEGMENTS="${SEGMENTS:-6}"
ADMIN=sk_test_acme_admin

command -v wrk >/dev/null || apt-get install -y wrk >/dev/null
# shellcheck source=benches/servers.sh
source "$(dirname "$0")/servers.sh"
port=4191
server_pid=""
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null' EXIT

reporting=/sys/module/page_reporting/parameters
if [ -d "$reporting" ]; then
  echo "== free page reporting: $(cd "$reporting" && grep -H . ./* 2>/dev/null | sed 's|^\./||' | tr '\n' ' ')"
fi

# label, wrk script, environment for wrk: one segment against the running server.
segment() {
  local label="$1" script="$2" load_env="$3" stat0 stat1 line
  read -ra stat0 < <(awk '{print $14, $15, $10}' "/proc/$server_pid/stat")
  line="$(cd "$bench" && env SEED="$((RANDOM * 32768 + RANDOM))" BODY_FILE=data/create-request.json $load_env \
    taskset -c 1 wrk -t1 -c32 -d"$SEGMENT" -s "$script" "http://127.0.0.1:$port/v3/profiles" | grep '^RESULT')"
  read -ra stat1 < <(awk '{print $14, $15, $10}' "/proc/$server_pid/stat")
  python3 - "$label" "$line" "$SEGMENT" "$(getconf CLK_TCK)" "${stat0[@]}" "${stat1[@]}" \
    "$(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status")" <<'EOF'
import re, sys
label, line, segment, tck = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
u0, s0, f0, u1, s1, f1 = map(int, sys.argv[5:11])
rss = int(sys.argv[11]) / 1024
requests = float(re.search(r"rps=([0-9.]+)", line).group(1)) * float(segment.rstrip("s"))
per = lambda ticks: ticks / tck * 1e6 / requests
print(f"{label:<12}{requests / float(segment.rstrip('s')):>10.0f}{per(u1 + s1 - u0 - s0):>10.1f}"
      f"{per(s1 - s0):>10.1f}{(f1 - f0) / requests:>12.2f}{rss:>10.0f}")
EOF
}

export RUST_LOG=warn
printf "%-12s%10s%10s%10s%12s%10s\n" segment "req/s" "CPU us" "sys us" "faults/req" "RSS MiB"
start_server "$floor" "$port" "$bench/data/create-response.json"
segment floor "$bench/post.lua" ""
stop_server
start_server "$mock" --port "$port" --idempotency-capacity 100000000
for i in $(seq 1 "$SEGMENTS"); do
  segment "fresh $i" "$here/fresh-keys.lua" "API_KEY=$ADMIN IDEM=unique POST_LUA=$bench/post.lua"
done
stop_server
echo "== the same growth in a process that only touches memory (page-cost.py), on CPU 0"
SEGMENTS=10 taskset -c 0 "$here/page-cost.py"
