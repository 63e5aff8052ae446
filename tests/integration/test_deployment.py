"""The deployable artefact: the wheel the Dockerfile installs, run the way the container runs it.

No container engine runs on the test machines, so the image itself is not built here. What is tested
instead: the wheel built from this tree (as the Dockerfile's build stage does) holds everything the
service needs, and the installed service runs in production mode with two workers while the install,
the covenants and the working directory are mounted read-only (as ``read_only: true`` does); only
the data directory and a temporary directory are writable. The Dockerfile's own HEALTHCHECK command
is run against it, and the Dockerfile and compose file are checked for the properties
docs/operations.md promises.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import yaml
from packaging.specifiers import SpecifierSet

from exchange.client.http import ExchangeClient
from exchange.crypto.keys import PartyKeys
from tests.conftest import ROOT, convenant_today
from tests.service_process import UNSHARE, free_port, in_mount_namespace

DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())


def _stages() -> list[str]:
    return re.split(r"(?m)^FROM ", DOCKERFILE)[1:]


def test_dockerfile_is_multi_stage_non_root_with_healthcheck() -> None:
    stages = _stages()
    assert len(stages) >= 2, "a build stage and a runtime stage"
    final = stages[-1]
    assert "COPY --from=build /opt/exchange /opt/exchange" in final
    user = re.search(r"(?m)^USER (\S+)", final)
    assert user and user.group(1).split(":")[0] not in ("0", "root")
    assert re.search(r"(?m)^HEALTHCHECK ", final) and "/health" in final
    for tool in ("gcc", "build-essential", "apt-get install", "make "):
        assert tool not in final, f"{tool} in the runtime stage"
    assert "pip uninstall --yes pip" in final and "pip uninstall --yes pip" in stages[0]
    assert "PYTHONDONTWRITEBYTECODE=1" in final  # nothing written next to the code at run time
    assert "EXCHANGE_MODE=production" in final


def test_compose_runs_read_only_with_least_secrets() -> None:
    services = COMPOSE["services"]
    for name in ("migrate", "api", "checkpointer"):
        svc = services[name]
        assert svc["read_only"] is True and "no-new-privileges:true" in svc["security_opt"]
        assert svc["cap_drop"] == ["ALL"]
        assert svc["environment"]["EXCHANGE_MODE"] == "production"
    secrets_of = {n: {s["source"] for s in services[n]["secrets"]} for n in ("api", "checkpointer")}
    assert "log-key" not in secrets_of["api"], "the API never signs checkpoints"
    assert "metrics-token" not in secrets_of["checkpointer"]
    assert services["checkpointer"]["command"][:2] == ["log", "checkpoint"]
    assert "postgres" in services["db"]["image"]


def test_every_compose_service_has_a_health_check_it_can_pass() -> None:
    """Only the API serves /health: a long-running service that does not serve (the checkpoint
    signer) must not inherit the image's HTTP check, which it can never pass; its check is off."""
    services = COMPOSE["services"]
    assert "/health" in DOCKERFILE  # what a service without its own healthcheck inherits
    for name, svc in services.items():
        long_running = svc.get("restart") == "unless-stopped"
        if svc.get("image", "").startswith("exchange") and long_running and "serve" not in svc["command"]:
            check = svc.get("healthcheck")
            assert check is not None and (check.get("disable") is True or "/health" not in str(check)), name
    assert services["checkpointer"]["healthcheck"] == {"disable": True}


def test_requires_python_admits_the_versions_debian_and_ubuntu_ship() -> None:
    """3.11 is tested; 3.12 and 3.13 install too (every pinned dependency has wheels for them)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    spec = SpecifierSet(project["project"]["requires-python"])
    assert all(v in spec for v in ("3.11.7", "3.12.1", "3.13.0"))
    assert "3.10.13" not in spec
    assert project["tool"]["mypy"]["python_version"] == "3.11"  # the code stays 3.11 code


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of this tree, installed into a directory of its own (the build stage's job)."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out / "dist"), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = (out / "dist").glob("exchange-*.whl")
    site = out / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    return site


def test_the_wheel_ships_the_migrations(installed: Path) -> None:
    versions = sorted(p.name for p in (installed / "exchange/storage/migrations/versions").glob("0*.py"))
    here = sorted(p.name for p in (ROOT / "exchange/storage/migrations/versions").glob("0*.py"))
    assert versions == here and (installed / "exchange/storage/migrations/env.py").exists()
    templates = sorted(p.name for p in (installed / "exchange/console/templates").iterdir())
    assert templates == sorted(p.name for p in (ROOT / "exchange/console/templates").iterdir())


@pytest.fixture
def read_only_service(installed: Path, tmp_path: Path) -> Iterator[tuple[str, str, PartyKeys]]:
    if not in_mount_namespace("mount --bind -o ro /tmp /tmp && ! touch /tmp/.exchange-ro-probe"):
        pytest.skip("needs mount namespaces (unshare -m) to mount the install read-only")
    etc, data, run = tmp_path / "etc", tmp_path / "data", tmp_path / "run"
    for d in (etc, data, run):
        d.mkdir()
    shutil.copytree(convenant_today(), etc / "convenant")
    (etc / "secrets").mkdir()
    token = secrets.token_urlsafe(32)
    (etc / "secrets" / "exchange_metrics_token").write_text(token)
    keys = PartyKeys.create("someren", datetime.now(UTC))
    (etc / "someren.json").write_text(json.dumps([v.to_data("someren") for v in keys.public()]))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EXCHANGE_", "PROMETHEUS_"))}
    env.update(
        PYTHONPATH=str(installed),
        PYTHONDONTWRITEBYTECODE="1",
        HOME=str(etc),
        EXCHANGE_MODE="production",
        EXCHANGE_SECRETS_DIR=str(etc / "secrets"),
        EXCHANGE_DATABASE_URL=f"sqlite:///{data / 'exchange.db'}",
        EXCHANGE_CONVENANT_DIR=str(etc / "convenant"),
        EXCHANGE_LOG_ORIGIN="exchange.test/log",
        EXCHANGE_RECEIPT_KEY_FILE=str(data / "receipt-key"),
        PROMETHEUS_MULTIPROC_DIR=str(run / "prometheus"),
    )
    py = shlex.quote(sys.executable)
    ro = " && ".join(
        f"mount --bind -o ro {shlex.quote(str(p))} {shlex.quote(str(p))}" for p in (ROOT, installed, etc)
    )
    script = (
        f"{ro} && {py} -c 'import exchange; print(exchange.__file__)' > {shlex.quote(str(run / 'where'))}"
        f" && {py} -m exchange.cli.main db upgrade"
        f" && {py} -m exchange.cli.main log init-receipt-key"
        f" && {py} -m exchange.cli.main admin register-party --party someren --name Someren"
        f" --public-keys {shlex.quote(str(etc / 'someren.json'))}"
        f" && exec {py} -m exchange.cli.main serve --port {port} --workers 2"
    )
    proc = subprocess.Popen(
        [str(UNSHARE), "-m", "/bin/sh", "-c", script],
        cwd=etc,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if proc.poll() is not None:
                out = proc.stdout.read().decode() if proc.stdout else ""
                pytest.fail(f"the service exited with {proc.returncode}: {out}")
            try:
                if httpx.get(base + "/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        assert (run / "where").read_text().startswith(str(installed))
        yield base, token, keys
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)


def test_installed_service_runs_on_a_read_only_root(read_only_service: tuple[str, str, PartyKeys]) -> None:
    base, token, keys = read_only_service
    client = ExchangeClient(base, keys.current, "u-1", "employee")
    body = {
        "provider": "senzer",
        "category": "bijstand-status",
        "purpose": "uitkeringsfraude",
        "phase": "action",
        "covenant": "pit",
    }
    for _ in range(6):
        r = client.post("/v1/decisions", body)
        assert r.status_code == 200 and r.json()["allowed"] is True
    metrics = httpx.get(base + "/metrics", headers={"Authorization": f"Bearer {token}"}).text
    assert 'exchange_decisions_total{outcome="allowed"} 6.0' in metrics
    assert httpx.get(base + "/console/static/console.css").status_code == 200  # packaged templates
    assert httpx.get(base + "/console").status_code == 401
    # The hub's stage (the last): the node's stage has a health check of its own, on 8700.
    healthcheck = re.search(r'CMD \["python", "-c", "(.*)"\]', _stages()[-1])
    assert healthcheck
    probe = healthcheck.group(1).replace("8080", base.rsplit(":", 1)[1])
    assert subprocess.run([sys.executable, "-c", probe], check=False, timeout=30).returncode == 0
