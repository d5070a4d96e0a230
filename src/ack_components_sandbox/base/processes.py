"""Child processes that outlive the Python object that started them.

The sandbox CLI starts etcd and kube-apiserver in one command (`sandbox up`) and
stops them in another (`sandbox down`), so a process is remembered by its pid and
the executable it runs, never by a Popen handle alone. Checking the executable
before a signal keeps a recycled pid from being killed by mistake.

In the process that started a child, its Popen handle is still kept (`_STARTED`):
the standard library reaps a child whose handle was dropped at its next Popen, and
a child reaped there leaves no exit code for `exit_code` to find.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Self, cast

_STARTED: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class ProcessRef:
    """A started process: its pid, executable and log file. Plain data, so it can go to JSON."""

    name: str
    pid: int
    executable: str
    log: str
    argv: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProcessRef:
        """Back from the state file, where JSON made ``argv`` a list."""
        return cls(**{**data, "argv": tuple(data.get("argv", ()))})

    def is_running(self) -> bool:
        try:
            exe = os.readlink(f"/proc/{self.pid}/exe").removesuffix(" (deleted)")
            argv = Path(f"/proc/{self.pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return False
        if _is_zombie(self.pid):
            return False
        # A script's /proc exe is its interpreter; its path is then an argument.
        return exe == self.executable or self.executable.encode() in argv[:2]

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = Path(self.log).read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, grace_seconds: float = 10.0) -> None:
        """SIGTERM, wait up to the grace period, then SIGKILL; returns when the process is gone."""
        if self.is_running():
            os.kill(self.pid, signal.SIGTERM)
            deadline = time.monotonic() + grace_seconds
            while _alive(self.pid) and time.monotonic() < deadline:
                _reap(self.pid)
                time.sleep(0.05)
            if self.is_running():
                os.kill(self.pid, signal.SIGKILL)
        _finish(self.pid)


@dataclass(frozen=True)
class PartState:
    """A started part's record in the sandbox's state file (a dataclass of plain values and
    ``ProcessRef`` fields): to JSON and back, the ``ProcessRef`` fields restored as such."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        refs = {f.name for f in fields(cls) if f.type in ("ProcessRef", ProcessRef)}
        values = {k: ProcessRef.from_json(v) if k in refs else v for k, v in data.items()}
        return cast(Self, cast(Any, cls)(**values))


def wait_ready(
    processes: Sequence[ProcessRef],
    ready: Callable[[], bool],
    timeout: float,
    failed: str,
    error: type[Exception] = RuntimeError,
    poll: float = 0.1,
) -> None:
    """Return once ``ready()`` holds. If one of ``processes`` ends first, or ``timeout``
    seconds pass, stop them all and raise ``error``: ``failed``, then the last lines of the
    log of the one that ended (else of the first)."""
    deadline = time.monotonic() + timeout
    while not ready():
        dead = [ref for ref in processes if not ref.is_running()]
        if dead or time.monotonic() > deadline:
            for ref in processes:
                ref.stop()
            culprit = dead[0] if dead else processes[0]
            raise error(f"{failed}; last lines of {culprit.log}:\n{culprit.log_tail()}")
        time.sleep(poll)


def answers_ok(url: str) -> bool:
    """Whether an HTTP health endpoint answers 200 (a part's readiness)."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def spawn(name: str, argv: list[str], log: Path, env: dict[str, str] | None = None) -> ProcessRef:
    """Start argv in its own session with output to log; the caller keeps only the ProcessRef."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        child = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=env,
        )
    _STARTED[child.pid] = child
    executable = str(Path(argv[0]).resolve())
    return ProcessRef(name, child.pid, executable, str(log), tuple(argv))


def respawn(ref: ProcessRef) -> ProcessRef:
    """Stop the process and start the same command again, appending to the same log."""
    ref.stop()
    return spawn(ref.name, list(ref.argv), Path(ref.log))


def exit_code(ref: ProcessRef) -> int | None:
    """The exit code of a child of this process that has ended, or None if it runs or is not ours."""
    if (child := _STARTED.get(ref.pid)) is not None:
        return child.poll()
    try:
        pid, status = os.waitpid(ref.pid, os.WNOHANG)
    except ChildProcessError:
        return None
    return os.waitstatus_to_exitcode(status) if pid else None


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists() and not _is_zombie(pid)


def _finish(pid: int, limit: float = 10.0) -> None:
    """Wait until the process has exited, reaping it if it is our child."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if (child := _STARTED.get(pid)) is not None:
            if child.poll() is not None:
                return
            time.sleep(0.02)
            continue
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # not ours (or already reaped): gone once not alive
            if not _alive(pid):
                return
        else:
            if done:
                return
        time.sleep(0.02)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def _reap(pid: int) -> None:
    if (child := _STARTED.get(pid)) is not None:
        child.poll()
        return
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
