"""The whole local stack for end-to-end tests: API server, SageMaker emulator, real ACK controller.

Why: a behaviour of the components is only shown when the real controller drives the
resource, so tests need all three parts together, started once per test session, with
short SageMaker lifecycles. Like envtest's ``Environment``: ``start()``, ``stop()``, a
context manager, and the client configuration (``kubeconfig``). Tests also read what
reached SageMaker (``calls``) and crash or restart the controller.
"""

from __future__ import annotations

import json
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

from ack_components_sandbox.aws import controller_process, emulator_process
from ack_components_sandbox.aws.controller_process import ControllerState
from ack_components_sandbox.aws.emulator_process import EmulatorState
from ack_components_sandbox.cluster import crds
from ack_components_sandbox.cluster.controlplane import ControlPlane

#: Phase lengths for tests: long enough that the controller sees a job in progress.
TRAINING_SECONDS = 4.0


class Stack:
    """etcd + kube-apiserver with every CRD, the emulator, and the controller watching all."""

    def __init__(
        self,
        plane: ControlPlane | None = None,
        emulator_args: tuple[str, ...] = (),
        controller_args: tuple[str, ...] = (),
        audit: bool = False,
    ) -> None:
        """``plane``: a running control plane with the CRDs installed, to share (not stopped here).

        ``audit``: the control plane started here records every request (``plane.audit_events()``).
        """
        self._owns_plane = plane is None
        self.plane = plane or ControlPlane(audit=audit)
        self.emulator_args = emulator_args
        self.controller_args = controller_args
        self.emulator: EmulatorState | None = None
        self.controller: ControllerState | None = None
        self._logs = Path(tempfile.mkdtemp(prefix="ack-stack-logs-"))

    @property
    def kubeconfig(self) -> Path:
        return self.plane.kubeconfig

    @property
    def logs(self) -> Path:
        return self._logs

    def start(self) -> Stack:
        from kubernetes import config

        if self._owns_plane:
            self.plane.start()
        try:
            if self._owns_plane:
                client = config.new_client_from_config(config_file=str(self.plane.kubeconfig))
                crds.install(client, crds.load(crds.all_crd_files()))
            self.emulator = emulator_process.start(
                self._logs / "sagemaker-emulator.log",
                training_seconds=TRAINING_SECONDS,
                extra_args=self.emulator_args,
            )
            self.start_controller()
        except BaseException:
            self.stop()
            raise
        return self

    def start_controller(self) -> None:
        assert self.emulator is not None
        self.controller = controller_process.start(
            self.plane.kubeconfig,
            self.emulator.url,
            self._logs / "ack-controller.log",
            extra_args=self.controller_args,
        )

    def stop_controller(self) -> None:
        if self.controller is not None:
            self.controller.process.stop()
            self.controller = None

    def restart_controller(self) -> None:
        """Stop the controller and start it again, as a crash and a restart would."""
        self.stop_controller()
        self.start_controller()

    def stop(self) -> None:
        self.stop_controller()
        if self.emulator is not None:
            self.emulator.process.stop()
            self.emulator = None
        if self._owns_plane:
            self.plane.stop()

    def calls(self, operation: str | None = None, name: str | None = None) -> list[dict[str, Any]]:
        """SageMaker and STS calls the emulator received, oldest first, optionally filtered;
        a call refused by an injected fault carries ``fault`` (its error code)."""
        found: list[dict[str, Any]] = self._control("GET", "calls")
        return [
            call
            for call in found
            if (operation is None or call["operation"] == operation)
            and (name is None or call["name"] == name)
        ]

    def inject_fault(
        self,
        operation: str,
        code: str = "ThrottlingException",
        status: int = 400,
        count: int | None = None,
        seconds: float | None = None,
    ) -> dict[str, Any]:
        """Make the emulator refuse ``operation`` with ``code`` and HTTP ``status``, for the next
        ``count`` calls or the next ``seconds`` (give one); see ``/_emulator/faults``."""
        limit = {"count": count} if seconds is None else {"seconds": seconds}
        fault = {"operation": operation, "code": code, "status": status, **limit}
        found: dict[str, Any] = self._control("POST", "faults", fault)
        return found

    def clear_faults(self) -> None:
        self._control("DELETE", "faults")

    def _control(self, method: str, path: str, body: Any = None) -> Any:
        assert self.emulator is not None
        request = urllib.request.Request(
            f"{self.emulator.url}/_emulator/{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as reply:
            return json.loads(reply.read())

    def controller_log(self) -> str:
        return (self._logs / "ack-controller.log").read_text(errors="replace")

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
