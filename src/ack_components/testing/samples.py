"""The KMeans-on-MNIST training job from the SageMaker examples, as spec fields and as inputs.

One definition shared by the tests, the benchmarks and `make demo`, so they all
run the job a user of the upstream components knows.
"""

from __future__ import annotations

import json
from typing import Any

from ack_components.interface import snake_case

IMAGE = "382416733822.dkr.ecr.us-east-1.amazonaws.com/kmeans:1"
ROLE = "arn:aws:iam::123456789012:role/SageMakerExecution"


def kmeans_mnist_spec(bucket: str = "bucket") -> dict[str, Any]:
    """The job as ACK TrainingJob spec fields (without a name)."""
    prefix = f"s3://{bucket}/mnist_kmeans_example"
    return {
        "algorithmSpecification": {"trainingImage": IMAGE, "trainingInputMode": "File"},
        "hyperParameters": {"k": "10", "feature_dim": "784"},
        "inputDataConfig": [
            {
                "channelName": "train",
                "dataSource": {
                    "s3DataSource": {
                        "s3URI": f"{prefix}/train_data",
                        "s3DataType": "S3Prefix",
                        "s3DataDistributionType": "FullyReplicated",
                    }
                },
            }
        ],
        "outputDataConfig": {"s3OutputPath": f"{prefix}/output"},
        "resourceConfig": {
            "instanceCount": 1,
            "instanceType": "ml.m5.2xlarge",
            "volumeSizeInGB": 50,
        },
        "roleARN": ROLE,
        "stoppingCondition": {"maxRuntimeInSeconds": 3600},
    }


def as_inputs(spec: dict[str, Any], region: str = "us-east-1", **overrides: Any) -> dict[str, str]:
    """Spec fields as component input text (JSON, as KFP passes it), plus the region.

    ``overrides`` replace inputs: a str is used as the text, anything else is JSON-encoded;
    None removes the input.
    """
    raw: dict[str, Any] = {"region": region}
    raw.update({snake_case(field): value for field, value in spec.items()})
    raw.update(overrides)
    return {
        name: value if isinstance(value, str) else json.dumps(value)
        for name, value in raw.items()
        if value is not None
    }
