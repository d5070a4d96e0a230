"""The KMeans-on-MNIST example from the SageMaker examples, as spec fields and as inputs.

The training job, and the model, endpoint configuration and endpoint that serve
what it trained, plus a data-quality monitor for that endpoint. One definition
shared by the tests, the benchmarks and `make demo`, so they all run the
example a user of the upstream components knows.
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


def kmeans_model_spec(model_data_url: str) -> dict[str, Any]:
    """A Model serving the trained artifacts with the same KMeans image."""
    return {
        "executionRoleARN": ROLE,
        "primaryContainer": {"image": IMAGE, "modelDataURL": model_data_url},
    }


def endpoint_config_spec(model_name: str) -> dict[str, Any]:
    return {
        "productionVariants": [
            {
                "variantName": "AllTraffic",
                "modelName": model_name,
                "initialInstanceCount": 1,
                "instanceType": "ml.m5.large",
                "initialVariantWeight": 1,
            }
        ],
    }


def endpoint_spec(endpoint_config_name: str) -> dict[str, Any]:
    return {"endpointConfigName": endpoint_config_name}


def data_quality_job_definition_spec(endpoint_name: str, bucket: str = "bucket") -> dict[str, Any]:
    """A data-quality check of what the endpoint receives, against a baseline."""
    prefix = f"s3://{bucket}/mnist_kmeans_example/monitoring"
    return {
        "dataQualityAppSpecification": {"imageURI": IMAGE.replace("kmeans:1", "monitor:1")},
        "dataQualityBaselineConfig": {
            "constraintsResource": {"s3URI": f"{prefix}/baseline/constraints.json"},
            "statisticsResource": {"s3URI": f"{prefix}/baseline/statistics.json"},
        },
        "dataQualityJobInput": {
            "endpointInput": {
                "endpointName": endpoint_name,
                "localPath": "/opt/ml/processing/input",
            }
        },
        "dataQualityJobOutputConfig": {
            "monitoringOutputs": [
                {
                    "s3Output": {
                        "localPath": "/opt/ml/processing/output",
                        "s3URI": f"{prefix}/reports",
                    }
                }
            ]
        },
        "jobResources": {
            "clusterConfig": {
                "instanceCount": 1,
                "instanceType": "ml.m5.large",
                "volumeSizeInGB": 20,
            }
        },
        "roleARN": ROLE,
    }


def monitoring_schedule_spec(job_definition_name: str) -> dict[str, Any]:
    return {
        "monitoringScheduleConfig": {
            "monitoringJobDefinitionName": job_definition_name,
            "monitoringType": "DataQuality",
            "scheduleConfig": {"scheduleExpression": "cron(0 * ? * * *)"},
        }
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
