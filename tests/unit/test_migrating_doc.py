"""docs/migrating.md quotes what a user of upstream's pipelines meets: the four refused
steps' messages there are the ones the step prints for upstream's own values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import raw_inputs

from ack_components import kinds, run
from ack_components.interface import InputError
from ack_components.schema import SpecInvalid

DOC = (Path(__file__).resolve().parents[2] / "docs" / "migrating.md").read_text()

#: Upstream's channel (mnist-kmeans-training and mnist-classification), keys in its order.
UPSTREAM_CHANNEL = {
    "channelName": "train",
    "dataSource": {
        "s3DataSource": {
            "s3DataType": "S3Prefix",
            "s3URI": "s3://bucket/mnist_kmeans_example/train_data",
            "s3DataDistributionType": "FullyReplicated",
        }
    },
    "compressionType": "None",
    "RecordWrapperType": "None",
    "InputMode": "File",
}
#: Upstream's data-quality output (two integration-test configs).
UPSTREAM_OUTPUT = {
    "monitoringOutputs": [
        {
            "s3Output": {
                "localPath": "/opt/ml/processing/output",
                "s3URI": "s3://bucket/model-monitor/reports/data-quality-job-definition/",
            },
            "s3UploadMode": "Continuous",
        }
    ]
}
DATA_QUALITY = {
    "region": "us-east-1",
    "job_definition_name": "data-quality",
    "role_arn": "arn:aws:iam::123456789012:role/SageMaker",
    "data_quality_app_specification": json.dumps({"imageURI": "monitor:1"}),
    "data_quality_job_input": json.dumps(
        {"endpointInput": {"endpointName": "e", "localPath": "/opt/ml/processing/input"}}
    ),
    "data_quality_job_output_config": json.dumps(UPSTREAM_OUTPUT),
    "job_resources": json.dumps(
        {"clusterConfig": {"instanceCount": 1, "instanceType": "ml.m5.large", "volumeSizeInGB": 20}}
    ),
}


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        (kinds.TRAINING_JOB, raw_inputs(input_data_config=[UPSTREAM_CHANNEL])),
        (kinds.get("DataQualityJobDefinition"), DATA_QUALITY),
    ],
    ids=["TrainingJob", "DataQualityJobDefinition"],
)
def test_the_documented_message_is_the_one_the_step_prints(
    kind: kinds.Kind, raw: dict[str, str]
) -> None:
    with pytest.raises((InputError, SpecInvalid)) as refused:
        run.prepare(kind, raw, "ml")
    said = f"error: {refused.value}"
    assert said.startswith("error: invalid inputs:\n  input ")
    assert f"```\n{said}\n```" in DOC
