"""The job's numbers as KFP v1 run metrics (``mlpipeline-metrics``), so runs can be compared.

KFP 1.8's persistence agent reads a step's ``mlpipeline-metrics`` artifact as
``{"metrics": [{"name", "numberValue", "format"}]}`` (its ``ReportRunMetricsRequest``),
keeps at most 50 per run and refuses a name outside ``[a-zA-Z]([-_a-zA-Z0-9]{0,62}
[a-zA-Z0-9])?``; the UI then shows them in the runs list and in run comparisons.
A tuning job's best objective is in its custom resource's status. A training job's
final metrics (``FinalMetricDataList``) are not in ACK's TrainingJob status, so they are
read from SageMaker's DescribeTrainingJob with the pod's AWS credentials (as the job
logs are); without credentials or permission the step has no metrics and says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import botocore.session
from botocore.exceptions import BotoCoreError, ClientError

from ack_components.kinds import Kind

MAX_METRICS = 50
NAME = re.compile(r"^[a-zA-Z]([-_a-zA-Z0-9]{0,62}[a-zA-Z0-9])?$")
_INVALID = re.compile(r"[^-_a-zA-Z0-9]+")


def metric_name(text: str) -> str:
    """A SageMaker metric name (``validation:accuracy``) as a name KFP accepts
    (``validation-accuracy``)."""
    name = _INVALID.sub("-", text).strip("-_")
    if not name or not name[0].isalpha():
        name = f"m-{name}"
    return name[:64].rstrip("-_")


def document(pairs: Iterable[tuple[str, float]]) -> dict[str, Any]:
    """KFP's metrics file; a name seen twice keeps its first value (as KFP does)."""
    metrics: dict[str, float] = {}
    for text, value in pairs:
        metrics.setdefault(metric_name(text), float(value))
    return {
        "metrics": [
            {"name": name, "numberValue": value, "format": "RAW"}
            for name, value in list(metrics.items())[:MAX_METRICS]
        ]
    }


def from_tuning(status: dict[str, Any]) -> list[tuple[str, float]]:
    best = (status.get("bestTrainingJob") or {}).get("finalHyperParameterTuningJobObjectiveMetric")
    if not best or best.get("value") is None:
        return []
    return [(str(best.get("metricName") or "objective"), float(best["value"]))]


def from_training(described: dict[str, Any]) -> list[tuple[str, float]]:
    """DescribeTrainingJob's ``FinalMetricDataList``."""
    return [
        (str(metric["MetricName"]), float(metric["Value"]))
        for metric in described.get("FinalMetricDataList") or []
        if "MetricName" in metric and "Value" in metric
    ]


class Unavailable(Exception):
    """The job's metrics cannot be read here; the message says why."""


def describe_training_job(region: str, name: str) -> dict[str, Any]:
    session = botocore.session.get_session()
    if session.get_credentials() is None:
        raise Unavailable("no AWS credentials in the pod (IRSA, environment or instance profile)")
    client = session.create_client("sagemaker", region_name=region)
    try:
        described: dict[str, Any] = client.describe_training_job(TrainingJobName=name)
    except (ClientError, BotoCoreError) as error:
        raise Unavailable(str(error)) from error
    return described


def collect(
    kind: Kind, resource: dict[str, Any], region: str, name: str
) -> list[tuple[str, float]]:
    """The kind's metrics for a finished resource; raises ``Unavailable``."""
    if kind.metrics_source == "tuning":
        return from_tuning(resource.get("status") or {})
    if kind.metrics_source == "training":
        return from_training(describe_training_job(region, name))
    return []
