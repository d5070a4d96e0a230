"""The emulator's table-driven kinds (``lifecycle.py`` + ``resources.py``), through botocore.

What the ACK controller depends on, per kind: Create (or Start) then Describe through the
in-progress status to the done one; an injected failure ends in the failure value with its
reason; Stop → Stopping → Stopped; Delete → gone; a missing resource answers with exactly the
error code and message the controller's ``sdkFind`` recognises; Describe returns the
late-initialised members and never ``{}`` for a structure that was not sent. Every response
the ``sm`` fixture sees is checked against botocore's output shape.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from emulator_support import FAIL_TAG, JOB_SECONDS, ROLE, Emulator, error_of, unique

IMAGE = "382416733822.dkr.ecr.us-east-1.amazonaws.com/kmeans:1"
S3 = "s3://bucket/emulator"
CLUSTER = {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 20}


def tuning(name: str) -> dict[str, Any]:
    return {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobConfig": {
            "Strategy": "Bayesian",
            "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "test:msd"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 4, "MaxParallelTrainingJobs": 2},
            "ParameterRanges": {
                "IntegerParameterRanges": [{"Name": "k", "MinValue": "5", "MaxValue": "15"}]
            },
        },
        "TrainingJobDefinition": {
            "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
            "RoleArn": ROLE,
            "OutputDataConfig": {"S3OutputPath": f"{S3}/output"},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "VolumeSizeInGB": 10},
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        },
    }


def processing(name: str) -> dict[str, Any]:
    return {
        "ProcessingJobName": name,
        "ProcessingResources": {"ClusterConfig": CLUSTER},
        "AppSpecification": {"ImageUri": IMAGE},
        "RoleArn": ROLE,
    }


def transform(name: str) -> dict[str, Any]:
    return {
        "TransformJobName": name,
        "ModelName": "kmeans-model",
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"{S3}/test"}}
        },
        "TransformOutput": {"S3OutputPath": f"{S3}/batch"},
        "TransformResources": {"InstanceCount": 1, "InstanceType": "ml.m5.large"},
    }


def labeling(name: str) -> dict[str, Any]:
    lambda_arn = "arn:aws:lambda:us-east-1:432418664414:function:{}-ImageMultiClass"
    return {
        "LabelingJobName": name,
        "LabelAttributeName": "digit",
        "InputConfig": {"DataSource": {"S3DataSource": {"ManifestS3Uri": f"{S3}/in.manifest"}}},
        "OutputConfig": {"S3OutputPath": f"{S3}/labels"},
        "RoleArn": ROLE,
        "HumanTaskConfig": {
            "WorkteamArn": "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/t",
            "UiConfig": {"UiTemplateS3Uri": f"{S3}/template.liquid"},
            "PreHumanTaskLambdaArn": lambda_arn.format("PRE"),
            "TaskTitle": "Which digit is this?",
            "TaskDescription": "Pick the digit",
            "NumberOfHumanWorkersPerDataObject": 1,
            "TaskTimeLimitInSeconds": 300,
            "AnnotationConsolidationConfig": {
                "AnnotationConsolidationLambdaArn": lambda_arn.format("ACS")
            },
        },
    }


def job_definition(check: str, name: str) -> dict[str, Any]:
    """A model-monitor job definition of ``check`` (DataQuality, ModelBias, …)."""
    app: dict[str, Any] = {"ImageUri": IMAGE}
    if check in ("ModelBias", "ModelExplainability"):
        app["ConfigUri"] = f"{S3}/analysis.json"
    job_input: dict[str, Any] = {
        "EndpointInput": {"EndpointName": "kmeans", "LocalPath": "/opt/ml/processing/in"}
    }
    if check in ("ModelBias", "ModelQuality"):
        job_input["GroundTruthS3Input"] = {"S3Uri": f"{S3}/ground-truth"}
    return {
        "JobDefinitionName": name,
        f"{check}AppSpecification": app,
        f"{check}JobInput": job_input,
        f"{check}JobOutputConfig": {
            "MonitoringOutputs": [
                {"S3Output": {"S3Uri": f"{S3}/reports", "LocalPath": "/opt/ml/processing/out"}}
            ]
        },
        "JobResources": {"ClusterConfig": CLUSTER},
        "RoleArn": ROLE,
    }


def schedule(name: str, definition: str = "kmeans-data-quality") -> dict[str, Any]:
    return {
        "MonitoringScheduleName": name,
        "MonitoringScheduleConfig": {
            "MonitoringJobDefinitionName": definition,
            "MonitoringType": "DataQuality",
            "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
        },
    }


def pipeline(name: str) -> dict[str, Any]:
    definition = {"Version": "2020-12-01", "Steps": []}
    return {"PipelineName": name, "RoleArn": ROLE, "PipelineDefinition": json.dumps(definition)}


def with_fail_tag(request: dict[str, Any], reason: str) -> dict[str, Any]:
    return {**request, "Tags": [{"Key": FAIL_TAG, "Value": reason}]}


def call(sm: Any, operation: str, **params: Any) -> dict[str, Any]:
    """``operation`` (the API's name) through botocore, without ResponseMetadata."""
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")
    found: dict[str, Any] = getattr(sm, snake)(**params)
    found.pop("ResponseMetadata", None)
    return found


def wait_for(
    describe: Callable[[], dict[str, Any]],
    member: str,
    value: str,
    timeout: float = 4 * JOB_SECONDS,
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (found := describe())[member] != value:
        assert time.monotonic() < deadline, found
        time.sleep(0.1)
    return found


# kind → (request builder, the ARN's resource type, the member holding the end time)
JOBS: dict[str, tuple[Callable[[str], dict[str, Any]], str, str | None]] = {
    "HyperParameterTuningJob": (
        tuning,
        "hyper-parameter-tuning-job",
        "HyperParameterTuningEndTime",
    ),
    "ProcessingJob": (processing, "processing-job", "ProcessingEndTime"),
    "TransformJob": (transform, "transform-job", "TransformEndTime"),
    "LabelingJob": (labeling, "labeling-job", None),
}


@pytest.mark.parametrize("kind", sorted(JOBS))
def test_a_job_runs_to_completed_and_its_name_stays_taken(sm: Any, kind: str) -> None:
    build, arn_type, end_member = JOBS[kind]
    name = unique("job")
    created = call(sm, f"Create{kind}", **build(name))
    assert created[f"{kind}Arn"].endswith(f":{arn_type}/{name}")

    def describe() -> dict[str, Any]:
        return call(sm, f"Describe{kind}", **{f"{kind}Name": name})

    running = describe()
    assert running[f"{kind}Status"] == "InProgress"
    assert end_member is None or end_member not in running
    done = wait_for(describe, f"{kind}Status", "Completed")
    assert "FailureReason" not in done
    if end_member is not None:
        assert (done[end_member] - done["CreationTime"]).total_seconds() >= JOB_SECONDS - 0.5
    again = error_of(lambda: call(sm, f"Create{kind}", **build(name)))
    assert again.response["Error"]["Code"] == "ResourceInUse"
    stop = error_of(lambda: call(sm, f"Stop{kind}", **{f"{kind}Name": name}))
    assert stop.response["Error"]["Code"] == "ValidationException"
    assert "Completed" in stop.response["Error"]["Message"]


@pytest.mark.parametrize("kind", sorted(JOBS))
def test_a_job_tagged_to_fail_fails_with_that_reason(sm: Any, kind: str) -> None:
    build = JOBS[kind][0]
    name = unique("fail")
    call(sm, f"Create{kind}", **with_fail_tag(build(name), "ClientError: no such image"))
    found = wait_for(
        lambda: call(sm, f"Describe{kind}", **{f"{kind}Name": name}), f"{kind}Status", "Failed"
    )
    assert found["FailureReason"] == "ClientError: no such image"


@pytest.mark.parametrize("kind", sorted(JOBS))
def test_a_stopped_job_is_stopping_then_stopped(sm: Any, kind: str) -> None:
    name = unique("stop")
    call(sm, f"Create{kind}", **JOBS[kind][0](name))
    call(sm, f"Stop{kind}", **{f"{kind}Name": name})

    def describe() -> dict[str, Any]:
        return call(sm, f"Describe{kind}", **{f"{kind}Name": name})

    assert describe()[f"{kind}Status"] == "Stopping"
    stopped = wait_for(describe, f"{kind}Status", "Stopped", timeout=5)
    assert "FailureReason" not in stopped
    time.sleep(JOB_SECONDS)  # the job's original end passes: it stays Stopped
    assert describe()[f"{kind}Status"] == "Stopped"


# Describe of a missing resource: (operation, params, code, what the controller's sdkFind
# checks on the message) — from pkg/resource/<kind>/sdk.go of sagemaker-controller v1.9.1.
MISSING = "arn:aws:sagemaker:us-east-1:123456789012:pipeline/nope/execution/abcdef012345"
NOT_FOUND: dict[str, tuple[str, dict[str, str], str, Callable[[str], bool]]] = {
    "HyperParameterTuningJob": (
        "DescribeHyperParameterTuningJob",
        {"HyperParameterTuningJobName": "nope"},
        "ResourceNotFound",
        lambda m: True,
    ),
    "ProcessingJob": (
        "DescribeProcessingJob",
        {"ProcessingJobName": "nope"},
        "ValidationException",
        lambda m: m.startswith("Could not find requested job"),
    ),
    "TransformJob": (
        "DescribeTransformJob",
        {"TransformJobName": "nope"},
        "ValidationException",
        lambda m: m.startswith("Could not find requested job with name"),
    ),
    "LabelingJob": (
        "DescribeLabelingJob",
        {"LabelingJobName": "nope"},
        "ValidationException",
        lambda m: True,
    ),
    "Pipeline": (
        "DescribePipeline",
        {"PipelineName": "nope"},
        "ResourceNotFound",
        lambda m: m.endswith("does not exist."),
    ),
    "PipelineExecution": (
        "DescribePipelineExecution",
        {"PipelineExecutionArn": MISSING},
        "ResourceNotFound",
        lambda m: m.endswith("does not exist"),
    ),
    "MonitoringSchedule": (
        "DescribeMonitoringSchedule",
        {"MonitoringScheduleName": "nope"},
        "ResourceNotFound",
        lambda m: True,
    ),
    **{
        f"{check}JobDefinition": (
            f"Describe{check}JobDefinition",
            {"JobDefinitionName": "nope"},
            "ResourceNotFound",
            lambda m: True,
        )
        for check in ("DataQuality", "ModelBias", "ModelExplainability", "ModelQuality")
    },
}


@pytest.mark.parametrize("kind", sorted(NOT_FOUND))
def test_a_missing_resource_is_not_found_as_the_controller_matches(sm: Any, kind: str) -> None:
    operation, params, code, matches = NOT_FOUND[kind]
    error = error_of(lambda: call(sm, operation, **params)).response["Error"]
    assert error["Code"] == code
    assert matches(error["Message"]), error["Message"]


def test_describe_returns_what_the_controller_late_initialises(sm: Any) -> None:
    """HPO, TransformJob and LabelingJob defaults the controller waits for (manager.go)."""
    name = unique("late")
    call(sm, "CreateHyperParameterTuningJob", **tuning(name))
    hpo = call(sm, "DescribeHyperParameterTuningJob", HyperParameterTuningJobName=name)
    definition = hpo["TrainingJobDefinition"]
    assert definition["EnableNetworkIsolation"] is False
    assert definition["EnableInterContainerTrafficEncryption"] is False
    assert definition["EnableManagedSpotTraining"] is False
    assert definition["ResourceConfig"]["InstanceCount"] == 1
    assert definition["AlgorithmSpecification"]["MetricDefinitions"][0]["Name"] == "test:msd"
    assert "TrainingJobDefinitions" not in hpo and "WarmStartConfig" not in hpo
    assert hpo["TrainingJobStatusCounters"]["InProgress"] == 4

    call(sm, "CreateTransformJob", **transform(name))
    batch = call(sm, "DescribeTransformJob", TransformJobName=name)
    assert batch["TransformInput"]["CompressionType"] == "None"
    assert batch["TransformInput"]["SplitType"] == "None"
    assert "DataProcessing" not in batch and "DataCaptureConfig" not in batch

    request = labeling(name)
    request["LabelingJobAlgorithmsConfig"] = {
        "LabelingJobAlgorithmSpecificationArn": "arn:aws:sagemaker:us-east-1:027400017018:"
        "labeling-job-algorithm-specification/image-classification"
    }
    call(sm, "CreateLabelingJob", **request)
    labels = call(sm, "DescribeLabelingJob", LabelingJobName=name)
    assert labels["HumanTaskConfig"]["MaxConcurrentTaskCount"] == 1000
    assert labels["HumanTaskConfig"]["TaskAvailabilityLifetimeInSeconds"] == 864000
    assert labels["OutputConfig"]["KmsKeyId"] == ""
    assert "LabelingJobResourceConfig" in labels["LabelingJobAlgorithmsConfig"]
    assert "StoppingConditions" not in labels
    done = wait_for(
        lambda: call(sm, "DescribeLabelingJob", LabelingJobName=name),
        "LabelingJobStatus",
        "Completed",
    )
    assert done["LabelingJobOutput"]["OutputDatasetS3Uri"].startswith(f"{S3}/labels/{name}/")


def test_a_completed_tuning_job_names_its_best_training_job(sm: Any) -> None:
    name = unique("hpo")
    call(sm, "CreateHyperParameterTuningJob", **tuning(name))

    def describe() -> dict[str, Any]:
        return call(sm, "DescribeHyperParameterTuningJob", HyperParameterTuningJobName=name)

    assert "BestTrainingJob" not in describe()
    done = wait_for(describe, "HyperParameterTuningJobStatus", "Completed")
    best = done["BestTrainingJob"]
    assert best["TrainingJobName"].startswith(f"{name}-004-")
    assert best["TrainingJobArn"].endswith(f":training-job/{best['TrainingJobName']}")
    assert best["TunedHyperParameters"] == {"k": "10"}
    assert best["FinalHyperParameterTuningJobObjectiveMetric"]["MetricName"] == "test:msd"
    assert done["TrainingJobStatusCounters"]["Completed"] == 4
    assert done["ObjectiveStatusCounters"]["Succeeded"] == 4


def test_a_processing_job_echoes_its_request_and_leaves_out_what_was_not_sent(sm: Any) -> None:
    name = unique("echo")
    request = {**processing(name), "Environment": {"MODE": "fast"}}
    call(sm, "CreateProcessingJob", **request)
    found = call(sm, "DescribeProcessingJob", ProcessingJobName=name)
    assert found["ProcessingResources"] == {"ClusterConfig": CLUSTER}
    assert found["Environment"] == {"MODE": "fast"}
    for absent in ("NetworkConfig", "StoppingCondition", "ProcessingOutputConfig", "ExitMessage"):
        assert absent not in found


def test_a_pipeline_runs_executions_that_succeed_fail_or_stop(sm: Any) -> None:
    name = unique("pipe")
    arn = call(sm, "CreatePipeline", **pipeline(name))["PipelineArn"]
    described = call(sm, "DescribePipeline", PipelineName=name)
    assert described["PipelineStatus"] == "Active"
    assert json.loads(described["PipelineDefinition"])["Version"] == "2020-12-01"

    run = call(sm, "StartPipelineExecution", PipelineName=name)["PipelineExecutionArn"]
    assert run.startswith(f"{arn}/execution/")

    def execution(which: str) -> Callable[[], dict[str, Any]]:
        return lambda: call(sm, "DescribePipelineExecution", PipelineExecutionArn=which)

    assert execution(run)()["PipelineExecutionStatus"] == "Executing"
    assert execution(run)()["PipelineArn"] == arn
    call(sm, "UpdatePipelineExecution", PipelineExecutionArn=run, PipelineExecutionDisplayName="r1")
    done = wait_for(execution(run), "PipelineExecutionStatus", "Succeeded")
    assert done["PipelineExecutionDisplayName"] == "r1"

    failing = call(
        sm,
        "StartPipelineExecution",
        PipelineName=name,
        PipelineParameters=[{"Name": FAIL_TAG, "Value": "Step Train failed"}],
    )["PipelineExecutionArn"]
    failed = wait_for(execution(failing), "PipelineExecutionStatus", "Failed")
    assert failed["FailureReason"] == "Step Train failed"

    stopping = call(sm, "StartPipelineExecution", PipelineName=name)["PipelineExecutionArn"]
    assert call(sm, "StopPipelineExecution", PipelineExecutionArn=stopping) == {
        "PipelineExecutionArn": stopping
    }
    assert execution(stopping)()["PipelineExecutionStatus"] == "Stopping"
    wait_for(execution(stopping), "PipelineExecutionStatus", "Stopped", timeout=5)


def test_an_execution_needs_its_pipeline(sm: Any) -> None:
    error = error_of(lambda: call(sm, "StartPipelineExecution", PipelineName=unique("none")))
    assert error.response["Error"]["Code"] == "ResourceNotFound"
    assert error.response["Error"]["Message"].endswith("does not exist.")


def test_a_pipeline_is_updated_then_deleted_and_refuses_a_fail_tag(sm: Any) -> None:
    name = unique("pipe")
    call(sm, "CreatePipeline", **pipeline(name))
    again = error_of(lambda: call(sm, "CreatePipeline", **pipeline(name)))
    assert again.response["Error"]["Code"] == "ResourceInUse"
    changed = json.dumps({"Version": "2020-12-01", "Steps": [{"Name": "x"}]})
    call(sm, "UpdatePipeline", PipelineName=name, PipelineDefinition=changed)
    updated = call(sm, "DescribePipeline", PipelineName=name)
    assert updated["PipelineDefinition"] == changed
    assert updated["LastModifiedTime"] > updated["CreationTime"]
    call(sm, "DeletePipeline", PipelineName=name)
    assert call(sm, "DescribePipeline", PipelineName=name)["PipelineStatus"] == "Deleting"
    deadline = time.monotonic() + 3 * JOB_SECONDS
    while True:
        try:
            call(sm, "DescribePipeline", PipelineName=name)
        except ClientError as error:
            assert error.response["Error"]["Code"] == "ResourceNotFound"
            break
        assert time.monotonic() < deadline
        time.sleep(0.1)
    refused = error_of(
        lambda: call(sm, "CreatePipeline", **with_fail_tag(pipeline(unique("p")), "no role"))
    )
    assert refused.response["Error"] == {"Code": "ValidationException", "Message": "no role"}


def test_a_monitoring_schedule_is_pending_then_scheduled_and_updates_through_pending(
    sm: Any,
) -> None:
    name = unique("mon")
    call(sm, "CreateMonitoringSchedule", **schedule(name))

    def describe() -> dict[str, Any]:
        return call(sm, "DescribeMonitoringSchedule", MonitoringScheduleName=name)

    assert describe()["MonitoringScheduleStatus"] == "Pending"
    busy = error_of(lambda: call(sm, "UpdateMonitoringSchedule", **schedule(name, "other")))
    assert busy.response["Error"]["Code"] == "ValidationException"
    scheduled = wait_for(describe, "MonitoringScheduleStatus", "Scheduled")
    assert scheduled["MonitoringType"] == "DataQuality"
    call(sm, "UpdateMonitoringSchedule", **schedule(name, "other"))
    assert describe()["MonitoringScheduleStatus"] == "Pending"
    updated = wait_for(describe, "MonitoringScheduleStatus", "Scheduled")
    assert updated["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"] == "other"
    again = error_of(lambda: call(sm, "CreateMonitoringSchedule", **schedule(name)))
    assert again.response["Error"]["Code"] == "ResourceInUse"
    call(sm, "DeleteMonitoringSchedule", MonitoringScheduleName=name)
    gone = error_of(describe).response["Error"]
    assert gone["Code"] == "ResourceNotFound"

    failing = unique("mon")
    call(sm, "CreateMonitoringSchedule", **with_fail_tag(schedule(failing), "no definition"))
    failed = wait_for(
        lambda: call(sm, "DescribeMonitoringSchedule", MonitoringScheduleName=failing),
        "MonitoringScheduleStatus",
        "Failed",
    )
    assert failed["FailureReason"] == "no definition"


@pytest.mark.parametrize(
    "check", ["DataQuality", "ModelBias", "ModelExplainability", "ModelQuality"]
)
def test_a_job_definition_is_stored_echoed_and_deleted(sm: Any, check: str) -> None:
    kind = f"{check}JobDefinition"
    name = unique("def")
    arn = call(sm, f"Create{kind}", **job_definition(check, name))["JobDefinitionArn"]
    found = call(sm, f"Describe{kind}", JobDefinitionName=name)
    assert found["JobDefinitionArn"] == arn
    assert found["JobResources"] == {"ClusterConfig": CLUSTER}
    for absent in ("NetworkConfig", "StoppingCondition", f"{check}BaselineConfig"):
        assert absent not in found
    again = error_of(lambda: call(sm, f"Create{kind}", **job_definition(check, name)))
    assert again.response["Error"]["Code"] == "ResourceInUse"
    call(sm, f"Delete{kind}", JobDefinitionName=name)
    gone = error_of(lambda: call(sm, f"Describe{kind}", JobDefinitionName=name))
    assert gone.response["Error"]["Code"] == "ResourceNotFound"
    refused = error_of(
        lambda: call(sm, f"Create{kind}", **with_fail_tag(job_definition(check, name), "bad"))
    )
    assert refused.response["Error"] == {"Code": "ValidationException", "Message": "bad"}


def test_the_call_record_names_the_job_not_the_model_it_uses(emulator: Emulator, sm: Any) -> None:
    name = unique("record")
    call(sm, "CreateTransformJob", **transform(name))
    created = [c for c in emulator.control("/_emulator/calls") if c["name"] == name]
    assert [c["operation"] for c in created] == ["CreateTransformJob"]
