"""The project README lists the drop-in components and the Role covers every kind."""

from __future__ import annotations

import re
from pathlib import Path

from ack_components import kinds, rbac

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_every_upstream_component_is_listed() -> None:
    for kind in kinds.KINDS.values():
        listed = f"[{kind.component_name}](components/{kind.name}/README.md)" in README
        assert listed == kind.replaces_upstream, kind.name


def test_the_role_shown_is_the_one_rbac_prints() -> None:
    [shown] = re.findall(r"resources: \[([^\]]*)\]", README)
    [rule] = rbac.rules(kinds.granted_by_default())
    assert [r.strip() for r in shown.split(",")] == rule["resources"]
