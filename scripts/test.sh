#!/usr/bin/env bash
# Set up .venv (with test tools, reference implementations and the JS client) and run every test.
# Extra arguments go to pytest, e.g. `scripts/test.sh tests/api -x`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/pytest "$@"
