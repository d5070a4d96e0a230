"""A real Kubernetes node as a sandbox part: containerd, a CNI bridge, kubelet, kube-proxy,
kube-scheduler and kube-controller-manager, on this machine.

Two steps, because the API server must listen where pods reach it: ``prepare()``
records the machine (``host.snapshot()``) and makes the bridge ``ackc0`` with the
node's address, ``10.217.0.1``, which the control plane then serves on
(``ControlPlane(node_ip=...)``); ``start()`` runs containerd with its own config,
root, state and socket under the sandbox directory, imports the locally built
images (the pause image under containerd's sandbox image name, and ``tinybox``),
and starts the Kubernetes processes, returning once the node is Ready. ``stop()``
deletes the pods (so the kubelet tears down their networks), stops every process
and undoes what ``host`` recorded as new: mounts, cgroups, the bridge, iptables
chains, CNI files and sysctls.

Needs root on Linux, the Debian packages of ``tools/install-node-deps.sh`` and the
binaries of ``tools/build.sh node``; ``unavailable()`` says which is missing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ack_components_sandbox.base import binaries, host
from ack_components_sandbox.base.processes import ProcessRef, spawn
from ack_components_sandbox.cluster import images
from ack_components_sandbox.cluster.controlplane import ControlPlaneState, free_port

BRIDGE = "ackc0"
SUBNET = "10.217.0.0/24"
NODE_IP = "10.217.0.1"
NODE_NAME = "ack-sandbox-node"
#: The cluster's DNS domain (the kubelet's ``clusterDomain``, CoreDNS's zone).
DOMAIN = "cluster.local"
#: What the Debian packages install and the node runs (tools/install-node-deps.sh).
CNI_BIN_DIR = Path("/usr/lib/cni")
HOST_PROGRAMS = ("containerd", "containerd-shim-runc-v2", "ctr", "runc", "iptables", "ip")
CNI_PLUGINS = ("bridge", "host-local", "loopback")
KUBE_PROGRAMS = ("kubelet", "kube-scheduler", "kube-controller-manager", "kube-proxy")
#: The order of ``start()``; ``stop()`` goes backwards.
PROCESSES = ("containerd", "kubelet", "kube-controller-manager", "kube-scheduler", "kube-proxy")
#: Stopped before the pods are deleted: otherwise a Deployment's ReplicaSet makes a new pod
#: for each one deleted, and the kubelet starts it.
_REPLACERS = ("kube-controller-manager", "kube-scheduler")
#: The longest node directory path whose sockets fit in sun_path (107 bytes and a NUL): the
#: kubelet's deepest, ``<dir>/kubelet/pod-resources/<10 digits>``, adds 34 characters.
_DIR_PATH_LIMIT = 70
#: Where the node's directory goes when the asked-for one is too deep for its sockets.
SHORT_ROOT = Path("/var/lib/ack-components")


class NodeError(RuntimeError):
    """The node could not start or stop cleanly; the message names the part."""


@dataclass(frozen=True)
class NodeState:
    """A node's directory, address, the machine before it, and its processes (by name)."""

    workdir: str
    before: host.HostSnapshot
    processes: dict[str, ProcessRef] = field(default_factory=dict)
    health_urls: dict[str, str] = field(default_factory=dict)
    name: str = NODE_NAME
    node_ip: str = NODE_IP
    bridge: str = BRIDGE

    @property
    def socket(self) -> Path:
        return Path(self.workdir) / "containerd.sock"

    def to_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "before": self.before.to_json(),
            "processes": {k: asdict(v) for k, v in self.processes.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NodeState:
        processes = {k: ProcessRef.from_json(v) for k, v in data["processes"].items()}
        before = host.HostSnapshot.from_json(data["before"])
        return cls(**{**data, "before": before, "processes": processes})


def unavailable() -> str | None:
    """Why no node can run here (not Linux, not root, a program missing), or None."""
    if not sys.platform.startswith("linux"):
        return "the node needs Linux"
    if os.geteuid() != 0:
        return "the node needs root"
    missing = [p for p in HOST_PROGRAMS if shutil.which(p, path=_PATH) is None]
    missing += [f"{CNI_BIN_DIR}/{p}" for p in CNI_PLUGINS if not (CNI_BIN_DIR / p).is_file()]
    if missing:
        return f"{', '.join(missing)} not installed (run tools/install-node-deps.sh)"
    try:
        for name in KUBE_PROGRAMS:
            _kube_binary(name).path()
        images.pause(), images.tinybox()
    except binaries.MissingPrerequisite as error:
        return str(error)
    return None


_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def _kube_binary(name: str) -> binaries.Binary:
    return binaries.Binary(name, f"kubernetes-{binaries.versions()['KUBERNETES_VERSION']}", "node")


def node_dir(requested: Path) -> Path:
    """``requested``, or when its path is too long for the node's sockets, a short one named
    by it under ``SHORT_ROOT`` (recorded in the state and removed by ``stop``)."""
    if len(str(requested)) <= _DIR_PATH_LIMIT:
        return requested
    digest = hashlib.sha256(str(requested).encode()).hexdigest()[:12]
    return SHORT_ROOT / f"node-{digest}"


def prepare(workdir: Path) -> NodeState:
    """Record the machine, then make the bridge with the node's address (the API server's)."""
    if Path("/sys/class/net", BRIDGE).exists():
        raise NodeError(
            f"the network interface {BRIDGE} exists: another sandbox node runs here, or one "
            f"was not stopped (`ack-components-sandbox down --dir <its dir>`, or `ip link "
            f"delete {BRIDGE}`)"
        )
    workdir = node_dir(workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    state = NodeState(str(workdir), host.snapshot())
    prefix = SUBNET.split("/")[1]
    for command in (
        ["ip", "link", "add", BRIDGE, "type", "bridge"],
        ["ip", "addr", "add", f"{NODE_IP}/{prefix}", "dev", BRIDGE],
        ["ip", "link", "set", BRIDGE, "up"],
    ):
        _run(command, "bridge")
    return state


def start(
    state: NodeState,
    plane: ControlPlaneState,
    timeout: float = 120.0,
    archives: Sequence[Path] = (),
    cluster_dns: str | None = None,
) -> NodeState:
    """containerd, the images, then the Kubernetes processes; returns once the node is Ready.

    ``archives``: image archives (OCI or Docker) to import beside the built-in images,
    each under the name it carries (the component image). ``cluster_dns``: the address
    the kubelet gives pods as their DNS server (``cluster_dns.SERVICE_IP``), if any.

    On failure the processes started so far stay in the raised error's state: the
    caller's ``stop()`` (``sandbox down``) undoes them with the rest.
    """
    work = Path(state.workdir)
    logs = Path(plane.workdir) / "logs"
    kubeconfig = str(plane.kubeconfig)
    certs = Path(plane.workdir) / "certs"
    ports = {name: free_port() for name in ("kubelet", "kubelet-healthz", "kcm", "sched", "proxy")}
    metrics = free_port()
    env = {"PATH": _PATH, "HOME": str(work)}

    (work / "containerd").mkdir(exist_ok=True)
    (work / "containerd" / "config.toml").write_text(containerd_config(work))
    (work / "cni").mkdir(exist_ok=True)
    (work / "cni" / "10-ackc0.conflist").write_text(json.dumps(cni_config(work), indent=2))
    (work / "kubelet-config.json").write_text(
        json.dumps(
            kubelet_config(state, ports["kubelet"], ports["kubelet-healthz"], cluster_dns),
            indent=2,
        )
    )
    commands = {
        "containerd": [
            shutil.which("containerd", path=_PATH) or "containerd",
            f"--config={work / 'containerd' / 'config.toml'}",
        ],
        "kubelet": [
            str(_kube_binary("kubelet").path()),
            f"--config={work / 'kubelet-config.json'}",
            f"--kubeconfig={kubeconfig}",
            f"--root-dir={work / 'kubelet'}",
            f"--node-ip={state.node_ip}",
            f"--hostname-override={state.name}",
            "--v=1",
        ],
        "kube-controller-manager": [
            str(_kube_binary("kube-controller-manager").path()),
            f"--kubeconfig={kubeconfig}",
            "--leader-elect=false",
            "--bind-address=127.0.0.1",
            f"--secure-port={ports['kcm']}",
            f"--cert-dir={work / 'kube-controller-manager'}",
            f"--service-account-private-key-file={certs / 'sa.key'}",
            f"--root-ca-file={certs / 'apiserver.crt'}",
            "--v=1",
        ],
        "kube-scheduler": [
            str(_kube_binary("kube-scheduler").path()),
            f"--kubeconfig={kubeconfig}",
            "--leader-elect=false",
            "--bind-address=127.0.0.1",
            f"--secure-port={ports['sched']}",
            f"--cert-dir={work / 'kube-scheduler'}",
            "--v=1",
        ],
        "kube-proxy": [
            str(_kube_binary("kube-proxy").path()),
            f"--kubeconfig={kubeconfig}",
            f"--hostname-override={state.name}",
            "--proxy-mode=iptables",
            f"--cluster-cidr={SUBNET}",
            f"--healthz-bind-address=127.0.0.1:{ports['proxy']}",
            f"--metrics-bind-address=127.0.0.1:{metrics}",
            # Leave the machine's conntrack settings and route_localnet as they are.
            "--conntrack-max-per-core=0",
            "--conntrack-tcp-timeout-established=0s",
            "--conntrack-tcp-timeout-close-wait=0s",
            "--iptables-localhost-nodeports=false",
            "--v=1",
        ],
    }
    state = replace(
        state,
        health_urls={
            "kubelet": f"http://127.0.0.1:{ports['kubelet-healthz']}/healthz",
            "kube-controller-manager": f"https://127.0.0.1:{ports['kcm']}/healthz",
            "kube-scheduler": f"https://127.0.0.1:{ports['sched']}/healthz",
            "kube-proxy": f"http://127.0.0.1:{ports['proxy']}/livez",
        },
    )
    deadline = time.monotonic() + timeout
    containerd = spawn("containerd", commands["containerd"], logs / "containerd.log", env)
    state = replace(state, processes={"containerd": containerd})
    serving = state
    try:
        _wait(lambda: _ctr(serving, "version").returncode == 0, containerd, deadline)
        for image in (images.pause(), images.tinybox()):
            import_image(state, image)
        for archive in archives:
            import_archive(state, archive)
    except NodeError as error:
        raise _Started(state, f"containerd: {error}") from error
    for name in PROCESSES[1:]:
        ref = spawn(name, commands[name], logs / f"{name}.log", env)
        state = replace(state, processes={**state.processes, name: ref})
    try:
        _wait(lambda: node_ready(state, plane), state.processes["kubelet"], deadline)
    except NodeError as error:
        raise _Started(state, f"the node was not Ready: {error}") from error
    return state


class _Started(NodeError):
    """A start that failed after some processes ran: ``state`` names them for ``stop()``."""

    def __init__(self, state: NodeState, message: str) -> None:
        super().__init__(message)
        self.state = state


def started_state(error: NodeError) -> NodeState | None:
    """The node's state carried by a failed ``start()`` (its processes), if any ran."""
    return error.state if isinstance(error, _Started) else None


def stop(state: NodeState, plane: ControlPlaneState | None) -> list[str]:
    """Delete the pods, stop the processes, undo the machine's changes; returns what stayed."""
    if plane is not None and state.processes.get("kubelet", None) is not None:
        for name in _REPLACERS:
            if name in state.processes:
                state.processes[name].stop(grace_seconds=15)
        _delete_pods(state, plane)
    for name in reversed(PROCESSES):
        if name in state.processes:
            state.processes[name].stop(grace_seconds=15)
    problems = host.restore(state.before, [state.workdir], state.bridge, str(state.socket))
    if not problems:
        shutil.rmtree(state.workdir, ignore_errors=True)
        if Path(state.workdir).parent == SHORT_ROOT:
            with contextlib.suppress(OSError):  # left when another node's directory is there
                SHORT_ROOT.rmdir()
    return problems


def health(state: NodeState, plane: ControlPlaneState) -> dict[str, bool]:
    parts = {name: ref.is_running() for name, ref in state.processes.items()}
    for name, url in state.health_urls.items():
        parts[name] = parts.get(name, False) and _probe(url)
    parts["node-ready"] = bool(state.processes) and node_ready(state, plane)
    return parts


def node_ready(state: NodeState, plane: ControlPlaneState) -> bool:
    try:
        node = api(plane, "GET", f"/api/v1/nodes/{state.name}")
    except NodeError:
        return False
    conditions = node.get("status", {}).get("conditions", [])
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def api(plane: ControlPlaneState, method: str, path: str) -> Any:
    """One request to the API server as the sandbox's admin; the decoded JSON answer."""
    request = urllib.request.Request(
        plane.url + path, method=method, headers={"Authorization": f"Bearer {plane.token}"}
    )
    context = ssl.create_default_context(cafile=str(Path(plane.workdir) / "certs/apiserver.crt"))
    try:
        with urllib.request.urlopen(request, timeout=5, context=context) as response:
            return json.loads(response.read())
    except (OSError, ValueError) as error:
        raise NodeError(f"{method} {path}: {error}") from error


def import_image(state: NodeState, image: images.Image) -> None:
    archive = Path(state.workdir) / "images" / f"{image.program.name}.tar"
    archive.parent.mkdir(exist_ok=True)
    archive.write_bytes(images.oci_archive(image))
    import_archive(state, archive)


def import_archive(state: NodeState, archive: Path) -> None:
    """Load an image archive into the node's containerd, where the kubelet finds it."""
    done = _ctr(state, "images", "import", str(archive))
    if done.returncode != 0:
        raise NodeError(f"importing {archive}: {done.stderr.strip()}")


def containerd_config(work: Path) -> str:
    """containerd's own config: runc with cgroupfs, its root/state/socket under ``work``."""
    cri = 'plugins."io.containerd.grpc.v1.cri"'
    return f"""version = 2
root = "{work / "containerd" / "root"}"
state = "{work / "containerd" / "state"}"

[grpc]
  address = "{work / "containerd.sock"}"

[plugins."io.containerd.internal.v1.opt"]
  path = "{work / "containerd" / "opt"}"

[{cri}]
  sandbox_image = "{images.PAUSE_IMAGE}"
  # The process lacks CAP_SYS_RESOURCE: it cannot lower a container's oom_score_adj.
  restrict_oom_score_adj = true

[{cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[{cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[{cri}.containerd.runtimes.runc.options]
  SystemdCgroup = false

[{cri}.cni]
  bin_dir = "{CNI_BIN_DIR}"
  conf_dir = "{work / "cni"}"
  max_conf_num = 1
"""


def cni_config(work: Path) -> dict[str, Any]:
    """The bridge network: pods on ``ackc0`` in ``SUBNET``, the node's address as gateway;
    IP reservations under ``work``."""
    return {
        "cniVersion": "0.4.0",
        "name": BRIDGE,
        "plugins": [
            {
                "type": "bridge",
                "bridge": BRIDGE,
                "isGateway": True,
                "ipMasq": True,
                "hairpinMode": True,
                "ipam": {
                    "type": "host-local",
                    "dataDir": str(work / "cni-ipam"),
                    "ranges": [[{"subnet": SUBNET, "gateway": NODE_IP}]],
                    "routes": [{"dst": "0.0.0.0/0"}],
                },
            }
        ],
    }


def kubelet_config(
    state: NodeState, port: int, healthz_port: int, cluster_dns: str | None = None
) -> dict[str, Any]:
    """``cluster_dns``: the cluster DNS Service's address given to pods (None: no DNS)."""
    work = Path(state.workdir)
    dns = {"clusterDNS": [cluster_dns], "clusterDomain": DOMAIN} if cluster_dns else {}
    return {
        **dns,
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "address": state.node_ip,
        "port": port,
        "readOnlyPort": 0,
        "healthzBindAddress": "127.0.0.1",
        "healthzPort": healthz_port,
        "cgroupDriver": "cgroupfs",
        "failSwapOn": False,
        "containerRuntimeEndpoint": f"unix://{state.socket}",
        "imageServiceEndpoint": f"unix://{state.socket}",
        # The API server reaches the kubelet (logs, exec) without a client certificate.
        "authentication": {"anonymous": {"enabled": True}, "webhook": {"enabled": False}},
        "authorization": {"mode": "AlwaysAllow"},
        "podLogsDir": str(work / "pod-logs"),
        # Nothing to pull again: never collect the locally imported images.
        "imageGCHighThresholdPercent": 100,
        "imageGCLowThresholdPercent": 99,
        "evictionHard": {
            "memory.available": "100Mi",
            "nodefs.available": "1%",
            "imagefs.available": "1%",
            "nodefs.inodesFree": "1%",
        },
        "nodeStatusUpdateFrequency": "4s",
    }


def _delete_pods(state: NodeState, plane: ControlPlaneState, timeout: float = 60.0) -> None:
    """Delete every pod gracefully, so the kubelet stops their sandboxes (and CNI tears down
    their networks), and wait until they are gone."""
    try:
        pods = api(plane, "GET", "/api/v1/pods")["items"]
        for pod in pods:
            meta = pod["metadata"]
            path = f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}"
            api(plane, "DELETE", f"{path}?gracePeriodSeconds=1")
        deadline = time.monotonic() + timeout
        while _on_node(api(plane, "GET", "/api/v1/pods")["items"]) and time.monotonic() < deadline:
            if not state.processes["kubelet"].is_running():
                return
            time.sleep(0.5)
    except NodeError:
        return  # the API server is gone: host.restore() sweeps what the pods left


def _on_node(pods: list[dict[str, Any]]) -> bool:
    """Whether a kubelet still has a pod to stop: one placed on a node (a Pending pod
    nothing placed has no sandbox)."""
    return any(pod["spec"].get("nodeName") for pod in pods)


def _ctr(state: NodeState, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ctr", f"--address={state.socket}", "--namespace=k8s.io", *args],
        capture_output=True,
        text=True,
        env={"PATH": _PATH},
        timeout=120,
    )


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise NodeError(f"{what}: `{' '.join(command)}` failed: {done.stderr.strip()}")


def _wait(ready: Any, process: ProcessRef, deadline: float) -> None:
    while not ready():
        if not process.is_running():
            raise NodeError(
                f"{process.name} exited; last lines of {process.log}:\n{process.log_tail()}"
            )
        if time.monotonic() > deadline:
            raise NodeError(f"not within the time limit; see {process.log}")
        time.sleep(0.2)


def _probe(url: str) -> bool:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # a health probe of a self-signed local endpoint
    try:
        with urllib.request.urlopen(url, timeout=2, context=context) as response:
            return bool(response.status == 200)
    except urllib.error.HTTPError as error:
        return error.code == 200
    except OSError:
        return False
