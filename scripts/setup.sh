#!/usr/bin/env bash
# Installs everything EfficientECG needs on a fresh Debian/Ubuntu machine, from a clean clone; safe to run twice.
#   - apt packages (as root, only when missing): libtorch-dev and libgloo-dev (the training engine and its
#     torch.distributed process group), python3-torch/scipy/sklearn
#     (only used by benchmarks and fixture scripts), chromium (browser tests)
#   - npm ci (onnxruntime-node's CUDA download is skipped by .npmrc)
#   - the native libtorch addon and the TypeScript build
# Usage: bash scripts/setup.sh [--no-system]   (--no-system: skip apt, e.g. without root)
set -euo pipefail
cd "$(dirname "$0")/.."

want_system=1
[ "${1:-}" = "--no-system" ] && want_system=0

apt_packages=(libtorch-dev libgloo-dev python3-torch python3-scipy python3-sklearn chromium)
if [ "$want_system" = 1 ]; then
  missing=()
  for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "setup: missing apt packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
      exit 1
    fi
    echo "setup: installing ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
fi

# npm ci only when the lock file changed since the last install (keeps a second run fast).
stamp=node_modules/.efficientecg-lock-hash
hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$hash" ]; then
  npm ci --no-audit --no-fund
  echo "$hash" > "$stamp"
fi

npm run build:native
npm run build
