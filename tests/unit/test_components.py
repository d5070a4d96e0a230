"""Generated component files: current, loadable by KFP 1.8, and usable from a compiled pipeline."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import kfp
import pytest
import yaml
from helpers import CRD_SCHEMA, KIND, raw_inputs

from ack_components import cli, interface, kinds, run, schema
from ack_components_sandbox import codegen

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "samples" / "training_pipeline.py"

# kfp 1.8 warns about its own deprecated internals (lib2to3, ContainerOp.image).
pytestmark = pytest.mark.filterwarnings(
    "ignore::DeprecationWarning", "ignore::PendingDeprecationWarning"
)


def test_the_components_index_is_current() -> None:
    assert codegen.stale({codegen.INDEX: codegen.index(list(kinds.ALL_KINDS.values()))}) == []


@pytest.mark.parametrize("kind", kinds.ALL_KINDS.values(), ids=lambda kind: kind.name)
def test_generated_files_are_current(kind: kinds.Kind) -> None:
    problems = codegen.stale(codegen.generate(kind, schema.bundled(kind.name)))
    assert problems == [], (
        "stale generated files: run `ack-components-sandbox codegen`\n" + "\n".join(problems)
    )


@pytest.mark.parametrize("kind", kinds.ALL_KINDS.values(), ids=lambda kind: kind.name)
def test_component_loads_with_kfp_and_matches_the_interface(kind: kinds.Kind) -> None:
    assert kfp.__version__ == "1.8.22"
    crd_schema = schema.bundled(kind.name)
    path = REPO / "components" / kind.name / "component.yaml"
    spec = kfp.components.load_component_from_file(str(path)).component_spec
    assert spec.name == kind.component_name
    assert [(i.name, i.type, i.default, bool(i.optional)) for i in spec.inputs] == [
        (
            i.name,
            i.type,
            None if i is interface.REGION or interface.optional_without_default(i) else i.default,
            interface.optional_without_default(i),
        )
        for i in interface.inputs(kind, crd_schema)
    ]
    assert [(o.name, o.type) for o in spec.outputs] == [
        (o.name, o.type)
        for o in (*interface.outputs(kind, crd_schema), *interface.kfp_outputs(kind))
    ]
    assert spec.implementation.container.command == ["ack-components", "run", kind.name]


@pytest.mark.parametrize("kind", kinds.ALL_KINDS.values(), ids=lambda kind: kind.name)
def test_every_input_and_output_is_described_in_a_sentence(kind: kinds.Kind) -> None:
    document = yaml.safe_load((REPO / "components" / kind.name / "component.yaml").read_text())
    readme = (REPO / "components" / kind.name / "README.md").read_text()
    for entry in (*document["inputs"], *document["outputs"]):
        description = entry["description"].removesuffix(" (required)")
        # One sentence or two of our own, not the CRD's paragraphs with links and lists.
        assert 10 < len(description) <= 330, (entry["name"], description)
        assert description.endswith("."), (entry["name"], description)
        assert "http" not in description and " * " not in description, description
        assert f"| `{entry['name']}` |" in readme
        assert f"| {description.replace('|', chr(92) + '|')} |" in readme


@pytest.mark.parametrize("kind", kinds.ALL_KINDS.values(), ids=lambda kind: kind.name)
def test_every_component_argument_is_a_cli_argument(kind: kinds.Kind, tmp_path: Path) -> None:
    """The args component.yaml passes, with KFP's values put in, parse as the run command's."""
    path = REPO / "components" / kind.name / "component.yaml"
    document = yaml.safe_load(path.read_text())
    defaults = {
        i["name"]: i.get("default", "us-east-1")
        for i in document["inputs"]
        if not i.get("optional")
    }
    optional = {i["name"]: "7" for i in document["inputs"] if i.get("optional")}

    def resolve(args: list[Any], given: dict[str, str]) -> list[str]:
        """KFP's substitution: values for inputs, paths for outputs, `if` by isPresent."""
        argv: list[str] = []
        for arg in args:
            if isinstance(arg, str):
                argv.append(arg)
            elif "inputValue" in arg:
                argv.append(given[arg["inputValue"]])
            elif "outputPath" in arg:
                argv.append(str(tmp_path / arg["outputPath"]))
            elif arg["if"]["cond"]["isPresent"] in given:
                argv += resolve(arg["if"]["then"], given)
        return argv

    args = document["implementation"]["container"]["args"]
    for given in (defaults, {**defaults, **optional}):
        parsed = cli._kind_arguments(kind.name, resolve(args, given), with_outputs=True)
        assert cli._inputs(parsed) == given
    named = "sagemaker_resource_name" if kind.on_sagemaker else "resource_name"
    assert getattr(parsed, f"out:{named}") == str(tmp_path / named)


@pytest.fixture(scope="module")
def workflow(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    spec = importlib.util.spec_from_file_location("training_pipeline", SAMPLE)
    assert spec is not None and spec.loader is not None
    sample = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sample)
    target = tmp_path_factory.mktemp("compiled") / "training_pipeline.yaml"
    kfp.compiler.Compiler().compile(sample.training_pipeline, str(target))
    compiled: dict[str, Any] = yaml.safe_load(target.read_text())
    return compiled


def templates(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {template["name"]: template for template in workflow["spec"]["templates"]}


def training_args(workflow: dict[str, Any]) -> list[str]:
    args: list[str] = templates(workflow)["sagemaker-trainingjob"]["container"]["args"]
    return args


def test_sample_compiles_with_output_paths_and_run_id(workflow: dict[str, Any]) -> None:
    args = training_args(workflow)
    flags = dict(zip(args[::2], args[1::2], strict=True))
    assert flags["--model_artifacts_output_path"] == "/tmp/outputs/model_artifacts/data"
    assert flags["--mlpipeline_ui_metadata_output_path"].startswith("/tmp/outputs/")
    assert flags["--run_id"] == "{{workflow.uid}}"
    assert flags["--region"] == "{{inputs.parameters.region}}"
    assert flags["--role_arn"] == "{{inputs.parameters.role_arn}}"
    assert json.loads(flags["--hyper_parameters"]) == {"k": "10", "feature_dim": "784"}
    parameters = json.loads(
        workflow["metadata"]["annotations"]["pipelines.kubeflow.org/pipeline_spec"]
    )
    assert {p["name"] for p in parameters["inputs"]} == {"region", "role_arn", "bucket"}


def test_sample_second_step_consumes_model_artifacts(workflow: dict[str, Any]) -> None:
    dag = templates(workflow)["mnist-kmeans-training"]["dag"]["tasks"]
    consumer = next(task for task in dag if task["name"] == "model-location")
    assert consumer["dependencies"] == ["sagemaker-trainingjob"]
    [argument] = consumer["arguments"]["parameters"]
    assert argument["value"] == (
        "{{tasks.sagemaker-trainingjob.outputs.parameters.sagemaker-trainingjob-model_artifacts}}"
    )


def test_sample_renders_a_valid_training_job(workflow: dict[str, Any]) -> None:
    """Argo's substitutions made by hand: the step's arguments make a valid resource."""
    values = {"region": "us-west-2", "role_arn": raw_inputs()["role_arn"], "bucket": "data"}
    values["workflow.uid"] = "0b5c7e0a-7d3f-4f4e-9a51-8f0e3c2b1a00"
    argv = [
        re.sub(r"\{\{(?:inputs\.parameters\.)?([\w.]+)\}\}", lambda m: values[m[1]], arg)
        for arg in training_args(workflow)
    ]
    raw = cli._inputs(cli._kind_arguments(KIND.name, argv, with_outputs=True))
    resource = run.prepare(KIND, raw, "kubeflow").resource
    spec = resource["spec"]
    channel = spec["inputDataConfig"][0]
    assert channel["channelName"] == "train"
    assert (
        channel["dataSource"]["s3DataSource"]["s3URI"]
        == "s3://data/mnist_kmeans_example/train_data"
    )
    assert spec["outputDataConfig"] == {"s3OutputPath": "s3://data/mnist_kmeans_example/output"}
    assert spec["resourceConfig"]["instanceType"] == "ml.m5.2xlarge"
    assert spec["algorithmSpecification"]["trainingImage"].endswith("/kmeans:1")
    assert resource["metadata"]["annotations"]["services.k8s.aws/region"] == "us-west-2"
    assert resource["metadata"]["labels"]["ack-components/run-id"] == values["workflow.uid"]
    schema.validate_spec(spec, CRD_SCHEMA)
