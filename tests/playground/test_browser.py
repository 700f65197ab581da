"""The playground in Debian's Chromium against the fake engine: forms generated for every
endpoint (and for a schema the page has never seen), labels on every control, nothing loaded
from anywhere but this server, "use these settings", cancel, and a server with API keys."""

from __future__ import annotations

import base64
import importlib
import io
import pkgutil
from pathlib import Path

import httpx
from pydantic import Field

from ltx_serve.app import create_app
from ltx_serve.schemas import EndpointSpec
from ltx_serve.schemas.common import FalBaseModel, LoRAInput, MediaUrl, SizeSpec, VideoOutput, VideoQuality
from ltx_serve.schemas.openapi import queue_openapi_document
from tests.api.conftest import make_settings
from tests.browser import UNLABELLED_JS, Watched, screenshot
from tests.fakes.engine import FakeEngine
from tests.fakes.live import Live, serve_in_thread
from tests.playground.conftest import KEYS, open_playground, upload

V2V = "fal-ai/ltx-2.3-22b/video-to-video"


def test_every_served_endpoint_gets_a_complete_labelled_form(live: Live, watched: Watched) -> None:
    page = open_playground(watched, live.base_url)
    models = httpx.get(f"{live.base_url}/v1/models", params={"expand": "openapi-3.0"}).json()["models"]
    options = page.eval_on_selector_all("#endpoint option", "os => os.map(o => o.value)")
    assert options == [m["endpoint_id"] for m in models]
    for model in models:
        page.select_option("#endpoint", model["endpoint_id"])
        doc = model["openapi"]
        ref = doc["paths"][f"/{model['endpoint_id']}"]["post"]["requestBody"]["content"]["application/json"]
        schema = doc["components"]["schemas"][ref["schema"]["$ref"].rsplit("/", 1)[-1]]
        shown = page.eval_on_selector_all("#fields > .fields > .field", "fs => fs.map(f => f.dataset.field)")
        assert shown == schema["x-fal-order-properties"], model["endpoint_id"]
        assert page.evaluate(UNLABELLED_JS) == [], model["endpoint_id"]
        # the required fields are marked, the defaults filled in
        for name in schema.get("required", []):
            assert page.locator(f"#fields [data-field={name}] > .label .required").count() == 1
    assert watched.errors == []


def _spec(endpoint_id: str, model: type[FalBaseModel]) -> EndpointSpec:
    """A registry entry the server does not serve: its queue document is all the page gets."""
    return EndpointSpec(
        endpoint_id=endpoint_id,
        input_model=model,
        output_model=VideoOutput,
        display_name=endpoint_id,
        category="pending",
        description="",
        price_per_megapixel=None,
        price_source=None,
    )


class _NewEndpointInput(FalBaseModel):
    """Field kinds no served endpoint has yet: the page must still render every one."""

    prompt: str = Field(description="What to make.")
    image_urls: list[MediaUrl] = Field(default_factory=list, description="Reference images.")
    audio_url: MediaUrl | None = Field(None, description="A soundtrack.")
    image_size: SizeSpec = Field("square_hd", description="Output size.")
    quality: VideoQuality = VideoQuality.HIGH
    loras: list[LoRAInput] = Field(default_factory=list, max_length=2)
    guidance: float = Field(3.5, ge=0, le=10)
    steps: int = Field(28, ge=1)
    extra: dict[str, int] = Field(default_factory=dict, description="Anything else.")


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 40, 40)).save(buf, format="PNG")
    return buf.getvalue()


def test_a_new_endpoint_schema_renders_with_no_change_to_the_page(live: Live, watched: Watched) -> None:
    spec = _spec("fal-ai/some-future/text-to-video", _NewEndpointInput)
    doc = queue_openapi_document(spec, live.base_url)
    page = open_playground(watched, live.base_url)
    png = "data:image/png;base64," + base64.b64encode(_png()).decode()
    kinds = page.evaluate(
        """async ([doc, id, png]) => {
            const schema = await import('/playground/static/js/schema.js');
            const { Form } = await import('/playground/static/js/form.js');
            const fields = schema.objectFields(doc, schema.inputSchema(doc, id));
            const form = new Form(fields);
            document.querySelector('#fields').replaceChildren(form.el);
            form.set({ prompt: 'p', image_urls: [png],
                       loras: [{ path: 'https://a.example/l.safetensors' }] });
            const kind = (f) => f.kind + (f.media ? ':' + f.media : '');
            return { kinds: Object.fromEntries(fields.map((f) => [f.name, kind(f)])),
                     item: fields.find((f) => f.name === 'image_urls').item.media,
                     values: form.values() };
        }""",
        [doc, spec.endpoint_id, png],
    )
    assert kinds["kinds"] == {
        "prompt": "textarea",
        "image_urls": "list",
        "audio_url": "media:audio",
        "image_size": "size",
        "quality": "enum",
        "loras": "list",
        "guidance": "range",
        "steps": "number",
        "extra": "json",
    }
    assert kinds["item"] == "image"
    assert kinds["values"] == {
        "prompt": "p",
        "image_urls": [png],
        "loras": [{"path": "https://a.example/l.safetensors", "scale": 1, "transformer": "both"}],
    }
    assert page.evaluate(UNLABELLED_JS) == []
    assert watched.errors == []


def _endpoint_inputs() -> dict[str, type[FalBaseModel]]:
    """Every endpoint Input model in `ltx_serve.schemas`, served yet or not."""
    import ltx_serve.schemas as package

    found: dict[str, type[FalBaseModel]] = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"ltx_serve.schemas.{info.name}")
        for name, obj in vars(module).items():
            if (
                isinstance(obj, type)
                and issubclass(obj, FalBaseModel)
                and name.endswith("Input")
                and obj.__module__ == module.__name__
                and "prompt" in obj.model_fields
            ):
                found[name] = obj
    return found


RENDER_JS = """async ([doc, id]) => {
    const schema = await import('/playground/static/js/schema.js');
    const { Form } = await import('/playground/static/js/form.js');
    const fields = schema.objectFields(doc, schema.inputSchema(doc, id));
    document.querySelector('#fields').replaceChildren(new Form(fields).el);
    return fields.map((f) => [f.name, f.kind]);
}"""


def test_every_endpoint_schema_in_the_package_renders_without_fallbacks(live: Live, watched: Watched) -> None:
    """Endpoints being added (schemas not wired into the registry yet) get full forms too:
    every field in fal's order, none left to the raw JSON box, every control labelled."""
    models = _endpoint_inputs()
    assert len(models) >= 4
    page = open_playground(watched, live.base_url)
    for name, model in models.items():
        spec = _spec(f"fal-ai/pending/{name.lower()}", model)
        doc = queue_openapi_document(spec, live.base_url)
        kinds = page.evaluate(RENDER_JS, [doc, spec.endpoint_id])
        assert [n for n, _ in kinds] == model.model_json_schema()["x-fal-order-properties"], name
        assert [n for n, kind in kinds if kind == "json"] == [], name
        assert page.evaluate(UNLABELLED_JS) == [], name
    assert watched.errors == []


def test_the_page_needs_nothing_beyond_this_server(live: Live, watched: Watched) -> None:
    """Every request to another origin is refused; the page still loads and works, and never
    asked for one. Scripts, styles and fonts all come from this server."""
    page = watched.page
    origin = live.base_url
    page.route(
        "**/*", lambda route: route.continue_() if route.request.url.startswith(origin) else route.abort()
    )
    open_playground(watched, live.base_url, V2V)
    resources = page.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)")
    assert resources and all(url.startswith(origin) for url in resources), resources
    fonts = page.evaluate("async () => { await document.fonts.ready; return [...document.fonts].length; }")
    assert fonts == 0  # system fonts only
    assert watched.off_origin(origin) == []
    assert watched.errors == []


def test_use_these_settings_refills_the_form(live: Live, watched: Watched, input_mp4: Path) -> None:
    page = open_playground(watched, live.base_url, V2V)
    video = upload(page, "video_url", input_mp4)
    page.fill("#fields [data-field=prompt] textarea", 'it\'s "quoted"')
    page.fill("#fields [data-field=video_cfg_scale] input[type=number]", "4.5")
    page.select_option("#fields [data-field=camera_lora] select", "dolly_in")
    page.click("#submit")
    page.wait_for_selector("#runs-list .run[data-status=COMPLETED] video.result-video")
    request_id = page.get_attribute("#runs-list .run", "data-request-id")

    page.click("#reset")
    assert page.input_value("#fields [data-field=prompt] textarea") == ""
    page.click("[role=tab][data-tab=history]")
    page.click(f".history-row[data-request-id='{request_id}'] button:has-text('Use these settings')")
    assert page.is_visible("#tab-playground")
    assert page.input_value("#fields [data-field=prompt] textarea") == 'it\'s "quoted"'
    assert page.input_value("#fields [data-field=video_url] input[type=text]") == video
    assert page.input_value("#fields [data-field=video_cfg_scale] input[type=number]") == "4.5"
    assert page.input_value("#fields [data-field=camera_lora] select") == "dolly_in"
    assert page.input_value("#fields [data-field=num_frames] input[type=number]") == "121"  # default

    assert watched.errors == []


def test_cancel_a_running_and_a_queued_job(watched: Watched, input_mp4: Path, tmp_path: Path) -> None:
    slow = FakeEngine(steps=40, step_delay=0.1)  # 4 s a job: time to press Cancel
    with serve_in_thread(create_app(make_settings(tmp_path / "data"), slow)) as live:
        page = open_playground(watched, live.base_url, V2V)
        upload(page, "video_url", input_mp4)
        page.fill("#fields [data-field=prompt] textarea", "cancel me")
        page.click("#submit")
        page.click("#submit")
        running, queued = page.locator("#runs-list .run").nth(1), page.locator("#runs-list .run").nth(0)
        page.wait_for_selector("#runs-list .run[data-status=IN_QUEUE]")
        assert "in queue: next" in queued.locator(".state").inner_text()
        screenshot(page, tmp_path, "playground-queued")
        queued.locator("button:has-text('Cancel')").click()
        running.locator(".logs li").first.wait_for()
        running.locator("button:has-text('Cancel')").click()
        for run in (queued, running):
            run.locator(".state:has-text('cancelled')").wait_for()
        assert running.locator(".logs li").count() < 40
        assert watched.errors == []


def test_a_server_with_keys_asks_for_one_and_plays_files_with_it(
    keyed_live: Live, watched: Watched, input_mp4: Path
) -> None:
    page = watched.page
    page.goto(f"{keyed_live.base_url}/playground")
    page.wait_for_selector("#notice:has-text('API key')")
    page.fill("#api-key", KEYS[0])
    page.click("#key-form button")
    page.wait_for_selector("body[data-ready=true]")
    page.select_option("#endpoint", V2V)
    upload(page, "video_url", input_mp4)
    page.fill("#fields [data-field=prompt] textarea", "keyed")
    page.click("#submit")
    page.wait_for_selector("#runs-list .run[data-status=COMPLETED]")
    # /files/ needs the key, which <video> cannot send: the page plays a blob it fetched
    page.wait_for_function(
        "() => { const v = document.querySelector('#runs-list video.result-video');"
        " return v && v.src.startsWith('blob:') && v.duration > 0; }"
    )
    assert page.evaluate("() => localStorage.getItem('ltx-serve.api-key')") == KEYS[0]
    # the other key's history is its own
    other = httpx.get(
        f"{keyed_live.base_url}/v1/models/requests/by-endpoint",
        headers={"Authorization": f"Key {KEYS[1]}"},
    ).json()
    assert other["items"] == []
    page.evaluate("() => localStorage.removeItem('ltx-serve.api-key')")
    # only the unauthenticated first load failed (Chrome logs each 401 response)
    assert all("401" in e for e in watched.errors), watched.errors
