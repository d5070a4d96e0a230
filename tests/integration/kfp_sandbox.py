"""What the modules that run pipelines through the sandbox's Kubeflow Pipelines share:
why a machine cannot, the module's sandbox, and reading what `ack-components-sandbox run`
printed (the run, its Workflow, the outputs passed between steps)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ack_components_sandbox import (
    argo,
    component_image,
    database,
    kfp_backend,
    kfp_ui,
    node,
    stack,
)

#: Why KFP cannot run here (something not built or installed), or None.
WHY_NOT = (
    node.unavailable()
    or component_image.unavailable()
    or argo.unavailable()
    or kfp_backend.unavailable()
    or database.unavailable()
    or kfp_ui.unavailable()
)
SANDBOX_CLI = str(Path(sys.executable).parent / "ack-components-sandbox")


def up(
    tmp_path_factory: pytest.TempPathFactory, name: str, with_training: bool = False
) -> Iterator[dict[str, Any]]:
    """A module's sandbox (for a module-scoped fixture): its state, with ``root``. The
    training operator and its images only where the module asks (they take a while)."""
    root = tmp_path_factory.mktemp(name) / "sandbox"
    state = stack.up(root, with_training=with_training)
    try:
        yield {"root": root, **state}
    finally:
        stack.down(root)


def command(sandbox: dict[str, Any], pipeline: Path, *args: str) -> list[str]:
    return [SANDBOX_CLI, "run", str(pipeline), "--dir", str(sandbox["root"]), *args]


def run_name(stdout: str) -> str:
    """The run's id (KFP's; for ``--argo``, the Workflow's name)."""
    first = stdout.splitlines()[0]
    assert first.startswith("run "), stdout
    return first.split()[1].rstrip(":")


def workflow_name(stdout: str) -> str:
    found = re.search(r"workflow (\S+) in namespace", stdout)
    assert found, stdout
    return found.group(1)


def output_value(stdout: str, output: str) -> str:
    """An output a step passed on, as `run` printed it (``<step>-<output> = <value>``)."""
    for line in stdout.splitlines():
        if line.strip().startswith(f"{output} = "):
            return line.split(" = ", 1)[1]
    raise AssertionError(f"no output {output} in:\n{stdout}")


def wait_for(what: str, check: Any, timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def completed(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=800)
