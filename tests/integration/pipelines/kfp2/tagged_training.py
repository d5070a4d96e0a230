"""``tagged_training.py`` beside this folder, for KFP SDK 2 (the v2 engine): one TrainingJob
step whose tags the run chooses (the emulator reads its own tags to fail the job or make
it last), retried up to twice by the v2 engine when its pod fails."""

import sys
from pathlib import Path

from kfp import dsl
from kfp.components import load_component_from_file

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "samples" / "kfp2"))
from training_pipeline import COMPONENTS, KMEANS_IMAGE

training_job_op = load_component_from_file(str(COMPONENTS / "TrainingJob" / "component.yaml"))


@dsl.pipeline(name="tagged-training-v2", description="one TrainingJob with the run's tags")
def tagged_training(
    region: str = "us-east-1",
    role_arn: str = "arn:aws:iam::123456789012:role/SageMaker",
    tags: list = [],  # noqa: B006 (KFP reads the parameter's default; nothing mutates it)
) -> None:
    training_job_op(
        region=region,
        role_arn=role_arn,
        algorithm_specification={"trainingImage": KMEANS_IMAGE, "trainingInputMode": "File"},
        output_data_config={"s3OutputPath": "s3://my-bucket/tagged-training/output"},
        resource_config={"instanceCount": 1, "instanceType": "ml.m5.large", "volumeSizeInGB": 5},
        stopping_condition={"maxRuntimeInSeconds": 3600},
        tags=tags,
    ).set_retry(num_retries=2)
