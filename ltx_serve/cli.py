"""`ltx-serve` command line: one typer app composed from each package's commands.

Each command lives next to the code it drives (server, model core, control, ops,
endpoints); this module only names them. Heavy imports stay inside the commands, so
`ltx-serve --help` is fast.
"""

from __future__ import annotations

import typer

from ltx_serve.control.cli import control
from ltx_serve.devtools.generate_cli import generate
from ltx_serve.models.cli import weights_app
from ltx_serve.ops.commands import bench, doctor, weights_download
from ltx_serve.server import serve

app = typer.Typer(
    name="ltx-serve",
    help="On-prem, fal.ai-compatible server for Lightricks LTX-2.3.",
    no_args_is_help=True,
    add_completion=False,
)

app.command("serve", help="Run the HTTP server (fal-compatible API) on one port.")(serve)
weights_app.command("download", help="Fetch LTX-2.3 weights from Hugging Face.")(weights_download)
app.add_typer(weights_app, name="weights")
app.command("doctor", help="Check GPU, disk, weights and codecs; print the memory plan.")(doctor)
app.command("generate", help="Run one request in-process and write the video + output JSON.")(generate)
app.command("bench", help="Time the endpoint presets per stage: memory, MFU, cost per job.")(bench)
app.command("control", help="Render a control video (canny/depth/pose/composite) from a video.")(control)


if __name__ == "__main__":
    app()
