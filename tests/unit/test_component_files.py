"""`ack-components components --image`: the shipped component files for a user's own image,
byte for byte but for the image, from the installed package alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import kfp
import pytest

from ack_components import component_files, kinds

REPO = Path(__file__).resolve().parents[2]
CLI = str(Path(sys.executable).parent / "ack-components")
PINNED = "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/ack-components@sha256:" + "0f" * 32

pytestmark = pytest.mark.filterwarnings(
    "ignore::DeprecationWarning", "ignore::PendingDeprecationWarning"
)


def components(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, "components", *args], capture_output=True, text=True)


def test_every_file_is_the_shipped_one_but_for_the_image(tmp_path: Path) -> None:
    done = components("--image", PINNED, "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    shipped = REPO / "components"
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert written == sorted(p.relative_to(shipped) for p in shipped.rglob("*") if p.is_file())
    for path in written:
        expected = (shipped / path).read_text()
        if path.name == "component.yaml":
            assert expected.count(f"image: {component_files.IMAGE}\n") == 1
            expected = expected.replace(f"image: {component_files.IMAGE}\n", f"image: {PINNED}\n")
        assert (tmp_path / path).read_text() == expected, path


def test_kfp_loads_a_written_component_with_the_pinned_image(tmp_path: Path) -> None:
    assert (
        components("--image", PINNED, "--kinds", "TrainingJob", "--out", str(tmp_path)).returncode
        == 0
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md", "TrainingJob"]
    assert "TrainingJob" in (tmp_path / "README.md").read_text()
    assert "Endpoint" not in (tmp_path / "README.md").read_text()
    spec = kfp.components.load_component_from_file(
        str(tmp_path / "TrainingJob" / "component.yaml")
    ).component_spec
    assert spec.implementation.container.image == PINNED
    assert spec.name == kinds.TRAINING_JOB.component_name


@pytest.mark.parametrize(
    ("image", "message"),
    [
        ("Team/ACK", "is not an image reference"),
        ("team/ack@sha256:abc", "a digest is @sha256: and 64 lower-case hex digits"),
        ("team/ack:tag with space", "is not an image reference"),
    ],
)
def test_a_bad_image_is_refused_and_nothing_is_written(
    tmp_path: Path, image: str, message: str
) -> None:
    out = tmp_path / "out"
    done = components("--image", image, "--out", str(out))
    assert done.returncode == 2
    assert f"--image {image!r}" in done.stderr and message in done.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    "image",
    [
        "ack-components",
        "localhost:5000/a/b:1.0",
        "ghcr.io/org/ack-components:0.1.0@sha256:" + "a" * 64,
    ],
)
def test_references_a_runtime_pulls_are_taken(image: str) -> None:
    assert component_files.check_image(image) == image
