#!/usr/bin/env bash
# PTB-XL superdiagnostic, folds 1-8 train / 9 val, EfficientECG-w0.25 started from the bundled CinC 2017 model
# (--init cinc2017-w0.25: 1 lead -> 12 leads through the mean-preserving stem, fresh 5-class head), with exactly
# the recipe of the scratch runs (scripts/experiments/ptbxl-baselines.sh, MODELS=efficientecg-w0.25), seeds 0-2,
# one after the other. Each run writes OUT/ptbxl-w0.25-cincinit[-lrLR][-fusion]-sSEED/ and its console output
# beside it; the best validation macro AUROC of each run is printed when it ends.
# Usage: bash scripts/experiments/ptbxl-pretrained.sh DATA_DIR [OUT_DIR=runs]
#   LR=1e-3 (peak learning rate, default the scratch 3e-3), FUSION=1 (EfficientECG-Fusion w0.25, age and sex),
#   SHORTCUT=1 (with FUSION=1: --fusion-shortcut, the plain classifier plus a fused correction; docs/fusion.md),
#   TOKEN_DROPOUT=0.5 (with FUSION=1: --fusion-token-dropout),
#   EPOCHS=12 (longer schedules: name suffix -eEPOCHS, patience = EPOCHS),
#   SEEDS="0 1 2", INIT=cinc2017-w0.25 (any bundled name or .safetensors path).
# Compare: REFERENCE=efficientecg-w0.25 bash scripts/experiments/ptbxl-baselines.sh --summary OUT_DIR
set -euo pipefail
cd "$(dirname "$0")/../.."

data=${1:?usage: ptbxl-pretrained.sh PTBXL_DIR [OUT_DIR]}
out=${2:-runs}
seeds=${SEEDS:-0 1 2}
lr=${LR:-3e-3}
init=${INIT:-cinc2017-w0.25}
epochs=${EPOCHS:-12}
name=w0.25-cincinit
[ "$lr" = 3e-3 ] || name="$name-lr$lr"
[ "$epochs" = 12 ] || name="$name-e$epochs"
extra=()
if [ -n "${FUSION:-}" ]; then
  name="$name-fusion"
  extra=(--fusion)
  # Both explicit, so each arm reproduces whatever the train defaults become.
  if [ -n "${SHORTCUT:-}" ]; then
    name="$name-shortcut"
    extra+=(--fusion-shortcut)
  else
    extra+=(--no-fusion-shortcut)
  fi
  if [ -n "${TOKEN_DROPOUT:-}" ]; then
    name="$name-tokdrop$TOKEN_DROPOUT"
    extra+=(--fusion-token-dropout "$TOKEN_DROPOUT")
  else
    extra+=(--fusion-token-dropout 0)
  fi
fi
mkdir -p "$out"

best_auroc() {
  node -e 'const l=require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n").map(JSON.parse).filter(x=>x.type==="epoch"&&x.validation);console.log(process.argv[2],Math.max(...l.map(x=>x.validation.macro_auroc)).toFixed(3),"after",l.length,"epochs")' \
    "$1/log.jsonl" "$2"
}

for seed in $seeds; do
  run="$out/ptbxl-$name-s$seed"
  # The source CLI (not dist/), as the scratch runs, so both use the engine the repository holds now.
  npx tsx src/cli/index.ts train --dataset ptbxl --data "$data" --model efficientecg-w0.25 "${extra[@]}" \
    --init "$init" --out "$run" --force --fs 100 --window 10 --batch-size 32 --epochs "$epochs" --lr "$lr" \
    --patience "$epochs" --threads 1 --workers 1 --seed "$seed" >"$run.stdout" 2>"$run.stderr"
  best_auroc "$run" "$name seed $seed"
done
