"""What a job writes to CloudWatch Logs, as a pure function of the job and a clock.

SageMaker sends each training instance's output to the log group
``/aws/sagemaker/TrainingJobs``, one stream per instance named
``<job>/algo-<n>-<epoch seconds of the start>``. A step that follows its job reads them
from there, so the emulator writes them too: for each instance, a start line, the
download, a loss line per epoch that goes down as training goes on, the upload and the
end; a failed job's last line is its failure reason, a stopped job's the SIGTERM it got.
Processing, transform and labeling jobs (the lifecycle table's) write to their own
groups (``LIFECYCLE``) in the same way: a start line, progress through their InProgress
phase, and the end, the failure reason or the SIGTERM; a tuning job's training jobs
(``<tuning job>-<index>-<hex>``) write theirs to the training jobs' group.
Like ``training.Job``, the lines are a function of the time elapsed (no threads): the
server writes into moto's CloudWatch Logs whatever has become due before it answers a
Logs call (``server.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from ack_components_sandbox.aws.emulator.lifecycle import Event, Record, timeline
from ack_components_sandbox.aws.emulator.resources import tuning_budget, tuning_training_job
from ack_components_sandbox.aws.emulator.training import EPOCHS, Job, train_loss

GROUP = "/aws/sagemaker/TrainingJobs"
#: Where in the job's run the epochs fall (the Training phase of ``training.PHASES``).
TRAINING_SPAN = (0.4, 0.8)


@dataclass(frozen=True)
class Writer:
    """How a lifecycle kind's jobs log: their group, what a line calls the job, and where
    the request says how many instances of which type run (none: one stream, named after
    the job, as labeling's)."""

    group: str
    what: str
    resources: str = ""
    #: Whether the lines are its training jobs' (a tuning job's), not its own.
    tuning: bool = False


LIFECYCLE = {
    "ProcessingJob": Writer(
        "/aws/sagemaker/ProcessingJobs", "processing job", "ProcessingResources.ClusterConfig"
    ),
    "TransformJob": Writer("/aws/sagemaker/TransformJobs", "transform job", "TransformResources"),
    "LabelingJob": Writer("/aws/sagemaker/LabelingJobs", "labeling job"),
    "HyperParameterTuningJob": Writer(
        GROUP, "training job", "TrainingJobDefinition.ResourceConfig", tuning=True
    ),
}
#: A lifecycle job's progress lines, spread over its InProgress phase.
STAGES = 4
STOPPED_LINE = "Received SIGTERM: stopping the job"


@dataclass(frozen=True)
class LogEvent:
    stream: str
    timestamp: int  # milliseconds since the epoch, as CloudWatch Logs counts
    message: str
    group: str = GROUP


def instances(job: Job) -> int:
    return int(job.request.get("ResourceConfig", {}).get("InstanceCount") or 1)


def streams(job: Job) -> list[str]:
    return [f"{job.name}/algo-{n}-{int(job.created)}" for n in range(1, instances(job) + 1)]


def _script(job: Job) -> list[tuple[float, str]]:
    """(seconds after the start, line) that one instance writes over the whole run."""
    resources = job.request.get("ResourceConfig", {})
    channels = job.request.get("InputDataConfig") or [{}]
    source = channels[0].get("DataSource", {}).get("S3DataSource", {}).get("S3Uri", "(no input)")
    output = job.request.get("OutputDataConfig", {}).get("S3OutputPath", "")
    begin, end = (fraction * job.duration for fraction in TRAINING_SPAN)
    lines = [
        (0.0, f"Starting training on {instances(job)} x {resources.get('InstanceType', '?')}"),
        (0.2 * job.duration, f"Downloading the input data from {source}"),
    ]
    for epoch in range(1, EPOCHS + 1):
        at = begin + (end - begin) * epoch / (EPOCHS + 1)
        lines.append((at, f"epoch {epoch}/{EPOCHS}: train_loss={train_loss(epoch):.4f}"))
    if job.fail_reason is not None:
        lines.append((job.duration, f"ERROR: {job.fail_reason}"))
    else:
        lines.append(
            (0.8 * job.duration, f"Uploading the model to {output}/{job.name}/output/model.tar.gz")
        )
        lines.append((job.duration, "Training complete"))
    return lines


def events(job: Job, now: float) -> list[LogEvent]:
    """Every line written by ``now``, in time order (the instances' lines interleaved)."""
    script = [(job.created + at, line) for at, line in _script(job)]
    if job.stopped_at is not None and job.stopped_at < job.created + job.duration:
        kept = [(at, line) for at, line in script if at < job.stopped_at]
        script = [*kept, (job.stopped_at, STOPPED_LINE)]
    return _written(script, streams(job), GROUP, now)


def _written(
    script: list[tuple[float, str]], names: list[str], group: str, now: float
) -> list[LogEvent]:
    """The lines of ``script`` (moment, line) due by ``now``, once per stream, in time
    order; instance ``n``'s copy of a line is ``n`` ms later, so each stream's are distinct."""
    found = [
        LogEvent(stream, int(at * 1000) + n, line, group)
        for at, line in script
        for n, stream in enumerate(names)
        if at <= now
    ]
    return sorted(found, key=lambda event: (event.timestamp, event.stream))


def _member(request: dict[str, Any], path: str) -> dict[str, Any]:
    found: Any = request
    for key in path.split(".") if path else []:
        found = found.get(key) if isinstance(found, dict) else None
    return found if isinstance(found, dict) else {}


def lifecycle_events(record: Record, timings: Mapping[str, float], now: float) -> list[LogEvent]:
    """What a lifecycle job (``LIFECYCLE``) has written by ``now``: its progress spread over
    the run it was scheduled for, cut short by a Stop."""
    entry = record.entry
    writer = LIFECYCLE[entry.kind]
    resources = _member(record.request, writer.resources)
    count = int(resources.get("InstanceCount") or 1) if writer.resources else 0
    jobs = [record.name]
    if writer.tuning:
        total = tuning_budget(record.request)
        jobs = [tuning_training_job(record.name, record.arn, n) for n in range(1, total + 1)]
    names = [f"{job}/algo-{n}-{int(record.created)}" for job in jobs for n in range(1, count + 1)]
    on = f" on {count} x {resources.get('InstanceType', '?')}" if count else ""
    ends = {
        entry.done: f"The {writer.what} completed",
        entry.failed: f"ERROR: {record.fail_reason}",
    }
    planned = _first(timeline(replace(record, actions=[]), timings)[0], set(ends))
    end = _first(timeline(record, timings)[0], {*ends, entry.stopping.status, entry.stopped})
    if planned is None or end is None:
        return []
    span = planned.start - record.created
    script = [(record.created, f"Starting the {writer.what}{on}")]
    script += [
        (record.created + span * stage / STAGES, f"progress: {stage}/{STAGES - 1}")
        for stage in range(1, STAGES)
        if record.created + span * stage / STAGES < end.start
    ]
    script.append((end.start, ends.get(end.status, STOPPED_LINE)))
    return _written(script, names or jobs, writer.group, now)


def _first(events: list[Event], statuses: set[str | None]) -> Event | None:
    return next((event for event in events if event.status in statuses), None)
