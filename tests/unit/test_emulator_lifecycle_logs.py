"""What the emulator's processing, transform and labeling jobs write to CloudWatch Logs,
pure: their lines by a clock, per instance, cut short by a Stop, ended by the reason."""

from __future__ import annotations

from ack_components_sandbox.aws.emulator import job_logs, lifecycle, resources

TIMINGS = {lifecycle.JOB: 8.0, lifecycle.STOP: 1.0}
CREATED = 100.0


def processing(instances: int = 2, reason: str | None = None) -> lifecycle.Record:
    request = {
        "ProcessingJobName": "prep",
        "ProcessingResources": {
            "ClusterConfig": {"InstanceCount": instances, "InstanceType": "ml.m5.large"}
        },
    }
    return lifecycle.Record(
        resources.PROCESSING_JOB, "us-east-1", "arn:p", request, CREATED, reason
    )


def lines(events: list[job_logs.LogEvent]) -> list[tuple[str, float, str]]:
    return [(event.stream, event.timestamp / 1000, event.message) for event in events]


def test_each_instance_writes_its_run_into_its_own_stream_in_time_order() -> None:
    written = job_logs.lifecycle_events(processing(), TIMINGS, now=CREATED + 60)
    assert {event.group for event in written} == {"/aws/sagemaker/ProcessingJobs"}
    first, second = "prep/algo-1-100", "prep/algo-2-100"
    assert lines(written) == [
        (first, 100.0, "Starting the processing job on 2 x ml.m5.large"),
        (second, 100.001, "Starting the processing job on 2 x ml.m5.large"),
        (first, 102.0, "progress: 1/3"),
        (second, 102.001, "progress: 1/3"),
        (first, 104.0, "progress: 2/3"),
        (second, 104.001, "progress: 2/3"),
        (first, 106.0, "progress: 3/3"),
        (second, 106.001, "progress: 3/3"),
        (first, 108.0, "The processing job completed"),
        (second, 108.001, "The processing job completed"),
    ]


def test_only_what_is_due_is_written() -> None:
    written = job_logs.lifecycle_events(processing(1), TIMINGS, now=CREATED + 3)
    assert [event.message for event in written] == [
        "Starting the processing job on 1 x ml.m5.large",
        "progress: 1/3",
    ]


def test_a_failed_job_ends_with_its_reason() -> None:
    written = job_logs.lifecycle_events(processing(1, "ClientError: no rows"), TIMINGS, 200)
    assert written[-1].message == "ERROR: ClientError: no rows"
    assert written[-1].timestamp == 108_000


def test_a_stopped_job_ends_with_the_sigterm_and_writes_nothing_after() -> None:
    record = processing(1)
    record.actions.append((CREATED + 5, "stop"))
    written = job_logs.lifecycle_events(record, TIMINGS, now=CREATED + 60)
    assert [(event.timestamp / 1000, event.message) for event in written] == [
        (100.0, "Starting the processing job on 1 x ml.m5.large"),
        (102.0, "progress: 1/3"),
        (104.0, "progress: 2/3"),
        (105.0, job_logs.STOPPED_LINE),
    ]


def test_a_labeling_job_writes_one_stream_named_after_it() -> None:
    record = lifecycle.Record(
        resources.LABELING_JOB, "us-east-1", "arn:l", {"LabelingJobName": "label"}, CREATED, None
    )
    written = job_logs.lifecycle_events(record, TIMINGS, now=CREATED + 60)
    assert {(event.group, event.stream) for event in written} == {
        ("/aws/sagemaker/LabelingJobs", "label")
    }
    assert [event.message for event in written][::4] == [
        "Starting the labeling job",
        "The labeling job completed",
    ]


def test_a_tuning_jobs_training_jobs_write_to_the_training_jobs_group() -> None:
    request = {
        "HyperParameterTuningJobName": "hpo",
        "HyperParameterTuningJobConfig": {"ResourceLimits": {"MaxNumberOfTrainingJobs": 2}},
        "TrainingJobDefinition": {
            "ResourceConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge"}
        },
    }
    arn = "arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/hpo"
    record = lifecycle.Record(
        resources.HYPER_PARAMETER_TUNING_JOB, "us-east-1", arn, request, CREATED, None
    )
    written = job_logs.lifecycle_events(record, TIMINGS, now=CREATED + 60)
    jobs = [resources.tuning_training_job("hpo", arn, n) for n in (1, 2)]
    assert {(event.group, event.stream) for event in written} == {
        ("/aws/sagemaker/TrainingJobs", f"{job}/algo-1-100") for job in jobs
    }
    assert all(job.startswith("hpo-") for job in jobs)  # the step finds them by its name
    assert written[0].message == "Starting the training job on 1 x ml.m5.xlarge"
    assert written[-1].message == "The training job completed"
