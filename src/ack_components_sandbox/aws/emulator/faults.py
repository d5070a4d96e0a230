"""Injected faults: make chosen SageMaker operations fail for a while, as AWS sometimes does.

Why: a client's retry logic (the ACK controller's, an SDK's) is only shown against real
errors. A fault makes every call of one operation answer an error of the given code and
HTTP status, either for the next ``count`` calls or for the next ``seconds``; the call is
refused before it reaches any store, so a refused Create creates nothing. The control
endpoint ``/_emulator/faults`` (server.py) adds, lists and clears them. Standard library only.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ack_components_sandbox.aws.emulator.training import ApiError

#: What each error code says when the fault names no message; AWS's own words where known.
_MESSAGES = {"ThrottlingException": "Rate exceeded"}


class FaultError(ValueError):
    """A fault request that cannot be honoured; the message says which member is wrong."""


@dataclass
class Fault:
    operation: str
    code: str
    status: int
    message: str
    remaining: int | None  # calls still to fail, when limited by count
    until: float | None  # clock time the fault ends, when limited by seconds
    hits: int = 0

    def active(self, now: float) -> bool:
        if self.remaining is not None:
            return self.remaining > 0
        return self.until is not None and now < self.until

    def describe(self, now: float) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "code": self.code,
            "status": self.status,
            "message": self.message,
            "hits": self.hits,
            "remaining": self.remaining,
            "seconds_left": None if self.until is None else max(0.0, self.until - now),
        }


def parse(body: Any, now: float) -> Fault:
    """A fault from a request body: ``{operation, code?, status?, message?}`` and exactly one
    of ``count`` (a positive integer) or ``seconds`` (a positive number)."""
    if not isinstance(body, dict):
        raise FaultError("the body must be a JSON object")
    unknown = sorted(set(body) - {"operation", "code", "status", "message", "count", "seconds"})
    if unknown:
        raise FaultError(f"unknown members: {', '.join(unknown)}")
    operation, code = body.get("operation"), body.get("code", "ThrottlingException")
    if not isinstance(operation, str) or not operation:
        raise FaultError("operation must name a SageMaker operation, e.g. CreateTrainingJob")
    if not isinstance(code, str) or not code:
        raise FaultError("code must be an error code, e.g. ThrottlingException")
    status = body.get("status", 400)
    if type(status) is not int or not 400 <= status <= 599:
        raise FaultError("status must be an HTTP error status, 400 to 599")
    message = body.get("message", _MESSAGES.get(code, f"{code} injected by the emulator"))
    if not isinstance(message, str):
        raise FaultError("message must be a string")
    count, seconds = body.get("count"), body.get("seconds")
    if (count is None) == (seconds is None):
        raise FaultError("give exactly one of count (calls) or seconds")
    if count is not None and (type(count) is not int or count < 1):
        raise FaultError("count must be a positive integer")
    if seconds is not None and (type(seconds) not in (int, float) or not 0 < seconds <= 86400):
        raise FaultError("seconds must be a positive number of at most 86400")
    return Fault(
        operation,
        code,
        status,
        message,
        remaining=count,
        until=None if seconds is None else now + float(seconds),
    )


class Faults:
    """The faults in force; thread-safe, as the server is threaded."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, body: Any) -> dict[str, Any]:
        """Add the fault ``body`` describes (see ``parse``); raises FaultError."""
        now = self._clock()
        fault = parse(body, now)
        with self._lock:
            self._faults.append(fault)
        return fault.describe(now)

    def take(self, operation: str) -> ApiError | None:
        """The error this call of ``operation`` must answer, or None; counts the call."""
        now = self._clock()
        with self._lock:
            self._faults = [f for f in self._faults if f.active(now)]
            fault = next((f for f in self._faults if f.operation == operation), None)
            if fault is None:
                return None
            fault.hits += 1
            if fault.remaining is not None:
                fault.remaining -= 1
        return ApiError(fault.code, fault.message, fault.status)

    def listed(self) -> list[dict[str, Any]]:
        """The faults still in force."""
        now = self._clock()
        with self._lock:
            return [f.describe(now) for f in self._faults if f.active(now)]

    def clear(self) -> int:
        """Remove every fault; returns how many were in force."""
        with self._lock:
            count = len([f for f in self._faults if f.active(self._clock())])
            self._faults.clear()
        return count
