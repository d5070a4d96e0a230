"""``status.assess`` for the kinds that are not jobs: ARN-only kinds, endpoints, and updates."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import condition

from ack_components import kinds
from ack_components.status import SYNCED, TERMINAL, Done, Failed, Policy, Tracker, Waiting, assess

T0 = 1000.0
POLICY = Policy(status_timeout=180, recoverable_grace=600, timeout=0)
ARN = {"arn": "arn:aws:sagemaker:us-east-1:000000000000:model/m", "region": "us-east-1"}
SYNCED_TRUE, SYNCED_FALSE = condition(SYNCED), condition(SYNCED, "False")


def resource(**status: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"metadata": {"name": "r", "namespace": "ml"}, "spec": {}}
    if status:
        found["status"] = status
    return found


@pytest.mark.parametrize(
    "kind", [k for k in kinds.KINDS.values() if k.status_field is None], ids=lambda k: k.name
)
def test_a_kind_without_status_value_is_done_with_arn_and_synced(kind: kinds.Kind) -> None:
    tracker = Tracker(started=T0)
    done = resource(ackResourceMetadata=ARN, conditions=[SYNCED_TRUE])
    assert assess(kind, done, tracker, T0 + 1, POLICY)[1] == Done("Synced")
    # Synced without an ARN: the controller has not created it yet.
    no_arn = resource(conditions=[SYNCED_TRUE])
    assert isinstance(assess(kind, no_arn, tracker, T0 + 1, POLICY)[1], Waiting)
    not_synced = resource(ackResourceMetadata=ARN, conditions=[SYNCED_FALSE])
    assert isinstance(assess(kind, not_synced, tracker, T0 + 1, POLICY)[1], Waiting)
    terminal = resource(conditions=[condition(TERMINAL, message="ValidationException: bad")])
    assert assess(kind, terminal, tracker, T0 + 1, POLICY)[1] == Failed(
        "ACK.Terminal: ValidationException: bad",
        "the spec must change: fix the inputs, or use a new name",
    )


def test_timeout_message_for_a_kind_without_status_value() -> None:
    policy = Policy(timeout=60)
    late = resource(ackResourceMetadata=ARN, conditions=[SYNCED_FALSE])
    verdict = assess(kinds.MODEL, late, Tracker(started=T0), T0 + 60, policy)[1]
    assert isinstance(verdict, Failed)
    assert verdict.reason == "timed out after 60 s (status: ACK.ResourceSynced=False)"


@pytest.mark.parametrize("value", ["Failed", "OutOfService", "UpdateRollbackFailed"])
def test_an_endpoint_that_cannot_serve_fails(value: str) -> None:
    broken = resource(endpointStatus=value, failureReason="no capacity", conditions=[SYNCED_TRUE])
    verdict = assess(kinds.ENDPOINT, broken, Tracker(started=T0), T0 + 1, POLICY)[1]
    assert verdict == Failed(f"Endpoint {value}: no capacity")


def test_an_endpoint_in_service_but_not_synced_keeps_waiting() -> None:
    """A failed update returns to InService with Synced not True; that is not success."""
    serving = resource(endpointStatus="InService", conditions=[SYNCED_FALSE])
    verdict = assess(kinds.ENDPOINT, serving, Tracker(started=T0), T0 + 1, POLICY)[1]
    assert verdict == Waiting("InService", None, None)


def test_after_an_update_the_old_status_is_not_taken_for_the_new_spec() -> None:
    before = {"endpointStatus": "InService", "conditions": [SYNCED_TRUE]}
    tracker = Tracker(started=T0, status_before_update=before)
    tracker, verdict = assess(kinds.ENDPOINT, resource(**before), tracker, T0 + 1, POLICY)
    assert verdict == Waiting(
        "InService", "waiting for the controller to act on the update", T0 + 180
    )
    updating = resource(endpointStatus="Updating", conditions=[SYNCED_FALSE])
    tracker, verdict = assess(kinds.ENDPOINT, updating, tracker, T0 + 2, POLICY)
    assert tracker.status_before_update is None
    assert verdict == Waiting("Updating", None, None)
    # Back to the very same status as before the update: now it speaks of the new spec.
    tracker, verdict = assess(kinds.ENDPOINT, resource(**before), tracker, T0 + 3, POLICY)
    assert verdict == Done("InService")


def test_an_update_the_controller_never_acts_on_fails_after_the_status_timeout() -> None:
    before = {"endpointStatus": "InService", "conditions": [SYNCED_TRUE]}
    tracker = Tracker(started=T0, status_before_update=before)
    verdict = assess(kinds.ENDPOINT, resource(**before), tracker, T0 + 180, POLICY)[1]
    assert isinstance(verdict, Failed)
    assert "unchanged 180 s after the update" in verdict.reason


def test_an_old_terminal_condition_does_not_fail_the_update_that_may_fix_it() -> None:
    before = {"conditions": [condition(TERMINAL, message="old spec was bad")]}
    tracker = Tracker(started=T0, status_before_update=before)
    verdict = assess(kinds.MONITORING_SCHEDULE, resource(**before), tracker, T0 + 1, POLICY)[1]
    assert isinstance(verdict, Waiting)


def test_ready_stands_in_for_a_missing_resource_synced() -> None:
    ready = condition("Ready")
    done = resource(endpointStatus="InService", conditions=[ready])
    assert assess(kinds.ENDPOINT, done, Tracker(started=T0), T0 + 1, POLICY)[1] == Done("InService")
    # When both are there, ResourceSynced decides.
    both = resource(endpointStatus="InService", conditions=[ready, SYNCED_FALSE])
    verdict = assess(kinds.ENDPOINT, both, Tracker(started=T0), T0 + 1, POLICY)[1]
    assert isinstance(verdict, Waiting)


def test_a_model_package_failure_names_its_validation_reasons() -> None:
    failed = resource(
        modelPackageStatus="Failed",
        modelPackageStatusDetails={
            "validationStatuses": [
                {"name": "v1", "status": "Failed", "failureReason": "image not found"},
                {"name": "v2", "status": "Completed"},
            ]
        },
        conditions=[SYNCED_TRUE],
    )
    verdict = assess(kinds.MODEL_PACKAGE, failed, Tracker(started=T0), T0, POLICY)[1]
    assert verdict == Failed("ModelPackage Failed: image not found")


def test_a_project_failure_names_the_provisioned_products_message() -> None:
    failed = resource(
        projectStatus="CreateFailed",
        serviceCatalogProvisionedProductDetails={
            "provisionedProductStatusMessage": "template parameter missing"
        },
        conditions=[SYNCED_TRUE],
    )
    verdict = assess(kinds.PROJECT, failed, Tracker(started=T0), T0, POLICY)[1]
    assert verdict == Failed("Project CreateFailed: template parameter missing")
