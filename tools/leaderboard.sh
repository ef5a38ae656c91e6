#!/usr/bin/env bash
# The quality leaderboard of docs/quality.md on every bundled chip: `bench quality` for each
# chip in its own process (one thread each, so that the chips run side by side on a machine
# of many cores), every registered placer alone and with each refiner, at one budget.
#   tools/leaderboard.sh RLPLACE SECONDS OUTDIR [SEEDS]
# RLPLACE: the binary whose registry to use (rlplace-torch includes the rl placer).
# Writes OUTDIR/CHIP/quality.{md,csv,json} and OUTDIR/leaderboard.md, every chip's table.
set -euo pipefail
# The body is one block, read whole before it runs: bash reads a script as it goes, and an edit
# to this file during a run of minutes or hours would otherwise change the running job.
{
cd "$(dirname "$0")/.."
bin=$1 seconds=$2 out=$3 seeds=${4:-1}
mkdir -p "$out"
chips=(data/ariane133_ng45/legalized.plc)
for d in netlists/data/clustered/*/ netlists/data/ct_samples/*/; do
  d=${d#netlists/}
  chips+=("${d}initial.plc")
done
pids=()
for c in "${chips[@]}"; do
  dir=netlists/$(dirname "$c")
  nl=$(ls "$dir"/netlist.pb.txt* | head -n 1)
  label=$(dirname "${c#data/}" | tr / _)
  "$bin" bench quality --netlist "$nl" --plc "netlists/$c" --seconds "$seconds" --threads 1 --seeds "$seeds" \
    --out "$out/$label" >"$out/$label.log" 2>&1 &
  pids+=($!)
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
{
  echo "# Leaderboard: every bundled chip, ${seconds} s a run, one thread, seeds ${seeds}"
  for c in "${chips[@]}"; do
    label=$(dirname "${c#data/}" | tr / _)
    echo
    echo "## $label"
    if [[ -f $out/$label/quality.md ]]; then sed -n '/^|/p' "$out/$label/quality.md"; else echo "(failed: see $label.log)"; tail -n 3 "$out/$label.log"; fi
  done
} >"$out/leaderboard.md"
exit $status
}
