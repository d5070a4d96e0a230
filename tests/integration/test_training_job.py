"""The TrainingJob component end to end on the real API server; the test writes .status."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import Harness, synced
from kubernetes import client, config

from ack_components import ui_summary
from ack_components_sandbox.cluster import crds
from ack_components_sandbox.cluster.controlplane import ControlPlane

ARN = "arn:aws:sagemaker:us-east-1:123456789012:training-job/"
ARTIFACTS = "s3://bucket/mnist_kmeans_example/output/model.tar.gz"


def completed(name: str) -> dict[str, Any]:
    return {
        "trainingJobStatus": "Completed",
        "secondaryStatus": "Completed",
        "modelArtifacts": {"s3ModelArtifacts": ARTIFACTS},
        "ackResourceMetadata": {
            "arn": ARN + name,
            "ownerAccountID": "123456789012",
            "region": "us-east-1",
        },
        "conditions": [synced()],
    }


def test_completed_job_exits_0_and_writes_each_output_by_its_type(harness: Harness) -> None:
    run = harness.start(training_job_name="kmeans-ok")
    cr = harness.wait_for_resource()
    assert cr["metadata"]["name"] == "kmeans-ok"
    assert cr["metadata"]["annotations"]["services.k8s.aws/region"] == "us-east-1"
    assert cr["spec"]["hyperParameters"] == {"k": "10", "feature_dim": "784"}
    harness.set_status(
        "kmeans-ok",
        trainingJobStatus="InProgress",
        secondaryStatus="Training",
        conditions=[synced("False")],
    )
    harness.set_status("kmeans-ok", **completed("kmeans-ok"))
    code, log = run.wait()
    assert code == 0, log
    assert "InProgress / Training" in log
    # No AWS identity in the pod: one line says why there are no job logs (nor metrics).
    about_aws = [line for line in log.splitlines() if "AWS credentials" in line]
    assert about_aws == [
        "job logs: unavailable: no AWS credentials in the pod (IRSA, environment or instance "
        "profile); the step carries on without them"
    ], log
    assert run.output("model_artifacts") == {"s3ModelArtifacts": ARTIFACTS}
    assert run.output("training_job_status") == "Completed"
    assert run.output("sagemaker_resource_name") == "kmeans-ok"
    assert run.output("ack_resource_metadata")["arn"] == ARN + "kmeans-ok"
    assert run.output("conditions") == [synced()]
    # A String output is its bare text (Argo pastes it as it is), absent → an empty file;
    # the JSON types are JSON.
    assert run.written("training_job_status") == "Completed"
    assert run.written("sagemaker_resource_name") == "kmeans-ok"
    assert run.written("failure_reason") == ""
    assert json.loads(run.written("model_artifacts")) == {"s3ModelArtifacts": ARTIFACTS}
    assert run.written("warm_pool_status") == "{}"
    ui = run.output("mlpipeline-ui-metadata.json")
    assert ui_summary.escape(ARTIFACTS) in ui["outputs"][0]["source"]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (
            {
                "trainingJobStatus": "Failed",
                "failureReason": "AlgorithmError: bad k",
                "conditions": [synced()],
            },
            "AlgorithmError: bad k",
        ),
        ({"trainingJobStatus": "Stopped", "conditions": [synced()]}, "was stopped"),
        (
            {
                "conditions": [
                    {
                        "type": "ACK.Terminal",
                        "status": "True",
                        "message": "InvalidParameterValue: no such image",
                    }
                ]
            },
            "ACK.Terminal: InvalidParameterValue: no such image",
        ),
    ],
    ids=["failed", "stopped", "terminal"],
)
def test_failures_exit_non_zero_with_the_reason(
    harness: Harness, status: dict[str, Any], expected: str
) -> None:
    run = harness.start(training_job_name="kmeans-bad")
    harness.wait_for_resource()
    harness.set_status("kmeans-bad", **status)
    code, log = run.wait()
    assert code == 1
    assert expected in log


def test_a_recoverable_condition_that_clears_ends_in_success(harness: Harness) -> None:
    run = harness.start(training_job_name="kmeans-flaky", recoverable_grace_seconds="30")
    harness.wait_for_resource()
    recoverable = {"type": "ACK.Recoverable", "status": "True", "message": "ThrottlingException"}
    harness.set_status("kmeans-flaky", conditions=[recoverable, synced("False")])
    time.sleep(1)
    harness.set_status("kmeans-flaky", **completed("kmeans-flaky"))
    code, log = run.wait()
    assert code == 0, log


def test_a_recoverable_condition_that_persists_fails_after_the_grace(harness: Harness) -> None:
    run = harness.start(training_job_name="kmeans-denied", recoverable_grace_seconds="2")
    harness.wait_for_resource()
    started = time.monotonic()
    denied = {
        "type": "ACK.Recoverable",
        "status": "True",
        "message": "AccessDeniedException: not authorized",
    }
    harness.set_status("kmeans-denied", conditions=[denied])
    code, log = run.wait()
    assert code == 1
    assert "AccessDeniedException: not authorized" in log
    assert "hint:" in log
    assert 2 <= time.monotonic() - started < 15


def test_no_status_means_the_controller_is_not_reconciling(harness: Harness) -> None:
    code, log = harness.run(training_job_name="kmeans-orphan", status_timeout_seconds="2")
    assert code == 1
    assert f"not reconciling namespace '{harness.namespace}'" in log
    assert f"ack-components doctor --namespace {harness.namespace}" in log


def test_sigterm_deletes_the_resource_and_exits_non_zero(harness: Harness) -> None:
    run = harness.start(training_job_name="kmeans-stop")
    harness.wait_for_resource()
    harness.set_status("kmeans-stop", trainingJobStatus="InProgress", conditions=[synced("False")])
    code, log = run.stop()
    assert code == 1
    assert "stopped by SIGTERM" in log
    assert harness.items() == []


def test_leave_running_on_stop_keeps_the_resource(harness: Harness) -> None:
    run = harness.start(training_job_name="kmeans-keep", leave_running_on_stop="True")
    harness.wait_for_resource()
    code, log = run.stop()
    assert code == 1
    assert "leaving TrainingJob kmeans-keep running" in log
    assert [cr["metadata"]["name"] for cr in harness.items()] == ["kmeans-keep"]


def test_a_name_is_derived_from_the_run_when_none_is_given(harness: Harness) -> None:
    first = harness.start(run_id="run-123")
    cr = harness.wait_for_resource()
    name = cr["spec"]["trainingJobName"]
    assert name.startswith("trainingjob-")
    harness.set_status(cr["metadata"]["name"], **completed(name))
    assert first.wait()[0] == 0
    again = harness.start(run_id="run-123")  # the same step retried: same resource
    assert again.wait()[0] == 0
    assert again.output("sagemaker_resource_name") == name
    assert len(harness.items()) == 1


BAD_INPUTS = {
    "malformed JSON": (
        {"resource_config": '{"instanceCount": 1,'},
        "input resource_config: not valid JSON at line 1, column 21",
    ),
    "wrong type": (
        {
            "resource_config": '{"instanceCount": "two", "instanceType": "ml.m5.large", "volumeSizeInGB": 5}'
        },
        "input resource_config at $.instanceCount: 'two' is not of type 'integer'",
    ),
    "unknown field": (
        {"stopping_condition": '{"maxRuntimeInSecond": 60}'},
        "input stopping_condition at $: Additional properties are not allowed ('maxRuntimeInSecond'",
    ),
    "missing required": ({"role_arn": ""}, "input role_arn is required"),
    "invalid name": (
        {"training_job_name": "kmeans_job!"},
        "input training_job_name: 'kmeans_job!' is not a valid SageMaker name",
    ),
    "newline in a string": (
        {"role_arn": "arn:aws:iam::1:role/x\nspec: {}"},
        "input role_arn: contains a control character",
    ),
    "YAML syntax": (
        {"hyper_parameters": "k: [10"},
        "input hyper_parameters: not valid JSON at line 1, column 1",
    ),
    "Jinja syntax": ({"environment": "{{ config }}"}, "input environment: not valid JSON at line"),
    "wrong JSON kind": (
        {"input_data_config": '{"channelName": "train"}'},
        "input input_data_config: expected a JSON array",
    ),
}


@pytest.mark.parametrize("case", BAD_INPUTS, ids=list(BAD_INPUTS))
def test_bad_input_is_named_and_nothing_is_created(harness: Harness, case: str) -> None:
    inputs, message = BAD_INPUTS[case]
    code, log = harness.run(**inputs)
    assert code == 2, log
    assert message in log
    assert harness.items() == []


def test_a_different_spec_under_an_existing_name_is_refused_with_the_fields(
    harness: Harness,
) -> None:
    first = harness.start(training_job_name="kmeans-same")
    harness.wait_for_resource()
    harness.set_status("kmeans-same", **completed("kmeans-same"))
    assert first.wait()[0] == 0
    code, log = harness.run(
        training_job_name="kmeans-same",
        resource_config='{"instanceCount": 2, "instanceType": "ml.m5.2xlarge", "volumeSizeInGB": 50}',
    )
    assert code == 2
    assert "fields that cannot change: resourceConfig.instanceCount" in log


# --- runs that need a control plane of their own: audited, restartable ---


@pytest.fixture(scope="module")
def audited_plane() -> Iterator[ControlPlane]:
    with ControlPlane(audit=True) as plane:
        crds.install(
            config.new_client_from_config(str(plane.kubeconfig)),
            crds.load(crds.sagemaker_crd_files()),
        )
        yield plane


@pytest.fixture()
def audited(audited_plane: ControlPlane, tmp_path: Path) -> Harness:
    api = config.new_client_from_config(str(audited_plane.kubeconfig))
    name = f"audit-{time.monotonic_ns()}"
    client.CoreV1Api(api).create_namespace({"metadata": {"name": name}})
    return Harness(audited_plane, api, name, tmp_path)


def creates(plane: ControlPlane, namespace: str) -> list[dict[str, Any]]:
    return [
        event
        for event in plane.audit_events()
        if event["verb"] == "create"
        and event["stage"] == "ResponseComplete"
        and event.get("objectRef", {}).get("resource") == "trainingjobs"
        and event["objectRef"].get("namespace") == namespace
    ]


def test_sigkill_and_rerun_reattaches_without_a_second_create(audited: Harness) -> None:
    first = audited.start(training_job_name="kmeans-killed")
    created = audited.wait_for_resource()
    first.process.kill()
    first.wait()
    again = audited.start(training_job_name="kmeans-killed")
    time.sleep(1.0)
    audited.set_status("kmeans-killed", **completed("kmeans-killed"))
    code, log = again.wait()
    assert code == 0, log
    assert "re-attached to existing TrainingJob" in log
    items = audited.items()
    assert [cr["metadata"]["uid"] for cr in items] == [created["metadata"]["uid"]]
    assert len(creates(audited.plane, audited.namespace)) == 1


def test_the_component_survives_an_api_server_restart(audited: Harness) -> None:
    run = audited.start(training_job_name="kmeans-restart")
    audited.wait_for_resource()
    audited.set_status(
        "kmeans-restart", trainingJobStatus="InProgress", conditions=[synced("False")]
    )
    time.sleep(0.5)
    audited.plane.restart_apiserver()
    api = config.new_client_from_config(str(audited.plane.kubeconfig))
    audited.api = api
    audited.set_status("kmeans-restart", **completed("kmeans-restart"))
    code, log = run.wait(timeout=90)
    assert code == 0, log
    assert run.output("training_job_status") == "Completed"
