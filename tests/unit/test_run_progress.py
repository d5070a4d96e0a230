"""What a step prints while it waits, from recorded snapshots fed through a fake watch."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

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
    """Creates the resource, then serves the given statuses as one watch's MODIFIED events."""

    kind, namespace = KIND, "ml"

    def __init__(self, statuses: list[dict[str, Any]]) -> None:
        self.statuses = statuses
        self.watched = False

    def get(self, name: str) -> None:
        return None

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        self.created = copy.deepcopy(body)
        self.created["metadata"]["resourceVersion"] = "1"
        return self.created

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
    """The exit code and the lines after "created" and the links, without elapsed times."""
    prepared = run.prepare(KIND, raw_inputs(training_job_name="kmeans"), "ml")
    lines: list[str] = []
    code = run._apply_and_follow(prepared, Resources(list(statuses)), {}, lines.append)  # type: ignore[arg-type]
    assert lines[0] == "created TrainingJob ml/kmeans (SageMaker name kmeans)"
    progress = [line for line in lines[1:] if not line.startswith("  ")]
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
