"""Validate a rendered spec against the CRD's ``openAPIV3Schema`` before anything is written.

The schema comes from the cluster when the caller may read CRDs, else from the
copy bundled with the package (``schemas/<Kind>.json``, generated from the
pinned CRDs). Unknown fields are errors here, as they are for the API server
under strict field validation; without this a typo is silently pruned.
Each error names the input it came from and the JSON path inside it. Pipelines
written for the upstream components often carry keys ACK never accepted (the
API server used to drop them silently): ``InputMode`` for ``inputMode``,
``S3Uri`` for ``s3URI``, a field one level too high. An unknown key is
therefore matched case-insensitively against the fields where it stands and
then against every level of the same input, and the error says which it meant.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from ack_components.interface import snake_case
from ack_components.kinds import Kind

SCHEMAS_DIR = Path(__file__).resolve().parent / "schemas"
CRDS_API = "apiextensions.k8s.io/v1/customresourcedefinitions"


class SpecInvalid(ValueError):
    """The spec breaks the CRD schema; ``errors`` are one line each, input and path first."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("invalid inputs:\n  " + "\n  ".join(errors))
        self.errors = errors


@cache
def bundled(kind_name: str) -> dict[str, Any]:
    """The kind's CRD ``openAPIV3Schema`` as shipped with the package."""
    data: dict[str, Any] = json.loads((SCHEMAS_DIR / f"{kind_name}.json").read_text())
    return data


def from_cluster(api_client: Any, kind: Kind) -> dict[str, Any] | None:
    """The served CRD's schema, or None when it cannot be read (no permission, no CRD)."""
    from kubernetes.client.exceptions import ApiException

    from ack_components.kube import get_json

    try:
        body = get_json(api_client, f"/apis/{CRDS_API}/{kind.plural}.{kind.group}")
    except ApiException:
        return None
    for version in body["spec"]["versions"]:
        if version["name"] == kind.version:
            schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
            return schema
    return None


def closed(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy in which objects with listed properties allow no others (strict validation)."""
    out = {key: value for key, value in schema.items() if not key.startswith("x-kubernetes")}
    if "properties" in schema:
        out["properties"] = {name: closed(sub) for name, sub in schema["properties"].items()}
        if not schema.get("x-kubernetes-preserve-unknown-fields"):
            out.setdefault("additionalProperties", False)
    if isinstance(schema.get("additionalProperties"), dict):
        out["additionalProperties"] = closed(schema["additionalProperties"])
    if isinstance(schema.get("items"), dict):
        out["items"] = closed(schema["items"])
    return out


def validate_spec(spec: dict[str, Any], crd_schema: dict[str, Any]) -> None:
    """Raise SpecInvalid listing every problem, each as ``input <name> at <path>: <why>``."""
    spec_schema = crd_schema["properties"]["spec"]
    validator = jsonschema.Draft7Validator(closed(spec_schema))
    errors = sorted(validator.iter_errors(spec), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        raise SpecInvalid([_describe(error, spec_schema) for error in errors])


def _describe(error: jsonschema.ValidationError, spec_schema: dict[str, Any]) -> str:
    path = list(error.absolute_path)
    if error.validator == "required" and not path:
        missing = str(error.message).split("'")[1]
        return f"input {snake_case(missing)} is required"
    if error.validator == "additionalProperties" and not path:
        return f"{error.message} (not a field of this kind's spec)"
    field, rest = str(path[0]), path[1:]
    message = f"input {snake_case(field)} at {_json_path(rest)}: {error.message}"
    failed, given = error.schema, error.instance
    if error.validator == "additionalProperties" and isinstance(failed, dict):
        known = failed.get("properties", {})
        unknown = [key for key in given if key not in known] if isinstance(given, dict) else []
        hints = [(key, _hint(key, known, spec_schema, field, rest)) for key in unknown]
        named = len(unknown) > 1  # with two or more, each suggestion says its key
        message += "".join(
            f"; {key!r}: {hint}" if named and hint.startswith("did you") else f"; {hint}"
            for key, hint in hints
            if hint
        )
    return message


#: A step into every item of an array, in a path that names no item (``$[*].dataSource``).
_EVERY_ITEM = "*"


def _json_path(parts: list[Any]) -> str:
    return "$" + "".join(
        f"[{p}]" if isinstance(p, int) or p == _EVERY_ITEM else f".{p}" for p in parts
    )


def _hint(
    key: str, known: dict[str, Any], spec_schema: dict[str, Any], field: str, here: list[Any]
) -> str:
    """What an unknown ``key`` at ``here`` in the input for spec ``field`` meant, or ""."""
    same = [name for name in known if name.lower() == key.lower()]
    if same:
        return f"did you mean {same[0]!r}?"
    generic = [_EVERY_ITEM if isinstance(p, int) else p for p in here]
    found = [
        (parts, name)
        for parts, properties in _objects(spec_schema["properties"].get(field, {}), [])
        for name in properties
        if name.lower() == key.lower() and parts != generic
    ]
    if not found:
        inputs = [name for name in spec_schema["properties"] if name.lower() == key.lower()]
        return f"{key!r} is the input {snake_case(inputs[0])}, not a field" if inputs else ""
    # Below where it stands first (it was put one level too high), then the nearest.
    parts, name = min(found, key=lambda f: (f[0][: len(generic)] != generic, len(f[0])))
    if parts[: len(generic)] == generic:
        parts = here + parts[len(generic) :]  # keep the item numbers the user wrote
    named = "" if name == key else f" (as {name!r})"
    return f"{key!r} is a field of {_json_path(parts)}{named}, not of {_json_path(here)}"


def _objects(
    schema: dict[str, Any], parts: list[Any]
) -> Iterator[tuple[list[Any], dict[str, Any]]]:
    """Every object schema under ``schema`` with its path and its properties."""
    properties = schema.get("properties") or {}
    if properties:
        yield parts, properties
    for name, sub in properties.items():
        yield from _objects(sub, [*parts, name])
    if isinstance(schema.get("items"), dict):
        yield from _objects(schema["items"], [*parts, _EVERY_ITEM])
