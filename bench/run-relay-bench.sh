#!/usr/bin/env bash
# The outbox's relay to NATS JetStream under the orders benchmark's load: a fresh nats-server
# (JetStream, a temporary store) and a fresh orderd --nats-url per concurrency, the spread load of
# run-orders-bench.sh. Two phases:
#   live:    the broker is up; /health is sampled every 0.5 s for the relay's lag (events waiting,
#            age of the oldest), then the time the relay takes to drain what is left. events/s is
#            what it published over load + drain time.
#   backlog: the broker is stopped for a second load of the same length, then started again; the
#            relay's catch-up time gives its capacity (backlog events / catch-up seconds).
# Usage: bench/run-relay-bench.sh BUILD_DIR
# Env: BENCH_DURATION (seconds, default 10), BENCH_CONCURRENCY (default "32 256"),
#      NATS_SERVER (default: nats-server on PATH, else /usr/sbin/nats-server).
set -euo pipefail

# shellcheck source=bench/bench-server.sh
source "$(dirname "$0")/bench-server.sh"
bench_init "$@"

duration=${BENCH_DURATION:-10}
concurrency_list=${BENCH_CONCURRENCY:-32 256}
nats_server=${NATS_SERVER:-$(command -v nats-server || echo /usr/sbin/nats-server)}
[[ -x $nats_server ]] || { echo "no nats-server (scripts/install-deps installs it)" >&2; exit 2; }
products=100
body='{"user_id":{user},"items":[{"product_id":{product},"quantity":1}],"payment_method":"mock"}'

work_dir=$(mktemp -d)
nats_pid=""
# shellcheck disable=SC2317  # only the EXIT trap calls it (bench-server.sh)
bench_extra_cleanup() {
  [[ -n $nats_pid ]] && kill "$nats_pid" 2>/dev/null && wait "$nats_pid" 2>/dev/null
  nats_pid=""
  rm -rf "$work_dir"
}

start_nats() { # [PORT]: a fresh store without one, the same store and port with it
  [[ $# -eq 0 ]] && rm -rf "$work_dir/js"
  rm -f "$work_dir/nats.log"
  "$nats_server" -js -a 127.0.0.1 -p "${1:--1}" -sd "$work_dir/js" >"$work_dir/nats.log" 2>&1 &
  nats_pid=$!
  nats_port=""
  for _ in $(seq 100); do
    nats_port=$(sed -n 's#.*Listening for client connections on 127\.0\.0\.1:\([0-9]*\).*#\1#p' \
      "$work_dir/nats.log")
    [[ -n $nats_port ]] && return 0
    sleep 0.1
  done
  echo "nats-server did not start" >&2
  exit 1
}

stop_nats() {
  kill "$nats_pid" 2>/dev/null || true
  wait "$nats_pid" 2>/dev/null || true
  nats_pid=""
}

health_field() { # FIELD: a number from the relay's part of GET /health
  curl -s "http://127.0.0.1:$port/health" | sed -n "s#.*\"$1\":\([0-9]*\).*#\1#p"
}

catalog="$work_dir/catalog.json"
write_catalog "$catalog" "$products"

echo "# orderd relay bench: nproc=$(nproc) date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  "commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  "nats=$("$nats_server" --version) duration_s=$duration catalog_products=$products"

status=0
for c in $concurrency_list; do
  run="relay spread c=$c"
  start_nats
  start_server "$run" --catalog "$catalog" --payment-latency-ms 0 \
    --nats-url "nats://127.0.0.1:$nats_port"
  base=$(health_field published)
  "$load" --port "$port" --path /api/v1/orders --concurrency "$c" --duration "$duration" \
    --body "$body" --products "$products" --expect-status 200,201 --label "relay-spread" \
    >"$work_dir/load.out" &
  load_pid=$!
  max_waiting=0
  max_age=0
  while kill -0 "$load_pid" 2>/dev/null; do
    waiting=$(health_field waiting)
    age=$(health_field oldest_waiting_ms)
    ((${waiting:-0} > max_waiting)) && max_waiting=$waiting
    ((${age:-0} > max_age)) && max_age=$age
    sleep 0.5
  done
  wait "$load_pid" || status=1
  load_end=$(date +%s.%N)
  for _ in $(seq 600); do
    [[ $(health_field waiting) == 0 ]] && break
    sleep 0.05
  done
  drained=$(date +%s.%N)
  published=$(($(health_field published) - base))
  drain_s=$(awk -v a="$load_end" -v b="$drained" 'BEGIN { print b - a }')
  events_per_s=$(awk -v n="$published" -v d="$duration" -v s="$drain_s" 'BEGIN { print n / (d + s) }')
  printf '%s: %s\n' "$run" "$(cat "$work_dir/load.out")"
  printf '%s: events_published=%d events_per_s=%.0f max_waiting=%d max_oldest_waiting_ms=%d drain_after_load_s=%.2f\n' \
    "$run" "$published" "$events_per_s" "$max_waiting" "$max_age" "$drain_s"

  stop_nats
  base=$(health_field published)
  line=$("$load" --port "$port" --path /api/v1/orders --concurrency "$c" --duration "$duration" \
    --body "$body" --products "$products" --expect-status 200,201 --label "relay-backlog") ||
    status=1
  backlog=$(health_field waiting)
  age=$(health_field oldest_waiting_ms)
  restarted=$(date +%s.%N)
  start_nats "$nats_port"
  for _ in $(seq 1200); do
    [[ $(health_field waiting) == 0 ]] && break
    sleep 0.05
  done
  drained=$(date +%s.%N)
  caught_up_s=$(awk -v a="$restarted" -v b="$drained" 'BEGIN { print b - a }')
  published=$(($(health_field published) - base))
  printf '%s: broker down: %s\n' "$run" "$line"
  printf '%s: backlog=%d oldest_waiting_ms=%d caught_up_s=%.2f (broker start included) backlog_events_per_s=%.0f\n' \
    "$run" "$backlog" "$age" "$caught_up_s" \
    "$(awk -v n="$published" -v s="$caught_up_s" 'BEGIN { print n / s }')"
  check_server "$run"
  stop_server
  stop_nats
done
exit "$status"
