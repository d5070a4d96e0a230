"""What a step under KFP's v2 engine does beyond its inputs and output files: the metrics'
numbers where the launcher reads them, and the optional arguments KFP 2.16 leaves unresolved.

Under KFP 2.x's v2 engine the launcher collects a step's outputs itself: a parameter
from its file (``/tmp/kfp/outputs/<name>``), an artifact by uploading the file at its
local path (``/minio/<bucket>/<key>``, ``/s3/…``, ``/gcs/…``: the artifact's URI as the
launcher mounts it) and recording it in ML Metadata. A ``Metrics`` artifact's numbers
are not read from its file: the v2 UI shows the artifact's metadata, which a step hands
over in its executor output, ``output_metadata.json`` in the task's local root (the
parent directory of its output artifacts), as the SDK's own Python executor does
(KFP 2.16's ``driver.go`` puts the file there, ``launcher_v2.go`` merges it).

Under KFP v1 (Argo alone) the metrics path is an ordinary file and nothing more is
written.

An optional input without a default (a bool or a number nobody set) is passed only when
given: ``component.yaml`` says ``if: {cond: {isPresent: x}, then: [--x, {inputValue: x}]}``.
KFP SDK 2 compiles that to an ``IfPresent`` placeholder, a JSON text in the container's
arguments, which KFP's backend resolves only from 2.17 on; 2.16's launcher passes the
text as it is, having filled in the input's value where the run has one. So the step
resolves what is left, as 2.17's driver would: the ``Then`` arguments when the input's
placeholder inside was filled, else the ``Else`` ones (none, in our files).

Pure functions: the caller writes what they return.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: The local forms of the launcher's artifact URIs (``LocalPathForURI``).
LOCAL_ROOTS = ("/minio/", "/s3/", "/gcs/")
EXECUTOR_OUTPUT_FILE = "output_metadata.json"


def executor_output(metrics_path: Path | None, metrics_text: str | None) -> tuple[Path, str] | None:
    """The executor output file that gives the v2 launcher the metrics' numbers as the
    Metrics artifact's metadata, when ``metrics_path`` is a v2 launcher's artifact path;
    else None. ``metrics_text`` is the KFP v1 metrics document
    (``{"metrics": [{"name", "numberValue", …}]}``)."""
    if metrics_path is None or metrics_text is None:
        return None
    if not str(metrics_path).startswith(LOCAL_ROOTS):
        return None
    numbers = {m["name"]: m["numberValue"] for m in json.loads(metrics_text)["metrics"]}
    document = {"artifacts": {metrics_path.name: {"artifacts": [{"metadata": numbers}]}}}
    return metrics_path.parent / EXECUTOR_OUTPUT_FILE, json.dumps(document, sort_keys=True)


def resolved_arguments(argv: list[str]) -> list[str]:
    """``argv`` with each ``IfPresent`` placeholder KFP 2.16 left replaced by the arguments
    it stands for (see the module's docstring); other arguments unchanged."""
    resolved: list[str] = []
    for arg in argv:
        found = _if_present(arg)
        if found is None:
            resolved.append(arg)
            continue
        name, then, otherwise = found
        unfilled = f"{{{{$.inputs.parameters['{name}']}}}}"
        chosen = otherwise if any(unfilled in item for item in then) else then
        resolved += chosen
    return resolved


def _if_present(arg: str) -> tuple[str, list[str], list[str]] | None:
    """The input's name and the two argument lists of an ``IfPresent`` placeholder's text."""
    if not arg.startswith('{"IfPresent"'):
        return None
    try:
        placeholder: Any = json.loads(arg)["IfPresent"]
        name = placeholder["InputName"]
        then = [str(item) for item in placeholder.get("Then", [])]
        otherwise = [str(item) for item in placeholder.get("Else", [])]
    except (ValueError, KeyError, TypeError):
        return None
    return str(name), then, otherwise
