#!/bin/sh
# One prepared GPU check (docs/gpu.md): unpack the carried GPU packages, then run tools/dev/gpu_check.py.
#   sh tools/gpu_check.sh --out "$OUT"     # on a CUDA machine (about 5 minutes on an H200)
#   sh tools/gpu_check.sh --dry-run        # anywhere: everything it would run exists and parses
# The packages come from tools/dev/fetch_gpu_wheels.sh (.whl/gpu-site.tar.xz, git-ignored). Without that file the check
# runs with what the machine has, and its env line says which of fla / spconv are missing.
# PYTHON picks the interpreter (default: .venv/bin/python where the README's commands made it, else python3);
# GPU_CHECK_SITE the folder the packages unpack to.
cd "$(dirname "$0")/.." || exit 1
if [ -n "${PYTHON:-}" ]; then PY=$PYTHON; elif [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
SITE=${GPU_CHECK_SITE:-/tmp/pointcept-csp-gpu-site}
case " $* " in
  *" --dry-run "*) ;;
  *)
    if [ -f .whl/gpu-site.tar.xz ]; then
      echo "[gpu_check] unpacking .whl/gpu-site.tar.xz into $SITE"
      mkdir -p "$SITE" && tar -xJf .whl/gpu-site.tar.xz -C "$SITE" || exit 1
      export PYTHONPATH="$SITE${PYTHONPATH:+:$PYTHONPATH}"
    else
      echo "[gpu_check] no .whl/gpu-site.tar.xz (sh tools/dev/fetch_gpu_wheels.sh makes it): fla / spconv as installed"
    fi
    ;;
esac
exec "$PY" tools/dev/gpu_check.py "$@"
