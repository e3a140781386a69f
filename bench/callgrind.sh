#!/usr/bin/env bash
# User-space instructions per Modbus request, vxbridge vs libmodbus's reference server, counted
# by callgrind: repeatable to a fraction of a percent, unlike CPU time on a shared 2-core VM.
# Each server runs under callgrind twice, serving N1 and N2 requests (FC3 x 100 registers, 8
# clients); (Ir(N2) - Ir(N1)) / (N2 - N1) is the cost of one request with start-up and shutdown
# cancelled out. Kernel time (about 3/4 of a request, bench/README.md) is not counted.
# Usage: bench/callgrind.sh [N1 N2]   (default 20000 60000). Needs what bench/run.sh builds.
set -euo pipefail
cd "$(dirname "$0")/.."
n1=${1:-20000}
n2=${2:-60000}
out=bench/out
[ -x "$out/mbload-build/mbload" ] && [ -x "$out/refserver" ] && [ -f "$out/bench.yaml" ] ||
  { echo "run bench/run.sh first (it builds mbload, the refserver and the bench map)" >&2; exit 2; }
cmake --build build-release --target vxbridge >/dev/null

# ir NAME PORT REQUESTS CMD...: total instructions of CMD serving REQUESTS requests.
ir() {
  local name=$1 port=$2 n=$3 f="$out/callgrind.$1.$3"
  shift 3
  valgrind --tool=callgrind --callgrind-out-file="$f" "$@" >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 100); do  # valgrind starts slowly
    sleep 0.2
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1).close()" 2>/dev/null && break
  done
  # mbload counts time, not requests: a client sends until the count is reached (per client).
  /usr/bin/python3 - "$port" "$n" <<'PY'
import socket, struct, sys, threading
port, n = int(sys.argv[1]), int(sys.argv[2])
def client(k):
    s = socket.create_connection(("127.0.0.1", port))
    for t in range(k):
        s.sendall(struct.pack(">HHHBBHH", t & 0xFFFF, 0, 6, 1, 3, 0, 100))
        got = b""
        while len(got) < 209:
            got += s.recv(512)
    s.close()
threads = [threading.Thread(target=client, args=(n // 8,)) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
PY
  kill -INT "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  grep -m1 '^summary:' "$f" | awk '{print $2}'
}

printf 'modbus: {listen: 127.0.0.1:15513, max_connections: 64}\ndevices: {mem: {driver: static}}\nunits:\n  - {unit_id: 1, device: mem, map: bench-map.yaml}\nlog: {level: warn}\n' > "$out/callgrind.yaml"
declare -A per
for srv in refserver vxbridge; do
  case $srv in
    refserver) port=15512; cmd=("$out/refserver" 15512) ;;
    vxbridge)  port=15513; cmd=(build-release/vxbridge run -c "$out/callgrind.yaml") ;;
  esac
  a=$(ir "$srv" "$port" "$n1" "${cmd[@]}")
  b=$(ir "$srv" "$port" "$n2" "${cmd[@]}")
  per[$srv]=$(( (b - a) / (n2 - n1) ))
  echo "$srv: $a Ir for $n1 requests, $b Ir for $n2: ${per[$srv]} instructions per request"
done
python3 -c "print(f'vxbridge / refserver: {${per[vxbridge]} / ${per[refserver]}:.2f} (user-space instructions per request)')"
echo "hot spots: callgrind_annotate $out/callgrind.vxbridge.$n2 | head -40"
