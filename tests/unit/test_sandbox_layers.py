"""The sandbox's layers: each imports only from those below it, and no module imports itself back.

The layers, from the bottom: ``base`` (processes, the pinned binaries, the host's changes,
Kubernetes objects), ``cluster`` (control plane, node, CRDs, images, DNS), ``aws`` (the
SageMaker emulator and the ACK controller), ``kubeflow`` (Argo, Pipelines, the training
operator, runs), then the package's own modules (``stack``, ``submit``, ``cli``,
``codegen``) and ``testing`` on top. Imports inside functions count too: a lazy import is
still a dependency. The emulator runs in a virtualenv of its own and imports only itself;
ML Metadata's server runs by file path in another and imports nothing of the project.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "ack_components_sandbox"
NAME = "ack_components_sandbox"
LAYERS = ("base", "cluster", "aws", "kubeflow")
TOP = len(LAYERS)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """The sandbox modules ``path`` imports, by full name (``from pkg import module`` names the
    module when it is one)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith(NAME)}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(NAME):
            found.add(node.module)
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                if candidate in MODULES:
                    found.add(candidate)
    return found


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}
GRAPH = {name: imports(path) & set(MODULES) for name, path in MODULES.items()}


def layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else TOP


def test_every_module_is_in_a_layer_or_on_top() -> None:
    on_top = {m.split(".")[1] for m in MODULES if m != NAME and layer(m) == TOP}
    assert on_top == {"cli", "codegen", "stack", "submit", "testing"}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_module_imports_only_its_own_layer_and_those_below(module: str) -> None:
    upward = sorted(
        imported
        for imported in GRAPH[module]
        if layer(imported) > layer(module) and not module.startswith(imported + ".")
    )
    assert upward == [], f"{module} imports from a layer above it: {upward}"


def test_the_emulator_imports_only_itself() -> None:
    emulator = f"{NAME}.aws.emulator"
    for module, imported in GRAPH.items():
        if module == emulator or module.startswith(emulator + "."):
            outside = {
                i for i in imported if i != emulator and not i.startswith(emulator + ".")
            } - {f"{NAME}.aws"}
            assert outside == set(), (module, outside)


def test_the_metadata_server_imports_nothing_of_the_project() -> None:
    server = f"{NAME}.kubeflow.metadata_server"
    assert GRAPH[server] == set()
    assert not any(
        isinstance(node, ast.ImportFrom) and node.level
        for node in ast.walk(ast.parse(MODULES[server].read_text()))
    )


def test_there_is_no_import_cycle() -> None:
    """Depth-first search over module → module edges (a package's ``__init__`` aside:
    importing ``pkg.module`` loads ``pkg`` by construction, which is no dependency)."""
    edges = {m: {i for i in deps if not m.startswith(i + ".")} for m, deps in GRAPH.items()}
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = "open"
        path.append(module)
        for nxt in sorted(edges.get(module, ())):
            if state.get(nxt) == "open":
                cycle = [*path[path.index(nxt) :], nxt]
                pytest.fail("import cycle: " + " → ".join(cycle))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[module] = "done"

    for module in sorted(edges):
        if module not in state:
            visit(module)
