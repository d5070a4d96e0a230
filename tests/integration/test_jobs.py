"""The tuning, processing and batch-transform job components on the real API server.

They share the TrainingJob's engine and differ only by their kind-table entries;
these tests show each entry is right: the CRD accepts the rendered resource,
the status values end the run, and stopping the step removes the job.
"""

from __future__ import annotations

from typing import Any

import pytest
from harness import Harness, synced

from ack_components import kinds
from ack_components.interface import snake_case
from ack_components.testing import samples

SPECS = {
    "HyperParameterTuningJob": samples.kmeans_tuning_spec(),
    "ProcessingJob": samples.processing_spec(),
    "TransformJob": samples.transform_spec("kmeans-model"),
}
JOB_KINDS = [kinds.get(name) for name in SPECS]


def job_status(kind: kinds.Kind, value: str, **extra: Any) -> dict[str, Any]:
    assert kind.status_field is not None
    return {kind.status_field: value, **extra}


@pytest.mark.parametrize("kind", JOB_KINDS, ids=lambda kind: kind.name)
def test_a_job_runs_to_completion_under_a_derived_name(harness: Harness, kind: kinds.Kind) -> None:
    run = harness.start(kind=kind.name, run_id="run-7", **samples.as_inputs(SPECS[kind.name]))
    cr = harness.wait_for_resource(kind=kind.name)
    name = cr["spec"][kind.name_field]
    assert name.startswith(kind.name_prefix + "-")
    harness.set_status(name, kind=kind.name, **job_status(kind, "InProgress"))
    harness.set_status(
        name,
        kind=kind.name,
        **job_status(kind, "Completed", conditions=[synced()]),
    )
    code, log = run.wait()
    assert code == 0, log
    assert run.output(snake_case(kind.status_field or "")) == "Completed"
    assert run.output("sagemaker_resource_name") == name


@pytest.mark.parametrize("kind", JOB_KINDS, ids=lambda kind: kind.name)
def test_a_failed_job_fails_the_step_with_its_reason(harness: Harness, kind: kinds.Kind) -> None:
    name = f"{kind.name_prefix}-bad"
    run = harness.start(
        kind=kind.name, **{snake_case(kind.name_field): name}, **samples.as_inputs(SPECS[kind.name])
    )
    harness.wait_for_resource(kind=kind.name)
    harness.set_status(
        name,
        kind=kind.name,
        **job_status(kind, "Failed", failureReason="ClientError: no data", conditions=[synced()]),
    )
    code, log = run.wait()
    assert code == 1
    assert f"{kind.name} Failed: ClientError: no data" in log


@pytest.mark.parametrize("kind", JOB_KINDS, ids=lambda kind: kind.name)
def test_stopping_the_step_deletes_the_job(harness: Harness, kind: kinds.Kind) -> None:
    run = harness.start(kind=kind.name, **samples.as_inputs(SPECS[kind.name]))
    cr = harness.wait_for_resource(kind=kind.name)
    harness.set_status(cr["metadata"]["name"], kind=kind.name, **job_status(kind, "InProgress"))
    code, log = run.stop()
    assert code == 1
    assert f"deleting {kind.name}" in log
    assert harness.items(kind.name) == []
