"""``run.prepare`` for the kinds with their own naming or input rules (pure, no cluster)."""

from __future__ import annotations

import json

import pytest

from ack_components import interface, kinds, naming, run
from ack_components.interface import InputError
from ack_components.naming import InvalidName
from ack_components_sandbox.testing import samples

DEFINITION = {"Version": "2020-12-01", "Parameters": [], "Steps": [{"Name": "Train"}]}


def test_a_pipeline_definition_document_becomes_json_text() -> None:
    text = json.dumps(DEFINITION, indent=2)  # several lines, as read from a file
    raw = {"region": "us-east-1", "pipeline_definition": text, "role_arn": samples.ROLE}
    spec = run.prepare(kinds.PIPELINE, raw, "ml").resource["spec"]
    assert isinstance(spec["pipelineDefinition"], str)
    assert json.loads(spec["pipelineDefinition"]) == DEFINITION


def test_a_pipeline_definition_that_is_not_an_object_is_named() -> None:
    raw = {"region": "us-east-1", "pipeline_definition": "[1, 2]", "role_arn": samples.ROLE}
    with pytest.raises(InputError, match="input pipeline_definition: expected a JSON object"):
        run.prepare(kinds.PIPELINE, raw, "ml")


def test_an_execution_is_named_from_the_run_and_the_inputs() -> None:
    raw = {"region": "us-east-1", "pipeline_name": "p", "run_id": "run-1"}
    first = run.prepare(kinds.PIPELINE_EXECUTION, raw, "ml")
    assert first.resource["metadata"]["name"].startswith("pipelineexecution-")
    assert set(first.resource["spec"]) == {"pipelineName"}  # no name field exists
    assert run.prepare(kinds.PIPELINE_EXECUTION, raw, "ml").name == first.name
    other_run = run.prepare(kinds.PIPELINE_EXECUTION, {**raw, "run_id": "run-2"}, "ml")
    assert other_run.name != first.name


def test_a_given_resource_name_is_used_as_is_and_checked() -> None:
    raw = {"region": "us-east-1", "pipeline_name": "p", "resource_name": "nightly-1"}
    assert run.prepare(kinds.PIPELINE_EXECUTION, raw, "ml").resource["metadata"]["name"] == (
        "nightly-1"
    )
    with pytest.raises(InvalidName, match="input resource_name: 'Nightly_1'"):
        run.prepare(kinds.PIPELINE_EXECUTION, {**raw, "resource_name": "Nightly_1"}, "ml")


def test_only_kinds_without_a_sagemaker_name_take_resource_name() -> None:
    with pytest.raises(InputError, match="unknown inputs: resource_name"):
        run.prepare(kinds.MODEL, {"region": "us-east-1", "resource_name": "m"}, "ml")


def test_underscores_in_sagemaker_names_become_hyphens_in_the_resource_name() -> None:
    assert naming.metadata_name("Customers_FG") == "customers-fg"
    raw = samples.as_inputs(samples.feature_group_spec(), feature_group_name="customers_fg")
    prepared = run.prepare(kinds.FEATURE_GROUP, raw, "ml")
    assert prepared.resource["metadata"]["name"] == "customers-fg"
    assert prepared.resource["spec"]["featureGroupName"] == "customers_fg"


def test_without_run_id_the_cli_run_writes_no_empty_run_id() -> None:
    raw = samples.as_inputs(samples.kmeans_mnist_spec())
    metadata = run.prepare(kinds.TRAINING_JOB, raw, "ml").resource["metadata"]
    assert "ack-components/run-id" not in metadata["annotations"]
    assert "ack-components/run-id" not in metadata["labels"]
    assert metadata["labels"] == {"app.kubernetes.io/managed-by": "ack-components"}


@pytest.mark.parametrize("placeholder", ["{{workflow.uid}}", "{{$.pipeline_job_uuid}}"])
def test_a_run_id_the_engine_left_unsubstituted_is_refused(placeholder: str) -> None:
    raw = samples.as_inputs(samples.kmeans_mnist_spec(), run_id=placeholder)
    with pytest.raises(InputError, match=r"input run_id: .* was not substituted"):
        run.prepare(kinds.TRAINING_JOB, raw, "ml")


@pytest.mark.parametrize("kind", list(kinds.KINDS.values()), ids=lambda kind: kind.name)
def test_only_the_fields_given_are_rendered(kind: kinds.Kind) -> None:
    raw = samples.as_inputs(samples.spec_for(kind.name))
    given = {interface.snake_case(field) for field in samples.spec_for(kind.name)}
    rendered = run.prepare(kind, raw, "ml").resource["spec"]
    assert {interface.snake_case(field) for field in rendered} - given <= {
        interface.snake_case(kind.name_field or "")
    }
