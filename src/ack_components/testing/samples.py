"""The KMeans-on-MNIST example from the SageMaker examples, as spec fields and as inputs.

The training job with the processing job that prepares its data and a tuning
job around it; the model, endpoint configuration and endpoint that serve what it
trained, a batch transform with that model, and a data-quality monitor for the
endpoint. One definition
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


def kmeans_tuning_spec(bucket: str = "bucket") -> dict[str, Any]:
    """A HyperParameterTuningJob searching ``k`` for the same KMeans training job."""
    training = kmeans_mnist_spec(bucket)
    static = {k: v for k, v in training["hyperParameters"].items() if k != "k"}
    return {
        "hyperParameterTuningJobConfig": {
            "strategy": "Bayesian",
            "hyperParameterTuningJobObjective": {
                "type_": "Minimize",  # ACK renames the API's Type
                "metricName": "test:msd",
            },
            "resourceLimits": {"maxNumberOfTrainingJobs": 4, "maxParallelTrainingJobs": 2},
            "parameterRanges": {
                "integerParameterRanges": [{"name": "k", "minValue": "5", "maxValue": "15"}]
            },
        },
        "trainingJobDefinition": {
            "algorithmSpecification": training["algorithmSpecification"],
            "inputDataConfig": training["inputDataConfig"],
            "outputDataConfig": training["outputDataConfig"],
            "resourceConfig": training["resourceConfig"],
            "roleARN": training["roleARN"],
            "staticHyperParameters": static,
            "stoppingCondition": training["stoppingCondition"],
        },
    }


def processing_spec(bucket: str = "bucket") -> dict[str, Any]:
    """A processing job that prepares the MNIST data where the training job reads it."""
    prefix = f"s3://{bucket}/mnist_kmeans_example"
    return {
        "appSpecification": {
            "imageURI": IMAGE.replace("kmeans:1", "sklearn-processing:1"),
            "containerEntrypoint": ["python3", "/opt/ml/processing/code/prepare.py"],
        },
        "processingInputs": [
            {
                "inputName": "raw",
                "s3Input": {
                    "s3URI": f"{prefix}/raw",
                    "localPath": "/opt/ml/processing/input",
                    "s3DataType": "S3Prefix",
                    "s3InputMode": "File",
                },
            }
        ],
        "processingOutputConfig": {
            "outputs": [
                {
                    "outputName": "train",
                    "s3Output": {
                        "s3URI": f"{prefix}/train_data",
                        "localPath": "/opt/ml/processing/train",
                        "s3UploadMode": "EndOfJob",
                    },
                }
            ]
        },
        "processingResources": {
            "clusterConfig": {
                "instanceCount": 1,
                "instanceType": "ml.m5.large",
                "volumeSizeInGB": 20,
            }
        },
        "roleARN": ROLE,
        "stoppingCondition": {"maxRuntimeInSeconds": 3600},
    }


def transform_spec(model_name: str, bucket: str = "bucket") -> dict[str, Any]:
    """A batch transform of the test data with the trained model."""
    prefix = f"s3://{bucket}/mnist_kmeans_example"
    return {
        "modelName": model_name,
        "transformInput": {
            "contentType": "text/csv",
            "dataSource": {
                "s3DataSource": {"s3DataType": "S3Prefix", "s3URI": f"{prefix}/test_data"}
            },
            "splitType": "Line",
        },
        "transformOutput": {"s3OutputPath": f"{prefix}/batch_output"},
        "transformResources": {"instanceCount": 1, "instanceType": "ml.m5.large"},
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
