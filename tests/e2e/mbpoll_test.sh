#!/usr/bin/env bash
# End-to-end with mbpoll, the command-line master integrators use on site: reads, writes,
# exceptions as mbpoll reports them, coils. Prints "N passed, N failed".
set -u
BIN=${VXBRIDGE_BIN:-build/vxbridge}
SRC=${VXBRIDGE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
cat > "$dir/site.yaml" <<YAML
modbus: {listen: 127.0.0.1:0, write_timeout: 1}
devices: {mem: {driver: static}}
units:
  - {unit_id: 1, device: mem, map: $SRC/maps/examples/static-example.yaml}
YAML
"$BIN" run -c "$dir/site.yaml" --listen 127.0.0.1:0 > "$dir/log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "listening on" "$dir/log" && break; sleep 0.05; done
port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/log")
[ -n "$port" ] || { cat "$dir/log"; echo "0 passed, 1 failed"; exit 1; }

passed=0 failed=0
check() {  # check NAME EXPECTED-EXIT EXPECTED-TEXT -- mbpoll args...
    local name=$1 want_rc=$2 want=$3; shift 4
    local out rc
    out=$(mbpoll "$@" 2>&1); rc=$?
    if [ "$rc" -eq "$want_rc" ] && grep -qF -- "$want" <<<"$out"; then
        passed=$((passed + 1)); echo "ok   $name"
    else
        failed=$((failed + 1)); echo "FAIL $name (exit $rc, wanted $want_rc and '$want')"; echo "$out" | tail -5
    fi
}
M=(-m tcp -a 1 -p "$port" -1 -0)
check "read scaled u16"        0 "[10]: 	2304"                -- "${M[@]}" -t 4 -r 10 127.0.0.1
check "read input register"    0 "[10]: 	2304"                -- "${M[@]}" -t 3 -r 10 127.0.0.1
check "read f32"               0 "[18]: 	21.5"                -- "${M[@]}" -t 4:float -B -r 18 127.0.0.1
check "read hex"               0 "[8]: 	0xFFFF"              -- "${M[@]}" -t 4:hex -r 8 127.0.0.1
check "write single"           0 "Written 1 references."      -- -m tcp -a 1 -p "$port" -0 -t 4 -r 100 127.0.0.1 1234
check "read back"              0 "[100]: 	1234"               -- "${M[@]}" -t 4 -r 100 127.0.0.1
check "write multiple"         0 "Written 4 references."      -- -m tcp -a 1 -p "$port" -0 -t 4 -r 100 127.0.0.1 5 2 0 100
check "write splitting a u32"  1 "Illegal data address"       -- -m tcp -a 1 -p "$port" -0 -t 4 -r 100 127.0.0.1 5 2 0
check "out of range"           1 "Illegal data value"         -- -m tcp -a 1 -p "$port" -0 -t 4 -r 100 127.0.0.1 4000
check "read-only register"     1 "Illegal data address"       -- -m tcp -a 1 -p "$port" -0 -t 4 -r 10 127.0.0.1 1
check "unmapped"               1 "Illegal data address"       -- "${M[@]}" -t 4 -r 40 127.0.0.1
check "refused by device"      1 "Slave device or server failure" -- -m tcp -a 1 -p "$port" -0 -t 4 -r 110 127.0.0.1 1
check "unknown unit"           1 "Target device failed to respond" -- -m tcp -a 9 -p "$port" -1 -0 -t 4 -r 10 127.0.0.1
check "write coil"             0 "Written 1 references."      -- -m tcp -a 1 -p "$port" -0 -t 0 -r 0 127.0.0.1 1
check "read coil"              0 "[0]: 	1"                    -- "${M[@]}" -t 0 -r 0 127.0.0.1
check "read discrete input"    0 "[0]: 	1"                    -- "${M[@]}" -t 1 -r 0 127.0.0.1

kill -TERM $pid; wait $pid; rc=$?
if [ $rc -eq 0 ]; then passed=$((passed + 1)); echo "ok   SIGTERM exit 0"; else failed=$((failed + 1)); echo "FAIL SIGTERM exit $rc"; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
