# Sourced by the benchmarks that run both servers (run.sh, server-instructions.sh): where the
# repository and the shared floor are, and both built in release mode. Sets `here`, `repo`,
# `shared`, `bench`, `mock` and `floor`. Environment: SHARED (../shared beside the repository).
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
