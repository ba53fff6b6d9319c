#!/usr/bin/env bash
# One-time set-up of a fresh machine: Debian's Fashion-MNIST, the npm packages, and the pinned
# Temporal and MinIO binaries (built with Go into ~/.cache/contamination-lab/bin; cached after).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  echo "[setup] installing Debian's dataset-fashion-mnist"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq dataset-fashion-mnist
fi

echo "[setup] npm ci"
npm ci --no-audit --no-fund

echo "[setup] server binaries"
npm run --silent infra:build
