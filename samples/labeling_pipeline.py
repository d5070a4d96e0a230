"""Ground Truth labeling by a private work team: Workteam → LabelingJob.

The team is made through SageMaker's API (the ACK controller has no Workteam kind); its
``workteam_arn`` output, a String, is pasted as its bare text into the labeling job's
``human_task_config`` JSON, and the LabelingJob goes through the ACK controller like
every other kind. The user pool, app client and groups are your private workforce's
(Cognito); upload the manifest and the task template first, then compile and upload:

    python samples/labeling_pipeline.py labeling_pipeline.yaml
"""

import json
import sys
from pathlib import Path

from kfp import compiler, components, dsl

COMPONENTS = Path(__file__).resolve().parents[1] / "components"
#: AWS's own pre-annotation and consolidation Lambdas for image classification (us-east-1).
LAMBDA = "arn:aws:lambda:us-east-1:432418664414:function:{}-ImageMultiClass"

workteam_op = components.load_component_from_file(str(COMPONENTS / "Workteam" / "component.yaml"))
labeling_op = components.load_component_from_file(
    str(COMPONENTS / "LabelingJob" / "component.yaml")
)


def image_classification(workteam_arn: object, prefix: str) -> str:
    """The ``human_task_config`` JSON: which digit an image shows, asked of the team.

    ``workteam_arn`` is a pipeline value, written as a placeholder that Argo replaces with
    the Workteam step's output text.
    """
    return json.dumps(
        {
            "workteamARN": str(workteam_arn),
            "uiConfig": {"uiTemplateS3URI": f"{prefix}/template.liquid"},
            "preHumanTaskLambdaARN": LAMBDA.format("PRE"),
            "taskTitle": "Which digit is this?",
            "taskDescription": "Pick the digit shown in the image",
            "numberOfHumanWorkersPerDataObject": 1,
            "taskTimeLimitInSeconds": 300,
            "annotationConsolidationConfig": {
                "annotationConsolidationLambdaARN": LAMBDA.format("ACS")
            },
        }
    )


@dsl.pipeline(name="mnist-labeling", description="MNIST digits labeled by a private work team")
def labeling_pipeline(
    region: str = "us-east-1",
    role_arn: str = "arn:aws:iam::123456789012:role/SageMakerExecution",
    bucket: str = "my-bucket",
    team_name: str = "mnist-labelers",
    user_pool: str = "us-east-1_example",
    client_id: str = "exampleclient",
    user_groups: str = "labelers",
) -> None:
    team = workteam_op(
        region=region,
        team_name=team_name,
        description="Labels the MNIST digits",
        user_pool=user_pool,
        client_id=client_id,
        user_groups=user_groups,
    )
    prefix = f"s3://{bucket}/mnist_kmeans_example/labeling"
    labeling_op(
        region=region,
        role_arn=role_arn,
        human_task_config=image_classification(team.outputs["workteam_arn"], prefix),
        input_config={
            "dataSource": {"s3DataSource": {"manifestS3URI": f"{prefix}/input.manifest"}}
        },
        label_attribute_name="digit",
        output_config={"s3OutputPath": f"{prefix}/output"},
    )


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "labeling_pipeline.yaml"
    compiler.Compiler().compile(labeling_pipeline, target)
    print(f"wrote {target}")
