#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs the tests, then the same
# tests without LibTorch under the sanitizers (tools/sanitize.sh). No test skips itself, so a
# skipped test is a fixture whose SetUpTestSuite failed: GoogleTest then reports the suite's
# tests as skipped and ctest does not count them as failures. Here that fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
ctest --test-dir build --output-on-failure -j2 2>&1 | tee build/ctest.log
if grep -q "(Skipped)" build/ctest.log; then
  echo "test: tests were skipped; a skip here is a fixture that failed (see above)" >&2
  exit 1
fi
tools/sanitize.sh
