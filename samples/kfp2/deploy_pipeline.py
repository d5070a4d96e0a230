"""KMeans on MNIST, trained and then served, as a KFP SDK 2 pipeline (v2 engine):
TrainingJob → Model → EndpointConfig → Endpoint.

``samples/deploy_pipeline.py`` for SDK 2, from the same component files. Outputs pass
by their v2 types: ``model_artifacts`` is a ``dict`` parameter, ``sagemaker_resource_name``
a ``str``. The JSON inputs that carry another step's value (the Model's primary
container, the config's production variants) are built by a small step each and passed
whole, as v2 asks (see ``training_pipeline.py`` beside this file).

    ack-components-sandbox run --v2 samples/kfp2/deploy_pipeline.py
"""

import sys
from pathlib import Path

from kfp import dsl
from kfp.components import load_component_from_file

sys.path.insert(0, str(Path(__file__).resolve().parent))
from python_step import python_step
from training_pipeline import COMPONENTS, KMEANS_IMAGE, kmeans_training

model_op = load_component_from_file(str(COMPONENTS / "Model" / "component.yaml"))
endpoint_config_op = load_component_from_file(str(COMPONENTS / "EndpointConfig" / "component.yaml"))
endpoint_op = load_component_from_file(str(COMPONENTS / "Endpoint" / "component.yaml"))


@dsl.container_component
def serving_container(model_artifacts: dict, image: str, container: dsl.OutputPath(dict)):
    """The Model's primary container: the training image and the trained artifacts."""
    return python_step(
        "artifacts = json.loads(sys.argv[1])\n"
        "write(sys.argv[3], json.dumps({'image': sys.argv[2],\n"
        "                               'modelDataURL': artifacts['s3ModelArtifacts']}))\n",
        model_artifacts,
        image,
        container,
    )


@dsl.container_component
def one_variant(model_name: str, instance_type: str, variants: dsl.OutputPath(list)):
    """All traffic to one instance of the model, as the ``production_variants`` input."""
    return python_step(
        "variant = {'variantName': 'AllTraffic', 'modelName': sys.argv[1],\n"
        "           'initialInstanceCount': 1, 'instanceType': sys.argv[2],\n"
        "           'initialVariantWeight': 1}\n"
        "write(sys.argv[3], json.dumps([variant]))\n",
        model_name,
        instance_type,
        variants,
    )


@dsl.pipeline(name="mnist-kmeans-deploy", description="KMeans on MNIST, trained and served")
def deploy_pipeline(
    region: str = "us-east-1",
    role_arn: str = "arn:aws:iam::123456789012:role/SageMakerExecution",
    bucket: str = "my-bucket",
    instance_type: str = "ml.m5.large",
) -> None:
    training = kmeans_training(region, role_arn, bucket)
    container = serving_container(
        model_artifacts=training.outputs["model_artifacts"], image=KMEANS_IMAGE
    )
    model = model_op(region=region, execution_role_arn=role_arn, primary_container=container.output)
    variants = one_variant(
        model_name=model.outputs["sagemaker_resource_name"], instance_type=instance_type
    )
    config = endpoint_config_op(region=region, production_variants=variants.output)
    endpoint_op(region=region, endpoint_config_name=config.outputs["sagemaker_resource_name"])
