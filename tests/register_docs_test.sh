#!/usr/bin/env bash
# docs/registers/ must be what `vxbridge regs` prints for the shipped maps (regenerate with
# scripts/gen_register_docs.sh). Prints "N passed, N failed".
set -u
BIN=$1; SRC=$2
passed=0 failed=0
for map in "$SRC"/maps/*/*.yaml; do
    doc="$SRC/docs/registers/$(basename "$(dirname "$map")")-$(basename "$map" .yaml).md"
    if diff -q <("$BIN" regs "$map" --format md) "$doc" >/dev/null 2>&1; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1)); echo "stale: $doc (run scripts/gen_register_docs.sh)"
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
