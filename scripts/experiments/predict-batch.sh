#!/usr/bin/env bash
# Batch prediction at scale (docs/batch-inference.md): a folder listed REPEAT times (CinC 2017 x 3 = 25,584 records),
# predicted with --from-list into a JSON Lines file. The run is killed (SIGKILL) after KILL_AFTER seconds, then
# resumed with --resume; the script then checks that the output has one line per listed entry, in list order (no
# duplicate, no gap), and prints the records/s of each part and the peak RSS of each process (GNU time), and the
# RSS sampled every 10 s (flat memory).
# Usage: bash scripts/experiments/predict-batch.sh DIR [OUT_DIR] [REPEAT] [JOBS] [KILL_AFTER]
set -euo pipefail
data=${1:?usage: predict-batch.sh DIR [OUT_DIR] [REPEAT] [JOBS] [KILL_AFTER]}
out=${2:-runs/predict-batch}
repeat=${3:-3}
jobs=${4:-2}
kill_after=${5:-120}
cd "$(dirname "$0")/../.."
mkdir -p "$out"
list="$out/list.txt"
: > "$list"
for _ in $(seq "$repeat"); do find "$data" -maxdepth 1 -name '*.hea' | sort >> "$list"; done
echo "entries: $(wc -l < "$list")"
rm -f "$out/predictions.jsonl"

# One run in the background (its pid in $pid): GNU time's peak RSS, and the node process's RSS every 10 s.
run() {
  local tag=$1; shift
  /usr/bin/time -f "$tag: %e s wall, peak RSS %M KB" -o "$out/$tag.time" \
    node --import tsx src/cli/index.ts predict --from-list "$list" --out "$out/predictions.jsonl" --jobs "$jobs" "$@" \
    > /dev/null 2> "$out/$tag.log" &
  pid=$!
  : > "$out/$tag.rss"
  ( while kill -0 "$pid" 2>/dev/null; do
      node_pid=$(pgrep -P "$pid" -n || true)
      [ -n "$node_pid" ] && echo "$(date +%s) $(ps -o rss= -p "$node_pid" 2>/dev/null || true)" >> "$out/$tag.rss"
      sleep 10
    done ) > /dev/null 2>&1 &
}

run first
sleep "$kill_after"
kill -KILL "$(pgrep -P "$pid" -n)"
wait "$pid" || true
first_lines=$(wc -l < "$out/predictions.jsonl")
echo "killed after ${kill_after} s with $first_lines lines written ($(echo "scale=1; $first_lines / $kill_after" | bc) records/s)"
cat "$out/first.time" | tail -1

start=$(date +%s)
run resumed --resume
wait "$pid"
seconds=$(( $(date +%s) - start ))
total=$(wc -l < "$out/predictions.jsonl")
echo "resumed: $(( total - first_lines )) records in ${seconds} s ($(echo "scale=1; ($total - $first_lines) / $seconds" | bc) records/s)"
tr '\r' '\n' < "$out/resumed.log" | grep -E 'predicted|failures' || true
cat "$out/resumed.time"

# No duplicate, no gap: the output's files are the list, line for line.
node -e '
const fs = require("fs");
const list = fs.readFileSync(process.argv[1], "utf8").trim().split("\n");
const lines = fs.readFileSync(process.argv[2], "utf8").split("\n");
if (lines.pop() !== "") throw new Error("torn last line");
const files = lines.map((l) => JSON.parse(l).file);
const same = files.length === list.length && files.every((f, i) => f === list[i]);
console.log(`lines ${files.length} / entries ${list.length}: ${same ? "every entry once, in order" : "MISMATCH"}`);
process.exit(same ? 0 : 1);
' "$list" "$out/predictions.jsonl"
echo "RSS samples (KB), first run then resumed run:"
awk '{print $2}' "$out/first.rss" | paste -sd' '
awk '{print $2}' "$out/resumed.rss" | paste -sd' '
