#!/usr/bin/env bash
# MIT-BIH inter-patient beat classification (de Chazal DS1 only; patient-wise validation split of DS1):
# EfficientECG-Beat (w0.25 backbone, MLII at 180 Hz, 0.25 s + 0.45 s around the R peak) with the RR intervals as
# fusion tokens vs the ECG window alone, same recipe and seeds. Both arms of a seed run side by side (1 thread
# each). Prints the best validation mean F1 of N, S and V (the selection metric) of each run.
# Usage: bash scripts/experiments/mitdb-beats.sh MITDB_DIR [OUT_DIR=runs] [SEEDS="0 1"]
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${1:?usage: mitdb-beats.sh MITDB_DIR [OUT_DIR] [SEEDS]}
out=${2:-runs}
seeds=${3:-0 1}
for seed in $seeds; do
  for rr in tokens none; do
    npx efficientecg train --dataset mitdb --data "$data" --model efficientecg-w0.25 --rr-context "$rr" \
      --out "$out/mitdb-beat-$rr-s$seed" --force --fs 180 --batch-size 128 --epochs 20 --lr 3e-3 \
      --normal-per-epoch 8000 --patience 8 --threads 1 --seed "$seed" > "$out/mitdb-beat-$rr-s$seed.stdout" \
      2> "$out/mitdb-beat-$rr-s$seed.stderr" &
  done
  wait
  for rr in tokens none; do
    node -e 'const l=require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n").map(JSON.parse).filter(x=>x.type==="epoch");const b=l.reduce((a,x)=>x.validation.aami_nsv_f1>a.validation.aami_nsv_f1?x:a);console.log(process.argv[2],"epoch",b.epoch,JSON.stringify(b.validation))' \
      "$out/mitdb-beat-$rr-s$seed/log.jsonl" "rr=$rr seed $seed"
  done
done
