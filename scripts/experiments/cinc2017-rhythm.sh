#!/usr/bin/env bash
# CinC 2017, rhythm-token ablation: EfficientECG-Fusion (w0.25 backbone) with the record's rhythm features (RR mean,
# SDNN, RMSSD, RR CV, RR sample entropy, P-wave ratio; src/signal/rhythm-record.ts) as a token, against the plain
# EfficientECG-w0.25 of the bundled cinc2017 model, same recipe and seed. CinC 2017 has no age or sex, so rhythm
# is the only token. Prints the best validation CinC F1 of each run.
# Usage: bash scripts/experiments/cinc2017-rhythm.sh CINC2017_DIR [OUT_DIR=runs] [SEED=0]
#   SHORTCUT=1: the fusion arm with --fusion-shortcut (plain classifier + fused correction; docs/fusion.md).
#   TOKENS=rhythm,beats: other fusion tokens (run name -rhythm-beats); TOKEN_DROPOUT=0.5: --fusion-token-dropout.
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${1:?usage: cinc2017-rhythm.sh CINC2017_DIR [OUT_DIR] [SEED]}
out=${2:-runs}
seed=${3:-0}
common=(--dataset cinc2017 --data "$data" --model efficientecg-w0.25 --fs 100 --window 10 --batch-size 32
  --epochs 14 --lr 3e-3 --patience 6 --threads 1 --workers 1 --seed "$seed")
# The plain arm is the bundled cinc2017-w0.25 recipe; PLAIN_RUN=DIR reuses a finished run of it instead.
plain=${PLAIN_RUN:-$out/cinc2017-w0.25-plain-s$seed}
[ -n "${PLAIN_RUN:-}" ] || npx efficientecg train "${common[@]}" --out "$plain" --force
tokens=${TOKENS:-rhythm}
name=cinc2017-w0.25-${tokens//,/-}
extra=()
# Both explicit, so each arm reproduces whatever the train defaults become (docs/fusion.md).
if [ -n "${SHORTCUT:-}" ]; then
  name=$name-shortcut
  extra+=(--fusion-shortcut)
else
  extra+=(--no-fusion-shortcut)
fi
if [ -n "${TOKEN_DROPOUT:-}" ]; then
  name=$name-tokdrop$TOKEN_DROPOUT
  extra+=(--fusion-token-dropout "$TOKEN_DROPOUT")
else
  extra+=(--fusion-token-dropout 0)
fi
fusion=$out/$name-s$seed
npx efficientecg train "${common[@]}" --fusion --fusion-tokens "$tokens" "${extra[@]}" --out "$fusion" --force
for run in "$plain" "$fusion"; do
  node -e 'const l=require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n").map(JSON.parse).filter(x=>x.type==="epoch");const b=l.reduce((a,x)=>x.validation.cinc2017_f1>a.validation.cinc2017_f1?x:a);console.log(process.argv[1],"epoch",b.epoch,JSON.stringify(b.validation))' "$run/log.jsonl"
done
