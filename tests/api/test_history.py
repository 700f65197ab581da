"""The request history (`GET /v1/models/requests/by-endpoint`, fal's platform-API shape) and
fal's pricing list (`GET /v1/models/pricing`): what the playground's history, compare view and
bill read."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.api.conftest import ENDPOINT, LiveFactory, wait_ready
from tests.fakes.live import wait_until

HISTORY = "/v1/models/requests/by-endpoint"
REF = "fal-ai/ltx-2.3-quality/reference-video-to-video"


def _upload(client: httpx.Client, path: Path) -> str:
    init = client.post(
        "/rest/storage/upload/initiate", json={"file_name": path.name, "content_type": "video/mp4"}
    ).json()
    assert client.put(init["upload_url"], content=path.read_bytes()).status_code == 200
    return init["file_url"]


def _run(client: httpx.Client, body: dict, endpoint: str = ENDPOINT) -> str:
    submitted = client.post(f"/queue/{endpoint}", json=body).json()
    wait_until(lambda: client.get(submitted["status_url"]).json()["status"] == "COMPLETED", timeout=30)
    return str(submitted["request_id"])


def test_history_pages_newest_first_with_fal_fields(client: httpx.Client, sample_mp4: Path) -> None:
    wait_ready(client)
    video = _upload(client, sample_mp4)
    ids = [_run(client, {"prompt": f"p{i}", "video_url": video, "seed": i}) for i in range(3)]
    first = client.get(HISTORY, params={"limit": 2}).json()
    assert [i["request_id"] for i in first["items"]] == ids[::-1][:2]
    assert first["has_more"] and first["next_cursor"]
    item = first["items"][0]
    assert item["endpoint_id"] == ENDPOINT and item["status"] == "COMPLETED" and item["status_code"] == 200
    assert item["sent_at"] <= item["started_at"] <= item["ended_at"] and item["duration"] > 0
    assert item["metrics"]["megapixels"] > 0 and item["metrics"]["inference_time"] > 0
    assert "json_input" not in item and "billable_units" not in item  # only when expanded
    rest = client.get(HISTORY, params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [i["request_id"] for i in rest["items"]] == ids[:1]
    assert rest == {**rest, "has_more": False, "next_cursor": None}

    full = client.get(HISTORY, params={"request_id": ids[1], "expand": "payloads,billing"}).json()
    (one,) = full["items"]
    assert one["json_input"] == {"prompt": "p1", "video_url": video, "seed": 1}
    assert one["json_output"] == client.get(f"/queue/fal-ai/ltx-2.3-22b/requests/{ids[1]}").json()
    assert one["billable_units"] == 1 and one["extras"]["timings"]


def test_history_filters_by_endpoint_and_refuses_bad_input(client: httpx.Client, sample_mp4: Path) -> None:
    wait_ready(client)
    video = _upload(client, sample_mp4)
    v2v = _run(client, {"prompt": "v", "video_url": video})
    ref = _run(client, {"prompt": "r", "video_url": video}, REF)
    by_ref = client.get(HISTORY, params={"endpoint_id": REF}).json()["items"]
    assert [i["request_id"] for i in by_ref] == [ref]
    both = client.get(HISTORY, params={"endpoint_id": f"{REF},{ENDPOINT}"}).json()["items"]
    assert {i["request_id"] for i in both} == {ref, v2v}
    unknown = client.get(HISTORY, params={"endpoint_id": "fal-ai/nope"})
    assert unknown.status_code == 404 and "Served endpoints" in unknown.json()["detail"]
    bad = client.get(HISTORY, params={"cursor": "not-a-cursor"})
    assert bad.status_code == 400 and "next_cursor" in bad.json()["detail"]
    assert client.get(HISTORY, params={"limit": 0}).status_code == 422


def test_reference_jobs_list_their_control_video_outside_fals_output(
    client: httpx.Client, sample_mp4: Path
) -> None:
    wait_ready(client)
    ref = _run(client, {"prompt": "r", "video_url": _upload(client, sample_mp4)}, REF)
    (item,) = client.get(HISTORY, params={"request_id": ref, "expand": "payloads"}).json()["items"]
    control = item["extras"]["control_video"]
    assert (
        control["file_name"] == "control.mp4"
        and control["num_frames"] == item["json_output"]["video"]["num_frames"]
    )
    served = client.get(control["url"])
    assert served.status_code == 200 and served.headers["content-type"] == "video/mp4"
    assert set(item["json_output"]) == {"video", "seed", "prompt"}


def test_sync_mode_requests_stay_out_of_the_history(client: httpx.Client, sample_mp4: Path) -> None:
    wait_ready(client)
    video = _upload(client, sample_mp4)
    synced = client.post(f"/run/{ENDPOINT}", json={"prompt": "s", "video_url": video, "sync_mode": True})
    assert synced.status_code == 200
    kept = _run(client, {"prompt": "kept", "video_url": video})
    assert [i["request_id"] for i in client.get(HISTORY).json()["items"]] == [kept]
    hidden = synced.headers["x-fal-request-id"]
    assert client.get(HISTORY, params={"request_id": hidden}).json()["items"] == []


def test_each_key_sees_only_its_own_requests(live_factory: LiveFactory, sample_mp4: Path) -> None:
    with live_factory(api_keys=["key-a", "key-b"]) as live:
        a = httpx.Client(base_url=live.base_url, headers={"Authorization": "Key key-a"}, timeout=30)
        b = httpx.Client(base_url=live.base_url, headers={"Authorization": "Key key-b"}, timeout=30)
        with a, b:
            wait_ready(a)
            mine = _run(a, {"prompt": "a", "video_url": _upload(a, sample_mp4)})
            theirs = _run(b, {"prompt": "b", "video_url": _upload(b, sample_mp4)})
            assert [i["request_id"] for i in a.get(HISTORY).json()["items"]] == [mine]
            assert [i["request_id"] for i in b.get(HISTORY).json()["items"]] == [theirs]
            assert a.get(HISTORY, params={"request_id": theirs}).json()["items"] == []
            assert httpx.get(f"{live.base_url}{HISTORY}").status_code == 401


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, {REF: 0.0024075, ENDPOINT: 0.001605}),
        ({"endpoint_id": ENDPOINT}, {ENDPOINT: 0.001605}),
        ({"endpoint_id": "fal-ai/ltx-2.3-quality/audio-to-video"}, {}),  # fal publishes none
    ],
)
def test_pricing_lists_fals_published_prices(client: httpx.Client, query: dict, expected: dict) -> None:
    body = client.get("/v1/models/pricing", params=query).json()
    assert {p["endpoint_id"]: p["unit_price"] for p in body["prices"]} == expected
    assert all(p["unit"] == "megapixels" and p["currency"] == "USD" for p in body["prices"])
    assert body["has_more"] is False
