#!/usr/bin/env bash
# One-command demo: set up .venv, then run the tiny LTX-2.3 preset on CPU behind a live
# ltx-serve and call it with the official Python fal client. Prints the MP4's path.
#   scripts/demo.sh                      tiny random weights (default), output in demo-output/
#   scripts/demo.sh --weights /models    real LTX-2.3 weights (or set LTX_SERVE_WEIGHTS_DIR)
#   scripts/demo.sh --device cuda        on a GPU
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The demo's client is the official fal client (a test extra): install it if missing.
.venv/bin/python -c "import fal_client" 2>/dev/null \
  || .venv/bin/pip --disable-pip-version-check -q install "fal-client>=1.0,<2"
exec .venv/bin/python scripts/demo.py "$@"
