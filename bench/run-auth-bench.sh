#!/usr/bin/env bash
# What authentication costs: POST /api/v1/orders (spread over 100 products, one unit, as
# run-orders-bench.sh) against a fresh orderd run open, then with each kind of key, every request
# carrying a service token (services may order for any user, so the body's user_id can vary).
# Usage: bench/run-auth-bench.sh BUILD_DIR   (orderctl must be built beside orderd)
# Env: BENCH_DURATION (seconds, default 10), BENCH_CONCURRENCY (default "32 256").
set -euo pipefail

# shellcheck source=bench/bench-server.sh
source "$(dirname "$0")/bench-server.sh"
bench_init "$@"
orderctl="$(dirname "$orderd")/orderctl"
[[ -x $orderctl ]] || { echo "missing $orderctl: build it first" >&2; exit 2; }

duration=${BENCH_DURATION:-10}
concurrency_list=${BENCH_CONCURRENCY:-32 256}
products=100
body='{"user_id":{user},"items":[{"product_id":{product},"quantity":1}],"payment_method":"mock"}'

work_dir=""
# shellcheck disable=SC2317  # only the EXIT trap calls it (bench-server.sh)
bench_extra_cleanup() {
  [[ -n $work_dir ]] && rm -rf "$work_dir"
  work_dir=""
}
work_dir=$(mktemp -d)
catalog="$work_dir/catalog.json"
write_catalog "$catalog" "$products"
head -c 48 /dev/urandom | base64 >"$work_dir/hs256.secret"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work_dir/rsa.pem" 2>/dev/null
openssl pkey -in "$work_dir/rsa.pem" -pubout -out "$work_dir/rsa.pub"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work_dir/ec.pem" 2>/dev/null
openssl pkey -in "$work_dir/ec.pem" -pubout -out "$work_dir/ec.pub"

echo "# orderd auth bench: nproc=$(nproc) date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  "commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  "sync=${ORDERD_SYNC:-default} duration_s=$duration catalog_products=$products"

status=0
for c in $concurrency_list; do
  for mode in open hs256 rs256 es256; do
    server_flags=()
    token_flags=()
    case $mode in
      hs256)
        server_flags=(--jwt-hs256-secret-file "$work_dir/hs256.secret")
        token_flags=(--secret-file "$work_dir/hs256.secret") ;;
      rs256)
        server_flags=(--jwt-public-key-file "$work_dir/rsa.pub")
        token_flags=(--private-key-file "$work_dir/rsa.pem") ;;
      es256)
        server_flags=(--jwt-public-key-file "$work_dir/ec.pub")
        token_flags=(--private-key-file "$work_dir/ec.pem") ;;
    esac
    headers=()
    if [[ $mode != open ]]; then
      token=$("$orderctl" token "${token_flags[@]}" --sub load --role service --ttl 1h)
      headers=(--header "Authorization: Bearer $token")
    fi
    run="auth $mode c=$c"
    start_server "$run" --catalog "$catalog" --payment-latency-ms 0 "${server_flags[@]}"
    line=""
    if ! line=$("$load" --port "$port" --path /api/v1/orders --concurrency "$c" \
      --duration "$duration" --body "$body" --products "$products" --expect-status 200,201 \
      "${headers[@]}" --label "orders-$mode"); then
      status=1
    fi
    echo "$run: ${line:-no result from orderd-load}"
    check_server "$run"
    stop_server
  done
done
exit "$status"
