# shellcheck shell=bash
# Sourced by the bench scripts: the binaries, and one fresh orderd at a time on a free port.
#   bench_init BUILD_DIR     sets $orderd and $load (exits 2 when either is missing), raises the
#                            descriptor limit, and stops the server whenever the script exits
#   start_server LABEL ARGS  starts `orderd serve ARGS` on a fresh data directory; sets $port
#   check_server LABEL       exits 1 if the server died (a run under it is invalid)
#   stop_server              stops it and removes its data
#   write_catalog FILE N     a catalog of N products (ids 1..N) whose stock never runs out
# ORDERD_SYNC (full|normal) passes through to orderd untouched, which reads it as --sync.

orderd_pid=""
data_dir=""
out_file=""
port=""

bench_init() {
  if [[ $# -ne 1 ]]; then
    echo "usage: $0 BUILD_DIR" >&2
    exit 2
  fi
  local build_dir
  build_dir=$(cd "$1" && pwd)
  orderd="$build_dir/orderd"
  load="$build_dir/orderd-load"
  local bin
  for bin in "$orderd" "$load"; do
    [[ -x $bin ]] || { echo "missing $bin: build it first" >&2; exit 2; }
  done
  # 1000 connections need more than the usual 1024 descriptors once the server's are counted.
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM  # runs the EXIT trap, so the server never outlives the script
}

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
bench_cleanup() {
  stop_server
  # A script's own hook for what else it made (a catalog's directory).
  if declare -F bench_extra_cleanup >/dev/null; then bench_extra_cleanup; fi
}

start_server() {
  local label=$1
  shift
  data_dir=$(mktemp -d)
  out_file=$(mktemp)
  "$orderd" serve --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 --data "$data_dir" \
    --log-level warn "$@" >"$out_file" &
  orderd_pid=$!
  # The server prints its port on stdout once it accepts; give it at most 10 s.
  port=""
  for _ in $(seq 100); do
    port=$(sed -n 's#^orderd listening on http://127\.0\.0\.1:\([0-9][0-9]*\)$#\1#p' "$out_file")
    [[ -n $port ]] && return 0
    if ! kill -0 "$orderd_pid" 2>/dev/null; then
      echo "orderd exited before listening ($label)" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "orderd did not report its port within 10 s ($label)" >&2
  exit 1
}

check_server() {
  if ! kill -0 "$orderd_pid" 2>/dev/null; then
    local rc
    wait "$orderd_pid" 2>/dev/null && rc=0 || rc=$?
    orderd_pid=""
    echo "orderd died during the run ($1), exit status $rc" >&2
    exit 1
  fi
}

write_catalog() {
  local file=$1 products=$2 i
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
  } >"$file"
}
