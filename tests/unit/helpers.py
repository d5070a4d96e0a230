"""What the unit tests share: a valid TrainingJob (the KMeans MNIST sample) and CR snapshots."""

from __future__ import annotations

from typing import Any

from ack_components import interface, kinds, schema
from ack_components_sandbox.testing import samples

KIND = kinds.TRAINING_JOB
CRD_SCHEMA = schema.bundled(KIND.name)
INPUTS = {spec.name: spec for spec in interface.inputs(KIND, CRD_SCHEMA)}
OUTPUTS = {output.name: output for output in interface.outputs(KIND, CRD_SCHEMA)}

#: The KMeans MNIST job as ACK spec fields.
SPEC: dict[str, Any] = samples.kmeans_mnist_spec()


def raw_inputs(**overrides: Any) -> dict[str, str]:
    """SPEC as component input text plus a region (see ``samples.as_inputs``)."""
    return samples.as_inputs(SPEC, **overrides)


def condition(type_: str, status: str = "True", message: str = "") -> dict[str, str]:
    return {"type": type_, "status": status, "message": message}


def snapshot(*conditions: dict[str, str], namespace: str = "ml", **status: Any) -> dict[str, Any]:
    """A TrainingJob CR as the API server returns it; no ``status`` when nothing is given."""
    resource: dict[str, Any] = {
        "apiVersion": KIND.api_version,
        "kind": KIND.name,
        "metadata": {"name": "job", "namespace": namespace},
        "spec": {"trainingJobName": "job"},
    }
    if conditions:
        status["conditions"] = list(conditions)
    if status:
        resource["status"] = status
    return resource
