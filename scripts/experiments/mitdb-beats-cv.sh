#!/usr/bin/env bash
# DS1 leave-patients-out cross-validation of the beat classifier (issue 13), one arm per call:
#   bash scripts/experiments/mitdb-beats-cv.sh MITDB_DIR OUT_DIR ARM [EPOCHS] [FOLDS]
# ARM: recipe (the bundled model's recipe: window + RR tokens), rhythm (+ RR over the local rhythm),
#      morphology (+ morphology against the record's median beat and the residual channels),
#      augment (morphology + time-stretch and polarity augmentation),
#      more-normal (morphology with 8,000 instead of 2,000 N beats per epoch: more of the irregular and early N beats
#      of atrial fibrillation, which the 2,000-beat sample rarely shows, against the same S beats),
#      two-lead (morphology with the record's chest lead V1|V2|V5|V4 as a second lead, 10 % of training beats with it
#      zeroed as a one-lead record reads), two-lead-augment (two-lead + augment's stretch and inversion),
#      two-lead-gate (two-lead + the fibrillation gate: where the RR detector fitted on CinC 2017 finds atrial
#      fibrillation, S goes to N in the predictions; training is two-lead's), two-lead-gate-cap3 (the same with class
#      weights capped at 3, not 10), two-lead-gate-noise (two-lead-gate + recording artefacts on one lead of 30 % of the
#      training beats, their residual and morphology context measured again: src/train/beat-noise.ts),
#      two-lead-gate-local (two-lead-gate with the local template: the median of the non-premature beats within a
#      minute instead of the record's median beat), two-lead-gate-local-noise (both), two-lead-gate-both-noise
#      (two-lead-gate-local-noise reading the local and the record template side by side: twice the morphology
#      context, two residual channels per lead), two-lead-gate-local-noise-slow (the default's recipe plus
#      rrPreviousSlow: the previous interval over the 90th percentile of the last minute's),
#      two-lead-gate-local-noise-wide (the default's recipe with 0.6 s before the R peak instead of 0.25: the previous
#      beat's T wave, where a premature beat's P wave hides), two-lead-gate-local-noise-span20 (the default's recipe with
#      the local template drawn from 20 s either side of its block instead of 60: QRS episodes shorter than a minute,
#      like record 108's, get their own template), two-lead-gate-local-noise-cap200 (the default's recipe with at most 200
#      beats of each abnormal class from one record per epoch: 208's 992 V and 373 F beats no longer dominate). (The gate as a mask in the
#      training loss, measured worse, ran at commit e9e951c.)
# SEED=k (default 0) trains the arm with another seed into OUT_DIR/ARM-sk (the seed spread, seed ensembles).
# The default beat model (mitdb-beat-2lead-local-gate-vote-ens11) is two-lead-gate-local-noise, seed 0, decided with
# the QRS clusters' vote, then its S offset:
#   npx tsx scripts/experiments/beats-cv-rescore.ts --cv OUT_DIR/two-lead-gate-local-noise --out OUT_DIR/vote --cluster-vote 1
#   npx tsx scripts/experiments/cv-offsets.ts --cv OUT_DIR/vote --classes S --json offsets.json  (nested CV)
#   npx tsx scripts/bundle-model.ts --cv OUT_DIR/vote --name mitdb-beat-2lead-local-gate-vote-ens11 \
#     --default --class-offsets --offset-classes S
# 11 folds of two DS1 records (patient-grouped, stratified), a short fixed schedule (no selection on the held-out
# records), one libtorch thread; re-running the same command resumes. Results: OUT_DIR/ARM/cv.json once all 11
# folds are done; FOLDS (e.g. 1,2) runs only those folds (their figures: OUT_DIR/ARM/fold-k/heldout.json).
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${1:?usage: mitdb-beats-cv.sh MITDB_DIR OUT_DIR ARM [EPOCHS]}
out=${2:?}
arm=${3:?}
epochs=${4:-3}
only=${5:+--only $5}
seed=${SEED:-0}
normal=2000
name=$arm
[ "$seed" = 0 ] || name=$arm-s$seed
# The default beat model's recipe (two-lead-gate-local-noise), which the arms after it extend.
default_recipe='"context":"rhythm-morphology","residualChannels":true,"leads":["MLII","V1|V2|V5|V4"],"zeroExtraLeads":0.1,"fibrillationGate":true,"template":"local","leadNoise":0.3'
case "$arm" in
  recipe) beats='{}' ;;
  rhythm) beats='{"context":"rhythm"}' ;;
  morphology) beats='{"context":"rhythm-morphology","residualChannels":true}' ;;
  augment) beats='{"context":"rhythm-morphology","residualChannels":true,"stretch":0.15,"invert":0.2}' ;;
  more-normal) beats='{"context":"rhythm-morphology","residualChannels":true}'; normal=8000 ;;
  two-lead) beats='{"context":"rhythm-morphology","residualChannels":true,"leads":["MLII","V1|V2|V5|V4"],"zeroExtraLeads":0.1}' ;;
  two-lead-augment) beats='{"context":"rhythm-morphology","residualChannels":true,"leads":["MLII","V1|V2|V5|V4"],"zeroExtraLeads":0.1,"stretch":0.15,"invert":0.2}' ;;
  two-lead-gate) beats='{"context":"rhythm-morphology","residualChannels":true,"leads":["MLII","V1|V2|V5|V4"],"zeroExtraLeads":0.1,"fibrillationGate":true}' ;;
  two-lead-gate-noise) beats='{"context":"rhythm-morphology","residualChannels":true,"leads":["MLII","V1|V2|V5|V4"],"zeroExtraLeads":0.1,"fibrillationGate":true,"leadNoise":0.3}' ;;
  two-lead-gate-local) beats='{"context":"rhythm-morphology","residualChannels":true,"leads":["MLII","V1|V2|V5|V4"],"zeroExtraLeads":0.1,"fibrillationGate":true,"template":"local"}' ;;
  two-lead-gate-local-noise) beats="{$default_recipe}" ;;
  two-lead-gate-both-noise) beats='{"context":"rhythm-morphology","residualChannels":true,"leads":["MLII","V1|V2|V5|V4"],"zeroExtraLeads":0.1,"fibrillationGate":true,"template":"both","leadNoise":0.3}' ;;
  two-lead-gate-local-noise-slow) beats="{$default_recipe,\"slowRhythm\":true}" ;;
  two-lead-gate-local-noise-wide) beats="{$default_recipe,\"beforeSeconds\":0.6}" ;;
  two-lead-gate-local-noise-span20) beats="{$default_recipe,\"localTemplateSeconds\":20}" ;;
  two-lead-gate-local-noise-cap200) beats="{$default_recipe,\"recordClassCap\":200}" ;;
  two-lead-gate-cap3) beats='{"context":"rhythm-morphology","residualChannels":true,"leads":["MLII","V1|V2|V5|V4"],"zeroExtraLeads":0.1,"fibrillationGate":true,"maxClassWeight":3}' ;;
  *) echo "unknown arm $arm" >&2; exit 2 ;;
esac
mkdir -p "$out"
echo "{\"beats\":$beats}" > "$out/$name.config.json"
npx tsx src/cli/index.ts cv --folds 11 --dataset mitdb --data "$data" --model efficientecg-w0.25 \
  --config "$out/$name.config.json" --out "$out/$name" --fs 180 --batch-size 128 --epochs "$epochs" --lr 3e-3 \
  --normal-per-epoch "$normal" --threads 1 --seed "$seed" $only
