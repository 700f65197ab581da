"""Our 422 bodies equal what FastAPI itself answers for the same model and payload, i.e. what
a fal app (a FastAPI app) would have sent; fal clients parse exactly that shape."""

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ltx_serve.errors import ValidationFailed
from ltx_serve.schemas import get_endpoint, validate_input

from .conftest import MINIMAL, RV2V_LORA, V2V_22B

BAD_PAYLOADS: list[tuple[str, Any]] = [
    (V2V_22B, {}),
    (V2V_22B, MINIMAL[V2V_22B] | {"num_inference_steps": 51, "video_cfg_scale": 0.5}),
    (V2V_22B, MINIMAL[V2V_22B] | {"scheduler": "euler", "video_size": {"width": -1}}),
    (V2V_22B, MINIMAL[V2V_22B] | {"video_url": "ftp://host/x.mp4", "seed": "abc"}),
    (RV2V_LORA, MINIMAL[RV2V_LORA] | {"loras": [{"path": "https://h/a", "transformer": "text"}] * 4}),
    (RV2V_LORA, MINIMAL[RV2V_LORA] | {"strength": 0, "resolution": "8k"}),
    (RV2V_LORA, ["not", "an", "object"]),
    (RV2V_LORA, "text"),
]


def fastapi_detail(endpoint_id: str, payload: Any) -> list[dict[str, Any]]:
    model = get_endpoint(endpoint_id).input_model
    app = FastAPI()

    @app.post("/run")
    def run(body: model) -> dict[str, str]:  # type: ignore[valid-type]
        return {"ok": "yes"}

    response = TestClient(app).post("/run", json=payload)
    assert response.status_code == 422
    return response.json()["detail"]


@pytest.mark.parametrize(("endpoint_id", "payload"), BAD_PAYLOADS)
def test_422_body_equals_fastapis(endpoint_id: str, payload: Any) -> None:
    with pytest.raises(ValidationFailed) as info:
        validate_input(endpoint_id, payload)
    assert info.value.detail() == fastapi_detail(endpoint_id, payload)
