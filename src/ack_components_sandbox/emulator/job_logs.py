"""What a training job writes to CloudWatch Logs, as a pure function of the job and a clock.

SageMaker sends each training instance's output to the log group
``/aws/sagemaker/TrainingJobs``, one stream per instance named
``<job>/algo-<n>-<epoch seconds of the start>``. A step that follows its job reads them
from there, so the emulator writes them too: for each instance, a start line, the
download, a loss line per epoch that goes down as training goes on, the upload and the
end; a failed job's last line is its failure reason, a stopped job's the SIGTERM it got.
Like ``training.Job``, the lines are a function of the time elapsed (no threads): the
server writes into moto's CloudWatch Logs whatever has become due before it answers a
Logs call (``server.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ack_components_sandbox.emulator.training import EPOCHS, Job, train_loss

GROUP = "/aws/sagemaker/TrainingJobs"
#: Where in the job's run the epochs fall (the Training phase of ``training.PHASES``).
TRAINING_SPAN = (0.4, 0.8)


@dataclass(frozen=True)
class LogEvent:
    stream: str
    timestamp: int  # milliseconds since the epoch, as CloudWatch Logs counts
    message: str


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
    script = _script(job)
    if job.stopped_at is not None and job.stopped_at < job.created + job.duration:
        kept = [(at, line) for at, line in script if job.created + at < job.stopped_at]
        script = [*kept, (job.stopped_at - job.created, "Received SIGTERM: stopping the job")]
    found = [
        LogEvent(stream, int((job.created + at) * 1000) + n, line)
        for at, line in script
        for n, stream in enumerate(streams(job))
        if job.created + at <= now
    ]
    return sorted(found, key=lambda event: (event.timestamp, event.stream))
