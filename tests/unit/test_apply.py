"""Re-attaching to an existing resource: which differences count, and which may be patched."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from helpers import KIND, SPEC
from kubernetes.client.exceptions import ApiException

from ack_components import apply
from ack_components.schema import SpecInvalid


def existing(**changes: Any) -> dict[str, Any]:
    """SPEC as the cluster holds it after the controller late-initialised some fields.

    ``changes`` set values at paths whose steps are joined by ``__`` (digits index lists).
    """
    spec = copy.deepcopy(SPEC)
    spec["algorithmSpecification"]["enableSageMakerMetricsTimeSeries"] = False
    spec["inputDataConfig"][0]["compressionType"] = "None"
    spec["resourceConfig"]["keepAlivePeriodInSeconds"] = 0
    spec["enableNetworkIsolation"] = False
    for path, value in changes.items():
        *parents, leaf = (int(key) if key.isdigit() else key for key in path.split("__"))
        target = spec
        for key in parents:
            target = target[key]
        target[leaf] = value
    return spec


def test_late_initialised_fields_do_not_count() -> None:
    assert apply.differences(SPEC, existing()) == []
    assert apply.differences({}, existing()) == []


@pytest.mark.parametrize(
    ("changes", "paths"),
    [
        ({"resourceConfig__instanceType": "ml.p3.2xlarge"}, ["resourceConfig.instanceType"]),
        ({"hyperParameters__k": "11"}, ["hyperParameters.k"]),
        ({"roleARN": "arn:aws:iam::1:role/other"}, ["roleARN"]),
        (
            {"resourceConfig": {"instanceCount": 1}},
            ["resourceConfig.instanceType", "resourceConfig.volumeSizeInGB"],
        ),
        ({"resourceConfig": None}, ["resourceConfig"]),
        ({"inputDataConfig": []}, ["inputDataConfig"]),
        ({"inputDataConfig": [*SPEC["inputDataConfig"]] * 2}, ["inputDataConfig"]),
        ({"inputDataConfig__0__channelName": "test"}, ["inputDataConfig"]),
        ({"hyperParameters__k": 10}, ["hyperParameters.k"]),
    ],
)
def test_differences_are_found(changes: dict[str, Any], paths: list[str]) -> None:
    assert apply.differences(SPEC, existing(**changes)) == paths


def test_nested_differences_are_listed_each() -> None:
    desired = {"a": {"b": 1, "c": {"d": [1, 2], "e": "x"}}, "f": True}
    current = {"a": {"b": 2, "c": {"d": [1, 3], "e": "x", "g": "late"}}, "f": True, "h": 0}
    assert apply.differences(desired, current) == ["a.b", "a.c.d"]


@pytest.mark.parametrize(
    ("path", "mutable"),
    [
        ("resourceConfig.keepAlivePeriodInSeconds", True),
        ("profilerConfig", True),
        ("profilerConfig.s3OutputPath", True),
        ("profilerConfig.profilingParameters.DataloaderProfilingConfig", True),
        ("profilerRuleConfigurations", True),
        ("resourceConfig.instanceType", False),
        ("resourceConfig", False),
        ("profilerConfigs", False),
        ("hyperParameters.k", False),
        ("roleARN", False),
    ],
)
def test_is_mutable(path: str, mutable: bool) -> None:
    assert apply.is_mutable(KIND, path) is mutable


class FakeResources:
    """The part of ``kube.Resources`` that ``apply`` uses, over at most one stored object."""

    kind, namespace = KIND, "ns"

    def __init__(self, stored: dict[str, Any] | None = None, rejects: str = "") -> None:
        self.stored, self.rejects = stored, rejects
        self.patches: list[dict[str, Any]] = []

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        if self.rejects or self.stored is not None:
            error = ApiException(status=422 if self.rejects else 409)
            error.body = json.dumps({"message": self.rejects or "already exists"})
            raise error
        self.stored = copy.deepcopy(body)
        return self.stored

    def get(self, name: str) -> dict[str, Any] | None:
        return self.stored

    def patch(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        self.patches.append(body)
        return self.stored or {}


def desired(**spec_changes: Any) -> dict[str, Any]:
    spec = {**copy.deepcopy(SPEC), **spec_changes}
    return {"metadata": {"name": "job"}, "spec": spec}


def run_apply(resources: FakeResources, body: dict[str, Any]) -> apply.Applied:
    return apply.apply(resources, body)  # type: ignore[arg-type]


def test_apply_creates() -> None:
    resources = FakeResources()
    applied = run_apply(resources, desired())
    assert applied.created
    assert resources.stored == desired()


def test_apply_reattaches_to_the_same_spec() -> None:
    resources = FakeResources({"metadata": {"name": "job"}, "spec": existing()})
    applied = run_apply(resources, desired())
    assert applied == apply.Applied(resources.stored or {}, created=False)
    assert resources.patches == []


def test_apply_patches_only_mutable_differences() -> None:
    resources = FakeResources({"metadata": {"name": "job"}, "spec": existing()})
    resource_config = {**SPEC["resourceConfig"], "keepAlivePeriodInSeconds": 600}
    applied = run_apply(resources, desired(resourceConfig=resource_config))
    assert applied.updated_fields == ("resourceConfig.keepAlivePeriodInSeconds",)
    assert resources.patches == [{"spec": {"resourceConfig": {"keepAlivePeriodInSeconds": 600}}}]


IN_SERVICE = {"endpointStatus": "InService", "ackResourceMetadata": {"arn": "arn:x"}}


def test_a_patch_records_the_status_before_it_for_a_retry() -> None:
    resources = FakeResources(
        {"metadata": {"name": "job"}, "spec": existing(), "status": IN_SERVICE}
    )
    resource_config = {**SPEC["resourceConfig"], "keepAlivePeriodInSeconds": 600}
    applied = run_apply(resources, desired(resourceConfig=resource_config))
    assert applied.status_before_update == IN_SERVICE
    [patch] = resources.patches
    recorded = patch["metadata"]["annotations"][apply.STATUS_BEFORE_UPDATE]
    assert json.loads(recorded) == IN_SERVICE
    assert patch["spec"] == {"resourceConfig": {"keepAlivePeriodInSeconds": 600}}


def test_a_retry_that_finds_nothing_to_patch_still_knows_the_update_is_pending() -> None:
    recorded = {apply.STATUS_BEFORE_UPDATE: json.dumps(IN_SERVICE)}
    stored = {"metadata": {"name": "job", "annotations": recorded}, "spec": existing()}
    applied = run_apply(FakeResources(stored), desired())
    assert applied.updated_fields == ()
    assert applied.status_before_update == IN_SERVICE


@pytest.mark.parametrize("recorded", ["", "not json", "[]", "{}", '"InService"'])
def test_no_or_an_unreadable_record_means_no_update_is_pending(recorded: str) -> None:
    stored = {"metadata": {"annotations": {apply.STATUS_BEFORE_UPDATE: recorded}}}
    assert apply.pending_update(stored) is None
    assert apply.pending_update({"metadata": {}}) is None


def test_the_record_is_removed_by_a_merge_patch() -> None:
    assert apply.update_acted_on() == {
        "metadata": {"annotations": {apply.STATUS_BEFORE_UPDATE: None}}
    }


def test_apply_refuses_immutable_differences() -> None:
    resources = FakeResources({"metadata": {"name": "job"}, "spec": existing()})
    resource_config = {**SPEC["resourceConfig"], "instanceType": "ml.p3.2xlarge"}
    with pytest.raises(apply.SpecConflict, match=r"cannot change: resourceConfig\.instanceType"):
        run_apply(resources, desired(resourceConfig=resource_config))
    assert resources.patches == []


def test_apply_reports_server_validation() -> None:
    resources = FakeResources(rejects='TrainingJob "job" is invalid: spec.roleARN: Required value')
    with pytest.raises(SpecInvalid, match=r"spec\.roleARN: Required value"):
        run_apply(resources, desired())
