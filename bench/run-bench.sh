#!/usr/bin/env bash
# Closed-loop benchmark of orderd: for simulated latency scales 1 and 0, start a fresh server
# and drive POST /OrderService/ProcessOrder (a synchronous call) with orderd-load at each
# concurrency. ORDERD_SYNC (full|normal) passes through to orderd untouched.
# Usage: bench/run-bench.sh BUILD_DIR
# Env: BENCH_DURATION (seconds, default 10), BENCH_CONCURRENCY (default "32 256 1000").
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build_dir=$(cd "$1" && pwd)
orderd="$build_dir/orderd"
load="$build_dir/orderd-load"
for bin in "$orderd" "$load"; do
  [[ -x $bin ]] || { echo "missing $bin: build it first" >&2; exit 2; }
done

duration=${BENCH_DURATION:-10}
concurrency_list=${BENCH_CONCURRENCY:-32 256 1000}
path=/OrderService/ProcessOrder

# 1000 connections need more than the usual 1024 descriptors once the server's are counted.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

orderd_pid=""
data_dir=""
out_file=""
stop_server() {
  if [[ -n $orderd_pid ]]; then
    kill -TERM "$orderd_pid" 2>/dev/null || true
    wait "$orderd_pid" 2>/dev/null || true
    orderd_pid=""
  fi
  [[ -n $data_dir ]] && rm -rf "$data_dir"
  [[ -n $out_file ]] && rm -f "$out_file"
  data_dir=""
  out_file=""
}
trap stop_server EXIT
trap 'exit 130' INT TERM  # runs the EXIT trap, so the server never outlives the script

echo "# orderd bench: nproc=$(nproc) date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  "commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  "sync=${ORDERD_SYNC:-default} path=$path duration_s=$duration"

status=0
for scale in 1 0; do
  data_dir=$(mktemp -d)
  out_file=$(mktemp)
  "$orderd" serve --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 --data "$data_dir" --latency-scale "$scale" \
    --failure-scale 0 --log-level warn >"$out_file" &
  orderd_pid=$!

  # The server prints its port on stdout once it accepts; give it at most 10 s.
  port=""
  for _ in $(seq 100); do
    port=$(sed -n 's#^orderd listening on http://127\.0\.0\.1:\([0-9][0-9]*\)$#\1#p' "$out_file")
    [[ -n $port ]] && break
    if ! kill -0 "$orderd_pid" 2>/dev/null; then
      echo "orderd exited before listening (latency scale $scale)" >&2
      exit 1
    fi
    sleep 0.1
  done
  if [[ -z $port ]]; then
    echo "orderd did not report its port within 10 s (latency scale $scale)" >&2
    exit 1
  fi

  for c in $concurrency_list; do
    # A failed round (no successful request) is reported but does not hide the others.
    "$load" --port "$port" --path "$path" --concurrency "$c" --duration "$duration" \
      --label "latency$scale" || status=1
  done
  stop_server
done
exit "$status"
