"""ML Metadata for the sandbox's Kubeflow Pipelines: a host process behind KFP's Service names.

KFP's v2 engine needs ML Metadata (MLMD) on every task: the driver and the launcher
dial ``metadata-grpc-service.kubeflow:8080``, and the UI reads artifacts and executions
by grpc-web through ``metadata-envoy-service:9090``. KFP runs MLMD's C++ server and an
Envoy as Deployments; here ``metadata_server.py`` serves both protocols on MLMD's own
store (the ``ml-metadata`` wheel), in the virtualenv ``make kfp`` makes for it
(``.venv-mlmd``; ml-metadata pins protobuf 4), on the node's bridge. Its database is
``metadb`` in the sandbox's MariaDB, as KFP's ``pipeline-install-config`` names it.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ack_components_sandbox.base import workloads
from ack_components_sandbox.base.binaries import MissingPrerequisite
from ack_components_sandbox.base.processes import PartState, ProcessRef, spawn, wait_ready
from ack_components_sandbox.cluster.controlplane import free_port

NAMESPACE = "kubeflow"
GRPC_SERVICE, GRPC_PORT = "metadata-grpc-service", 8080
WEB_SERVICE, WEB_PORT = "metadata-envoy-service", 9090
DATABASE = "metadb"
_REPO = Path(__file__).resolve().parents[3]
_PYTHON = _REPO / ".venv-mlmd" / "bin" / "python"
_SERVER = Path(__file__).with_name("metadata_server.py")


class MetadataError(RuntimeError):
    """The metadata server did not start; the message says why."""


@dataclass(frozen=True)
class MetadataState(PartState):
    process: ProcessRef
    host: str
    grpc_port: int
    web_port: int


def python() -> Path:
    """The interpreter of ML Metadata's virtualenv."""
    return _PYTHON


def server_file() -> Path:
    """The server, run by file path (it imports nothing of the project)."""
    return _SERVER


def unavailable() -> str | None:
    if not _PYTHON.exists():
        return f"ML Metadata's virtualenv ({_PYTHON.parent.parent}) is missing: run `make kfp`"
    return None


def start(host: str, database: tuple[str, int], log: Path, timeout: float = 60.0) -> MetadataState:
    """The server on ``host`` (two free ports), its store in ``database``'s ``metadb``."""
    missing = unavailable()
    if missing:
        raise MissingPrerequisite(missing)
    grpc_port, web_port = free_port(), free_port()
    argv = [
        str(python()),
        str(server_file()),
        f"--host={host}",
        f"--port={grpc_port}",
        f"--grpc-web-port={web_port}",
        f"--mysql-host={database[0]}",
        f"--mysql-port={database[1]}",
        f"--database={DATABASE}",
    ]
    state = MetadataState(spawn("ml-metadata", argv, log), host, grpc_port, web_port)
    failed = f"ML Metadata did not listen on {host}:{grpc_port}"
    wait_ready([state.process], lambda: healthy(state), timeout, failed, MetadataError)
    return state


def healthy(state: MetadataState) -> bool:
    try:
        with socket.create_connection((state.host, state.grpc_port), timeout=2):
            return True
    except OSError:
        return False


def services(state: MetadataState) -> list[dict[str, Any]]:
    """``metadata-grpc-service`` and ``metadata-envoy-service`` in ``kubeflow``, each with
    the host process as its endpoint."""
    return [
        *workloads.host_service(
            GRPC_SERVICE, NAMESPACE, GRPC_PORT, state.host, state.grpc_port, "grpc-api"
        ),
        *workloads.host_service(
            WEB_SERVICE, NAMESPACE, WEB_PORT, state.host, state.web_port, "md-envoy"
        ),
    ]
