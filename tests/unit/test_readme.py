"""The project README lists the drop-in components and the Role covers every kind."""

from __future__ import annotations

import re
from pathlib import Path

from ack_components import kinds, rbac

README_PATH = Path(__file__).resolve().parents[2] / "README.md"
README = README_PATH.read_text()


def test_every_upstream_component_is_listed() -> None:
    for kind in kinds.KINDS.values():
        listed = f"[{kind.component_name}](components/{kind.name}/README.md)" in README
        assert listed == kind.replaces_upstream, kind.name


def test_the_role_shown_is_the_one_rbac_prints() -> None:
    [shown] = re.findall(r"resources: \[([^\]]*)\]", README)
    [rule] = rbac.rules(kinds.granted_by_default())
    assert [r.strip() for r in shown.split(",")] == rule["resources"]


def test_the_readme_says_where_the_command_and_kubectl_are() -> None:
    from ack_components_sandbox.base import binaries

    kubectl = binaries.kubectl()
    assert f"~/.cache/ack-components/bin/{kubectl.folder}/kubectl" in README
    assert ".venv/bin/ack-components" in README
    assert "source .venv/bin/activate" in README


def test_the_licence_is_an_spdx_string_setuptools_reads_without_a_deprecation() -> None:
    import tomllib

    pyproject = tomllib.loads((README_PATH.parent / "pyproject.toml").read_text())
    # A table ({text = ...}) makes setuptools print a deprecation box on every install.
    assert pyproject["project"]["license"] == "Apache-2.0"
    [setuptools] = [r for r in pyproject["build-system"]["requires"] if "setuptools" in r]
    assert setuptools == "setuptools>=77"  # the first to read the SPDX string (PEP 639)
