"""Input text → values, input and output names derived from the CRD schema."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import INPUTS, OUTPUTS

from ack_components import interface
from ack_components.interface import (
    BOOL,
    FLOAT,
    INTEGER,
    JSON_ARRAY,
    JSON_OBJECT,
    NOT_SET,
    STRING,
    InputError,
)

JO, JA = JSON_OBJECT, JSON_ARRAY


def parse(type_: str, text: str) -> Any:
    return interface.parse(interface.Input("my_input", type_, ""), text)


@pytest.mark.parametrize(
    ("type_", "text", "expected"),
    [
        (JO, '{"k": "10", "n": {"a": [1, true, null]}}', {"k": "10", "n": {"a": [1, True, None]}}),
        (JA, '[{"channelName": "train"}, 2]', [{"channelName": "train"}, 2]),
        (BOOL, "true", True),
        (BOOL, "True", True),
        (BOOL, "false", False),
        (BOOL, "False", False),
        (INTEGER, "42", 42),
        (FLOAT, "0.5", 0.5),
        (STRING, "ml.m5.2xlarge", "ml.m5.2xlarge"),
        (STRING, "{{ not a template }}", "{{ not a template }}"),
        # A JSON-quoted string, as our outputs were written before they became bare text.
        (STRING, '"s3://bucket/model.tar.gz"', "s3://bucket/model.tar.gz"),
        (STRING, json.dumps("naïve \U0001f600"), "naïve \U0001f600"),
        # Starts with a quote but is not a JSON string: taken as it is.
        (STRING, '"half-quoted', '"half-quoted'),
    ],
)
def test_parse_accepts(type_: str, text: str, expected: Any) -> None:
    assert parse(type_, text) == expected


@pytest.mark.parametrize(
    ("type_", "text"),
    [
        (JO, ""),
        (JO, "{}"),
        (JO, "  \n"),
        (JA, ""),
        (JA, "[]"),
        # An absent JSON output of an earlier step, chained in as it is.
        (JO, "null"),
        (JA, "null"),
        (STRING, ""),
        (STRING, '""'),
        (BOOL, ""),
        (INTEGER, ""),
        (FLOAT, " "),
    ],
)
def test_empty_means_not_set(type_: str, text: str) -> None:
    assert parse(type_, text) is NOT_SET


@pytest.mark.parametrize(
    ("type_", "text", "message"),
    [
        (JO, "[1, 2]", "expected a JSON object, got list"),
        (JO, '"text"', "expected a JSON object, got str"),
        (JO, "5", "expected a JSON object, got int"),
        (JA, '{"a": 1}', "expected a JSON array, got dict"),
        (JA, '"text"', "expected a JSON array, got str"),
        (BOOL, "yes", "expected true or false"),
        (BOOL, "1", "expected true or false"),
        (INTEGER, "1.5", "expected int"),
        (FLOAT, "fast", "expected float"),
    ],
)
def test_wrong_type_names_the_input(type_: str, text: str, message: str) -> None:
    with pytest.raises(InputError, match=f"^input my_input: {message}"):
        parse(type_, text)


@pytest.mark.parametrize(
    ("type_", "text", "where"),
    [
        (JO, '{\n  "k": "10",,\n}', "line 2, column 13"),
        (JO, '{"k": "10"', "line 1, column 11"),
        (JA, "[1, 2", "line 1, column 6"),
        (JO, "a: b: c", "line 1, column 1"),
    ],
)
def test_malformed_json_says_where(type_: str, text: str, where: str) -> None:
    with pytest.raises(InputError, match=f"^input my_input: not valid JSON at {where}: "):
        parse(type_, text)


@pytest.mark.parametrize("text", ["{{ x }}", '{"k": {{ x }}}', "k: {{ workflow.uid }}"])
def test_jinja_looking_object_is_rejected(text: str) -> None:
    with pytest.raises(InputError, match=r"^input my_input: not valid JSON at line 1"):
        parse(JO, text)


@pytest.mark.parametrize(
    ("type_", "text"),
    [
        (JO, "k: '10'\nn:\n  a: [1, true, null]\n"),  # YAML
        (JA, "- channelName: train\n- 2\n"),
        (JO, "{k: 10}"),  # YAML flow style
        (JO, "{'k': '10'}"),  # Python's repr, as the upstream components wrote outputs
        (JO, '{"k": "10",}'),  # trailing commas
        (JA, "[1, 2,]"),
        (JA, "[True, None]"),
    ],
)
def test_only_json_is_taken(type_: str, text: str) -> None:
    with pytest.raises(
        InputError, match=r"^input my_input: not valid JSON at line 1, column \d+: "
    ):
        parse(type_, text)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_json_numbers_are_refused(constant: str) -> None:
    with pytest.raises(InputError, match=f"^input my_input: not valid JSON: {constant} is not"):
        parse(JA, f"[1, {constant}]")


@pytest.mark.parametrize(
    "text", ['{"k": "10", "k": "11"}', '{"n": {"a": 1, "b": 2, "a": 3}}', '[{"x": 1, "x": 1}]']
)
def test_a_key_given_twice_is_refused(text: str) -> None:
    type_ = JA if text.startswith("[") else JO
    with pytest.raises(InputError, match=r"^input my_input: the key '(k|a|x)' is given twice"):
        parse(type_, text)


def test_the_same_key_in_different_objects_is_fine() -> None:
    assert parse(JA, '[{"x": 1}, {"x": 2}]') == [{"x": 1}, {"x": 2}]


@pytest.mark.parametrize("text", ["-1", "-5"])
def test_a_number_below_its_minimum_is_refused(text: str) -> None:
    spec = interface.Input("timeout_seconds", INTEGER, "", minimum=0)
    with pytest.raises(InputError, match=f"^input timeout_seconds: must be 0 or more, got {text}$"):
        interface.parse(spec, text)
    assert interface.parse(spec, "0") == 0
    assert interface.parse(spec, "") is NOT_SET


@pytest.mark.parametrize(
    "name", ["timeout_seconds", "status_timeout_seconds", "recoverable_grace_seconds"]
)
def test_time_limits_cannot_be_negative(name: str) -> None:
    with pytest.raises(InputError, match=f"^input {name}: must be 0 or more"):
        interface.parse(INPUTS[name], "-1")


@pytest.mark.parametrize(
    "text",
    [
        "a\nb",
        "a\r\nb",
        "tab\there",
        "nul\x00",
        "del\x7f",
        "nel\x85",
        "ls\u2028",
        json.dumps("a\nb"),
    ],
)
def test_string_is_single_line_text(text: str) -> None:
    with pytest.raises(InputError, match=r"^input my_input: contains a control character"):
        parse(STRING, text)


@pytest.mark.parametrize(
    ("field", "name"),
    [
        ("roleARN", "role_arn"),
        ("enableInterContainerTrafficEncryption", "enable_inter_container_traffic_encryption"),
        ("tensorBoardOutputConfig", "tensor_board_output_config"),
        ("hyperParameters", "hyper_parameters"),
        ("ackResourceMetadata", "ack_resource_metadata"),
        ("trainingJobName", "training_job_name"),
        ("vpcConfig", "vpc_config"),
    ],
)
def test_snake_case(field: str, name: str) -> None:
    assert interface.snake_case(field) == name


def test_training_job_input_details() -> None:
    assert INPUTS["role_arn"].field == "roleARN"
    assert INPUTS["hyper_parameters"].default == "{}"
    assert INPUTS["tags"].default == "[]"
    # Not set unless given (component.yaml passes it only when present).
    assert INPUTS["enable_network_isolation"].default == ""
    assert interface.optional_without_default(INPUTS["enable_network_isolation"])
    assert INPUTS["leave_running_on_stop"].default == "False"
    required = {name for name, spec in INPUTS.items() if spec.required}
    assert {"region", "role_arn", "resource_config", "stopping_condition"} <= required
    # The name may be empty: it is then derived from the run and the inputs.
    assert not {"training_job_name", "hyper_parameters", "run_id", "namespace"} & required
    assert INPUTS["run_id"].default == "{{workflow.uid}}"
    assert OUTPUTS["model_artifacts"].field == "modelArtifacts"
    assert OUTPUTS["sagemaker_resource_name"].field is None


def test_output_flag() -> None:
    assert interface.output_flag(OUTPUTS["model_artifacts"]) == "--model_artifacts_output_path"
    assert interface.output_flag(interface.UI_METADATA) == "--mlpipeline_ui_metadata_output_path"
