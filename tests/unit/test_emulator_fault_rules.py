"""The emulator's injected faults as plain objects, on a clock the test moves."""

from __future__ import annotations

from typing import Any

import pytest

from ack_components_sandbox.aws.emulator.faults import FaultError, Faults


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_counted_fault_refuses_that_many_calls_of_its_operation_only() -> None:
    faults = Faults(Clock())
    faults.add({"operation": "CreateTrainingJob", "count": 2})
    assert faults.take("DescribeTrainingJob") is None
    first, second = faults.take("CreateTrainingJob"), faults.take("CreateTrainingJob")
    assert first is not None and second is not None
    assert (first.code, first.status, first.message) == (
        "ThrottlingException",
        400,
        "Rate exceeded",
    )
    assert faults.take("CreateTrainingJob") is None
    assert faults.listed() == []


def test_a_timed_fault_ends_when_its_seconds_have_passed() -> None:
    clock = Clock()
    faults = Faults(clock)
    added = faults.add(
        {"operation": "DescribeTrainingJob", "code": "InternalFailure", "status": 500, "seconds": 5}
    )
    assert added["seconds_left"] == 5.0
    clock.now += 4.9
    error = faults.take("DescribeTrainingJob")
    assert error is not None and (error.code, error.status) == ("InternalFailure", 500)
    assert [f["hits"] for f in faults.listed()] == [1]
    clock.now += 0.1
    assert faults.take("DescribeTrainingJob") is None


def test_clear_removes_every_fault_in_force() -> None:
    faults = Faults(Clock())
    faults.add({"operation": "CreateTrainingJob", "count": 1})
    faults.add({"operation": "StopTrainingJob", "seconds": 60})
    assert faults.clear() == 2
    assert faults.take("CreateTrainingJob") is None
    assert faults.take("StopTrainingJob") is None


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ([], "JSON object"),
        ({"count": 1}, "operation"),
        ({"operation": "X", "count": 1, "after": 2}, "unknown members: after"),
        ({"operation": "X", "count": 1, "status": 200}, "status"),
        ({"operation": "X", "count": 1, "status": "500"}, "status"),
        ({"operation": "X"}, "exactly one of count"),
        ({"operation": "X", "count": 1, "seconds": 1}, "exactly one of count"),
        ({"operation": "X", "count": 0}, "count must be"),
        ({"operation": "X", "count": True}, "count must be"),
        ({"operation": "X", "seconds": -1}, "seconds must be"),
    ],
)
def test_a_bad_fault_is_refused_naming_the_member(body: Any, named: str) -> None:
    with pytest.raises(FaultError, match=named):
        Faults(Clock()).add(body)
