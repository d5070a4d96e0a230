"""`ack-components sandbox up | down | status`: the local stack for users, across commands.

Parts: the control plane (etcd + kube-apiserver) with the CRDs, the SageMaker
emulator, and the real ACK SageMaker controller driving the emulator. ``up`` starts
the parts in order and writes what it started to
``.sandbox/state.json``; ``down`` stops whatever that file names, even after a
partial start; ``status`` reports each part's health. The state is a mapping of
part name → that part's own JSON, so a new part joins as a new entry without
changing the others.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from ack_components.sandbox import controller_process, crds, emulator_process
from ack_components.sandbox.binaries import MissingPrerequisite
from ack_components.sandbox.controller_process import ControllerState
from ack_components.sandbox.controlplane import ControlPlane, ControlPlaneError, ControlPlaneState
from ack_components.sandbox.emulator_process import EmulatorState

DEFAULT_DIR = Path(".sandbox")


class SandboxError(RuntimeError):
    """A sandbox part failed; the message names the part."""


def state_file(root: Path) -> Path:
    return root / "state.json"


def read_state(root: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(state_file(root).read_text())
    except FileNotFoundError:
        return {}
    return data


def write_state(root: Path, state: dict[str, Any]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    state_file(root).write_text(json.dumps(state, indent=2) + "\n")


def up(root: Path = DEFAULT_DIR, api_port: int | None = None) -> dict[str, Any]:
    """Start the control plane and install the CRDs; returns the saved state."""
    existing = read_state(root)
    if existing and all(status(root)["parts"].values()):
        return existing
    if existing:
        down(root)
    started = time.monotonic()
    plane = ControlPlane(workdir=root.resolve(), api_port=api_port)
    try:
        plane.start()
    except (ControlPlaneError, MissingPrerequisite) as error:
        raise SandboxError(f"control plane: {error}") from error
    assert plane.state is not None
    state: dict[str, Any] = {"controlplane": plane.state.to_json()}
    write_state(root, state)
    try:
        from kubernetes import config

        client = config.new_client_from_config(config_file=str(plane.kubeconfig))
        installed = crds.install(client, crds.load(crds.all_crd_files()))
    except Exception as error:
        down(root)
        raise SandboxError(f"CRDs: {error}") from error
    state["crds"] = installed
    try:
        emulator = emulator_process.start(root.resolve() / "logs" / "sagemaker-emulator.log")
    except (emulator_process.EmulatorError, MissingPrerequisite) as error:
        down(root)
        raise SandboxError(f"SageMaker emulator: {error}") from error
    state["emulator"] = emulator.to_json()
    write_state(root, state)
    try:
        controller = controller_process.start(
            plane.kubeconfig, emulator.url, root.resolve() / "logs" / "ack-controller.log"
        )
    except (controller_process.ControllerError, MissingPrerequisite) as error:
        down(root)
        raise SandboxError(f"ACK controller: {error}") from error
    state["controller"] = controller.to_json()
    state["ready_seconds"] = round(time.monotonic() - started, 2)
    write_state(root, state)
    return state


def down(root: Path = DEFAULT_DIR) -> list[str]:
    """Stop every part the state file names; returns their names. Safe to call twice."""
    state = read_state(root)
    stopped = []
    if "controller" in state:
        ControllerState.from_json(state["controller"]).process.stop()
        stopped.append("ack-controller")
    if "emulator" in state:
        EmulatorState.from_json(state["emulator"]).process.stop()
        stopped.append("sagemaker-emulator")
    if "controlplane" in state:
        ControlPlane.attach(ControlPlaneState.from_json(state["controlplane"])).stop()
        stopped.append("controlplane")
    state_file(root).unlink(missing_ok=True)
    return stopped


def status(root: Path = DEFAULT_DIR) -> dict[str, Any]:
    state = read_state(root)
    parts: dict[str, bool] = {}
    if "controlplane" in state:
        parts.update(
            ControlPlane.attach(ControlPlaneState.from_json(state["controlplane"])).health()
        )
    report: dict[str, Any] = {"kubeconfig": str(root / "kubeconfig")}
    if "emulator" in state:
        emulator = EmulatorState.from_json(state["emulator"])
        healthy = emulator.process.is_running() and emulator_process.healthy(emulator)
        parts["sagemaker-emulator"] = healthy
        report["sagemaker_endpoint_url"] = emulator.url
    if "controller" in state:
        controller = ControllerState.from_json(state["controller"])
        parts["ack-controller"] = controller.process.is_running() and controller_process.healthy(
            controller
        )
        report["controller_log"] = controller.process.log
        report["controller_metrics_url"] = controller.metrics_url
    return {"running": bool(parts) and all(parts.values()), "parts": parts, **report}


def main(action: str, root: Path, api_port: int | None) -> int:
    try:
        if action == "up":
            state = up(root, api_port)
            kubeconfig = root / "kubeconfig"
            print(
                f"sandbox ready in {state.get('ready_seconds', 0)} s: {len(state.get('crds', []))} CRDs"
            )
            print(f"  export KUBECONFIG={kubeconfig}")
            print("  kubectl get trainingjobs")
            print(f"  SageMaker emulator: {state['emulator']['url']} (any access key)")
            print(f"  ACK controller log: {state['controller']['process']['log']}")
            return 0
        if action == "down":
            stopped = down(root)
            print(f"stopped: {', '.join(stopped) or 'nothing was running'}")
            return 0
        report = status(root)
        print(json.dumps(report, indent=2))
        return 0 if report["running"] else 1
    except SandboxError as error:
        print(f"error: sandbox {error}", file=sys.stderr)
        return 1
