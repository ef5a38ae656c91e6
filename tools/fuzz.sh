#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang in build-fuzz/ and runs each for
# MINUTES minutes (default 10), one after another, or FUZZ_JOBS at a time. Seeds come from
# the bundled chips (tests/fuzz/make_corpus.sh); what a run adds stays in
# build-fuzz/corpus/TARGET/. A crash, an escaping exception, a hang (> 30 s on one input),
# an out-of-memory (> 2 GB) or a sanitizer report is a finding: its input is saved in
# build-fuzz/findings/TARGET/ and the script exits with status 1.
#
#   tools/fuzz.sh [MINUTES] [TARGET ...]     e.g. tools/fuzz.sh 1 fuzz_plc
#   FUZZ_JOBS=2 FUZZ_TORCH=OFF tools/fuzz.sh 10
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-10}
shift || true

# clang, its libFuzzer and sanitizer runtimes, and OpenMP for clang (the rest as setup.sh).
packages=(clang libclang-rt-14-dev libomp-dev cmake ninja-build protobuf-compiler libprotobuf-dev zlib1g-dev
          libfmt-dev libcli11-dev nlohmann-json3-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The checkpoint target needs LibTorch; on by default when Debian's is installed.
torch=${FUZZ_TORCH:-}
if [ -z "$torch" ]; then
  torch=OFF
  dpkg-query -W -f='${Status}' libtorch-dev 2>/dev/null | grep -q "install ok installed" && torch=ON
fi
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DRLPLACE_BUILD_FUZZERS=ON \
  -DRLPLACE_BUILD_TESTS=OFF -DRLPLACE_BUILD_BENCHMARKS=OFF -DRLPLACE_WITH_CAIRO=OFF -DRLPLACE_WITH_METIS=OFF \
  -DRLPLACE_WITH_TORCH="$torch" >/dev/null

targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(fuzz_netlist_text fuzz_netlist_gzip fuzz_netlist_binary fuzz_plc fuzz_train_config fuzz_cost_config
           fuzz_state_json)
  [ "$torch" = ON ] && targets+=(fuzz_checkpoint)
fi
cmake --build build-fuzz --target "${targets[@]}"

rm -rf build-fuzz/seeds
tests/fuzz/make_corpus.sh build-fuzz/seeds

# The largest input each target is given: the seeds fit, and a gzip bomb stays under 2 GB.
max_len() {
  case $1 in
    fuzz_netlist_text) echo 32768 ;;
    fuzz_netlist_gzip|fuzz_netlist_binary) echo 16384 ;;
    fuzz_plc) echo 16384 ;;
    fuzz_checkpoint) echo 400000 ;;
    *) echo 8192 ;;
  esac
}

run_one() {
  local t=$1 seeds=build-fuzz/seeds/${1#fuzz_}
  mkdir -p "build-fuzz/corpus/$t" "build-fuzz/findings/$t" build-fuzz/logs
  local rc=0 dict=()
  case $t in fuzz_train_config|fuzz_cost_config|fuzz_state_json) dict=(-dict=tests/fuzz/json.dict) ;; esac
  # ASan's leak check is off: libFuzzer stops a run at the first leak, and the readers
  # are checked for leaks by the sanitizer build's tests (tools/sanitize.sh).
  ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "build-fuzz/fuzz/$t" -max_total_time=$((minutes * 60)) -timeout=30 -rss_limit_mb=2048 \
    -max_len="$(max_len "$t")" "${dict[@]}" -print_final_stats=1 -artifact_prefix="build-fuzz/findings/$t/" \
    "build-fuzz/corpus/$t" "$seeds" > "build-fuzz/logs/$t.log" 2>&1 || rc=$?
  local execs cov
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "build-fuzz/logs/$t.log" | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "build-fuzz/logs/$t.log" | tail -1 || true)
  if [ "$rc" -eq 0 ]; then
    echo "$t: ${minutes} min, ${execs} inputs, ${cov:-cov: ?}, corpus $(ls "build-fuzz/corpus/$t" | wc -l) files: nothing found"
  else
    echo "$t: FINDING (exit $rc) after ${execs} inputs; input in build-fuzz/findings/$t/, log build-fuzz/logs/$t.log:"
    grep -m3 -E 'ERROR: |runtime error|terminate called|what\(\)' "build-fuzz/logs/$t.log" | sed 's/^/    /' || true
  fi
  return "$rc"
}

jobs=${FUZZ_JOBS:-1}
failed=0
pids=()
for t in "${targets[@]}"; do
  run_one "$t" &
  pids+=($!)
  if ((${#pids[@]} >= jobs)); then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || failed=1; done
if ((failed)); then
  echo "fuzz: findings above"
  exit 1
fi
echo "fuzz: nothing found in ${#targets[@]} targets x ${minutes} min"
