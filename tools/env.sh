#!/bin/sh
# Create or refresh the project environment in .venv/ (idempotent; a no-op when setup.py has not changed).
# torch is pinned to the CPU build 2.13.0 first, so that resolving the package never pulls a CUDA build.
# Usage: . tools/env.sh   (sourced: sets PY to the environment's python)
ROOT=$(cd "$(dirname "$0")/.." 2>/dev/null && pwd)
[ -f "$ROOT/setup.py" ] || ROOT=$(pwd)
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
STAMP="$VENV/.pointcept-csp-installed"
WANT=$(cat "$ROOT/setup.py" | cksum)
if [ ! -x "$PY" ] || [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  echo "[env] preparing $VENV (first run takes about a minute)"
  [ -x "$PY" ] || python3 -m venv "$VENV" || { echo "[env] python3 -m venv failed: install python3 with venv" >&2; exit 1; }
  "$PY" -m pip install -q --disable-pip-version-check "torch==2.13.0" || exit 1
  "$PY" -m pip install -q --disable-pip-version-check -e "$ROOT[dev]" || exit 1
  echo "$WANT" > "$STAMP"
fi
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
