#!/usr/bin/env bash
# CinC 2017, beat-level embeddings (issue 6 item 4): an LSTM sequence autoencoder of single beats vs PCA of the same
# beats (E = 16 each; record embedding = mean and SD of its beats' embeddings), fitted on the trainer's train split.
# Prints validation reconstruction MSE and costs (summary.json), then the probe table: CinC 2017 F1 on the trainer's
# validation split of a logistic-regression and a gradient-boosting probe over rhythm features, PCA, LSTM-AE and
# their combinations (probe.json). See docs/beat-autoencoder.md. About 15-25 min on one busy core.
# Usage: bash scripts/experiments/beat-autoencoder.sh CINC2017_DIR [OUT_DIR=runs/beat-ae-cinc2017] [extra options]
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${1:?usage: beat-autoencoder.sh CINC2017_DIR [OUT_DIR] [extra beat-autoencoder.ts options]}
out=${2:-runs/beat-ae-cinc2017}
shift $(($# < 2 ? $# : 2))
mkdir -p "$out"
npx tsx scripts/experiments/beat-autoencoder.ts "$data" "$out" --epochs 8 --beats-per-record 8 --embedding 16 \
  --hidden 32 --seed 0 "$@" > "$out/beat-autoencoder.stdout"
node -e 'const s=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log(JSON.stringify({reconstructionMse:s.reconstructionMse,parameters:s.parameters,seconds:s.seconds}))' "$out/summary.json"
/usr/bin/python3 scripts/experiments/beat-autoencoder-probe.py "$out"
