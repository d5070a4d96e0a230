"""`sandbox up` with a real node: a pod of a locally built image runs, and `down` leaves nothing.

Needs root on Linux with the node's packages (`make node`); elsewhere it is skipped
with the reason `sandbox up` itself gives for running without a node.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ack_components_sandbox import binaries, host, images, node

SANDBOX_CLI = str(Path(sys.executable).parent / "ack-components-sandbox")
WHY_NOT = node.unavailable()

pytestmark = [
    pytest.mark.skipif(WHY_NOT is not None, reason=f"no node on this machine: {WHY_NOT}"),
    pytest.mark.timeout(900),
]


def sandbox(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SANDBOX_CLI, *args, "--dir", str(root)], capture_output=True, text=True, timeout=400
    )


def kubectl(root: Path, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [str(binaries.kubectl().path()), f"--kubeconfig={root / 'kubeconfig'}", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def wait_for(what: str, check: object, within: float = 120.0) -> None:
    deadline = time.monotonic() + within
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"{what}: not within {within:.0f} s"
        time.sleep(0.5)


def pod(name: str, image: str, *command: str) -> str:
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {
                "restartPolicy": "Never",
                "containers": [
                    {
                        "name": "main",
                        "image": image,
                        "imagePullPolicy": "Never",
                        "args": list(command),
                        "resources": {"limits": {"memory": "64Mi", "cpu": "100m"}},
                    }
                ],
            },
        }
    )


def node_processes() -> list[str]:
    """Running node programs: containerd (and its shims) and the Kubernetes node processes."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            exe = (proc / "exe").readlink()
        except OSError:
            continue
        if exe.name in node.KUBE_PROGRAMS or exe.name.startswith("containerd"):
            found.append(f"{proc.name} {exe}")
    return found


def test_a_pod_runs_on_the_node_and_down_leaves_nothing(tmp_path: Path) -> None:
    root = tmp_path / "sandbox"
    before = host.snapshot()
    assert not node_processes()

    up = sandbox(root, "up", "--no-training")  # test_hybrid_training runs the operator
    try:
        assert up.returncode == 0, up.stderr
        assert f"node {node.NODE_NAME} Ready in" in up.stdout
        report = json.loads(sandbox(root, "status").stdout)
        assert report["node"] == {"name": node.NODE_NAME, "ready": True}
        assert report["running"], report["parts"]
        for part in (*node.PROCESSES, "node-ready"):
            assert report["parts"][part] is True, part

        # kube-controller-manager made the namespace's ServiceAccount and root CA
        # (pods are admitted only with them) and lifted the not-ready taint.
        wait_for(
            "the default ServiceAccount",
            lambda: "default" in kubectl(root, "get", "serviceaccounts", "-o", "name"),
        )
        assert "kube-root-ca.crt" in kubectl(root, "get", "configmaps", "-o", "name")
        wait_for(
            "no taint on the node",
            lambda: (
                not kubectl(
                    root, "get", "node", node.NODE_NAME, "-o", "jsonpath={.spec.taints}"
                ).strip()
            ),
        )

        image = images.tinybox().name
        kubectl(root, "apply", "-f", "-", stdin=pod("hello", image, "echo", "hello from tinybox"))
        wait_for(
            "the pod Succeeded",
            lambda: (
                kubectl(root, "get", "pod", "hello", "-o", "jsonpath={.status.phase}")
                == "Succeeded"
            ),
        )
        assert kubectl(root, "logs", "hello") == "hello from tinybox\n"
        assert kubectl(root, "get", "pod", "hello", "-o", "jsonpath={.spec.nodeName}") == (
            node.NODE_NAME
        )
        # kube-proxy takes pods to the API server through the `kubernetes` Service.
        kubectl(root, "apply", "-f", "-", stdin=pod("dial", image, "dial", "10.0.0.1:443"))
        wait_for(
            "the dialling pod Succeeded",
            lambda: (
                kubectl(root, "get", "pod", "dial", "-o", "jsonpath={.status.phase}") == "Succeeded"
            ),
        )
        assert kubectl(root, "logs", "dial") == "connected to 10.0.0.1:443\n"
        # A pod still running at `down` is stopped with the rest.
        kubectl(root, "apply", "-f", "-", stdin=pod("sleeper", image, "sleep", "600"))
        wait_for(
            "the second pod Running",
            lambda: (
                kubectl(root, "get", "pod", "sleeper", "-o", "jsonpath={.status.phase}")
                == "Running"
            ),
        )

        # What the node changed, so that the checks after `down` are not vacuous.
        workdir = str(node_workdir(root))
        during = host.changes(before, [str(root.resolve()), workdir])
        assert Path("/sys/class/net", node.BRIDGE).exists()
        assert any(" KUBE-" in chain for chain in during["iptables_chains"]), during
        assert any(m.startswith(workdir) for m in during["mounts"]), during
        assert node_processes()
    finally:
        down = sandbox(root, "down")
    assert down.returncode == 0, down.stderr
    assert "node" in down.stdout
    assert_nothing_left(root, before)


def node_workdir(root: Path) -> Path:
    """The node's directory: under the sandbox's, or a shorter one where that is too deep
    for the kubelet's sockets."""
    return node.node_dir(root.resolve() / "node")


def assert_nothing_left(root: Path, before: host.HostSnapshot) -> None:
    """After `down`: no node process, bridge, chain, mount, cgroup, path or sysctl of the
    sandbox at ``root`` is left, compared with the machine ``before`` its `up`."""
    assert not node_processes()
    assert not Path("/sys/class/net", node.BRIDGE).exists()
    workdir = node_workdir(root)
    after = host.changes(before, [str(root.resolve()), str(workdir)])
    assert after == {"sysctls": [], "iptables_chains": [], "mounts": [], "paths": [], "cgroups": []}
    for command in host.IPTABLES:
        for table in host.TABLES:
            listed = subprocess.run([command, "-t", table, "-S"], capture_output=True, text=True)
            chains = {line.split()[1] for line in listed.stdout.splitlines() if line[:3] == "-N "}
            kube = {chain for chain in chains if chain.startswith(("KUBE-", "CNI-"))}
            assert kube <= set(before.chains.get(f"{command}:{table}", [])), (command, table)
    mounts = Path("/proc/self/mountinfo").read_text()
    assert str(root.resolve()) not in mounts and str(workdir) not in mounts
    assert not workdir.exists()
    assert host.read_sysctl("net/ipv4/ip_forward") == before.sysctls["net/ipv4/ip_forward"]
