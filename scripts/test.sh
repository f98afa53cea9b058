#!/usr/bin/env bash
# Installs what is missing, builds Conclave, and runs every test: once in a normal build and
# once under AddressSanitizer + UndefinedBehaviorSanitizer. Long soaks are behind the
# `soak` label and only run with SOAK=1.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh

exclude=soak
[ "${SOAK:-0}" = 1 ] && exclude='^$'

BUILD_DIR=build ./scripts/build.sh -DCMAKE_BUILD_TYPE=RelWithDebInfo
(cd build && ctest -j2 --output-on-failure -LE "$exclude")

if [ "${SKIP_SANITIZE:-0}" != 1 ]; then
  BUILD_DIR=build-asan ./scripts/build.sh -DCMAKE_BUILD_TYPE=Debug -DCONCLAVE_SANITIZE=ON
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest -j2 --output-on-failure -LE "$exclude|nosan")
fi

# Fuzzers (libFuzzer needs clang): build them alone and run each for a bounded time.
if [ "${SKIP_FUZZ:-0}" != 1 ]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCONCLAVE_FUZZ=ON >/dev/null
  cmake --build build-fuzz -j "$(nproc)" --target conclave_fuzzers
  (cd build-fuzz && ctest --output-on-failure -L fuzz)
fi
