#!/usr/bin/env bash
# The ARM build, tested on x86: cross-compiles build-aarch64/ (cmake/aarch64-linux-gnu.cmake) and runs the
# tests under qemu-aarch64 on two emulated cores, so every kernel is compared with the scalar one on both
# NEON paths the run-time probe can pick:
#   cortex-a76: ARMv8.2 with dotprod, the probe must pick "dotprod";
#   cortex-a53: plain ARMv8 NEON, the probe must pick "neon".
# Emulation runs 10-15x slower than native: about 9 minutes per core on two host cores. Left out: the
# [perplexity] cases, Gemma 3 270M over all of GPL-3 (~20 minutes per core under qemu); the model's other
# cases run.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-aarch64}
JOBS=${JOBS:-$(nproc)}
EMU=(qemu-aarch64 -L /usr/aarch64-linux-gnu)  # as the toolchain's CMAKE_CROSSCOMPILING_EMULATOR

[ -f "$BUILD/CMakeCache.txt" ] ||
    cmake -S . -B "$BUILD" -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake -DCMAKE_BUILD_TYPE=Release
cmake --build "$BUILD" -j "$JOBS"

status=0
for run in cortex-a76:dotprod cortex-a53:neon; do
    # QEMU_CPU reaches the programs the tests spawn too; test_simd's [probe] case checks the level.
    export QEMU_CPU=${run%%:*} GIRAFFE_EXPECT_SIMD=${run##*:}
    echo "== aarch64 on $QEMU_CPU: SIMD level $GIRAFFE_EXPECT_SIMD expected"
    (cd "$BUILD/tests" && "${EMU[@]}" ./test_simd '[probe]' --reporter compact --success) || status=1
    # test_src apart: ctest cannot hand it the Catch2 filter.
    (cd "$BUILD" && ctest --output-on-failure -j "$JOBS" -E '^test_src$') || status=1
    (cd "$BUILD/tests" && "${EMU[@]}" ./test_src '~[perplexity]') || status=1
    echo "== aarch64 on $QEMU_CPU done, ${SECONDS}s since the start"
done
exit $status
