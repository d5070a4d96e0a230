"""Every lifecycle table the emulator serves, in one place free of moto.

Why a module of its own: ``server.py`` (which imports moto) serves these tables, and the
tests (which run without moto) shape-check every operation they define; both read this
tuple, so a new table module is registered by one line here.
"""

from __future__ import annotations

from ack_components_sandbox.aws.emulator import platform, resources
from ack_components_sandbox.aws.emulator.lifecycle import Entry

TABLES: tuple[tuple[Entry, ...], ...] = (resources.ENTRIES, platform.ENTRIES)


def entries() -> list[Entry]:
    return [entry for table in TABLES for entry in table]


def operations() -> set[str]:
    """The operations the lifecycle store answers for these tables."""
    return {op for entry in entries() for op in entry.operations()}
