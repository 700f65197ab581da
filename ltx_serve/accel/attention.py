"""Attention backend choice for the LTX-2.3 transformer, per attention role.

Why per role: diffusers' LTX2 processors route every attention through
`dispatch_attention_fn(..., backend=processor._attention_backend)`, and the fastest kernels
(`flash`, `_flash_3`, `sage`, `_native_flash`) raise "attn_mask is not supported" when a mask
is passed. In `LTX2VideoTransformerBlock` (diffusers 0.42.1):

| module | role | mask it receives |
|---|---|---|
| `attn1` | video self-attention | IC-LoRA guide mask (attention strength < 1), else None |
| `audio_attn1` | audio self-attention | always None |
| `attn2`, `audio_attn2` | text cross-attention | the prompt mask, always passed by our sampler |
| `audio_to_video_attn`, `video_to_audio_attn` | A<->V cross-attention | always None |

The masks are *additive float* biases (0 / -10000, built in the transformer's forward), so the
varlen backends (`flash_varlen`, `_flash_varlen_3`, `sage_varlen`) are out as well: they need a
boolean key mask and keep `key[:len]`, i.e. assume right padding, while Gemma pads on the left.
What remains for masked roles is the SDPA family (`native`, `_native_efficient`,
`_native_math`), `flex` and `xformers`. `_native_cudnn` is deliberately not used with masks:
whether cuDNN SDPA accepts this broadcast bias shape is unverified without a GPU.

In LTX-2.3 the prompt mask reaching the transformer is all ones: the text connectors replace
padding with learnable registers and return an all-valid mask. A sampler that drops an
all-ones mask (`encoder_attention_mask=None`, exactly equivalent: the bias is 0) makes text
cross-attention mask-free; `choose_attention_backend(..., needs_text_mask=False)` then gives
it the fast kernel too.

Masked attention is cheap here (text cross-attention is ~1-3 % of the FLOPs), so the masked
roles get plain `native` SDPA (PyTorch then picks its memory-efficient kernel, which takes the
bias) and the mask-free self-attention, where the N^2 cost is, gets the fastest kernel.

Preference for mask-free roles (first that applies):

1. Hopper (sm 9.x) with FA3 importable (`flash_attn_interface`) -> `_flash_3`;
2. `sageattention` installed and `allow_quantized=True` (opt-in: int8 QK / fp8 PV changes
   numerics; reported *slower* under torch.compile for LTX-2) -> `sage`;
3. sm >= 9.0 with torch >= 2.5 and cuDNN 9 -> `_native_cudnn` (cuDNN SDPA, the fastest PyTorch kernel on
   Hopper; also covers Blackwell, where FA3 does not run);
4. sm 8.x with `flash-attn` >= 2.6.3 -> `flash` (FA2);
5. otherwise (CPU, older GPUs, float32 compute) -> `native`.

Hub-downloaded kernels (`*_hub`) are never chosen: the server runs offline.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum

import torch

logger = logging.getLogger(__name__)

NATIVE = "native"
CUDNN = "_native_cudnn"
FLASH2 = "flash"
FLASH3 = "_flash_3"
SAGE = "sage"
FLEX = "flex"

# Backends whose diffusers dispatcher accepts LTX2's additive float masks.
MASK_CAPABLE = frozenset({NATIVE, "_native_efficient", "_native_math", FLEX, "xformers"})
# Backends whose kernels need bf16/fp16 inputs (diffusers' `_check_qkv_dtype_bf16_or_fp16`).
HALF_ONLY = frozenset({CUDNN, FLASH2, FLASH3, SAGE, "_native_flash"})

FLASH_ATTN_MIN_VERSION = (2, 6, 3)  # diffusers' _REQUIRED_FLASH_VERSION
SAGE_MIN_VERSION = (2, 1, 1)  # diffusers' _REQUIRED_SAGE_VERSION
CUDNN_MIN_VERSION = 90000  # cuDNN 9.0


class Role(StrEnum):
    """What an attention module does, which decides whether it can receive a mask."""

    VIDEO_SELF = "video_self"
    AUDIO_SELF = "audio_self"
    TEXT_CROSS = "text_cross"
    AV_CROSS = "av_cross"


# Leaf module name inside LTX2VideoTransformerBlock -> role.
ROLE_BY_NAME: dict[str, Role] = {
    "attn1": Role.VIDEO_SELF,
    "audio_attn1": Role.AUDIO_SELF,
    "attn2": Role.TEXT_CROSS,
    "audio_attn2": Role.TEXT_CROSS,
    "audio_to_video_attn": Role.AV_CROSS,
    "video_to_audio_attn": Role.AV_CROSS,
}


@dataclass(frozen=True)
class DeviceInfo:
    """What the backend choice depends on; `detect_device_info()` fills it on the real machine."""

    compute_capability: tuple[int, int] | None  # None: no CUDA device (CPU)
    torch_version: tuple[int, int] = (2, 13)
    flash_attn_version: tuple[int, ...] | None = None  # FA2 package `flash-attn`
    has_flash_attn_3: bool = False  # FA3 (`flash_attn_interface`, built from the hopper/ dir)
    sageattention_version: tuple[int, ...] | None = None
    cudnn_version: int | None = 91000  # torch.backends.cudnn.version(); None: no cuDNN
    name: str = "cpu"

    @property
    def is_cuda(self) -> bool:
        return self.compute_capability is not None

    @property
    def has_flash_attn(self) -> bool:
        return self.flash_attn_version is not None and self.flash_attn_version >= FLASH_ATTN_MIN_VERSION

    @property
    def has_cudnn_attention(self) -> bool:
        """cuDNN SDPA in torch >= 2.5 with cuDNN 9 (the fused-attention engine Hopper needs)."""
        return (
            self.cudnn_version is not None
            and self.cudnn_version >= CUDNN_MIN_VERSION
            and (self.torch_version >= (2, 5))
        )

    @property
    def has_sage(self) -> bool:
        return self.sageattention_version is not None and self.sageattention_version >= SAGE_MIN_VERSION


@dataclass(frozen=True)
class AttentionChoice:
    """Backend per role. `video_self` already accounts for a video self-attention mask."""

    video_self: str
    audio_self: str
    text_cross: str
    av_cross: str
    masked: str  # the backend to switch `video_self` to when a request brings a self mask
    reasons: tuple[str, ...] = field(default=())

    def for_role(self, role: Role) -> str:
        return getattr(self, role.value)

    def describe(self) -> str:
        return (
            f"attention: video self {self.video_self}, audio self {self.audio_self}, "
            f"text cross {self.text_cross}, A/V cross {self.av_cross} (masked: {self.masked})"
        )


def _version_tuple(text: str) -> tuple[int, ...]:
    parts: list[int] = []
    for piece in text.split("+", 1)[0].split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def _package_version(dist: str) -> tuple[int, ...] | None:
    try:
        return _version_tuple(importlib.metadata.version(dist))
    except importlib.metadata.PackageNotFoundError:
        return None


def _diffusers_flag(name: str, default: bool) -> bool:
    """diffusers' own import verdict (it disables a backend whose package fails to import)."""
    try:
        from diffusers.models import attention_dispatch
    except ImportError:  # pragma: no cover - diffusers is a hard dependency
        return default
    return bool(getattr(attention_dispatch, name, default))


def detect_device_info(device: torch.device | str = "cuda") -> DeviceInfo:
    """The DeviceInfo of this machine (CPU when CUDA is absent or `device` is not CUDA)."""
    dev = torch.device(device)
    torch_version = _version_tuple(torch.__version__)[:2]
    tv = (*torch_version, 0, 0)[:2]
    if dev.type != "cuda" or not torch.cuda.is_available():
        return DeviceInfo(compute_capability=None, torch_version=tv)
    fa2 = _package_version("flash-attn") if _diffusers_flag("_CAN_USE_FLASH_ATTN", True) else None
    fa3 = importlib.util.find_spec("flash_attn_interface") is not None and _diffusers_flag(
        "_CAN_USE_FLASH_ATTN_3", True
    )
    sage = _package_version("sageattention") if _diffusers_flag("_CAN_USE_SAGE_ATTN", True) else None
    cudnn = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
    return DeviceInfo(
        compute_capability=tuple(torch.cuda.get_device_capability(dev)),  # type: ignore[arg-type]
        torch_version=tv,
        flash_attn_version=fa2,
        has_flash_attn_3=fa3,
        sageattention_version=sage,
        cudnn_version=cudnn,
        name=torch.cuda.get_device_name(dev),
    )


def _fastest_unmasked(info: DeviceInfo, allow_quantized: bool) -> tuple[str, str]:
    cc = info.compute_capability
    if cc is None:
        return NATIVE, "CPU: PyTorch SDPA"
    if cc[0] == 9 and info.has_flash_attn_3:
        return FLASH3, f"sm {cc[0]}.{cc[1]} with FlashAttention 3"
    if allow_quantized and info.has_sage and cc >= (8, 0):
        return SAGE, "SageAttention (quantized attention, opted in)"
    if cc >= (9, 0) and info.has_cudnn_attention:
        return CUDNN, f"sm {cc[0]}.{cc[1]}: cuDNN SDPA (no FA3)"
    if cc >= (8, 0) and info.has_flash_attn:
        return FLASH2, f"sm {cc[0]}.{cc[1]} with flash-attn 2"
    return NATIVE, f"sm {cc[0]}.{cc[1]}: PyTorch SDPA"


def choose_attention_backend(
    device_info: DeviceInfo,
    needs_self_attn_mask: bool,
    *,
    compute_dtype: torch.dtype = torch.bfloat16,
    allow_quantized: bool = False,
    prefer_flex_for_masks: bool = False,
    needs_text_mask: bool = True,
) -> AttentionChoice:
    """The backend per attention role for this device (pure: no CUDA calls).

    `needs_self_attn_mask`: requests may bring a video self-attention mask (IC-LoRA with
    attention strength < 1), so `attn1` must get a mask-capable backend. `needs_text_mask=False`
    only when the sampler passes no prompt mask (see the module docstring). `prefer_flex_for_masks`
    picks `flex` for masked roles; only sensible with torch.compile (flex is slow eager).
    """
    reasons: list[str] = []
    masked = FLEX if prefer_flex_for_masks and device_info.is_cuda else NATIVE
    if compute_dtype not in (torch.bfloat16, torch.float16):
        fast, why = NATIVE, f"{compute_dtype} compute: fused kernels need bf16/fp16"
    else:
        fast, why = _fastest_unmasked(device_info, allow_quantized)
    reasons.append(why)
    if device_info.compute_capability is not None and device_info.compute_capability < (8, 0):
        reasons.append("GPU older than Ampere: no bf16, LTX-2.3 is unsupported")
    masked_roles = [
        r for r, m in (("text cross", needs_text_mask), ("video self", needs_self_attn_mask)) if m
    ]
    reasons.append(f"masked roles ({', '.join(masked_roles) or 'none'}): {masked}")
    return AttentionChoice(
        video_self=masked if needs_self_attn_mask else fast,
        audio_self=fast,
        text_cross=masked if needs_text_mask else fast,
        av_cross=fast,
        masked=masked,
        reasons=tuple(reasons),
    )


def _attention_modules(transformer: torch.nn.Module) -> Iterator[tuple[str, Role, torch.nn.Module]]:
    for name, module in transformer.named_modules():
        role = ROLE_BY_NAME.get(name.rsplit(".", 1)[-1])
        if role is not None and hasattr(module, "processor"):
            yield name, role, module


def _check_usable(backend: str) -> None:
    """diffusers' own package/version check for a backend (RuntimeError if unusable)."""
    from diffusers.models.attention_dispatch import (
        AttentionBackendName,
        _check_attention_backend_requirements,
    )

    _check_attention_backend_requirements(AttentionBackendName(backend))


def apply_attention_backend(
    transformer: torch.nn.Module, choice: AttentionChoice, *, check_requirements: bool = True
) -> dict[str, str]:
    """Set each attention processor's backend by role; returns {module name: backend}.

    Idempotent and cheap (an attribute per processor), but a compiled transformer recompiles
    its blocks the first time it sees a new backend combination.
    """
    from diffusers.models.attention_dispatch import AttentionBackendName

    if check_requirements:
        for backend in {
            choice.video_self,
            choice.audio_self,
            choice.text_cross,
            choice.av_cross,
            choice.masked,
        }:
            _check_usable(backend)
    applied: dict[str, str] = {}
    for name, role, module in _attention_modules(transformer):
        backend = choice.for_role(role)
        module.processor._attention_backend = AttentionBackendName(backend)
        applied[name] = backend
    if not applied:
        raise ValueError(f"{type(transformer).__name__} has no LTX2 attention modules to configure")
    logger.info("%s", choice.describe())
    return applied


@contextmanager
def self_attention_mask_scope(transformer: torch.nn.Module, choice: AttentionChoice) -> Iterator[None]:
    """Within the block, video self-attention uses `choice.masked` (for one masked request).

    For engines that chose with `needs_self_attn_mask=False` and then get an IC-LoRA request
    with attention strength < 1. No-op when `attn1` is already mask-capable.
    """
    from diffusers.models.attention_dispatch import AttentionBackendName

    if choice.video_self in MASK_CAPABLE:
        yield
        return
    saved: list[tuple[torch.nn.Module, object]] = []
    for _name, role, module in _attention_modules(transformer):
        if role is Role.VIDEO_SELF:
            saved.append((module, module.processor._attention_backend))
            module.processor._attention_backend = AttentionBackendName(choice.masked)
    try:
        yield
    finally:
        for module, backend in saved:
            module.processor._attention_backend = backend
