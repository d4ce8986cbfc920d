#!/bin/sh
# Create the environment if needed, then run the test suite on CPU with one OpenMP thread.
# Extra arguments go to pytest, e.g. `sh tools/test.sh tests/ops -k gated`.
cd "$(dirname "$0")/.." || exit 1
. tools/env.sh
# the Pointcept integration tests run against ../shared/pointcept (or POINTCEPT_ROOT) when one is there; they need
# Pointcept's pure-Python requirements (its CUDA extensions are stood in for by tests/helpers/pointcept_standins.py)
if [ -z "${POINTCEPT_ROOT:-}" ] && [ -d "$ROOT/../shared/pointcept/pointcept" ]; then
  POINTCEPT_ROOT=$(cd "$ROOT/../shared/pointcept" && pwd)
fi
if [ -n "${POINTCEPT_ROOT:-}" ]; then
  export POINTCEPT_ROOT
  PC_REQUIREMENTS="yapf scipy termcolor einops h5py plyfile"
  PC_STAMP="$VENV/.pointcept-requirements"
  if [ ! -f "$PC_STAMP" ] || [ "$(cat "$PC_STAMP")" != "$PC_REQUIREMENTS" ]; then
    echo "[test] installing Pointcept's pure-Python requirements for the integration tests ($POINTCEPT_ROOT)"
    # shellcheck disable=SC2086
    "$PY" -m pip install -q --disable-pip-version-check $PC_REQUIREMENTS || exit 1
    echo "$PC_REQUIREMENTS" > "$PC_STAMP"
  fi
fi
# the GPU adapters' tests run here too: fla's Triton kernels under Triton's interpreter (triton 3.7.1, the release
# tests/helpers/triton_interpreter.py's work-arounds were written for and the one torch 2.13's CUDA build pins) and spconv's
# CPU build with one thread; torch stays pinned so that pip never swaps it
KERNEL_REQUIREMENTS="triton==3.7.1 fla-core==0.6.0 packaging einops spconv==2.3.8"
KERNEL_STAMP="$VENV/.kernel-test-requirements"
if [ ! -f "$KERNEL_STAMP" ] || [ "$(cat "$KERNEL_STAMP")" != "$KERNEL_REQUIREMENTS" ]; then
  echo "[test] installing the GPU kernels' packages for their CPU tests: $KERNEL_REQUIREMENTS"
  # shellcheck disable=SC2086
  "$PY" -m pip install -q --disable-pip-version-check "torch==2.13.0" $KERNEL_REQUIREMENTS || exit 1
  echo "$KERNEL_REQUIREMENTS" > "$KERNEL_STAMP"
fi
exec "$PY" -m pytest "$@"
