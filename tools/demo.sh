#!/bin/sh
# The README's first command: create the environment if needed, then run the CPU demo (tools/demo.py):
# procedural rooms -> PointCSP pre-training -> SPD fine-tuning -> val mIoU report. `--quick`: a smoke run.
cd "$(dirname "$0")/.." || exit 1
. tools/env.sh
exec "$PY" tools/demo.py "$@"
