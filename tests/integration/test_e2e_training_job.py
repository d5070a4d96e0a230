"""The TrainingJob component through the real ACK controller and the SageMaker emulator.

Nothing here writes ``.status``: the controller reconciles the custom resource, calls the
emulator, and reports what it saw. Each test checks what the step did and what reached
SageMaker (the emulator's call record).
"""

from __future__ import annotations

import json
import time

from harness import Harness

from ack_components_sandbox.testing.stack import Stack

FAIL_TAG = "emulator.ack-components/fail"
#: The controller re-checks an in-progress job every 30 s; a job's whole run fits in two checks.
JOB_WAIT = 150


def fail_tags(reason: str) -> str:
    return json.dumps([{"key": FAIL_TAG, "value": reason}])


def test_a_job_completes_with_its_model_artifacts(real: Harness, ack_stack: Stack) -> None:
    run = real.start(training_job_name="real-ok")
    code, log = run.wait(JOB_WAIT)
    assert code == 0, log + ack_stack.controller_log()[-3000:]
    assert "InProgress" in log
    assert "done: Completed" in log
    # The step has no AWS identity: it succeeds, and one line says why there are no job logs.
    about_aws = [line for line in log.splitlines() if "AWS credentials" in line]
    assert about_aws == [
        "job logs: unavailable: no AWS credentials in the pod (IRSA, environment or instance "
        "profile); the step carries on without them"
    ], log
    artifacts = run.output("model_artifacts")
    assert artifacts["s3ModelArtifacts"].endswith("/real-ok/output/model.tar.gz")
    assert run.output("training_job_status") == "Completed"
    assert len(ack_stack.calls("CreateTrainingJob", "real-ok")) == 1


def test_a_failed_job_fails_the_step_with_its_reason(real: Harness, ack_stack: Stack) -> None:
    run = real.start(training_job_name="real-fails", tags=fail_tags("AlgorithmError: bad k"))
    code, log = run.wait(JOB_WAIT)
    assert code == 1, log
    assert "TrainingJob Failed: AlgorithmError: bad k" in log


def test_sigterm_stops_the_job_and_removes_the_resource(real: Harness, ack_stack: Stack) -> None:
    run = real.start(training_job_name="real-stop")
    real.wait_until(lambda cr: bool((cr.get("status") or {}).get("trainingJobStatus")))
    code, log = run.stop()
    assert code == 1, log
    assert "stopped by SIGTERM" in log
    assert len(ack_stack.calls("StopTrainingJob", "real-stop")) == 1
    assert real.items() == []


def test_sigkill_then_rerun_creates_exactly_one_job(real: Harness, ack_stack: Stack) -> None:
    first = real.start(training_job_name="real-killed")
    real.wait_for_resource()
    first.process.kill()
    first.wait()
    code, log = real.start(training_job_name="real-killed").wait(JOB_WAIT)
    assert code == 0, log
    assert "re-attached to existing TrainingJob" in log
    assert len(ack_stack.calls("CreateTrainingJob", "real-killed")) == 1


def test_a_controller_restart_mid_job_does_not_stop_the_step(
    real: Harness, ack_stack: Stack
) -> None:
    run = real.start(training_job_name="real-restart")
    real.wait_until(lambda cr: bool((cr.get("status") or {}).get("trainingJobStatus")))
    ack_stack.restart_controller()
    code, log = run.wait(timeout=JOB_WAIT)
    assert code == 0, log
    assert len(ack_stack.calls("CreateTrainingJob", "real-restart")) == 1


def test_a_warm_pool_change_is_an_update_the_controller_makes(
    real: Harness, ack_stack: Stack
) -> None:
    config = {"instanceCount": 1, "instanceType": "ml.m5.large", "volumeSizeInGB": 5}
    warm = {**config, "keepAlivePeriodInSeconds": 60}
    code, log = real.start(training_job_name="real-warm", resource_config=json.dumps(warm)).wait(
        JOB_WAIT
    )
    assert code == 0, log
    started = time.monotonic()
    cooler = {**config, "keepAlivePeriodInSeconds": 120}
    code, log = real.start(training_job_name="real-warm", resource_config=json.dumps(cooler)).wait(
        JOB_WAIT
    )
    assert code == 0, log
    assert "updated resourceConfig.keepAlivePeriodInSeconds" in log
    updates = ack_stack.calls("UpdateTrainingJob", "real-warm")
    assert len(updates) == 1, f"{time.monotonic() - started:.0f} s: {updates}"
