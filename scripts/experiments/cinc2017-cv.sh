#!/usr/bin/env bash
# 5-fold patient-grouped CV of the CinC 2017 recipe (30 s windows, 24 epochs; the recipe of cinc2017-w0.25-30s) and
# the bundle of its 5 fold models as the CinC 2017 default (issue 12). Three processes share the folds (1-2, 3, 4-5)
# on one thread each; ~50 min per fold per core here. Re-running resumes (finished folds are kept).
#   bash scripts/experiments/cinc2017-cv.sh CINC2017_DIR [OUT_DIR=runs/cv/cinc2017-30s] [EXTRA TRAIN OPTIONS...]
# then: npx tsx scripts/experiments/cv-offsets.ts --cv OUT_DIR   (nested CV of the class offsets)
#       npx tsx scripts/bundle-model.ts --cv OUT_DIR --name cinc2017-w0.25-30s-ens5 [--class-offsets]
# The default (cinc2017-w0.25-30s-kd-ens5) is the same recipe distilled from two seeds of it, fold by fold:
#   bash scripts/experiments/cinc2017-cv.sh DIR runs/cv/cinc2017-30s-s1 --seed 1
#   bash scripts/experiments/cinc2017-cv.sh DIR runs/cv/cinc2017-30s-kd2 --distill-from runs/cv/cinc2017-30s runs/cv/cinc2017-30s-s1
#   npx tsx scripts/bundle-model.ts --cv runs/cv/cinc2017-30s-kd2 --name cinc2017-w0.25-30s-kd-ens5 --default
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${1:?usage: cinc2017-cv.sh CINC2017_DIR [OUT_DIR] [EXTRA TRAIN OPTIONS...]}
out=${2:-runs/cv/cinc2017-30s}
shift $(( $# >= 2 ? 2 : 1 ))
recipe=(--dataset cinc2017 --data "$data" --model efficientecg-w0.25 --fs 100 --window 30 --batch-size 32
  --epochs 24 --lr 3e-3 --threads 1 --workers 1 --seed 0 --folds 5 --out "$out" "$@")
mkdir -p "$out"
pids=()
for folds in 1,2 3 4,5; do
  npx tsx src/cli/index.ts cv "${recipe[@]}" --only "$folds" > "$out/cv-$folds.log" 2>&1 &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
[ "$status" = 0 ] || { echo "a fold process failed: see $out/cv-*.log" >&2; exit 1; }
# The summary (cv.json) is written by whichever process finished the last fold.
npx tsx src/cli/index.ts cv "${recipe[@]}" | tail -n 30
