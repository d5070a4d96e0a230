"""The component image, checked without docker: base, user, and a runtime free of kfp."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    lines = [
        line
        for line in (REPO / "Dockerfile").read_text().splitlines()
        if not line.lstrip().startswith("#")
    ]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    return [
        (word.upper(), rest.strip())
        for word, _, rest in (line.strip().partition(" ") for line in joined.splitlines())
        if word
    ]


def arguments(instruction: str) -> list[str]:
    return [rest for word, rest in instructions() if word == instruction]


def test_base_is_python_311_slim() -> None:
    [base] = arguments("FROM")
    assert re.fullmatch(r"python:3\.11(\.\d+)?-slim(-\w+)?(@sha256:[0-9a-f]{64})?", base), base


def test_runs_as_a_non_root_user() -> None:
    users = arguments("USER")
    assert users, "the image must set USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    words = [word for word, _ in instructions()][::-1]
    assert words.index("USER") < words.index("RUN"), "USER comes after the last RUN"


def test_no_entrypoint_and_only_runtime_install() -> None:
    assert arguments("ENTRYPOINT") == []
    runs = " ".join(arguments("RUN"))
    assert re.search(r"pip install (\.|/tmp/build)(\s|$)", runs)
    assert "kfp" not in runs
    assert "[dev]" not in runs and "[sandbox]" not in runs


def test_dockerignore_sends_what_the_dockerfile_copies() -> None:
    kept = {
        line[1:].rstrip("/")
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    copied = {source for args in arguments("COPY") for source in args.split()[:-1]}
    assert copied <= kept
    assert all((REPO / source).exists() for source in copied)


def test_runtime_dependencies_leave_out_kfp() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    names = {
        re.split(r"[<>=!~\[; ]", dep, maxsplit=1)[0].lower() for dep in project["dependencies"]
    }
    assert names.isdisjoint({"kfp", "kfp-server-api", "kfp-pipeline-spec", "pytest", "hypothesis"})
    assert "kubernetes" in names


def test_run_imports_without_kfp() -> None:
    code = (
        "import sys, ack_components.run, ack_components.cli; "
        "leaked = {'kfp', 'pytest', 'hypothesis'} & set(sys.modules); "
        "assert not leaked, leaked"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_image_carries_oci_labels_the_release_fills() -> None:
    [labels] = arguments("LABEL")
    for key in ("source", "version", "revision"):
        assert f'org.opencontainers.image.{key}="${{{key.upper()}}}"' in labels, labels
    assert {"VERSION=unknown", "REVISION=unknown", "SOURCE=unknown"} <= set(arguments("ARG"))
    release = (REPO / ".github" / "workflows" / "release.yml").read_text()
    for key in ("VERSION", "REVISION", "SOURCE"):
        assert f"{key}=${{{{" in release  # passed by the release workflow
