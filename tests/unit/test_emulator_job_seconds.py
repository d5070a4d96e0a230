"""A Create's ``emulator.ack-components/seconds`` tag sets how long a job runs, for every
job kind (the lifecycle), as for a training job: tests stop a job that is surely running."""

from __future__ import annotations

import pytest

from ack_components_sandbox.aws.emulator import lifecycle, resources
from ack_components_sandbox.aws.emulator.training import SECONDS_TAG, ApiError, tag_seconds

TIMINGS = {lifecycle.JOB: 6.0, lifecycle.STOP: 1.0}


def record(seconds: float | None) -> lifecycle.Record:
    found = lifecycle.Record(
        resources.LABELING_JOB, "us-east-1", "arn:x", {"LabelingJobName": "l"}, 100.0, None
    )
    found.seconds = seconds
    return found


def statuses(events: list[lifecycle.Event]) -> list[tuple[str, float]]:
    return [(event.status, event.start) for event in events]


def test_a_job_runs_for_the_emulators_timing_unless_its_tags_say_otherwise() -> None:
    assert statuses(lifecycle.timeline(record(None), TIMINGS)[0]) == [
        ("InProgress", 100.0),
        ("Completed", 106.0),
    ]
    assert statuses(lifecycle.timeline(record(300.0), TIMINGS)[0]) == [
        ("InProgress", 100.0),
        ("Completed", 400.0),
    ]


def test_the_tag_is_read_from_the_create_request() -> None:
    assert tag_seconds({"Tags": [{"Key": SECONDS_TAG, "Value": "120"}]}) == 120.0
    assert tag_seconds({"Tags": [{"Key": "team", "Value": "ml"}]}) is None
    assert tag_seconds({}) is None
    with pytest.raises(ApiError, match="not a number of seconds"):
        tag_seconds({"Tags": [{"Key": SECONDS_TAG, "Value": "soon"}]})
