"""A job's own log in its step's log, through the real ACK controller: a processing job's,
and a tuning job's training jobs'.

The emulator writes each job's lines into its CloudWatch Logs as the job runs (one
stream per instance); the step, given AWS credentials (the emulator's, as IRSA would
give a pod), follows them while the controller reports the job's status. The training
job's log is shown through Kubeflow Pipelines in ``test_pipelines_on_kfp``.
"""

from __future__ import annotations

import json

from harness import Harness, without_aws

from ack_components_sandbox.aws.controller_process import EMULATOR_CREDENTIALS
from ack_components_sandbox.testing import samples
from ack_components_sandbox.testing.stack import Stack

KIND = "ProcessingJob"
FAIL_TAG = "emulator.ack-components/fail"
#: The controller re-reads an in-progress job every 30 s; the whole run fits in a few reads.
JOB_WAIT = 240


def with_credentials(stack: Stack) -> dict[str, str]:
    return without_aws() | EMULATOR_CREDENTIALS | {"AWS_ENDPOINT_URL": stack.emulator.url}


def inputs(name: str, instances: int, **more: str) -> dict[str, str]:
    spec = samples.processing_spec()
    spec["processingResources"]["clusterConfig"]["instanceCount"] = instances
    return samples.as_inputs(spec, processing_job_name=name) | more


def job_lines(log: str, instance: int) -> list[str]:
    """The lines of one instance's stream, as the step printed them (``[algo-N-…] line``)."""
    return [
        line.split("] ", 1)[1] for line in log.splitlines() if line.startswith(f"[algo-{instance}-")
    ]


def test_a_two_instance_jobs_lines_reach_the_step_in_order_once_each(
    real: Harness, ack_stack: Stack
) -> None:
    run = real.start(kind=KIND, env=with_credentials(ack_stack), **inputs("logs-two", 2))
    code, log = run.wait(JOB_WAIT)
    assert code == 0, log + ack_stack.controller_log()[-3000:]
    for instance in (1, 2):
        assert job_lines(log, instance) == [
            "Starting the processing job on 2 x ml.m5.large",
            "progress: 1/3",
            "progress: 2/3",
            "progress: 3/3",
            "The processing job completed",
        ], log
    assert log.index("The processing job completed") < log.index("done: Completed")
    assert "job logs: unavailable" not in log


def test_a_failed_jobs_step_ends_with_its_last_line_then_the_reason(
    real: Harness, ack_stack: Stack
) -> None:
    reason = "ClientError: the input has no rows (injected)"
    tags = json.dumps([{"key": FAIL_TAG, "value": reason}])
    run = real.start(
        kind=KIND, env=with_credentials(ack_stack), **inputs("logs-fail", 1, tags=tags)
    )
    code, log = run.wait(JOB_WAIT)
    assert code == 1, log
    lines = log.rstrip().splitlines()
    assert job_lines(log, 1)[-1] == f"ERROR: {reason}", log
    last_job_line = max(i for i, line in enumerate(lines) if line.startswith("[algo-1-"))
    verdict = next(i for i, line in enumerate(lines) if line.startswith("error: "))
    assert last_job_line < verdict and reason in lines[verdict], log


def test_a_tuning_steps_log_has_each_of_its_training_jobs_lines(
    real: Harness, ack_stack: Stack
) -> None:
    kind = "HyperParameterTuningJob"
    spec = samples.kmeans_tuning_spec()
    budget = spec["hyperParameterTuningJobConfig"]["resourceLimits"]["maxNumberOfTrainingJobs"]
    run = real.start(
        kind=kind,
        env=with_credentials(ack_stack),
        **samples.as_inputs(spec, hyper_parameter_tuning_job_name="logs-hpo"),
    )
    code, log = run.wait(JOB_WAIT)
    assert code == 0, log + ack_stack.controller_log()[-3000:]
    streams: dict[str, list[str]] = {}
    for line in log.splitlines():
        if line.startswith("[logs-hpo-"):
            stream, message = line[1:].split("] ", 1)
            streams.setdefault(stream, []).append(message)
    assert len(streams) == budget, log
    for lines in streams.values():
        assert lines[0].startswith("Starting the training job on 1 x "), log
        assert lines[1:] == [
            "progress: 1/3",
            "progress: 2/3",
            "progress: 3/3",
            "The training job completed",
        ]
    best = run.output("best_training_job")["trainingJobName"]
    assert any(stream.startswith(f"{best}/algo-1-") for stream in streams), (best, list(streams))
