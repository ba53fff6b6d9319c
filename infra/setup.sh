#!/usr/bin/env bash
# Set-up of a machine, run by `npm test` and `npm run demo` before anything else: Debian's real
# image datasets (Fashion-MNIST, OpenCV's and scikit-learn's digits) and chromium (the reports'
# browser test; libfontconfig1 brings DejaVu, enough for the plots' text), the npm packages, the
# trainers' Python environment (trainers/setup.sh), and the pinned Temporal and MinIO binaries
# (built with Go into ~/.cache/contamination-lab/bin). Idempotent: each part is skipped when it is
# in place (stamps keyed on the lock and requirements files), so a set-up machine takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

# A sha256 of the given files' bytes: what a stamp records.
digest_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

# The datasets the ingest sources read (never downloaded at run time), each package installed only
# if its file is missing. digits.png ships only in opencv-doc (opencv-data has no samples);
# digits.csv.gz is in python3-sklearn (architecture-independent; python3-sklearn-lib holds the
# compiled code); no recommends (they would add matplotlib, pytest and nose). chromium is the
# headless browser test/integration/report-browser.test.ts opens the reports in (driven by
# playwright-core, which downloads no browser of its own).
missing=()
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || missing+=(dataset-fashion-mnist)
opencv_digits=/usr/share/doc/opencv-doc/examples/data/digits.png
[ -f "$opencv_digits" ] || [ -f "$opencv_digits.gz" ] || missing+=(opencv-doc)
[ -f /usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz ] || missing+=(python3-sklearn)
[ -f /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup] installing Debian's ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# onnxruntime-node's install script would fetch CUDA binaries from the network; the CPU build in
# the package is all we need (GPU support is configuration). An environment variable rather than
# .npmrc, where npm warns about an unknown project config on every command.
export ONNXRUNTIME_NODE_INSTALL=skip
npm_stamp=node_modules/.clab-setup
npm_want=$(digest_of package.json package-lock.json)
if [ -f "$npm_stamp" ] && [ "$(cat "$npm_stamp")" = "$npm_want" ]; then
  echo "[setup] npm packages: in place"
else
  echo "[setup] npm ci"
  # npm ci refuses a lock file that lacks other platforms' optional binaries (@swc/core-*,
  # @rollup/rollup-*), and npm cannot record them when the registry it reaches does not serve
  # them, as on these machines (npm/cli#4828). `npm install --no-save` then installs the same
  # locked versions without rewriting the lock file.
  if ! npm ci --no-audit --no-fund; then
    echo "[setup] npm ci refused the lock file; installing the locked versions with npm install --no-save"
    npm install --no-save --no-audit --no-fund
  fi
  echo "$npm_want" > "$npm_stamp"
fi

trainers_stamp=trainers/.venv/.clab-setup
trainers_want=$(echo "${CLAB_TRAINER_BASE_PYTHON:-/usr/bin/python3}" | cat - trainers/requirements.txt trainers/setup.sh | sha256sum | cut -d' ' -f1)
if [ -f "$trainers_stamp" ] && [ "$(cat "$trainers_stamp")" = "$trainers_want" ]; then
  echo "[setup] trainers: in place"
else
  echo "[setup] trainers (PyTorch + onnxruntime for Python)"
  bash trainers/setup.sh
  echo "$trainers_want" > "$trainers_stamp"
fi

echo "[setup] server binaries"
npm run --silent infra:build
