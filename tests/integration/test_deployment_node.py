"""The party node's container: the Dockerfile's ``node`` stage and the compose service ``node``.

No container engine runs on the test machines, so the image is not built here: these tests read the
Dockerfile and compose.yaml and check what docs/operations.md promises for the node (non-root, a
read-only root file system, the keystore and passphrase from secret files, a health check the node
can pass), and run that health check's command against a node served the way the image serves it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn
import yaml

from exchange.node.web import create_app
from tests.conftest import ROOT
from tests.integration.node_support import NO_HUB, PASSWORD, make_node, node_settings
from tests.service_process import free_port

DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())


def node_stage() -> str:
    """The Dockerfile's stage named ``node``, from its FROM line to the next."""
    for stage in re.split(r"(?m)^FROM ", DOCKERFILE)[1:]:
        if stage.split("\n", 1)[0].endswith(" AS node"):
            return stage
    raise AssertionError("the Dockerfile has no stage named node")


def test_the_node_stage_runs_unprivileged_with_secrets_and_a_health_check() -> None:
    """Non-root, the build's virtual environment only, keystore and passphrase from /run/secrets,
    its own /health on its own port; and a plain ``docker build .`` still builds the hub."""
    stage = node_stage()
    user = re.search(r"(?m)^USER (\S+)", stage)
    assert user is not None and user.group(1).split(":")[0] not in ("0", "root")
    assert "COPY --from=build /opt/exchange /opt/exchange" in stage
    assert "EXCHANGE_NODE_KEYSTORE=/run/secrets/node-keystore" in stage
    assert "EXCHANGE_NODE_PASSPHRASE_FILE=/run/secrets/node-passphrase" in stage
    assert re.search(r"(?m)^HEALTHCHECK ", stage) and "127.0.0.1:8700/health" in stage
    assert 'ENTRYPOINT ["exchange", "node"]' in stage and 'CMD ["serve"]' in stage
    for tool in ("gcc", "build-essential", "apt-get install", "make "):
        assert tool not in stage
    last = re.split(r"(?m)^FROM ", DOCKERFILE)[-1]
    assert last.startswith("${PYTHON_IMAGE} AS runtime")


def test_the_compose_service_runs_a_node_beside_the_hub() -> None:
    """read_only, non-root, no capabilities, the two secrets, the store in a volume, the drop folders
    read-only, a health check on /health, talking to the hub's API service."""
    svc = COMPOSE["services"]["node"]
    assert svc["build"] == {"context": ".", "target": "node"}
    assert svc["read_only"] is True and svc["user"].split(":")[0] not in ("0", "root")
    assert svc["cap_drop"] == ["ALL"] and "no-new-privileges:true" in svc["security_opt"]
    assert {s["source"] for s in svc["secrets"]} == {"node-keystore", "node-passphrase"}
    assert {"node-keystore", "node-passphrase"} <= set(COMPOSE["secrets"])
    env = svc["environment"]
    assert env["EXCHANGE_NODE_KEYSTORE"] == "/run/secrets/node-keystore"
    assert env["EXCHANGE_NODE_PASSPHRASE_FILE"] == "/run/secrets/node-passphrase"
    assert env["EXCHANGE_NODE_HUB_URL"] == "http://api:8080" and "api" in svc["depends_on"]
    assert "nodedata:/data" in svc["volumes"] and "nodedata" in COMPOSE["volumes"]
    assert any(v.endswith(":/srv/drop:ro") for v in svc["volumes"])
    assert "/health" in " ".join(svc["healthcheck"]["test"])
    assert all(p.startswith("127.0.0.1:") for p in svc["ports"])


def test_the_health_check_command_passes_against_a_served_node(tmp_path: Path) -> None:
    """The image's own check command, pointed at a node served by uvicorn, exits 0; the node's
    /health answers 200 with nothing but "ok"."""
    node = make_node(node_settings(tmp_path))
    assert node.client.get("/health").text == "ok\n"
    check = re.search(r'CMD \["python", "-c", "(.+)"\]', node_stage())
    assert check is not None
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(node.runtime), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        command = check.group(1).replace("127.0.0.1:8700", f"127.0.0.1:{port}")
        result = subprocess.run([sys.executable, "-c", command], capture_output=True, check=False, timeout=30)
        assert result.returncode == 0, result.stderr
    finally:
        server.should_exit = True
        thread.join(10)


UNSHARE = shutil.which("unshare")


def _mount_namespaces() -> bool:
    """Whether this machine lets the test make a private mount namespace (root, or a container that
    allows it); where it does not, the read-only check is skipped and the static ones above remain."""
    if UNSHARE is None:
        return False
    probe = subprocess.run(
        [UNSHARE, "-m", "--propagation", "private", "mount", "-o", "remount,bind,ro", "/"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


def test_serve_runs_with_the_data_dir_the_only_writable_place(tmp_path: Path) -> None:
    """``exchange node serve`` as the image runs it: the root file system read-only (a private mount
    namespace), the store's directory and a tmpfs for /tmp the only writable places, the keystore,
    passphrase and drop folder read-only, bytecode not written. It starts, migrates its store,
    answers /health, signs a user in (a session row written) and runs its scheduled sync."""
    if UNSHARE is None or not _mount_namespaces():
        pytest.skip("no private mount namespace on this machine (unshare -m)")
    settings = node_settings(tmp_path, party="politie-oost-brabant")
    data, scratch, drop = tmp_path / "data", tmp_path / "tmpfs", tmp_path / "drop"
    for d in (data, scratch, drop):
        d.mkdir()
    (drop / "export.txt").write_text("5701 AB 12\n", encoding="utf-8")
    port = free_port()
    env = {
        **os.environ,
        "PYTHONDONTWRITEBYTECODE": "1",
        "TMPDIR": str(scratch),
        "EXCHANGE_NODE_PARTY": "politie-oost-brabant",
        "EXCHANGE_NODE_KEYSTORE": str(settings.keystore),
        "EXCHANGE_NODE_PASSPHRASE_FILE": str(settings.passphrase_file),
        "EXCHANGE_NODE_DATA_DIR": str(data),
        "EXCHANGE_NODE_CONVENANT_DIR": str(settings.convenant_dir),
        "EXCHANGE_NODE_PASSWORD_PROFILE": "tests-only",
        "EXCHANGE_NODE_HUB_URL": NO_HUB,
        "EXCHANGE_NODE_COOKIE_SECURE": "false",
        "EXCHANGE_NODE_PORT": str(port),
        "EXCHANGE_NODE_SYNC_INTERVAL_MINUTES": "60",
        "EXCHANGE_NODE_SYNC_FOLDERS": json.dumps(
            {"pit:politie-incidenten": {"folder": str(drop), "kind": "address"}}
        ),
    }
    exchange = str(Path(sys.executable).parent / "exchange")
    (tmp_path / "pw").write_text(PASSWORD + "\n", encoding="utf-8")
    subprocess.run(
        [
            exchange,
            "node",
            "user",
            "add",
            "a.agent",
            "--role",
            "employee",
            "--password-file",
            str(tmp_path / "pw"),
        ],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    script = (
        f'mount --bind "{data}" "{data}" && mount -t tmpfs -o size=16m tmpfs "{scratch}" '
        '&& mount -o remount,bind,ro / && exec "$@"'
    )
    proc = subprocess.Popen(
        [UNSHARE, "-m", "--propagation", "private", "/bin/sh", "-c", script, "sh", exchange, "node", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.communicate()[1].decode()[-3000:]
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the node did not answer /health"
            time.sleep(0.2)
        with httpx.Client(base_url=base, timeout=10) as client:
            page = client.get("/aanmelden").text
            csrf = re.search(r'name="csrf" value="([^"]+)"', page)
            assert csrf is not None
            r = client.post(
                "/aanmelden", data={"name": "a.agent", "password": PASSWORD, "csrf": csrf.group(1)}
            )
            assert r.status_code == 303 and r.headers["location"] == "/start"
            assert client.get("/index").status_code == 200
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    log = err.decode()
    assert "Read-only file system" not in log and "Traceback" not in log, log[-3000:]
    assert "index sync did not finish" in log  # the scheduled pass ran (the hub is away here)
    assert {p.name for p in data.iterdir()} >= {"node.db"}
