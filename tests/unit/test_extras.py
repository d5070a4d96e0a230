"""What each part needs is declared: a plain install runs components, ``[sandbox]`` the sandbox.

``pip install ack-components`` then ``ack-components sandbox up`` once ended in
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

from ack_components import cli

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "src" / "ack_components"
CLI = str(Path(sys.executable).parent / "ack-components")
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


def test_every_import_is_declared_by_the_base_install_or_the_sandbox_extra() -> None:
    declared = {
        distribution(r)
        for r in (*PROJECT["dependencies"], *PROJECT["optional-dependencies"]["sandbox"])
    }
    providers = importlib.metadata.packages_distributions()
    for path in PACKAGE.rglob("*.py"):
        part = path.relative_to(PACKAGE).parts
        if part[0] == "testing" or part[:2] == ("sandbox", "emulator"):
            continue  # test helpers (dev), the emulator (its own virtualenv)
        for module in imported(path) - set(sys.stdlib_module_names) - {"ack_components"}:
            given = {d.lower() for d in providers.get(module, [])}
            assert given & declared, f"{path.relative_to(REPO)} imports {module}, not declared"


def test_the_sandbox_checks_what_its_extra_installs() -> None:
    extra = {distribution(r) for r in PROJECT["optional-dependencies"]["sandbox"]}
    assert set(cli.SANDBOX_MODULES) == extra


def test_a_missing_sandbox_prerequisite_is_one_line_before_anything_starts(tmp_path: Path) -> None:
    shadow = tmp_path / "shadow" / "cryptography"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'cryptography'\", name='cryptography')\n"
    )
    sandbox = tmp_path / "sandbox"
    env = {**os.environ, "PYTHONPATH": str(shadow.parent)}
    done = subprocess.run(
        [CLI, "sandbox", "up", "--dir", str(sandbox)],
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
