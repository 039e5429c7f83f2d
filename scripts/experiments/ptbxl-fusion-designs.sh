#!/usr/bin/env bash
# PTB-XL superdiagnostic, folds 1-8 train / 9 val: the four fusion designs of docs/fusion.md over the same
# EfficientECG-w0.25 backbone and the same recipe as the ECG-only runs of ptbxl-baselines.sh (12 epochs, one-cycle
# 3e-3, batch 32), age and sex tokens, seeds 0-2, one run after another (1 thread each). Runs that already finished
# (their log has 12 epochs) are skipped, so the script can be run again after an interruption.
#   a = patient-queries-ecg, b = ecg-queries-patient, c = bidirectional (the default), d = concat (no attention)
# Usage: bash scripts/experiments/ptbxl-fusion-designs.sh DATA_DIR [OUT_DIR=runs]
# Then:  REFERENCE=efficientecg-w0.25 bash scripts/experiments/ptbxl-baselines.sh --summary OUT_DIR
# (the ECG-only reference runs OUT_DIR/ptbxl-efficientecg-w0.25-sN come from
#  MODELS=efficientecg-w0.25 bash scripts/experiments/ptbxl-baselines.sh DATA_DIR OUT_DIR).
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${1:?usage: ptbxl-fusion-designs.sh PTBXL_DIR [OUT_DIR]}
out=${2:-runs}
for seed in ${SEEDS:-0 1 2}; do
  for design in ${DESIGNS:-patient-queries-ecg ecg-queries-patient bidirectional concat}; do
    run="$out/ptbxl-w0.25-fusion-$design-s$seed"
    if [ -f "$run/log.jsonl" ] && [ "$(grep -c '"type":"epoch"' "$run/log.jsonl")" -ge 12 ]; then continue; fi
    # Without the shortcut and token dropout (the recipe before they existed; docs/fusion.md measures them).
    npx efficientecg train --dataset ptbxl --data "$data" --model efficientecg-w0.25 --fusion \
      --no-fusion-shortcut --fusion-token-dropout 0 --fusion-design "$design" --out "$run" --force --fs 100 --window 10 --batch-size 32 --epochs 12 --lr 3e-3 \
      --patience 12 --threads 1 --workers 1 --seed "$seed" > "$run.stdout" 2> "$run.stderr"
    node -e 'const l=require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n").map(JSON.parse).filter(x=>x.type==="epoch");console.log(process.argv[2],Math.max(...l.map(x=>x.validation.macro_auroc)).toFixed(3))' \
      "$run/log.jsonl" "$design seed $seed"
  done
done
