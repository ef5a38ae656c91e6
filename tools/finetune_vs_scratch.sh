#!/usr/bin/env bash
# Fine-tuning the bundled policy against training from scratch (docs/scaling.md): for every
# seed and chip, one run from the bundled policy (ft_CHIP_sSEED) and one from new weights
# (sc_CHIP_sSEED), all at once, each with WORKERS collector threads, for MINUTES. Repeat the
# call to go on: runs with a state.json resume.
#   [DEVICE=cpu] tools/finetune_vs_scratch.sh RLPLACE OUT_DIR MINUTES "SEEDS" WORKERS CHIP_DIR ...
# (CHIP_DIR holds netlist.pb.txt.gz and initial.plc, as netlists/data/clustered/* do.)
# To carry the runs from one device call to the next within a 16 MiB-per-file return limit,
# archive them in parts and join them again (docs/gpu.md):
#   tar czf - OUT_DIR | split -b 15m - "$OUT/runs.tgz.part-"      (then, next call)
#   cat CARRIED/runs.tgz.part-* | tar xzf -
set -euo pipefail
# The body is one block, read whole before it runs: bash reads a script as it goes, and an edit
# to this file during a run of minutes or hours would otherwise change the running job.
{
cd "$(dirname "$0")/.."
rlplace=$1 out=$2 minutes=$3 seeds=$4 workers=$5
shift 5
[ $# -gt 0 ] || { echo "finetune_vs_scratch: no chip folder given" >&2; exit 2; }
mkdir -p "$out"
pids=()
for seed in $seeds; do
  for chip in "$@"; do
    name=$(basename "$chip")
    for kind in ft sc; do
      run=$out/${kind}_${name}_s$seed
      args=(--netlist "$chip/netlist.pb.txt.gz" --plc "$chip/initial.plc" --minutes "$minutes" --seed "$seed"
            --workers "$workers" --out "$run" --log-every 1)
      if [ -f "$run/state.json" ]; then
        args+=(--resume)  # the run keeps its own configuration and weights
      else
        args+=(--config docs/data/pretrain_gpu.json)
        [ "$kind" = ft ] && args+=(--init netlists/data/policies/pretrained.pt)
        [ -n "${DEVICE:-}" ] && args+=(--device "$DEVICE")
      fi
      "$rlplace" train "${args[@]}" >> "$run.log" 2>&1 &
      pids+=($!)
    done
  done
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
[ $status = 0 ] || echo "finetune_vs_scratch: a run failed; see $out/*.log" >&2
exit $status
}
