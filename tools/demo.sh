#!/bin/sh
# The README's first command: create the environment if needed, then run the CPU demo (tools/demo.py):
# procedural rooms -> PointCSP pre-training -> SPD fine-tuning -> val mIoU report. `--quick`: a smoke run.
cd "$(dirname "$0")/.." || exit 1
. tools/env.sh
# keep freed buffers instead of returning them to the OS: measured to save page-fault time at these sizes
export MALLOC_MMAP_MAX_=${MALLOC_MMAP_MAX_:-0} MALLOC_TRIM_THRESHOLD_=${MALLOC_TRIM_THRESHOLD_:-1000000000000}
exec "$PY" tools/demo.py "$@"
