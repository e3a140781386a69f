#!/usr/bin/env bash
# The Debian package: built with cpack, installed with dpkg, started without systemd (as the
# unit's ExecStartPre/ExecStart would), read with mbpoll, removed and purged. Needs root and
# dpkg; otherwise skipped (exit 77). Prints "N passed, N failed".
set -u
BUILD=${1:?build dir}
if [ "$(id -u)" -ne 0 ] || ! command -v dpkg >/dev/null; then echo "skipped: needs root and dpkg"; exit 77; fi
if dpkg -s vxbridge >/dev/null 2>&1; then echo "skipped: a vxbridge package is installed already"; exit 77; fi
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

out=$(mktemp -d); trap 'rm -rf "$out"; dpkg -P vxbridge >/dev/null 2>&1' EXIT
(cd "$BUILD" && cpack -G DEB -B "$out" >"$out/cpack.log" 2>&1) || { cat "$out/cpack.log"; echo "0 passed, 1 failed"; exit 1; }
deb=$(ls "$out"/vxbridge_*.deb | head -1)
check "package built" '[ -f "$deb" ]'
check "dpkg -i" 'dpkg -i "$deb" >"$out/dpkg.log" 2>&1 || { cat "$out/dpkg.log"; false; }'
for f in /usr/bin/vxbridge /etc/vxbridge/site.yaml /usr/share/vxbridge/maps/victron-gx/vebus.yaml \
         /usr/share/vxbridge/maps/studer-xcom485i/xtender.yaml /usr/share/vxbridge/maps/bridge/status.yaml \
         /usr/lib/systemd/system/vxbridge.service /usr/lib/udev/rules.d/99-vxbridge.rules; do
    check "installed $f" "[ -e $f ]"
done
check "conffile" 'dpkg-query -W -f="\${Conffiles}" vxbridge | grep -q /etc/vxbridge/site.yaml'
check "check passes on the shipped config" '/usr/bin/vxbridge check -c /etc/vxbridge/site.yaml >/dev/null'
/usr/bin/vxbridge run -c /etc/vxbridge/site.yaml --listen 127.0.0.1:0 >"$out/run.log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "listening on" "$out/run.log" && break; sleep 0.05; done
port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$out/run.log")
check "started without systemd" '[ -n "$port" ]'
check "serves the static example" 'mbpoll -m tcp -a 1 -t 4 -0 -r 10 -1 -p "$port" 127.0.0.1 | grep -q "\[10\]: 	2304"'
check "serves the status unit" 'mbpoll -m tcp -a 247 -t 3 -0 -r 19 -1 -p "$port" 127.0.0.1 | grep -q "\[19\]: 	1"'
kill -TERM $pid; wait $pid; rc=$?
check "SIGTERM exit 0" '[ $rc -eq 0 ]'
check "dpkg -r" 'dpkg -r vxbridge >/dev/null 2>&1'
check "binary removed" '[ ! -e /usr/bin/vxbridge ]'
check "conffile kept after remove" '[ -e /etc/vxbridge/site.yaml ]'
check "dpkg -P" 'dpkg -P vxbridge >/dev/null 2>&1'
check "config purged" '[ ! -e /etc/vxbridge ]'
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
