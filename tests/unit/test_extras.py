"""What each part needs is declared: a plain install runs components, ``[sandbox]`` the sandbox.

``pip install ack-components`` then ``ack-components-sandbox up`` once ended in
``No module named 'botocore'``. Every module the package imports (but the
emulator, which runs from its own virtualenv, and the test helpers) must come
from the base dependencies or the ``[sandbox]`` extra, and a missing one is
named in one line before anything starts.
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from ack_components_sandbox import cli as sandbox_cli

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "src" / "ack_components"
SANDBOX_PACKAGE = REPO / "src" / "ack_components_sandbox"
SANDBOX_CLI = str(Path(sys.executable).parent / "ack-components-sandbox")
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def distribution(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower()


def imported(path: Path) -> set[str]:
    """Top-level names of the modules a file imports (at any depth: lazy imports count)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def undeclared(
    package: Path, declared: set[str], own: set[str], skip: tuple[Path, ...] = ()
) -> list[str]:
    providers = importlib.metadata.packages_distributions()
    found = []
    for path in package.rglob("*.py"):
        if any(path.relative_to(package).is_relative_to(folder) for folder in skip):
            continue
        for module in imported(path) - set(sys.stdlib_module_names) - own:
            if not {d.lower() for d in providers.get(module, [])} & declared:
                found.append(f"{path.relative_to(REPO)} imports {module}")
    return found


def test_the_engine_imports_only_its_base_dependencies_and_never_the_sandbox() -> None:
    base = {distribution(r) for r in PROJECT["dependencies"]}
    assert undeclared(PACKAGE, base, own={"ack_components"}) == []
    assert not any("ack_components_sandbox" in imported(p) for p in PACKAGE.rglob("*.py"))


def test_every_sandbox_import_is_declared_by_the_base_install_or_the_sandbox_extra() -> None:
    declared = {
        distribution(r)
        for r in (*PROJECT["dependencies"], *PROJECT["optional-dependencies"]["sandbox"])
    }
    own = {"ack_components", "ack_components_sandbox"}
    # test helpers (dev), the emulator and the metadata server (their own virtualenvs) are
    # left out
    skip = (Path("testing"), Path("aws", "emulator"), Path("kubeflow", "metadata_server.py"))
    assert undeclared(SANDBOX_PACKAGE, declared, own, skip=skip) == []


def test_the_sandbox_checks_what_its_extra_installs() -> None:
    extra = {distribution(r) for r in PROJECT["optional-dependencies"]["sandbox"]}
    assert set(sandbox_cli.SANDBOX_MODULES) == extra


def test_a_missing_sandbox_prerequisite_is_one_line_before_anything_starts(tmp_path: Path) -> None:
    shadow = tmp_path / "shadow" / "cryptography"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'cryptography'\", name='cryptography')\n"
    )
    sandbox = tmp_path / "sandbox"
    env = {**os.environ, "PYTHONPATH": str(shadow.parent)}
    done = subprocess.run(
        [SANDBOX_CLI, "up", "--dir", str(sandbox)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr == (
        "error: sandbox up needs the Python package 'cryptography', which is not installed: "
        "pip install 'ack-components[sandbox]'\n"
    )
    assert not (sandbox / "state.json").exists()
