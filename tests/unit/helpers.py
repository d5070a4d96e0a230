"""What the unit tests share: a valid TrainingJob (the KMeans MNIST sample) and CR snapshots."""

from __future__ import annotations

import json
from typing import Any

from ack_components import interface, kinds, schema

KIND = kinds.TRAINING_JOB
CRD_SCHEMA = schema.bundled(KIND.name)
INPUTS = {spec.name: spec for spec in interface.inputs(KIND, CRD_SCHEMA)}
OUTPUTS = {output.name: output for output in interface.outputs(CRD_SCHEMA)}

IMAGE = "382416733822.dkr.ecr.us-east-1.amazonaws.com/kmeans:1"
ROLE = "arn:aws:iam::123456789012:role/SageMakerExecution"

#: The KMeans MNIST job as ACK spec fields.
SPEC: dict[str, Any] = {
    "algorithmSpecification": {"trainingImage": IMAGE, "trainingInputMode": "File"},
    "hyperParameters": {"k": "10", "feature_dim": "784"},
    "inputDataConfig": [
        {
            "channelName": "train",
            "dataSource": {
                "s3DataSource": {
                    "s3URI": "s3://bucket/mnist_kmeans_example/train_data",
                    "s3DataType": "S3Prefix",
                    "s3DataDistributionType": "FullyReplicated",
                }
            },
        }
    ],
    "outputDataConfig": {"s3OutputPath": "s3://bucket/mnist_kmeans_example/output"},
    "resourceConfig": {"instanceCount": 1, "instanceType": "ml.m5.2xlarge", "volumeSizeInGB": 5},
    "roleARN": ROLE,
    "stoppingCondition": {"maxRuntimeInSeconds": 3600},
}


def raw_inputs(**overrides: Any) -> dict[str, str]:
    """SPEC as component input text (JSON, as KFP passes it) plus a region.

    ``overrides`` replace inputs: a str is used as the text, anything else is JSON-encoded;
    None removes the input.
    """
    raw: dict[str, Any] = {"region": "us-east-1"}
    raw.update({interface.snake_case(field): value for field, value in SPEC.items()})
    raw.update(overrides)
    return {
        name: value if isinstance(value, str) else json.dumps(value)
        for name, value in raw.items()
        if value is not None
    }


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
