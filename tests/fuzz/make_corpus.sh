#!/usr/bin/env bash
# Writes the fuzzers' seed corpus under OUT/<target>/ from the bundled chips (nothing of it
# is committed): the small Circuit Training samples as text, gzip and binary netlists, their
# .plc files and Ariane133's, a training configuration, cost parameter files, a training
# state and the bundled policy checkpoint.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?usage: make_corpus.sh OUTDIR}
for t in netlist_text netlist_gzip netlist_binary plc train_config cost_config state_json checkpoint; do
  mkdir -p "$out/$t"
done

for d in netlists/data/ct_samples/*/; do
  name=$(basename "$d")
  [ "$(stat -c %s "$d/netlist.pb.txt")" -le 65536 ] || continue  # the fuzzers cap inputs
  cp "$d/netlist.pb.txt" "$out/netlist_text/$name.pb.txt"
  gzip -n -9 -c "$d/netlist.pb.txt" > "$out/netlist_gzip/$name.pb.txt.gz"
  protoc -I netlists --encode=rlplace.pb.GraphDef netlists/rlplace_graph.proto \
    < "$d/netlist.pb.txt" > "$out/netlist_binary/$name.pb"
  cp "$d/initial.plc" "$out/plc/$name.plc"
done
# The header of a real clustered netlist (canvas, blockages) and its first nodes.
(zcat netlists/data/ariane133_ng45/netlist.pb.txt.gz || true) | head -c 16384 > "$out/netlist_text/ariane133_head.pb.txt"
for f in netlists/data/ariane133_ng45/*.plc tests/data/ariane_perturbed_1.plc; do
  cp "$f" "$out/plc/ariane133_$(basename "$f")"
done

train_config='{"ppo": {"clip": 0.2, "entropy_coef": 0.01, "value_coef": 0.5, "discount": 1.0,
 "learning_rate": 0.0003, "lr_schedule": "cosine", "cosine_alpha": 0.1, "schedule_iterations": 100,
 "adam_eps": 1e-05, "grad_clip": 1.0, "epochs": 4, "minibatch": 128, "adaptive_kl": true,
 "kl_beta": 1.0, "kl_target": 0.01, "kl_tolerance": 0.3, "kl_cutoff_factor": 2.0, "kl_cutoff_coef": 1000,
 "normalization": "per_netlist", "reward_stats_decay": 0.9},
 "gnn": {"node_dim": 8, "layers": 3, "grid": 128, "policy_channels": 32, "value_hidden": [32, 8]},
 "episodes_per_iteration": 16, "reward_wirelength_weight": 1.0, "reward_density_weight": 1.0,
 "reward_congestion_weight": 0.5, "infeasible_reward": -4.0, "macro_spacing": 0, "run_fd": true,
 "envs_per_worker": 1, "learner_threads": 0, "device": "cpu", "eval_every": 1}'
echo "$train_config" > "$out/train_config/full.json"
echo '{"ppo": {"epochs": 2, "normalization": "minibatch"}, "gnn": {"grid": 64}}' > "$out/train_config/partial.json"
echo '{}' > "$out/train_config/empty.json"

echo '{"width": 356.592, "height": 356.88, "cols": 35, "rows": 33, "h_routes_per_micron": 70.33,
 "v_routes_per_micron": 74.51, "h_macro_alloc": 51.79, "v_macro_alloc": 51.79, "smoothing": 2,
 "overlap_threshold": 0.004, "wirelength_weight": 1, "density_weight": 0.5, "congestion_weight": 0.5}' \
  > "$out/cost_config/full.json"
echo '{"cols": 10, "rows": 12}' > "$out/cost_config/grid.json"

cat > "$out/state_json/state.json" <<JSON
{"format": "rlplace-train-state", "version": 1, "iteration": 3, "seed": 1,
 "config": $train_config,
 "train": [{"netlist": "/x/netlist.pb.txt", "plc": "/x/initial.plc"}], "eval": [],
 "learner": {"version": 12, "kl_beta": 1.0, "reward_stats": {"a": {"mean": -1.5, "second": 2.5, "episodes": 48}}},
 "checkpoint": "checkpoints/policy-000003.pt", "optimizer": "checkpoints/optimizer-000003.pt",
 "elapsed_seconds": 12.5, "best": {"a": {"proxy": 0.8, "iteration": 2}},
 "columns": ["iteration", "policy_loss"], "history": [[1, 0.5], [2, null], [3, 0.25]]}
JSON

cp netlists/data/policies/pretrained.pt "$out/checkpoint/pretrained.pt"
