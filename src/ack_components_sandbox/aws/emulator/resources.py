"""The emulator's table of SageMaker jobs, pipelines and model-monitor kinds, for ``lifecycle``.

Why a table: each row is everything the ACK controller (v1.9.1) observes about one kind —
its operations, status values, "not found" error (``pkg/resource/<kind>/sdk.go``), the
late-initialised members it waits for (``manager.go``) and the members Describe must return
(botocore's required output members). ``lifecycle.LifecycleStore`` serves the rows; adding a
kind here needs no new code. TrainingJob and the hosting kinds keep their own modules
(``training.py``, ``hosting.py``), which came first.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ack_components_sandbox.aws.emulator.lifecycle import Entry, NotFound, Phase, View
from ack_components_sandbox.aws.emulator.training import FAIL_TAG, JsonDict

_JOB_TIMES = {"CreationTime": "created", "LastModifiedTime": "modified"}
#: The not-found message ProcessingJob, TransformJob and LabelingJob share in SageMaker; the
#: controller matches the prefixes "Could not find requested job" (processing),
#: "… with name" (transform) and any ValidationException (labeling).
_JOB_NOT_FOUND = NotFound("ValidationException", "Could not find requested job with name {name}")
_RNF = "ResourceNotFound"


def _job(kind: str, arn_type: str, times: dict[str, str], **details: Any) -> Entry:
    """A job: InProgress for the job phase, then Completed or Failed; Stop → Stopping → Stopped."""
    return Entry(
        kind=kind,
        arn_type=arn_type,
        status_member=f"{kind}Status",
        phases=(Phase("InProgress"),),
        done="Completed",
        failed="Failed",
        stop=f"Stop{kind}",
        times=_JOB_TIMES | times,
        **details,
    )


def _objective(request: JsonDict) -> JsonDict:
    config = request.get("HyperParameterTuningJobConfig", {})
    found: JsonDict = config.get("HyperParameterTuningJobObjective", {})
    return found


def _objective_metrics(request: JsonDict) -> list[JsonDict]:
    """The metric definitions SageMaker fills in for a built-in algorithm: here, the objective."""
    name = str(_objective(request).get("MetricName") or "objective")
    return [{"Name": name, "Regex": f"{name}=(\\S+)"}]


def _tuned(request: JsonDict) -> dict[str, str]:
    """The hyperparameters the best training job ran with: the middle of each range."""
    ranges = request.get("HyperParameterTuningJobConfig", {}).get("ParameterRanges", {})
    tuned = {
        str(r["Name"]): str((int(r["MinValue"]) + int(r["MaxValue"])) // 2)
        for r in ranges.get("IntegerParameterRanges", [])
    }
    tuned.update(
        (str(r["Name"]), str((float(r["MinValue"]) + float(r["MaxValue"])) / 2))
        for r in ranges.get("ContinuousParameterRanges", [])
    )
    tuned.update(
        (str(r["Name"]), str(r["Values"][0]))
        for r in ranges.get("CategoricalParameterRanges", [])
        if r.get("Values")
    )
    return tuned


def tuning_training_job(tuning: str, arn: str, index: int) -> str:
    """SageMaker's name for a tuning job's ``index``-th training job:
    ``<tuning job>-<index>-<8 hex digits>``."""
    return f"{tuning}-{index:03d}-{hashlib.sha256(arn.encode()).hexdigest()[:8]}"


def tuning_budget(request: JsonDict) -> int:
    """How many training jobs a tuning job runs (its ``MaxNumberOfTrainingJobs``)."""
    limits = request.get("HyperParameterTuningJobConfig", {}).get("ResourceLimits", {})
    return int(limits.get("MaxNumberOfTrainingJobs") or 1)


def _tuning_results(view: View) -> JsonDict:
    """Training-job counters (every job of the budget done once the tuning job is) and, once
    it has completed, its best training job."""
    total = tuning_budget(view.request)
    done = total if view.status == "Completed" else 0
    failed = total if view.status == "Failed" else 0
    stopped = total if view.status == "Stopped" else 0
    running = total - done - failed - stopped
    out: JsonDict = {
        "TrainingJobStatusCounters": {
            "Completed": done,
            "InProgress": running,
            "RetryableError": 0,
            "NonRetryableError": failed,
            "Stopped": stopped,
        },
        "ObjectiveStatusCounters": {"Succeeded": done, "Pending": running, "Failed": failed},
    }
    if view.status == "Completed" and view.ended is not None:
        tuning = str(view.request["HyperParameterTuningJobName"])
        job = tuning_training_job(tuning, view.arn, total)
        objective = _objective(view.request)
        metric: JsonDict = {"MetricName": str(objective.get("MetricName") or "objective")}
        if "Type" in objective:
            metric["Type"] = objective["Type"]
        out["BestTrainingJob"] = {
            "TrainingJobName": job,
            "TrainingJobArn": view.arn.replace(
                f"hyper-parameter-tuning-job/{tuning.lower()}", f"training-job/{job.lower()}"
            ),
            "TuningJobName": tuning,
            "CreationTime": view.created,
            "TrainingStartTime": view.created,
            "TrainingEndTime": view.ended,
            "TrainingJobStatus": "Completed",
            "TunedHyperParameters": _tuned(view.request),
            "FinalHyperParameterTuningJobObjectiveMetric": {**metric, "Value": 0.0},
            "ObjectiveStatus": "Succeeded",
        }
    return out


_TRAINING_DEFAULTS = (
    ("EnableInterContainerTrafficEncryption", False),
    ("EnableManagedSpotTraining", False),
    ("EnableNetworkIsolation", False),
    ("ResourceConfig.InstanceCount", 1),
    ("AlgorithmSpecification.MetricDefinitions", _objective_metrics),
)

HYPER_PARAMETER_TUNING_JOB = _job(
    "HyperParameterTuningJob",
    "hyper-parameter-tuning-job/{name}",
    {"HyperParameterTuningEndTime": "ended"},
    not_found=NotFound(_RNF, "Amazon SageMaker can't find a tuning job with name {name}"),
    defaults=tuple(
        (f"{where}.{path}", value)
        for where in ("TrainingJobDefinition", "TrainingJobDefinitions.*")
        for path, value in _TRAINING_DEFAULTS
    ),
    extra=_tuning_results,
)

PROCESSING_JOB = _job(
    "ProcessingJob",
    "processing-job/{name}",
    {"ProcessingStartTime": "started", "ProcessingEndTime": "ended"},
    not_found=_JOB_NOT_FOUND,
)

TRANSFORM_JOB = _job(
    "TransformJob",
    "transform-job/{name}",
    {"TransformStartTime": "started", "TransformEndTime": "ended"},
    not_found=_JOB_NOT_FOUND,
    defaults=(("TransformInput.CompressionType", "None"), ("TransformInput.SplitType", "None")),
)


def _labeling_output(view: View) -> JsonDict:
    if view.status != "Completed":
        return {}
    prefix = str(view.request["OutputConfig"]["S3OutputPath"]).rstrip("/")
    name = view.request["LabelingJobName"]
    return {
        "LabelingJobOutput": {
            "OutputDatasetS3Uri": f"{prefix}/{name}/manifests/output/output.manifest"
        }
    }


LABELING_JOB = _job(
    "LabelingJob",
    "labeling-job/{name}",
    {},
    not_found=_JOB_NOT_FOUND,
    defaults=(
        ("HumanTaskConfig.MaxConcurrentTaskCount", 1000),
        ("HumanTaskConfig.TaskAvailabilityLifetimeInSeconds", 864000),
        ("LabelingJobAlgorithmsConfig.LabelingJobResourceConfig", {"VolumeKmsKeyId": ""}),
        ("OutputConfig.KmsKeyId", ""),
    ),
    always={
        "LabelCounters": {
            "TotalLabeled": 0,
            "HumanLabeled": 0,
            "MachineLabeled": 0,
            "FailedNonRetryableError": 0,
            "Unlabeled": 0,
        },
        "JobReferenceCode": "emulator",
    },
    extra=_labeling_output,
)

PIPELINE = Entry(
    kind="Pipeline",
    arn_type="pipeline/{name}",
    status_member="PipelineStatus",
    done="Active",
    not_found=NotFound(_RNF, "Pipeline '{arn}' does not exist."),
    in_use=NotFound(
        "ResourceInUse", "Pipeline names must be unique within an AWS account and region."
    ),
    update="UpdatePipeline",
    updatable=frozenset(
        {
            "PipelineDisplayName",
            "PipelineDefinition",
            "PipelineDefinitionS3Location",
            "PipelineDescription",
            "RoleArn",
            "ParallelismConfiguration",
        }
    ),
    delete="DeletePipeline",
    deleting=Phase("Deleting"),
)


def _pipeline_execution_fail(request: JsonDict) -> str | None:
    """StartPipelineExecution has no Tags: a parameter named like the fail tag asks to fail."""
    for parameter in request.get("PipelineParameters") or []:
        if isinstance(parameter, dict) and parameter.get("Name") == FAIL_TAG:
            return str(parameter.get("Value", ""))
    return None


def _pipeline_arn(view: View) -> JsonDict:
    return {"PipelineArn": PIPELINE.arn(view.region, view.request)}


PIPELINE_EXECUTION = Entry(
    kind="PipelineExecution",
    arn_type="pipeline/{PipelineName}/execution/{id}",
    named_by_arn=True,
    status_member="PipelineExecutionStatus",
    phases=(Phase("Executing"),),
    done="Succeeded",
    failed="Failed",
    not_found=NotFound(_RNF, "Pipeline execution '{arn}' does not exist"),
    create="StartPipelineExecution",
    stop="StopPipelineExecution",
    update="UpdatePipelineExecution",
    updatable=frozenset(
        {"PipelineExecutionDescription", "PipelineExecutionDisplayName", "ParallelismConfiguration"}
    ),
    requires=(("PipelineName", "Pipeline"),),
    fail_reason=_pipeline_execution_fail,
    extra=_pipeline_arn,
)


def _monitoring_type(view: View) -> JsonDict:
    config = view.request.get("MonitoringScheduleConfig", {})
    kind = config.get("MonitoringType") or "DataQuality"
    return {"MonitoringType": kind}


MONITORING_SCHEDULE = Entry(
    kind="MonitoringSchedule",
    arn_type="monitoring-schedule/{name}",
    status_member="MonitoringScheduleStatus",
    phases=(Phase("Pending"),),
    done="Scheduled",
    failed="Failed",
    not_found=NotFound(_RNF, "Monitoring Schedule {arn} not found"),
    in_use=NotFound("ResourceInUse", "Monitoring Schedule {arn} already exists"),
    update="UpdateMonitoringSchedule",
    updatable=frozenset({"MonitoringScheduleConfig"}),
    updating=Phase("Pending"),
    delete="DeleteMonitoringSchedule",
    extra=_monitoring_type,
)


def _job_definition(check: str, arn_type: str) -> Entry:
    """A model-monitor job definition: stored as sent until deleted; no status."""
    return Entry(
        kind=f"{check}JobDefinition",
        arn_type=f"{arn_type}/{{name}}",
        name_member="JobDefinitionName",
        arn_member="JobDefinitionArn",
        not_found=NotFound(_RNF, "Could not find job definition {name}."),
        in_use=NotFound("ResourceInUse", "Job definition {name} already exists."),
        delete=f"Delete{check}JobDefinition",
        times={"CreationTime": "created"},
    )


DATA_QUALITY_JOB_DEFINITION = _job_definition("DataQuality", "data-quality-job-definition")
MODEL_BIAS_JOB_DEFINITION = _job_definition("ModelBias", "model-bias-job-definition")
MODEL_EXPLAINABILITY_JOB_DEFINITION = _job_definition(
    "ModelExplainability", "model-explainability-job-definition"
)
MODEL_QUALITY_JOB_DEFINITION = _job_definition("ModelQuality", "model-quality-job-definition")

ENTRIES = (
    HYPER_PARAMETER_TUNING_JOB,
    PROCESSING_JOB,
    TRANSFORM_JOB,
    LABELING_JOB,
    PIPELINE,
    PIPELINE_EXECUTION,
    MONITORING_SCHEDULE,
    DATA_QUALITY_JOB_DEFINITION,
    MODEL_BIAS_JOB_DEFINITION,
    MODEL_EXPLAINABILITY_JOB_DEFINITION,
    MODEL_QUALITY_JOB_DEFINITION,
)
