"""`sandbox up` with a real node: a pod of a locally built image runs, and one still
running at `down` is stopped with the rest.

On the run's shared sandbox (node_sandbox.py), whose `down` at the end of the run is
checked to leave nothing on the machine; this test shows that the node changed the
machine, so that check is not vacuous. Needs root on Linux with the node's packages
(`make node`); elsewhere it is skipped with the reason `sandbox up` itself gives for
running without a node.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from node_sandbox import kubectl, node_processes, node_workdir, sandbox_cli, wait_for

from ack_components_sandbox.base import host
from ack_components_sandbox.cluster import images, node

WHY_NOT = node.unavailable()

pytestmark = [
    pytest.mark.node,
    pytest.mark.skipif(WHY_NOT is not None, reason=f"no node on this machine: {WHY_NOT}"),
    pytest.mark.timeout(900),
]


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


def test_a_pod_runs_on_the_node_and_one_still_running_is_left_to_down(
    sandbox: dict[str, Any],
) -> None:
    root: Path = sandbox["root"]
    up = sandbox["up"]
    assert f"node {node.NODE_NAME} Ready in" in up.stdout
    report = json.loads(sandbox_cli(root, "status").stdout)
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
            kubectl(root, "get", "pod", "hello", "-o", "jsonpath={.status.phase}") == "Succeeded"
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
    # A pod still running at `down` is stopped with the rest (the run's last check).
    kubectl(root, "apply", "-f", "-", stdin=pod("sleeper", image, "sleep", "3600"))
    wait_for(
        "the second pod Running",
        lambda: (
            kubectl(root, "get", "pod", "sleeper", "-o", "jsonpath={.status.phase}") == "Running"
        ),
    )

    # What the node changed, so that the checks after `down` are not vacuous.
    workdir = str(node_workdir(root))
    during = host.changes(sandbox["before"], [str(root.resolve()), workdir])
    assert Path("/sys/class/net", node.BRIDGE).exists()
    assert any(" KUBE-" in chain for chain in during["iptables_chains"]), during
    assert any(m.startswith(workdir) for m in during["mounts"]), during
    assert node_processes()
