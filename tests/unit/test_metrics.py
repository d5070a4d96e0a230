"""Run metrics, pure: what SageMaker reports becomes a file KFP 1.8 keeps and shows.

KFP's persistence agent drops a metric whose name breaks its pattern and keeps at most 50
per run; the names, values and format checked here are those its API takes.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kfp_server_api.models import ApiRunMetric, RunMetricFormat

from ack_components import kinds, metrics

#: KFP 1.8.5's metricNamePattern (backend/src/apiserver/server/run_metric_util.go).
KFP_PATTERN = r"^[a-zA-Z]([-_a-zA-Z0-9]{0,62}[a-zA-Z0-9])?$"


def test_the_name_rule_is_kfps() -> None:
    assert metrics.NAME.pattern == KFP_PATTERN


@pytest.mark.parametrize(
    ("sagemaker", "kfp"),
    [
        ("train:loss", "train-loss"),
        ("validation:accuracy", "validation-accuracy"),
        ("ObjectiveMetric", "ObjectiveMetric"),
        ("0.5-quantile", "m-0-5-quantile"),
        (":::", "m"),
    ],
)
def test_a_sagemaker_metric_name_becomes_one_kfp_keeps(sagemaker: str, kfp: str) -> None:
    assert metrics.metric_name(sagemaker) == kfp


@given(st.text(max_size=200))
def test_every_name_fits_kfps_pattern(text: str) -> None:
    assert metrics.NAME.match(metrics.metric_name(text))


def test_the_document_is_what_kfps_api_takes() -> None:
    document = metrics.document([("train:loss", 0.07), ("train:loss", 0.5), ("test:mse", 2)])
    assert document == {
        "metrics": [
            {"name": "train-loss", "numberValue": 0.07, "format": "RAW"},
            {"name": "test-mse", "numberValue": 2.0, "format": "RAW"},
        ]
    }
    for entry in document["metrics"]:  # kfp 1.8.22's client model checks the format
        ApiRunMetric(name=entry["name"], number_value=entry["numberValue"], format=entry["format"])
        assert entry["format"] in RunMetricFormat.allowable_values


def test_at_most_fifty_metrics_are_kept_as_kfp_keeps_them() -> None:
    document = metrics.document((f"metric{n}", n) for n in range(60))
    assert [m["name"] for m in document["metrics"]] == [f"metric{n}" for n in range(50)]


def test_a_training_jobs_final_metrics_come_from_describe() -> None:
    described = {
        "FinalMetricDataList": [
            {"MetricName": "train:loss", "Value": 0.07, "Timestamp": 0},
            {"MetricName": "no value"},
        ]
    }
    assert metrics.from_training(described) == [("train:loss", 0.07)]
    assert metrics.from_training({}) == []


def test_a_tuning_jobs_best_objective_comes_from_its_status() -> None:
    status = {
        "bestTrainingJob": {
            "finalHyperParameterTuningJobObjectiveMetric": {
                "metricName": "validation:accuracy",
                "value": 0.93,
            }
        }
    }
    assert metrics.collect(kinds.HYPER_PARAMETER_TUNING_JOB, {"status": status}, "r", "n") == [
        ("validation:accuracy", 0.93)
    ]
    assert metrics.from_tuning({"bestTrainingJob": {}}) == []
    assert metrics.from_tuning({}) == []


def test_a_kind_that_reports_no_numbers_has_no_metrics() -> None:
    assert metrics.collect(kinds.get("ProcessingJob"), {"status": {}}, "r", "n") == []


def test_without_credentials_a_training_job_has_no_metrics_and_says_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(metrics.Unavailable, match="no AWS credentials"):
        metrics.collect(kinds.TRAINING_JOB, {}, "us-east-1", "job")
