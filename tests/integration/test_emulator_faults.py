"""Injected faults through the emulator's HTTP front: ``/_emulator/faults`` and the errors an
SDK then receives (its retries off, so each refused call is seen)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import botocore.session
from botocore.config import Config
from emulator_support import Emulator, error_of, unique
from test_emulator import job_request


def faults(emulator: Emulator, method: str, body: Any = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"{emulator.url}/_emulator/faults",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def sagemaker_without_retries(emulator: Emulator) -> Any:
    return botocore.session.get_session().create_client(
        "sagemaker",
        endpoint_url=emulator.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"total_max_attempts": 1}),
    )


def test_throttling_refuses_the_next_creates_then_one_creates_the_job(emulator: Emulator) -> None:
    sm, name = sagemaker_without_retries(emulator), unique("throttled")
    status, added = faults(emulator, "POST", {"operation": "CreateTrainingJob", "count": 2})
    assert status == 200 and added["remaining"] == 2
    for _ in range(2):
        error = error_of(lambda: sm.create_training_job(**job_request(name)))
        assert error.response["Error"] == {
            "Code": "ThrottlingException",
            "Message": "Rate exceeded",
        }
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        # refused before the store: the job does not exist yet
        missing = error_of(lambda: sm.describe_training_job(TrainingJobName=name))
        assert missing.response["Error"]["Code"] == "ValidationException"
    sm.create_training_job(**job_request(name))
    assert sm.describe_training_job(TrainingJobName=name)["TrainingJobName"] == name
    calls = [
        c for c in emulator.control("/_emulator/calls") if c["operation"] == "CreateTrainingJob"
    ]
    assert [c.get("fault") for c in calls if c["name"] == name] == [
        "ThrottlingException",
        "ThrottlingException",
        None,
    ]


def test_a_server_error_lasts_until_cleared(emulator: Emulator) -> None:
    sm, name = sagemaker_without_retries(emulator), unique("broken")
    sm.create_training_job(**job_request(name))
    fault = {"operation": "DescribeTrainingJob", "code": "InternalFailure", "status": 500}
    assert faults(emulator, "POST", {**fault, "seconds": 600})[0] == 200
    error = error_of(lambda: sm.describe_training_job(TrainingJobName=name))
    assert error.response["Error"]["Code"] == "InternalFailure"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert [(f["operation"], f["hits"]) for f in faults(emulator, "GET")[1]] == [
        ("DescribeTrainingJob", 1)
    ]
    assert faults(emulator, "DELETE") == (200, {"ok": True, "cleared": 1})
    assert sm.describe_training_job(TrainingJobName=name)["TrainingJobName"] == name
    assert faults(emulator, "GET") == (200, [])


def test_a_bad_fault_is_refused_with_its_reason(emulator: Emulator) -> None:
    status, body = faults(emulator, "POST", {"operation": "CreateTrainingJob"})
    assert status == 400
    assert "exactly one of count (calls) or seconds" in body["message"]
    assert faults(emulator, "GET") == (200, [])
