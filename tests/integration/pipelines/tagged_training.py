"""One TrainingJob step whose tags the run chooses: the emulator reads its own tags
(``emulator.ack-components/fail``, ``emulator.ack-components/seconds``), so a test run
makes the job fail, or last long enough to be stopped or interrupted; and its resources
(``resource_config``, JSON), so a run asks for more than one instance."""

import sys
from pathlib import Path

from kfp import dsl

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "samples"))
from training_pipeline import KMEANS_IMAGE, training_job_op


@dsl.pipeline(name="tagged-training", description="one TrainingJob with the run's tags")
def tagged_training(
    region="us-east-1",
    role_arn="arn:aws:iam::123456789012:role/SageMaker",
    tags="[]",
    resource_config='{"instanceCount": 1, "instanceType": "ml.m5.large", "volumeSizeInGB": 5}',
):
    training_job_op(
        region=region,
        role_arn=role_arn,
        algorithm_specification={"trainingImage": KMEANS_IMAGE, "trainingInputMode": "File"},
        output_data_config={"s3OutputPath": "s3://my-bucket/tagged-training/output"},
        resource_config=resource_config,
        stopping_condition={"maxRuntimeInSeconds": 3600},
        tags=tags,
    )
