"""Create the custom resource, or re-attach to the one a previous attempt created.

A retried or restarted step renders the same resource under the same name.
If it exists with the same spec, the step follows it instead of failing or
starting a second SageMaker job. Fields the existing spec has and ours lacks
are defaults the controller filled in (late initialisation) and do not count.
A difference in a field the kind lets change is patched; any other difference
fails with the fields listed, before anything is written.

The patch also records, in an annotation, the ``.status`` the resource had before it
(as kopf records its last-handled configuration): a step killed after its patch and
retried finds no difference left, but still learns that an update is pending and waits
for the controller to act on it, as the first try did. The step removes the record
once the controller has acted (``update_acted_on``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kubernetes.client.exceptions import ApiException

from ack_components.kinds import Kind
from ack_components.kube import Resources, message
from ack_components.schema import SpecInvalid


class SpecConflict(RuntimeError):
    """A resource of that name exists with a spec that differs in fields that cannot change."""


#: The annotation holding the ``.status`` before a pending update (JSON).
STATUS_BEFORE_UPDATE = "ack-components/status-before-update"


@dataclass(frozen=True)
class Applied:
    """What the step found or made. ``status_before_update``: the ``.status`` of the
    resource when its spec was patched, by this step or by an earlier try of it whose
    update the controller had not acted on yet; None when no update is pending."""

    resource: dict[str, Any]
    created: bool
    updated_fields: tuple[str, ...] = ()
    status_before_update: dict[str, Any] | None = None


def pending_update(resource: dict[str, Any]) -> dict[str, Any] | None:
    """The ``.status`` recorded by an update the controller may not have acted on yet."""
    recorded = (resource["metadata"].get("annotations") or {}).get(STATUS_BEFORE_UPDATE)
    try:
        found = json.loads(recorded) if recorded else None
    except ValueError:
        return None
    return found if isinstance(found, dict) and found else None


def update_acted_on() -> dict[str, Any]:
    """The patch removing the record of a pending update."""
    return {"metadata": {"annotations": {STATUS_BEFORE_UPDATE: None}}}


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
        return Applied(existing, created=False, status_before_update=pending_update(existing))
    before = existing.get("status") or None
    patch: dict[str, Any] = {"spec": _subset(desired["spec"], diffs)}
    if before:
        patch["metadata"] = {"annotations": {STATUS_BEFORE_UPDATE: json.dumps(before)}}
    return Applied(
        resources.patch(name, patch),
        created=False,
        updated_fields=tuple(diffs),
        status_before_update=before,
    )


def _subset(spec: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path in paths:
        *parents, leaf = path.split(".")
        source, target = spec, out
        for key in parents:
            source, target = source[key], target.setdefault(key, {})
        target[leaf] = source[leaf]
    return out
