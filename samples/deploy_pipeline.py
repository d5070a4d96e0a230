"""KMeans on MNIST, trained and then served: TrainingJob → Model → EndpointConfig → Endpoint.

The upstream "mnist-kmeans-sagemaker" sample, with our components. Upload the
MNIST training data to ``s3://<bucket>/mnist_kmeans_example/train_data`` first,
then compile and upload the pipeline:

    python samples/deploy_pipeline.py deploy_pipeline.yaml

Every output is JSON text: a String output such as ``sagemaker_resource_name``
is a JSON string (``"kmeans-model"``). Our components accept that as it is; a
Python function step decodes it with ``json.loads``.
"""

import sys
from pathlib import Path

from kfp import compiler, components, dsl

# The training step is the one samples/training_pipeline.py (beside this file) runs.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from training_pipeline import KMEANS_IMAGE, kmeans_training

COMPONENTS = Path(__file__).resolve().parents[1] / "components"


def load(kind: str):  # a kfp component factory
    return components.load_component_from_file(str(COMPONENTS / kind / "component.yaml"))


model_op = load("Model")
endpoint_config_op, endpoint_op = load("EndpointConfig"), load("Endpoint")


def serving_container(model_artifacts: dict, image: str) -> dict:
    """The Model's primary container: the training image and the trained artifacts."""
    return {"image": image, "modelDataURL": model_artifacts["s3ModelArtifacts"]}


def one_variant(model_name: str, instance_type: str) -> list:
    """All traffic to one instance of the model (``model_name`` arrives as a JSON string)."""
    import json

    return [
        {
            "variantName": "AllTraffic",
            "modelName": json.loads(model_name),
            "initialInstanceCount": 1,
            "instanceType": instance_type,
            "initialVariantWeight": 1,
        }
    ]


serving_container_op = components.create_component_from_func(
    serving_container, base_image="python:3.11-slim"
)
one_variant_op = components.create_component_from_func(one_variant, base_image="python:3.11-slim")


@dsl.pipeline(name="mnist-kmeans-deploy", description="KMeans on MNIST, trained and served")
def deploy_pipeline(
    region: str = "us-east-1",
    role_arn: str = "arn:aws:iam::123456789012:role/SageMakerExecution",
    bucket: str = "my-bucket",
    instance_type: str = "ml.m5.large",
) -> None:
    training = kmeans_training(region, role_arn, bucket)
    container = serving_container_op(
        model_artifacts=training.outputs["model_artifacts"], image=KMEANS_IMAGE
    )
    model = model_op(region=region, execution_role_arn=role_arn, primary_container=container.output)
    variants = one_variant_op(
        model_name=model.outputs["sagemaker_resource_name"], instance_type=instance_type
    )
    config = endpoint_config_op(region=region, production_variants=variants.output)
    endpoint_op(region=region, endpoint_config_name=config.outputs["sagemaker_resource_name"])


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "deploy_pipeline.yaml"
    compiler.Compiler().compile(deploy_pipeline, target)
    print(f"wrote {target}")
