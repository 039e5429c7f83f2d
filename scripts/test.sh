#!/usr/bin/env bash
# The test command (README, CI): set-up from a clean clone, then typecheck, lint and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run typecheck
npm run lint
npm test
