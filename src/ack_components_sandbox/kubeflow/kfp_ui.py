"""The Kubeflow Pipelines UI, served by the sandbox at a local address.

KFP's UI is a React app and a Node.js server (``frontend/`` of KFP 2.16.1, built by
``tools/build.sh kfp-ui``). The server serves the app, proxies ``/apis/v1beta1`` and
``/apis/v2beta1`` to the API server and ``/ml_metadata`` (grpc-web) to ML Metadata,
reads pod logs through the Kubernetes API (archived logs from the artifact store once a
pod is gone) and artifacts from the artifact store. KFP runs it as the
``ml-pipeline-ui`` Deployment; the sandbox runs the same server on the host with the
settings KFP's multi-user manifests give it, and puts ``ingress.py`` in front of it as
Kubeflow puts its authenticating ingress: the printed address is the ingress's.

``DISABLE_GKE_METADATA=true``: otherwise the server asks for Google Cloud's metadata
host at start and dies where there is none.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from ack_components_sandbox.base import binaries
from ack_components_sandbox.base.processes import (
    PartState,
    ProcessRef,
    answers_ok,
    spawn,
    wait_ready,
)
from ack_components_sandbox.cluster.controlplane import free_port
from ack_components_sandbox.kubeflow import argo, profile


class UIError(RuntimeError):
    """The UI did not start; the message says why."""


@dataclass(frozen=True)
class UIState(PartState):
    server: ProcessRef
    ingress: ProcessRef
    url: str

    def run_url(self, run_id: str) -> str:
        return f"{self.url}/#/runs/details/{run_id}"

    def experiment_url(self, experiment_id: str) -> str:
        return f"{self.url}/#/experiments/details/{experiment_id}"

    def processes(self) -> tuple[ProcessRef, ProcessRef]:
        return self.ingress, self.server


def root() -> Path:
    return binaries.cache_root() / f"kfp-ui-{binaries.versions()['KFP_VERSION']}"


def unavailable() -> str | None:
    if not (root() / "server" / "dist" / "server.js").is_file():
        return f"the KFP UI ({root()}) is not built: run `make kfp` (tools/build.sh kfp-ui)"
    return None


#: Makes the cluster's Service names in ``ACK_SANDBOX_SERVICE_ADDRESSES`` resolve in the
#: server (see the file).
SERVICE_NAMES = Path(__file__).with_name("service_names.js")


def environment(
    api_address: str,
    store: tuple[str, int],
    metadata_web: tuple[str, int],
    kubeconfig: Path,
    service_addresses: dict[str, str],
) -> dict[str, str]:
    """The UI server's settings: KFP's multi-user ones (its Deployment's ``env``), with the
    addresses of the sandbox's API server, artifact store and ML Metadata's grpc-web, and
    the cluster IPs of the Services a v2 artifact's record names (pure)."""
    api_host, _, api_port = api_address.rpartition(":")
    return {
        "NODE_OPTIONS": f"--require {SERVICE_NAMES}",
        "ACK_SANDBOX_SERVICE_ADDRESSES": json.dumps(service_addresses, sort_keys=True),
        "METADATA_ENVOY_SERVICE_SERVICE_HOST": metadata_web[0],
        "METADATA_ENVOY_SERVICE_SERVICE_PORT": str(metadata_web[1]),
        "FRONTEND_SERVER_NAMESPACE": "kubeflow",
        "ML_PIPELINE_SERVICE_HOST": api_host,
        "ML_PIPELINE_SERVICE_PORT": api_port,
        "MINIO_HOST": store[0],
        "MINIO_PORT": str(store[1]),
        "MINIO_NAMESPACE": "",  # else the server appends it to MINIO_HOST as a DNS suffix
        "MINIO_ACCESS_KEY": argo.ARTIFACT_KEYS["accesskey"],
        "MINIO_SECRET_KEY": argo.ARTIFACT_KEYS["secretkey"],
        "ARGO_ARCHIVE_LOGS": "true",
        "DEPLOYMENT": "KUBEFLOW",
        "ENABLE_AUTHZ": "true",
        "KUBEFLOW_USERID_HEADER": "kubeflow-userid",
        "KUBEFLOW_USERID_PREFIX": "",
        "DISABLE_GKE_METADATA": "true",
        "KUBECONFIG": str(kubeconfig),
    }


def start(
    api_address: str,
    store: tuple[str, int],
    metadata_web: tuple[str, int],
    kubeconfig: Path,
    logs: Path,
    service_addresses: dict[str, str],
    timeout: float = 60.0,
) -> UIState:
    """The UI server on a free loopback port, then the ingress in front of it."""
    missing = unavailable()
    if missing:
        raise binaries.MissingPrerequisite(missing)
    node = shutil.which("node")
    if node is None:
        raise binaries.MissingPrerequisite("the KFP UI's server needs Node.js (node) on PATH")
    ui_port, ingress_port = free_port(), free_port()
    settings = environment(api_address, store, metadata_web, kubeconfig, service_addresses)
    env = {**os.environ, **settings}
    server = spawn(
        "kfp-ui",
        [
            node,
            str(root() / "server" / "dist" / "server.js"),
            str(root() / "build"),
            str(ui_port),
        ],
        logs / "kfp-ui.log",
        env=env,
    )
    argv = [
        sys.executable,
        "-m",
        "ack_components_sandbox.kubeflow.ingress",
        "--port",
        str(ingress_port),
    ]
    argv += ["--upstream", f"127.0.0.1:{ui_port}", "--user", profile.OWNER]
    ingress = spawn("kfp-ingress", argv, logs / "kfp-ingress.log")
    state = UIState(server, ingress, f"http://127.0.0.1:{ingress_port}")
    failed = f"the KFP UI did not answer on {state.url}"
    wait_ready(state.processes()[::-1], lambda: healthy(state), timeout, failed, UIError, 0.2)
    return state


def healthy(state: UIState) -> bool:
    """The UI's health endpoint, through the ingress: it also asks the API server's."""
    return answers_ok(f"{state.url}/apis/v1beta1/healthz")


def stop(state: UIState) -> None:
    for ref in state.processes():
        ref.stop()
