#!/usr/bin/env bash
# The benchmark: sent-mock against the hyper floor (../shared/bench/floor), in one run, with
# the same load, so that ratios hold on a noisy shared machine where absolute figures drift.
#
# For each target and each connection count a fresh server starts pinned to CPU 0
# (taskset), wrk runs pinned to CPU 1: a warm-up, then the measured run. Reported per row:
# requests/s, p50 and p99 latency, CPU microseconds per request (the server's user+system
# time over the measured run divided by its requests), minor page faults per request, peak
# RSS, and how busy CPU 1 was (near 100 %, wrk itself may have limited the row, and its
# latencies leave out the time a request waited in wrk). Then start-up time to the first
# 200, idle RSS, and what a first touch of a new page costs on this machine before and
# after the runs (page-cost.py), by which the creates' faults can be read: on a VM that
# hands freed memory back to its host it moves a lot. Every figure but the faults, the
# page's cost and CPU 1's share is also given as a ratio to the floor's: the floor runs
# before and after the mock's targets (the machine drifts within a run), and its figures
# are the mean of the two. The fresh-key rows run post.lua through fresh-keys.lua, which
# seeds its keys per wrk run (unseeded, the measured run repeated the warm-up's keys, and
# its first seconds measured replays).
#
# ROUNDS (1) repeats the whole sequence of targets, each round with its own floor before
# and after; with more than one, the targets are judged on the median of the rounds' ratios,
# which one slow minute of the host moves less than a single round.
#
# Environment: DURATION (10s), WARMUP (3s), CONNECTIONS ("1 32"), ROUNDS (1), STARTUP_RUNS
# (20), SHARED (the shared folder, default ../shared beside the repository).
set -euo pipefail
DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-3s}"
CONNECTIONS="${CONNECTIONS:-1 32}"
ROUNDS="${ROUNDS:-1}"
STARTUP_RUNS="${STARTUP_RUNS:-20}"
ADMIN=sk_test_acme_admin
SEED_PROFILE=770e8400-e29b-41d4-a716-446655440001

command -v wrk >/dev/null || apt-get install -y wrk >/dev/null
command -v taskset >/dev/null || { echo "taskset (util-linux) is needed"; exit 1; }
# shellcheck source=benches/servers.sh
source "$(dirname "$0")/servers.sh"
port=4190
results="$(mktemp)"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -f "$results"; }
trap cleanup EXIT

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# Minor page faults: memory touched for the first time, which the creates' growing heap pays.
faults() { awk '{print $10}' "/proc/$1/stat"; }
# The mock's idempotency records (0 from the floor, whose answer has none): a fresh-key run
# must add one per request, or some of its requests were replays.
records() {
  python3 - "http://127.0.0.1:$port/_mock/health" <<'PY' 2>/dev/null || echo 0
import json, sys, urllib.request
data = json.load(urllib.request.urlopen(sys.argv[1])).get("data") or {}
print((data.get("idempotency") or {}).get("records", 0))
PY
}
hwm_kib() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
# CPU 1's busy and total ticks (wrk, and the loopback work the kernel does on its side): a
# client near 100 % limits the requests/s it can drive, and its latencies leave out the time
# a request waits in wrk before it is sent.
client_ticks() { awk '$1 == "cpu1" {print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }
# What a first touch of a new page costs, where the servers run (it moves with the host).
page_cost() {
  echo "== what a page of new memory costs at its first touch, on CPU 0 (see page-cost.py)"
  taskset -c 0 "$here/page-cost.py" | tee -a "$results"
}
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

# target, connections, wrk script, path, environment for wrk, server command...
measure() {
  local name="$1" conns="$2" script="$3" path="$4" load_env="$5"
  shift 5
  start_server "$@"
  local url="http://127.0.0.1:$port$path"
  # A SEED per wrk run: fresh-keys.lua's keys of the measured run are none of the warm-up's.
  (cd "$bench" && env SEED="$((RANDOM * 32768 + RANDOM))" BODY_FILE=data/create-request.json $load_env \
    taskset -c 1 wrk -t1 -c"$conns" -d"$WARMUP" -s "$script" "$url" >/dev/null)
  local before after faults_before records_before line client_before client_after
  before="$(ticks "$server_pid")"
  faults_before="$(faults "$server_pid")"
  records_before="$(records)"
  read -ra client_before <<<"$(client_ticks)"
  line="$(cd "$bench" && env SEED="$((RANDOM * 32768 + RANDOM))" BODY_FILE=data/create-request.json $load_env \
    taskset -c 1 wrk -t1 -c"$conns" -d"$DURATION" --latency -s "$script" "$url" | grep '^RESULT')"
  after="$(ticks "$server_pid")"
  read -ra client_after <<<"$(client_ticks)"
  echo "$name $conns $line round=$round cpu_ticks=$((after - before))" \
    "faults=$(($(faults "$server_pid") - faults_before)) hwm_kib=$(hwm_kib "$server_pid")" \
    "records=$(($(records) - records_before))" \
    "client_busy=$((client_after[0] - client_before[0])) client_all=$((client_after[1] - client_before[1]))" \
    | tee -a "$results"
  stop_server
}

mock_args=(--port "$port")
export RUST_LOG=warn # one log line per request would measure the terminal, not the mock
page_cost
echo "== load: wrk, $DURATION after a $WARMUP warm-up; server on CPU 0, wrk on CPU 1"
for round in $(seq 1 "$ROUNDS"); do
  for conns in $CONNECTIONS; do
    measure floor "$conns" "$bench/post.lua" /v3/profiles "" "$floor" "$port" "$bench/data/create-response.json"
    measure create "$conns" "$bench/post.lua" /v3/profiles "API_KEY=$ADMIN" "$mock" "${mock_args[@]}"
    # A cap high enough that no fresh key meets the 503 of a full store during the run.
    measure create+fresh-key "$conns" "$here/fresh-keys.lua" /v3/profiles "API_KEY=$ADMIN IDEM=unique POST_LUA=$bench/post.lua" \
      "$mock" "${mock_args[@]}" --idempotency-capacity 100000000
    measure replay "$conns" "$bench/post.lua" /v3/profiles "API_KEY=$ADMIN IDEM=bench-replay" "$mock" "${mock_args[@]}"
    measure get "$conns" "$here/get.lua" "/v3/profiles/$SEED_PROFILE" "API_KEY=$ADMIN" "$mock" "${mock_args[@]}"
    # The floor again: the machine's speed drifts within a run, and the ratios are to the
    # mean of the floor before and after the mock.
    measure floor "$conns" "$bench/post.lua" /v3/profiles "" "$floor" "$port" "$bench/data/create-response.json"
  done
done

echo "== start-up to the first 200 ($STARTUP_RUNS runs each) and idle RSS"
floor_start="$("$here/startup.py" "$STARTUP_RUNS" "$port" POST /v3/profiles "$bench/data/create-request.json" "" -- "$floor" "$port" "$bench/data/create-response.json")"
mock_start="$("$here/startup.py" "$STARTUP_RUNS" "$port" POST /v3/profiles "$bench/data/create-request.json" "$ADMIN" -- "$mock" --port "$port")"
echo "floor $floor_start" | tee -a "$results"
echo "mock $mock_start" | tee -a "$results"
start_server "$floor" "$port" "$bench/data/create-response.json"; sleep 0.3
echo "idle floor rss_kib=$(rss_kib "$server_pid")" | tee -a "$results"; stop_server
start_server "$mock" "${mock_args[@]}"; sleep 0.3
echo "idle mock rss_kib=$(rss_kib "$server_pid")" | tee -a "$results"; stop_server
page_cost

python3 - "$results" "$(getconf CLK_TCK)" "$DURATION" <<'EOF'
import re, sys
path, tck, duration = sys.argv[1], int(sys.argv[2]), sys.argv[3]
seconds = float(re.sub(r"[^0-9.]", "", duration)) * (60 if duration.endswith("m") else 1)
rows, startup, idle, page_us = [], {}, {}, []
for line in open(path):
    fields = dict(re.findall(r"(\w+)=([0-9.]+)", line))
    words = line.split()
    if "rps" in fields:
        rps = float(fields["rps"])
        rows.append({
            "name": words[0], "conns": int(words[1]), "round": int(fields.get("round", 1)), "rps": rps,
            "p50": float(fields["p50_us"]), "p99": float(fields["p99_us"]),
            "cpu": float(fields["cpu_ticks"]) / tck * 1e6 / (rps * seconds),
            "rss": float(fields["hwm_kib"]) / 1024, "non2xx": int(float(fields["non2xx"])),
            "faults": float(fields["faults"]) / (rps * seconds),
            "records": int(float(fields.get("records", 0))),
            "client": 100 * float(fields.get("client_busy", 0)) / max(float(fields.get("client_all", 0)), 1),
        })
    elif words[1:2] == ["STARTUP"] or "median_ms" in fields:
        startup[words[0]] = float(fields["median_ms"])
    elif words[0] == "idle":
        idle[words[1]] = float(fields["rss_kib"]) / 1024
    elif words[0] == "page_cost":
        page_us.append(float(fields["first_touch_us"]))
print()
rounds = sorted({r["round"] for r in rows})
print(f"{'target':<18}{'round':>6}{'conns':>6}{'req/s':>10}{'x':>6}{'p50 us':>9}{'x':>6}{'p99 us':>9}{'x':>6}"
      f"{'CPU us/req':>12}{'x':>6}{'faults/req':>12}{'peak MiB':>10}{'x':>8}{'non-2xx':>9}{'CPU 1 %':>9}")
def reference(conns, round):
    floors = [r for r in rows if r["name"] == "floor" and r["conns"] == conns and r["round"] == round]
    return {k: sum(f[k] for f in floors) / len(floors) for k in ("rps", "p50", "p99", "cpu", "rss")}
for row in rows:
    floor = reference(row["conns"], row["round"])
    print(f"{row['name']:<18}{row['round']:>6}{row['conns']:>6}{row['rps']:>10.0f}{row['rps'] / floor['rps']:>6.2f}"
          f"{row['p50']:>9.0f}{row['p50'] / floor['p50']:>6.2f}{row['p99']:>9.0f}{row['p99'] / floor['p99']:>6.2f}"
          f"{row['cpu']:>12.1f}{row['cpu'] / floor['cpu']:>6.2f}{row['faults']:>12.2f}"
          f"{row['rss']:>10.1f}{row['rss'] / floor['rss']:>8.1f}"
          f"{row['non2xx']:>9}{row['client']:>9.0f}")
for round in rounds:
    for conns in sorted({r["conns"] for r in rows}):
        runs = " then ".join(f"{r['rps']:.0f}" for r in rows
                             if r["name"] == "floor" and r["conns"] == conns and r["round"] == round)
        print(f"round {round}, floor, {conns} connection(s): {runs} req/s; the round's ratios are to the mean")
if any(r["client"] >= 95 for r in rows):
    # wrk's own time is then a large part of each request's cycle, but not of its latency.
    print("CPU 1 % near 100: wrk was saturated too; that row's requests/s may be the client's "
          "limit, and its latencies leave out the time requests waited in wrk")
for row in rows:
    if row["name"] == "create+fresh-key":
        # wrk stops with requests in flight, which it does not count: a few records more.
        share = row["records"] / (row["rps"] * seconds)
        print(f"fresh keys, round {row['round']}, {row['conns']} connection(s): {row['records']} new idempotency records "
              f"for {row['rps'] * seconds:.0f} requests ({share:.3f})"
              + ("" if share > 0.99 else "  <- some requests were replays, not creates"))
if startup:
    print(f"\nstart-up to first 200 (median): floor {startup['floor']:.1f} ms, sent-mock "
          f"{startup['mock']:.1f} ms (x{startup['mock'] / startup['floor']:.2f})")
if idle:
    print(f"idle RSS: floor {idle['floor']:.1f} MiB, sent-mock {idle['mock']:.1f} MiB "
          f"(x{idle['mock'] / idle['floor']:.2f})")
if page_us:
    # The creates keep what they answered, so they touch new pages; the floor touches none.
    print("a page of new memory at its first touch: "
          + " then ".join(f"{us:.2f} us" for us in page_us) + " (before and after the runs)")
    for row in rows:
        if row["name"] == "create+fresh-key" and row["conns"] == max(r["conns"] for r in rows):
            low, high = min(page_us), max(page_us)
            print(f"  {'round ' + str(row['round']) + ': ' if len(rounds) > 1 else ''}"
                  f"at that cost the fresh-key creates' {row['faults']:.2f} faults per request "
                  f"take ~{row['faults'] * low:.1f}-{row['faults'] * high:.1f} of their "
                  f"{row['cpu']:.1f} CPU us")

# The issue's targets, at 32 connections (or the most this run had), against this run: each
# round's figure against its own floor, and the median of the rounds.
conns = max(r["conns"] for r in rows)
def per_round(name, figure):
    values = []
    for round in rounds:
        found = [r for r in rows if r["name"] == name and r["conns"] == conns and r["round"] == round]
        if found:
            values.append(figure(found[0], reference(conns, round)))
    return values
checks = []
if any(r["name"] == "create+fresh-key" for r in rows):
    checks += [
        (f"fresh key >= 0.6 x floor req/s ({conns} conns)",
         per_round("create+fresh-key", lambda r, f: r["rps"] / f["rps"]), 0.6, ">="),
        (f"fresh key p99 <= 2 x floor's ({conns} conns)",
         per_round("create+fresh-key", lambda r, f: r["p99"] / f["p99"]), 2.0, "<="),
        ("fresh key <= 15 CPU us per request",
         per_round("create+fresh-key", lambda r, f: r["cpu"]), 15.0, "<="),
    ]
if any(r["name"] == "replay" for r in rows):
    checks.append((f"replay >= 0.9 x floor req/s ({conns} conns)",
                   per_round("replay", lambda r, f: r["rps"] / f["rps"]), 0.9, ">="))
if startup:
    checks.append(("start-up to the first 200 <= 20 ms", [startup["mock"]], 20.0, "<="))
if idle:
    checks.append(("idle RSS <= 8 MiB", [idle["mock"]], 8.0, "<="))
if checks:
    many = len(rounds) > 1
    print("\ntargets (the 100 k-record memory target: cargo bench --bench soak)"
          + ("; the median of the rounds, then each round" if many else ""))
    for what, values, bound, sense in checks:
        ordered = sorted(values)
        middle = len(ordered) // 2
        value = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
        met = value >= bound if sense == ">=" else value <= bound
        each = "  (" + ", ".join(f"{v:.2f}" for v in values) + ")" if len(values) > 1 else ""
        print(f"  {what:<48}{value:>8.2f}  {'met' if met else 'MISSED'}{each}")
EOF
