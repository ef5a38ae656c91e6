#!/usr/bin/env bash
# The scaling study of docs/scaling.md: does a policy pretrained on more chips, or for longer,
# place chips of families it never saw better?
#
#   tools/scaling_study.sh BUILD CORPUS OUT "NS" "SEEDS" MINUTES JOBS DEVICE HELD_DIR...
#
# BUILD: a build directory with rlplace and rlplace-torch. CORPUS: a folder of chip folders
# (`rlplace generate`'s output; its chips are taken in name order, so N chips are always the
# same first N). NS: training-set sizes, e.g. "1 2 4 8 16". SEEDS: e.g. "1 2 3". MINUTES:
# pretraining wall-clock per run (every run gets the same, whatever its N). JOBS: runs at once,
# each with THREADS (env, default 1) collector threads and as many learner threads. DEVICE:
# cpu or cuda. HELD_DIR: held-out chips (a folder with netlist.pb.txt[.gz] and initial.plc or
# legalized.plc), evaluated greedily after every iteration of every run (or every
# `eval_every`-th, where BASE_CONFIG says so) and never trained on.
#
# Environment: BASE_CONFIG, a training configuration (JSON, docs/training.md) every run starts
# from (study 2 of docs/scaling.md: docs/data/scaling_study2.json); TOTAL_EPISODES (default 64)
# episodes per iteration over all training chips, so an iteration costs about the same whatever
# N; EPISODES_PER_CHIP, instead, that many episodes per iteration for each training chip, so an
# iteration's compute grows with N (study 3); ITERATIONS, a number of iterations every run stops
# at (MINUTES still caps it); WORKERS, collector threads for some N, e.g. "16:4 4:2" (other N get
# THREADS); SA_SECONDS (60) the `sa` budget the fine-tuning phase races against; FT_MINUTES (0: no
# fine-tuning phase) fine-tuning per held-out chip from the policies of N = FT_NS (default: the
# smallest and largest N), and from scratch.
#
# Writes OUT/baselines.csv (chip,method,proxy: greedy and sa), OUT/pre_N<N>_s<seed>/ (runs
# and their metrics.csv), OUT/ft_<from>_s<seed>_<chip>/ and finally OUT/scaling.md, the tables
# and fits of tools/fit_scaling.py.
set -euo pipefail
# The body is one block, read whole before it runs: bash reads a script as it goes, and an edit
# to this file during a run of minutes or hours would otherwise change the running job.
{
cd "$(dirname "$0")/.."
build=$1 corpus=$2 out=$3 ns=$4 seeds=$5 minutes=$6 jobs=$7 device=$8
shift 8
threads=${THREADS:-1} total=${TOTAL_EPISODES:-64} sa_seconds=${SA_SECONDS:-60} ft=${FT_MINUTES:-0}
mkdir -p "$out"
out=$(cd "$out" && pwd)

chips=()
for d in "$corpus"/*/; do chips+=("${d%/}"); done  # glob order: sorted by name
max_n=0
for n in $ns; do (( n > max_n )) && max_n=$n; done
(( ${#chips[@]} >= max_n )) || { echo "scaling_study: $corpus has ${#chips[@]} chips, fewer than N=$max_n" >&2; exit 1; }
netlist_of() { ls "$1"/netlist.pb.txt* | head -n 1; }
plc_of() { if [[ -f $1/legalized.plc ]]; then echo "$1/legalized.plc"; else echo "$1/initial.plc"; fi; }

held_args=()
for h in "$@"; do held_args+=(--eval-netlist "$(netlist_of "$h")" --eval-plc "$(plc_of "$h")"); done
[[ -z ${BASE_CONFIG:-} || -f $BASE_CONFIG ]] || { echo "scaling_study: BASE_CONFIG $BASE_CONFIG: no such file" >&2; exit 2; }
python3 - "${BASE_CONFIG:-}" "$device" "$threads" >"$out/config.json" <<'PY'
import json, sys
base, device, threads = sys.argv[1:]
config = json.load(open(base)) if base else {}
config.update({"device": device, "learner_threads": int(threads)})
print(json.dumps(config))
PY

# Every command of a phase goes into one list; xargs runs JOBS of them at a time.
run_list() { xargs -P "$jobs" -I{} bash -c '{}' <"$1"; }

# Baselines on the held-out chips: the greedy placer and `sa` for SA_SECONDS on one core.
if [[ ! -f $out/baselines.csv ]]; then
  : >"$out/baselines.list"
  for h in "$@"; do
    c=$(basename "$h")
    for m in greedy sa; do
      echo "$build/rlplace place --placer $m --threads 1 --seconds $sa_seconds --seed 1 --netlist $(netlist_of "$h")" \
        "--plc $(plc_of "$h") --out $out/base_${c}_$m.plc --json > $out/base_${c}_$m.json 2>&1" >>"$out/baselines.list"
    done
  done
  run_list "$out/baselines.list"
  { echo "chip,method,proxy"
    for h in "$@"; do
      c=$(basename "$h")
      for m in greedy sa; do
        echo "$c,$m,$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])["proxy_cost"])' \
          "$out/base_${c}_$m.json")"
      done
    done; } >"$out/baselines.csv.tmp"
  mv "$out/baselines.csv.tmp" "$out/baselines.csv"
fi

# Pretraining: N chips for MINUTES (or ITERATIONS), TOTAL_EPISODES per iteration shared by the N
# chips or EPISODES_PER_CHIP each.
: >"$out/pretrain.list"
for n in $ns; do
  per=${EPISODES_PER_CHIP:-$(( total / n ))}; (( per >= 1 )) || per=1
  workers=$threads
  for w in ${WORKERS:-}; do [[ ${w%%:*} == "$n" ]] && workers=${w#*:}; done
  budget="--minutes $minutes"; [[ -n ${ITERATIONS:-} ]] && budget+=" --iterations $ITERATIONS"
  train_args=()
  for ((i = 0; i < n; ++i)); do train_args+=(--netlist "$(netlist_of "${chips[i]}")" --plc "$(plc_of "${chips[i]}")"); done
  for seed in $seeds; do
    d=$out/pre_N${n}_s$seed
    [[ -f $d/done ]] && continue
    resume=""; [[ -f $d/state.json ]] && resume=--resume
    echo "$build/rlplace-torch train ${train_args[*]} ${held_args[*]} --out $d $budget --seed $seed" \
      "--episodes-per-iteration $per --workers $workers --config $out/config.json --quiet $resume > $d.log 2>&1" \
      "&& touch $d/done" >>"$out/pretrain.list"
  done
done
run_list "$out/pretrain.list"

# Fine-tuning on each held-out chip alone, from the pretrained policies and from scratch.
if [[ $ft != 0 ]]; then
  ft_ns=${FT_NS:-"$(echo $ns | tr ' ' '\n' | sort -n | head -n 1) $max_n"}
  : >"$out/finetune.list"
  for seed in $seeds; do
    for h in "$@"; do
      c=$(basename "$h")
      for from in scratch $ft_ns; do
        d=$out/ft_${from}_s${seed}_$c
        [[ -f $d/done ]] && continue
        init=""; [[ $from == scratch ]] || init="--init $out/pre_N${from}_s$seed"
        echo "$build/rlplace-torch train --netlist $(netlist_of "$h") --plc $(plc_of "$h") --out $d --minutes $ft" \
          "--seed $seed --workers $threads --config $out/config.json --quiet $init > $d.log 2>&1 && touch $d/done" \
          >>"$out/finetune.list"
      done
    done
  done
  run_list "$out/finetune.list"
fi

python3 tools/fit_scaling.py "$out" "${ITERATIONS:-$minutes}" ${ITERATIONS:+--iterations} >"$out/scaling.md"
cat "$out/scaling.md"
exit
}
