"""Fixtures for the component's integration tests (helpers in harness.py)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from emulator_support import emulator, sm  # noqa: F401 (fixtures for the emulator tests)
from harness import Harness
from node_sandbox import attached, shared

from ack_components_sandbox.cluster.controlplane import ControlPlane
from ack_components_sandbox.testing.stack import Stack


@pytest.fixture()
def harness(
    control_plane: ControlPlane, api_client: Any, namespace: str, tmp_path: Path
) -> Harness:
    return Harness(control_plane, api_client, namespace, tmp_path)


@pytest.fixture()
def real(ack_stack: Stack, tmp_path: Path) -> Harness:
    """A harness on the stack where the real ACK controller drives the SageMaker emulator.

    Each test gets a namespace of its own there; nothing writes ``.status`` but the controller.
    """
    from kubernetes import client, config

    api = config.new_client_from_config(config_file=str(ack_stack.kubeconfig))
    name = f"e2e-{uuid.uuid4().hex[:10]}"
    client.CoreV1Api(api).create_namespace({"metadata": {"name": name}})
    return Harness(ack_stack.plane, api, name, tmp_path)


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The run's one full sandbox (node, Argo, KFP, the training operator), for every node
    module; see node_sandbox.py. Its modules skip themselves where it cannot run.

    ``ACK_COMPONENTS_SANDBOX_DIR`` names a sandbox already up instead (envtest's
    ``USE_EXISTING_CLUSTER``): the tests attach to it and leave it up, so a developer
    re-runs one module without paying for ``up`` and ``down``."""
    existing = os.environ.get("ACK_COMPONENTS_SANDBOX_DIR")
    if existing:
        yield attached(Path(existing))
        return
    yield from shared(tmp_path_factory.mktemp("shared") / "sandbox")
