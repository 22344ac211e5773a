#!/usr/bin/env bash
# Closed-loop benchmark of seed 003's POST /TripOrchestrator/{tripId}/BookTrip: each request books
# a new trip id ({seq}); for each concurrency and two shapes of load, start a fresh orderd over a
# generated travel catalog and drive it with orderd-load.
#   spread:   10 SFO->JFK flights and 10 New York hotels whose seats and rooms never run out;
#             every trip is confirmed (searches, two reservations, a charge, two confirmations,
#             a notification: 9 child invocations).
#   soldout:  one flight with 50 seats: the first 50 trips take them, every later trip fails
#             no_seats after its search, with nothing held (the nearly sold-out flight).
# BookTrip answers 200 for every outcome, so only 200 counts as success; a 202 (the booking still
# running past --request-timeout) is an error, counted by status in the result line.
# Usage: bench/run-trips-bench.sh BUILD_DIR
# Env: BENCH_DURATION (seconds, default 10), BENCH_CONCURRENCY (default "32 256").
set -euo pipefail

# shellcheck source=bench/bench-server.sh
source "$(dirname "$0")/bench-server.sh"
bench_init "$@"

duration=${BENCH_DURATION:-10}
concurrency_list=${BENCH_CONCURRENCY:-32 256}
path='/TripOrchestrator/trip-{seq}/BookTrip'
body='{"customerId":"customer-123","customerEmail":"alice@example.com","flight":{"from":"SFO","to":"JFK","date":"2024-12-15","passengers":1},"hotel":{"city":"New York","checkIn":"2024-12-15","checkOut":"2024-12-18","guests":1}}'

serve_help=$("$orderd" serve --help 2>&1 || true)
if [[ $serve_help != *--travel-catalog* ]]; then
  echo "$orderd serve has no --travel-catalog option: this build has no travel to benchmark" >&2
  exit 2
fi

work_dir=""
# shellcheck disable=SC2317  # only the EXIT trap calls it (bench-server.sh)
bench_extra_cleanup() {
  [[ -n $work_dir ]] && rm -rf "$work_dir"
  work_dir=""
}
work_dir=$(mktemp -d)

# write_travel_catalog FILE FLIGHTS SEATS: FLIGHTS flights SFO->JFK on 2024-12-15 with SEATS seats
# each, and 10 New York hotels with 10^9 rooms.
write_travel_catalog() {
  local file=$1 flights=$2 seats=$3 i
  {
    printf '{"flights":['
    for ((i = 1; i <= flights; i++)); do
      ((i > 1)) && printf ','
      printf '{"flightId":"BN%d-2024-12-15","flightNumber":"BN%d","airline":"Bench","from":"SFO",' "$i" "$i"
      printf '"to":"JFK","date":"2024-12-15","departs":"08:00","price":%d,"currency":"USD","seats":%d}' \
        $((20000 + i * 100)) "$seats"
    done
    printf '],"hotels":['
    for ((i = 1; i <= 10; i++)); do
      ((i > 1)) && printf ','
      printf '{"hotelId":"bench-%d","name":"Bench Hotel %d","city":"New York","pricePerNight":%d,' "$i" "$i" \
        $((10000 + i * 100))
      printf '"currency":"USD","rooms":1000000000,"roomCapacity":2}'
    done
    printf ']}\n'
  } >"$file"
}
write_travel_catalog "$work_dir/spread.json" 10 1000000000
write_travel_catalog "$work_dir/soldout.json" 1 50

echo "# orderd trips bench: nproc=$(nproc) date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  "commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  "sync=${ORDERD_SYNC:-default} path=$path duration_s=$duration"

status=0
for c in $concurrency_list; do
  for shape in spread soldout; do
    run="trips $shape c=$c"
    start_server "$run" --travel-catalog "$work_dir/$shape.json" --catalog none \
      --payment-latency-ms 0
    line=""
    if ! line=$("$load" --port "$port" --path "$path" --concurrency "$c" --duration "$duration" \
      --body "$body" --expect-status 200 --label "trips-$shape"); then
      status=1
    fi
    echo "$run: ${line:-no result from orderd-load}"
    check_server "$run"
    stop_server
  done
done
exit "$status"
