"""`ltx-serve weights download`: the plan (offline) and real transfers against a local fake hub."""

from __future__ import annotations

from pathlib import Path

import pytest

from ltx_serve.models.catalog import FILES, Role, WeightFile
from ltx_serve.ops.download import DownloadError, execute_plan, format_plan, plan_download, select_entries
from tests.ops.fakehub import FakeHub, serve
from tests.ops.safetensors_files import write_safetensors


@pytest.fixture(autouse=True)
def _online(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests talk to a local fake hub: undo HF_HUB_OFFLINE=1, which other test packages'
    conftests set for the whole session (huggingface_hub reads it once, at import)."""
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)


def keys(entries: list[WeightFile]) -> set[str]:
    return {e.key for e in entries}


def test_distilled_variant_fetches_checkpoint_upscaler_and_text_encoder_only() -> None:
    chosen = keys(select_entries(["distilled"]))
    assert chosen == {"distilled", "spatial_upscaler", "gemma"}


def test_dev_variant_adds_the_distillation_lora_used_by_stage_two() -> None:
    assert keys(select_entries(["dev"])) == {"dev", "spatial_upscaler", "distilled_lora", "gemma"}


def test_repeated_variants_and_extras_are_unioned_without_duplicates() -> None:
    entries = select_entries(["dev", "fp8", "dev"], control=True, camera=True, preprocessors=True)
    assert len(entries) == len({e.key for e in entries})
    chosen = keys(entries)
    assert {"dev", "dev_fp8", "ic_lora_union", "depth", "pose_detector", "pose_estimator"} <= chosen
    assert sum(1 for e in entries if e.role is Role.CAMERA_LORA) == 7
    assert "distilled" not in chosen


def test_unknown_variant_is_rejected_with_the_valid_choices() -> None:
    with pytest.raises(DownloadError, match="dev, distilled, fp8"):
        select_entries(["turbo"])


def test_dry_run_plan_lists_files_and_known_total(tmp_path: Path) -> None:
    plan = plan_download(tmp_path, ["distilled"], control=True)
    text = format_plan(plan)
    assert "ltx-2.3-22b-distilled-1.1.safetensors" in text
    assert "ltx-2.3-22b-ic-lora-union-control-ref0.5.safetensors" in text
    expected = 46_149_345_334 + 654_465_352
    assert plan.known_bytes == expected
    assert f"{expected / 1e9:.1f} GB known" in text
    # The upscaler and the Gemma folder have no published size in the catalog.
    assert plan.unknown_size_count == 2
    assert "gated" in text and "HF_TOKEN" in text


def test_plan_skips_complete_files_and_refetches_truncated_ones(tmp_path: Path) -> None:
    # The upscaler has no published size: a sound safetensors header makes it "present".
    write_safetensors(tmp_path / "ltx-2.3-spatial-upscaler-x2-1.1.safetensors")
    # The distilled checkpoint's published size is 46 GB: a tiny file there is a truncated download.
    write_safetensors(tmp_path / "ltx-2.3-22b-distilled-1.1.safetensors")
    actions = {i.entry.key: i.action for i in plan_download(tmp_path, ["distilled"]).items}
    assert actions == {"distilled": "refetch", "spatial_upscaler": "present", "gemma": "fetch"}


def test_older_release_name_counts_as_present(tmp_path: Path) -> None:
    write_safetensors(tmp_path / "ltx-2.3-spatial-upscaler-x2-1.0.safetensors")
    item = next(i for i in plan_download(tmp_path, ["distilled"]).items if i.entry.key == "spatial_upscaler")
    assert item.action == "present"


def test_gated_repo_without_token_fails_before_any_transfer(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    # huggingface_hub reads HF_TOKEN_PATH once at import: point its constant at no file, so
    # a developer's own `hf auth login` cannot leak into the test.
    monkeypatch.setattr("huggingface_hub.constants.HF_TOKEN_PATH", str(tmp_path / "no-token"))
    gemma = next(f for f in FILES if f.key == "gemma")
    plan = plan_download(tmp_path / "w", ["distilled"], catalog=[gemma])
    with pytest.raises(DownloadError, match=r"accept the licence.*HF_TOKEN"):
        execute_plan(plan, endpoint="http://127.0.0.1:9")  # port 9: nothing listens, nothing is sent


# --- real transfers against the fake hub -------------------------------------------------


@pytest.fixture
def tiny_repo(tmp_path: Path) -> dict[str, dict[str, bytes]]:
    ckpt = write_safetensors(tmp_path / "src" / "ckpt.safetensors", n=4096)
    folder_weights = write_safetensors(tmp_path / "src" / "model.safetensors")
    return {
        "acme/tiny-ltx": {"tiny-ckpt.safetensors": ckpt, "README.md": b"# not wanted\n"},
        "acme/tiny-encoder": {
            "config.json": b'{"model_type": "tiny"}',
            "model.safetensors": folder_weights,
            "pytorch_model.bin": b"legacy weights we must not fetch",
        },
    }


def tiny_catalog(repos: dict[str, dict[str, bytes]], gated: bool = False) -> list[WeightFile]:
    return [
        WeightFile(
            key="tiny",
            role=Role.CHECKPOINT,
            repo_id="acme/tiny-ltx",
            filename="tiny-ckpt.safetensors",
            size_bytes=len(repos["acme/tiny-ltx"]["tiny-ckpt.safetensors"]),
            groups=("distilled",),
        ),
        WeightFile(
            key="encoder",
            role=Role.TEXT_ENCODER,
            repo_id="acme/tiny-encoder",
            filename="tiny-encoder",
            is_folder=True,
            groups=("distilled",),
            allow_patterns=("*.json", "*.safetensors"),
            gated=gated,
        ),
    ]


def test_download_writes_the_catalog_layout_and_rerun_skips(tmp_path: Path, tiny_repo) -> None:
    weights = tmp_path / "weights"
    catalog = tiny_catalog(tiny_repo)
    with serve(FakeHub(repos=tiny_repo)) as hub:
        plan = plan_download(weights, ["distilled"], catalog=catalog)
        execute_plan(plan, endpoint=hub.url, token="hf_test")
        assert (weights / "tiny-ckpt.safetensors").read_bytes() == ckpt_bytes(tiny_repo)
        assert (weights / "tiny-encoder" / "config.json").is_file()
        assert (weights / "tiny-encoder" / "model.safetensors").is_file()
        assert not (weights / "tiny-encoder" / "pytorch_model.bin").exists()  # allow_patterns honoured
        assert not (weights / "README.md").exists()  # only the named file

        before = len(hub.requests)
        again = plan_download(weights, ["distilled"], catalog=catalog)
        assert [i.action for i in again.items] == ["present", "present"]
        execute_plan(again, endpoint=hub.url, token="hf_test")
        assert len(hub.requests) == before  # nothing was asked of the hub


def test_broken_transfer_resumes_with_a_range_request(tmp_path: Path, tiny_repo, monkeypatch) -> None:
    # huggingface_hub keeps bytes per 10 MB chunk; shrink the chunk so a 16 KB file can show
    # a resume (a tuning constant, not a stand-in for the transfer being tested).
    monkeypatch.setattr("huggingface_hub.constants.DOWNLOAD_CHUNK_SIZE", 1024)
    hub = FakeHub(repos=tiny_repo, cut_first_get={"acme/tiny-ltx/tiny-ckpt.safetensors": 5000})
    catalog = tiny_catalog(tiny_repo)[:1]
    with serve(hub):
        execute_plan(plan_download(tmp_path, ["distilled"], catalog=catalog), endpoint=hub.url, token="t")
    gets = hub.gets("tiny-ckpt.safetensors")
    assert len(gets) == 2
    resumed_at = int(gets[1][2].removeprefix("bytes=").rstrip("-"))
    assert 0 < resumed_at <= 5000  # only the missing tail was asked for again
    assert (tmp_path / "tiny-ckpt.safetensors").read_bytes() == ckpt_bytes(tiny_repo)


def test_truncated_file_is_replaced(tmp_path: Path, tiny_repo) -> None:
    good = ckpt_bytes(tiny_repo)
    (tmp_path / "tiny-ckpt.safetensors").write_bytes(good[: len(good) // 2])
    catalog = tiny_catalog(tiny_repo)[:1]
    with serve(FakeHub(repos=tiny_repo)) as hub:
        plan = plan_download(tmp_path, ["distilled"], catalog=catalog)
        assert plan.items[0].action == "refetch"
        execute_plan(plan, endpoint=hub.url, token="t")
    assert (tmp_path / "tiny-ckpt.safetensors").read_bytes() == good


def test_gated_repo_refusal_is_explained(tmp_path: Path, tiny_repo) -> None:
    # The fake hub refuses the gated repo even with a token, as the real hub does for an
    # account that has not accepted the licence.
    catalog = tiny_catalog(tiny_repo, gated=True)[1:]
    with serve(FakeHub(repos=tiny_repo, gated={"acme/tiny-encoder"})) as hub:
        plan = plan_download(tmp_path, ["distilled"], catalog=catalog)
        with pytest.raises(DownloadError, match=r"acme/tiny-encoder is a gated repository.*HF_TOKEN"):
            execute_plan(plan, endpoint=hub.url, token="hf_not_accepted")


def ckpt_bytes(repos: dict[str, dict[str, bytes]]) -> bytes:
    return repos["acme/tiny-ltx"]["tiny-ckpt.safetensors"]


def test_cli_dry_run_prints_plan_and_fetches_nothing(tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from ltx_serve.ops.commands import weights_download

    app = typer.Typer()
    app.command()(weights_download)
    args = ["--weights", str(tmp_path / "w"), "-v", "dev", "-v", "fp8", "--camera", "--dry-run"]
    result = CliRunner().invoke(app, args, env={"HF_ENDPOINT": "http://127.0.0.1:9"})
    assert result.exit_code == 0, result.output
    assert "ltx-2.3-22b-dev-fp8.safetensors" in result.stdout
    assert "ltx-2-19b-lora-camera-control-jib-up.safetensors" in result.stdout
    assert "ltx-2.3-22b-distilled-1.1.safetensors" not in result.stdout
    assert not (tmp_path / "w").exists()


def test_cli_rejects_unknown_variant(tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from ltx_serve.ops.commands import weights_download

    app = typer.Typer()
    app.command()(weights_download)
    result = CliRunner().invoke(app, ["--weights", str(tmp_path), "-v", "turbo", "--dry-run"])
    assert result.exit_code == 1
    assert "choose from dev, distilled, fp8" in result.output


def test_damaged_shard_in_a_folder_is_fetched_alone(tmp_path: Path, tiny_repo) -> None:
    catalog = tiny_catalog(tiny_repo)[1:]
    with serve(FakeHub(repos=tiny_repo)) as hub:
        execute_plan(plan_download(tmp_path, ["distilled"], catalog=catalog), endpoint=hub.url, token="t")
        shard = tmp_path / "tiny-encoder" / "model.safetensors"
        shard.write_bytes(shard.read_bytes()[:-8])  # damaged after a complete download
        plan = plan_download(tmp_path, ["distilled"], catalog=catalog)
        assert plan.items[0].action == "refetch"
        hub.requests.clear()
        execute_plan(plan, endpoint=hub.url, token="t")
    assert shard.read_bytes() == tiny_repo["acme/tiny-encoder"]["model.safetensors"]
    assert hub.gets("model.safetensors") and not hub.gets("config.json")


def test_offline_mode_is_reported_before_any_transfer(tmp_path: Path, monkeypatch, tiny_repo) -> None:
    # huggingface_hub reads HF_HUB_OFFLINE once, at import; set its constant as the env would.
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    plan = plan_download(tmp_path, ["distilled"], catalog=tiny_catalog(tiny_repo)[:1])
    with pytest.raises(DownloadError, match="HF_HUB_OFFLINE=0"):
        execute_plan(plan, endpoint="http://127.0.0.1:9", token="t")


def test_download_that_cannot_fit_is_refused_up_front(tmp_path: Path) -> None:
    huge = WeightFile(
        key="huge",
        role=Role.CHECKPOINT,
        repo_id="acme/huge",
        filename="huge.safetensors",
        size_bytes=10**18,  # 1 EB: larger than any disk this test runs on
        groups=("dev",),
    )
    plan = plan_download(tmp_path, ["dev"], catalog=[huge])
    with pytest.raises(DownloadError, match="free under"):
        execute_plan(plan, endpoint="http://127.0.0.1:9", token="t")
