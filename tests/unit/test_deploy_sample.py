"""The train-and-serve sample compiles with kfp 1.8, and its steps pass outputs along."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import kfp
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "samples" / "deploy_pipeline.py"

pytestmark = pytest.mark.filterwarnings(
    "ignore::DeprecationWarning", "ignore::PendingDeprecationWarning"
)


@pytest.fixture(scope="module")
def tasks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    spec = importlib.util.spec_from_file_location("deploy_pipeline", SAMPLE)
    assert spec is not None and spec.loader is not None
    sample = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sample)
    target = tmp_path_factory.mktemp("compiled") / "deploy_pipeline.yaml"
    kfp.compiler.Compiler().compile(sample.deploy_pipeline, str(target))
    workflow = yaml.safe_load(target.read_text())
    [dag] = [t for t in workflow["spec"]["templates"] if t["name"] == "mnist-kmeans-deploy"]
    return {task["name"]: task for task in dag["dag"]["tasks"]}


def argument(task: dict[str, Any], name: str) -> str:
    values = {p["name"]: p["value"] for p in task["arguments"]["parameters"]}
    return str(values[name])


def test_the_steps_form_a_chain(tasks: dict[str, dict[str, Any]]) -> None:
    assert tasks["serving-container"]["dependencies"] == ["sagemaker-trainingjob"]
    assert tasks["sagemaker-model"]["dependencies"] == ["serving-container"]
    # The model's name goes into the config's JSON input directly: no helper step between.
    assert tasks["sagemaker-endpointconfig"]["dependencies"] == ["sagemaker-model"]
    assert tasks["sagemaker-endpoint"]["dependencies"] == ["sagemaker-endpointconfig"]


def test_outputs_feed_the_next_step(tasks: dict[str, dict[str, Any]]) -> None:
    assert argument(tasks["serving-container"], "sagemaker-trainingjob-model_artifacts") == (
        "{{tasks.sagemaker-trainingjob.outputs.parameters.sagemaker-trainingjob-model_artifacts}}"
    )
    assert "sagemaker-endpointconfig-sagemaker_resource_name" in json.dumps(
        tasks["sagemaker-endpoint"]["arguments"]
    )


def test_the_variants_place_the_model_name_output_as_text() -> None:
    spec = importlib.util.spec_from_file_location("deploy_pipeline_funcs", SAMPLE)
    assert spec is not None and spec.loader is not None
    sample = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sample)
    # The model step's String output is bare text; Argo pastes it between the quotes.
    [variant] = json.loads(sample.one_variant("model-abc", "ml.m5.large"))
    assert variant["modelName"] == "model-abc"
    assert variant["instanceType"] == "ml.m5.large"
    container = sample.serving_container({"s3ModelArtifacts": "s3://b/m.tar.gz"}, "img")
    assert container == {"image": "img", "modelDataURL": "s3://b/m.tar.gz"}
