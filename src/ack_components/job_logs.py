"""The SageMaker job's own log, followed into the step's log while the step waits.

What a data scientist reads when a job fails is the job's CloudWatch log, not the
custom resource's status: the boto3-based components printed it into the step, and so
does this. A job writes one log stream per instance (``<job>/algo-1-…``), all in its
kind's group (``/aws/sagemaker/TrainingJobs``, …); a tuning job's training jobs are
named after it, so the same prefix finds theirs. ``JobLogs.poll`` reads what is new in
every stream whose name starts with the job's name and hands back the lines, oldest
first, each prefixed by its stream; it keeps each stream's forward token, so a failed
call is retried from where it stopped and nothing is printed twice. The run loop polls
while it waits and once more when the job has ended, so a failed job's step ends with
the job's last lines.

Credentials come from the pod's usual AWS sources (IRSA's web identity, the
environment, an instance profile) through botocore; without any, or when the role may
not read logs (``logs:DescribeLogStreams``, ``logs:GetLogEvents``), one line says so and
the step carries on without job logs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import botocore.session
from botocore.exceptions import BotoCoreError, ClientError

from ack_components.kinds import Kind

#: Seconds between polls while the job runs.
POLL_SECONDS = 5.0
#: Errors that will not go away by retrying: logs are then left alone.
DENIED = ("AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException")


@dataclass(frozen=True)
class LogLine:
    stream: str
    timestamp: int
    message: str


def short_stream(stream: str, job: str) -> str:
    """``<job>/algo-1-1700000000`` → ``algo-1-1700000000``; other names are kept."""
    return stream.removeprefix(f"{job}/")


def merged(new: dict[str, list[LogLine]]) -> list[LogLine]:
    """One poll's lines from every stream, in time order (stream order among equals)."""
    return sorted(
        (line for lines in new.values() for line in lines),
        key=lambda line: (line.timestamp, line.stream),
    )


def rendered(line: LogLine, job: str) -> str:
    return f"[{short_stream(line.stream, job)}] {line.message.rstrip()}"


class Unavailable(Exception):
    """Job logs cannot be read here; the message says why."""


class NotNow(Exception):
    """This poll failed (throttling, the connection): the next resumes where it stopped."""


@dataclass
class JobLogs:
    """Follows one job's streams; ``client`` is a botocore CloudWatch Logs client."""

    client: Any
    group: str
    job: str
    tokens: dict[str, str] = field(default_factory=dict)

    def _streams(self) -> list[str]:
        names: list[str] = []
        request: dict[str, Any] = {"logGroupName": self.group, "logStreamNamePrefix": self.job}
        while True:
            reply = self.client.describe_log_streams(**request)
            names += [s["logStreamName"] for s in reply.get("logStreams", [])]
            if not reply.get("nextToken"):
                return names
            request["nextToken"] = reply["nextToken"]

    def _read(self, stream: str) -> list[LogLine]:
        lines: list[LogLine] = []
        while True:
            request: dict[str, Any] = {
                "logGroupName": self.group,
                "logStreamName": stream,
                "startFromHead": True,
            }
            if stream in self.tokens:
                request["nextToken"] = self.tokens[stream]
            reply = self.client.get_log_events(**request)
            lines += [
                LogLine(stream, int(e.get("timestamp", 0)), str(e.get("message", "")))
                for e in reply.get("events", [])
            ]
            token = reply.get("nextForwardToken")
            if not token or token == self.tokens.get(stream):
                return lines
            self.tokens[stream] = token

    def poll(self) -> list[str]:
        """The lines written since the last poll, rendered for the step's log. A stream
        whose read fails is read again from the same place next time. Raises
        ``Unavailable`` when the role may not read logs, ``NotNow`` on a passing error."""
        new: dict[str, list[LogLine]] = {}
        try:
            for stream in self._streams():
                new[stream] = self._read(stream)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code == "ResourceNotFoundException":
                return []  # the job has not written yet
            if code in DENIED:
                raise Unavailable(str(error)) from None
            raise NotNow(str(error)) from None
        except (BotoCoreError, OSError) as error:
            raise NotNow(str(error)) from None
        return [rendered(line, self.job) for line in merged(new)]


def open_logs(kind: Kind, region: str, job: str) -> JobLogs:
    """A follower with the default credentials; raises ``Unavailable`` when there are none."""
    session = botocore.session.get_session()
    if session.get_credentials() is None:
        raise Unavailable("no AWS credentials in the pod (IRSA, environment or instance profile)")
    client = session.create_client("logs", region_name=region)
    return JobLogs(client, kind.log_group, job)


class Source(Protocol):
    """Where a job's lines come from: new lines on each call, rendered for the step's log;
    raises ``Unavailable`` (for good) or ``NotNow`` (for this call)."""

    def poll(self) -> list[str]: ...


class Follower:
    """What the run loop uses: polls at most every ``POLL_SECONDS``, says each new line,
    and says once, then goes quiet, when logs cannot be read. ``what`` names them
    ("job logs": SageMaker's; "pod logs": a cluster job's)."""

    def __init__(
        self,
        logs: Source | None,
        say: Callable[[str], None],
        clock: Callable[[], float],
        why_not: str = "",
        what: str = "job logs",
    ) -> None:
        self.logs, self.say, self.clock, self.why_not = logs, say, clock, why_not
        self.what = what
        self.next_poll = clock()
        if logs is None and why_not:
            say(f"{what}: unavailable: {why_not}; the step carries on without them")

    def due_in(self) -> float | None:
        """Seconds until the next poll (None: not following)."""
        return None if self.logs is None else max(0.0, self.next_poll - self.clock())

    def poll(self, force: bool = False) -> None:
        if self.logs is None or (not force and self.clock() < self.next_poll):
            return
        self.next_poll = self.clock() + POLL_SECONDS
        try:
            lines = self.logs.poll()
        except Unavailable as why:
            self.say(f"{self.what}: unavailable: {why}; the step carries on without them")
            self.logs = None
            return
        except NotNow:
            return  # the next poll resumes from the same place
        for line in lines:
            self.say(line)
