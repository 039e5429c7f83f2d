#!/usr/bin/env bash
# PTB-XL superdiagnostic, folds 1-8 train / 9 val: EfficientECG-w0.5 with fusion (age + sex, bidirectional) vs
# ECG only, same recipe, seeds 0-2. Prints the best validation macro AUROC of each run.
# Usage: bash scripts/experiments/ptbxl-fusion.sh DATA_DIR [OUT_DIR=runs]
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${1:?usage: ptbxl-fusion.sh PTBXL_DIR [OUT_DIR]}
out=${2:-runs}
for seed in 0 1 2; do
  for variant in fusion plain; do
    # The fusion arm as first run: without the shortcut and token dropout (later defaults; docs/fusion.md).
    flag=""; [ "$variant" = fusion ] && flag="--fusion --no-fusion-shortcut --fusion-token-dropout 0"
    npx efficientecg train --dataset ptbxl --data "$data" --model efficientecg-w0.5 $flag \
      --out "$out/ptbxl-w0.5-$variant-s$seed" --force --fs 100 --window 10 --batch-size 32 --epochs 12 --lr 3e-3 \
      --patience 12 --threads 1 --workers 1 --seed "$seed"
    node -e 'const l=require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n").map(JSON.parse).filter(x=>x.type==="epoch"&&x.validation);console.log(process.argv[2],Math.max(...l.map(x=>x.validation.macro_auroc)).toFixed(3))' \
      "$out/ptbxl-w0.5-$variant-s$seed/log.jsonl" "$variant seed $seed"
  done
done
