"""Tiny random-weight control models built from configs (no download), for tests and benchmarks.

* Depth: a 2-layer ``DepthAnythingForDepthEstimation`` (DINOv2 backbone) saved with its
  image processor, laid out like ``Depth-Anything-V2-Small-hf/``.
* Pose: ONNX graphs with the exact input/output names and shapes of DWPose's
  ``yolox_l.onnx`` (images [1,3,640,640] -> output [1,8400,85]) and
  ``dw-ll_ucoco_384.onnx`` (input [1,3,384,288] -> simcc_x [1,133,576], simcc_y [1,133,768]),
  built with the ``onnx`` helper API. Either random convolutions (for throughput) or
  "rigged": a fixed output planted in the graph, so a test knows exactly which box and which
  keypoints the pipeline must recover.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

DET_SIZE = 640
DET_ANCHORS = 8400
POSE_H, POSE_W = 384, 288
NUM_KPTS = 133
SIMCC_RATIO = 2


def build_tiny_depth(folder: Path, *, image_size: int = 518, seed: int = 0) -> Path:
    """Save a tiny Depth Anything model + processor to ``folder`` and return it."""
    import torch
    from transformers import (
        DepthAnythingConfig,
        DepthAnythingForDepthEstimation,
        Dinov2Config,
        DPTImageProcessor,
    )

    torch.manual_seed(seed)
    backbone = Dinov2Config(
        hidden_size=32,
        num_hidden_layers=4,
        num_attention_heads=2,
        intermediate_size=64,
        patch_size=14,
        image_size=image_size,
        out_features=["stage1", "stage2", "stage3", "stage4"],
        reshape_hidden_states=False,
    )
    config = DepthAnythingConfig(
        backbone_config=backbone,
        reassemble_hidden_size=32,
        neck_hidden_sizes=[8, 16, 32, 32],
        fusion_hidden_size=16,
        head_hidden_size=8,
        depth_estimation_type="relative",
    )
    model = DepthAnythingForDepthEstimation(config).eval()
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    DPTImageProcessor(
        do_resize=True,
        size={"height": image_size, "width": image_size},
        keep_aspect_ratio=True,
        ensure_multiple_of=14,
        resample=3,
        do_rescale=True,
        do_normalize=True,
        image_mean=[0.485, 0.456, 0.406],
        image_std=[0.229, 0.224, 0.225],
        do_pad=False,
    ).save_pretrained(folder)
    return folder


def _save(graph, path: Path) -> Path:  # type: ignore[no-untyped-def]
    import onnx
    from onnx import helper

    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def _constant_graph(name: str, inputs: list, outputs: dict[str, np.ndarray]):  # type: ignore[no-untyped-def]
    """out_k = const_k + 0 * mean(input): the input is used, the output is planted."""
    from onnx import TensorProto, helper, numpy_helper

    nodes = [
        helper.make_node("ReduceMean", [inputs[0].name], ["m"], keepdims=1),
        helper.make_node("Mul", ["m", "zero"], ["z"]),
    ]
    inits = [numpy_helper.from_array(np.zeros((1, 1, 1, 1), np.float32), "zero")]
    outs = []
    for key, value in outputs.items():
        inits.append(numpy_helper.from_array(value.astype(np.float32), f"{key}_c"))
        nodes.append(helper.make_node("Reshape", ["z", f"{key}_s"], [f"{key}_z"]))
        inits.append(numpy_helper.from_array(np.array([1] * value.ndim, np.int64), f"{key}_s"))
        nodes.append(helper.make_node("Add", [f"{key}_c", f"{key}_z"], [key]))
        outs.append(helper.make_tensor_value_info(key, TensorProto.FLOAT, list(value.shape)))
    return helper.make_graph(nodes, name, inputs, outs, inits)


def build_rigged_yolox(path: Path, boxes: list[tuple[float, float, float, float, float]]) -> Path:
    """A detector that always reports ``boxes`` (x0, y0, x1, y1, score) in 640x640 input pixels.

    Each box is planted in a stride-32 anchor near its centre, in YOLOX's raw (pre-grid)
    encoding, with objectness = score and person class probability 1.
    """
    from onnx import TensorProto, helper

    out = np.zeros((1, DET_ANCHORS, 85), np.float32)
    offset = 80 * 80 + 40 * 40  # stride-32 anchors start here
    for x0, y0, x1, y1, score in boxes:
        cx, cy, w, h = (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0
        gx, gy = int(cx // 32), int(cy // 32)
        row = out[0, offset + gy * 20 + gx]
        if row[4]:
            raise ValueError("two rigged boxes share a stride-32 anchor; move one by >= 32 px")
        row[0], row[1] = cx / 32 - gx, cy / 32 - gy
        row[2], row[3] = np.log(w / 32), np.log(h / 32)
        row[4], row[5] = score, 1.0
    images = helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, DET_SIZE, DET_SIZE])
    return _save(_constant_graph("rigged_yolox", [images], {"output": out}), path)


def build_rigged_rtmpose(path: Path, keypoints: np.ndarray, scores: np.ndarray) -> Path:
    """A pose model whose SimCC peaks sit at ``keypoints`` ([133, 2] in 288x384 input pixels).

    Peak height = score; everything else 0 (so the decoded confidence equals ``score``).
    """
    from onnx import TensorProto, helper

    sx = np.zeros((1, NUM_KPTS, POSE_W * SIMCC_RATIO), np.float32)
    sy = np.zeros((1, NUM_KPTS, POSE_H * SIMCC_RATIO), np.float32)
    for k, ((x, y), s) in enumerate(zip(keypoints, scores, strict=True)):
        sx[0, k, round(x * SIMCC_RATIO)] = s
        sy[0, k, round(y * SIMCC_RATIO)] = s
    inp = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, POSE_H, POSE_W])
    return _save(_constant_graph("rigged_rtmpose", [inp], {"simcc_x": sx, "simcc_y": sy}), path)


def _conv_branch(nodes: list, inits: list, src: str, tag: str, out_ch: int, stride: int, rng) -> str:  # type: ignore[no-untyped-def]
    from onnx import helper, numpy_helper

    w = rng.normal(0, 0.02, (out_ch, 3, stride, stride)).astype(np.float32)
    inits.append(numpy_helper.from_array(w, f"{tag}_w"))
    nodes.append(helper.make_node("Conv", [src, f"{tag}_w"], [f"{tag}_c"], strides=[stride, stride]))
    return f"{tag}_c"


def build_random_yolox(path: Path, seed: int = 0) -> Path:
    """Random YOLOX-shaped detector: three strided convs (8/16/32) -> [1, 8400, 85]."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    nodes: list = []
    inits: list = [numpy_helper.from_array(np.array([1, 85, -1], np.int64), "flat")]
    flats = []
    for stride in (8, 16, 32):
        conv = _conv_branch(nodes, inits, "images", f"s{stride}", 85, stride, rng)
        nodes.append(helper.make_node("Reshape", [conv, "flat"], [f"s{stride}_f"]))
        flats.append(f"s{stride}_f")
    nodes.append(helper.make_node("Concat", flats, ["cat"], axis=2))
    nodes.append(helper.make_node("Transpose", ["cat"], ["t"], perm=[0, 2, 1]))
    nodes.append(helper.make_node("Sigmoid", ["t"], ["output"]))
    graph = helper.make_graph(
        nodes,
        "random_yolox",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, DET_SIZE, DET_SIZE])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, DET_ANCHORS, 85])],
        inits,
    )
    return _save(graph, path)


def build_random_rtmpose(path: Path, seed: int = 0) -> Path:
    """Random RTMPose-shaped model: strided conv + linear heads -> SimCC x/y logits."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    nodes: list = []
    inits: list = []
    conv = _conv_branch(nodes, inits, "input", "stem", NUM_KPTS, 32, rng)  # [1,133,12,9]
    inits.append(numpy_helper.from_array(np.array([1, NUM_KPTS, 108], np.int64), "flat"))
    nodes.append(helper.make_node("Reshape", [conv, "flat"], ["feat"]))
    for name, width in (("simcc_x", POSE_W * SIMCC_RATIO), ("simcc_y", POSE_H * SIMCC_RATIO)):
        inits.append(
            numpy_helper.from_array(rng.normal(0, 0.1, (108, width)).astype(np.float32), f"{name}_w")
        )
        nodes.append(helper.make_node("MatMul", ["feat", f"{name}_w"], [name]))
    graph = helper.make_graph(
        nodes,
        "random_rtmpose",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, POSE_H, POSE_W])],
        [
            helper.make_tensor_value_info("simcc_x", TensorProto.FLOAT, [1, NUM_KPTS, POSE_W * SIMCC_RATIO]),
            helper.make_tensor_value_info("simcc_y", TensorProto.FLOAT, [1, NUM_KPTS, POSE_H * SIMCC_RATIO]),
        ],
        inits,
    )
    return _save(graph, path)
