#!/usr/bin/env bash
# Scores candidate policies on the validation chips with the decode the `policy` placer ships
# (its beam, one thread: deterministic) and names the lowest mean. A candidate is a checkpoint
# file or a training run's folder, whose checkpoints are all taken (every EVERY-th, default 1,
# and always the last; `train --keep-every K` keeps a run's policies for this). The validation chips are generated here from fixed seeds no training
# set uses (docs/scaling.md): three `medium` chips and one `ariane-like`; the `mempool-like`
# preset is left out because it imitates a held-out family.
#   tools/select_policy.sh RLPLACE OUT_DIR CANDIDATE ...
# Writes OUT_DIR/scores.csv (checkpoint, chip, proxy) and prints each candidate's mean, then
# the best on the last line.
set -euo pipefail
cd "$(dirname "$0")/.."
rlplace=$1 out=$2
shift 2
[ $# -gt 0 ] || { echo "usage: tools/select_policy.sh RLPLACE OUT_DIR CHECKPOINT_OR_RUN_DIR ..." >&2; exit 2; }
every=${EVERY:-1}
mkdir -p "$out"
[ -d "$out/val/m" ] || "$rlplace" generate --out "$out/val/m" --count 3 --seed 8 --preset medium >/dev/null
[ -d "$out/val/a" ] || "$rlplace" generate --out "$out/val/a" --count 1 --seed 8 --preset ariane-like >/dev/null
candidates=()
for c in "$@"; do
  if [ -d "$c" ]; then
    mapfile -t ck < <(ls "$c"/checkpoints/policy-*.pt 2>/dev/null)
    [ ${#ck[@]} -gt 0 ] || { echo "$c: no checkpoints/policy-*.pt" >&2; exit 1; }
    for i in "${!ck[@]}"; do
      if (( i % every == 0 || i == ${#ck[@]} - 1 )); then candidates+=("${ck[$i]}"); fi
    done
  elif [ -f "$c" ]; then
    candidates+=("$c")
  else
    echo "$c: no such checkpoint or run folder" >&2
    exit 1
  fi
done
echo "checkpoint,chip,proxy" > "$out/scores.csv.tmp"
for p in "${candidates[@]}"; do
  for chip in "$out"/val/m/chip_* "$out"/val/a/chip_*; do
    cost=$("$rlplace" place --placer policy --threads 1 --policy "$p" --netlist "$chip/netlist.pb.txt.gz" \
             --plc "$chip/initial.plc" --out "$out/last.plc" | awk '/^proxy cost/{print $3}')
    [ -n "$cost" ] || { echo "$p: no proxy cost on $chip" >&2; exit 1; }
    echo "$p,$(basename "$(dirname "$chip")")/$(basename "$chip"),$cost" >> "$out/scores.csv.tmp"
  done
done
mv "$out/scores.csv.tmp" "$out/scores.csv"
rm -f "$out/last.plc"
awk -F, 'NR > 1 { s[$1] += $3; n[$1]++; if (!($1 in seen)) { seen[$1] = 1; order[++k] = $1 } }
  END { for (i = 1; i <= k; i++) { m = s[order[i]] / n[order[i]]; printf "%s mean %.6f\n", order[i], m;
          if (i == 1 || m < best) { best = m; arg = order[i] } }
        printf "best %s mean %.6f\n", arg, best }' "$out/scores.csv"
