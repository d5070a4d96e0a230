"""KMeans on MNIST with the TrainingJob component, as a KFP SDK 2 pipeline (v2 engine).

The same training step as ``samples/training_pipeline.py`` (SDK 1.8), from the same
``components/TrainingJob/component.yaml``: SDK 2 loads the v1 component file as it is.
Compile with kfp 2.x and upload the file, or let the sandbox run it:

    kfp dsl compile --py samples/kfp2/training_pipeline.py --output training_pipeline.yaml
    ack-components-sandbox run --v2 samples/kfp2/training_pipeline.py

Under the v2 engine a pipeline value cannot sit inside a dict or an f-string argument
(KFP 2.16's launcher fills such a nested placeholder only by chance of map order, and
the component refuses one it finds left), so ``data_locations`` builds the JSON inputs
that name the bucket, and passes them whole. ``model_location`` reads the
``model_artifacts`` output (a JsonObject: a ``dict`` parameter under the v2 engine).
"""

import sys
from pathlib import Path

from kfp import dsl
from kfp.components import load_component_from_file

sys.path.insert(0, str(Path(__file__).resolve().parent))
from python_step import python_step

COMPONENTS = Path(__file__).resolve().parents[2] / "components"
KMEANS_IMAGE = "382416733822.dkr.ecr.us-east-1.amazonaws.com/kmeans:1"

training_job_op = load_component_from_file(str(COMPONENTS / "TrainingJob" / "component.yaml"))


@dsl.container_component
def data_locations(
    bucket: str, input_data_config: dsl.OutputPath(list), output_data_config: dsl.OutputPath(dict)
):
    """The training channel and the output path in ``bucket``, as the TrainingJob's inputs."""
    return python_step(
        "bucket = sys.argv[1]\n"
        "source = {'s3URI': f's3://{bucket}/mnist_kmeans_example/train_data',\n"
        "          's3DataType': 'S3Prefix', 's3DataDistributionType': 'FullyReplicated'}\n"
        "channel = {'channelName': 'train', 'dataSource': {'s3DataSource': source},\n"
        "           'compressionType': 'None', 'recordWrapperType': 'None', 'inputMode': 'File'}\n"
        "write(sys.argv[2], json.dumps([channel]))\n"
        "write(sys.argv[3], json.dumps({'s3OutputPath': f's3://{bucket}/mnist_kmeans_example/output'}))\n",
        bucket,
        input_data_config,
        output_data_config,
    )


@dsl.container_component
def model_location(model_artifacts: dict, location: dsl.OutputPath(str)):
    """The S3 URI of the trained model, printed and passed on as a String."""
    return python_step(
        "uri = json.loads(sys.argv[1])['s3ModelArtifacts']\nprint(uri)\nwrite(sys.argv[2], uri)\n",
        model_artifacts,
        location,
    )


def kmeans_training(region: str, role_arn: str, bucket: str):  # -> the TrainingJob task
    """The KMeans MNIST training step (``deploy_pipeline.py`` beside this file starts with it)."""
    locations = data_locations(bucket=bucket)
    return training_job_op(
        region=region,
        role_arn=role_arn,
        algorithm_specification={"trainingImage": KMEANS_IMAGE, "trainingInputMode": "File"},
        hyper_parameters={"k": "10", "feature_dim": "784"},
        input_data_config=locations.outputs["input_data_config"],
        output_data_config=locations.outputs["output_data_config"],
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
    model_location(model_artifacts=training.outputs["model_artifacts"])
