"""SageMaker Pipelines from a JSON definition, and their executions, on the real API server.

The DevOps path: `ack-components run Pipeline --pipeline_definition "$(cat file.json)"`,
then a PipelineExecution of it. The test writes ``.status`` as the ACK controller does.
"""

from __future__ import annotations

import json
from pathlib import Path

from harness import Harness, synced

from ack_components_sandbox.testing import samples

DEFINITION_FILE = Path(__file__).resolve().parents[2] / "samples" / "sagemaker_pipeline.json"
ACCOUNT = "123456789012"
PIPELINE_ARN = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:pipeline/kmeans-pipeline"


def test_a_pipeline_is_created_from_a_json_file(harness: Harness) -> None:
    text = DEFINITION_FILE.read_text()  # several lines, as `$(cat file.json)` passes it
    run = harness.start(
        kind="Pipeline",
        pipeline_name="kmeans-pipeline",
        pipeline_definition=text,
        role_arn=samples.ROLE,
    )
    cr = harness.wait_for_resource(kind="Pipeline")
    # The resource holds the document as JSON text, as the CRD (and SageMaker) expect.
    assert json.loads(cr["spec"]["pipelineDefinition"]) == json.loads(text)
    harness.set_status(
        "kmeans-pipeline",
        kind="Pipeline",
        pipelineStatus="Active",
        ackResourceMetadata={"arn": PIPELINE_ARN, "ownerAccountID": ACCOUNT, "region": "us-east-1"},
        conditions=[synced()],
    )
    code, log = run.wait()
    assert code == 0, log
    assert run.output("pipeline_status") == "Active"


def test_a_broken_definition_is_named_and_nothing_is_created(harness: Harness) -> None:
    broken = DEFINITION_FILE.read_text().replace('"Steps": [', '"Steps": [[', 1)
    code, log = harness.run(
        kind="Pipeline", pipeline_name="broken", pipeline_definition=broken, role_arn=samples.ROLE
    )
    assert code == 2
    assert "input pipeline_definition: not valid JSON at line" in log
    assert harness.items("Pipeline") == []


def execution_done(arn: str) -> dict[str, object]:
    return {
        "pipelineExecutionStatus": "Succeeded",
        "ackResourceMetadata": {"arn": arn, "ownerAccountID": ACCOUNT, "region": "us-east-1"},
        "conditions": [synced()],
    }


def test_an_execution_succeeds_and_a_retry_starts_no_second_one(harness: Harness) -> None:
    inputs = {
        "pipeline_name": "kmeans-pipeline",
        "pipeline_parameters": '[{"name": "TrainingInstanceType", "value": "ml.m5.xlarge"}]',
        "run_id": "run-42",
    }
    run = harness.start(kind="PipelineExecution", **inputs)
    cr = harness.wait_for_resource(kind="PipelineExecution")
    name = cr["metadata"]["name"]
    assert name.startswith("pipelineexecution-")
    assert cr["spec"]["pipelineParameters"] == [
        {"name": "TrainingInstanceType", "value": "ml.m5.xlarge"}
    ]
    harness.set_status(
        name,
        kind="PipelineExecution",
        pipelineExecutionStatus="Executing",
        conditions=[synced("False")],
    )
    arn = f"{PIPELINE_ARN}/execution/0a1b2c3d4e5f"
    harness.set_status(name, kind="PipelineExecution", **execution_done(arn))
    code, log = run.wait()
    assert code == 0, log
    assert "Executing" in log
    assert run.output("sagemaker_resource_name") == arn

    again = harness.start(kind="PipelineExecution", **inputs)  # the step retried
    code, log = again.wait()
    assert code == 0, log
    assert "re-attached to existing PipelineExecution" in log
    assert len(harness.items("PipelineExecution")) == 1


def test_stopping_the_step_deletes_the_execution(harness: Harness) -> None:
    run = harness.start(kind="PipelineExecution", pipeline_name="kmeans-pipeline")
    cr = harness.wait_for_resource(kind="PipelineExecution")
    harness.set_status(
        cr["metadata"]["name"],
        kind="PipelineExecution",
        pipelineExecutionStatus="Executing",
        conditions=[synced("False")],
    )
    code, log = run.stop()
    assert code == 1
    assert "deleting PipelineExecution" in log
    assert harness.items("PipelineExecution") == []
