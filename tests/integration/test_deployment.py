"""Model → EndpointConfig → Endpoint, endpoint updates, and monitoring, on the real API server.

The test writes ``.status`` the way the ACK controller does (there is no
controller here); everything else is the real component against the real
kube-apiserver.
"""

from __future__ import annotations

import time
from typing import Any

from harness import Harness, synced

from ack_components_sandbox.testing import samples

ACCOUNT = "123456789012"
MODEL_DATA = "s3://bucket/mnist_kmeans_example/output/model.tar.gz"


def arn(kind: str, name: str) -> dict[str, str]:
    resource = {"EndpointConfig": "endpoint-config"}.get(kind, kind.lower())
    return {
        "arn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:{resource}/{name}",
        "ownerAccountID": ACCOUNT,
        "region": "us-east-1",
    }


def in_service(name: str) -> dict[str, Any]:
    return {
        "ackResourceMetadata": arn("Endpoint", name),
        "endpointStatus": "InService",
        "conditions": [synced()],
    }


def still_running(component: Any, seconds: float) -> bool:
    time.sleep(seconds)
    return bool(component.process.poll() is None)


def test_model_config_and_endpoint_deploy_in_a_chain(harness: Harness) -> None:
    model = harness.start(
        kind="Model",
        model_name="kmeans-model",
        **samples.as_inputs(samples.kmeans_model_spec(MODEL_DATA)),
    )
    cr = harness.wait_for_resource(kind="Model")
    assert cr["spec"]["primaryContainer"]["modelDataURL"] == MODEL_DATA
    # Synced without an ARN is not done yet: the model does not exist in SageMaker.
    harness.set_status("kmeans-model", kind="Model", conditions=[synced()])
    assert still_running(model, 1.0)
    harness.set_status(
        "kmeans-model",
        kind="Model",
        ackResourceMetadata=arn("Model", "kmeans-model"),
        conditions=[synced()],
    )
    code, log = model.wait()
    assert code == 0, log
    assert model.output("sagemaker_resource_name") == "kmeans-model"
    assert model.output("ack_resource_metadata")["arn"].endswith(":model/kmeans-model")

    config = harness.start(
        kind="EndpointConfig",
        endpoint_config_name="kmeans-config",
        # The previous step's output, as KFP passes it: its bare text.
        **samples.as_inputs(samples.endpoint_config_spec("kmeans-model")),
    )
    harness.wait_for_resource(kind="EndpointConfig")
    harness.set_status(
        "kmeans-config",
        kind="EndpointConfig",
        ackResourceMetadata=arn("EndpointConfig", "kmeans-config"),
        conditions=[synced()],
    )
    code, log = config.wait()
    assert code == 0, log

    endpoint = harness.start(
        kind="Endpoint",
        endpoint_name="kmeans-endpoint",
        endpoint_config_name=config.output("sagemaker_resource_name"),
    )
    cr = harness.wait_for_resource(kind="Endpoint")
    assert cr["spec"] == {"endpointConfigName": "kmeans-config", "endpointName": "kmeans-endpoint"}
    harness.set_status(
        "kmeans-endpoint", kind="Endpoint", endpointStatus="Creating", conditions=[synced("False")]
    )
    harness.set_status("kmeans-endpoint", kind="Endpoint", **in_service("kmeans-endpoint"))
    code, log = endpoint.wait()
    assert code == 0, log
    assert "Creating" in log
    assert endpoint.output("endpoint_status") == "InService"
    # Declared for upstream pipelines; this CRD has no such field.
    assert endpoint.output("pending_deployment_summary") == {}


def test_a_model_cannot_change_under_its_name(harness: Harness) -> None:
    inputs = samples.as_inputs(samples.kmeans_model_spec(MODEL_DATA))
    first = harness.start(kind="Model", model_name="kmeans-fixed", **inputs)
    harness.wait_for_resource(kind="Model")
    done = {"ackResourceMetadata": arn("Model", "kmeans-fixed"), "conditions": [synced()]}
    harness.set_status("kmeans-fixed", kind="Model", **done)
    assert first.wait()[0] == 0
    changed = samples.as_inputs(samples.kmeans_model_spec("s3://bucket/other/model.tar.gz"))
    code, log = harness.run(kind="Model", model_name="kmeans-fixed", **changed)
    assert code == 2
    assert "primaryContainer.modelDataURL" in log
    [cr] = harness.items("Model")
    assert cr["spec"]["primaryContainer"]["modelDataURL"] == MODEL_DATA


def _serving_endpoint(harness: Harness, name: str) -> None:
    """An endpoint created by run "run-a" and in service."""
    first = harness.start(
        kind="Endpoint", endpoint_name=name, endpoint_config_name="config-v1", run_id="run-a"
    )
    harness.wait_for_resource(kind="Endpoint")
    harness.set_status(name, kind="Endpoint", **in_service(name))
    assert first.wait()[0] == 0


def test_an_endpoint_update_waits_for_the_controller_to_act(harness: Harness) -> None:
    _serving_endpoint(harness, "kmeans-live")
    update = harness.start(
        kind="Endpoint", endpoint_name="kmeans-live", endpoint_config_name="config-v2"
    )
    harness.wait_until(lambda cr: cr["spec"]["endpointConfigName"] == "config-v2", "Endpoint")
    # The spec changed; the status is still the old InService, which says nothing of config-v2.
    assert still_running(update, 1.0)
    harness.set_status(
        "kmeans-live", kind="Endpoint", endpointStatus="Updating", conditions=[synced("False")]
    )
    harness.set_status("kmeans-live", kind="Endpoint", **in_service("kmeans-live"))
    code, log = update.wait()
    assert code == 0, log
    assert "updated endpointConfigName" in log
    assert "Updating" in log


def test_stopping_an_update_leaves_an_endpoint_another_run_created(harness: Harness) -> None:
    _serving_endpoint(harness, "kmeans-shared")
    update = harness.start(
        kind="Endpoint",
        endpoint_name="kmeans-shared",
        endpoint_config_name="config-v2",
        run_id="run-b",
    )
    harness.wait_until(lambda cr: cr["spec"]["endpointConfigName"] == "config-v2", "Endpoint")
    code, log = update.stop()
    assert code == 1
    assert "leaving Endpoint kmeans-shared in place: run 'run-a' created it" in log
    assert [cr["metadata"]["name"] for cr in harness.items("Endpoint")] == ["kmeans-shared"]


def test_stopping_a_deployment_this_run_started_deletes_it(harness: Harness) -> None:
    creating = harness.start(
        kind="Endpoint", endpoint_name="kmeans-new", endpoint_config_name="config-v1"
    )
    harness.wait_for_resource(kind="Endpoint")
    harness.set_status(
        "kmeans-new", kind="Endpoint", endpointStatus="Creating", conditions=[synced("False")]
    )
    code, log = creating.stop()
    assert code == 1
    assert "deleting Endpoint kmeans-new" in log
    assert harness.items("Endpoint") == []


def test_a_data_quality_monitor_is_defined_and_scheduled(harness: Harness) -> None:
    definition = harness.start(
        kind="DataQualityJobDefinition",
        job_definition_name="kmeans-data-quality",
        **samples.as_inputs(samples.data_quality_job_definition_spec("kmeans-endpoint")),
    )
    harness.wait_for_resource(kind="DataQualityJobDefinition")
    harness.set_status(
        "kmeans-data-quality",
        kind="DataQualityJobDefinition",
        ackResourceMetadata=arn("DataQualityJobDefinition", "kmeans-data-quality"),
        conditions=[synced()],
    )
    assert definition.wait()[0] == 0

    schedule = harness.start(
        kind="MonitoringSchedule",
        monitoring_schedule_name="kmeans-hourly",
        **samples.as_inputs(samples.monitoring_schedule_spec("kmeans-data-quality")),
    )
    harness.wait_for_resource(kind="MonitoringSchedule")
    harness.set_status(
        "kmeans-hourly",
        kind="MonitoringSchedule",
        monitoringScheduleStatus="Pending",
        conditions=[synced("False")],
    )
    assert still_running(schedule, 0.5)
    harness.set_status(
        "kmeans-hourly",
        kind="MonitoringSchedule",
        monitoringScheduleStatus="Scheduled",
        ackResourceMetadata=arn("MonitoringSchedule", "kmeans-hourly"),
        conditions=[synced()],
    )
    code, log = schedule.wait()
    assert code == 0, log
    assert schedule.output("monitoring_schedule_status") == "Scheduled"


def test_a_terminal_condition_fails_a_job_definition(harness: Harness) -> None:
    definition = harness.start(
        kind="ModelQualityJobDefinition",
        job_definition_name="kmeans-quality",
        job_resources='{"clusterConfig": {"instanceCount": 1, "instanceType": "ml.m5.large", '
        '"volumeSizeInGB": 20}}',
        model_quality_app_specification='{"imageURI": "monitor:1", "problemType": "Regression"}',
        model_quality_job_input='{"groundTruthS3Input": {"s3URI": "s3://bucket/truth"}}',
        model_quality_job_output_config='{"monitoringOutputs": []}',
        role_arn=samples.ROLE,
    )
    harness.wait_for_resource(kind="ModelQualityJobDefinition")
    terminal = {
        "type": "ACK.Terminal",
        "status": "True",
        "message": "ValidationException: monitoringOutputs must not be empty",
    }
    harness.set_status("kmeans-quality", kind="ModelQualityJobDefinition", conditions=[terminal])
    code, log = definition.wait()
    assert code == 1
    assert "ACK.Terminal: ValidationException: monitoringOutputs must not be empty" in log
