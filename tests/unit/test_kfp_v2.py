"""The executor output that hands KFP's v2 launcher the metrics' numbers, and only there."""

import json
from pathlib import Path

import pytest

from ack_components import interface, kfp_v2, outputs

METRICS = json.dumps({"metrics": [{"name": "test-msd", "numberValue": 0.5, "format": "RAW"}]})


def test_a_v2_metrics_artifact_gets_its_numbers_as_metadata() -> None:
    path = Path("/minio/mlpipeline/private-artifacts/ns/v2/artifacts/p/r/t/mlpipeline_metrics")
    written = kfp_v2.executor_output(path, METRICS)
    assert written is not None
    where, text = written
    assert where == path.parent / "output_metadata.json"
    assert json.loads(text) == {
        "artifacts": {"mlpipeline_metrics": {"artifacts": [{"metadata": {"test-msd": 0.5}}]}}
    }


def test_a_v1_metrics_file_gets_nothing_more() -> None:
    assert kfp_v2.executor_output(Path("/tmp/outputs/MLPipeline_Metrics/data"), METRICS) is None
    assert kfp_v2.executor_output(None, METRICS) is None


def test_outputs_write_puts_the_executor_output_beside_a_v2_artifact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The launcher's local root (/minio/) stands under tmp_path here.
    root = tmp_path / "minio"
    monkeypatch.setattr(kfp_v2, "LOCAL_ROOTS", (f"{root}/",))
    metrics_path = root / "bucket" / "task" / "mlpipeline_metrics"
    outputs.write({interface.METRICS.name: METRICS}, {interface.METRICS.name: metrics_path})
    assert json.loads(metrics_path.read_text()) == json.loads(METRICS)
    document = json.loads((metrics_path.parent / "output_metadata.json").read_text())
    assert document["artifacts"]["mlpipeline_metrics"]["artifacts"][0]["metadata"] == {
        "test-msd": 0.5
    }


def test_a_placeholder_the_v2_launcher_left_is_refused_with_its_input_and_path() -> None:
    from ack_components import kinds, schema

    specs = interface.inputs(kinds.TRAINING_JOB, schema.bundled("TrainingJob"))
    channel = "s3://{{$.inputs.parameters['pipelinechannel--bucket']}}/train"
    raw = {
        "input_data_config": json.dumps(
            [{"channelName": "train", "dataSource": {"s3DataSource": {"s3URI": channel}}}]
        ),
        "region": "us-east-1",
    }
    _, errors = interface.parse_inputs(specs, raw, "TrainingJob")
    [error] = [e for e in errors if "placeholder" in e]
    assert error.startswith("input input_data_config: $[0].dataSource.s3DataSource.s3URI is ")
    assert "pipelinechannel--bucket" in error


def test_values_without_v2_placeholders_pass() -> None:
    assert interface.placeholders_left({"a": ["{{workflow.uid}}", 1, {"b": "text"}]}) == []


IF_PRESENT = json.dumps(
    {
        "IfPresent": {
            "InputName": "enable_network_isolation",
            "Then": [
                "--enable_network_isolation",
                "{{$.inputs.parameters['enable_network_isolation']}}",
            ],
        }
    }
)


def test_an_if_present_placeholder_the_launcher_filled_becomes_its_arguments() -> None:
    filled = IF_PRESENT.replace("{{$.inputs.parameters['enable_network_isolation']}}", "true")
    argv = ["--region", "us-east-1", filled, "--run_id", "r"]
    assert kfp_v2.resolved_arguments(argv) == [
        "--region",
        "us-east-1",
        "--enable_network_isolation",
        "true",
        "--run_id",
        "r",
    ]


def test_an_if_present_placeholder_of_an_input_not_given_is_dropped() -> None:
    assert kfp_v2.resolved_arguments(["--region", "r", IF_PRESENT]) == ["--region", "r"]


def test_the_cli_takes_the_placeholders_kfp_2_16_leaves(capsys: pytest.CaptureFixture[str]) -> None:
    from ack_components import cli

    filled = IF_PRESENT.replace("{{$.inputs.parameters['enable_network_isolation']}}", "true")
    role = ["--execution_role_arn", "arn:aws:iam::123456789012:role/r"]
    code = cli.main(["render", "Model", "--region", "us-east-1", *role, filled, IF_PRESENT])
    assert code == 0, capsys.readouterr().err
    assert "enableNetworkIsolation: true" in capsys.readouterr().out
