"""Control preprocessors (canny, depth, pose, composite) for the Union IC-LoRA endpoint.

Heavy libraries (torch, transformers, onnxruntime) load lazily, only when a depth or
pose control is actually rendered.
"""

from ltx_serve.control.render import ControlType, render_control
from ltx_serve.control.resolution import ControlSize, auto_control_size
from ltx_serve.control.weights import MissingControlWeights

__all__ = ["ControlSize", "ControlType", "MissingControlWeights", "auto_control_size", "render_control"]
