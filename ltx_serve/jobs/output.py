"""Turn an `EngineResult` into the endpoint's output JSON (`{video: VideoFile, seed, prompt}`).

The file goes into the file store and the output carries its `/files/` URL, built from the
base URL the job was submitted under (or `public_base_url`). With `sync_mode` the video is
inlined as a data URI instead and nothing is stored, as fal's in-memory repository does.
"""

from __future__ import annotations

import base64
import logging
from typing import Any

from pydantic import ValidationError

from ltx_serve.engine.protocol import EngineResult
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
    name = safe_file_name(video.file_name or video.path.name, video.content_type)
    content_type = guess_content_type(name, video.content_type)
    file_ids: tuple[str, ...] = ()
    if sync_mode:
        data = video.path.read_bytes()
        url = f"data:{content_type};base64,{base64.b64encode(data).decode('ascii')}"
        size = len(data)
    else:
        stored = files.put_path(video.path, name, content_type, owner)
        url, size, name, file_ids = stored.url(base_url), stored.size, stored.name, (stored.file_id,)
    output: dict[str, Any] = {
        "video": {
            "url": url,
            "content_type": content_type,
            "file_name": name,
            "file_size": size,
            "width": video.width,
            "height": video.height,
            "fps": video.fps,
            "duration": video.duration,
            "num_frames": video.num_frames,
        },
        "seed": result.seed,
        "prompt": result.prompt,
    }
    if spec is not None:
        try:
            output = spec.output_model.model_validate(output).model_dump(mode="json", exclude_none=True)
        except ValidationError:
            logger.exception("engine output does not match %s; answering it unvalidated", spec.output_model)
    return output, file_ids
