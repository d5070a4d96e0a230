"""pytest fixtures on the real control plane: one per test session, with all CRDs installed.

``control_plane`` starts etcd + kube-apiserver once and installs the SageMaker,
ACK common and PyTorchJob CRDs; ``api_client`` is an admin client for it and
``namespace`` a fresh namespace per test, so tests do not see each other's objects.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from ack_components_sandbox.cluster import crds
from ack_components_sandbox.cluster.controlplane import ControlPlane
from ack_components_sandbox.testing.stack import Stack


@pytest.fixture(scope="session")
def control_plane() -> Iterator[ControlPlane]:
    with ControlPlane() as plane:
        crds.install(_client(plane), crds.load(crds.all_crd_files()))
        yield plane


@pytest.fixture()
def api_client(control_plane: ControlPlane) -> Any:
    return _client(control_plane)


@pytest.fixture()
def namespace(api_client: Any) -> str:
    from kubernetes import client

    name = f"test-{uuid.uuid4().hex[:10]}"
    client.CoreV1Api(api_client).create_namespace({"metadata": {"name": name}})
    return name


def _client(plane: ControlPlane) -> Any:
    from kubernetes import config

    return config.new_client_from_config(config_file=str(plane.kubeconfig))


@pytest.fixture(scope="session")
def ack_stack() -> Iterator[Stack]:
    """An API server of its own with the emulator and the real ACK controller, once per session.

    Its own, so the controller never reconciles what the stand-in tests write on
    ``control_plane``.
    """
    with Stack() as stack:
        yield stack
