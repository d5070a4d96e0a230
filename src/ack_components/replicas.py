"""What the step adds to a cluster job's replicas before it is created.

A PyTorchJob's script writes its model where the pipeline says (the
``model_artifact_url`` input), and the step hands that location on as its
``model_artifacts`` output, as the TrainingJob step hands on SageMaker's ``model.tar.gz``. So that the two cannot
differ, the step gives every container of every replica the location as
``MODEL_ARTIFACT_URL`` (replacing a value of that name the spec set); the kind table
names the field that holds the replicas (``Kind.replica_specs_field``). Pure: the spec in,
a new spec out.
"""

from __future__ import annotations

import copy
from typing import Any

MODEL_ARTIFACT_URL_ENV = "MODEL_ARTIFACT_URL"


def with_env(replica_specs: dict[str, Any], name: str, value: str) -> dict[str, Any]:
    """A copy of ``replica_specs`` (``{"Master": {"template": {...}}, ...}``) in which every
    container has ``name=value`` in its ``env``."""
    out = copy.deepcopy(replica_specs)
    for replica in out.values():
        if not isinstance(replica, dict):
            continue
        pod = (replica.get("template") or {}).get("spec") or {}
        for container in pod.get("containers") or []:
            if isinstance(container, dict):
                kept = [e for e in container.get("env") or [] if e.get("name") != name]
                container["env"] = [*kept, {"name": name, "value": value}]
    return out
