#!/usr/bin/env bash
# CinC 2017 toward the challenge's 0.83: EfficientECG-w0.25 on 30 s windows (most records are ~30 s, so the model
# sees whole records instead of 10 s crops) for 24 epochs. One thread, resumable: run it again and it continues
# from OUT/cinc2017-w0.25-30s-sSEED/last.safetensors.
# Usage: bash scripts/experiments/cinc2017-long.sh CINC2017_DIR [OUT_DIR=runs] [SEED=0] [WINDOW=30] [EPOCHS=24]
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${1:?usage: cinc2017-long.sh CINC2017_DIR [OUT_DIR] [SEED] [WINDOW] [EPOCHS]}
out=${2:-runs}
seed=${3:-0}
window=${4:-30}
epochs=${5:-24}
run="$out/cinc2017-w0.25-${window}s-s$seed"
resume=(--force)
[ -f "$run/last.safetensors" ] && resume=(--resume)
npx efficientecg train --dataset cinc2017 --data "$data" --model efficientecg-w0.25 --fs 100 --window "$window" \
  --batch-size 32 --epochs "$epochs" --lr 3e-3 --patience 8 --threads 1 --workers 1 --seed "$seed" \
  --out "$run" "${resume[@]}"
node -e 'const l=require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n").map(JSON.parse).filter(x=>x.type==="epoch");const b=l.reduce((a,x)=>x.validation.cinc2017_f1>a.validation.cinc2017_f1?x:a);console.log(process.argv[1],"best epoch",b.epoch,"of",l.length,JSON.stringify(b.validation))' "$run/log.jsonl"
