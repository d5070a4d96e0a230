"""KMeans on MNIST, trained and then served: TrainingJob → Model → EndpointConfig → Endpoint.

The upstream "mnist-kmeans-sagemaker" sample, with our components. Upload the
MNIST training data to ``s3://<bucket>/mnist_kmeans_example/train_data`` first,
then compile and upload the pipeline:

    python samples/deploy_pipeline.py deploy_pipeline.yaml

A String output is its bare text, as Argo pastes it: the model step's
``sagemaker_resource_name`` goes straight into the endpoint config's
``production_variants`` JSON (``"modelName": "<the model's name>"``), and the
endpoint config's into the endpoint's ``endpoint_config_name``. JsonObject
outputs (``model_artifacts``) are JSON, read by a Python step as a dict.
"""

import json
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


def one_variant(model_name: object, instance_type: object) -> str:
    """All traffic to one instance of the model, as the ``production_variants`` JSON input.

    The arguments are pipeline values: each is written into the JSON as a placeholder
    (``{{pipelineparam:...}}``) that Argo replaces with the producing step's output text.
    """
    variant = {
        "variantName": "AllTraffic",
        "modelName": str(model_name),
        "initialInstanceCount": 1,
        "instanceType": str(instance_type),
        "initialVariantWeight": 1,
    }
    return json.dumps([variant])


serving_container_op = components.create_component_from_func(
    serving_container, base_image="python:3.11-slim"
)


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
    variants = one_variant(model.outputs["sagemaker_resource_name"], instance_type)
    config = endpoint_config_op(region=region, production_variants=variants)
    endpoint_op(region=region, endpoint_config_name=config.outputs["sagemaker_resource_name"])


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "deploy_pipeline.yaml"
    compiler.Compiler().compile(deploy_pipeline, target)
    print(f"wrote {target}")
