#!/usr/bin/env bash
# One entry point for a fresh Debian 12: installs what is missing, builds, then runs the demo or
# every test. Used by the README's first two commands and by .ci/run.
#   scripts/dev.sh demo [vxbridge demo options]   build and start the demo
#   scripts/dev.sh test                           build and run the whole suite (normal, ASan/UBSan,
#                                                 and a short run of every fuzz target)
#   scripts/dev.sh deps                           only install the packages
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(g++ make cmake pkg-config libmodbus-dev libboost-dev libyaml-cpp-dev libspdlog-dev
          libfmt-dev libcli11-dev nlohmann-json3-dev libgtest-dev libgmock-dev python3 python3-pymodbus python3-serial
          python3-serial-asyncio mbpoll socat clang libclang-rt-14-dev ninja-build chromium)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_deps() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "installing: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

jobs() { nproc 2>/dev/null || echo 2; }

build() {  # build DIR [cmake args...]
    local dir=$1; shift
    cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
    cmake --build "$dir" -j"$(jobs)"
}

# The test trees favour compile time (2 cores, CI budget): the plain tree at -O0 without debug
# info; the sanitizer tree at -O0 too, with line tables (its reports name file and line; -O1
# took 10.3 min to build against 6.5, the Beast TU alone 119 s against 63, and the tests it
# excludes are the timing ones); the fuzz tree at -O1 (executions per second count there).
# Benchmarks build their own Release tree.
FAST=(-DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O0 -g0")
SANE=(-DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O0 -g1")
FUZZ=(-DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1")

cmd=${1:-}; shift || true
case "$cmd" in
    deps) install_deps ;;
    demo)
        install_deps
        build build-demo -DBUILD_TESTING=OFF
        exec build-demo/vxbridge demo "$@" ;;
    test)
        install_deps
        build build "${FAST[@]}"
        ctest --test-dir build --output-on-failure -j"$(jobs)"
        build build-asan "${SANE[@]}" -DVXBRIDGE_SANITIZE=ON
        # The fault matrix asserts recovery *times* (budgets of 2 x the back-off) and the ESS
        # loop tests settling times and its 5 s passthru: timings the sanitizers stretch, so they
        # run in the plain pass. Their code paths run under ASan in the hostile, vebus, xcom,
        # meter and web tests and the EssLoop unit tests.
        ctest --test-dir build-asan --output-on-failure -j"$(jobs)" -LE "faults|timing"
        # libFuzzer targets (clang), each run for a short while; findings fail the run.
        cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ "${FUZZ[@]}" \
              -DVXBRIDGE_FUZZ=ON -DVXBRIDGE_FUZZ_SECONDS="${VXBRIDGE_FUZZ_SECONDS:-15}" >/dev/null
        cmake --build build-fuzz -j"$(jobs)" --target fuzz_modbus fuzz_mbap fuzz_mk3 fuzz_scom fuzz_loaders fuzz_state fuzz_rtu fuzz_web
        ctest --test-dir build-fuzz --output-on-failure -j"$(jobs)" ;;
    *) echo "usage: scripts/dev.sh demo|test|deps" >&2; exit 2 ;;
esac
