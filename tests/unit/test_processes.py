"""A started process's exit code survives other subprocesses being started meanwhile."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from ack_components_sandbox.aws.controller_process import ControllerState
from ack_components_sandbox.base.processes import ProcessRef, exit_code, spawn


def test_the_exit_code_is_ours_even_after_other_subprocesses_start(tmp_path: Path) -> None:
    # The standard library reaps a dropped Popen's child at the next Popen; the sandbox
    # starts other parts while it waits on one, and must still read how that one ended.
    ref = spawn("exits", [sys.executable, "-c", "raise SystemExit(3)"], tmp_path / "log")
    deadline = time.monotonic() + 10
    while Path(f"/proc/{ref.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
        assert time.monotonic() < deadline, "the child did not exit"
        time.sleep(0.02)
    subprocess.run(["true"], check=True)
    assert exit_code(ref) == 3


def test_a_running_process_has_no_exit_code(tmp_path: Path) -> None:
    ref = spawn("sleeps", ["/bin/sleep", "30"], tmp_path / "log")
    try:
        assert exit_code(ref) is None
    finally:
        ref.stop()
    assert exit_code(ref) is not None


def test_a_parts_record_comes_back_from_json_with_its_process_refs() -> None:
    ref = ProcessRef("ack-controller", 42, "/bin/controller", "/tmp/log", ("/bin/controller", "-v"))
    state = ControllerState(ref, "http://h/healthz", "http://h/metrics", "us-east-1", "/k")
    assert ControllerState.from_json(json.loads(json.dumps(state.to_json()))) == state
