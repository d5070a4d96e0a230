"""A step against a fake cluster: what it prints while it waits (recorded snapshots fed
through a fake watch), and whether it deletes the resource when stopped."""

from __future__ import annotations

import copy
import json
import re
import signal
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import KIND, condition, raw_inputs

from ack_components import run
from ack_components.status import RECOVERABLE, SYNCED, TERMINAL

NO_MODEL = 'Could not find model "kmeans"'
UNSURE = "Unable to determine if desired resource state matches latest observed state"


class Response:
    """A watch response: one JSON event per line."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.lines = [json.dumps(event).encode() + b"\n" for event in events]

    def stream(self, amt: Any = None, decode_content: bool = False) -> Any:
        yield from self.lines

    def release_conn(self) -> None:
        pass


class Resources:
    """Holds one resource (``stored``); a watch serves the given statuses as MODIFIED events."""

    kind, namespace = KIND, "ml"

    def __init__(
        self, statuses: list[dict[str, Any]], stored: dict[str, Any] | None = None
    ) -> None:
        self.statuses = statuses
        self.stored = stored
        self.watched = self.deleted = False

    def get(self, name: str) -> dict[str, Any] | None:
        return self.stored

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        self.created = self.stored = copy.deepcopy(body)
        self.created["metadata"]["resourceVersion"] = "1"
        return self.created

    def delete(self, name: str) -> None:
        self.stored, self.deleted = None, True

    def watch(self, name: str, resource_version: str, timeout_seconds: int) -> Response:
        assert not self.watched, "the step kept waiting after the last snapshot"
        self.watched = True
        events = [
            {
                "type": "MODIFIED",
                "object": {
                    **self.created,
                    "metadata": {**self.created["metadata"], "resourceVersion": str(version)},
                    "status": status,
                },
            }
            for version, status in enumerate(self.statuses, start=2)
        ]
        return Response(events)


def printed(*statuses: dict[str, Any]) -> tuple[int, list[str]]:
    """The exit code and the lines after "created" and the links, without elapsed times (and
    without the lines about job logs and metrics, which need AWS credentials: see
    test_job_logs.py)."""
    prepared = run.prepare(KIND, raw_inputs(training_job_name="kmeans"), "ml")
    lines: list[str] = []
    code = run._apply_and_follow(prepared, Resources(list(statuses)), {}, lines.append, [].append)  # type: ignore[arg-type]
    assert lines[0] == "created TrainingJob ml/kmeans (SageMaker name kmeans)"
    progress = [
        line for line in lines[1:] if not line.startswith(("  ", "job logs: ", "metrics: "))
    ]
    return code, [re.sub(r"^\[ *[0-9.]+s\] ", "", line) for line in progress]


def test_each_condition_change_is_printed_once_as_it_happens() -> None:
    recovering = [condition(RECOVERABLE, message=NO_MODEL), condition(SYNCED, "Unknown", UNSURE)]
    code, lines = printed(
        {"conditions": recovering},
        # The same conditions again, now with a status value: only the value is news.
        {"trainingJobStatus": "InProgress", "conditions": recovering[::-1]},
        {
            "trainingJobStatus": "InProgress",
            "secondaryStatus": "Training",
            "conditions": [condition(SYNCED, "False")],
        },
        {"trainingJobStatus": "Completed", "conditions": [condition(SYNCED)]},
    )
    assert code == run.EXIT_OK
    assert lines == [
        f"ACK.Recoverable=True: {NO_MODEL}",
        f"ACK.ResourceSynced=Unknown: {UNSURE}",
        "InProgress / -",
        "ACK.Recoverable removed",
        "ACK.ResourceSynced=False",
        "InProgress / Training",
        "ACK.ResourceSynced=True",
        "done: Completed",
    ]


def test_the_condition_that_fails_the_step_is_printed_before_the_error() -> None:
    terminal = condition(TERMINAL, message="InvalidParameterValue: no such image")
    code, lines = printed({"conditions": [terminal, condition(SYNCED, "True")]})
    assert code == run.EXIT_FAILED
    assert lines == [
        "ACK.Terminal=True: InvalidParameterValue: no such image",
        "ACK.ResourceSynced=True",
        "error: ACK.Terminal: InvalidParameterValue: no such image\n"
        "hint: the spec must change: fix the inputs, or use a new name",
    ]


# --- stopped: delete only what this run created ---


@pytest.fixture()
def handlers() -> Iterator[None]:
    """_on_interrupt ignores further signals; give the test process its handlers back."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def stopped(creator: str | None, run_id: str = "") -> tuple[bool, list[str]]:
    """Stop a run with ``run_id`` ("" from the shell) that re-attached to a resource whose
    run-id annotation is ``creator`` (None: none). Was it deleted, and what was said?"""
    prepared = run.prepare(KIND, raw_inputs(training_job_name="kmeans", run_id=run_id), "ml")
    existing = copy.deepcopy(prepared.resource)
    existing["metadata"]["annotations"].pop(run.RUN_ID_KEY, None)
    if creator is not None:
        existing["metadata"]["annotations"][run.RUN_ID_KEY] = creator
    resources = Resources([], stored=existing)
    lines: list[str] = []
    stop = run.Interrupted(signal.SIGTERM)
    code = run._on_interrupt(prepared, resources, stop, lines.append)  # type: ignore[arg-type]
    assert code == run.EXIT_FAILED
    return resources.deleted, lines


@pytest.mark.usefixtures("handlers")
@pytest.mark.parametrize("creator", [None, ""], ids=["no-annotation", "empty-annotation"])
def test_a_shell_run_stops_what_a_shell_run_created(creator: str | None) -> None:
    deleted, lines = stopped(creator)
    assert deleted
    assert lines[-1] == "TrainingJob kmeans is gone"


@pytest.mark.usefixtures("handlers")
def test_a_run_with_an_id_stops_what_it_created() -> None:
    assert stopped("run-a", run_id="run-a")[0]


@pytest.mark.usefixtures("handlers")
@pytest.mark.parametrize(
    ("creator", "run_id", "who"),
    [
        ("run-a", "", "run 'run-a'"),
        ("run-a", "run-b", "run 'run-a'"),
        (None, "run-b", "a run without run id"),
    ],
)
def test_a_resource_another_run_created_is_left_in_place(
    creator: str | None, run_id: str, who: str
) -> None:
    deleted, lines = stopped(creator, run_id)
    assert not deleted
    assert lines == [
        f"stopped by SIGTERM: leaving TrainingJob kmeans in place: {who} created it, not this run"
    ]
