#!/usr/bin/env bash
# Keeps a cross-validation's figures in the repository: its summary (cv.json) and every fold's held-out scores and
# config (fold-k/heldout.json, fold-k/config.json), not its weights. Runs live outside the repository and have been
# lost with machines; an archived arm stays comparable (`efficientecg compare --arm NAME=results/cv/NAME ...` reads
# exactly these files) and re-scorable without re-training.
#   bash scripts/archive-cv.sh RUNS/cv/ARM [NAME]      -> results/cv/NAME (default: ARM's folder name)
set -euo pipefail
src=${1:?usage: archive-cv.sh CV_DIR [NAME]}
name=${2:-$(basename "$src")}
case "$name" in */* | .* | "") echo "archive-cv: NAME must be a plain folder name, not '$name'" >&2; exit 2 ;; esac
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/results/cv/$name"
ls "$src"/fold-*/heldout.json > /dev/null 2>&1 || { echo "archive-cv: $src has no finished fold (fold-k/heldout.json)" >&2; exit 1; }
tmp="$dest.tmp"
rm -rf "$tmp" && mkdir -p "$tmp"
[ -f "$src/cv.json" ] && cp "$src/cv.json" "$tmp/"
for fold in "$src"/fold-*/; do
  [ -f "$fold/heldout.json" ] || continue
  mkdir -p "$tmp/$(basename "$fold")"
  cp "$fold/heldout.json" "$tmp/$(basename "$fold")/"
  # A folder rebuilt from a bundle (cv-from-bundle.ts) has no per-fold config: its cv.json holds the recipe.
  [ -f "$fold/config.json" ] && cp "$fold/config.json" "$tmp/$(basename "$fold")/"
done
rm -rf "$dest" && mv "$tmp" "$dest"   # whole or not at all
echo "archived $(ls -d "$dest"/fold-* | wc -l) fold(s) of $src in results/cv/$name"
