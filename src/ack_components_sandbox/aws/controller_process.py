"""The real ACK SageMaker controller as a sandbox part, pointed at the local API server and emulator.

Why a module of its own: the controller has two start-up traps on a developer's machine.
It calls STS ``GetCallerIdentity`` before anything else, so STS must be the emulator too
(``--aws-identity-endpoint-url``); and an inherited ``AWS_CA_BUNDLE`` (or any other AWS_*
setting of the host) makes every reconcile fail, so it starts with a clean environment
holding only what it needs. Its health and metrics ports are free ones picked at start,
so several sandboxes (and test sessions) run side by side. Standard library only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from ack_components_sandbox.base import binaries
from ack_components_sandbox.base.processes import (
    PartState,
    ProcessRef,
    answers_ok,
    exit_code,
    spawn,
)
from ack_components_sandbox.cluster.controlplane import free_port

#: Any static key works with the emulator; the controller refuses to start without one.
EMULATOR_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "ackcomponents", "AWS_SECRET_ACCESS_KEY": "sandbox"}


class ControllerError(RuntimeError):
    """The controller did not become healthy; the message says why in one line, then its log."""


@dataclass(frozen=True)
class ControllerState(PartState):
    process: ProcessRef
    healthz_url: str
    metrics_url: str
    region: str
    kubeconfig: str


def command(
    binary: Path,
    emulator_url: str,
    region: str,
    healthz_port: int,
    metrics_port: int,
    watch_namespace: str = "",
    extra_args: tuple[str, ...] = (),
) -> list[str]:
    """The controller's command line for the sandbox (pure, so the flags are tested alone)."""
    argv = [
        str(binary),
        f"--aws-region={region}",
        f"--aws-endpoint-url={emulator_url}",
        f"--aws-identity-endpoint-url={emulator_url}",
        "--allow-unsafe-aws-endpoint-urls",
        "--enable-leader-election=false",
        # Cross-account role maps live in a ConfigMap of ack-system; the sandbox has one account.
        "--enable-carm=false",
        f"--healthz-addr=127.0.0.1:{healthz_port}",
        f"--metrics-addr=127.0.0.1:{metrics_port}",
    ]
    if watch_namespace:
        argv.append(f"--watch-namespace={watch_namespace}")
    return [*argv, *extra_args]


def clean_environment(kubeconfig: Path) -> dict[str, str]:
    """Only what the controller needs: nothing AWS_* of the host's reaches it."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(Path(kubeconfig).parent),
        "KUBECONFIG": str(kubeconfig),
        **EMULATOR_CREDENTIALS,
    }


def start(
    kubeconfig: Path,
    emulator_url: str,
    log: Path,
    region: str = "us-east-1",
    watch_namespace: str = "",
    extra_args: tuple[str, ...] = (),
    timeout: float = 60.0,
) -> ControllerState:
    healthz_port, metrics_port = free_port(), free_port()
    argv = command(
        binaries.controller().path(),
        emulator_url,
        region,
        healthz_port,
        metrics_port,
        watch_namespace,
        extra_args,
    )
    log.unlink(missing_ok=True)
    process = spawn("ack-sagemaker-controller", argv, log, clean_environment(kubeconfig))
    state = ControllerState(
        process,
        f"http://127.0.0.1:{healthz_port}/healthz",
        f"http://127.0.0.1:{metrics_port}/metrics",
        region,
        str(kubeconfig),
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if healthy(state):
            return state
        # Ended for sure (reaped, so all it wrote is in the log), not a glance at /proc
        # that can miss a process still starting up.
        if exit_code(process) is not None:
            raise ControllerError(
                f"it exited at start: {first_error(log)}\nlast lines of {log}:\n"
                f"{process.log_tail()}"
            )
        time.sleep(0.1)
    process.stop()
    raise ControllerError(f"it was not healthy within {timeout:.0f} s: {first_error(log)}")


def healthy(state: ControllerState) -> bool:
    return answers_ok(state.healthz_url)


def first_error(log: Path) -> str:
    """The first line of the controller's log that reports an error, for a one-line message."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return "no log"
    for line in lines:
        lowered = line.lower()
        if '"level":"error"' in lowered or "error" in lowered[:40] or "unable to" in lowered:
            return line.strip()[:400]
    return (lines[-1].strip()[:400] if lines else "no output") or "no output"
