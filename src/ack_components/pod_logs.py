"""A cluster job's pod logs, followed into the step's log while the step waits.

A PyTorchJob's work runs in its replicas' pods (``<job>-master-0``, ``<job>-worker-0``,
…), which Kubeflow's training operator labels with the job's name. What a user reads
when the training goes wrong is those pods' output (the loss going down, or Python's
traceback), so the step prints it, each line prefixed by its pod, as the TrainingJob
step prints SageMaker's CloudWatch log. ``PodLogs.poll`` reads every container's log
with Kubernetes' timestamps and keeps, per container, the newest timestamp printed: a
later poll asks only for the last seconds and drops what it already printed, so
nothing is printed twice. A pod still starting is read on a later poll. Without
permission to list pods or read their logs, one line says so and the step carries on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubernetes.client import CoreV1Api
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

from ack_components.job_logs import NotNow, Unavailable

#: Seconds of overlap asked for beyond the newest line printed (clock skew, late lines).
OVERLAP_SECONDS = 10


def timestamp(text: str) -> tuple[int, int]:
    """Kubernetes' RFC 3339 time with up to nine fraction digits → (whole seconds as
    YYYYMMDDhhmmss, nanoseconds), which order as the times do."""
    whole, _, fraction = text.rstrip("Z").partition(".")
    digits = "".join(ch for ch in whole if ch.isdigit())
    return int(digits or 0), int((fraction + "000000000")[:9])


def split_line(line: str) -> tuple[tuple[int, int], str]:
    """``<time> <message>`` as the log API writes it with ``timestamps=true``."""
    stamp, _, message = line.partition(" ")
    return timestamp(stamp), message


@dataclass
class PodLogs:
    """Follows the logs of the pods labelled ``selector`` in ``namespace``."""

    core: Any  # a kubernetes CoreV1Api
    namespace: str
    selector: str
    #: The newest line printed, per (pod, container).
    seen: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    #: Wall time (time.time()) of the last poll that read anything, per (pod, container).
    read_at: dict[tuple[str, str], float] = field(default_factory=dict)

    def poll(self, now: float) -> list[str]:
        try:
            pods = self.core.list_namespaced_pod(self.namespace, label_selector=self.selector)
        except ApiException as error:
            raise self._error(error, "list pods") from None
        new: list[tuple[tuple[int, int], str, str]] = []
        for pod in sorted(pods.items, key=lambda p: p.metadata.name):
            containers = [c.name for c in pod.spec.containers]
            for container in containers:
                key = (pod.metadata.name, container)
                where = pod.metadata.name if len(containers) == 1 else "/".join(key)
                for stamp, message in self._read(key, now):
                    new.append((stamp, where, message))
        return [f"[{where}] {message}" for _, where, message in sorted(new)]

    def _read(self, key: tuple[str, str], now: float) -> list[tuple[tuple[int, int], str]]:
        pod, container = key
        request: dict[str, Any] = {"container": container, "timestamps": True}
        if key in self.read_at:
            request["since_seconds"] = max(1, int(now - self.read_at[key]) + OVERLAP_SECONDS)
        try:
            text = self.core.read_namespaced_pod_log(pod, self.namespace, **request)
        except ApiException as error:
            if error.status == 400:  # the container has not started yet
                return []
            raise self._error(error, "read pods/log") from None
        self.read_at[key] = now
        last = self.seen.get(key, (0, 0))
        lines = [split_line(line) for line in str(text or "").splitlines() if line]
        fresh = [(stamp, message) for stamp, message in lines if stamp > last]
        if fresh:
            self.seen[key] = max(stamp for stamp, _ in fresh)
        return fresh

    def _error(self, error: ApiException, what: str) -> Exception:
        if error.status in (401, 403):
            return Unavailable(
                f"no permission to {what} in namespace {self.namespace!r} "
                "(`ack-components rbac --pytorchjobs` grants it)"
            )
        return NotNow(f"{what}: {error.status} {error.reason}")


@dataclass
class Source:
    """``PodLogs`` as a ``job_logs.Source``: polled with the wall clock."""

    logs: PodLogs
    wall: Any  # () -> float, time.time in the step

    def poll(self) -> list[str]:
        try:
            return self.logs.poll(self.wall())
        except (OSError, HTTPError) as error:  # the connection
            raise NotNow(str(error)) from None


def open_logs(api_client: Any, namespace: str, label: str, job: str, wall: Any) -> Source:
    return Source(PodLogs(CoreV1Api(api_client), namespace, f"{label}={job}"), wall)
