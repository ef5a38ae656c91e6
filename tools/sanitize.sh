#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer build of the libraries, the command and the
# tests that do not need LibTorch, in build-asan/, then runs those tests with ctest (CI runs
# this after the normal tests, .ci/run). Any sanitizer report fails its test: the build
# stops at the first error (-fno-sanitize-recover=all).
#
# Which tests, and why: see docs/reliability.md. Every non-LibTorch suite runs except the
# cases that read or cluster the flat Ariane133 netlist (hundreds of thousands of cells),
# which take minutes each under ASan and exercise no reader or writer the others miss.
# RLPLACE_SANITIZE_EXCLUDE (a ctest regex; empty runs everything) overrides.
set -euo pipefail
cd "$(dirname "$0")/.."

flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
cmake -S . -B build-asan -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
  -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DRLPLACE_WITH_TORCH=OFF -DRLPLACE_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build-asan

# detect_leaks: the tests run the command as a child; a leak there is a finding too.
# halt_on_error with the no-recover flags makes any report a failing exit status.
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/lsan.supp:print_suppressions=0"
exclude="${RLPLACE_SANITIZE_EXCLUDE-^(ClusterAriane\.|Grid\.ReproducesTheTilosGridOfFlatAriane)}"
args=(--test-dir build-asan --output-on-failure -j2 --timeout 600)
[ -n "$exclude" ] && args+=(-E "$exclude")
# A fatal failure in a fixture's SetUpTestSuite (a command that failed under the sanitizers)
# makes GoogleTest report its tests as skipped, which ctest does not count as failures.
ctest "${args[@]}" 2>&1 | tee build-asan/ctest.log
if grep -q "(Skipped)" build-asan/ctest.log; then
  echo "sanitize: tests were skipped; a skip here is a fixture that failed (see above)" >&2
  exit 1
fi
