"""The suite's tiers and how a parallel run spreads them; the fixtures of the real control
plane come from ack_components_sandbox.testing.pytest_plugin.

Tiers, so a developer runs one alone (``pytest -m unit``): ``unit`` (tests/unit, no
process of the sandbox), ``e2e`` (the integration tests on light stacks: API server,
emulator, the real controller) and ``node`` (the modules that need the sandbox's node:
their module marks them). Every test gets exactly one.

``make test`` runs them with pytest-xdist (``--dist loadgroup``): each module is one
group, so its module-scoped stacks and waves are started once, on one worker; the node
tier is one group, so it runs on one worker against the one full sandbox of the run
(the session fixture ``sandbox``), with ``make demo``'s own up-run-down first, before
that sandbox is up (a machine holds one node at a time). The node group comes first and
the other workers take the light modules meanwhile, longest tiers first.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["ack_components_sandbox.testing.pytest_plugin"]

TIERS = ("node", "e2e", "unit")
#: The module that brings its own sandbox up and down, as `make demo` does; it runs
#: before the shared one is up.
OWN_SANDBOX = "test_demo.py"


def tier(item: pytest.Item) -> str:
    if item.get_closest_marker("node"):
        return "node"
    return "unit" if Path(item.path).parent.name == "unit" else "e2e"


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        found = tier(item)
        item.add_marker(found)
        item.add_marker(pytest.mark.xdist_group("node" if found == "node" else item.path.name))
    items.sort(key=lambda item: (TIERS.index(tier(item)), Path(item.path).name != OWN_SANDBOX))
