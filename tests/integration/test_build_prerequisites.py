"""`make controlplane` (tools/build.sh) says what is missing instead of failing obscurely."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

BUILD = Path(__file__).resolve().parents[2] / "tools" / "build.sh"


def build(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {**os.environ, "ACK_COMPONENTS_CACHE": str(tmp_path / "cache"), **env}
    return subprocess.run(
        ["bash", str(BUILD), "controlplane"], capture_output=True, text=True, env=base, timeout=120
    )


def test_no_go_is_one_clear_message(tmp_path: Path) -> None:
    done = build(tmp_path, PATH="/usr/bin:/bin")
    assert done.returncode == 3
    assert "error: Go is not installed" in done.stderr
    assert "ACK_COMPONENTS_BIN_DIR" in done.stderr


def test_no_module_access_is_one_clear_message(tmp_path: Path) -> None:
    done = build(tmp_path, GOPROXY="off", GOMODCACHE=str(tmp_path / "empty-modcache"))
    assert done.returncode == 4
    assert (
        "error: could not fetch Go modules for k8s.io/kubernetes/cmd/kube-apiserver" in done.stderr
    )
    assert not any((tmp_path / "cache").rglob("kube-apiserver"))
