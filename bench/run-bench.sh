#!/usr/bin/env bash
# Closed-loop benchmark of orderd: for simulated latency scales 1 and 0, start a fresh server
# and drive POST /OrderService/ProcessOrder (a synchronous call) with orderd-load at each
# concurrency. ORDERD_SYNC (full|normal) passes through to orderd untouched.
# Usage: bench/run-bench.sh BUILD_DIR
# Env: BENCH_DURATION (seconds, default 10), BENCH_CONCURRENCY (default "32 256 1000").
set -euo pipefail

# shellcheck source=bench/bench-server.sh
source "$(dirname "$0")/bench-server.sh"
bench_init "$@"

duration=${BENCH_DURATION:-10}
concurrency_list=${BENCH_CONCURRENCY:-32 256 1000}
path=/OrderService/ProcessOrder

echo "# orderd bench: nproc=$(nproc) date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  "commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  "sync=${ORDERD_SYNC:-default} path=$path duration_s=$duration"

status=0
for scale in 1 0; do
  start_server "latency scale $scale" --latency-scale "$scale" --failure-scale 0

  for c in $concurrency_list; do
    # A failed round (no successful request) is reported but does not hide the others.
    "$load" --port "$port" --path "$path" --concurrency "$c" --duration "$duration" \
      --label "latency$scale" || status=1
  done
  check_server "latency scale $scale"
  stop_server
done
exit "$status"
