"""`ack-components-sandbox up | status | down` as a user runs it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import botocore.session

from ack_components_sandbox.base import binaries

SANDBOX_CLI = str(Path(sys.executable).parent / "ack-components-sandbox")


def sandbox(
    root: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The CLI without a node (tests/integration/test_node.py runs the node)."""
    node = ["--no-node"] if args[0] == "up" else []
    return subprocess.run(
        [SANDBOX_CLI, *args, *node, "--dir", str(root)],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )


def gone(pid: int, within: float = 5.0) -> bool:
    """The process has exited and its parent (init, once `up` returned) has reaped it."""
    deadline = time.monotonic() + within
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return not Path(f"/proc/{pid}").exists()


def test_up_status_kubectl_down(tmp_path: Path) -> None:
    root = tmp_path / "sandbox"
    up = sandbox(root, "up")
    assert up.returncode == 0, up.stderr
    try:
        status = sandbox(root, "status")
        report = json.loads(status.stdout)
        assert status.returncode == 0
        assert report["parts"] == {
            "etcd": True,
            "kube-apiserver": True,
            "sagemaker-emulator": True,
            "ack-controller": True,
        }
        # The controller is up: it has already asked STS (the emulator) who it is.
        assert _calls(report["sagemaker_endpoint_url"], "GetCallerIdentity")
        sts = botocore.session.get_session().create_client(
            "sts",
            endpoint_url=report["sagemaker_endpoint_url"],
            region_name="us-east-1",
            aws_access_key_id="sandbox",
            aws_secret_access_key="sandbox",
        )
        assert sts.get_caller_identity()["Account"] == "123456789012"
        state = json.loads((root / "state.json").read_text())
        assert len(state["crds"]) == 29
        got = subprocess.run(
            [str(binaries.kubectl().path()), "get", "trainingjobs,pytorchjobs,fieldexports"],
            env={**os.environ, "KUBECONFIG": str(root / "kubeconfig")},
            capture_output=True,
            text=True,
        )
        assert got.returncode == 0, got.stderr
        assert "No resources found" in got.stderr
    finally:
        down = sandbox(root, "down")
    assert down.returncode == 0
    assert "controlplane" in down.stdout
    assert "sagemaker-emulator" in down.stdout
    assert "ack-controller" in down.stdout
    for part in ("etcd", "apiserver"):
        assert gone(state["controlplane"][part]["pid"])
    assert gone(state["emulator"]["process"]["pid"])
    assert gone(state["controller"]["process"]["pid"])
    after = sandbox(root, "status")
    assert after.returncode == 1
    assert json.loads(after.stdout)["running"] is False


def _calls(url: str, operation: str) -> list[dict[str, object]]:
    with urllib.request.urlopen(f"{url}/_emulator/calls", timeout=10) as reply:
        return [c for c in json.loads(reply.read()) if c["operation"] == operation]


def test_a_controller_that_fails_at_start_is_named_in_one_line(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for binary in (binaries.kube_apiserver(), binaries.kubectl(), binaries.etcd()):
        (bin_dir / binary.name).symlink_to(binary.path())
    fake = bin_dir / "controller"
    fake.write_text(
        "#!/bin/sh\necho 'starting'\n"
        'echo \'{"level":"error","msg":"unable to get caller identity"}\'\nexit 1\n'
    )
    fake.chmod(0o755)
    root = tmp_path / "sandbox"
    up = sandbox(root, "up", env={**os.environ, binaries.BIN_DIR_ENV: str(bin_dir)})
    assert up.returncode == 1
    first = up.stderr.splitlines()[0]
    assert first.startswith("error: sandbox ACK controller: it exited at start: ")
    assert "unable to get caller identity" in first
    assert not (root / "state.json").exists()  # everything it had started is stopped


def test_a_taken_port_is_named_and_nothing_is_left_running(tmp_path: Path) -> None:
    root = tmp_path / "sandbox"
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        up = sandbox(root, "up", "--port", str(port))
    assert up.returncode == 1
    assert f"error: sandbox control plane: port {port} on 127.0.0.1 is in use" in up.stderr
    assert not (root / "state.json").exists()


def test_a_missing_emulator_is_named_and_down_cleans_up(tmp_path: Path) -> None:
    root = tmp_path / "sandbox"
    env = {**os.environ, "ACK_COMPONENTS_EMULATOR_PYTHON": str(tmp_path / "no-python")}
    up = sandbox(root, "up", env=env)
    assert up.returncode == 1
    assert "error: sandbox SageMaker emulator: the SageMaker emulator's Python" in up.stderr
    assert "make emulator" in up.stderr
    assert not (root / "state.json").exists()  # the control plane it had started is stopped


def test_a_missing_binary_is_named(tmp_path: Path) -> None:
    env = {**os.environ, binaries.BIN_DIR_ENV: str(tmp_path / "empty")}
    up = sandbox(tmp_path / "sandbox", "up", env=env)
    assert up.returncode == 1
    assert "kube-apiserver not found" in up.stderr
    assert "make controlplane" in up.stderr
