"""The emulator's table-driven kinds through the real ACK controller: stop, delete, update.

``test_e2e_every_kind.py`` takes each kind to done and to an injected failure; this adds what
happens after: a stopped step makes the controller stop its job (or execution) in SageMaker,
deleting a stored kind's resource deletes it there, an update of a monitoring schedule, a
pipeline or an execution reaches SageMaker once, and a pipeline execution fails when asked
through its parameters (StartPipelineExecution takes no tags). The emulator's call record
shows what reached SageMaker.
"""

from __future__ import annotations

import signal
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import botocore.session
from harness import Component, Harness
from kubernetes import client

from ack_components import kinds
from ack_components.interface import snake_case
from ack_components.kinds import GROUP, VERSION
from ack_components_sandbox.testing import samples
from ack_components_sandbox.testing.stack import Stack

FAIL_TAG = "emulator.ack-components/fail"
SECONDS_TAG = "emulator.ack-components/seconds"
WAIT = 240
#: Long enough that a job is surely still running when its step is stopped (the emulator's
#: jobs otherwise last 6 s, which a loaded machine can pass before the SIGTERM lands).
RUNNING_SECONDS = "600"


def inputs(kind: str, name: str, **overrides: Any) -> dict[str, str]:
    found = samples.as_inputs(samples.spec_for(kind), **overrides)
    field = kinds.get(kind).name_field
    found[snake_case(field) if field else "resource_name"] = name
    return found


def run(real: Harness, kind: str, name: str, **overrides: Any) -> Component:
    return real.start(kind=kind, **inputs(kind, name, **overrides))


def pipeline(real: Harness, name: str) -> str:
    """A pipeline of its own for each test's executions: the call record names a
    StartPipelineExecution by its pipeline, and the session's record must not show one name
    started twice (test_e2e_every_kind)."""
    code, log = run(real, "Pipeline", name).wait(timeout=WAIT)
    assert code == 0, log
    return name


def custom_resource(real: Harness, kind: str, name: str) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = real.objects.get_namespaced_custom_object(
            GROUP, VERSION, real.namespace, kinds.get(kind).plural, name
        )
    except client.ApiException as error:
        if error.status == 404:
            return None
        raise
    return found


def wait_gone(real: Harness, kind: str, name: str) -> None:
    deadline = time.monotonic() + 120
    while custom_resource(real, kind, name) is not None:
        assert time.monotonic() < deadline, f"{kind} {name} is still there"
        time.sleep(0.5)


def test_a_stopped_step_stops_its_job_in_sagemaker(real: Harness, ack_stack: Stack) -> None:
    names = {
        "HyperParameterTuningJob": "stop-tuning",
        "ProcessingJob": "stop-processing",
        "TransformJob": "stop-transform",
        "LabelingJob": "stop-labeling",
        "PipelineExecution": "stop-execution",
    }
    execution = {"pipeline_name": pipeline(real, "stop-pipeline")}
    # StartPipelineExecution takes no tags: an execution lasts the emulator's timing.
    long_running = {"tags": [{"key": SECONDS_TAG, "value": RUNNING_SECONDS}]}
    running = {
        kind: run(real, kind, name, **(execution if kind == "PipelineExecution" else long_running))
        for kind, name in names.items()
    }

    def stop_once_running(kind: str) -> tuple[int, str, str]:
        """SIGTERM the step as soon as its job runs (a job lasts seconds here): exit, log, ARN."""
        found = real.wait_until(
            lambda cr: (
                cr["metadata"]["name"] == names[kind]
                and bool(cr.get("status", {}).get("conditions"))
            ),
            kind=kind,
            timeout=WAIT,
        )
        running[kind].process.send_signal(signal.SIGTERM)
        code, log = running[kind].wait(timeout=WAIT)
        return code, log, found["status"]["ackResourceMetadata"]["arn"]

    with ThreadPoolExecutor(len(names)) as pool:
        stopped = dict(zip(names, pool.map(stop_once_running, names), strict=True))
    assert ack_stack.emulator is not None
    sm = botocore.session.get_session().create_client(
        "sagemaker",
        endpoint_url=ack_stack.emulator.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    for kind, (code, log, arn) in stopped.items():
        assert code == 1, log
        assert "stopped by SIGTERM" in log, log
        wait_gone(real, kind, names[kind])
        # An execution is named by its ARN alone.
        member, key = (f"{kind}Name", names[kind])
        if kind == "PipelineExecution":
            member, key = ("PipelineExecutionArn", arn)
        assert len(ack_stack.calls(f"Stop{kind}", key)) == 1, kind
        described = getattr(sm, f"describe_{snake_case(kind)}")(**{member: key})
        assert described[f"{kind}Status"] == "Stopped", kind


def test_deleting_a_stored_kind_deletes_it_in_sagemaker(real: Harness, ack_stack: Stack) -> None:
    stored = {
        "Pipeline": "delete-pipeline",
        "MonitoringSchedule": "delete-schedule",
        "DataQualityJobDefinition": "delete-data-quality",
        "ModelBiasJobDefinition": "delete-bias",
        "ModelExplainabilityJobDefinition": "delete-explain",
        "ModelQualityJobDefinition": "delete-quality",
    }
    started = {kind: run(real, kind, name) for kind, name in stored.items()}
    for kind, component in started.items():
        code, log = component.wait(timeout=WAIT)
        assert code == 0, f"{kind}: {log}"
    for kind, name in stored.items():
        real.objects.delete_namespaced_custom_object(
            GROUP, VERSION, real.namespace, kinds.get(kind).plural, name
        )
    for kind, name in stored.items():
        wait_gone(real, kind, name)
        assert len(ack_stack.calls(f"Delete{kind}", name)) == 1, kind


def test_updates_reach_sagemaker_once(real: Harness, ack_stack: Stack) -> None:
    name = pipeline(real, "update-pipeline")
    first = {
        "MonitoringSchedule": run(real, "MonitoringSchedule", "update-schedule"),
        "PipelineExecution": run(real, "PipelineExecution", "update-execution", pipeline_name=name),
    }
    for kind, component in first.items():
        code, log = component.wait(timeout=WAIT)
        assert code == 0, f"{kind}: {log}"
    config = samples.spec_for("MonitoringSchedule")["monitoringScheduleConfig"]
    config["scheduleConfig"]["scheduleExpression"] = "cron(0 0 ? * * *)"
    definition = {"Version": "2020-12-01", "Steps": [], "Parameters": [{"Name": "X"}]}
    second = {
        "MonitoringSchedule": run(
            real, "MonitoringSchedule", "update-schedule", monitoring_schedule_config=config
        ),
        "PipelineExecution": run(
            real,
            "PipelineExecution",
            "update-execution",
            pipeline_name=name,
            pipeline_execution_display_name="renamed",
        ),
        "Pipeline": run(real, "Pipeline", name, pipeline_definition=definition),
    }
    done = {"MonitoringSchedule": "Scheduled", "PipelineExecution": "Succeeded"}
    for kind, component in second.items():
        code, log = component.wait(timeout=WAIT)
        assert code == 0, f"{kind}: {log}"
        assert "updated" in log, log
        if kind in done:
            status = kinds.get(kind).status_field
            assert component.output(snake_case(str(status))) == done[kind]
    assert len(ack_stack.calls("UpdateMonitoringSchedule", "update-schedule")) == 1
    assert len(ack_stack.calls("UpdatePipeline", name)) == 1
    assert len(ack_stack.calls("UpdatePipelineExecution")) == 1


def test_a_pipeline_execution_fails_when_its_parameters_ask(real: Harness) -> None:
    parameters = [{"name": FAIL_TAG, "value": "step Train failed"}]
    component = run(
        real,
        "PipelineExecution",
        "failing-execution",
        pipeline_name=pipeline(real, "failing-pipeline"),
        pipeline_parameters=parameters,
    )
    code, log = component.wait(timeout=WAIT)
    assert code == 1, log
    assert "step Train failed" in log, log
    assert component.output("pipeline_execution_status") == "Failed"
