#!/usr/bin/env bash
# Closed-loop benchmark of the commerce API's POST /api/v1/orders: for each concurrency and two
# shapes of load, start a fresh orderd over a generated catalog (100 products, stock that never
# runs out) and drive it with orderd-load.
#   spread: each order is for one unit of a product drawn from all 100;
#   hot:    every order is for product 1 (one contended stock row, a flash sale).
# A 201 (the order's saga settled) or a 200 counts as success; anything else, a 202 (still
# running) included, is an error and is counted by status (status_NNN=count) in the result line.
# ORDERD_SYNC (full|normal) passes through to orderd untouched, which reads it as --sync.
# Usage: bench/run-orders-bench.sh BUILD_DIR
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
path=/api/v1/orders
products=100
body='{"user_id":{user},"items":[{"product_id":{product},"quantity":1}],"payment_method":"mock"}'

# Say so plainly when this orderd predates the commerce API, rather than let it die on a flag.
serve_help=$("$orderd" serve --help 2>&1 || true)
for flag in --catalog --payment-latency-ms; do
  if [[ $serve_help != *"$flag"* ]]; then
    echo "$orderd serve has no $flag option: this build has no commerce API to benchmark" >&2
    exit 2
  fi
done

# 1000 connections need more than the usual 1024 descriptors once the server's are counted.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

work_dir=""
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
# shellcheck disable=SC2317  # only the EXIT trap calls it
cleanup() {
  stop_server
  [[ -n $work_dir ]] && rm -rf "$work_dir"
  work_dir=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM  # runs the EXIT trap, so the server never outlives the script

work_dir=$(mktemp -d)
catalog="$work_dir/catalog.json"
{
  printf '{"warehouses":[{"id":"main","name":"Main","priority":1},'
  printf '{"id":"backup","name":"Backup","priority":2}],"products":['
  for ((i = 1; i <= products; i++)); do
    ((i > 1)) && printf ','
    printf '{"id":%d,"sku":"SKU-%04d","name":"Product %d","unit_price":1999,"currency":"USD",' \
      "$i" "$i" "$i"
    printf '"stock":{"main":1000000000}}'
  done
  printf ']}\n'
} >"$catalog"

echo "# orderd orders bench: nproc=$(nproc) date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  "commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  "sync=${ORDERD_SYNC:-default} path=$path duration_s=$duration catalog_products=$products"

status=0
for c in $concurrency_list; do
  for shape in spread hot; do
    case $shape in
      spread) shape_products=$products ;;
      hot) shape_products=1 ;;
    esac
    run="orders $shape c=$c"

    data_dir=$(mktemp -d -p "$work_dir")
    out_file=$(mktemp -p "$work_dir")
    "$orderd" serve --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 --data "$data_dir" \
      --catalog "$catalog" --log-level warn --payment-latency-ms 0 >"$out_file" &
    orderd_pid=$!

    # The server prints its port on stdout once it accepts; give it at most 10 s.
    port=""
    for _ in $(seq 100); do
      port=$(sed -n 's#^orderd listening on http://127\.0\.0\.1:\([0-9][0-9]*\)$#\1#p' "$out_file")
      [[ -n $port ]] && break
      if ! kill -0 "$orderd_pid" 2>/dev/null; then
        echo "orderd exited before listening ($run)" >&2
        exit 1
      fi
      sleep 0.1
    done
    if [[ -z $port ]]; then
      echo "orderd did not report its port within 10 s ($run)" >&2
      exit 1
    fi

    # A failed round (no successful request) is reported but does not hide the others.
    line=""
    if ! line=$("$load" --port "$port" --path "$path" --concurrency "$c" --duration "$duration" \
      --body "$body" --products "$shape_products" --expect-status 200,201 \
      --label "orders-$shape"); then
      status=1
    fi
    echo "$run: ${line:-no result from orderd-load}"

    # A server that died under load invalidates the run, and every run after it.
    if ! kill -0 "$orderd_pid" 2>/dev/null; then
      wait "$orderd_pid" 2>/dev/null && rc=0 || rc=$?
      orderd_pid=""
      echo "orderd died during the run ($run), exit status $rc" >&2
      exit 1
    fi
    stop_server
  done
done
exit "$status"
