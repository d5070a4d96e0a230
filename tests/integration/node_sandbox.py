"""The one full sandbox of a test run (the session fixture ``sandbox`` in conftest.py), and
how a test looks at the machine around a sandbox with a node.

Every module that needs the node, Argo, KFP or the training operator shares that
sandbox, as envtest attaches to an existing cluster: tests are kept apart by run,
namespace and resource names, not by a stack of their own, so ``up`` is paid once. The
run ends with ``down`` and the check that nothing of it is left on the machine
(``assert_nothing_left``); ``test_demo`` makes the same check of `make demo`'s own
up-run-down.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ack_components_sandbox import stack
from ack_components_sandbox.base import host
from ack_components_sandbox.cluster import node

SANDBOX_CLI = str(Path(sys.executable).parent / "ack-components-sandbox")


def sandbox_cli(root: Path, *args: str, timeout: float = 400) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SANDBOX_CLI, *args, "--dir", str(root)], capture_output=True, text=True, timeout=timeout
    )


def kubectl(root: Path, *args: str, stdin: str | None = None) -> str:
    from ack_components_sandbox.base import binaries

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


def shared(root: Path) -> Iterator[dict[str, Any]]:
    """The run's sandbox, with training, at ``root`` (for the session fixture): its state,
    with ``root``, ``up`` (what `sandbox up` printed) and ``before`` (the machine before
    it); ``down`` and the check that nothing is left when the run ends."""
    before = host.snapshot()
    assert not node_processes(), "another node runs on this machine"
    up = sandbox_cli(root, "up", timeout=1200)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        yield {"root": root, "up": up, "before": before, **stack.read_state(root)}
    finally:
        down = sandbox_cli(root, "down")
    assert down.returncode == 0, down.stderr
    assert "node" in down.stdout
    assert_nothing_left(root, before)


def attached(root: Path) -> dict[str, Any]:
    """A sandbox already up at ``root``, as ``shared`` describes its own (no ``up`` output,
    no snapshot of the machine before it: nothing is checked when the run ends)."""
    assert (root / "state.json").is_file(), f"no sandbox at {root}"
    return {"root": root, "up": None, "before": None, **stack.read_state(root)}


def state(root: Path) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((root / "state.json").read_text())
    return found


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
