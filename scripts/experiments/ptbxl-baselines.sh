#!/usr/bin/env bash
# PTB-XL superdiagnostic, folds 1-8 train / 9 val: the PTB-XL benchmark baselines resnet1d_wang and xresnet1d101
# with the recipe of scripts/experiments/ptbxl-fusion.sh (EfficientECG-w0.5 with and without fusion), seeds 0-2,
# one after the other. Each run writes OUT/ptbxl-MODEL-sSEED/ (log.jsonl, checkpoints) and its console output
# beside it; the best validation macro AUROC of each run is printed when it ends.
# Usage: bash scripts/experiments/ptbxl-baselines.sh DATA_DIR [OUT_DIR=runs]
# MODELS and SEEDS (space-separated) choose a subset or other registry models, e.g. MODELS=efficientecg-b0 SEEDS=0.
#        bash scripts/experiments/ptbxl-baselines.sh --summary [OUT_DIR=runs]
# summarises every OUT_DIR/ptbxl-*-sN run (these and ptbxl-fusion.sh's): best validation macro AUROC per seed,
# mean ± sd (n - 1), differences seed by seed from REFERENCE (a run name without -sN, default w0.5-plain: the
# ECG-only EfficientECG-w0.5 of ptbxl-fusion.sh), and the logged training speed.
#        bash scripts/experiments/ptbxl-baselines.sh --evaluate DATA_DIR [OUT_DIR=runs]
# exports every run's best checkpoint to OUT_DIR/onnx/ and scores it on the validation fold through onnxruntime
# with 95 % bootstrap intervals (200 resamples of the 128 records): how wide the sampling noise of that fold is.
set -euo pipefail
cd "$(dirname "$0")/../.."

summary() {
  node - "$1" "${REFERENCE:-w0.5-plain}" <<'JS'
const fs = require('fs');
const out = process.argv[2];
const runs = {};
for (const dir of fs.readdirSync(out).sort()) {
  const m = /^ptbxl-(.+)-s(\d+)$/.exec(dir);
  const log = `${out}/${dir}/log.jsonl`;
  if (!m || !fs.existsSync(log)) continue;
  const epochs = fs.readFileSync(log, 'utf8').trim().split('\n').map(JSON.parse).filter((x) => x.type === 'epoch');
  if (!epochs.length) continue;
  (runs[m[1]] ??= {})[m[2]] = epochs;
}
const median = (a) => { const s = [...a].sort((x, y) => x - y), h = s.length >> 1; return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2; };
const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
const sd = (a) => a.length < 2 ? NaN : Math.sqrt(a.reduce((x, y) => x + (y - mean(a)) ** 2, 0) / (a.length - 1));
const best = (epochs) => Math.max(...epochs.map((e) => e.validation.macro_auroc));
const f3 = (x) => x.toFixed(3);
const referenceName = process.argv[3];
const reference = runs[referenceName] ?? {};
for (const [model, seeds] of Object.entries(runs)) {
  const ids = Object.keys(seeds).sort();
  const bests = ids.map((s) => best(seeds[s]));
  const all = ids.flatMap((s) => seeds[s]);
  const diffs = ids.filter((s) => reference[s]).map((s) => best(seeds[s]) - best(reference[s]));
  console.log(
    model,
    `| seeds ${ids.join(',')} | epochs ${ids.map((s) => seeds[s].length).join(',')}`,
    `| best AUROC ${bests.map(f3).join(' / ')} | ${f3(mean(bests))} ± ${f3(sd(bests))}`,
    `| minus ${referenceName} ${diffs.map((d) => (d >= 0 ? '+' : '') + f3(d)).join(' / ')} | ${f3(mean(diffs))} ± ${f3(sd(diffs))}`,
    `| train samples/s median ${median(all.map((e) => e.samplesPerSecond)).toFixed(1)}`,
    `(range ${Math.min(...all.map((e) => e.samplesPerSecond)).toFixed(1)}-${Math.max(...all.map((e) => e.samplesPerSecond)).toFixed(1)})`,
    `| s/epoch median ${median(all.map((e) => e.seconds)).toFixed(1)} + validation ${median(all.map((e) => e.validationSeconds)).toFixed(1)}`,
  );
}
JS
}

evaluate_runs() {
  local data=$1 out=$2 run name
  mkdir -p "$out/onnx"
  for run in "$out"/ptbxl-*-s[0-9]; do
    [ -f "$run/best.safetensors" ] || continue
    name=$(basename "$run")
    npx tsx src/cli/index.ts export --model "$run/best.safetensors" --out "$out/onnx/$name.onnx" >/dev/null
    npx tsx src/cli/index.ts evaluate --model "$out/onnx/$name.onnx" --dataset ptbxl --data "$data" --split val \
      --threads 1 --json "$out/onnx/$name.val.json" | grep 'macro AUROC' | sed "s|^|$name  |"
  done
}

case "${1:-}" in
  --summary) summary "${2:-runs}"; exit 0 ;;
  --evaluate) evaluate_runs "${2:?usage: ptbxl-baselines.sh --evaluate PTBXL_DIR [OUT_DIR]}" "${3:-runs}"; exit 0 ;;
esac
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
