"""Inputs → custom resource: ``run.prepare`` end to end, ``render.render`` on any text, names."""

from __future__ import annotations

import re
from typing import Any

import pytest
from helpers import KIND, SPEC, raw_inputs
from hypothesis import given, settings
from hypothesis import strategies as st

from ack_components import kinds, naming, render, run, status
from ack_components.interface import InputError
from ack_components.naming import InvalidName
from ack_components.schema import SpecInvalid
from ack_components_sandbox.testing.samples import IMAGE

UNSET_BOOLS = {
    "enable_inter_container_traffic_encryption": "",
    "enable_managed_spot_training": "",
    "enable_network_isolation": "",
}


def prepare(**overrides: Any) -> run.Prepared:
    return run.prepare(KIND, raw_inputs(**overrides), "ns")


def test_prepare_renders_the_training_job() -> None:
    prepared = prepare(
        training_job_name="MNIST-KMeans-1",
        run_id="8d7c6b5a",
        checkpoint_config="{}",
        tags="[]",
        vpc_config="",
        environment="",
        **UNSET_BOOLS,
    )
    assert prepared.name == "MNIST-KMeans-1"
    assert prepared.region == "us-east-1"
    assert prepared.resource == {
        "apiVersion": "sagemaker.services.k8s.aws/v1alpha1",
        "kind": "TrainingJob",
        "metadata": {
            "name": "mnist-kmeans-1",
            "namespace": "ns",
            "labels": {
                "app.kubernetes.io/managed-by": "ack-components",
                "ack-components/run-id": "8d7c6b5a",
            },
            "annotations": {
                "services.k8s.aws/region": "us-east-1",
                "ack-components/run-id": "8d7c6b5a",
            },
        },
        # Nothing that was left empty appears.
        "spec": {**SPEC, "trainingJobName": "MNIST-KMeans-1"},
    }


def test_prepare_defaults() -> None:
    prepared = prepare(run_id="run-1")
    spec = prepared.resource["spec"]
    # A Bool input never given is not rendered: SageMaker's default applies, and an older
    # controller whose CRD lacks the field does not refuse it.
    assert spec == {**SPEC, "trainingJobName": prepared.name}
    assert re.fullmatch("trainingjob-[0-9a-f]{16}", prepared.name)
    assert prepared.resource["metadata"]["name"] == prepared.name
    assert prepared.policy == status.Policy(status_timeout=180, recoverable_grace=600, timeout=0)
    assert prepared.leave_running is False


def test_prepare_options() -> None:
    prepared = prepare(
        timeout_seconds="7200",
        status_timeout_seconds="",  # empty: the default
        recoverable_grace_seconds="60",
        leave_running_on_stop="True",
    )
    assert prepared.policy == status.Policy(status_timeout=180, recoverable_grace=60, timeout=7200)
    assert prepared.leave_running is True


def test_the_step_pod_labels_the_resource() -> None:
    resource = run.prepare(
        KIND, raw_inputs(run_id="run-1"), "ns", step="pipeline-x-123456"
    ).resource
    assert resource["metadata"]["labels"]["ack-components/step"] == "pipeline-x-123456"
    assert resource["metadata"]["annotations"]["ack-components/step"] == "pipeline-x-123456"


def test_derived_name_survives_a_retry_of_the_same_step() -> None:
    first, retry = prepare(run_id="run-1"), prepare(run_id="run-1")
    assert first.name == retry.name
    assert prepare(run_id="run-2").name != first.name
    assert prepare(run_id="run-1", hyper_parameters={"k": "11"}).name != first.name
    # A long or odd run id still makes a valid label.
    odd = prepare(run_id="run/with spaces" * 10).resource["metadata"]["labels"]
    assert re.fullmatch("[0-9a-f]{16}", odd["ack-components/run-id"])


BAD_RESOURCE_CONFIG = {"instanceCount": "1", "instanceType": "ml.m5.large", "volumeSizeInGB": 5}
UNKNOWN_FIELD = {"instanceCount": 1, "instanceType": "ml.m5.large", "instanceTypo": "x"}


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"hyperparameters": "{}"}, InputError, "unknown inputs: hyperparameters"),
        ({"role_arn": None}, InputError, "input role_arn is required"),
        ({"region": ""}, InputError, "input region is required"),
        (
            {"resource_config": BAD_RESOURCE_CONFIG},
            SpecInvalid,
            "input resource_config at $.instanceCount: '1' is not of type 'integer'",
        ),
        (
            {"resource_config": UNKNOWN_FIELD},
            SpecInvalid,
            "input resource_config at $: Additional properties are not allowed ('instanceTypo'",
        ),
        (
            {"input_data_config": [{"channelName": "train", "dataSource": {"s3Uri": "s3://b"}}]},
            SpecInvalid,
            "input input_data_config at $[0].dataSource: Additional properties",
        ),
        ({"hyper_parameters": {"k": 10}}, SpecInvalid, "input hyper_parameters at $.k: 10 is not"),
        (
            {"hyper_parameters": '{"k": "10"'},
            InputError,
            "input hyper_parameters: not valid JSON at line 1, column 11",
        ),
        ({"training_job_name": "bad_name"}, InvalidName, "input training_job_name: 'bad_name'"),
        ({"timeout_seconds": "soon"}, InputError, "input timeout_seconds: expected int"),
    ],
)
def test_bad_inputs_name_the_input_and_path(
    overrides: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as caught:
        prepare(**overrides)
    assert message in str(caught.value)


S3 = {"s3DataType": "S3Prefix", "s3URI": "s3://bucket/train"}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        # Upstream pipelines' keys, which ACK never accepted: the same name but for case.
        (
            {"input_data_config": [{"channelName": "train", "InputMode": "File"}]},
            "at $[0]: Additional properties are not allowed ('InputMode' was unexpected); "
            "did you mean 'inputMode'?",
        ),
        (
            {"input_data_config": [{"dataSource": {"s3DataSource": {**S3, "S3Uri": "s3://b"}}}]},
            "did you mean 's3URI'?",
        ),
        # Two at once (upstream's channels carried both): each suggestion names its key.
        (
            {
                "input_data_config": [
                    {"channelName": "train", "InputMode": "File", "RecordWrapperType": "None"}
                ]
            },
            "('InputMode', 'RecordWrapperType' were unexpected); 'InputMode': did you mean "
            "'inputMode'?; 'RecordWrapperType': did you mean 'recordWrapperType'?",
        ),
        # A field one level too high: named with the path where it belongs.
        (
            {"input_data_config": [{"s3DataType": "S3Prefix", "dataSource": {}}]},
            "at $[0]: Additional properties are not allowed ('s3DataType' was unexpected); "
            "'s3DataType' is a field of $[0].dataSource.s3DataSource, not of $[0]",
        ),
        (
            {"input_data_config": [{"S3DataType": "S3Prefix"}]},
            "'S3DataType' is a field of $[0].dataSource.s3DataSource (as 's3DataType'), "
            "not of $[0]",
        ),
        # A field of the spec given inside an input.
        (
            {"resource_config": {"instanceCount": 1, "RoleArn": "arn:aws:iam::1:role/r"}},
            "'RoleArn' is the input role_arn, not a field",
        ),
    ],
)
def test_an_unknown_field_suggests_the_right_name(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecInvalid) as caught:
        prepare(**overrides)
    assert message in str(caught.value)


def test_an_unknown_field_like_no_known_one_gets_no_suggestion() -> None:
    with pytest.raises(SpecInvalid) as caught:
        prepare(resource_config=UNKNOWN_FIELD)
    assert str(caught.value).endswith("('instanceTypo' was unexpected)")


def test_every_problem_is_listed() -> None:
    with pytest.raises(InputError) as caught:
        prepare(role_arn=None, enable_network_isolation="maybe", hyper_parameters="[")
    lines = str(caught.value).splitlines()
    assert lines[0] == "invalid inputs:"
    assert {line.split(":")[0].strip() for line in lines[1:]} == {
        "input role_arn is required",
        "input enable_network_isolation",
        "input hyper_parameters",
    }


# Text that could change YAML or Jinja structure if pasted raw.
TRICKY = [
    "", "\n", "\r\n", "a: b", "- x", "! tag", "!!python/object:os.system", "&anchor", "*alias",
    "{{ spec }}", "{% if x %}", "{#", '"', "'", "\\", "\\u0041", "#", "? k", "|", ">", "---", "...",
    "%YAML 1.1", "\x85", "\u2028", "\u2029", "\ufeff", "\ufffe", "\x00", "\x1b", "\t", "\U0001f600",
    "\U0010fffd", "null", "~", "true", "no", "1e5", "0x10", "1_000", "<<", "=", "}", "]", ", ",
]  # fmt: skip
texts = st.one_of(st.text(), st.lists(st.sampled_from(TRICKY) | st.text(max_size=3)).map("".join))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)


def render_spec(spec: dict[str, Any], annotations: dict[str, str] | None = None) -> Any:
    return render.render(KIND, spec, "job", "ns", {"a": "b"}, annotations or {})


@settings(max_examples=300, deadline=None)
@given(
    hyper_parameters=st.dictionaries(texts, texts),
    environment=st.dictionaries(st.sampled_from(["PATH", "X"]), texts),
    image=texts,
    experiment=st.dictionaries(texts, json_values, max_size=3),
    numbers=st.lists(st.floats(allow_nan=False) | st.integers(), min_size=1),
    annotation=texts,
)
def test_render_gives_back_exactly_the_values(
    hyper_parameters: dict[str, str],
    environment: dict[str, str],
    image: str,
    experiment: dict[str, Any],
    numbers: list[float],
    annotation: str,
) -> None:
    spec = {
        "algorithmSpecification": {"trainingImage": image, "trainingInputMode": "File"},
        "hyperParameters": hyper_parameters,
        "environment": environment,
        "experimentConfig": experiment,
        "tags": numbers,
        "roleARN": image,
    }
    resource = render_spec(spec, {"note": annotation})
    assert resource == {
        "apiVersion": KIND.api_version,
        "kind": KIND.name,
        "metadata": {
            "name": "job",
            "namespace": "ns",
            "labels": {"a": "b"},
            "annotations": {"note": annotation},
        },
        "spec": spec,
    }


@pytest.mark.parametrize(
    "value",
    [
        {"k" * 2000: "a key longer than the 1024 characters YAML allows a simple key"},
        {"\u2028" * 300: "escaped to 1800 characters"},
        {"lr": 0.00001, "big": 1e20, "tiny": -2.5e-300, "inf": float("inf"), "ninf": -float("inf")},
    ],
)
def test_render_json_that_yaml_reads_differently(value: dict[str, Any]) -> None:
    assert render_spec({"experimentConfig": value})["spec"] == {"experimentConfig": value}


def test_render_leaves_out_fields_not_given() -> None:
    assert render_spec({"roleARN": IMAGE})["spec"] == {"roleARN": IMAGE}


def test_derived_name() -> None:
    spec = {"roleARN": "r", "hyperParameters": {"k": "10", "feature_dim": "784"}}
    name = naming.derived_name("trainingjob", "run-1", spec)
    reordered = {"hyperParameters": {"feature_dim": "784", "k": "10"}, "roleARN": "r"}
    assert naming.derived_name("trainingjob", "run-1", reordered) == name
    assert naming.derived_name("trainingjob", "run-2", spec) != name
    assert naming.derived_name("trainingjob", "run-1", {**spec, "roleARN": "s"}) != name
    assert naming.derived_name("model", "run-1", spec) != name
    naming.check_sagemaker_name("training_job_name", name, KIND.name_pattern)
    assert naming.metadata_name(name) == name


@pytest.mark.parametrize("kind", kinds.KINDS.values(), ids=lambda kind: kind.name)
@given(run_id=st.text(), spec=st.dictionaries(st.text(), st.text()))
def test_derived_name_is_always_valid(kind: kinds.Kind, run_id: str, spec: dict[str, str]) -> None:
    name = naming.derived_name(kind.name_prefix, run_id, spec)
    naming.check_sagemaker_name(kind.name_field, name, kind.name_pattern)
    assert naming.metadata_name(name) == name


@pytest.mark.parametrize("name", ["a", "MNIST-KMeans", "job--2", "a" * 63, "0-job"])
def test_valid_sagemaker_names(name: str) -> None:
    naming.check_sagemaker_name("training_job_name", name, KIND.name_pattern)
    assert naming.metadata_name(name) == name.lower()


@pytest.mark.parametrize("name", ["bad_name", "a" * 64, "-x", "x-", "a\nb", "ab\n", "", "a.b"])
def test_invalid_sagemaker_names(name: str) -> None:
    with pytest.raises(InvalidName, match=r"^input training_job_name: .* is not a valid SageMaker"):
        naming.check_sagemaker_name("training_job_name", name, KIND.name_pattern)
