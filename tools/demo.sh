#!/bin/sh
# The README's first command: create the environment if needed, then run the CPU demo (tools/demo.py).
# `sh tools/demo.sh --quick` runs a shortened version (used by the tests).
cd "$(dirname "$0")/.." || exit 1
. tools/env.sh
exec "$PY" tools/demo.py "$@"
