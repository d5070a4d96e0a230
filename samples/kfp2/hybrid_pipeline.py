"""Hybrid training as a KFP SDK 2 pipeline (v2 engine): ``samples/pytorch/train.py`` on
SageMaker or on the cluster, chosen at run time by the parameter ``target``.

``samples/hybrid_pipeline.py`` for SDK 2, from the same component files: ``sagemaker``
runs the TrainingJob component (two instances, through the ACK controller),
``kubernetes`` the PyTorchJob component (a master and a worker, through Kubeflow's
training operator). Both branches hand ``model_location`` the model in the same form,
the ``model_artifacts`` dict. ``settings`` builds the JSON inputs that carry the run's
parameters (image, hyperparameters, bucket, the run's id in the model's path) and
passes them whole, as v2 asks (see ``training_pipeline.py`` beside this file).

    ack-components-sandbox run --v2 samples/kfp2/hybrid_pipeline.py -p target=sagemaker
"""

import sys
from pathlib import Path

from kfp import dsl
from kfp.components import load_component_from_file

sys.path.insert(0, str(Path(__file__).resolve().parent))
from python_step import python_step
from training_pipeline import COMPONENTS, model_location

IMAGE = "ack-components/pytorch-train:0.1.0"

training_job_op = load_component_from_file(str(COMPONENTS / "TrainingJob" / "component.yaml"))
pytorch_job_op = load_component_from_file(str(COMPONENTS / "PyTorchJob" / "component.yaml"))


@dsl.container_component
def settings(
    image: str,
    bucket: str,
    epochs: str,
    lr: str,
    run_id: str,
    algorithm_specification: dsl.OutputPath(dict),
    hyper_parameters: dsl.OutputPath(dict),
    output_data_config: dsl.OutputPath(dict),
    pytorch_replica_specs: dsl.OutputPath(dict),
    model_artifact_url: dsl.OutputPath(str),
):
    """Both branches' JSON inputs from the run's parameters. Each PyTorchJob replica reads
    AWS settings from the profile's ``aws-secret`` when there is one."""
    return python_step(
        "image, bucket, epochs, lr, run_id = sys.argv[1:6]\n"
        "write(sys.argv[6], json.dumps({'trainingImage': image, 'trainingInputMode': 'File'}))\n"
        "write(sys.argv[7], json.dumps({'epochs': epochs, 'lr': lr}))\n"
        "write(sys.argv[8], json.dumps({'s3OutputPath': f's3://{bucket}/hybrid/sagemaker'}))\n"
        "container = {'name': 'pytorch', 'image': image, 'imagePullPolicy': 'IfNotPresent',\n"
        "             'args': ['--epochs', epochs, '--lr', lr],\n"
        "             'envFrom': [{'secretRef': {'name': 'aws-secret', 'optional': True}}]}\n"
        "replica = {'replicas': 1, 'restartPolicy': 'Never',\n"
        "           'template': {'spec': {'containers': [container]}}}\n"
        "write(sys.argv[9], json.dumps({'Master': replica, 'Worker': replica}))\n"
        "write(sys.argv[10], f's3://{bucket}/hybrid/pytorch/{run_id}/model.tar.gz')\n",
        image,
        bucket,
        epochs,
        lr,
        run_id,
        algorithm_specification,
        hyper_parameters,
        output_data_config,
        pytorch_replica_specs,
        model_artifact_url,
    )


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
    made = settings(
        image=image, bucket=bucket, epochs=epochs, lr=lr, run_id=dsl.PIPELINE_JOB_ID_PLACEHOLDER
    )
    with dsl.If(target == "sagemaker", name="on-sagemaker"):
        trained = training_job_op(
            region=region,
            role_arn=role_arn,
            algorithm_specification=made.outputs["algorithm_specification"],
            hyper_parameters=made.outputs["hyper_parameters"],
            output_data_config=made.outputs["output_data_config"],
            resource_config={
                "instanceCount": 2,
                "instanceType": "ml.m5.large",
                "volumeSizeInGB": 5,
            },
            stopping_condition={"maxRuntimeInSeconds": 3600},
        )
        model_location(model_artifacts=trained.outputs["model_artifacts"])
    with dsl.If(target == "kubernetes", name="on-kubernetes"):
        trained = pytorch_job_op(
            pytorch_replica_specs=made.outputs["pytorch_replica_specs"],
            model_artifact_url=made.outputs["model_artifact_url"],
        )
        model_location(model_artifacts=trained.outputs["model_artifacts"])
