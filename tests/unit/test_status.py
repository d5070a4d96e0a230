"""``status.assess`` on hand-written TrainingJob snapshots: every ACK rule, no I/O, no clock."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import KIND, condition, snapshot

from ack_components.status import (
    RECOVERABLE,
    SYNCED,
    TERMINAL,
    Done,
    Failed,
    Policy,
    Tracker,
    Verdict,
    Waiting,
    assess,
)

T0 = 1000.0
POLICY = Policy(status_timeout=180, recoverable_grace=600, timeout=0)
START = Tracker(started=T0)
SYNCED_TRUE, SYNCED_FALSE = condition(SYNCED), condition(SYNCED, "False")


def verdict_at(
    resource: dict[str, Any] | None,
    after: float = 10,
    tracker: Tracker = START,
    policy: Policy = POLICY,
) -> tuple[Tracker, Verdict]:
    return assess(KIND, resource, tracker, T0 + after, policy)


def test_completed_and_synced_is_done() -> None:
    resource = snapshot(SYNCED_TRUE, trainingJobStatus="Completed", secondaryStatus="Completed")
    assert verdict_at(resource)[1] == Done("Completed")


@pytest.mark.parametrize("synced", [[SYNCED_FALSE], []])
def test_completed_but_not_synced_waits(synced: list[dict[str, str]]) -> None:
    resource = snapshot(*synced, trainingJobStatus="Completed", secondaryStatus="Uploading")
    assert verdict_at(resource)[1] == Waiting("Completed", "Uploading", None)


def test_in_progress_waits_without_deadline() -> None:
    resource = snapshot(SYNCED_FALSE, trainingJobStatus="InProgress", secondaryStatus="Training")
    # A status is there, so the status timeout no longer applies.
    assert verdict_at(resource, after=10_000)[1] == Waiting("InProgress", "Training", None)


def test_failed_reports_failure_reason() -> None:
    resource = snapshot(
        SYNCED_TRUE, trainingJobStatus="Failed", failureReason="AlgorithmError: bad feature_dim"
    )
    assert verdict_at(resource)[1] == Failed("TrainingJob Failed: AlgorithmError: bad feature_dim")


def test_failed_without_reason() -> None:
    verdict = verdict_at(snapshot(trainingJobStatus="Failed"))[1]
    assert verdict == Failed("TrainingJob Failed: no reason given")


def test_stopped_is_a_failure() -> None:
    verdict = verdict_at(snapshot(SYNCED_TRUE, trainingJobStatus="Stopped"))[1]
    assert isinstance(verdict, Failed)
    assert "stopped" in verdict.reason
    assert "Stopped" in verdict.reason


def test_terminal_fails_with_its_message() -> None:
    resource = snapshot(
        condition(TERMINAL, message="ValidationException: invalid instance type"),
        condition(SYNCED, "False"),
    )
    verdict = verdict_at(resource)[1]
    assert isinstance(verdict, Failed)
    assert verdict.reason == "ACK.Terminal: ValidationException: invalid instance type"
    assert "spec must change" in verdict.hint


def test_a_failed_status_names_its_reason_rather_than_the_terminal_condition() -> None:
    # As the controller reports a failed endpoint: Terminal, with a pointer to failureReason.
    resource = snapshot(
        condition(TERMINAL, message="TrainingJob status reached terminal state: Failed."),
        trainingJobStatus="Failed",
        failureReason="AlgorithmError: bad k",
    )
    verdict = verdict_at(resource)[1]
    assert verdict == Failed("TrainingJob Failed: AlgorithmError: bad k")


def test_a_success_value_with_a_recoverable_condition_is_not_done() -> None:
    # As the controller reports a notebook instance it is stopping to apply an update.
    resource = snapshot(
        condition(RECOVERABLE, message="notebook instance is stopping to apply the update"),
        SYNCED_TRUE,
        trainingJobStatus="Completed",
    )
    assert isinstance(verdict_at(resource)[1], Waiting)


def test_terminal_false_does_not_fail() -> None:
    resource = snapshot(condition(TERMINAL, "False"), trainingJobStatus="InProgress")
    assert isinstance(verdict_at(resource)[1], Waiting)


RECOVERING = snapshot(condition(RECOVERABLE, message="AccessDeniedException: not authorized"))


def test_recoverable_waits_for_the_grace_period() -> None:
    tracker, verdict = verdict_at(RECOVERING, after=30)
    assert tracker == Tracker(started=T0, recoverable_since=T0 + 30)
    assert verdict == Waiting(None, None, T0 + 30 + 600)
    # Later snapshots keep the first time it was seen.
    tracker, verdict = verdict_at(RECOVERING, after=629, tracker=tracker)
    assert tracker.recoverable_since == T0 + 30
    assert verdict == Waiting(None, None, T0 + 630)


def test_recoverable_past_grace_fails_with_message_and_hint() -> None:
    tracker = Tracker(started=T0, recoverable_since=T0 + 30)
    verdict = verdict_at(RECOVERING, after=630, tracker=tracker)[1]
    assert isinstance(verdict, Failed)
    assert verdict.reason == "ACK.Recoverable for 600 s: AccessDeniedException: not authorized"
    assert "role_arn" in verdict.hint
    assert "recoverable_grace_seconds" in verdict.hint


def test_recoverable_that_clears_resets_the_tracker() -> None:
    tracker = Tracker(started=T0, recoverable_since=T0 + 30)
    clear = snapshot(condition(RECOVERABLE, "False"), trainingJobStatus="InProgress")
    tracker, verdict = verdict_at(clear, after=500, tracker=tracker)
    assert tracker == Tracker(started=T0)
    assert verdict == Waiting("InProgress", None, None)
    # When it comes back, the grace period starts again.
    tracker, verdict = verdict_at(RECOVERING, after=900, tracker=tracker)
    assert tracker.recoverable_since == T0 + 900
    assert verdict == Waiting(None, None, T0 + 1500)


def test_no_status_waits_until_the_status_timeout() -> None:
    assert verdict_at(snapshot(), after=179)[1] == Waiting(None, None, T0 + 180)


def test_no_status_past_the_status_timeout_fails() -> None:
    verdict = verdict_at(snapshot(namespace="team-a"), after=180)[1]
    assert isinstance(verdict, Failed)
    assert "not reconciling namespace 'team-a'" in verdict.reason
    assert "no .status after 180 s" in verdict.reason
    assert "ack-components doctor --namespace team-a" in verdict.hint


def test_overall_timeout() -> None:
    policy = Policy(status_timeout=180, recoverable_grace=600, timeout=3600)
    running = snapshot(SYNCED_FALSE, trainingJobStatus="InProgress", secondaryStatus="Training")
    # Before it, the timeout is the deadline to re-check by.
    assert verdict_at(running, 3599, policy=policy)[1] == Waiting(
        "InProgress", "Training", T0 + 3600
    )
    # The nearest deadline wins.
    assert verdict_at(snapshot(), 10, policy=policy)[1] == Waiting(None, None, T0 + 180)
    verdict = verdict_at(running, 3600, policy=policy)[1]
    assert isinstance(verdict, Failed)
    assert verdict.reason == "timed out after 3600 s (status: InProgress)"
    assert "timeout_seconds" in verdict.hint


def test_deleted_resource_fails() -> None:
    verdict = verdict_at(None)[1]
    assert isinstance(verdict, Failed)
    assert "deleted" in verdict.reason


def test_a_resource_someone_is_deleting_fails_before_its_stopped_status() -> None:
    # What the controller writes while it stops the job of a deleted resource is not the
    # run's outcome (not "stopped"); with the controller away it would never be gone.
    resource = snapshot(
        condition(RECOVERABLE, message="TrainingJob is Stopping."), trainingJobStatus="Stopping"
    )
    resource["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    verdict = verdict_at(resource)[1]
    assert verdict == Failed(
        "the custom resource was deleted while the step waited for it (deletionTimestamp "
        "2026-01-01T00:00:00Z; the controller stops or deletes what it started in SageMaker, "
        "then removes it)"
    )


@pytest.mark.parametrize("field", ["debugRuleEvaluationStatuses", "profilerRuleEvaluationStatuses"])
@pytest.mark.parametrize("rule_status", ["IssuesFound", "Error"])
def test_failed_rule_fails_a_completed_job(field: str, rule_status: str) -> None:
    rules = [
        {"ruleConfigurationName": "LossNotDecreasing", "ruleEvaluationStatus": "NoIssuesFound"},
        {"ruleConfigurationName": "Overfit", "ruleEvaluationStatus": rule_status},
    ]
    resource = snapshot(SYNCED_TRUE, trainingJobStatus="Completed", **{field: rules})
    verdict = verdict_at(resource)[1]
    assert verdict == Failed(f"TrainingJob Completed, but rules failed: Overfit={rule_status}")


def test_passing_rules_are_done() -> None:
    rules = [{"ruleConfigurationName": "Overfit", "ruleEvaluationStatus": "NoIssuesFound"}]
    resource = snapshot(
        SYNCED_TRUE, trainingJobStatus="Completed", debugRuleEvaluationStatuses=rules
    )
    assert verdict_at(resource)[1] == Done("Completed")
