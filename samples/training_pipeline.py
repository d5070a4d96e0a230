"""KMeans on MNIST with the TrainingJob component (a KFP v1 pipeline, as upstream's sample).

Upload the MNIST training data to ``s3://<bucket>/mnist_kmeans_example/train_data``
first, then compile and upload the pipeline:

    python samples/training_pipeline.py training_pipeline.yaml

The second step reads the ``model_artifacts`` output, a JsonObject, written as JSON.
"""

import sys
from pathlib import Path

from kfp import compiler, components, dsl

COMPONENT = Path(__file__).resolve().parents[1] / "components" / "TrainingJob" / "component.yaml"
KMEANS_IMAGE = "382416733822.dkr.ecr.us-east-1.amazonaws.com/kmeans:1"

training_job_op = components.load_component_from_file(str(COMPONENT))


def model_location(model_artifacts: dict) -> str:
    """The S3 URI of the trained model (``model_artifacts`` is a JsonObject)."""
    location = str(model_artifacts["s3ModelArtifacts"])
    print(location)
    return location


model_location_op = components.create_component_from_func(
    model_location, base_image="python:3.11-slim"
)


def kmeans_training(region: str, role_arn: str, bucket: str) -> dsl.ContainerOp:
    """The KMeans MNIST training step (``samples/deploy_pipeline.py`` starts with it too)."""
    return training_job_op(
        region=region,
        role_arn=role_arn,
        algorithm_specification={"trainingImage": KMEANS_IMAGE, "trainingInputMode": "File"},
        hyper_parameters={"k": "10", "feature_dim": "784"},
        input_data_config=[
            {
                "channelName": "train",
                "dataSource": {
                    "s3DataSource": {
                        "s3URI": f"s3://{bucket}/mnist_kmeans_example/train_data",
                        "s3DataType": "S3Prefix",
                        "s3DataDistributionType": "FullyReplicated",
                    }
                },
                "compressionType": "None",
                "recordWrapperType": "None",
                "inputMode": "File",
            }
        ],
        output_data_config={"s3OutputPath": f"s3://{bucket}/mnist_kmeans_example/output"},
        resource_config={"instanceCount": 1, "instanceType": "ml.m5.2xlarge", "volumeSizeInGB": 5},
        stopping_condition={"maxRuntimeInSeconds": 3600},
    )


@dsl.pipeline(name="mnist-kmeans-training", description="KMeans on MNIST through ACK")
def training_pipeline(
    region: str = "us-east-1",
    role_arn: str = "arn:aws:iam::123456789012:role/SageMakerExecution",
    bucket: str = "my-bucket",
) -> None:
    training = kmeans_training(region, role_arn, bucket)
    model_location_op(model_artifacts=training.outputs["model_artifacts"])


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "training_pipeline.yaml"
    compiler.Compiler().compile(training_pipeline, target)
    print(f"wrote {target}")
