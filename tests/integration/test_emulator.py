"""The emulator's TrainingJob, STS and control endpoints, driven through botocore like an SDK.

The emulator process, the ``emulator`` and ``sm`` fixtures and the shape check are in
``emulator_support.py``.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from emulator_support import (
    FAIL_TAG,
    PHASES,
    ROLE,
    TRAINING_OPS,
    TRAINING_SECONDS,
    Emulator,
    error_of,
    record_responses,
    shape_problems,
    unique,
)

from ack_components_sandbox.aws.emulator import shapes
from ack_components_sandbox.aws.emulator.training import SECONDS_TAG, ApiError, Store


def job_request(name: str, **extra: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "TrainingJobName": name,
        "RoleArn": ROLE,
        "AlgorithmSpecification": {
            "TrainingImage": "example/xgboost:1",
            "TrainingInputMode": "File",
        },
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/output"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "VolumeSizeInGB": 5},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    }
    return request | extra


def describe(sm: Any, name: str) -> dict[str, Any]:
    result: dict[str, Any] = sm.describe_training_job(TrainingJobName=name)
    result.pop("ResponseMetadata")
    return result


def poll(
    sm: Any, name: str, done: Callable[[dict[str, Any]], bool], timeout: float = 20
) -> list[dict[str, Any]]:
    """Every Describe seen, every 0.1 s, until ``done`` holds for the last one."""
    deadline = time.monotonic() + timeout
    seen = [describe(sm, name)]
    while not done(seen[-1]):
        assert time.monotonic() < deadline, seen[-1]
        time.sleep(0.1)
        seen.append(describe(sm, name))
    return seen


def finished(job: dict[str, Any]) -> bool:
    return job["TrainingJobStatus"] in ("Completed", "Failed", "Stopped")


def test_sts_get_caller_identity(emulator: Emulator) -> None:
    identity = emulator.client("sts").get_caller_identity()
    assert identity["Account"] == "123456789012"
    assert identity["Arn"].startswith("arn:aws:sts::123456789012:")


def test_job_runs_through_secondary_statuses_to_completed(sm: Any) -> None:
    name = unique("complete")
    arn = sm.create_training_job(**job_request(name))["TrainingJobArn"]
    assert arn == f"arn:aws:sagemaker:us-east-1:123456789012:training-job/{name}"
    seen = poll(sm, name, finished)
    first, last = seen[0], seen[-1]
    assert first["TrainingJobStatus"] == "InProgress"
    assert "ModelArtifacts" not in first and "TrainingEndTime" not in first
    assert all(d["TrainingJobStatus"] == "InProgress" for d in seen[:-1])
    observed = [d["SecondaryStatus"] for d in seen]
    assert observed == sorted(observed, key=[*PHASES, "Completed"].index)  # never goes back
    assert {"Training", "Completed"} <= set(observed) and len(set(observed)) >= 4
    assert last["TrainingJobStatus"] == last["SecondaryStatus"] == "Completed"
    assert last["ModelArtifacts"] == {
        "S3ModelArtifacts": f"s3://bucket/output/{name}/output/model.tar.gz"
    }
    transitions = last["SecondaryStatusTransitions"]
    assert [t["Status"] for t in transitions] == [*PHASES, "Completed"]
    assert all(t["StatusMessage"] and t["EndTime"] >= t["StartTime"] for t in transitions)
    assert last["CreationTime"] < last["TrainingStartTime"] < last["TrainingEndTime"]
    assert last["LastModifiedTime"] == last["TrainingEndTime"]
    runtime = (last["TrainingEndTime"] - last["CreationTime"]).total_seconds()
    assert runtime == pytest.approx(TRAINING_SECONDS, abs=0.01)


def test_fail_tag_ends_failed_with_reason_and_stop_is_then_rejected(sm: Any) -> None:
    name = unique("fail")
    reason = "AlgorithmError: injected by the test"
    sm.create_training_job(**job_request(name, Tags=[{"Key": FAIL_TAG, "Value": reason}]))
    seen = poll(sm, name, finished)
    assert seen[0]["TrainingJobStatus"] == "InProgress"
    last = seen[-1]
    assert (last["TrainingJobStatus"], last["SecondaryStatus"]) == ("Failed", "Failed")
    assert last["FailureReason"] == reason
    assert "ModelArtifacts" not in last
    assert last["SecondaryStatusTransitions"][-1]["Status"] == "Failed"
    error = error_of(lambda: sm.stop_training_job(TrainingJobName=name))
    assert error.response["Error"]["Code"] == "ValidationException"
    assert (
        error.response["Error"]["Message"]
        == "The request was rejected because the training job is in status Failed."
    )


def test_seconds_tag_sets_how_long_one_job_runs(sm: Any) -> None:
    longer, other = unique("long"), unique("short")
    sm.create_training_job(**job_request(longer, Tags=[{"Key": SECONDS_TAG, "Value": "60"}]))
    sm.create_training_job(**job_request(other))
    poll(sm, other, finished)
    assert sm.describe_training_job(TrainingJobName=longer)["TrainingJobStatus"] == "InProgress"
    error = error_of(
        lambda: sm.create_training_job(
            **job_request(unique("bad"), Tags=[{"Key": SECONDS_TAG, "Value": "soon"}])
        )
    )
    assert error.response["Error"]["Code"] == "ValidationException"
    assert SECONDS_TAG in error.response["Error"]["Message"]


def test_stop_goes_stopping_then_stopped_and_calls_are_recorded(
    sm: Any, emulator: Emulator
) -> None:
    name = unique("stop")
    sm.create_training_job(**job_request(name))
    assert describe(sm, name)["TrainingJobStatus"] == "InProgress"
    sm.stop_training_job(TrainingJobName=name)
    stopping = describe(sm, name)
    assert (stopping["TrainingJobStatus"], stopping["SecondaryStatus"]) == ("Stopping", "Stopping")
    last = poll(sm, name, finished, timeout=5)[-1]
    assert (last["TrainingJobStatus"], last["SecondaryStatus"]) == ("Stopped", "Stopped")
    assert [t["Status"] for t in last["SecondaryStatusTransitions"]][-2:] == ["Stopping", "Stopped"]
    assert "ModelArtifacts" not in last and "TrainingEndTime" in last
    calls = [c for c in emulator.control("/_emulator/calls") if c["name"] == name]
    operations = [c["operation"] for c in calls]
    assert operations.count("CreateTrainingJob") == 1
    assert operations.count("StopTrainingJob") == 1
    assert operations.index("CreateTrainingJob") < operations.index("StopTrainingJob")
    assert all(
        set(c) == {"operation", "name", "time"} and isinstance(c["time"], float) for c in calls
    )
    assert [c["time"] for c in calls] == sorted(c["time"] for c in calls)


def test_missing_job_is_a_validation_exception_the_controller_recognises(sm: Any) -> None:
    name = unique("missing")
    for call in (
        lambda: sm.describe_training_job(TrainingJobName=name),
        lambda: sm.stop_training_job(TrainingJobName=name),
        lambda: sm.update_training_job(
            TrainingJobName=name, ResourceConfig={"KeepAlivePeriodInSeconds": 60}
        ),
    ):
        error = error_of(call)
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert error.response["Error"]["Code"] == "ValidationException"
        assert error.response["Error"]["Message"].startswith("Requested resource not found")


def test_duplicate_name_is_resource_in_use(sm: Any, emulator: Emulator) -> None:
    name = unique("dup")
    sm.create_training_job(**job_request(name))
    error = error_of(lambda: sm.create_training_job(**job_request(name)))
    assert error.response["Error"]["Code"] == "ResourceInUse"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # The record tells the Create that made the job from the one refused.
    creates = [
        c
        for c in emulator.control("/_emulator/calls")
        if c["name"] == name and c["operation"] == "CreateTrainingJob"
    ]
    assert [c.get("error") for c in creates] == [None, "ResourceInUse"]


def test_update_keep_alive_and_profiler_are_visible_in_describe(sm: Any) -> None:
    name = unique("update")
    resources = {"InstanceType": "ml.m5.large", "VolumeSizeInGB": 5, "KeepAlivePeriodInSeconds": 60}
    sm.create_training_job(
        **job_request(
            name, ResourceConfig=resources, ProfilerConfig={"S3OutputPath": "s3://bucket/profile"}
        )
    )
    result = sm.update_training_job(
        TrainingJobName=name,
        ResourceConfig={"KeepAlivePeriodInSeconds": 120},
        ProfilerConfig={"ProfilingIntervalInMilliseconds": 500},
    )
    job = describe(sm, name)
    assert result["TrainingJobArn"] == job["TrainingJobArn"]
    assert job["ResourceConfig"]["KeepAlivePeriodInSeconds"] == 120
    assert job["ProfilerConfig"] == {
        "S3OutputPath": "s3://bucket/profile",
        "ProfilingIntervalInMilliseconds": 500,
    }
    assert job["LastModifiedTime"] > job["CreationTime"]
    other = unique("nowarmpool")
    sm.create_training_job(**job_request(other))
    error = error_of(
        lambda: sm.update_training_job(
            TrainingJobName=other, ResourceConfig={"KeepAlivePeriodInSeconds": 60}
        )
    )
    assert error.response["Error"]["Code"] == "ValidationException"


def contains_empty_object(value: Any) -> bool:
    if isinstance(value, dict):
        return not value or any(contains_empty_object(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_empty_object(v) for v in value)
    return False


def test_describe_returns_what_was_sent_no_empty_structures_and_late_init_defaults(sm: Any) -> None:
    name = unique("echo")
    environment = {"MODE": "test", "EMPTY": ""}
    retry = {"MaximumRetryAttempts": 2}
    sm.create_training_job(
        **job_request(
            name, Environment=environment, RetryStrategy=retry, HyperParameters={"k": "10"}
        )
    )
    job = describe(sm, name)
    assert job["Environment"] == environment
    assert job["RetryStrategy"] == retry
    assert job["HyperParameters"] == {"k": "10"}
    for absent in (
        "VpcConfig",
        "CheckpointConfig",
        "DebugHookConfig",
        "TensorBoardOutputConfig",
        "ExperimentConfig",
        "ProfilerConfig",
        "RemoteDebugConfig",
        "InfraCheckConfig",
        "InputDataConfig",
        "FailureReason",
        "WarmPoolStatus",
    ):
        assert absent not in job, absent
    assert not contains_empty_object(job)
    # The seven fields the ACK controller late-initialises.
    assert job["EnableInterContainerTrafficEncryption"] is False
    assert job["EnableManagedSpotTraining"] is False
    assert job["EnableNetworkIsolation"] is False
    assert job["AlgorithmSpecification"]["EnableSageMakerMetricsTimeSeries"] is False
    assert job["OutputDataConfig"] == {
        "S3OutputPath": "s3://bucket/output",
        "KmsKeyId": "",
        "CompressionType": "GZIP",
    }
    assert job["ResourceConfig"]["InstanceCount"] == 1

    given = unique("given")
    sm.create_training_job(
        **job_request(
            given,
            EnableNetworkIsolation=True,
            OutputDataConfig={
                "S3OutputPath": "s3://b/o",
                "KmsKeyId": "alias/k",
                "CompressionType": "NONE",
            },
            ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 2, "VolumeSizeInGB": 5},
            AlgorithmSpecification={
                "TrainingImage": "img",
                "TrainingInputMode": "Pipe",
                "EnableSageMakerMetricsTimeSeries": True,
            },
        )
    )
    job = describe(sm, given)
    assert job["EnableNetworkIsolation"] is True
    assert job["OutputDataConfig"] == {
        "S3OutputPath": "s3://b/o",
        "KmsKeyId": "alias/k",
        "CompressionType": "NONE",
    }
    assert job["ResourceConfig"]["InstanceCount"] == 2
    assert job["AlgorithmSpecification"]["EnableSageMakerMetricsTimeSeries"] is True


def test_unimplemented_operation_is_a_json_error(sm: Any) -> None:
    error = error_of(lambda: sm.stop_compilation_job(CompilationJobName=unique("compile")))
    assert error.response["Error"]["Code"] == "UnsupportedOperation"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert error.response["ResponseMetadata"]["RetryAttempts"] == 0
    model = unique("model")  # operations moto implements still reach moto
    sm.create_model(ModelName=model, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "img"})
    assert sm.describe_model(ModelName=model)["ModelName"] == model


def test_binds_only_127_0_0_1(emulator: Emulator) -> None:
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.2", emulator.port), timeout=5).close()
    socket.create_connection(("127.0.0.1", emulator.port), timeout=5).close()
    listening = [
        line.split()[1]
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
        if line.split()[3] == "0A" and line.split()[1].endswith(f":{emulator.port:04X}")
    ]
    assert listening == [f"0100007F:{emulator.port:04X}"]


def test_health_and_reset(emulator: Emulator, sm: Any) -> None:
    assert emulator.control("/_emulator/health") == {"ok": True}
    name = unique("reset")
    sm.create_training_job(**job_request(name))
    assert emulator.control("/_emulator/reset", method="POST") == {"ok": True}
    assert emulator.control("/_emulator/calls") == []
    error = error_of(lambda: sm.describe_training_job(TrainingJobName=name))
    assert error.response["Error"]["Message"].startswith("Requested resource not found")
    assert [c["operation"] for c in emulator.control("/_emulator/calls")] == ["DescribeTrainingJob"]


def test_every_operation_answers_in_its_botocore_output_shape(emulator: Emulator) -> None:
    sm = emulator.client("sagemaker")
    seen = record_responses(sm)
    name = unique("shapes")
    sm.create_training_job(
        **job_request(
            name,
            ResourceConfig={
                "InstanceType": "ml.m5.large",
                "VolumeSizeInGB": 5,
                "KeepAlivePeriodInSeconds": 60,
            },
            ProfilerConfig={"S3OutputPath": "s3://bucket/profile"},
            ProfilerRuleConfigurations=[
                {"RuleConfigurationName": "LowGPU", "RuleEvaluatorImage": "img"}
            ],
            DebugRuleConfigurations=[
                {"RuleConfigurationName": "Loss", "RuleEvaluatorImage": "img"}
            ],
            InputDataConfig=[
                {
                    "ChannelName": "train",
                    "DataSource": {
                        "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bucket/train"}
                    },
                }
            ],
            Environment={"A": "b"},
            RetryStrategy={"MaximumRetryAttempts": 1},
        )
    )
    sm.update_training_job(
        TrainingJobName=name,
        ProfilerRuleConfigurations=[{"RuleConfigurationName": "CPU", "RuleEvaluatorImage": "img"}],
    )
    in_progress = describe(sm, name)
    assert in_progress["ProfilerRuleEvaluationStatuses"][0]["RuleEvaluationStatus"] == "InProgress"
    stopped = unique("shapes-stop")
    sm.create_training_job(**job_request(stopped))
    sm.stop_training_job(TrainingJobName=stopped)
    describe(sm, stopped)
    completed = poll(sm, name, finished)[-1]
    assert completed["WarmPoolStatus"] == {"Status": "Available"}
    assert {r["RuleEvaluationStatus"] for r in completed["DebugRuleEvaluationStatuses"]} == {
        "NoIssuesFound"
    }
    listed = sm.list_training_jobs(
        NameContains="shapes-", SortBy="Name", SortOrder="Descending", MaxResults=1
    )
    assert listed["TrainingJobSummaries"][0]["TrainingJobName"] == stopped and listed["NextToken"]
    error_of(lambda: sm.describe_training_job(TrainingJobName=unique("absent")))
    operations = {operation.name for operation, _ in seen}
    assert operations == TRAINING_OPS
    assert shape_problems(seen) == []


def test_shape_validator_reports_mismatches() -> None:
    model = botocore.session.get_session().get_service_model("sagemaker")
    output = model.operation_model("DescribeTrainingJob").output_shape
    good = {
        "TrainingJobName": "j",
        "TrainingJobArn": "arn",
        "ModelArtifacts": {"S3ModelArtifacts": "s3://b/m"},
        "TrainingJobStatus": "Completed",
        "SecondaryStatus": "Completed",
        "StoppingCondition": {"MaxRuntimeInSeconds": 1},
        "CreationTime": 1.5,
    }
    assert shapes.problems(good, output) == []
    bad = good | {
        "Bogus": 1,
        "TrainingJobStatus": "Done",
        "EnableNetworkIsolation": "false",
        "StoppingCondition": {"MaxRuntimeInSeconds": 1.5},
        "CreationTime": "2024-01-01",
        "VpcConfig": None,
    }
    del bad["ModelArtifacts"]
    found = "\n".join(shapes.problems(bad, output))
    for fragment in (
        "Bogus: not a member",
        "'Done' not in enum",
        "EnableNetworkIsolation: 'false' is not a boolean",
        "MaxRuntimeInSeconds: 1.5 is not a integer",
        "CreationTime: '2024-01-01' is not a timestamp",
        "VpcConfig: null",
        "ModelArtifacts: required member",
    ):
        assert fragment in found
    assert (
        shapes.problems(
            {k: v for k, v in good.items() if k != "ModelArtifacts"},
            output,
            allow_missing={"ModelArtifacts"},
        )
        == []
    )


def test_lifecycle_is_a_function_of_the_clock() -> None:
    """The pure lifecycle (no moto, no server) at chosen instants of a 10 s run."""
    now = [1000.0]
    store = Store(10.0, {"ResourceConfig", "OutputDataConfig"}, clock=lambda: now[0])
    keep_alive = {"InstanceType": "ml.m5.large", "KeepAlivePeriodInSeconds": 30}
    store.create(
        "us-east-1",
        {
            "TrainingJobName": "a",
            "OutputDataConfig": {"S3OutputPath": "s3://b/"},
            "ResourceConfig": keep_alive,
        },
    )
    store.create(
        "us-east-1", {"TrainingJobName": "b", "OutputDataConfig": {"S3OutputPath": "s3://b"}}
    )

    def at(seconds: float, name: str = "a") -> dict[str, Any]:
        now[0] = 1000.0 + seconds
        return store.describe("us-east-1", {"TrainingJobName": name})

    expected = [
        (0, "Starting"),
        (2, "Downloading"),
        (3.9, "Downloading"),
        (4, "Training"),
        (8, "Uploading"),
    ]
    for seconds, secondary in expected:
        job = at(seconds)
        assert (job["TrainingJobStatus"], job["SecondaryStatus"]) == ("InProgress", secondary)
        assert "EndTime" not in job["SecondaryStatusTransitions"][-1]
    done = at(10)
    assert (done["TrainingJobStatus"], done["TrainingEndTime"], done["TrainingStartTime"]) == (
        "Completed",
        1010.0,
        1002.0,
    )
    assert done["ModelArtifacts"]["S3ModelArtifacts"] == "s3://b/a/output/model.tar.gz"
    assert done["WarmPoolStatus"] == {"Status": "Available"} and done["TrainingTimeInSeconds"] == 8
    assert at(40)["WarmPoolStatus"] == {
        "Status": "Terminated",
        "ResourceRetainedBillableTimeInSeconds": 30,
    }
    at(5, "b")
    store.stop("us-east-1", {"TrainingJobName": "b"})
    assert at(5.99, "b")["TrainingJobStatus"] == "Stopping"
    stopped = at(6, "b")
    assert [t["Status"] for t in stopped["SecondaryStatusTransitions"]] == [
        "Starting",
        "Downloading",
        "Training",
        "Stopping",
        "Stopped",
    ]
    assert stopped["TrainingEndTime"] == 1006.0 and "ModelArtifacts" not in stopped
    with pytest.raises(ApiError, match="in status Stopped"):
        store.stop("us-east-1", {"TrainingJobName": "b"})
