"""The API process must start without torch: importing the app may not pull it in."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_app_does_not_import_torch() -> None:
    code = (
        "import sys, ltx_serve.app, ltx_serve.server, ltx_serve.media.fetch; "
        "heavy = [m for m in ('torch', 'diffusers', 'transformers') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
