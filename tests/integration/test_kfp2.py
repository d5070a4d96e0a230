"""The components under KFP SDK v2: every one loads, and a pipeline of them compiles.

The upstream components never worked with KFP v2 (they relied on v1's implicit
``/tmp/outputs``). Ours declare ``{outputPath}``s, so v2 can load them. KFP v2 cannot
share a venv with kfp 1.8, so it runs from ``.venv-kfp2`` (``make kfp2``, SDK 2.16.1) on
``kfp2_compile.py``. This checks every component's loading and compiling; the samples run
on KFP 2.16's v2 engine in ``test_pipelines_on_kfp_v2.py`` and ``test_hybrid_training.py``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ack_components import component_files, interface, kinds, schema

ROOT = Path(__file__).resolve().parents[2]
KFP2_PYTHON = ROOT / ".venv-kfp2" / "bin" / "python"
#: KFP v2's names for the v1 types our inputs and outputs use.
V2_TYPES = {"String": "String", "Bool": "Boolean", "Integer": "Integer", "Float": "Float"}
V2_TYPES |= {"JsonObject": "Dict", "JsonArray": "List"}


def compile_with_kfp2(components: Path) -> dict[str, Any]:
    """What kfp2_compile.py reports of the components in ``components``."""
    if not KFP2_PYTHON.exists():
        pytest.fail(f"{KFP2_PYTHON} is missing: `make kfp2` builds KFP SDK v2's venv")
    done = subprocess.run(
        [str(KFP2_PYTHON), str(Path(__file__).with_name("kfp2_compile.py")), str(components)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.fixture(scope="module")
def compiled() -> dict[str, Any]:
    return compile_with_kfp2(ROOT / "components")


def test_components_written_for_another_image_load_and_run_it_under_kfp2(
    compiled: dict[str, Any], tmp_path: Path
) -> None:
    """`ack-components components --image`: SDK 2 loads every file, compiles the same
    pipeline, and its executors run the given image (pinned by digest)."""
    image = "registry.example.com/ml/ack-components@sha256:" + "1" * 64
    cli = str(Path(sys.executable).parent / "ack-components")
    written = subprocess.run(
        [cli, "components", "--image", image, "--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert written.returncode == 0, written.stderr
    mine = compile_with_kfp2(tmp_path)
    assert mine["images"] == [image]
    assert compiled["images"] == [component_files.IMAGE]
    assert mine["components"] == compiled["components"]
    assert mine["tasks"] == compiled["tasks"]


@pytest.mark.parametrize("kind", kinds.KINDS.values(), ids=lambda kind: kind.name)
def test_every_component_loads_with_its_interface(
    compiled: dict[str, Any], kind: kinds.Kind
) -> None:
    loaded = compiled["components"][kind.name]
    crd_schema = schema.bundled(kind.name)
    # KFP v2 keeps a component's name in its sanitised form.
    assert loaded["name"] == re.sub(r"[^a-z0-9]+", "-", kind.component_name.lower())
    assert loaded["inputs"] == {
        i.name: V2_TYPES[i.type] for i in interface.inputs(kind, crd_schema)
    }
    outputs = {o.name: V2_TYPES[o.type] for o in interface.outputs(kind, crd_schema)}
    ui = {"mlpipeline_ui_metadata": "system.Artifact@0.0.1"}
    if kind.metrics_source:  # KFP v2 takes the Metrics type as its own metrics artifact
        ui["mlpipeline_metrics"] = "system.Metrics@0.0.1"
    assert loaded["outputs"] == outputs | ui


def test_a_pipeline_passes_one_components_output_to_the_next(compiled: dict[str, Any]) -> None:
    tasks = compiled["tasks"]
    endpoint = tasks["sagemaker-endpoint"]
    assert endpoint["dependencies"] == ["sagemaker-endpointconfig"]
    assert endpoint["endpoint_config_name"] == {
        "taskOutputParameter": {
            "outputParameterKey": "sagemaker_resource_name",
            "producerTask": "sagemaker-endpointconfig",
        }
    }
    # Under v2, run_id comes from the pipeline job's id (v1's default is Argo's workflow.uid).
    assert endpoint["run_id"] == {"runtimeValue": {"constant": "{{$.pipeline_job_uuid}}"}}
