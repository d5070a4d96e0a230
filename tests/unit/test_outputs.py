"""Outputs are written in KFP's convention for their type, and chain into the next step's inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import KIND, OUTPUTS, snapshot

from ack_components import interface, kinds, outputs, run, schema
from ack_components.interface import BOOL, FLOAT, INTEGER, STRING, Output

ENDPOINT_CONFIG_NAME = "kmeans-config"


def test_string_outputs_are_bare_text_and_absent_ones_empty() -> None:
    resource = snapshot(
        trainingJobStatus="Completed", modelArtifacts={"s3ModelArtifacts": "s3://b"}
    )
    texts = outputs.values(tuple(OUTPUTS.values()), resource, "kmeans-job")
    assert texts["training_job_status"] == "Completed"
    assert texts["sagemaker_resource_name"] == "kmeans-job"
    assert texts["failure_reason"] == ""
    assert json.loads(texts["model_artifacts"]) == {"s3ModelArtifacts": "s3://b"}
    # An absent JSON value is the input's own "not set", and a list KFP v2's launcher takes.
    assert texts["debug_rule_evaluation_statuses"] == "[]"
    assert texts["warm_pool_status"] == "{}"


@pytest.mark.parametrize(
    ("type_", "value", "written"),
    [(INTEGER, 3, "3"), (FLOAT, 0.5, "0.5"), (BOOL, True, "True"), (BOOL, None, "")],
)
def test_numbers_and_booleans_are_their_literal_text(
    type_: str, value: object, written: str
) -> None:
    output = Output("x", type_, "")
    assert outputs.text(output, value) == written
    assert outputs.read(output, written) == value


def test_every_output_reads_back_as_written(tmp_path: Path) -> None:
    resource = snapshot(trainingJobStatus="Completed", conditions=[{"type": "ACK.ResourceSynced"}])
    texts = outputs.values(tuple(OUTPUTS.values()), resource, "kmeans-job")
    outputs.write(texts, outputs.directory_paths(tuple(OUTPUTS.values()), tmp_path))
    assert outputs.read_file(KIND, "training_job_status", tmp_path / "training_job_status") == (
        "Completed"
    )
    assert outputs.read_file(KIND, "failure_reason", tmp_path / "failure_reason") == ""
    assert outputs.read_file(KIND, "conditions", tmp_path / "conditions") == [
        {"type": "ACK.ResourceSynced"}
    ]


def declared(kind: kinds.Kind, name: str) -> Output:
    [output] = [o for o in interface.outputs(kind, schema.bundled(kind.name)) if o.name == name]
    return output


def endpoint_spec(**inputs: str) -> dict[str, object]:
    raw = {"region": "us-east-1", "endpoint_name": "kmeans", **inputs}
    spec: dict[str, object] = run.prepare(kinds.ENDPOINT, raw, "ml").resource["spec"]
    return spec


def test_a_string_output_is_taken_as_an_input_bare_or_in_the_old_quoted_form() -> None:
    named = declared(kinds.ENDPOINT_CONFIG, "sagemaker_resource_name")
    assert named.type == STRING
    written = outputs.text(named, ENDPOINT_CONFIG_NAME)
    assert written == ENDPOINT_CONFIG_NAME
    assert endpoint_spec(endpoint_config_name=written)["endpointConfigName"] == ENDPOINT_CONFIG_NAME
    # Our outputs before they became bare text, which pipelines may still pass along.
    quoted = json.dumps(ENDPOINT_CONFIG_NAME)
    assert endpoint_spec(endpoint_config_name=quoted)["endpointConfigName"] == ENDPOINT_CONFIG_NAME


def test_an_absent_json_output_chained_into_a_json_input_is_not_set() -> None:
    absent = outputs.text(declared(kinds.ENDPOINT, "pending_deployment_summary"), None)
    spec = endpoint_spec(endpoint_config_name=ENDPOINT_CONFIG_NAME, deployment_config=absent)
    assert "deploymentConfig" not in spec
