"""The resident model registry: components stay loaded; LoRAs come and go per request/pass.

Lightricks' ModelLedger rebuilds the transformer (and re-fuses LoRAs) on every call; a
server cannot afford that with a 40 GB transformer. `ModelRegistry` keeps one
`LTXComponents` resident and exposes `set_loras({name: scale})`, cheap enough to call
between the two passes of one request (distilled LoRA at 0.2 in pass 1, 0.5 in pass 2; the
IC-LoRA dropped for stage 2). Parsed LoRA state dicts are cached in an LRU bounded in bytes.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from ltx_serve.models import layout
from ltx_serve.models.catalog import FILES, Role
from ltx_serve.models.components import LTXComponents
from ltx_serve.models.errors import LoraFormatError
from ltx_serve.models.lora import LoraTarget, LoraWeights, kohya_table, read_lora
from ltx_serve.models.lora_runtime import LoraMode, LoraRuntime

logger = logging.getLogger(__name__)

DEFAULT_LORA_CACHE_BYTES = 16 << 30


class LoraCache:
    """Parsed LoRAs by name, least recently used evicted first once `max_bytes` is exceeded."""

    def __init__(self, max_bytes: int = DEFAULT_LORA_CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, LoraWeights] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def nbytes(self) -> int:
        return sum(w.nbytes for w in self._items.values())

    def __contains__(self, name: str) -> bool:
        return name in self._items

    def get(self, name: str, load: Callable[[], LoraWeights]) -> LoraWeights:
        with self._lock:
            if name in self._items:
                self._items.move_to_end(name)
                return self._items[name]
        weights = load()
        with self._lock:
            self._items[name] = weights
            self._items.move_to_end(name)
            while self.nbytes > self.max_bytes and len(self._items) > 1:
                evicted, w = self._items.popitem(last=False)
                logger.info(
                    "LoRA cache over %d bytes: dropped %s (%d bytes)", self.max_bytes, evicted, w.nbytes
                )
        return weights


class ModelRegistry:
    """Resident components + named LoRAs. Not thread-safe for sampling: one GPU worker uses it."""

    def __init__(
        self,
        components: LTXComponents,
        *,
        lora_mode: LoraMode = "unfused",
        lora_cache_bytes: int = DEFAULT_LORA_CACHE_BYTES,
        backup_device: str | None = None,
        adapt_connectors: bool = False,
    ) -> None:
        """`adapt_connectors`: also apply LoRA weights that target the text connectors /
        `text_embedding_projection`. Off by default to match ltx-core 1.0.0, whose ModelLedger
        fuses LoRAs into the transformer only (diffusers' LoRA loader would adapt both)."""
        self.components = components
        self.adapt_connectors = adapt_connectors
        self._paths: dict[str, Path] = {}
        self.cache = LoraCache(lora_cache_bytes)
        roots = {"transformer": components.transformer}
        if adapt_connectors:
            roots["connectors"] = components.connectors
        self.runtime = LoraRuntime(
            roots,
            mode=lora_mode,
            backup_device=backup_device,
        )
        self._active: dict[str, float] = {}
        self._kohya: dict[str, LoraTarget] | None = None
        self._transforms: dict[str, Callable[[LoraWeights], LoraWeights]] = {}

    # -- LoRA files -------------------------------------------------------------------------------

    def register_lora(
        self, name: str, path: Path | str, transform: Callable[[LoraWeights], LoraWeights] | None = None
    ) -> None:
        """Make a LoRA file known under `name` (read lazily, on first use).

        `transform` (e.g. keep only the video branch) is applied after every (re)load, so it
        survives the LoRA being evicted from the cache and read again.
        """
        self._paths[name] = Path(path)
        if transform is not None:
            self._transforms[name] = transform
        else:
            self._transforms.pop(name, None)

    def register_catalog_loras(self) -> list[str]:
        """Register the catalog LoRAs present in the weights folder / HF cache under their catalog keys."""
        found = []
        wanted_roles = (Role.DISTILLED_LORA, Role.IC_LORA_UNION, Role.CAMERA_LORA)
        for entry in FILES:
            if entry.role in wanted_roles:
                path = layout.find(entry, self.components.weights_dir)
                if path is not None:
                    self.register_lora(entry.key, path)
                    found.append(entry.key)
        return found

    @property
    def known_loras(self) -> dict[str, Path]:
        return dict(self._paths)

    def kohya_names(self) -> dict[str, LoraTarget]:
        """kohya `lora_unet_` stems -> targets for the loaded modules (for `read_lora`)."""
        if self._kohya is None:
            names = [
                (comp, n)
                for comp, root in self.runtime.components.items()
                for n, m in root.named_modules()
                if m.__class__.__name__ == "Linear"
            ]
            self._kohya = kohya_table(names)
        return self._kohya

    _kohya_names = kohya_names  # kept for callers written against the first draft

    def lora(self, name: str) -> LoraWeights:
        """The parsed LoRA (from the LRU cache, else from disk), validated against the model."""
        if name not in self._paths:
            raise LoraFormatError(f"unknown LoRA {name!r}; registered: {sorted(self._paths)}")

        def load() -> LoraWeights:
            weights = read_lora(self._paths[name], name, kohya_names=self.kohya_names())
            if not self.adapt_connectors:
                dropped = [t for t in weights.pairs if t.component != "transformer"]
                if dropped:
                    logger.info(
                        "LoRA %s: ignoring %d text-connector layers (as ltx-core does)", name, len(dropped)
                    )
                    pairs = {t: ab for t, ab in weights.pairs.items() if t.component == "transformer"}
                    weights = replace(weights, pairs=pairs)
            if name in self._transforms:
                weights = self._transforms[name](weights)
            self.runtime.validate(weights)
            return weights

        return self.cache.get(name, load)

    # -- activation -------------------------------------------------------------------------------

    @property
    def active_loras(self) -> dict[str, float]:
        return dict(self._active)

    def set_loras(self, strengths: Mapping[str, float]) -> None:
        """Activate exactly these LoRAs at these strengths; others are removed. {} = base model."""
        wanted = {n: float(s) for n, s in strengths.items() if s != 0}
        loras = [(self.lora(n), s) for n, s in wanted.items()]
        self.runtime.set(loras)
        self._active = wanted

    def clear_loras(self) -> None:
        self.set_loras({})

    @contextmanager
    def loras(self, strengths: Mapping[str, float]) -> Iterator[None]:
        """`with registry.loras({...}):` — the previous mix is restored afterwards, even on error."""
        previous = self.active_loras
        self.set_loras(strengths)
        try:
            yield
        finally:
            self.set_loras(previous)
