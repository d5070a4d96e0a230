"""Hybrid training: the same script on SageMaker or on the cluster, chosen at run time.

The pipeline parameter ``target`` decides where ``samples/pytorch/train.py`` (distributed
data parallel on CPU, gloo) trains: ``sagemaker`` runs the TrainingJob component (two
instances, through the ACK controller), ``kubernetes`` the PyTorchJob component (a
master and a worker, through Kubeflow's training operator). Both get the same image
and hyperparameters, and both branches hand the next step the model's location in the
same form: the ``model_artifacts`` JsonObject, ``{"s3ModelArtifacts": "s3://..."}``.

The PyTorchJob's pods write the model to S3 themselves: they take AWS settings from the
profile's ``aws-secret`` when there is one (``kfp.aws.use_aws_secret``'s name), else from
the pod's own identity (IRSA). Build the image from ``samples/pytorch/`` and push it
where both SageMaker (ECR) and the cluster can pull it, then:

    python samples/hybrid_pipeline.py hybrid_pipeline.yaml
"""

import sys
from pathlib import Path

from kfp import compiler, components, dsl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from training_pipeline import model_location_op

COMPONENTS = Path(__file__).resolve().parents[1] / "components"
IMAGE = "ack-components/pytorch-train:0.1.0"

training_job_op = components.load_component_from_file(
    str(COMPONENTS / "TrainingJob" / "component.yaml")
)
pytorch_job_op = components.load_component_from_file(
    str(COMPONENTS / "PyTorchJob" / "component.yaml")
)


def replica(image: object, args: list) -> dict:
    """One replica of the script: its container reads AWS settings from ``aws-secret``."""
    container = {
        "name": "pytorch",
        "image": str(image),
        "imagePullPolicy": "IfNotPresent",
        "args": [str(arg) for arg in args],
        "envFrom": [{"secretRef": {"name": "aws-secret", "optional": True}}],
    }
    return {
        "replicas": 1,
        "restartPolicy": "Never",
        "template": {"spec": {"containers": [container]}},
    }


@dsl.pipeline(name="hybrid-training", description="SageMaker or a PyTorchJob, chosen at run time")
def hybrid_pipeline(
    target: str = "kubernetes",
    region: str = "us-east-1",
    role_arn: str = "arn:aws:iam::123456789012:role/SageMakerExecution",
    bucket: str = "my-bucket",
    image: str = IMAGE,
    epochs: str = "10",
    lr: str = "0.05",
) -> None:
    with dsl.Condition(target == "sagemaker", name="on-sagemaker"):
        trained = training_job_op(
            region=region,
            role_arn=role_arn,
            algorithm_specification={"trainingImage": str(image), "trainingInputMode": "File"},
            hyper_parameters={"epochs": str(epochs), "lr": str(lr)},
            output_data_config={"s3OutputPath": f"s3://{bucket}/hybrid/sagemaker"},
            resource_config={
                "instanceCount": 2,
                "instanceType": "ml.m5.large",
                "volumeSizeInGB": 5,
            },
            stopping_condition={"maxRuntimeInSeconds": 3600},
        )
        model_location_op(model_artifacts=trained.outputs["model_artifacts"])
    with dsl.Condition(target == "kubernetes", name="on-kubernetes"):
        script = ["--epochs", epochs, "--lr", lr]
        trained = pytorch_job_op(
            pytorch_replica_specs={
                "Master": replica(image, script),
                "Worker": replica(image, script),
            },
            model_artifact_url=(
                f"s3://{bucket}/hybrid/pytorch/{dsl.RUN_ID_PLACEHOLDER}/model.tar.gz"
            ),
        )
        model_location_op(model_artifacts=trained.outputs["model_artifacts"])


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "hybrid_pipeline.yaml"
    compiler.Compiler().compile(hybrid_pipeline, target)
    print(f"wrote {target}")
