#!/usr/bin/env bash
# Sets up the Python side of the trainers: PyTorch (Debian's python3-torch unless the interpreter
# already has torch) and a virtual environment trainers/.venv that sees it and adds onnxruntime.
# Use another interpreter (say one with PyPI's torch 2.x) with CLAB_TRAINER_BASE_PYTHON=/path/python3.
set -euo pipefail
cd "$(dirname "$0")"
base="${CLAB_TRAINER_BASE_PYTHON:-/usr/bin/python3}"

if ! "$base" -c 'import torch, numpy' 2>/dev/null; then
  if [ "$base" != /usr/bin/python3 ] || ! command -v apt-get >/dev/null; then
    echo "[setup:trainers] $base cannot import torch and numpy; install PyTorch for it" >&2
    exit 1
  fi
  echo "[setup:trainers] installing Debian's python3-torch"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends python3-torch python3-numpy python3-venv >/dev/null
fi

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import torch' 2>/dev/null; then
  echo "[setup:trainers] creating trainers/.venv on $base"
  rm -rf .venv
  if ! "$base" -m venv --system-site-packages .venv 2>/dev/null; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv >/dev/null
    "$base" -m venv --system-site-packages .venv
  fi
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
.venv/bin/python -c 'import sys, torch, onnxruntime, numpy; print("[setup:trainers] python", sys.version.split()[0], "torch", torch.__version__, "onnxruntime", onnxruntime.__version__, "numpy", numpy.__version__)'
