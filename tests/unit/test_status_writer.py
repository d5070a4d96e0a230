"""The stand-in's lifecycles end where the component's rules say "done", for every kind."""

from __future__ import annotations

import pytest

from ack_components import kinds, status
from ack_components_sandbox.testing import status_writer


@pytest.mark.parametrize("kind", kinds.KINDS.values(), ids=lambda kind: kind.name)
def test_a_lifecycle_waits_then_ends_done(kind: kinds.Kind) -> None:
    *working, final = status_writer.lifecycle(kind, "demo-name", "eu-west-1")
    tracker, policy = status.Tracker(started=0.0), status.Policy()
    for snapshot in working:
        verdict = status.assess(kind, {"status": snapshot}, tracker, 1.0, policy)[1]
        assert isinstance(verdict, status.Waiting)
    assert isinstance(status.assess(kind, {"status": final}, tracker, 1.0, policy)[1], status.Done)
    assert final["ackResourceMetadata"]["arn"].startswith("arn:aws:sagemaker:eu-west-1:")
    assert final["ackResourceMetadata"]["arn"].endswith("/demo-name")


def test_arn_resource_types_follow_sagemaker() -> None:
    arn = status_writer.lifecycle(kinds.ENDPOINT_CONFIG, "c")[-1]["ackResourceMetadata"]["arn"]
    assert ":endpoint-config/c" in arn
    hpo = kinds.HYPER_PARAMETER_TUNING_JOB
    assert (
        ":hyper-parameter-tuning-job/h"
        in (status_writer.lifecycle(hpo, "h")[-1]["ackResourceMetadata"]["arn"])
    )
