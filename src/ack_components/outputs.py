"""Output values as JSON text, console and log links, and KFP's UI metadata.

The upstream components wrote Python ``str()`` of each value (single quotes,
``None``), which consumers had to ``ast.literal_eval``. Every output here is
JSON text: objects and arrays as JSON, strings as JSON strings, a missing value
as ``null``. Our String inputs accept a JSON string, so outputs chain into
inputs unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ack_components.interface import SAGEMAKER_RESOURCE_NAME, UI_METADATA, Output
from ack_components.kinds import Kind

#: The UI metadata's file name under ``--outputs-dir``.
UI_METADATA_FILE = "mlpipeline-ui-metadata.json"


def values(
    outputs: tuple[Output, ...], resource: dict[str, Any], name: str | None
) -> dict[str, str]:
    """``name`` fills ``sagemaker_resource_name`` (None: not known, written as null)."""
    status = resource.get("status") or {}
    result = {}
    for output in outputs:
        named = output.name == SAGEMAKER_RESOURCE_NAME.name
        value = name if named else status.get(output.field or "")
        result[output.name] = json.dumps(value, sort_keys=True)
    return result


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


def ui_metadata(
    kind: Kind, resource: dict[str, Any], region: str, name: str, outcome: str
) -> dict[str, Any]:
    status = resource.get("status") or {}
    arn = (status.get("ackResourceMetadata") or {}).get("arn", "")
    rows = [
        ("Outcome", outcome),
        ("Status", status.get(kind.status_field or "", "")),
        ("Secondary status", status.get("secondaryStatus", "")),
        ("Failure reason", status.get("failureReason", "")),
        ("ARN", arn),
        ("Model artifacts", (status.get("modelArtifacts") or {}).get("s3ModelArtifacts", "")),
        *(
            (label.capitalize(), f"[open]({url})")
            for label, url in links(kind, region, name).items()
        ),
    ]
    table = "\n".join(f"| {label} | {value} |" for label, value in rows if value)
    markdown = f"## {kind.name} {name}\n\n| | |\n|---|---|\n{table}\n"
    return {"outputs": [{"type": "markdown", "storage": "inline", "source": markdown}]}


def directory_paths(outputs: tuple[Output, ...], directory: Path) -> dict[str, Path]:
    """``--outputs-dir``: each output at ``DIR/<output name>``, the UI metadata beside them."""
    paths = {output.name: directory / output.name for output in outputs}
    paths[UI_METADATA.name] = directory / UI_METADATA_FILE
    return paths


def write(texts: dict[str, str], paths: dict[str, Path]) -> None:
    """Write each text to its path (parents created); names without a path are skipped."""
    for output_name, text in texts.items():
        path = paths.get(output_name)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
