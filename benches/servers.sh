# Sourced by the benchmarks that run both servers (run.sh, growth.sh, server-instructions.sh):
# where the repository and the shared floor are, both built in release mode, and how to start
# and stop one of them. Sets `here`, `repo`, `shared`, `bench`, `mock` and `floor`.
# Environment: SHARED (../shared beside the repository).
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
shared="${SHARED:-$(dirname "$repo")/shared}"
bench="$shared/bench"
[ -d "$bench/floor" ] || { echo "no floor at $bench/floor (set SHARED)"; exit 1; }

echo "== building sent-mock and the floor (release)"
cargo build --release --manifest-path "$repo/Cargo.toml" --bin sent-mock 2>&1 | tail -n 1
floor_target="${TMPDIR:-/tmp}/sent-mock-bench-floor-target"
CARGO_TARGET_DIR="$floor_target" cargo build --release --manifest-path "$bench/floor/Cargo.toml" 2>&1 | tail -n 1
mock="${CARGO_TARGET_DIR:-$repo/target}/release/sent-mock"
floor="$floor_target/release/floor"

# Starts a server pinned to CPU 0 and waits until `$port` takes connections; its pid is
# `server_pid`.
start_server() { # command...
  taskset -c 0 "$@" >/dev/null 2>&1 &
  server_pid=$!
  for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.01
  done
  echo "server did not start: $*"; exit 1
}

stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
