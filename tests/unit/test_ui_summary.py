"""The step's summary card: escaped values, links, parameters, metrics and the status timeline."""

from __future__ import annotations

from ack_components import kinds, ui_summary

TRAINING = kinds.get("TrainingJob")
RESOURCE = {
    "spec": {
        "trainingJobName": "mnist_kmeans-1",
        "resourceConfig": {"instanceType": "ml.m5.large", "instanceCount": 2},
        "outputDataConfig": {"s3OutputPath": "s3://bucket/out_put"},
        "hyperParameters": {"k": "10"},
        "inputDataConfig": [{"channelName": "train"}],
    },
    "status": {
        "trainingJobStatus": "Failed",
        "failureReason": "AlgorithmError: loss | NaN",
        "modelArtifacts": {"s3ModelArtifacts": "s3://bucket/m/model.tar.gz"},
    },
}


def card(**extra: object) -> str:
    return ui_summary.markdown(TRAINING, RESOURCE, "us-east-1", "mnist_kmeans-1", "Failed", **extra)  # type: ignore[arg-type]


def test_values_cannot_become_markdown() -> None:
    text = card()
    assert "## TrainingJob mnist\\_kmeans-1" in text
    assert "| Failure reason | AlgorithmError: loss \\| NaN |" in text


def test_the_card_links_the_console_the_log_and_what_the_job_wrote_to_s3() -> None:
    text = card()
    assert "| Console | [open](https://us-east-1.console.aws.amazon.com/sagemaker/" in text
    assert "| Logs | [open](https://us-east-1.console.aws.amazon.com/cloudwatch/" in text
    assert (
        "| modelArtifacts.s3ModelArtifacts | [s3://bucket/m/model.tar.gz]"
        "(https://s3.console.aws.amazon.com/s3/buckets/bucket?prefix=m/model.tar.gz) |"
    ) in text
    assert "| outputDataConfig.s3OutputPath | [s3://bucket/out\\_put](" in text


def test_key_parameters_are_the_specs_scalars_one_level_deep() -> None:
    assert ui_summary.key_parameters(RESOURCE["spec"]) == [  # type: ignore[arg-type]
        ("trainingJobName", "mnist_kmeans-1"),
        ("resourceConfig.instanceType", "ml.m5.large"),
        ("resourceConfig.instanceCount", "2"),
        ("outputDataConfig.s3OutputPath", "s3://bucket/out_put"),
        ("hyperParameters.k", "10"),
    ]


def test_the_timeline_shows_each_status_with_its_time_in_utc() -> None:
    text = card(timeline=[(0.0, "InProgress / Starting"), (61.5, "failed: AlgorithmError")])
    assert "| Time (UTC) | Status |" in text
    assert "| 1970-01-01 00:00:00 | InProgress / Starting |" in text
    assert "| 1970-01-01 00:01:01 | failed: AlgorithmError |" in text


def test_the_run_metrics_are_on_the_card_too() -> None:
    text = card(metrics=[("train-loss", 0.07), ("validation-msd", 1.5)])
    assert "### Metrics\n\n| Name | Value |" in text
    assert "| train-loss | 0.07 |" in text and "| validation-msd | 1.5 |" in text
    assert "### Metrics" not in card()


def test_the_document_is_kfp_v1s_inline_markdown() -> None:
    document = ui_summary.card(ui_summary.markdown(TRAINING, RESOURCE, "us-east-1", "x", "Failed"))
    assert [(o["type"], o["storage"]) for o in document["outputs"]] == [("markdown", "inline")]
