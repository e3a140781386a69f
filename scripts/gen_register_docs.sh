#!/usr/bin/env bash
# Regenerates docs/registers/*.md (the register lists for SCADA teams) with `vxbridge regs`.
# Usage: scripts/gen_register_docs.sh [path/to/vxbridge]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/vxbridge}
mkdir -p docs/registers
for map in maps/*/*.yaml; do
    out=docs/registers/$(basename "$(dirname "$map")")-$(basename "$map" .yaml).md
    "$bin" regs "$map" --format md > "$out"
done
ls docs/registers
