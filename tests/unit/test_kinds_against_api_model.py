"""The kind table agrees with the SageMaker API model the sandbox's CRDs come from.

Each status value the table names must be one SageMaker can return for that
kind, and each name rule must accept exactly the names SageMaker accepts. A
typo here would leave a step waiting forever or refuse valid names.
"""

from __future__ import annotations

import re
from typing import Any

import botocore.session
import pytest

from ack_components import kinds

MODEL = botocore.session.get_session().get_service_model("sagemaker")
#: Where the API names an operation otherwise than Describe<Kind> / Create<Kind>.
CREATE = {"PipelineExecution": "StartPipelineExecution"}


def pascal(field: str) -> str:
    return field[0].upper() + field[1:]


@pytest.mark.parametrize(
    "kind", [k for k in kinds.KINDS.values() if k.status_field], ids=lambda k: k.name
)
def test_status_values_are_sagemaker_values(kind: kinds.Kind) -> None:
    assert kind.status_field is not None
    output = MODEL.operation_model(f"Describe{kind.name}").output_shape
    enum = set(output.members[pascal(kind.status_field)].enum)
    named = kind.succeeded | kind.failed | kind.stopped
    assert named <= enum, f"not SageMaker values: {sorted(named - enum)}"
    assert kind.succeeded, "a kind with a status value needs a success value"


def _accepts(shape: Any, name: str) -> bool:
    meta = shape.metadata
    return bool(
        re.fullmatch(meta.get("pattern", ".*"), name)
        and meta.get("min", 0) <= len(name) <= meta.get("max", 10**6)
    )


@pytest.mark.parametrize(
    "kind", [k for k in kinds.KINDS.values() if k.name_field], ids=lambda k: k.name
)
def test_name_rules_match_sagemaker(kind: kinds.Kind) -> None:
    assert kind.name_field is not None
    operation = CREATE.get(kind.name, f"Create{kind.name}")
    shape = MODEL.operation_model(operation).input_shape.members[pascal(kind.name_field)]
    longest = shape.metadata.get("max", 63)
    for name in ("a", "A1", "a-b", "a--b", "a_b", "-a", "a-", "a" * longest, "a" * (longest + 1)):
        ours = re.fullmatch(kind.name_pattern, name) is not None
        assert ours == _accepts(shape, name), f"{name!r}: ours {ours}"


def test_plurals_and_component_names_are_derived_from_the_kind_name() -> None:
    """Every entry leaves them to the table's rule, which gives the CRDs' plurals (every
    end-to-end test addresses its kind by it) and upstream's component names."""
    from ack_components import kinds

    for kind in kinds.ALL_KINDS.values():
        assert kind.plural == kind.name.lower() + "s"
        owner = "Sagemaker" if kind.on_sagemaker else "Kubeflow"
        assert kind.component_name == f"{owner} - {kind.name}"
    assert kinds.Kind(name="Odd", name_field=None, plural="oddities").plural == "oddities"
