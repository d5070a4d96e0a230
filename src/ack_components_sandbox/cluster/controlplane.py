"""A real Kubernetes API on loopback: etcd + kube-apiserver, started in seconds.

Modelled on controller-runtime's envtest: ``ControlPlane().start()`` picks free
ports, keeps its data in a temporary directory (or a given one, for the
sandbox), waits for ``/readyz`` and hands back an admin kubeconfig;
``stop()`` leaves no process and no port behind. Several can run at once.

No kube-controller-manager runs here: nothing garbage-collects or creates default
service accounts, and only a controller (or a test) writes a CR's ``.status``. (The
sandbox's node, ``node.py``, runs one beside a control plane started with ``node_ip``.)
"""

from __future__ import annotations

import json
import secrets
import shutil
import socket
import ssl
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Any

from ack_components_sandbox.base import binaries
from ack_components_sandbox.base.processes import PartState, ProcessRef, exit_code, respawn, spawn

ADMIN_USER = "ack-admin"
_PORT_ATTEMPTS = 3


class ControlPlaneError(RuntimeError):
    """The control plane could not start; the message names the part and the cause."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
        return False


@dataclass(frozen=True)
class ControlPlaneState(PartState):
    """What a running control plane is made of; saved as JSON by the sandbox between commands."""

    workdir: str
    api_port: int
    etcd_port: int
    token: str
    etcd: ProcessRef
    apiserver: ProcessRef
    owns_workdir: bool
    host: str = "127.0.0.1"

    @property
    def kubeconfig(self) -> Path:
        return Path(self.workdir) / "kubeconfig"

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.api_port}"


class ControlPlane:
    """etcd + kube-apiserver as local processes; a context manager.

    ``workdir=None`` keeps everything in a temporary directory removed by ``stop()``;
    ``api_port=None`` picks a free loopback port (an explicit one must be free);
    ``audit=True`` records every request in ``<workdir>/audit.log`` (see ``audit_events``),
    so tests can count what a client really sent;
    ``node_ip`` (an address of this machine that pods reach, e.g. a CNI bridge's) serves
    a node: the API server listens and advertises there (the ``kubernetes`` Service's
    endpoint, and the serving certificate covers it and the Service IP), reaches kubelets
    by their InternalIP, and admits pods with ServiceAccount tokens; the kubeconfig then
    names that address.
    """

    def __init__(
        self,
        workdir: Path | None = None,
        api_port: int | None = None,
        start_timeout: float = 60.0,
        audit: bool = False,
        node_ip: str | None = None,
    ) -> None:
        self._node_ip = node_ip
        self._workdir = workdir
        self._api_port = api_port
        self._start_timeout = start_timeout
        self._audit = audit
        self.state: ControlPlaneState | None = None

    @classmethod
    def attach(cls, state: ControlPlaneState) -> ControlPlane:
        plane = cls(Path(state.workdir), state.api_port)
        plane.state = state
        return plane

    @property
    def kubeconfig(self) -> Path:
        return self._running().kubeconfig

    @property
    def url(self) -> str:
        return self._running().url

    def _running(self) -> ControlPlaneState:
        if self.state is None:
            raise ControlPlaneError("the control plane is not started")
        return self.state

    def start(self) -> ControlPlane:
        apiserver_bin = binaries.kube_apiserver().path()
        etcd_bin = binaries.etcd().path()
        if self._api_port is not None and port_in_use(self._api_port):
            raise ControlPlaneError(
                f"port {self._api_port} on 127.0.0.1 is in use by another process: "
                "stop that process or choose another port (or none, to pick a free one)"
            )
        owns = self._workdir is None
        workdir = Path(tempfile.mkdtemp(prefix="ack-cp-")) if owns else Path(str(self._workdir))
        workdir.mkdir(parents=True, exist_ok=True)
        last_error: ControlPlaneError | None = None
        for _ in range(_PORT_ATTEMPTS):
            try:
                self.state = _launch(
                    workdir,
                    owns,
                    apiserver_bin,
                    etcd_bin,
                    self._api_port,
                    self._audit,
                    self._node_ip,
                )
                _wait_ready(self.state, self._start_timeout)
                _write_kubeconfig(self.state)
                return self
            except _PortRace as race:
                last_error = ControlPlaneError(str(race))
                self.stop(remove_workdir=False)
            except BaseException:
                self.stop()
                raise
        self.stop()
        raise last_error or ControlPlaneError("the control plane did not start")

    def stop(self, remove_workdir: bool = True) -> None:
        state = self.state
        if state is None:
            return
        state.apiserver.stop()
        state.etcd.stop()
        if remove_workdir and state.owns_workdir:
            shutil.rmtree(state.workdir, ignore_errors=True)
        self.state = None

    def restart_apiserver(self) -> None:
        """Stop kube-apiserver and start it again on the same port and data (etcd keeps running)."""
        self.stop_apiserver()
        self.start_apiserver()

    def stop_apiserver(self) -> None:
        """Stop kube-apiserver only, as an outage would: clients get connection refused."""
        self._running().apiserver.stop()

    def start_apiserver(self) -> None:
        """Start a stopped kube-apiserver again with the same command (port, certificates, etcd)."""
        state = self._running()
        if not state.apiserver.is_running():
            self.state = replace(state, apiserver=respawn(state.apiserver))
        _wait_ready(self._running(), self._start_timeout)

    def audit_events(self) -> list[dict[str, Any]]:
        """The requests recorded so far (needs ``audit=True``), oldest first."""
        path = Path(self._running().workdir) / "audit.log"
        lines = path.read_text().splitlines() if path.exists() else []
        return [json.loads(line) for line in lines if line.strip()]

    def health(self) -> dict[str, bool]:
        state = self._running()
        return {
            "etcd": state.etcd.is_running(),
            "kube-apiserver": state.apiserver.is_running() and _readyz(state) == 200,
        }

    def __enter__(self) -> ControlPlane:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class _PortRace(Exception):
    """A port picked as free was taken before the process bound it; retry with new ports."""


def _launch(
    workdir: Path,
    owns: bool,
    apiserver_bin: Path,
    etcd_bin: Path,
    api_port: int | None,
    audit: bool,
    node_ip: str | None = None,
) -> ControlPlaneState:
    for stale in ("etcd-data", "certs"):
        shutil.rmtree(workdir / stale, ignore_errors=True)
    etcd_port, peer_port = free_port(), free_port()
    port = api_port or free_port()
    host = node_ip or "127.0.0.1"
    token = secrets.token_hex(16)
    certs = workdir / "certs"
    certs.mkdir(parents=True)
    _write_service_account_key(certs / "sa.key")
    (certs / "tokens.csv").write_text(f'{token},{ADMIN_USER},{ADMIN_USER},"system:masters"\n')
    etcd_url, peer_url = f"http://127.0.0.1:{etcd_port}", f"http://127.0.0.1:{peer_port}"
    etcd = spawn(
        "etcd",
        [
            str(etcd_bin),
            "--name=sandbox",
            f"--data-dir={workdir / 'etcd-data'}",
            f"--listen-client-urls={etcd_url}",
            f"--advertise-client-urls={etcd_url}",
            f"--listen-peer-urls={peer_url}",
            f"--initial-advertise-peer-urls={peer_url}",
            f"--initial-cluster=sandbox={peer_url}",
            "--listen-metrics-urls=",
            "--unsafe-no-fsync=true",
            "--log-level=warn",
        ],
        workdir / "logs" / "etcd.log",
    )
    apiserver = spawn(
        "kube-apiserver",
        [
            str(apiserver_bin),
            f"--etcd-servers={etcd_url}",
            f"--secure-port={port}",
            f"--bind-address={host}",
            f"--advertise-address={host}",
            f"--cert-dir={certs}",
            f"--service-account-issuer=https://{host}:{port}/",
            f"--service-account-key-file={certs / 'sa.key'}",
            f"--service-account-signing-key-file={certs / 'sa.key'}",
            "--service-cluster-ip-range=10.0.0.0/24",
            "--authorization-mode=RBAC",
            f"--token-auth-file={certs / 'tokens.csv'}",
            *_node_flags(node_ip),
            "--allow-privileged=true",
            "--v=1",
            *_audit_flags(workdir, certs, audit),
        ],
        workdir / "logs" / "kube-apiserver.log",
    )
    return ControlPlaneState(str(workdir), port, etcd_port, token, etcd, apiserver, owns, host)


def _node_flags(node_ip: str | None) -> list[str]:
    if node_ip is None:  # no kube-controller-manager makes ServiceAccounts, no kubelet runs
        return ["--endpoint-reconciler-type=none", "--disable-admission-plugins=ServiceAccount"]
    return ["--kubelet-preferred-address-types=InternalIP"]


def _audit_flags(workdir: Path, certs: Path, audit: bool) -> list[str]:
    if not audit:
        return []
    policy = certs / "audit-policy.json"
    policy.write_text(
        json.dumps(
            {"apiVersion": "audit.k8s.io/v1", "kind": "Policy", "rules": [{"level": "Metadata"}]}
        )
    )
    (workdir / "audit.log").unlink(missing_ok=True)
    return [
        f"--audit-policy-file={policy}",
        f"--audit-log-path={workdir / 'audit.log'}",
        "--audit-log-mode=blocking",
    ]


def _wait_ready(state: ControlPlaneState, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for ref in (state.etcd, state.apiserver):
            if not ref.is_running():
                tail = ref.log_tail()
                if "address already in use" in tail:
                    raise _PortRace(f"{ref.name}: a port was taken while starting")
                code = exit_code(ref)
                raise ControlPlaneError(
                    f"{ref.name} exited (code {code}) before the control plane was ready; "
                    f"last lines of {ref.log}:\n{tail}"
                )
        if _readyz(state) == 200 and _default_namespace_exists(state):
            return
        time.sleep(0.1)
    raise ControlPlaneError(
        f"kube-apiserver was not ready within {timeout:.0f} s; see {state.apiserver.log} "
        f"and {state.etcd.log}"
    )


def _get(state: ControlPlaneState, path: str) -> int:
    request = urllib.request.Request(
        state.url + path, headers={"Authorization": f"Bearer {state.token}"}
    )
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # only a readiness probe; clients verify via the kubeconfig
    try:
        with urllib.request.urlopen(request, timeout=2, context=context) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, OSError):
        return 0


def _readyz(state: ControlPlaneState) -> int:
    return _get(state, "/readyz")


def _default_namespace_exists(state: ControlPlaneState) -> bool:
    return _get(state, "/api/v1/namespaces/default") == 200


def _write_service_account_key(path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )


def _write_kubeconfig(state: ControlPlaneState) -> None:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "sandbox",
                "cluster": {
                    "server": state.url,
                    "certificate-authority": str(Path(state.workdir) / "certs" / "apiserver.crt"),
                },
            }
        ],
        "users": [{"name": ADMIN_USER, "user": {"token": state.token}}],
        "contexts": [
            {
                "name": "sandbox",
                "context": {"cluster": "sandbox", "user": ADMIN_USER, "namespace": "default"},
            }
        ],
        "current-context": "sandbox",
    }
    state.kubeconfig.write_text(json.dumps(config, indent=2) + "\n")
