"""What the component image is built from and named: apt sources, references, the build
context and the cache key (the build itself runs in tests/integration/test_step_in_pod.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ack_components import component_files
from ack_components_sandbox.cluster import component_image as ci

REPO = Path(__file__).resolve().parents[2]


def os_release(tmp_path: Path, codename: str = "bookworm") -> Path:
    path = tmp_path / "os-release"
    path.write_text(f'PRETTY_NAME="Debian GNU/Linux 12"\nVERSION_CODENAME={codename}\n')
    return path


def test_the_mirror_comes_from_a_deb822_source_for_this_release(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\n# a comment inside the stanza\nURIs: http://mirror.test/debian\n"
        "Suites: bookworm bookworm-updates\nComponents: main\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
        "Types: deb\nURIs: http://mirror.test/debian-security\nSuites: bookworm-security\n"
        "Components: main\n"
    )
    (tmp_path / "sources.list.d" / "other.list").write_text(
        "deb [signed-by=/k.gpg] https://other.test/apt tools-bookworm main\n"
    )
    source = ci.debian_source(tmp_path, os_release(tmp_path))
    assert source == ci.DebianSource(
        "bookworm", "http://mirror.test/debian", "/usr/share/keyrings/debian-archive-keyring.gpg"
    )


def test_the_mirror_comes_from_a_one_line_source(tmp_path: Path) -> None:
    (tmp_path / "sources.list").write_text(
        "# deb http://commented.test/debian trixie main\n"
        "deb-src http://src.test/debian trixie main\n"
        "deb [arch=amd64] http://mirror.test/debian trixie main contrib\n"
    )
    source = ci.debian_source(tmp_path, os_release(tmp_path, "trixie"))
    assert (source.release, source.mirror, source.keyring) == (
        "trixie",
        "http://mirror.test/debian",
        "",
    )


def test_no_source_for_the_release_is_an_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "sources.list").write_text("deb http://mirror.test/debian bullseye main\n")
    with pytest.raises(ci.ImageError, match="Debian bookworm"):
        ci.debian_source(tmp_path, os_release(tmp_path))


@pytest.mark.parametrize(
    ("reference", "stored"),
    [
        ("python:3.11-slim", "docker.io/library/python:3.11-slim"),
        ("ack-components/ack-components:0.1.0", "docker.io/ack-components/ack-components:0.1.0"),
        ("localhost/base:1", "localhost/base:1"),
        ("registry.test:5000/a/b:1", "registry.test:5000/a/b:1"),
    ],
)
def test_references_are_named_as_the_runtimes_store_them(reference: str, stored: str) -> None:
    assert ci.normalized(reference) == stored


def test_the_image_is_the_one_component_yaml_runs_from_the_dockerfile_base() -> None:
    assert ci.COMPONENT_IMAGE == component_files.IMAGE
    assert ci.dockerfile_base(REPO / "Dockerfile") == "python:3.11-slim"


def test_the_build_context_leaves_out_the_sandbox_and_the_test_harness() -> None:
    files = ci.context_files(REPO)
    assert {"pyproject.toml", "README.md", "src/ack_components/run.py"} <= set(files)
    assert any(f.startswith("crd_templates/") for f in files)
    for name in files:
        assert not name.startswith(
            (
                "src/ack_components_sandbox/",
                "src/ack_components_sandbox/testing/",
                "tests/",
                ".venv",
            )
        ), name
        assert "__pycache__" not in name


def context(tmp_path: Path) -> Path:
    for name, text in {
        "Dockerfile": "FROM python:3.11-slim\n",
        ".dockerignore": "*\n!pkg/\npkg/dev/\n**/__pycache__\n",
        "pkg/a.py": "A = 1\n",
        "pkg/dev/tool.py": "",
        "notes.txt": "",
    }.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_the_cache_key_follows_what_the_build_reads(tmp_path: Path) -> None:
    root = context(tmp_path)
    assert ci.context_files(root) == ["pkg/a.py"]
    key = ci.component_hash(root, "recipe")
    (root / "notes.txt").write_text("not sent")
    (root / "pkg" / "dev" / "tool.py").write_text("left out")
    (root / "pkg" / "__pycache__").mkdir()
    (root / "pkg" / "__pycache__" / "a.pyc").write_text("")
    assert ci.component_hash(root, "recipe") == key
    assert ci.component_hash(root, "another base") != key
    (root / "pkg" / "a.py").write_text("A = 2\n")
    changed = ci.component_hash(root, "recipe")
    assert changed != key
    (root / "Dockerfile").write_text("FROM python:3.11-slim\nUSER 1\n")
    assert ci.component_hash(root, "recipe") != changed
