#!/usr/bin/env bash
# One-time set-up of a fresh machine: Debian's real image datasets (Fashion-MNIST, OpenCV's and
# scikit-learn's digits), the npm packages, the trainers' Python environment (trainers/setup.sh),
# and the pinned Temporal and MinIO binaries (built with Go into ~/.cache/contamination-lab/bin;
# cached after).
set -euo pipefail
cd "$(dirname "$0")/.."

# The datasets the ingest sources read (never downloaded at run time), each package installed only
# if its file is missing. digits.png ships only in opencv-doc (opencv-data has no samples);
# digits.csv.gz is in python3-sklearn (architecture-independent; python3-sklearn-lib holds the
# compiled code); no recommends (they would add matplotlib, pytest and nose).
missing=()
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || missing+=(dataset-fashion-mnist)
opencv_digits=/usr/share/doc/opencv-doc/examples/data/digits.png
[ -f "$opencv_digits" ] || [ -f "$opencv_digits.gz" ] || missing+=(opencv-doc)
[ -f /usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz ] || missing+=(python3-sklearn)
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup] installing Debian's ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

echo "[setup] npm ci"
# npm ci refuses a lock file that lacks other platforms' optional binaries (@swc/core-*,
# @rollup/rollup-*), and npm cannot record them when the registry it reaches does not serve them,
# as on these machines (npm/cli#4828). `npm install --no-save` then installs the same locked
# versions without rewriting the lock file.
if ! npm ci --no-audit --no-fund; then
  echo "[setup] npm ci refused the lock file; installing the locked versions with npm install --no-save"
  npm install --no-save --no-audit --no-fund
fi

echo "[setup] trainers (PyTorch + onnxruntime for Python)"
bash trainers/setup.sh

echo "[setup] server binaries"
npm run --silent infra:build
