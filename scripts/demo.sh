#!/usr/bin/env bash
# The main job in one command: install what inference needs (no libtorch, no apt), build, and diagnose the example
# records with the bundled default models (each record routed to the model for its dataset and leads), printing a
# table and writing out/report.html. Safe to run again: npm ci and the build are repeated only when needed.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules/onnxruntime-node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "demo: installing node modules (npm ci; the libtorch addon is optional and skipped if libtorch is absent)" >&2
  npm ci --no-audit --no-fund
fi
if [ ! -f dist/cli/index.js ] || [ -n "$(find src -newer dist/cli/index.js -name '*.ts' -print -quit)" ]; then
  echo "demo: building (npm run build)" >&2
  npm run build --silent
fi

models=$(node dist/cli/index.js models --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).models.filter(m=>m.default).length))')
if [ "$models" = "0" ]; then
  echo "demo: no bundled default models yet (models/catalog.json is empty; see models/README.md)." >&2
  echo "demo: with a model of your own: node dist/cli/index.js predict examples/ --model MODEL.onnx --report out/report.html" >&2
  exit 2
fi

mkdir -p out
node dist/cli/index.js predict examples/ --report out/report.html "$@"
echo "demo: report written to out/report.html" >&2
