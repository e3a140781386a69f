#!/usr/bin/env bash
# Modbus TCP server benchmark: vxbridge vs libmodbus's reference select() server, same run,
# servers pinned to core 0 and the load generator (shared/bench/mbload) to core 1.
# FC3 x 100 registers at 1, 8 and 64 clients, with a bare epoll responder as the ceiling; then 8 clients again while a slow-loris client
# sends one byte every 10 ms (the refserver freezes on it, vxbridge must not notice).
# Usage: [ROUNDS=5] bench/run.sh [seconds-per-cell]   (default 5). Builds build-release/.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
shared=${VXBRIDGE_SHARED:-../shared}
out=bench/out; mkdir -p "$out"
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build build-release -j2 --target vxbridge >/dev/null
cmake -S "$shared/bench/mbload" -B "$out/mbload-build" >/dev/null && cmake --build "$out/mbload-build" >/dev/null
gcc -O2 -o "$out/refserver" "$shared/bench/refserver/refserver.c" $(pkg-config --cflags --libs libmodbus)
g++ -O2 -std=c++20 -o "$out/bare_responder" bench/bare_responder.cpp

# A map of 125 u16 registers holding their own address (what the refserver serves).
{
  echo "schema: 1"; echo "name: bench"; echo "driver: static"; echo "max_age: 0"; echo "registers:"
  for i in $(seq 0 124); do echo "  - {name: r$i, address: $i, type: u16, source: {value: $i}}"; done
} > "$out/bench-map.yaml"
# The web view is on in every cell; the `pages10` cell has 10 pages open on it (bench/pages.py).
printf 'modbus: {listen: 127.0.0.1:15503, max_connections: 512}\nweb: {listen: 127.0.0.1:15505}\ndevices: {mem: {driver: static}}\nunits:\n  - {unit_id: 1, device: mem, map: bench-map.yaml}\nlog: {level: warn}\n' > "$out/bench.yaml"

taskset -c 0 "$out/refserver" 15502 & ref=$!
taskset -c 0 "$out/bare_responder" 15504 & bare=$!
taskset -c 0 build-release/vxbridge run -c "$out/bench.yaml" 2>"$out/vxbridge.log" & vxb=$!
trap 'kill $ref $vxb $bare 2>/dev/null' EXIT
sleep 0.5

slowloris() {  # one byte every 10 ms, forever, on a fresh connection
  /usr/bin/python3 - "$1" >/dev/null 2>&1 <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
req = bytes([0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1])
while True:
    for b in req:
        s.send(bytes([b])); time.sleep(0.01)
    s.recv(64)
PY
  echo $!
}

run() {  # run NAME PORT PID CLIENTS LOAD [mbload options]
  local line
  line=$(taskset -c 1 "$out/mbload-build/mbload" --port "$2" --clients "$4" --seconds "$secs" \
         --warmup 1 --fc 3 --count 100 --pid "$3" "${@:6}" | grep '^mbload:')
  printf '%-10s %-10s clients=%-3s %s\n' "$1" "$5" "$4" "$line" | tee -a "$out/results.txt"
}

: > "$out/results.txt"
for rep in $(seq "${ROUNDS:-5}"); do  # rounds: the median per cell (README of mbload)
  for n in 1 8 64; do
    run bare 15504 $bare $n plain
    run refserver 15502 $ref $n plain
    run vxbridge 15503 $vxb $n plain
  done
  # mbload's libmodbus client saturates core 1 at 64 clients, and then the p99 it measures is
  # its own: a faster server wakes it more often. The raw client is lighter: servers near 100 %.
  run bare 15504 $bare 64 raw --raw
  run refserver 15502 $ref 64 raw --raw
  run vxbridge 15503 $vxb 64 raw --raw
  # An open page must not be visible to Modbus clients: 8 clients with 10 pages open next to
  # the plain 8-client cell of the same round (issue 17).
  taskset -c 1 /usr/bin/python3 bench/pages.py 15505 10 1 40 >/dev/null & pages=$!
  sleep 1
  run vxbridge 15503 $vxb 8 pages10
  kill $pages 2>/dev/null || true; wait $pages 2>/dev/null || true

done
for srv in refserver:15502:$ref vxbridge:15503:$vxb; do
  IFS=: read -r name port pid <<<"$srv"
  sl=$(slowloris "$port")
  sleep 0.2
  run "$name" "$port" "$pid" 8 slowloris
  kill "$sl" 2>/dev/null || true
done
echo "RSS of vxbridge after the run: $(grep VmRSS /proc/$vxb/status)" | tee -a "$out/results.txt"
