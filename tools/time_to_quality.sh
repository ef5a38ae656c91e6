#!/usr/bin/env bash
# Time to quality, side by side on one machine: for each budget and seed, on every chip at once,
# rlplace's `sa`, rlplace's learned pipeline (`rl`), and TILOS's C++ annealer (THREADS single-core
# seeds, best kept), each given THREADS cores; every result scored by `rlplace eval`. This is how
# docs/quality.md's comparison of the learned pipeline with search was run (16-core GPU machine,
# two chips, THREADS=2: 12 cores busy).
#   tools/time_to_quality.sh BUILD TILOS_SRC OUT "BUDGETS" "SEEDS" THREADS POLICY DEVICE CHIP_DIR...
# BUILD: a build directory with rlplace and rlplace-torch. TILOS_SRC: a folder holding the
# CMakeLists.txt and src/ of TILOS-AI-Institute/MacroPlacement's CodeElements/SimulatedAnnealing, or
# "none". POLICY: checkpoint or training directory for `rl` ("bundled": the bundled one).
# CHIP_DIR: a folder with netlist.pb.txt[.gz] and legalized.plc or initial.plc (the first found).
# Writes OUT/ttq.csv: chip,method,budget,seed,proxy,legal.
set -euo pipefail
# The body is one block, read whole before it runs: bash reads a script as it goes, and an edit
# to this file during a run of minutes or hours would otherwise change the running job.
{
cd "$(dirname "$0")/.."
build=$1 tilos=$2 out=$3 budgets=$4 seeds=$5 threads=$6 policy=$7 device=$8
shift 8
mkdir -p "$out"
policy_args=()
[[ $policy == bundled ]] || policy_args=(--policy "$policy")
sa_bin=""
if [[ $tilos != none ]]; then
  mkdir -p "$out/tilos"
  cp -r "$tilos/CMakeLists.txt" "$tilos/src" "$out/tilos/"
  cmake -S "$out/tilos" -B "$out/tilos/b" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$out/tilos/b" -j"$(nproc)" >/dev/null
  sa_bin=$out/tilos/b/sa
fi
declare -A NL PLC CAL
for dir in "$@"; do
  c=$(basename "$dir")
  NL[$c]=$(ls "$dir"/netlist.pb.txt* | head -n 1)
  PLC[$c]=$dir/legalized.plc; [[ -f ${PLC[$c]} ]] || PLC[$c]=$dir/initial.plc
  if [[ -n $sa_bin ]]; then
    # TILOS takes a plain netlist and an iteration count: 10 iterations timed once per chip.
    case ${NL[$c]} in *.gz) zcat "${NL[$c]}" >"$out/$c.pb.txt" ;; *) cp "${NL[$c]}" "$out/$c.pb.txt" ;; esac
    mkdir -p "$out/cal_$c"; s0=$SECONDS
    if "$sa_bin" "$out/$c.pb.txt" "${PLC[$c]}" 2 5e-5 10 1 1 0.2 0.2 0.2 0.2 0.2 cal "$out/cal_$c" >"$out/cal_$c/log" 2>&1; then
      CAL[$c]=$(( SECONDS - s0 > 0 ? SECONDS - s0 : 1 ))
    else
      echo "TILOS cannot read $c (see $out/cal_$c/log): left out for it" >&2
      CAL[$c]=0
    fi
  fi
done
csv=$out/ttq.csv
[[ -f $csv ]] || echo "chip,method,budget,seed,proxy,legal" >"$csv"
proxy_of() { python3 -c 'import json,sys; d=json.loads(sys.stdin.read().splitlines()[-1]); print(d["proxy_cost"], int(d["legal"]), sep=",")'; }
for budget in $budgets; do
  for seed in $seeds; do
    pids=()
    for c in "${!NL[@]}"; do
      d=$out/$c/$budget/$seed; mkdir -p "$d"
      "$build/rlplace" place --placer sa --threads "$threads" --seconds "$budget" --seed "$seed" --netlist "${NL[$c]}" \
        --plc "${PLC[$c]}" --out "$d/sa.plc" --json >"$d/sa.json" 2>&1 & pids+=($!)
      "$build/rlplace-torch" place --placer rl "${policy_args[@]}" --device "$device" --threads "$threads" --seconds "$budget" \
        --seed "$seed" --netlist "${NL[$c]}" --plc "${PLC[$c]}" --out "$d/rl.plc" --json >"$d/rl.json" 2>&1 & pids+=($!)
      if [[ -n $sa_bin ]] && (( CAL[$c] > 0 )); then
        iters=$(( 10 * budget / CAL[$c] )); (( iters >= 10 )) || iters=10
        for t in $(seq 1 "$threads"); do
          mkdir -p "$d/tilos$t"
          "$sa_bin" "$out/$c.pb.txt" "${PLC[$c]}" 2 5e-5 "$iters" $(( (seed - 1) * threads + t )) 1 0.2 0.2 0.2 0.2 0.2 chip \
            "$d/tilos$t" >"$d/tilos$t/log" 2>&1 & pids+=($!)
        done
      fi
    done
    wait "${pids[@]}"
    for c in "${!NL[@]}"; do
      d=$out/$c/$budget/$seed
      for m in sa rl; do echo "$c,$m,$budget,$seed,$(proxy_of <"$d/$m.json")" >>"$csv"; done
      for t in $(seq 1 "$threads"); do
        f=$d/tilos$t/chip.plc.final
        [[ -f $f ]] && echo "$c,tilos,$budget,$seed,$("$build/rlplace" eval --netlist "${NL[$c]}" --plc "$f" --json | proxy_of)" >>"$csv"
      done
    done
  done
done
cat "$csv"
exit
}
