#!/usr/bin/env bash
# The same multi-netlist training twice, Circuit Training's minibatch normalisation against
# rlplace's per-netlist one (docs/training.md).  tools/normalization_ab.sh RLPLACE OUT ITERATIONS
set -euo pipefail
cd "$(dirname "$0")/.."
rlplace=$1 out=$2 iterations=$3
args=(--netlist netlists/data/ariane133_ng45/netlist.pb.txt.gz --plc netlists/data/ariane133_ng45/legalized.plc)
args+=(--netlist netlists/data/clustered/ariane136_asap7/netlist.pb.txt.gz --plc netlists/data/clustered/ariane136_asap7/initial.plc)
args+=(--netlist netlists/data/clustered/mempool_tile_ng45/netlist.pb.txt.gz --plc netlists/data/clustered/mempool_tile_ng45/initial.plc)
args+=(--netlist netlists/data/ct_samples/macro_tiles_10x10/netlist.pb.txt --plc netlists/data/ct_samples/macro_tiles_10x10/initial.plc)
for mode in minibatch per_netlist; do
  "$rlplace" train "${args[@]}" --out "$out/$mode" --iterations "$iterations" --seed 1 \
    --config docs/data/ab_$mode.json --log-every 100 | tail -5
done
