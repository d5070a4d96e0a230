"""What the controller says while a step waits: condition changes, and the condition a failure names.

Snapshots follow what the ACK runtime writes: an EndpointConfig whose model does not exist
(ACK.Recoverable with SageMaker's message, ACK.ResourceSynced Unknown), a job that is
Completed but not yet late-initialised.
"""

from __future__ import annotations

from typing import Any

import pytest
from helpers import KIND, condition, snapshot

from ack_components import kinds
from ack_components.status import (
    LATE_INITIALIZED,
    READY,
    RECOVERABLE,
    SYNCED,
    TERMINAL,
    Condition,
    Failed,
    Policy,
    Tracker,
    Waiting,
    assess,
    condition_changes,
    explaining,
)

T0 = 1000.0
NO_MODEL = 'ValidationException: Could not find model "arn:aws:sagemaker:us-east-1:1:model/x".'
UNSURE = "Unable to determine if desired resource state matches latest observed state"
RECOVERING = condition(RECOVERABLE, message=NO_MODEL)
SYNCED_UNKNOWN = condition(SYNCED, "Unknown", UNSURE)
LATE = condition(LATE_INITIALIZED, "False", "Late initialization did not complete, requeuing")


def endpoint_config(*conds: dict[str, str]) -> dict[str, Any]:
    return {
        "metadata": {"name": "cfg", "namespace": "ml"},
        "spec": {"endpointConfigName": "cfg"},
        "status": {"conditions": list(conds)},
    }


# --- condition_changes: each change of (type, status, message) once ---


def test_the_first_snapshot_reports_every_condition_it_has() -> None:
    changes = condition_changes(None, endpoint_config(SYNCED_UNKNOWN, RECOVERING))
    assert [str(change) for change in changes] == [
        f"ACK.Recoverable=True: {NO_MODEL}",
        f"ACK.ResourceSynced=Unknown: {UNSURE}",
    ]


def test_an_unchanged_snapshot_reports_nothing() -> None:
    before = endpoint_config(RECOVERING, SYNCED_UNKNOWN)
    # The same conditions in another order, with another lastTransitionTime, are no change.
    after = endpoint_config(
        {**SYNCED_UNKNOWN, "lastTransitionTime": "2025-01-01T00:00:05Z"}, RECOVERING
    )
    assert condition_changes(before, after) == []


def test_a_new_message_is_a_change_even_with_the_same_status() -> None:
    before = endpoint_config(RECOVERING, SYNCED_UNKNOWN)
    after = endpoint_config(condition(RECOVERABLE, message="ThrottlingException"), SYNCED_UNKNOWN)
    assert condition_changes(before, after) == [
        Condition(RECOVERABLE, "True", "ThrottlingException")
    ]


def test_a_status_change_and_a_removal_are_reported() -> None:
    before = endpoint_config(RECOVERING, SYNCED_UNKNOWN)
    after = endpoint_config(condition(SYNCED), condition(READY))
    changes = condition_changes(before, after)
    assert [str(change) for change in changes] == [
        "ACK.Recoverable removed",
        "ACK.ResourceSynced=True",
        "Ready=True",
    ]


def test_other_conditions_and_status_values_are_not_reported() -> None:
    before = snapshot(trainingJobStatus="InProgress")
    after = snapshot(condition("Custom.Thing", "True", "x"), trainingJobStatus="Completed")
    assert condition_changes(before, after) == []


def test_a_multi_line_message_is_reported_on_one_line() -> None:
    changes = condition_changes(None, endpoint_config(condition(TERMINAL, message="a\n  b\tc")))
    assert [str(change) for change in changes] == ["ACK.Terminal=True: a b c"]


# --- explaining: the most telling condition ---


@pytest.mark.parametrize(
    ("conds", "expected"),
    [
        (
            [SYNCED_UNKNOWN, RECOVERING, condition(TERMINAL, message="bad")],
            "ACK.Terminal=True: bad",
        ),
        ([LATE, SYNCED_UNKNOWN, RECOVERING], f"ACK.Recoverable=True: {NO_MODEL}"),
        ([LATE, SYNCED_UNKNOWN], f"ACK.ResourceSynced=Unknown: {UNSURE}"),
        (
            [LATE, condition(SYNCED, "False", "")],
            "ACK.LateInitialized=False: Late initialization did not complete, requeuing",
        ),
        ([condition(READY, "False", "not ready yet")], "Ready=False: not ready yet"),
    ],
    ids=["terminal", "recoverable", "synced", "late-initialized", "ready-without-synced"],
)
def test_the_most_telling_condition_explains(conds: list[dict[str, str]], expected: str) -> None:
    assert str(explaining(endpoint_config(*conds))) == expected


@pytest.mark.parametrize(
    "conds",
    [
        [],
        [condition(SYNCED, "False", "")],
        [condition(SYNCED), condition(TERMINAL, "False", "old"), condition(RECOVERABLE, "False")],
        [condition(LATE_INITIALIZED, "True", "done")],
        # ResourceSynced decides over Ready: a True ResourceSynced leaves Ready's message unsaid.
        [condition(SYNCED), condition(READY, "False", "x")],
    ],
    ids=[
        "none",
        "synced-without-message",
        "all-clear",
        "late-initialized-true",
        "synced-over-ready",
    ],
)
def test_nothing_explains_when_no_condition_tells(conds: list[dict[str, str]]) -> None:
    assert explaining(endpoint_config(*conds)) is None


# --- the failures name it ---


def test_a_timeout_names_the_recoverable_condition() -> None:
    stuck = endpoint_config(SYNCED_UNKNOWN, RECOVERING)
    verdict = assess(kinds.ENDPOINT_CONFIG, stuck, Tracker(T0), T0 + 150, Policy(timeout=150))[1]
    assert isinstance(verdict, Failed)
    assert verdict.reason == (
        "timed out after 150 s (status: ACK.ResourceSynced=Unknown; "
        f"last condition ACK.Recoverable=True: {NO_MODEL})"
    )


def test_a_timeout_on_a_completed_job_names_why_it_is_not_synced() -> None:
    stuck = snapshot(condition(SYNCED, "False"), LATE, trainingJobStatus="Completed")
    verdict = assess(KIND, stuck, Tracker(T0), T0 + 120, Policy(timeout=120))[1]
    assert isinstance(verdict, Failed)
    assert verdict.reason == (
        "timed out after 120 s (status: Completed; last condition "
        "ACK.LateInitialized=False: Late initialization did not complete, requeuing)"
    )


def test_an_update_never_acted_on_names_the_condition() -> None:
    before = {"endpointStatus": "InService", "conditions": [SYNCED_UNKNOWN]}
    tracker = Tracker(started=T0, status_before_update=before)
    unchanged = {"metadata": {"namespace": "ml"}, "status": before}
    verdict = assess(kinds.ENDPOINT, unchanged, tracker, T0 + 180, Policy())[1]
    assert isinstance(verdict, Failed)
    assert verdict.reason.endswith(
        f"in namespace 'ml' (last condition ACK.ResourceSynced=Unknown: {UNSURE})"
    )


def test_a_failure_without_reason_takes_the_conditions_message() -> None:
    failed = snapshot(
        condition(SYNCED, "False", "ResourceLimitExceeded"), trainingJobStatus="Failed"
    )
    verdict = assess(KIND, failed, Tracker(T0), T0 + 1, Policy())[1]
    assert verdict == Failed(
        "TrainingJob Failed: last condition ACK.ResourceSynced=False: ResourceLimitExceeded"
    )


def test_a_stopped_job_names_the_condition() -> None:
    stopped = snapshot(condition(TERMINAL, message="stopped by user"), trainingJobStatus="Stopped")
    # ACK.Terminal decides first: its message is the reason itself.
    assert assess(KIND, stopped, Tracker(T0), T0 + 1, Policy())[1] == Failed(
        "ACK.Terminal: stopped by user", "the spec must change: fix the inputs, or use a new name"
    )
    stopped = snapshot(condition(SYNCED, "Unknown", "StopTrainingJob"), trainingJobStatus="Stopped")
    assert assess(KIND, stopped, Tracker(T0), T0 + 1, Policy())[1] == Failed(
        "the SageMaker TrainingJob was stopped (status Stopped; "
        "last condition ACK.ResourceSynced=Unknown: StopTrainingJob)"
    )


def test_recoverable_past_the_grace_fails_naming_it() -> None:
    stuck = endpoint_config(SYNCED_UNKNOWN, RECOVERING)
    tracker = Tracker(started=T0, recoverable_since=T0)
    verdict = assess(kinds.ENDPOINT_CONFIG, stuck, tracker, T0 + 30, Policy(recoverable_grace=30))
    assert verdict[1] == Failed(
        f"ACK.Recoverable for 30 s: {NO_MODEL}",
        "often the controller's IAM permissions, the role passed as role_arn, or a "
        "SageMaker quota; raise recoverable_grace_seconds to wait longer",
    )
    # Within the grace it waits, until the grace ends.
    within = assess(kinds.ENDPOINT_CONFIG, stuck, tracker, T0 + 29, Policy(recoverable_grace=30))
    assert within[1] == Waiting(None, None, T0 + 30)
