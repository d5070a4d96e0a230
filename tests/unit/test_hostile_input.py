"""Hostile input, pure: what the API server could not keep as given is refused with its input,
and no input reaches the resource's namespace or annotations (issue 13, items 3 and 4)."""

from __future__ import annotations

import contextlib
import io
import json
import re
from typing import Any

import pytest
from helpers import KIND, raw_inputs
from hypothesis import given, settings
from hypothesis import strategies as st

from ack_components import interface, kinds, run, schema
from ack_components.interface import JSON_OBJECT, STRING, InputError
from ack_components.naming import InvalidName
from ack_components.schema import SpecInvalid
from ack_components_sandbox.testing import samples

REGION_KEY = "services.k8s.aws/region"
RUN_ID_KEY = "ack-components/run-id"


def parse(type_: str, text: str) -> Any:
    return interface.parse(interface.Input("my_input", type_, ""), text)


@pytest.mark.parametrize(
    ("type_", "text", "where"),
    [
        (STRING, "caf\udce9", "'\\udce9' at position 3"),  # a Latin-1 byte in a command line
        (STRING, '"\\ud800"', "'\\ud800' at position 0"),  # the JSON-quoted form
        (JSON_OBJECT, '{"k": ["ok", "\\udfff"]}', "at $.k[1]: the string is not valid text"),
        (JSON_OBJECT, '{"k": {"\\ud83d": 1}}', "at $.k: the key '\\ud83d' is not valid text"),
    ],
)
def test_a_lone_surrogate_is_refused(type_: str, text: str, where: str) -> None:
    # The API server would store U+FFFD in its place: another value than the one given.
    with pytest.raises(InputError, match=f"^input my_input: .*{re.escape(where)}.*lone surrogate"):
        parse(type_, text)


def test_a_pair_of_surrogates_is_one_character() -> None:
    assert parse(JSON_OBJECT, '{"k": "\\ud83d\\ude00"}') == {"k": "\U0001f600"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"k": 1e400}', "at $.k: the number reads as inf"),
        ('{"k": [-1e400]}', "at $.k[0]: the number reads as -inf"),
        ('{"k": 18446744073709551617}', "at $.k: the integer 18446744073709551617 is outside"),
        ('{"k": -9223372036854775809}', "at $.k: the integer -9223372036854775809 is outside"),
        ('{"k": ' + "1" * 5000 + "}", "not usable JSON: a number has more than 4300 digits"),
        ('{"k": ' + "[" * 5000 + "]" * 5000 + "}", "not usable JSON: nested deeper than 100"),
        ('{"k": ' + "[" * 150 + "]" * 150 + "}", "at $.k[0][0][0]"),  # ...: nested deeper
    ],
)
def test_json_the_api_server_cannot_keep_is_refused(text: str, message: str) -> None:
    with pytest.raises(InputError, match=f"^input my_input: {re.escape(message)}"):
        parse(JSON_OBJECT, text)


@pytest.mark.parametrize(
    "number", [2**53 + 1, -(2**53) - 1, 2**63 - 1, -(2**63), -0.0, 5e-324, 1.7976931348623157e308]
)
def test_numbers_that_fit_are_kept_exactly(number: float) -> None:
    value = parse(JSON_OBJECT, f'{{"k": {json.dumps(number)}}}')["k"]
    assert (value, type(value), str(value)) == (number, type(number), str(number))


def test_an_integer_a_float_would_round_is_rendered_exactly() -> None:
    limit = {"maxRuntimeInSeconds": 2**53 + 1}
    prepared = run.prepare(KIND, raw_inputs(stopping_condition=limit), "ns")
    assert prepared.resource["spec"]["stoppingCondition"] == limit


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        # These ended in a traceback: float() of the time limit overflowed, and the run-id
        # label's digest could not encode the surrogate.
        ("timeout_seconds", "1" + "0" * 400, "the integer 1000"),
        ("run_id", "run-\udcff", "is not valid text"),
    ],
)
def test_inputs_that_used_to_end_in_a_traceback(name: str, text: str, message: str) -> None:
    with pytest.raises(InputError, match=f"input {name}: {re.escape(message)}"):
        run.prepare(KIND, raw_inputs(**{name: text}), "ns")


def test_an_integer_input_outside_int64_is_refused() -> None:
    transform = kinds.get("TransformJob")
    raw = samples.as_inputs(samples.spec_for("TransformJob"), max_payload_in_mb=str(2**63))
    with pytest.raises(
        InputError, match="input max_payload_in_mb: the integer 9223372036854775808"
    ):
        run.prepare(transform, raw, "ns")


@pytest.mark.parametrize(
    "region", ["us-east-1", "eu-west-2", "us-gov-west-1", "cn-northwest-1", "eu-isoe-west-1"]
)
def test_a_region_name_is_taken(region: str) -> None:
    prepared = run.prepare(KIND, raw_inputs(region=region), "ns")
    assert prepared.region == region
    assert prepared.resource["metadata"]["annotations"][REGION_KEY] == region


@pytest.mark.parametrize(
    ("region", "message"),
    [
        ("us-east-1\nfoo: bar", "contains a control character"),
        ('"us-east-1\\nfoo: bar"', "contains a control character"),
        ("us-east-1\u2028foo", "contains a control character"),
        ("evil.example/#", "is not an AWS region name"),
        ("us-east-1 ", "is not an AWS region name"),
        ("US-EAST-1", "is not an AWS region name"),
        ("us-east-1/../x", "is not an AWS region name"),
        ("{{ region }}", "is not an AWS region name"),
        ('us-east-1", "x": "y', "is not an AWS region name"),
        ("", "input region is required"),
    ],
)
def test_a_region_that_is_not_a_region_name_is_refused(region: str, message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)) as refused:
        run.prepare(KIND, raw_inputs(region=region), "ns")
    assert "input region" in str(refused.value)


def test_a_sagemaker_name_no_object_can_have_names_its_input() -> None:
    # SageMaker's pattern allows any run of hyphens; a Kubernetes name has 63 characters.
    name = "a" + "-" * 70 + "b"
    with pytest.raises(InvalidName, match=r"^input training_job_name: 'a-+b' cannot be a Kub"):
        run.prepare(KIND, raw_inputs(training_job_name=name), "ns")


def test_run_says_where_stdout_is_now() -> None:
    """A caller that redirects stdout (a test running the CLI in-process) hears the step."""
    heard = io.StringIO()
    with contextlib.redirect_stdout(heard):
        code = run.run(KIND.name, raw_inputs(region="nowhere"), {})
    assert code == run.EXIT_BAD_INPUT
    assert "input region: 'nowhere' is not an AWS region name" in heard.getvalue()


# Text that tries to reach the resource's metadata from an input.
REACHING = [
    "\n  namespace: other", "\nmetadata:\n  namespace: other", '", "namespace": "other',
    f"{REGION_KEY}: eu-west-1", "{{ namespace }}", "{{ annotations }}", "&a", "*a",
    "!!python/object:os.system", "{% set namespace = 'other' %}", "other", "eu-west-1",
]  # fmt: skip
REGIONS = ["us-east-1", "eu-west-1", "us-east-1\nnamespace: other", "eu-west-1,us-east-1",
           "us-east-1\n  " + REGION_KEY + ": eu-west-1", "{{ region }}", "other/eu-west-1"]  # fmt: skip
# Printable: control characters are refused first (the fuzz has them); these go further.
printable = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=3)
texts = st.lists(st.sampled_from(REACHING) | printable, max_size=4).map("".join)
METADATA_KEYS = ["metadata", "namespace", "annotations", "labels", REGION_KEY, "region",
                 RUN_ID_KEY, "apiVersion", "kind", "spec", "name"]  # fmt: skip


def _is_map(field: str | None, kind: str) -> bool:
    """A spec field that takes any key (``hyperParameters``, ``environment``, ...)."""
    found = schema.bundled(kind)["properties"]["spec"]["properties"].get(field or "", {})
    return "additionalProperties" in found and "properties" not in found


INPUTS = {kind: interface.inputs(kinds.get(kind), schema.bundled(kind)) for kind in kinds.KINDS}
MAPS = {kind: [spec.name for spec in INPUTS[kind] if _is_map(spec.field, kind)] for kind in INPUTS}
JSON_INPUTS = {
    kind: [spec.name for spec in specs if spec.type in (interface.JSON_OBJECT, interface.JSON_ARRAY)]
    for kind, specs in INPUTS.items()
}  # fmt: skip
INPUT_TYPES = {(kind, spec.name): spec.type for kind, specs in INPUTS.items() for spec in specs}
STRINGS = {
    kind: [spec.name for spec in specs if spec.type == STRING and spec.field]
    for kind, specs in INPUTS.items()
}


@st.composite
def reaching_inputs(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    """A kind's sample inputs with one attempt on the metadata: text reaching for it in a
    string input or the run id, metadata-looking keys in a JSON input (one that takes any
    key when the kind has one), or a region that carries more than a region."""
    kind = draw(st.sampled_from(sorted(kinds.KINDS)))
    raw = samples.as_inputs(samples.spec_for(kind), run_id="run-1")
    attempt = draw(st.sampled_from(["region", "string", "run_id", "json"]))
    if attempt == "region":
        raw["region"] = draw(st.sampled_from(REGIONS) | texts)
    elif attempt == "string":
        name = draw(st.sampled_from(STRINGS[kind]))
        raw[name] = (raw.get(name) or "x") + draw(texts)
    elif attempt == "run_id" or not (MAPS[kind] or JSON_INPUTS[kind]):
        raw["run_id"] = draw(texts)
    else:
        name = draw(st.sampled_from(MAPS[kind] or JSON_INPUTS[kind]))
        keys = draw(st.lists(st.sampled_from(METADATA_KEYS) | texts, min_size=1, max_size=3))
        values = st.sampled_from(["other", "eu-west-1"]) | texts
        extra = {key: draw(values) for key in keys}
        given = json.loads(raw.get(name) or "null")
        if isinstance(given, list) and given and isinstance(given[0], dict):
            given = [{**given[0], **extra}, *given[1:]]
        elif isinstance(given, dict):
            given = {**given, **extra}
        else:
            given = [extra] if INPUT_TYPES[kind, name] == interface.JSON_ARRAY else extra
        raw[name] = json.dumps(given)
    return kind, raw


def test_no_input_reaches_the_namespace_or_the_annotations() -> None:
    taken = []

    @settings(max_examples=400, derandomize=True, database=None, deadline=None)
    @given(case=reaching_inputs())
    def attempt(case: tuple[str, dict[str, str]]) -> None:
        kind, raw = case
        try:
            prepared = run.prepare(kinds.get(kind), raw, "ns")
        except (InputError, InvalidName, SpecInvalid):
            return
        taken.append(raw)
        only_its_own_metadata(prepared.resource, raw)

    attempt()
    # Enough got through to show the metadata is the engine's own, not only refusals.
    assert len(taken) >= 100, len(taken)
    assert any(REGION_KEY in text or "namespace" in text for raw in taken for text in raw.values())


def only_its_own_metadata(resource: dict[str, Any], raw: dict[str, str]) -> None:
    assert list(resource) == ["apiVersion", "kind", "metadata", "spec"]
    metadata = resource["metadata"]
    assert list(metadata) == ["name", "namespace", "labels", "annotations"]
    assert metadata["namespace"] == "ns"
    assert re.fullmatch(interface.REGION_PATTERN, raw["region"])
    run_id = raw["run_id"]
    assert metadata["annotations"] == {REGION_KEY: raw["region"]} | (
        {RUN_ID_KEY: run_id} if run_id else {}
    )
    assert set(metadata["labels"]) <= {"app.kubernetes.io/managed-by", RUN_ID_KEY}
