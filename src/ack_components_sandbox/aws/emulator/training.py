"""SageMaker TrainingJob semantics for the emulator, as pure functions of a stored request and a clock.

Why this exists: moto stores a training job as ``Completed`` the moment it is created, drops
several request fields and has no Stop/Update, so a controller that polls a job never sees it
run. Here a job's whole history is a function of the time elapsed since CreateTrainingJob
(and of a StopTrainingJob time, if any): no background threads, so the behaviour is
deterministic for a given clock and costs nothing while nobody asks. Nothing in this module
imports moto or botocore; ``server.py`` wires it to HTTP.
"""

from __future__ import annotations

import copy
import re
import threading
import time
from collections.abc import Callable, Container
from dataclasses import dataclass
from typing import Any

ACCOUNT_ID = "123456789012"  # moto's default account, so STS and SageMaker ARNs agree
FAIL_TAG = "emulator.ack-components/fail"
#: A Create tagged with this key runs for the tag's value in seconds instead of the
#: emulator's ``--training-seconds`` (a test that stops or interrupts a job needs it to
#: run longer than the others).
SECONDS_TAG = "emulator.ack-components/seconds"
STOP_SECONDS = 1.0
NOT_FOUND = "Requested resource not found."  # the controller matches this prefix

# (SecondaryStatus, start as a fraction of the run, StatusMessage as AWS words it)
PHASES = (
    ("Starting", 0.0, "Preparing the instances for training"),
    ("Downloading", 0.2, "Downloading input data"),
    ("Training", 0.4, "Training image download completed. Training in progress."),
    ("Uploading", 0.8, "Uploading generated training model"),
)
#: The training the emulated algorithm does: this many epochs, its loss going down (the
#: job's log lines, ``job_logs.py``, and its FinalMetricDataList agree).
EPOCHS = 5


def train_loss(epoch: int) -> float:
    return round(0.9 * 0.6**epoch, 4)


_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
_TERMINAL = ("Completed", "Failed", "Stopped")

JsonDict = dict[str, Any]


class ApiError(Exception):
    """An AWS-style error: the JSON ``__type`` code, its message and the HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Event:
    status: str
    start: float
    message: str


@dataclass
class Job:
    request: JsonDict
    arn: str
    created: float
    duration: float
    fail_reason: str | None = None
    stopped_at: float | None = None
    updated_at: float | None = None

    @property
    def name(self) -> str:
        return str(self.request["TrainingJobName"])

    def timeline(self) -> list[Event]:
        """Every SecondaryStatus the job will pass through, the terminal one last."""
        events = [Event(s, self.created + f * self.duration, m) for s, f, m in PHASES]
        end = self.created + self.duration
        if self.fail_reason is not None:
            events = [e for e in events if e.status != "Uploading"]
            final = Event("Failed", end, f"Training job failed. Reason: {self.fail_reason}")
        else:
            final = Event("Completed", end, "Training job completed")
        if self.stopped_at is not None and self.stopped_at < end:
            at = self.stopped_at
            events = [e for e in events if e.start < at]
            events.append(Event("Stopping", at, "Stopping the training job"))
            final = Event("Stopped", at + STOP_SECONDS, "Training job stopped")
        return [*events, final]

    def status(self, now: float) -> tuple[str, list[Event], bool]:
        """(TrainingJobStatus, the events reached by ``now``, whether the job has ended)."""
        timeline = self.timeline()
        seen = [e for e in timeline if e.start <= now] or timeline[:1]
        last = seen[-1]
        ended = len(seen) == len(timeline)
        if ended or last.status == "Stopping":
            return last.status, seen, ended
        return "InProgress", seen, False

    def warm_pool(self, now: float) -> JsonDict | None:
        keep = self.request.get("ResourceConfig", {}).get("KeepAlivePeriodInSeconds")
        status, seen, ended = self.status(now)
        if not keep or not ended:
            return None
        if status == "Completed" and now < seen[-1].start + keep:
            return {"Status": "Available"}
        billed = int(keep) if status == "Completed" else 0
        return {"Status": "Terminated", "ResourceRetainedBillableTimeInSeconds": billed}

    def describe(self, now: float, members: Container[str]) -> JsonDict:
        """The DescribeTrainingJob response at ``now``.

        ``members`` are DescribeTrainingJob's output members: every request field among them
        is echoed as sent, and structures that were not sent stay absent (never ``{}``).
        """
        out = {k: copy.deepcopy(v) for k, v in self.request.items() if k in members}
        status, seen, ended = self.status(now)
        last = seen[-1]
        for flag in (
            "EnableNetworkIsolation",
            "EnableInterContainerTrafficEncryption",
            "EnableManagedSpotTraining",
        ):
            out.setdefault(flag, False)
        if "AlgorithmSpecification" in out:
            out["AlgorithmSpecification"].setdefault("EnableSageMakerMetricsTimeSeries", False)
        output = out.get("OutputDataConfig", {})
        if "OutputDataConfig" in out:
            output.setdefault("KmsKeyId", "")
            output.setdefault("CompressionType", "GZIP")
        if "ResourceConfig" in out:
            resources = out["ResourceConfig"]
            resources.setdefault("InstanceCount", 0 if resources.get("InstanceGroups") else 1)
        out["ProfilingStatus"] = (
            "Enabled"
            if "ProfilerConfig" in out and not out["ProfilerConfig"].get("DisableProfiler")
            else "Disabled"
        )
        out.update(
            TrainingJobName=self.name,
            TrainingJobArn=self.arn,
            TrainingJobStatus=status,
            SecondaryStatus=last.status,
            CreationTime=self.created,
            LastModifiedTime=max(last.start, self.updated_at or self.created),
            SecondaryStatusTransitions=_transitions(seen, ended),
        )
        started = next((e.start for e in seen if e.status == "Downloading"), None)
        if started is not None:
            out["TrainingStartTime"] = started
        if ended:
            out["TrainingEndTime"] = last.start
            if started is not None:
                seconds = max(1, round(last.start - started))
                out["TrainingTimeInSeconds"] = out["BillableTimeInSeconds"] = seconds
        if status == "Completed" and "S3OutputPath" in output:
            prefix = output["S3OutputPath"].rstrip("/")
            out["ModelArtifacts"] = {
                "S3ModelArtifacts": f"{prefix}/{self.name}/output/model.tar.gz"
            }
        if status == "Completed":
            out["FinalMetricDataList"] = [
                {"MetricName": "train:loss", "Value": train_loss(EPOCHS), "Timestamp": last.start}
            ]
        if status == "Failed":
            out["FailureReason"] = self.fail_reason
        pool = self.warm_pool(now)
        if pool is not None:
            out["WarmPoolStatus"] = pool
        rule_status = {"Completed": "NoIssuesFound", "Failed": "NoIssuesFound"}.get(
            status, "Stopped" if status == "Stopped" else "InProgress"
        )
        for kind in ("Debug", "Profiler"):
            rules = out.get(f"{kind}RuleConfigurations")
            if rules:
                out[f"{kind}RuleEvaluationStatuses"] = [
                    {
                        "RuleConfigurationName": rule["RuleConfigurationName"],
                        "RuleEvaluationStatus": rule_status,
                        "LastModifiedTime": out["LastModifiedTime"],
                    }
                    for rule in rules
                ]
        return out


def tag_seconds(request: JsonDict) -> float | None:
    """How long a Create asks its job (each scheduled phase) to last with its tags, if it
    does; ValidationException when the value is not a number of seconds."""
    for tag in request.get("Tags") or []:
        if isinstance(tag, dict) and tag.get("Key") == SECONDS_TAG:
            try:
                return float(tag.get("Value", ""))
            except ValueError:
                raise ApiError(
                    "ValidationException", f"tag {SECONDS_TAG}: not a number of seconds"
                ) from None
    return None


def _transitions(seen: list[Event], ended: bool) -> list[JsonDict]:
    result: list[JsonDict] = []
    for index, event in enumerate(seen):
        item: JsonDict = {"Status": event.status, "StartTime": event.start}
        if index + 1 < len(seen):
            item["EndTime"] = seen[index + 1].start
        elif ended:
            item["EndTime"] = event.start
        item["StatusMessage"] = event.message
        result.append(item)
    return result


def _not_found() -> ApiError:
    return ApiError("ValidationException", NOT_FOUND)


class Store:
    """All training jobs, keyed by (region, name); every method is thread-safe."""

    def __init__(
        self,
        training_seconds: float,
        describe_members: Container[str],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.training_seconds = training_seconds
        self.describe_members = describe_members
        self.clock = clock
        self._jobs: dict[tuple[str, str], Job] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._jobs.clear()

    def jobs(self, region: str) -> list[Job]:
        with self._lock:
            return [job for (where, _), job in self._jobs.items() if where == region]

    def _get(self, region: str, params: JsonDict) -> Job:
        job = self._jobs.get((region, str(params.get("TrainingJobName"))))
        if job is None:
            raise _not_found()
        return job

    def create(self, region: str, params: JsonDict) -> JsonDict:
        name = str(params["TrainingJobName"])
        if not _NAME.match(name):
            raise ApiError(
                "ValidationException",
                f"1 validation error detected: Value '{name}' at 'trainingJobName' failed to "
                "satisfy constraint: Member must satisfy regular expression pattern: "
                "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
            )
        arn = f"arn:aws:sagemaker:{region}:{ACCOUNT_ID}:training-job/{name.lower()}"
        tags = {t.get("Key"): t.get("Value", "") for t in params.get("Tags") or []}
        duration = tag_seconds(params)
        if duration is None:
            duration = self.training_seconds
        with self._lock:
            if (region, name) in self._jobs:
                raise ApiError(
                    "ResourceInUse",
                    "Training job names must be unique within an AWS account and region, "
                    f"and a training job with this name already exists ({arn})",
                )
            self._jobs[(region, name)] = Job(
                request=copy.deepcopy(params),
                arn=arn,
                created=self.clock(),
                duration=duration,
                fail_reason=tags.get(FAIL_TAG),
            )
        return {"TrainingJobArn": arn}

    def describe(self, region: str, params: JsonDict) -> JsonDict:
        with self._lock:
            return self._get(region, params).describe(self.clock(), self.describe_members)

    def stop(self, region: str, params: JsonDict) -> JsonDict:
        with self._lock:
            job = self._get(region, params)
            now = self.clock()
            status = job.status(now)[0]
            if status != "InProgress":
                raise ApiError(
                    "ValidationException",
                    f"The request was rejected because the training job is in status {status}.",
                )
            job.stopped_at = now
        return {}

    def update(self, region: str, params: JsonDict) -> JsonDict:
        """UpdateTrainingJob: only the warm pool's keep-alive, the profiler and remote debug."""
        with self._lock:
            job = self._get(region, params)
            now = self.clock()
            status = job.status(now)[0]
            updatable = (
                "ResourceConfig",
                "ProfilerConfig",
                "ProfilerRuleConfigurations",
                "RemoteDebugConfig",
            )
            if not any(k in params for k in updatable):
                raise ApiError(
                    "ValidationException",
                    "Nothing to update: specify at least one of ResourceConfig, ProfilerConfig, ProfilerRuleConfigurations, RemoteDebugConfig.",
                )
            request = job.request
            keep = (params.get("ResourceConfig") or {}).get("KeepAlivePeriodInSeconds")
            if keep is not None:
                if request.get("ResourceConfig", {}).get("KeepAlivePeriodInSeconds") is None:
                    raise ApiError(
                        "ValidationException",
                        "The training job was created without a warm pool: KeepAlivePeriodInSeconds can only be set at creation time.",
                    )
                pool = job.warm_pool(now)
                if status != "InProgress" and (pool is None or pool["Status"] != "Available"):
                    raise ApiError(
                        "ValidationException",
                        f"The warm pool of training job {job.name} cannot be updated: the job status is {status} and the warm pool is not Available.",
                    )
            if (
                "ProfilerConfig" in params or "ProfilerRuleConfigurations" in params
            ) and status != "InProgress":
                raise ApiError(
                    "ValidationException",
                    f"The profiler can only be updated while the training job is InProgress; the job status is {status}.",
                )
            if keep is not None:
                request["ResourceConfig"]["KeepAlivePeriodInSeconds"] = keep
            for key in ("ProfilerConfig", "RemoteDebugConfig"):
                if key in params:
                    request[key] = {**request.get(key, {}), **copy.deepcopy(params[key])}
            if "ProfilerRuleConfigurations" in params:
                rules = {
                    r["RuleConfigurationName"]: r
                    for r in request.get("ProfilerRuleConfigurations", [])
                }
                rules.update(
                    {
                        r["RuleConfigurationName"]: copy.deepcopy(r)
                        for r in params["ProfilerRuleConfigurations"]
                    }
                )
                request["ProfilerRuleConfigurations"] = list(rules.values())
            job.updated_at = now
            return {"TrainingJobArn": job.arn}

    def list(self, region: str, params: JsonDict) -> JsonDict:
        """ListTrainingJobs with NameContains, StatusEquals, SortBy/SortOrder and paging."""
        with self._lock:
            now = self.clock()
            described = [
                j.describe(now, self.describe_members)
                for (r, _), j in self._jobs.items()
                if r == region
            ]
        contains = str(params.get("NameContains") or "").lower()
        wanted = params.get("StatusEquals")
        keys = (
            "TrainingJobName",
            "TrainingJobArn",
            "CreationTime",
            "TrainingEndTime",
            "LastModifiedTime",
            "TrainingJobStatus",
            "SecondaryStatus",
            "WarmPoolStatus",
        )
        rows = [
            {k: d[k] for k in keys if k in d}
            for d in described
            if contains in d["TrainingJobName"].lower() and wanted in (None, d["TrainingJobStatus"])
        ]
        sort_key = {"Name": "TrainingJobName", "Status": "TrainingJobStatus"}.get(
            str(params.get("SortBy")), "CreationTime"
        )
        rows.sort(key=lambda row: row[sort_key], reverse=params.get("SortOrder") == "Descending")
        start = int(params.get("NextToken") or 0)
        size = int(params.get("MaxResults") or 100)
        page: JsonDict = {"TrainingJobSummaries": rows[start : start + size]}
        if start + size < len(rows):
            page["NextToken"] = str(start + size)
        return page
