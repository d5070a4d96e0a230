"""Create the custom resource, or re-attach to the one a previous attempt created.

A retried or restarted step renders the same resource under the same name.
If it exists with the same spec, the step follows it instead of failing or
starting a second SageMaker job. Fields the existing spec has and ours lacks
are defaults the controller filled in (late initialisation) and do not count.
A difference in a field the kind lets change is patched; any other difference
fails with the fields listed, before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubernetes.client.exceptions import ApiException

from ack_components.kinds import Kind
from ack_components.kube import Resources, message
from ack_components.schema import SpecInvalid


class SpecConflict(RuntimeError):
    """A resource of that name exists with a spec that differs in fields that cannot change."""


@dataclass(frozen=True)
class Applied:
    resource: dict[str, Any]
    created: bool
    updated_fields: tuple[str, ...] = ()


def differences(desired: Any, existing: Any, path: str = "") -> list[str]:
    """Dotted paths where ``desired`` sets a value that ``existing`` does not hold."""
    if isinstance(desired, dict) and isinstance(existing, dict):
        return [
            diff
            for key, value in desired.items()
            for diff in differences(value, existing.get(key), f"{path}.{key}" if path else key)
        ]
    if isinstance(desired, list) and isinstance(existing, list) and len(desired) == len(existing):
        # Items may hold late-initialised fields too; a list differs (whole) if any item does.
        same = all(not differences(d, e) for d, e in zip(desired, existing, strict=True))
        return [] if same else [path]
    return [] if desired == existing else [path]


def is_mutable(kind: Kind, path: str) -> bool:
    return any(path == field or path.startswith(field + ".") for field in kind.mutable_fields)


def apply(resources: Resources, desired: dict[str, Any]) -> Applied:
    """Read first, so a re-run that finds its resource sends no create at all."""
    name = desired["metadata"]["name"]
    existing = resources.get(name)
    if existing is None:
        try:
            return Applied(resources.create(desired), created=True)
        except ApiException as error:
            if error.status in (400, 422):  # strict field validation, schema validation
                raise SpecInvalid([message(error)]) from None
            if error.status != 409:
                raise
        existing = resources.get(name)  # created by someone else in between
        if existing is None:
            raise SpecConflict(f"{name!r} was created and deleted while this step applied it")
    diffs = differences(desired["spec"], existing.get("spec") or {})
    frozen = [path for path in diffs if not is_mutable(resources.kind, path)]
    if frozen:
        raise SpecConflict(
            f"{resources.kind.name} {name!r} already exists in namespace {resources.namespace!r} "
            f"with a different spec in fields that cannot change: {', '.join(frozen)}. "
            "Use another name, or delete the existing resource."
        )
    if not diffs:
        return Applied(existing, created=False)
    patch = {"spec": _subset(desired["spec"], diffs)}
    return Applied(resources.patch(name, patch), created=False, updated_fields=tuple(diffs))


def _subset(spec: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path in paths:
        *parents, leaf = path.split(".")
        source, target = spec, out
        for key in parents:
            source, target = source[key], target.setdefault(key, {})
        target[leaf] = source[leaf]
    return out
