"""A String output placed inside the next step's JSON input, as Argo passes it.

``samples/deploy_pipeline.py`` writes the Model step's ``sagemaker_resource_name``
into the EndpointConfig's ``production_variants`` JSON. KFP 1.8 compiles that
into an Argo template whose argument holds ``{{inputs.parameters.…}}``, and Argo
fills it with the producing step's output file text, pasted as it is. Here the
Model step runs for real (the test writes ``.status`` as the controller would),
its output file is pasted into the compiled EndpointConfig template exactly so,
and ``ack-components render`` must turn the result into the right resource.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
from pathlib import Path
from typing import Any

import kfp
import pytest
import yaml
from harness import CLI, Harness, synced

from ack_components_sandbox.testing import samples

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "samples" / "deploy_pipeline.py"
MODEL_ARN = "arn:aws:sagemaker:us-east-1:123456789012:model/kmeans-model"
PLACEHOLDER = re.compile(r"\{\{([^}]*)\}\}")

pytestmark = pytest.mark.filterwarnings(
    "ignore::DeprecationWarning", "ignore::PendingDeprecationWarning"
)


def compiled_workflow(tmp_path: Path) -> dict[str, Any]:
    spec = importlib.util.spec_from_file_location("deploy_pipeline", SAMPLE)
    assert spec is not None and spec.loader is not None
    sample = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sample)
    target = tmp_path / "deploy_pipeline.yaml"
    kfp.compiler.Compiler().compile(sample.deploy_pipeline, str(target))
    workflow: dict[str, Any] = yaml.safe_load(target.read_text())
    return workflow


def substitute(text: str, values: dict[str, str]) -> str:
    """Argo's parameter substitution: each ``{{name}}`` becomes its value's text, pasted."""
    return PLACEHOLDER.sub(lambda match: values[match.group(1).strip()], text)


def argo_arguments(
    workflow: dict[str, Any], step: str, pipeline: dict[str, str], outputs: dict[str, str]
) -> list[str]:
    """The step's container arguments after Argo filled them in.

    ``pipeline``: the run's parameters; ``outputs``: ``tasks.<step>.outputs.parameters.<name>``
    → that output file's text.
    """
    templates = {t["name"]: t for t in workflow["spec"]["templates"]}
    [dag] = [t for t in templates.values() if "dag" in t]
    [task] = [t for t in dag["dag"]["tasks"] if t["name"] == step]
    scope = {f"inputs.parameters.{k}": v for k, v in pipeline.items()} | outputs
    given = {p["name"]: substitute(p["value"], scope) for p in task["arguments"]["parameters"]}
    inner = {f"inputs.parameters.{k}": v for k, v in given.items()}
    inner["workflow.uid"] = "5f0c7a55-0000-4000-8000-000000000001"
    return [substitute(arg, inner) for arg in templates[task["template"]]["container"]["args"]]


def render(kind: str, arguments: list[str]) -> dict[str, Any]:
    """``ack-components render`` on a step's arguments (its output paths left out)."""
    pairs = list(zip(arguments[::2], arguments[1::2], strict=True))
    kept = [
        part for flag, value in pairs if not flag.endswith("_output_path") for part in (flag, value)
    ]
    done = subprocess.run([CLI, "render", kind, *kept], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    resource: dict[str, Any] = yaml.safe_load(done.stdout)
    return resource


def test_a_model_name_output_inside_production_variants_renders_the_config(
    harness: Harness, tmp_path: Path
) -> None:
    model = harness.start(
        kind="Model",
        model_name="kmeans-model",
        **samples.as_inputs(samples.kmeans_model_spec("s3://bucket/model.tar.gz")),
    )
    harness.wait_for_resource(kind="Model")
    harness.set_status(
        "kmeans-model",
        kind="Model",
        ackResourceMetadata={
            "arn": MODEL_ARN,
            "ownerAccountID": "123456789012",
            "region": "us-east-1",
        },
        conditions=[synced()],
    )
    code, log = model.wait()
    assert code == 0, log

    workflow = compiled_workflow(tmp_path)
    produced = "tasks.sagemaker-model.outputs.parameters.sagemaker-model-sagemaker_resource_name"
    arguments = argo_arguments(
        workflow,
        "sagemaker-endpointconfig",
        {"region": "us-east-1", "instance_type": "ml.m5.large"},
        {produced: model.written("sagemaker_resource_name")},
    )
    assert not any(PLACEHOLDER.search(arg) for arg in arguments), arguments
    config = render("EndpointConfig", arguments)
    [variant] = config["spec"]["productionVariants"]
    assert variant["modelName"] == "kmeans-model"
    assert variant["instanceType"] == "ml.m5.large"
    # The pipeline gives no enable_network_isolation: nothing of it is rendered.
    assert set(config["spec"]) == {"endpointConfigName", "productionVariants"}
