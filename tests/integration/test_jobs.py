"""What the job kinds add to test_every_kind: derived names within each name rule, and stop.

Stopping the step deletes the job's custom resource (the controller then calls
``Stop<Kind>``).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from harness import Harness, synced

from ack_components import kinds
from ack_components_sandbox.testing import samples

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
def test_a_derived_name_fits_the_kinds_name_rule(harness: Harness, kind: kinds.Kind) -> None:
    """HyperParameterTuningJob names allow 32 characters: derived ones start with "hpo-"."""
    run = harness.start(kind=kind.name, run_id="run-7", **samples.as_inputs(SPECS[kind.name]))
    cr = harness.wait_for_resource(kind=kind.name)
    assert kind.name_field is not None
    name = cr["spec"][kind.name_field]
    assert name.startswith(kind.name_prefix + "-")
    assert re.fullmatch(kind.name_pattern, name)
    harness.set_status(name, kind=kind.name, **job_status(kind, "Completed", conditions=[synced()]))
    code, log = run.wait()
    assert code == 0, log


@pytest.mark.parametrize("kind", JOB_KINDS, ids=lambda kind: kind.name)
def test_stopping_the_step_deletes_the_job(harness: Harness, kind: kinds.Kind) -> None:
    run = harness.start(kind=kind.name, **samples.as_inputs(SPECS[kind.name]))
    cr = harness.wait_for_resource(kind=kind.name)
    harness.set_status(cr["metadata"]["name"], kind=kind.name, **job_status(kind, "InProgress"))
    code, log = run.stop()
    assert code == 1
    assert f"deleting {kind.name}" in log
    assert harness.items(kind.name) == []
