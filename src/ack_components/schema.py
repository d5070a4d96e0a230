"""Validate a rendered spec against the CRD's ``openAPIV3Schema`` before anything is written.

The schema comes from the cluster when the caller may read CRDs, else from the
copy bundled with the package (``schemas/<Kind>.json``, generated from the
pinned CRDs). Unknown fields are errors here, as they are for the API server
under strict field validation; without this a typo is silently pruned.
Each error names the input it came from and the JSON path inside it.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from ack_components.interface import snake_case
from ack_components.kinds import GROUP, Kind

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
        body = get_json(api_client, f"/apis/{CRDS_API}/{kind.plural}.{GROUP}")
    except ApiException:
        return None
    for version in body["spec"]["versions"]:
        if version["name"] == "v1alpha1":
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
    validator = jsonschema.Draft7Validator(closed(crd_schema["properties"]["spec"]))
    errors = sorted(validator.iter_errors(spec), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        raise SpecInvalid([_describe(error) for error in errors])


def _describe(error: jsonschema.ValidationError) -> str:
    path = list(error.absolute_path)
    if error.validator == "required" and not path:
        missing = str(error.message).split("'")[1]
        return f"input {snake_case(missing)} is required"
    if error.validator == "additionalProperties" and not path:
        return f"{error.message} (not a field of this kind's spec)"
    field, rest = str(path[0]), path[1:]
    where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in rest)
    return f"input {snake_case(field)} at {where}: {error.message}"
