"""The emulator's hosting: Model, EndpointConfig and Endpoint, driven through botocore.

What the ACK controller depends on: an endpoint goes Creating → InService, an update
Updating → InService on the new configuration, a delete Deleting → "Could not find
endpoint"; the "not found" messages start as the controller expects; absent structures
stay absent. Every response the ``sm`` fixture sees is also checked against botocore's
output shape.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import ClientError
from emulator_support import ENDPOINT_SECONDS, FAIL_TAG, HOSTING_OPS, ROLE, error_of, unique

from ack_components_sandbox.aws.emulator.hosting import ENDPOINT_CONFIG, MODEL, HostingStore
from ack_components_sandbox.aws.emulator.training import ApiError

IMAGE = "382416733822.dkr.ecr.us-east-1.amazonaws.com/kmeans:1"


def model_and_config(sm: Any, name: str) -> str:
    """A model and an endpoint configuration serving it; the configuration's name."""
    sm.create_model(
        ModelName=name,
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": IMAGE, "ModelDataUrl": "s3://bucket/model.tar.gz"},
    )
    config = f"{name}-config"
    sm.create_endpoint_config(
        EndpointConfigName=config,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": name,
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.large",
                "InitialVariantWeight": 1.0,
            }
        ],
    )
    return config


def endpoint(sm: Any, name: str) -> dict[str, Any]:
    found: dict[str, Any] = sm.describe_endpoint(EndpointName=name)
    found.pop("ResponseMetadata")
    return found


def endpoint_exists(sm: Any, name: str) -> bool:
    try:
        sm.describe_endpoint(EndpointName=name)
    except ClientError:
        return False
    return True


def wait_for(sm: Any, name: str, status: str, timeout: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (found := endpoint(sm, name))["EndpointStatus"] != status:
        assert time.monotonic() < deadline, found
        time.sleep(0.1)
    return found


def test_an_endpoint_is_created_updated_and_deleted_in_stages(sm: Any) -> None:
    name = unique("serve")
    first = model_and_config(sm, name)
    second = model_and_config(sm, f"{name}-v2")
    sm.create_endpoint(EndpointName=name, EndpointConfigName=first)
    creating = endpoint(sm, name)
    assert creating["EndpointStatus"] == "Creating"
    assert "ProductionVariants" not in creating
    serving = wait_for(sm, name, "InService")
    assert serving["EndpointConfigName"] == first
    assert serving["ProductionVariants"][0]["CurrentInstanceCount"] == 1

    sm.update_endpoint(EndpointName=name, EndpointConfigName=second)
    updating = endpoint(sm, name)
    assert (updating["EndpointStatus"], updating["EndpointConfigName"]) == ("Updating", first)
    updated = wait_for(sm, name, "InService")
    assert updated["EndpointConfigName"] == second
    assert updated["LastModifiedTime"] > serving["LastModifiedTime"]

    sm.delete_endpoint(EndpointName=name)
    assert endpoint(sm, name)["EndpointStatus"] == "Deleting"
    deadline = time.monotonic() + ENDPOINT_SECONDS + 10
    while endpoint_exists(sm, name):
        assert time.monotonic() < deadline, "the endpoint was never gone"
        time.sleep(0.1)
    gone = error_of(lambda: sm.describe_endpoint(EndpointName=name))
    assert gone.response["Error"]["Code"] == "ValidationException"
    assert gone.response["Error"]["Message"].startswith("Could not find endpoint")


def test_an_update_is_refused_until_the_endpoint_is_in_service(sm: Any) -> None:
    name = unique("busy")
    config = model_and_config(sm, name)
    sm.create_endpoint(EndpointName=name, EndpointConfigName=config)
    refused = error_of(lambda: sm.update_endpoint(EndpointName=name, EndpointConfigName=config))
    assert "Cannot update in-progress endpoint" in refused.response["Error"]["Message"]


def test_a_fail_tag_ends_the_endpoint_failed_with_the_reason(sm: Any) -> None:
    name = unique("broken")
    config = model_and_config(sm, name)
    tags = [{"Key": FAIL_TAG, "Value": "CapacityError: no ml.m5.large"}]
    sm.create_endpoint(EndpointName=name, EndpointConfigName=config, Tags=tags)
    failed = wait_for(sm, name, "Failed", timeout=ENDPOINT_SECONDS + 5)
    assert failed["FailureReason"] == "CapacityError: no ml.m5.large"


def test_a_fail_tag_makes_a_stored_kind_refuse_its_create(sm: Any) -> None:
    name = unique("refused")
    tags = [{"Key": FAIL_TAG, "Value": "the image is not in this account"}]
    container = {"Image": "123.dkr.ecr.us-east-1.amazonaws.com/kmeans:1"}
    refused = error_of(
        lambda: sm.create_model(
            ModelName=name, PrimaryContainer=container, ExecutionRoleArn=ROLE, Tags=tags
        )
    )
    assert refused.response["Error"]["Code"] == "ValidationException"
    assert refused.response["Error"]["Message"] == "the image is not in this account"
    assert error_of(lambda: sm.describe_model(ModelName=name))  # nothing was stored


@pytest.mark.parametrize(
    ("call", "prefix"),
    [
        (lambda sm: sm.describe_model(ModelName=unique("none")), "Could not find model"),
        (
            lambda sm: sm.describe_endpoint_config(EndpointConfigName=unique("none")),
            "Could not find endpoint configuration",
        ),
        (lambda sm: sm.describe_endpoint(EndpointName=unique("none")), "Could not find endpoint"),
        (
            lambda sm: sm.create_endpoint(
                EndpointName=unique("orphan"), EndpointConfigName=unique("none")
            ),
            "Could not find endpoint configuration",
        ),
    ],
    ids=["model", "endpoint-config", "endpoint", "endpoint-without-config"],
)
def test_not_found_is_a_validation_exception_the_controller_recognises(
    sm: Any, call: Any, prefix: str
) -> None:
    error = error_of(lambda: call(sm)).response["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"].startswith(prefix)


def test_absent_structures_stay_absent_and_late_init_fields_have_values(sm: Any) -> None:
    name = unique("plain")
    config = model_and_config(sm, name)
    model = sm.describe_model(ModelName=name)
    assert "VpcConfig" not in model and "Containers" not in model
    assert model["EnableNetworkIsolation"] is False
    described = sm.describe_endpoint_config(EndpointConfigName=config)
    assert "DataCaptureConfig" not in described
    assert described["EnableNetworkIsolation"] is False
    assert described["ProductionVariants"][0]["ModelName"] == name


def test_every_hosting_operation_was_answered_by_the_emulator(emulator: Any, sm: Any) -> None:
    emulator.control("/_emulator/reset", "POST")
    name = unique("all")
    config = model_and_config(sm, name)
    sm.describe_model(ModelName=name)
    sm.describe_endpoint_config(EndpointConfigName=config)
    sm.create_endpoint(EndpointName=name, EndpointConfigName=config)
    wait_for(sm, name, "InService")
    sm.update_endpoint(EndpointName=name, EndpointConfigName=config)
    sm.delete_endpoint(EndpointName=name)
    sm.delete_endpoint_config(EndpointConfigName=config)
    sm.delete_model(ModelName=name)
    calls = emulator.control("/_emulator/calls")
    assert {c["operation"] for c in calls} == HOSTING_OPS
    assert {c["name"] for c in calls if c["operation"] == "CreateEndpoint"} == {name}


def test_the_lifecycle_is_a_function_of_the_clock() -> None:
    """The pure store (no moto, no server) at chosen instants of a 10 s lifecycle."""
    now = [1000.0]
    members = {
        "DescribeModel": frozenset({"ModelName", "PrimaryContainer"}),
        "DescribeEndpointConfig": frozenset({"EndpointConfigName", "ProductionVariants"}),
        "DescribeEndpoint": frozenset({"EndpointName"}),
    }
    store = HostingStore(10.0, members, clock=lambda: now[0])
    region = "us-east-1"
    store.create(MODEL, region, {"ModelName": "m"})
    variant = {"VariantName": "v", "ModelName": "m", "InitialInstanceCount": 2}
    for config in ("c1", "c2"):
        store.create(
            ENDPOINT_CONFIG, region, {"EndpointConfigName": config, "ProductionVariants": [variant]}
        )
    store.create_endpoint(region, {"EndpointName": "e", "EndpointConfigName": "c1"})

    def at(seconds: float) -> tuple[str, str]:
        now[0] = 1000.0 + seconds
        found = store.describe_endpoint(region, {"EndpointName": "e"})
        return found["EndpointStatus"], found["EndpointConfigName"]

    assert at(9.9) == ("Creating", "c1")
    assert at(10) == ("InService", "c1")
    store.update_endpoint(region, {"EndpointName": "e", "EndpointConfigName": "c2"})
    assert at(19.9) == ("Updating", "c1")
    assert at(20) == ("InService", "c2")
    store.delete_endpoint(region, {"EndpointName": "e"})
    assert at(29.9) == ("Deleting", "c2")
    now[0] = 1030.0
    with pytest.raises(ApiError, match="Could not find endpoint"):
        store.describe_endpoint(region, {"EndpointName": "e"})
    # A new endpoint of the same name may be created once the old one is gone.
    store.create_endpoint(region, {"EndpointName": "e", "EndpointConfigName": "c1"})
