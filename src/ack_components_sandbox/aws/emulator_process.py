"""Start and stop the SageMaker emulator as a sandbox part, from its own virtualenv.

The emulator needs moto, whose server extra needs pydantic 2, while kfp 1.8 (in
the main environment) needs pydantic 1; so it runs as a separate process from
``.venv-emulator`` (``make emulator``) or from the interpreter named by
``ACK_COMPONENTS_EMULATOR_PYTHON``. This module only imports the standard library.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from ack_components_sandbox.base.binaries import MissingPrerequisite
from ack_components_sandbox.base.processes import PartState, ProcessRef, answers_ok, spawn

PYTHON_ENV = "ACK_COMPONENTS_EMULATOR_PYTHON"
_REPO_VENV = Path(__file__).resolve().parents[3] / ".venv-emulator" / "bin" / "python"
_LISTENING = re.compile(r"listening on (http://[0-9.]+:\d+)")


class EmulatorError(RuntimeError):
    """The emulator did not start; the message says why."""


@dataclass(frozen=True)
class EmulatorState(PartState):
    process: ProcessRef
    url: str


def python() -> Path:
    configured = os.environ.get(PYTHON_ENV)
    candidate = Path(configured) if configured else _REPO_VENV
    if not candidate.exists():
        raise MissingPrerequisite(
            f"the SageMaker emulator's Python ({candidate}) is missing: run `make emulator`, "
            f"or set {PYTHON_ENV} to a Python that has ack-components and moto[server] installed"
        )
    return candidate


def start(
    log: Path,
    training_seconds: float = 6.0,
    timeout: float = 60.0,
    extra_args: tuple[str, ...] = (),
    host: str = "127.0.0.1",
) -> EmulatorState:
    """Start the emulator on ``host``; ``extra_args`` are its own options (phase lengths,
    see ``--help``)."""
    argv = [
        str(python()),
        "-m",
        "ack_components_sandbox.aws.emulator",
        "--host",
        host,
        "--port",
        "0",
    ]
    argv += ["--training-seconds", str(training_seconds), *extra_args]
    log.unlink(missing_ok=True)  # the port is read from this log: no line from an earlier run
    process = spawn("sagemaker-emulator", argv, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = _LISTENING.search(Path(process.log).read_text(errors="replace"))
        if found:
            return EmulatorState(process, found.group(1))
        if not process.is_running():
            raise EmulatorError(
                f"it exited before listening; last lines of {log}:\n{process.log_tail()}"
            )
        time.sleep(0.05)
    process.stop()
    raise EmulatorError(f"it was not listening within {timeout:.0f} s; see {log}")


def healthy(state: EmulatorState) -> bool:
    return answers_ok(f"{state.url}/_emulator/health")
