"""Turn an `EngineResult` into the endpoint's output JSON (`{video: VideoFile, seed, prompt}`)
and the job's extras.

The file goes into the file store and the output carries its `/files/` URL, built from the
base URL the job was submitted under (or `public_base_url`). With `sync_mode` the video is
inlined as a data URI instead and nothing is stored, as fal's in-memory repository does.
Extras (stage timings, by-product files such as the control video) are kept apart from the
output, so fal clients see exactly fal's output shape.
"""

from __future__ import annotations

import base64
import logging
from typing import Any

from pydantic import ValidationError

from ltx_serve.engine.protocol import EngineResult, GeneratedVideo
from ltx_serve.schemas import EndpointSpec
from ltx_serve.storage.files import FileStore, guess_content_type, safe_file_name

logger = logging.getLogger(__name__)


def build_output(
    spec: EndpointSpec | None,
    result: EngineResult,
    files: FileStore,
    owner: str,
    base_url: str,
    sync_mode: bool,
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Returns the output JSON and the ids of files it stored (for retention)."""
    video = result.video
    file_ids: tuple[str, ...] = ()
    if sync_mode:
        name, content_type = _name_and_type(video)
        data = video.path.read_bytes()
        url = f"data:{content_type};base64,{base64.b64encode(data).decode('ascii')}"
        video_json = _video_file(video, url, content_type, name, len(data))
    else:
        video_json, file_id = _store(video, files, owner, base_url)
        file_ids = (file_id,)
    output: dict[str, Any] = {
        "video": video_json,
        "seed": result.seed,
        "prompt": result.prompt,
    }
    if spec is not None:
        try:
            output = spec.output_model.model_validate(output).model_dump(mode="json", exclude_none=True)
        except ValidationError:
            logger.exception("engine output does not match %s; answering it unvalidated", spec.output_model)
    return output, file_ids


def build_extras(
    result: EngineResult, files: FileStore, owner: str, base_url: str, sync_mode: bool
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The job's extras JSON and the ids of the by-product files it stored.

    `sync_mode` keeps the request out of the history, so its by-products are not stored.
    """
    extras: dict[str, Any] = {"timings": dict(result.timings)} if result.timings else {}
    file_ids: list[str] = []
    if not sync_mode:
        for key, video in result.extras.items():
            extras[key], file_id = _store(video, files, owner, base_url)
            file_ids.append(file_id)
    return extras, tuple(file_ids)


def _name_and_type(video: GeneratedVideo) -> tuple[str, str]:
    name = safe_file_name(video.file_name or video.path.name, video.content_type)
    return name, guess_content_type(name, video.content_type)


def _store(video: GeneratedVideo, files: FileStore, owner: str, base_url: str) -> tuple[dict[str, Any], str]:
    """Put the file in the file store: its `VideoFile` JSON (a `/files/` URL) and file id."""
    name, content_type = _name_and_type(video)
    stored = files.put_path(video.path, name, content_type, owner)
    return _video_file(video, stored.url(base_url), content_type, stored.name, stored.size), stored.file_id


def _video_file(video: GeneratedVideo, url: str, content_type: str, name: str, size: int) -> dict[str, Any]:
    """fal's `VideoFile` JSON."""
    return {
        "url": url,
        "content_type": content_type,
        "file_name": name,
        "file_size": size,
        "width": video.width,
        "height": video.height,
        "fps": video.fps,
        "duration": video.duration,
        "num_frames": video.num_frames,
    }
