#!/bin/sh
# Create the environment if needed, then run the test suite on CPU with one OpenMP thread.
# Extra arguments go to pytest, e.g. `sh tools/test.sh tests/ops -k gated`.
cd "$(dirname "$0")/.." || exit 1
. tools/env.sh
exec "$PY" -m pytest "$@"
