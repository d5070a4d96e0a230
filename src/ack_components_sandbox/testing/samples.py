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


LABELING_LAMBDA = "arn:aws:lambda:us-east-1:432418664414:function:{}-ImageMultiClass"


def labeling_spec(bucket: str = "bucket") -> dict[str, Any]:
    """Ground Truth image classification of the MNIST images by a private workteam."""
    prefix = f"s3://{bucket}/mnist_kmeans_example/labeling"
    return {
        "humanTaskConfig": {
            "workteamARN": "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/team",
            "uiConfig": {"uiTemplateS3URI": f"{prefix}/template.liquid"},
            "preHumanTaskLambdaARN": LABELING_LAMBDA.format("PRE"),
            "taskTitle": "Which digit is this?",
            "taskDescription": "Pick the digit shown in the image",
            "numberOfHumanWorkersPerDataObject": 1,
            "taskTimeLimitInSeconds": 300,
            "annotationConsolidationConfig": {
                "annotationConsolidationLambdaARN": LABELING_LAMBDA.format("ACS")
            },
        },
        "inputConfig": {
            "dataSource": {"s3DataSource": {"manifestS3URI": f"{prefix}/input.manifest"}}
        },
        "labelAttributeName": "digit",
        "outputConfig": {"s3OutputPath": f"{prefix}/output"},
        "roleARN": ROLE,
    }


def feature_group_spec(bucket: str = "bucket") -> dict[str, Any]:
    return {
        "eventTimeFeatureName": "event_time",
        "recordIdentifierFeatureName": "image_id",
        "featureDefinitions": [
            {"featureName": "image_id", "featureType": "String"},
            {"featureName": "event_time", "featureType": "Fractional"},
            {"featureName": "cluster", "featureType": "Integral"},
        ],
        "onlineStoreConfig": {"enableOnlineStore": True},
        "offlineStoreConfig": {
            "s3StorageConfig": {"s3URI": f"s3://{bucket}/mnist_kmeans_example/features"}
        },
        "roleARN": ROLE,
    }


def inference_component_spec(endpoint_name: str, model_name: str) -> dict[str, Any]:
    return {
        "endpointName": endpoint_name,
        "variantName": "AllTraffic",
        "specification": {
            "modelName": model_name,
            "computeResourceRequirements": {
                "minMemoryRequiredInMb": 1024,
                "numberOfCPUCoresRequired": 1,
            },
        },
        "runtimeConfig": {"copyCount": 1},
    }


def model_package_group_spec() -> dict[str, Any]:
    return {"modelPackageGroupDescription": "KMeans on MNIST, every trained version"}


def model_package_spec(group: str, model_data_url: str) -> dict[str, Any]:
    """A version of the KMeans model in the registry, waiting for approval."""
    return {
        "modelPackageGroupName": group,
        "modelApprovalStatus": "PendingManualApproval",
        "inferenceSpecification": {
            "containers": [{"image": IMAGE, "modelDataURL": model_data_url}],
            "supportedContentTypes": ["text/csv"],
            "supportedResponseMIMETypes": ["application/json"],
        },
    }


def notebook_instance_spec() -> dict[str, Any]:
    return {"instanceType": "ml.t3.medium", "roleARN": ROLE, "volumeSizeInGB": 5}


def notebook_lifecycle_config_spec() -> dict[str, Any]:
    # base64 of "#!/bin/bash\npip install --upgrade sagemaker\n"
    return {
        "onStart": [{"content": "IyEvYmluL2Jhc2gKcGlwIGluc3RhbGwgLS11cGdyYWRlIHNhZ2VtYWtlcgo="}]
    }


def project_spec() -> dict[str, Any]:
    return {
        "projectDescription": "MLOps template for KMeans on MNIST",
        "serviceCatalogProvisioningDetails": {
            "productID": "prod-abcdefghijklm",
            "provisioningArtifactID": "pa-abcdefghijklm",
        },
    }


def domain_spec() -> dict[str, Any]:
    return {
        "authMode": "IAM",
        "defaultUserSettings": {"executionRole": ROLE},
        "subnetIDs": ["subnet-0123456789abcdef0"],
        "vpcID": "vpc-0123456789abcdef0",
    }


def user_profile_spec(domain_id: str) -> dict[str, Any]:
    return {"domainID": domain_id, "userSettings": {"executionRole": ROLE}}


def space_spec(domain_id: str) -> dict[str, Any]:
    return {"domainID": domain_id}


def app_spec(domain_id: str, user_profile: str) -> dict[str, Any]:
    return {"appType": "JupyterServer", "domainID": domain_id, "userProfileName": user_profile}


def spec_for(kind: str) -> dict[str, Any]:
    """A valid spec (without its name) for every kind the components run."""
    model_data = "s3://bucket/mnist_kmeans_example/output/model.tar.gz"
    domain = "d-abcdefghijkl"
    definition = {"Version": "2020-12-01", "Steps": []}
    specs: dict[str, Any] = {
        "TrainingJob": lambda: kmeans_mnist_spec(),
        "HyperParameterTuningJob": kmeans_tuning_spec,
        "ProcessingJob": processing_spec,
        "TransformJob": lambda: transform_spec("kmeans-model"),
        "LabelingJob": labeling_spec,
        "Model": lambda: kmeans_model_spec(model_data),
        "EndpointConfig": lambda: endpoint_config_spec("kmeans-model"),
        "Endpoint": lambda: endpoint_spec("kmeans-config"),
        "InferenceComponent": lambda: inference_component_spec("kmeans-endpoint", "kmeans-model"),
        "MonitoringSchedule": lambda: monitoring_schedule_spec("kmeans-data-quality"),
        "DataQualityJobDefinition": lambda: data_quality_job_definition_spec("kmeans-endpoint"),
        "Pipeline": lambda: {"pipelineDefinition": definition, "roleARN": ROLE},
        "PipelineExecution": lambda: {"pipelineName": "kmeans-pipeline"},
        "FeatureGroup": feature_group_spec,
        "ModelPackageGroup": model_package_group_spec,
        "ModelPackage": lambda: model_package_spec("kmeans", model_data),
        "NotebookInstance": notebook_instance_spec,
        "NotebookInstanceLifecycleConfig": notebook_lifecycle_config_spec,
        "Project": project_spec,
        "Domain": domain_spec,
        "UserProfile": lambda: user_profile_spec(domain),
        "Space": lambda: space_spec(domain),
        "App": lambda: app_spec(domain, "kmeans-user"),
    }
    for check in ("ModelBias", "ModelExplainability", "ModelQuality"):
        specs[f"{check}JobDefinition"] = lambda check=check: _clarify_job_definition(check)
    return dict(specs[kind]())


def _clarify_job_definition(check: str) -> dict[str, Any]:
    """A model-monitor job definition of the other three sorts, from the data-quality one."""
    base = data_quality_job_definition_spec("kmeans-endpoint")
    prefix = check[0].lower() + check[1:]
    app = {"imageURI": base["dataQualityAppSpecification"]["imageURI"]}
    if check == "ModelQuality":
        app["problemType"] = "Regression"
    job_input: dict[str, Any] = {"endpointInput": base["dataQualityJobInput"]["endpointInput"]}
    if check != "ModelExplainability":
        job_input["groundTruthS3Input"] = {"s3URI": "s3://bucket/mnist_kmeans_example/truth"}
    return {
        f"{prefix}AppSpecification": app
        | ({"configURI": "s3://bucket/analysis.json"} if check != "ModelQuality" else {}),
        f"{prefix}JobInput": job_input,
        f"{prefix}JobOutputConfig": base["dataQualityJobOutputConfig"],
        "jobResources": base["jobResources"],
        "roleARN": ROLE,
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
