"""`make dist`: the sdist and wheel build, pass `twine check`, and the wheel alone, in a
fresh virtualenv, gives a working `ack-components` (help, and a resource rendered from
the bundled schemas and templates)."""

from __future__ import annotations

import subprocess
import tarfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_make_dist_builds_checks_and_installs_the_wheel_alone() -> None:
    done = subprocess.run(["make", "dist"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    from ack_components import __version__

    wheel = REPO / "dist" / f"ack_components-{__version__}-py3-none-any.whl"
    sdist = REPO / "dist" / f"ack_components-{__version__}.tar.gz"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "ack_components/schemas/TrainingJob.json" in names
    assert "ack_components/crd_templates/TrainingJob.yaml.j2" in names
    with tarfile.open(sdist) as archive:
        assert f"ack_components-{__version__}/README.md" in archive.getnames()
    installed = REPO / ".venv-dist" / "bin" / "pip"
    shown = subprocess.run(
        [str(installed), "show", "ack-components"], capture_output=True, text=True
    )
    assert f"Version: {__version__}" in shown.stdout
    listed = subprocess.run([str(installed), "list"], capture_output=True, text=True).stdout
    assert "kfp " not in listed  # the runtime needs no kfp
