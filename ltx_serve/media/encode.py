"""Streaming video writer for fal's ``video_output_type`` / ``video_quality`` / ``video_write_mode``.

Frames are pushed in chunks and go to the encoder (and the file) as they arrive: the
writer never holds the whole video. Audio (small: ~0.4 MB per second of float stereo) may
be given at any time; it is interleaved with the video as far as the video has got and the
rest is flushed on close, trimmed or padded with silence to exactly the video's duration
(``round(num_frames / fps * rate)`` samples), so audio and video lengths agree.

Timing is exact: the video time base is ``1/fps`` as a Fraction (23.976 -> 1001/24000),
frame ``i`` has PTS ``i``; audio sample ``n`` has PTS ``n`` in ``1/rate``, so the encoder's
priming samples (AAC: 1024) fall before 0 and the muxer's edit list hides them (no A/V
offset). GIF stores delays in 1/100 s, so its PTS are rounded to
centiseconds (accumulated, so there is no drift) and its fps is only approximate.

Encoder settings, THE table (video_quality -> rate control; video_write_mode -> speed/size):

=================  ===============================  ==================================  ==============
video_output_type  video_quality                    video_write_mode                    audio
                   low / medium / high / maximum    fast / balanced / small             (per quality)
=================  ===============================  ==================================  ==============
X264 (.mp4)        CRF 28 / 23 / 18 / 12;           preset veryfast / medium / slow     AAC 96 / 128 /
                   profile high, yuv420p, BT.709    with CRF + 3                        192 / 256 kb/s
VP9 (.webm)        CRF 40 / 34 / 28 / 20 with b:v   deadline realtime + cpu-used 8 /    Opus 64 / 96 /
                   0 (constant quality), yuv420p    good + cpu-used 4 / good +          128 / 192 kb/s
                                                    cpu-used 2 with CRF + 4
PRORES4444 (.mov)  profile 4444 + quant_mat lt /    n/a: intra-only, no speed/size      PCM s16le
                   standard / auto; 4444xq at max;  knob
                   yuva444p10le, alpha opaque
GIF (.gif)         per-frame palette of 32 / 64 /   octree, no dither / median cut +    none (GIF has
                   128 / 256 colours                Floyd-Steinberg dither / octree,    no audio)
                                                    no dither, at most 64 colours
=================  ===============================  ==================================  ==============

Reproducible H.264: on CPUs with AVX-512, libx264 (as bundled with PyAV) sometimes codes the
same input differently from one encode to the next, because an AVX-512 routine reads heap
memory nobody initialised (measured: the same 9 frames gave two bitstreams, 274 / 26 of 300
encodes, and glibc's MALLOC_PERTURB_ alone picked the variant; with x264's AVX-512 off, 300 /
300 identical, at no measurable speed cost on 121 frames of 720p). So where the CPU has
AVX-512 the writer limits x264 to its AVX2 code (`x264_cpu_options`); elsewhere x264 never
takes that path and keeps its own CPU detection.

Odd sizes: yuv420p H.264 needs even dimensions; an odd width/height is padded by one
replicated edge row/column (nothing is lost; the reported size is the encoded one). VP9,
ProRes 4444 and GIF keep odd sizes.
"""

from __future__ import annotations

import functools
import logging
import types
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import av
import numpy as np

from ltx_serve.media.audio import fit_length
from ltx_serve.media.timing import as_fraction

if TYPE_CHECKING:
    from ltx_serve.engine.protocol import GeneratedVideo

logger = logging.getLogger(__name__)

OutputType = Literal["X264 (.mp4)", "VP9 (.webm)", "PRORES4444 (.mov)", "GIF (.gif)"]
Quality = Literal["low", "medium", "high", "maximum"]
WriteMode = Literal["fast", "balanced", "small"]
QUALITIES: tuple[str, ...] = ("low", "medium", "high", "maximum")
CRF_DELTA = "crf_delta"  # pseudo-option: added to the quality's CRF (write_mode "small")
WRITE_MODES: tuple[str, ...] = ("fast", "balanced", "small")


@dataclass(frozen=True)
class Format:
    """One ``video_output_type``: container, codecs and the settings table row."""

    container: str
    extension: str
    content_type: str
    video_codec: str
    pix_fmt: str
    audio_codec: str | None
    even_size: bool
    quality: dict[str, dict[str, str]]  # video_quality -> encoder options
    write_mode: dict[str, dict[str, str]]  # video_write_mode -> encoder options
    audio_bitrate: dict[str, int]  # video_quality -> bits/s (0 = codec default / PCM)
    audio_rate: int | None = None  # forced sample rate (Opus is 48 kHz only)


FORMATS: dict[str, Format] = {
    "X264 (.mp4)": Format(
        "mp4",
        ".mp4",
        "video/mp4",
        "libx264",
        "yuv420p",
        "aac",
        True,
        quality={
            q: {"crf": c, "profile": "high"} for q, c in zip(QUALITIES, ("28", "23", "18", "12"), strict=True)
        },
        write_mode={
            "fast": {"preset": "veryfast"},
            "balanced": {"preset": "medium"},
            "small": {"preset": "slow", CRF_DELTA: "3"},
        },
        audio_bitrate=dict(zip(QUALITIES, (96_000, 128_000, 192_000, 256_000), strict=True)),
    ),
    "VP9 (.webm)": Format(
        "webm",
        ".webm",
        "video/webm",
        "libvpx-vp9",
        "yuv420p",
        "libopus",
        False,
        quality={q: {"crf": c, "b": "0"} for q, c in zip(QUALITIES, ("40", "34", "28", "20"), strict=True)},
        write_mode={
            "fast": {"deadline": "realtime", "cpu-used": "8", "row-mt": "1"},
            "balanced": {"deadline": "good", "cpu-used": "4", "row-mt": "1"},
            "small": {"deadline": "good", "cpu-used": "2", "row-mt": "1", CRF_DELTA: "4"},
        },
        audio_bitrate=dict(zip(QUALITIES, (64_000, 96_000, 128_000, 192_000), strict=True)),
        audio_rate=48_000,
    ),
    "PRORES4444 (.mov)": Format(
        "mov",
        ".mov",
        "video/quicktime",
        "prores_ks",
        "yuva444p10le",
        "pcm_s16le",
        False,
        quality={
            "low": {"profile": "4444", "quant_mat": "lt"},
            "medium": {"profile": "4444", "quant_mat": "standard"},
            "high": {"profile": "4444", "quant_mat": "auto"},
            "maximum": {"profile": "4444xq", "quant_mat": "auto"},
        },
        write_mode={m: {} for m in WRITE_MODES},
        audio_bitrate=dict.fromkeys(QUALITIES, 0),
    ),
    "GIF (.gif)": Format(
        "gif",
        ".gif",
        "image/gif",
        "gif",
        "pal8",
        None,
        False,
        quality={q: {"colors": c} for q, c in zip(QUALITIES, ("32", "64", "128", "256"), strict=True)},
        write_mode={
            "fast": {"quantizer": "octree", "dither": "none"},
            "balanced": {"quantizer": "mediancut", "dither": "floyd"},
            "small": {"quantizer": "octree", "dither": "none", "max_colors": "64"},
        },
        audio_bitrate=dict.fromkeys(QUALITIES, 0),
    ),
}


def get_format(output_type: str) -> Format:
    try:
        return FORMATS[output_type]
    except KeyError:
        raise ValueError(f"unknown video_output_type {output_type!r}; one of {sorted(FORMATS)}") from None


@dataclass(frozen=True)
class EncodedVideo:
    """What fal's ``VideoFile`` reports about a written file."""

    path: Path
    content_type: str
    width: int
    height: int
    fps: float
    num_frames: int
    duration: float
    file_size: int
    has_audio: bool

    @property
    def file_name(self) -> str:
        return self.path.name

    def to_generated(self) -> GeneratedVideo:
        """The engine seam's ``GeneratedVideo`` for this file."""
        from ltx_serve.engine.protocol import GeneratedVideo

        return GeneratedVideo(
            path=self.path,
            content_type=self.content_type,
            width=self.width,
            height=self.height,
            fps=self.fps,
            num_frames=self.num_frames,
            duration=self.duration,
            has_audio=self.has_audio,
            file_name=self.file_name,
        )


@functools.cache
def x264_cpu_options(cpuinfo: str = "/proc/cpuinfo") -> dict[str, str]:
    """x264 options that keep its output reproducible on this CPU (see the module docstring).

    With AVX-512 present (x264 needs F, BW, DQ, CD and VL for it) x264 is told to use the
    AVX2 family, which such a CPU always has, and 64-byte cache lines, which x264 would
    detect; without AVX-512 (or off Linux/x86) x264 keeps its own detection: forcing a
    set the CPU lacks would crash it.
    """
    try:
        with open(cpuinfo, encoding="ascii", errors="replace") as fh:
            flags = next((line.split(":", 1)[1].split() for line in fh if line.startswith("flags")), [])
    except OSError:
        return {}
    if {"avx512f", "avx512bw", "avx512dq", "avx512cd", "avx512vl"} <= set(flags):
        return {"x264-params": "asm=AVX2,Cache64"}
    return {}


class VideoWriter:
    """Context manager that encodes pushed RGB frame chunks straight to ``path``.

    ``audio_sample_rate`` set -> the file gets an audio track (``generate_audio=True``);
    None -> video only. On an exception inside the ``with`` block the partial file is removed.
    """

    def __init__(
        self,
        path: Path,
        *,
        width: int,
        height: int,
        fps: float | Fraction,
        output_type: str = "X264 (.mp4)",
        quality: str = "high",
        write_mode: str = "balanced",
        audio_sample_rate: int | None = None,
    ) -> None:
        self.fmt = get_format(output_type)
        if quality not in QUALITIES or write_mode not in WRITE_MODES:
            raise ValueError(f"video_quality in {QUALITIES} and video_write_mode in {WRITE_MODES}")
        if width < 1 or height < 1:
            raise ValueError("width and height must be positive")
        self.path = Path(path)
        self.fps = as_fraction(fps)
        self.width, self.height = width, height
        pad_w, pad_h = (width % 2, height % 2) if self.fmt.even_size else (0, 0)
        self._pad = (pad_h, pad_w)
        self.out_width, self.out_height = width + pad_w, height + pad_h
        self._quality, self._mode = quality, write_mode
        self._num_frames = 0
        self._audio: np.ndarray | None = None
        self._audio_rate = 0
        self._audio_sent = 0
        self._closed = False
        self._result: EncodedVideo | None = None
        self._container = av.open(
            str(self.path), mode="w", format=self.fmt.container, options=self._muxer_options()
        )
        try:
            self._video = self._add_video_stream()
            self._audio_stream = None
            if audio_sample_rate is not None and self.fmt.audio_codec is not None:
                self._audio_stream = self._add_audio_stream(audio_sample_rate)
        except Exception:
            self._container.close()
            self.path.unlink(missing_ok=True)
            raise

    # -- setup ---------------------------------------------------------------------------------
    def _muxer_options(self) -> dict[str, str]:
        if self.fmt.container == "mp4":
            return {"movflags": "+faststart"}
        if self.fmt.container == "gif":
            return {"loop": "0"}
        return {}

    def _add_video_stream(self) -> Any:
        fmt = self.fmt
        if fmt.video_codec == "gif":
            stream = self._container.add_stream("gif", rate=self.fps)
            stream.codec_context.time_base = Fraction(1, 100)
            self._gif = fmt.quality[self._quality] | fmt.write_mode[self._mode]
        else:
            opts = fmt.quality[self._quality] | fmt.write_mode[self._mode]
            if fmt.video_codec == "libx264":
                opts |= x264_cpu_options()
            if CRF_DELTA in opts:
                opts["crf"] = str(int(opts["crf"]) + int(opts.pop(CRF_DELTA)))
            stream = self._container.add_stream(fmt.video_codec, rate=self.fps, options=opts)
            stream.codec_context.time_base = 1 / self.fps
        stream.width, stream.height = self.out_width, self.out_height
        stream.pix_fmt = fmt.pix_fmt
        if fmt.pix_fmt.startswith("yuv"):
            ctx = stream.codec_context
            ctx.colorspace, ctx.color_primaries, ctx.color_trc = 1, 1, 1  # BT.709
            ctx.color_range = 1  # limited ("tv") range, what players expect
        return stream

    def _add_audio_stream(self, sample_rate: int) -> Any:
        fmt = self.fmt
        assert fmt.audio_codec is not None
        rate = fmt.audio_rate or sample_rate
        stream = self._container.add_stream(fmt.audio_codec, rate=rate, layout="stereo")
        bitrate = fmt.audio_bitrate[self._quality]
        if bitrate:
            stream.codec_context.bit_rate = bitrate
        return stream

    # -- frames --------------------------------------------------------------------------------
    def write(self, frames: np.ndarray) -> None:
        """Encode one frame [H, W, 3] or a chunk [F, H, W, 3] of uint8 RGB frames."""
        if self._closed:
            raise RuntimeError("writer is closed")
        arr = np.asarray(frames)
        if arr.ndim == 3:
            arr = arr[None]
        if arr.ndim != 4 or arr.shape[1:] != (self.height, self.width, 3):
            raise ValueError(f"expected frames [F, {self.height}, {self.width}, 3], got {arr.shape}")
        if arr.dtype != np.uint8:
            raise ValueError(f"expected uint8 frames, got {arr.dtype}")
        for rgb in arr:
            self._encode_frame(rgb)
        self._flush_audio(final=False)

    def _encode_frame(self, rgb: np.ndarray) -> None:
        if self._pad != (0, 0):
            rgb = np.pad(rgb, ((0, self._pad[0]), (0, self._pad[1]), (0, 0)), mode="edge")
        if self.fmt.video_codec == "gif":
            frame = self._gif_frame(rgb)
            frame.pts = round(self._num_frames * 100 / self.fps)
            frame.time_base = Fraction(1, 100)
        else:
            if self.fmt.pix_fmt.startswith("yuva"):
                rgba = np.concatenate([rgb, np.full((*rgb.shape[:2], 1), 255, np.uint8)], axis=2)
                frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgba), format="rgba")
            else:
                frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            frame = frame.reformat(format=self.fmt.pix_fmt, dst_colorspace="itu709", dst_color_range="MPEG")
            frame.pts = self._num_frames
            frame.time_base = 1 / self.fps
        for packet in self._video.encode(frame):
            self._container.mux(packet)
        self._num_frames += 1

    def _gif_frame(self, rgb: np.ndarray) -> av.VideoFrame:
        from PIL import Image

        colors = min(int(self._gif["colors"]), int(self._gif.get("max_colors", 256)))
        method = Image.Quantize.FASTOCTREE if self._gif["quantizer"] == "octree" else Image.Quantize.MEDIANCUT
        dither = Image.Dither.FLOYDSTEINBERG if self._gif["dither"] == "floyd" else Image.Dither.NONE
        image = Image.fromarray(rgb)
        quant = image.quantize(colors=colors, method=method, dither=Image.Dither.NONE)
        if dither != Image.Dither.NONE:  # PIL only dithers when mapping onto a given palette
            quant = image.quantize(palette=quant, dither=dither)
        rgb_pal = np.zeros((256, 3), np.uint8)
        raw = np.frombuffer(bytes(quant.getpalette() or []), np.uint8)
        raw = raw[: (len(raw) // 3) * 3].reshape(-1, 3)[:256]
        rgb_pal[: len(raw)] = raw
        palette = np.concatenate([np.full((256, 1), 255, np.uint8), rgb_pal], axis=1)  # ARGB
        return av.VideoFrame.from_ndarray((np.asarray(quant, np.uint8), palette), format="pal8")

    # -- audio ---------------------------------------------------------------------------------
    def write_audio(self, samples: np.ndarray, sample_rate: int) -> None:
        """Give the soundtrack ([C, N] or [N] float in [-1, 1], C = 1 or 2); once per file.

        Ignored (with a debug log) when the writer has no audio track.
        """
        if self._audio_stream is None:
            logger.debug("writer has no audio track; dropping %s samples", np.shape(samples))
            return
        if self._audio is not None:
            raise RuntimeError("audio was already given")
        arr = np.asarray(samples, dtype=np.float32)
        if arr.ndim == 1:
            arr = arr[None]
        if arr.shape[0] == 1:
            arr = np.repeat(arr, 2, axis=0)
        if arr.ndim != 2 or arr.shape[0] != 2:
            raise ValueError(f"expected audio [1|2, N], got {np.shape(samples)}")
        self._audio = np.ascontiguousarray(np.clip(arr, -1.0, 1.0))
        self._audio_rate = int(sample_rate)
        self._flush_audio(final=False)

    def _flush_audio(self, *, final: bool) -> None:
        if self._audio_stream is None:
            return
        if self._audio is None:
            if not final:
                return
            logger.warning("audio track requested but no audio given; writing silence")
            self._audio, self._audio_rate = np.zeros((2, 0), np.float32), self._audio_stream.rate
        rate = self._audio_rate
        total = round(self._num_frames / self.fps * rate)
        if final:
            self._audio = fit_length(self._audio, total)
        end = min(total, self._audio.shape[1])
        step = rate  # one second per frame object keeps memory flat
        while self._audio_sent < end:
            stop = min(end, self._audio_sent + step)
            chunk = np.ascontiguousarray(self._audio[:, self._audio_sent : stop])
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            frame.sample_rate = rate
            # Explicit PTS from 0: the encoder then stamps its priming samples (AAC: 1024) before
            # 0 and the muxer writes an edit list that hides them, keeping A/V in sync.
            frame.pts = self._audio_sent
            frame.time_base = Fraction(1, rate)
            for packet in self._audio_stream.encode(frame):
                self._container.mux(packet)
            self._audio_sent = stop
        if final:
            for packet in self._audio_stream.encode(None):
                self._container.mux(packet)

    # -- lifecycle -----------------------------------------------------------------------------
    def close(self) -> EncodedVideo:
        """Flush encoders, finish the file and describe it."""
        if self._result is not None:
            return self._result
        if self._num_frames == 0:
            self.abort()
            raise ValueError("no frames were written")
        for packet in self._video.encode(None):
            self._container.mux(packet)
        self._flush_audio(final=True)
        self._container.close()
        self._closed = True
        self._result = EncodedVideo(
            path=self.path,
            content_type=self.fmt.content_type,
            width=self.out_width,
            height=self.out_height,
            fps=float(self.fps),
            num_frames=self._num_frames,
            duration=self._num_frames / float(self.fps),
            file_size=self.path.stat().st_size,
            has_audio=self._audio_stream is not None,
        )
        return self._result

    def abort(self) -> None:
        """Stop and delete the partial file."""
        if not self._closed:
            self._closed = True
            try:
                self._container.close()
            except av.FFmpegError:  # pragma: no cover - closing a half-written file
                logger.debug("error closing aborted writer", exc_info=True)
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: types.TracebackType | None
    ) -> None:
        if exc_type is not None:
            self.abort()
        else:
            self.close()

    @property
    def result(self) -> EncodedVideo:
        if self._result is None:
            raise RuntimeError("the writer has not been closed yet")
        return self._result
