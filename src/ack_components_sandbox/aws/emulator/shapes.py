"""Check a raw JSON-protocol response body against a botocore output shape.

Why: botocore's parser silently drops unknown keys and accepts wrong types, so a test that
only looks at parsed responses would not notice the emulator sending something the Go SDK
(which the ACK controller uses) would reject or mis-read. This walks the decoded JSON and the
botocore ``Shape`` side by side. It takes the shape object (duck-typed: ``type_name``,
``members``, ``required_members``, ``member``, ``key``, ``value``, ``enum``) so it needs no
import of botocore itself.
"""

from __future__ import annotations

from collections.abc import Container
from typing import Any

_NUMBER = (int, float)


def problems(
    value: Any, shape: Any, path: str = "", allow_missing: Container[str] = ()
) -> list[str]:
    """Every way ``value`` (decoded JSON) breaks ``shape``; empty when it conforms.

    Structures: every key is a member and every required member is present (unless its
    dotted path is in ``allow_missing``); strings with an enum hold one of its values;
    integers/longs are ints, booleans are bools, floats/doubles and timestamps (epoch
    seconds in this protocol) are numbers; lists and maps are checked element by element.
    ``null`` is never accepted.
    """
    where = path or "<root>"
    kind = shape.type_name
    if value is None:
        return [f"{where}: null for {kind} {shape.name}"]
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{where}: expected an object for {shape.name}, got {type(value).__name__}"]
        found: list[str] = []
        for key, item in value.items():
            member = shape.members.get(key)
            child = f"{path}.{key}" if path else key
            if member is None:
                found.append(f"{child}: not a member of {shape.name}")
            else:
                found += problems(item, member, child, allow_missing)
        for key in shape.required_members:
            child = f"{path}.{key}" if path else key
            if key not in value and child not in allow_missing:
                found.append(f"{child}: required member of {shape.name} missing")
        return found
    if kind == "list":
        if not isinstance(value, list):
            return [f"{where}: expected a list, got {type(value).__name__}"]
        return [
            p
            for i, item in enumerate(value)
            for p in problems(item, shape.member, f"{path}[{i}]", allow_missing)
        ]
    if kind == "map":
        if not isinstance(value, dict):
            return [f"{where}: expected a map, got {type(value).__name__}"]
        found = []
        for key, item in value.items():
            found += problems(key, shape.key, f"{path}{{key {key!r}}}", allow_missing)
            found += problems(item, shape.value, f"{path}[{key!r}]", allow_missing)
        return found
    return _scalar(value, shape, where)


def _scalar(value: Any, shape: Any, where: str) -> list[str]:
    kind = shape.type_name
    if kind == "string":
        if not isinstance(value, str):
            return [f"{where}: expected a string, got {type(value).__name__}"]
        enum = getattr(shape, "enum", None) or []
        if enum and value not in enum:
            return [f"{where}: {value!r} not in enum {shape.name} {list(enum)}"]
        return []
    if kind == "boolean":
        ok = isinstance(value, bool)
    elif kind in ("integer", "long"):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind in ("float", "double", "timestamp"):
        ok = isinstance(value, _NUMBER) and not isinstance(value, bool)
    elif kind == "blob":
        ok = isinstance(value, str)
    else:
        return [f"{where}: unknown shape type {kind}"]
    return [] if ok else [f"{where}: {value!r} is not a {kind}"]
