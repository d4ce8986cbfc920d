#!/bin/sh
# Build the git-ignored environment .venv-peers/ that tools/bench/bench_peers.py runs in: the CPU torch this
# project pins, plus what Pointcept's PTv3 and SpUNet import and our own package (editable).
#
#   sh tools/bench/setup_peers.sh        # about 6 minutes: torch-scatter compiles from source (~5 min on 2 cores)
#
# spconv is the CPU build from PyPI; bench_peers.py runs it with one thread (more threads give wrong results) and
# checks its CPU backward against a dense reference before timing anything. timm is not installed (it needs
# torchvision, which does not import beside the CPU torch): bench_peers.py gives PTv3 a DropPath of its own.
set -eu
cd "$(dirname "$0")/../.."
PY=${PYTHON:-python3}
[ -x .venv-peers/bin/python ] || "$PY" -m venv .venv-peers
VPY=.venv-peers/bin/python
$VPY -m pip install -q --upgrade pip
$VPY -m pip install -q torch==2.13.0
# torch-scatter builds against the torch above: no build isolation, so pip cannot pull another torch
$VPY -m pip install -q "torch==2.13.0" numpy addict spconv==2.3.8 ninja
MAX_JOBS=2 $VPY -m pip install -q --no-build-isolation "torch==2.13.0" torch-scatter==2.1.2
$VPY -m pip install -q "torch==2.13.0" -e .
$VPY -c "import torch, spconv.pytorch, torch_scatter, pointcept_csp; print('peers env ok: torch', torch.__version__)"
