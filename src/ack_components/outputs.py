"""Output values as text in KFP's convention, console and log links, and KFP's UI metadata.

The upstream components wrote Python ``str()`` of each value (single quotes,
``None``), which consumers had to ``ast.literal_eval``. Each output here is
written as KFP writes its type: a ``String`` is its bare text, ``Integer``,
``Float`` and ``Bool`` their literal text (``True``, as KFP v1 serialises a
bool), ``JsonObject``/``JsonArray`` JSON. Argo pastes an output file's text
where the next step refers to it, so ``{"ModelName": "{{output}}"}`` in a JSON
input stays valid JSON only if a String output carries no quotes of its own.
A missing value is an empty file, or for the JSON types ``{}`` and ``[]``: what our
JSON inputs read as "not set" (their defaults), so outputs chain into inputs unchanged,
and what KFP v2's launcher accepts as a struct or list parameter (it refuses ``null``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ack_components import interface, kfp_v2, schema
from ack_components.interface import (
    BOOL,
    FLOAT,
    INTEGER,
    JOB_NAME_OUTPUT,
    JSON_ARRAY,
    JSON_OBJECT,
    METRICS,
    SAGEMAKER_RESOURCE_NAME,
    UI_METADATA,
    Output,
)
from ack_components.kinds import Kind

#: The UI metadata's and metrics' file names under ``--outputs-dir``.
UI_METADATA_FILE = "mlpipeline-ui-metadata.json"
METRICS_FILE = "mlpipeline-metrics.json"


def values(
    outputs: tuple[Output, ...],
    resource: dict[str, Any],
    name: str | None,
    derived: dict[str, Any] | None = None,
) -> dict[str, str]:
    """``name`` fills the resource-name output (``sagemaker_resource_name``, or a cluster
    job's ``resource_name``; None: not known, written empty); ``derived`` gives the other
    outputs no status field holds, by name."""
    status = resource.get("status") or {}
    named = {SAGEMAKER_RESOURCE_NAME.name, JOB_NAME_OUTPUT.name}
    result = {}
    for output in outputs:
        if output.name in named:
            value: Any = name
        elif output.field is None:
            value = (derived or {}).get(output.name)
        else:
            value = status.get(output.field)
        result[output.name] = text(output, value)
    return result


def text(output: Output, value: Any) -> str:
    """An output's file text for ``value`` (None: the field is absent)."""
    if output.type in (JSON_OBJECT, JSON_ARRAY):
        return json.dumps(_empty_json(output) if value is None else value, sort_keys=True)
    # A number or bool as Python writes it (True, 3, 0.5): KFP v1's serialisers are str().
    return "" if value is None else str(value)


def _empty_json(output: Output) -> Any:
    return {} if output.type == JSON_OBJECT else []


def read(output: Output, written: str) -> Any:
    """The value an output file holds, decoded by its type: what a consumer in Python sees.

    A String is its text ("" when absent); the JSON types are JSON (``{}``/``[]`` when absent);
    numbers and booleans are decoded, None when the file is empty."""
    if output.type in (JSON_OBJECT, JSON_ARRAY):
        return json.loads(written)
    if output.type == BOOL:
        return None if written == "" else written.lower() == "true"
    if output.type in (INTEGER, FLOAT) and written == "":
        return None
    if output.type == INTEGER:
        return int(written)
    if output.type == FLOAT:
        return float(written)
    return written


def read_file(kind: Kind, name: str, path: Path) -> Any:
    """Output ``name`` of a ``kind`` step from the file it was written to, decoded by its type."""
    declared = {o.name: o for o in interface.outputs(kind, schema.bundled(kind.name))}
    return read(declared[name], path.read_text())


def links(kind: Kind, region: str, name: str) -> dict[str, str]:
    found = {}
    if kind.console_path:
        path = kind.console_path.format(name=name)
        found["console"] = (
            f"https://{region}.console.aws.amazon.com/sagemaker/home?region={region}#/{path}"
        )
    if kind.log_group:
        # A group per resource (endpoints) or one group with a stream per resource (jobs).
        per_resource = "{name}" in kind.log_group
        group = quote(quote(kind.log_group.format(name=name), safe=""), safe="")
        found["logs"] = (
            f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
            f"#logsV2:log-groups/log-group/{group}"
            + ("" if per_resource else f"$3FlogStreamNameFilter$3D{name}")
        )
    return found


def directory_paths(outputs: tuple[Output, ...], directory: Path) -> dict[str, Path]:
    """``--outputs-dir``: each output at ``DIR/<output name>``, the UI metadata and the
    metrics beside them."""
    paths = {output.name: directory / output.name for output in outputs}
    paths[UI_METADATA.name] = directory / UI_METADATA_FILE
    paths[METRICS.name] = directory / METRICS_FILE
    return paths


def write(texts: dict[str, str], paths: dict[str, Path]) -> None:
    """Write each text to its path (parents created); names without a path are skipped.
    Under KFP's v2 engine the metrics also go where its launcher reads them (``kfp_v2``)."""
    files = {paths[name]: text for name, text in texts.items() if name in paths}
    recorded = kfp_v2.executor_output(paths.get(METRICS.name), texts.get(METRICS.name))
    if recorded is not None:
        files[recorded[0]] = recorded[1]
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
