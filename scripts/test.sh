#!/usr/bin/env bash
# Installs what is missing, builds Conclave, and runs every test: in a normal build, again
# under AddressSanitizer + UndefinedBehaviorSanitizer, and the fuzzers for a bounded time.
# Long soaks are behind the `soak` label and only run with SOAK=1.
# SKIP_SANITIZE=1 / SKIP_FUZZ=1 leave those stages out (for quick local runs).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh

exclude=soak
[ "${SOAK:-0}" = 1 ] && exclude='^$'

results=$(mktemp)
stage_log=$(mktemp)
trap 'rm -f "$results" "$stage_log"' EXIT
# Runs ctest in a build dir, echoing its output and keeping its summary line for the total.
run_ctest() {
  local dir=$1
  shift
  (cd "$dir" && ctest "$@") 2>&1 | tee "$stage_log"
  grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$stage_log" >>"$results" || true
}

BUILD_DIR=build ./scripts/build.sh -DCMAKE_BUILD_TYPE=RelWithDebInfo
run_ctest build -j2 --output-on-failure -LE "$exclude"

if [ "${SKIP_SANITIZE:-0}" != 1 ]; then
  BUILD_DIR=build-asan ./scripts/build.sh -DCMAKE_BUILD_TYPE=Debug -DCONCLAVE_SANITIZE=ON
  # Label zookeeper: Apache ZooKeeper driven by Python or the C client -- no code of ours runs
  # in those, so a sanitizer build adds nothing (they run in the first stage).
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp" \
    run_ctest build-asan -j2 --output-on-failure -LE "$exclude|nosan|bench|zookeeper"
fi

# Fuzzers (libFuzzer needs clang): build them alone and run each for a bounded time.
if [ "${SKIP_FUZZ:-0}" != 1 ]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCONCLAVE_FUZZ=ON >/dev/null
  cmake --build build-fuzz -j "$(nproc)" --target conclave_fuzzers
  run_ctest build-fuzz --output-on-failure -L fuzz
fi

sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1 \2/' "$results" |
  awk '{ failed += $1; total += $2 } END { printf "all stages: %d passed, %d failed\n", total - failed, failed }'
