"""Fixtures for the component's integration tests (helpers in harness.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from emulator_support import emulator, sm  # noqa: F401 (fixtures for the emulator tests)
from harness import Harness

from ack_components.sandbox.controlplane import ControlPlane


@pytest.fixture()
def harness(
    control_plane: ControlPlane, api_client: Any, namespace: str, tmp_path: Path
) -> Harness:
    return Harness(control_plane, api_client, namespace, tmp_path)
