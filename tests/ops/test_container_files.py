"""Dockerfile.cuda, compose.yaml and .dockerignore agree with each other and with the repo.

No Docker engine here, so these checks parse the files: a COPY of a missing file, an
entrypoint that is not our console script, a health check on the wrong path or a compose
file that forgets the GPU all break a deployment that nobody can test before a GPU box.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in (ROOT / "Dockerfile.cuda").read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        word, _, rest = full.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def instr(name: str) -> list[str]:
    return [args for word, args in dockerfile() if word == name]


def last_stage() -> list[tuple[str, str]]:
    items = dockerfile()
    start = max(i for i, (w, _) in enumerate(items) if w == "FROM")
    return items[start:]


def env_of(items: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for word, args in items:
        if word == "ENV":
            for token in shlex.split(args):
                key, _, value = token.partition("=")
                env[key] = value
    return env


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


@pytest.fixture(scope="module")
def service(compose: dict) -> dict:
    assert list(compose["services"]) == ["ltx-serve"]
    return compose["services"]["ltx-serve"]


def dockerignore() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


def ignored(path: str) -> bool:
    parts = Path(path).parts
    for pattern in dockerignore():
        pat = pattern.removeprefix("**/")
        if fnmatch.fnmatch(path, pattern) or any(fnmatch.fnmatch(p, pat) for p in parts):
            return True
    return False


def test_every_copy_source_exists_and_is_in_the_build_context() -> None:
    copies = instr("COPY")
    assert copies
    for args in copies:
        tokens = [t for t in shlex.split(args) if not t.startswith("--")]
        if any(t.startswith("--from") for t in shlex.split(args)):
            continue
        for src in tokens[:-1]:
            assert (ROOT / src).exists(), f"COPY source {src} is missing from the repo"
            assert not ignored(src), f"COPY source {src} is excluded by .dockerignore"


def test_weights_and_data_never_enter_the_build_context() -> None:
    for path in ("weights/ltx-2.3-22b-dev.safetensors", "data/jobs.db", ".venv/bin/python", ".git/HEAD"):
        assert ignored(path), path


def test_python_311_base_and_torch_pinned_like_setup_script() -> None:
    args = dict(re.findall(r"^ARG (\w+)=(\S+)", (ROOT / "Dockerfile.cuda").read_text(), re.M))
    assert "python:3.11" in args["PYTHON_IMAGE"]
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    assert f"torch=={args['TORCH_VERSION']}" in setup


def test_installs_the_project_from_pyproject() -> None:
    runs = " ".join(instr("RUN"))
    assert "pip install" in runs and "./src" in runs
    copied = " ".join(instr("COPY"))
    assert "pyproject.toml" in copied and "ltx_serve" in copied


def test_entrypoint_is_the_console_script_and_cmd_serves_on_the_volumes() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    (entry,) = instr("ENTRYPOINT")
    assert json.loads(entry) == ["ltx-serve"]
    assert "ltx-serve" in scripts
    (cmd,) = instr("CMD")
    argv = json.loads(cmd)  # exec form, so SIGTERM reaches the server
    assert argv[0] == "serve"
    opts = dict(zip(argv[1::2], argv[2::2], strict=True))
    assert opts == {"--host": "0.0.0.0", "--port": "8000", "--weights": "/weights", "--data-dir": "/data"}


def test_runtime_is_non_root_uid_1000() -> None:
    stage = last_stage()
    users = [a for w, a in stage if w == "USER"]
    assert users and users[-1].split(":")[0] in {"1000", "ltx"}
    assert any("--uid 1000" in a for w, a in stage if w == "RUN")


def test_runtime_env_volumes_and_port() -> None:
    stage = last_stage()
    env = env_of(stage)
    assert env["PYTHONUNBUFFERED"] == "1"
    volumes = set(json.loads(next(a for w, a in stage if w == "VOLUME")))
    assert {"/weights", "/data"} <= volumes
    assert any(env["HF_HOME"].startswith(v + "/") for v in volumes), "HF_HOME must be on a volume"
    assert [a for w, a in stage if w == "EXPOSE"] == ["8000"]


def test_healthcheck_waits_for_model_load_and_probes_ready() -> None:
    (hc,) = instr("HEALTHCHECK")
    assert "/ready" in hc and "8000" in hc
    start = re.search(r"--start-period=(\d+)m", hc)
    assert start and int(start.group(1)) >= 10


def test_compose_gpu_reservation(service: dict) -> None:
    devices = service["deploy"]["resources"]["reservations"]["devices"]
    assert devices == [{"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}]


def test_compose_agrees_with_the_dockerfile(service: dict) -> None:
    assert service["build"]["dockerfile"] == "Dockerfile.cuda"
    assert (ROOT / service["build"]["context"] / "Dockerfile.cuda").is_file()
    targets = {v.rsplit(":", 1)[-1] for v in service["volumes"]}
    declared = set(json.loads(instr("VOLUME")[-1]))
    assert targets == declared
    (port,) = service["ports"]
    assert port.rsplit(":", 1)[-1] == instr("EXPOSE")[-1]
    assert service["environment"]["HF_HOME"] == env_of(last_stage())["HF_HOME"]


def test_compose_health_shutdown_and_restart(service: dict) -> None:
    hc = service["healthcheck"]
    assert any("/ready" in part for part in hc["test"])
    assert hc["start_period"].endswith("m") and int(hc["start_period"][:-1]) >= 10
    grace = service["stop_grace_period"]
    assert grace.endswith("m")  # docker's default 10 s would kill a running job
    # The server's own drain (Settings.shutdown_grace_s) must end before Docker's SIGKILL.
    drain = float(service["environment"]["LTX_SERVE_SHUTDOWN_GRACE_S"])
    assert drain + 10 <= int(grace[:-1]) * 60
    assert service["restart"] == "unless-stopped"


def test_buildkit_parser_accepts_the_dockerfile_and_sees_what_these_tests_see() -> None:
    """The official Go parser (PyPI `dockerfile`) must agree with the simple parser above."""
    parser = pytest.importorskip("dockerfile", reason="pip install 'dockerfile>=3.4,<4' for this check")
    official = parser.parse_file(str(ROOT / "Dockerfile.cuda"))
    assert [c.cmd.upper() for c in official] == [w for w, _ in dockerfile()]
    by_cmd = {c.cmd.upper(): c for c in official}
    assert by_cmd["ENTRYPOINT"].json and list(by_cmd["ENTRYPOINT"].value) == ["ltx-serve"]
    assert by_cmd["CMD"].json and by_cmd["CMD"].value[0] == "serve"
    assert by_cmd["HEALTHCHECK"].value[0] == "CMD" and any(
        f.startswith("--start-period=") for f in by_cmd["HEALTHCHECK"].flags
    )
