#!/usr/bin/env bash
# Keeps a cross-validation's figures in the repository: its summary (cv.json) and every fold's held-out scores and
# config (fold-k/heldout.json, fold-k/config.json), not its weights. Runs live outside the repository and have been
# lost with machines; an archived arm stays comparable (`efficientecg compare --arm NAME=results/cv/NAME ...` reads
# exactly these files) and re-scorable without re-training.
#   bash scripts/archive-cv.sh [--force] RUNS/cv/ARM [NAME]      -> results/cv/NAME (default: ARM's folder name)
# An archive holding a finished fold that the source lacks (a partial re-run, folds run on another machine) is kept:
# replacing it would lose figures that may exist nowhere else. --force replaces it anyway.
set -euo pipefail
force=0
args=()
for arg in "$@"; do
  if [ "$arg" = --force ]; then force=1; else args+=("$arg"); fi
done
set -- ${args[@]+"${args[@]}"}
src=${1:?usage: archive-cv.sh [--force] CV_DIR [NAME]}
name=${2:-$(basename "$src")}
case "$name" in */* | .* | "") echo "archive-cv: NAME must be a plain folder name, not '$name'" >&2; exit 2 ;; esac
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/results/cv/$name"
ls "$src"/fold-*/heldout.json > /dev/null 2>&1 || { echo "archive-cv: $src has no finished fold (fold-k/heldout.json)" >&2; exit 1; }

# The finished folds of a CV folder (fold-k names, sorted for comm).
finished() { for file in "$1"/fold-*/heldout.json; do [ -f "$file" ] && basename "$(dirname "$file")"; done | sort; }

old="$dest.old"
# A swap killed between its two moves left the previous archive aside: it is still the archive.
if [ -d "$old" ] && [ ! -d "$dest" ]; then mv "$old" "$dest"; fi
rm -rf "$old"
if [ -d "$dest" ] && [ "$force" = 0 ]; then
  lost=$(comm -23 <(finished "$dest") <(finished "$src") | tr '\n' ' ')
  if [ -n "$lost" ]; then
    echo "archive-cv: results/cv/$name has finished fold(s) ${lost}that $src lacks; not replaced (--force replaces it)" >&2
    exit 1
  fi
fi

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
# Whole or not at all, and the previous archive stays on disk until the new one is in its place.
if [ -d "$dest" ]; then mv "$dest" "$old"; fi
mv "$tmp" "$dest"
rm -rf "$old"
echo "archived $(ls -d "$dest"/fold-* | wc -l) fold(s) of $src in results/cv/$name"
