#!/usr/bin/env bash
# Closed-loop benchmark of the commerce API's POST /api/v1/orders: for each concurrency and two
# shapes of load, start a fresh orderd over a generated catalog (100 products, stock that never
# runs out) and drive it with orderd-load.
#   spread: each order is for one unit of a product drawn from all 100;
#   hot:    every order is for product 1 (one contended stock row, a flash sale).
# A 201 (the order's saga settled) or a 200 counts as success; anything else, a 202 (still
# running) included, is an error and is counted by status (status_NNN=count) in the result line.
# Usage: bench/run-orders-bench.sh BUILD_DIR
# Env: BENCH_DURATION (seconds, default 10), BENCH_CONCURRENCY (default "32 256 1000").
set -euo pipefail

# shellcheck source=bench/bench-server.sh
source "$(dirname "$0")/bench-server.sh"
bench_init "$@"

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

work_dir=""
# shellcheck disable=SC2317  # only the EXIT trap calls it (bench-server.sh)
bench_extra_cleanup() {
  [[ -n $work_dir ]] && rm -rf "$work_dir"
  work_dir=""
}

work_dir=$(mktemp -d)
catalog="$work_dir/catalog.json"
write_catalog "$catalog" "$products"

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

    start_server "$run" --catalog "$catalog" --payment-latency-ms 0

    # A failed round (no successful request) is reported but does not hide the others.
    line=""
    if ! line=$("$load" --port "$port" --path "$path" --concurrency "$c" --duration "$duration" \
      --body "$body" --products "$shape_products" --expect-status 200,201 \
      --label "orders-$shape"); then
      status=1
    fi
    echo "$run: ${line:-no result from orderd-load}"

    # A server that died under load invalidates the run, and every run after it.
    check_server "$run"
    stop_server
  done
done
exit "$status"
