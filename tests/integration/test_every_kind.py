"""Every kind in the table, end to end on the real API server: it completes, and it fails.

For each kind the component renders a sample spec, the API server's CRD accepts
it, the stand-in walks it through its lifecycle (as the ACK controller reports
it) and the step exits 0 with its outputs written by type; a failure value ends the step with
exit 1 and the reason. Kind-specific behaviour has its own tests beside this.
"""

from __future__ import annotations

import json

import pytest
from harness import Component, Harness, synced

from ack_components import interface, kinds, schema
from ack_components.interface import snake_case
from ack_components_sandbox.testing import samples, status_writer

KINDS = list(kinds.KINDS.values())


def start(harness: Harness, kind: kinds.Kind, name: str) -> tuple[Component, str]:
    """Start the step; return it and the custom resource's name."""
    inputs = samples.as_inputs(samples.spec_for(kind.name))
    if kind.name_field:
        inputs[snake_case(kind.name_field)] = name
    run = harness.start(kind=kind.name, **inputs)
    cr = harness.wait_for_resource(kind=kind.name)
    return run, cr["metadata"]["name"]


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
def test_the_step_completes_with_typed_outputs(harness: Harness, kind: kinds.Kind) -> None:
    run, name = start(harness, kind, f"{kind.name_prefix}-done")
    lifecycle = status_writer.lifecycle(kind, name)
    for status in lifecycle:
        harness.set_status(name, kind=kind.name, **status)
    code, log = run.wait()
    assert code == 0, log
    arn = lifecycle[-1]["ackResourceMetadata"]["arn"]
    expected = name if kind.name_field else arn
    assert run.written("sagemaker_resource_name") == expected  # bare text, no quotes
    if kind.status_field:
        field = snake_case(kind.status_field)
        assert run.written(field) == lifecycle[-1][kind.status_field]
    for output in interface.outputs(kind, schema.bundled(kind.name)):
        if output.type in (interface.JSON_OBJECT, interface.JSON_ARRAY):
            json.loads(run.written(output.name))


@pytest.mark.parametrize("kind", [k for k in KINDS if k.failed], ids=lambda kind: kind.name)
def test_a_failure_value_fails_the_step(harness: Harness, kind: kinds.Kind) -> None:
    assert kind.status_field is not None
    value = sorted(kind.failed)[0]
    run, name = start(harness, kind, f"{kind.name_prefix}-fails")
    # Not every kind's status has a failureReason (the API server drops unknown fields).
    has_reason = "failureReason" in schema.bundled(kind.name)["properties"]["status"]["properties"]
    harness.set_status(
        name,
        kind=kind.name,
        **{kind.status_field: value, "failureReason": "boom", "conditions": [synced()]},
    )
    code, log = run.wait()
    assert code == 1, log
    assert f"{kind.name} {value}: {'boom' if has_reason else 'no reason given'}" in log


def structured_input(kind: kinds.Kind) -> tuple[str, object, str]:
    """An input of fixed-field objects: its name, a value with an unknown field, its path."""
    spec = schema.bundled(kind.name)["properties"]["spec"]["properties"]
    for field, field_schema in sorted(spec.items()):
        if field_schema.get("type") == "object" and field_schema.get("properties"):
            return snake_case(field), {"notAField": 1}, "$"
    for field, field_schema in sorted(spec.items()):
        if (field_schema.get("items") or {}).get("properties"):
            return snake_case(field), [{"notAField": 1}], "$[0]"
    raise AssertionError(f"{kind.name} has no input of fixed-field objects")


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
def test_an_unknown_field_is_named_and_nothing_is_created(
    harness: Harness, kind: kinds.Kind
) -> None:
    name, value, path = structured_input(kind)
    inputs = samples.as_inputs(samples.spec_for(kind.name))
    inputs[name] = json.dumps(value)
    code, log = harness.run(kind=kind.name, **inputs)
    assert code == 2, log
    # The JSON path is inside the input's own value; its top is $.
    assert f"input {name} at {path}: Additional properties are not allowed ('notAField'" in log
    assert harness.items(kind.name) == []
