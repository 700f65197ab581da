#!/usr/bin/env bash
# Create/refresh the project's virtual environment at .venv.
#   scripts/setup.sh          runtime dependencies only
#   scripts/setup.sh --test   plus test tools, the reference implementations, the JS client and
#                             Debian's chromium (the playground's browser tests)
# torch is installed first and pinned: on a machine with the local CPU wheel this takes it from
# disk; on a GPU box the same pin resolves to PyPI's CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
TORCH_SPEC=${LTX_SERVE_TORCH_SPEC:-torch==2.13.0}
quiet() { grep -v -e "^WARNING: Location" -e "^$" || true; }

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
PIP=".venv/bin/pip --disable-pip-version-check -q"
.venv/bin/python -c "import torch" 2>/dev/null || $PIP install "$TORCH_SPEC" 2>&1 | quiet

if [ "${1:-}" = "--test" ]; then
  $PIP install -e '.[test]' 2>&1 | quiet
  # Reference implementations, for parity tests only. ltx-core imports torchaudio, and no
  # torchaudio build matches a CPU torch 2.13: install it without its native libraries
  # (ltx-core only uses its pure-Python MelSpectrogram/resample paths).
  if ! .venv/bin/python -c "import ltx_pipelines" 2>/dev/null; then
    $PIP install --no-deps ltx-core==1.0.0 ltx-pipelines==1.0.0 torchaudio==2.11.0 2>&1 | quiet
    rm -f .venv/lib/python3.11/site-packages/torchaudio/lib/*.so
  fi
  # Headless Chromium for the playground's browser tests (Playwright drives it by path; its own
  # browser download is never used). apt-get update runs only when the package is missing.
  if [ ! -x /usr/bin/chromium ]; then
    SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
  fi
  if [ -f tests/js/package.json ] && [ ! -d tests/js/node_modules/@fal-ai/client ]; then
    (cd tests/js && npm install --no-audit --no-fund --silent)
  fi
else
  $PIP install -e . 2>&1 | quiet
fi
