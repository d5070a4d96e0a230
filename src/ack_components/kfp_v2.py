"""What KFP's v2 engine reads from a step besides its output files: the metrics' numbers.

Under KFP 2.x's v2 engine the launcher collects a step's outputs itself: a parameter
from its file (``/tmp/kfp/outputs/<name>``), an artifact by uploading the file at its
local path (``/minio/<bucket>/<key>``, ``/s3/…``, ``/gcs/…``: the artifact's URI as the
launcher mounts it) and recording it in ML Metadata. A ``Metrics`` artifact's numbers
are not read from its file: the v2 UI shows the artifact's metadata, which a step hands
over in its executor output, ``output_metadata.json`` in the task's local root (the
parent directory of its output artifacts), as the SDK's own Python executor does
(KFP 2.16's ``driver.go`` puts the file there, ``launcher_v2.go`` merges it).

Under KFP v1 (Argo alone) the metrics path is an ordinary file and nothing more is
written. A pure function: the caller writes what it returns.
"""

from __future__ import annotations

import json
from pathlib import Path

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
