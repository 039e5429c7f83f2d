#!/usr/bin/env bash
# PTB-XL superdiagnostic, folds 1-8 train / 9 val: the PTB-XL benchmark baselines resnet1d_wang and xresnet1d101
# with the recipe of scripts/experiments/ptbxl-fusion.sh (EfficientECG-w0.5 with and without fusion), seeds 0-2,
# one after the other. Each run writes OUT/ptbxl-MODEL-sSEED/ (log.jsonl, checkpoints) and its console output
# beside it; the best validation macro AUROC of each run is printed when it ends.
# Usage: bash scripts/experiments/ptbxl-baselines.sh DATA_DIR [OUT_DIR=runs]
# MODELS and SEEDS (space-separated) choose a subset, e.g. MODELS=resnet1d_wang SEEDS=0.
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${1:?usage: ptbxl-baselines.sh PTBXL_DIR [OUT_DIR]}
out=${2:-runs}
models=${MODELS:-resnet1d_wang xresnet1d101}
seeds=${SEEDS:-0 1 2}
mkdir -p "$out"

best_auroc() {
  node -e 'const l=require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n").map(JSON.parse).filter(x=>x.type==="epoch"&&x.validation);console.log(process.argv[2],Math.max(...l.map(x=>x.validation.macro_auroc)).toFixed(3),"after",l.length,"epochs")' \
    "$1/log.jsonl" "$2"
}

for model in $models; do
  for seed in $seeds; do
    run="$out/ptbxl-$model-s$seed"
    # The source CLI (not dist/) so the runs use the engine the repository holds now.
    npx tsx src/cli/index.ts train --dataset ptbxl --data "$data" --model "$model" \
      --out "$run" --force --fs 100 --window 10 --batch-size 32 --epochs 12 --lr 3e-3 \
      --patience 12 --threads 1 --workers 1 --seed "$seed" >"$run.stdout" 2>"$run.stderr"
    best_auroc "$run" "$model seed $seed"
  done
done
