"""Following a job's log streams: order across streams, no line twice, resuming after errors.

The client here is a stand-in with CloudWatch Logs' paging rules (a forward token that
repeats once a stream has nothing new); the real service is the emulator's, in the
pipeline tests.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError, EndpointConnectionError
from helpers import raw_inputs

from ack_components import job_logs, kinds, run

GROUP = "/aws/sagemaker/TrainingJobs"


class Logs:
    def __init__(self) -> None:
        self.streams: dict[str, list[tuple[int, str]]] = {}
        self.fail_next: Exception | None = None

    def write(self, stream: str, at: int, message: str) -> None:
        self.streams.setdefault(stream, []).append((at, message))

    def describe_log_streams(self, **request: Any) -> dict[str, Any]:
        if not self.streams:
            raise ClientError({"Error": {"Code": "ResourceNotFoundException"}}, "Describe")
        names = sorted(s for s in self.streams if s.startswith(request["logStreamNamePrefix"]))
        return {"logStreams": [{"logStreamName": n} for n in names]}

    def get_log_events(self, **request: Any) -> dict[str, Any]:
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error
        start = int(request.get("nextToken", "f/0").split("/")[1])
        events = self.streams[request["logStreamName"]][start : start + 2]  # pages of two
        return {
            "events": [{"timestamp": t, "message": m} for t, m in events],
            "nextForwardToken": f"f/{start + len(events)}",
        }


def test_lines_of_every_stream_come_in_time_order_prefixed_by_stream() -> None:
    logs = Logs()
    for at, stream in ((1, "job/algo-1-9"), (2, "job/algo-2-9"), (3, "job/algo-1-9")):
        logs.write(stream, at, f"line {at}")
    logs.write("other/algo-1-9", 0, "not this job's")
    follower = job_logs.JobLogs(logs, GROUP, "job")
    assert follower.poll() == ["[algo-1-9] line 1", "[algo-2-9] line 2", "[algo-1-9] line 3"]


def test_no_line_is_printed_twice_and_new_ones_follow() -> None:
    logs = Logs()
    logs.write("job/algo-1-9", 1, "first")
    follower = job_logs.JobLogs(logs, GROUP, "job")
    assert follower.poll() == ["[algo-1-9] first"]
    assert follower.poll() == []
    logs.write("job/algo-1-9", 2, "second")
    assert follower.poll() == ["[algo-1-9] second"]


def test_a_dropped_connection_resumes_where_it_stopped() -> None:
    logs = Logs()
    for at in range(1, 4):
        logs.write("job/algo-1-9", at, f"line {at}")
    said: list[str] = []
    clock = iter(range(0, 1000, 10)).__next__
    follower = job_logs.Follower(job_logs.JobLogs(logs, GROUP, "job"), said.append, clock)
    logs.fail_next = EndpointConnectionError(endpoint_url="http://logs")
    follower.poll()
    assert said == []
    follower.poll(force=True)
    assert said == ["[algo-1-9] line 1", "[algo-1-9] line 2", "[algo-1-9] line 3"]


def test_a_job_that_has_not_written_yet_has_no_lines() -> None:
    assert job_logs.JobLogs(Logs(), GROUP, "job").poll() == []


def test_a_role_that_may_not_read_logs_is_said_once_and_the_step_carries_on() -> None:
    logs = Logs()
    logs.write("job/algo-1-9", 1, "x")
    logs.fail_next = ClientError(
        {"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}}, "GetLogEvents"
    )
    said: list[str] = []
    follower = job_logs.Follower(job_logs.JobLogs(logs, GROUP, "job"), said.append, lambda: 0.0)
    follower.poll(force=True)
    follower.poll(force=True)
    assert len(said) == 1 and said[0].startswith("job logs: unavailable: ")
    assert "AccessDeniedException" in said[0]


def test_without_credentials_one_line_says_why_and_the_step_goes_on() -> None:
    """No credentials here (conftest.py): the run says so once and still succeeds."""
    prepared = run.prepare(kinds.TRAINING_JOB, raw_inputs(training_job_name="kmeans"), "ml")
    said: list[str] = []
    follower = run._job_logs(prepared, None, said.append, lambda: 0.0)
    follower.poll(force=True)
    run._metrics(prepared, {}, said.append, said=follower.why_not)
    assert said == [
        "job logs: unavailable: no AWS credentials in the pod (IRSA, environment or instance "
        "profile); the step carries on without them"
    ]
    off = run.prepare(
        kinds.TRAINING_JOB, raw_inputs(training_job_name="kmeans", stream_job_logs="False"), "ml"
    )
    quiet: list[str] = []
    run._job_logs(off, None, quiet.append, lambda: 0.0).poll(force=True)
    assert quiet == []
