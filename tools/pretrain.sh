#!/usr/bin/env bash
# Trains the bundled policy across the bundled chip set (docs/gpu.md). Each call runs at most
# MINUTES and can be repeated: the run resumes where the last call stopped.
#   [SEED=S] tools/pretrain.sh RLPLACE OUT_DIR MINUTES [CONFIG [TRAIN_OPTION ...]]
# (e.g. --nproc-per-node 2 for one rank per GPU, docs/distributed.md)
set -euo pipefail
cd "$(dirname "$0")/.."
rlplace=$1 out=$2 minutes=$3 config=${4:-docs/data/pretrain_gpu.json}
args=(--netlist netlists/data/ariane133_ng45/netlist.pb.txt.gz --plc netlists/data/ariane133_ng45/legalized.plc)
for chip in ariane133_ng45 ariane133_sky130hd ariane136_asap7 ariane136_sky130hd; do
  args+=(--netlist netlists/data/clustered/$chip/netlist.pb.txt.gz --plc netlists/data/clustered/$chip/initial.plc)
done
args+=(--netlist netlists/data/ct_samples/macro_tiles_10x10/netlist.pb.txt --plc netlists/data/ct_samples/macro_tiles_10x10/initial.plc)
args+=(--netlist netlists/data/ct_samples/toy_macro_stdcell/netlist.pb.txt --plc netlists/data/ct_samples/toy_macro_stdcell/initial.plc)
# Held out: evaluated every iteration, never trained on. MemPool is a design family no
# training chip derives from; Ariane136 in NanGate45 is a sibling of the training chips.
for chip in ariane136_ng45 mempool_tile_ng45; do
  args+=(--eval-netlist netlists/data/clustered/$chip/netlist.pb.txt.gz --eval-plc netlists/data/clustered/$chip/initial.plc)
done
resume=()
[ -f "$out/state.json" ] && resume=(--resume)
"$rlplace" train "${args[@]}" --out "$out" --minutes "$minutes" --seed "${SEED:-1}" --config "$config" "${resume[@]}" --log-every 1 \
  "${@:5}"
