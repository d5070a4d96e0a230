"""Write each kind's files into the repository from the pinned CRDs; ``--check`` finds stale ones.

For every kind in ``kinds.ALL_KINDS`` this writes the bundled schema
(``src/ack_components/schemas/<Kind>.json``, the CRD's own) and what
``ack_components.component_files`` makes of it: the Jinja template
(``crd_templates/<Kind>.yaml.j2``), and the component's ``component.yaml`` and
``README.md``; and the Workteam component's, from its own input table. Nothing in those files is edited by hand, so a component cannot
drift from its CRD or from the engine's options; a test runs ``--check``. It lives in
the sandbox because the CRDs come from the controller's source the sandbox builds.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from ack_components import component_files, kinds
from ack_components.kinds import Kind

REPO = Path(__file__).resolve().parents[2]


def crd_schema(kind: Kind) -> dict[str, Any]:
    """The kind's ``openAPIV3Schema`` (its served version's) from the sandbox's pinned CRDs."""
    from ack_components_sandbox.cluster import crds

    for path in [*crds.sagemaker_crd_files(), crds.pytorchjob_crd_file()]:
        crd = yaml.safe_load(path.read_text())
        if crd["spec"]["names"]["kind"] == kind.name:
            for version in crd["spec"]["versions"]:
                if version["name"] == kind.version:
                    schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
                    return schema
    raise KeyError(f"no CRD for {kind.name}")


def generate(kind: Kind, schema: dict[str, Any]) -> dict[Path, str]:
    """The kind's files in the repository: its bundled schema and component_files' own."""
    bundled = json.dumps(schema, indent=1, sort_keys=True) + "\n"
    return {
        REPO / "src" / "ack_components" / "schemas" / f"{kind.name}.json": bundled,
        **{REPO / path: text for path, text in component_files.files(kind, schema).items()},
    }


INDEX = REPO / component_files.INDEX


def index(table: Sequence[Kind]) -> str:
    return component_files.index(table)


def stale(files: dict[Path, str]) -> list[str]:
    problems = []
    for path, text in files.items():
        current = path.read_text() if path.exists() else ""
        if current != text:
            diff = difflib.unified_diff(
                current.splitlines(), text.splitlines(), str(path), "generated", lineterm="", n=1
            )
            problems.append("\n".join(list(diff)[:20]))
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ack-components-sandbox codegen", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if a generated file is stale")
    args = parser.parse_args(argv)
    files: dict[Path, str] = {}
    for kind in kinds.ALL_KINDS.values():
        files.update(generate(kind, crd_schema(kind)))
    files.update({REPO / path: text for path, text in component_files.workteam_files().items()})
    files[INDEX] = index(list(kinds.ALL_KINDS.values()))
    if args.check:
        problems = stale(files)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("stale generated files: run `ack-components-sandbox codegen`", file=sys.stderr)
        return 1 if problems else 0
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path.relative_to(REPO)}")
    return 0
