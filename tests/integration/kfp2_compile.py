"""Run by KFP SDK v2's interpreter (``.venv-kfp2``): load every component, compile a pipeline.

Prints one JSON object for ``test_kfp2.py`` to check: each component's name and its
inputs and outputs as KFP v2 typed them, the compiled pipeline's tasks with their
dependencies and the run_id each step receives, and the images its executors run. Imports only kfp, not ack_components, and
has no ``from __future__ import annotations``: KFP reads the pipeline function's annotations.
"""

import json
import sys
import tempfile
from pathlib import Path

import yaml
from kfp import compiler, components, dsl

COMPONENTS = Path(sys.argv[1])


def main() -> None:
    loaded = {}
    for path in sorted(COMPONENTS.glob("*/component.yaml")):
        spec = components.load_component_from_file(str(path)).component_spec
        loaded[path.parent.name] = {
            "name": spec.name,
            "inputs": {n: i.type for n, i in (spec.inputs or {}).items()},
            "outputs": {n: o.type for n, o in (spec.outputs or {}).items()},
        }

    def load(kind: str):  # a kfp component factory
        return components.load_component_from_file(str(COMPONENTS / kind / "component.yaml"))

    config_op, endpoint_op = load("EndpointConfig"), load("Endpoint")

    @dsl.pipeline(name="serve")
    def serve(region: str = "us-east-1") -> None:
        config = config_op(
            region=region,
            production_variants=[{"variantName": "AllTraffic", "modelName": "kmeans"}],
            run_id=dsl.PIPELINE_JOB_ID_PLACEHOLDER,
        )
        endpoint_op(
            region=region,
            endpoint_config_name=config.outputs["sagemaker_resource_name"],
            run_id=dsl.PIPELINE_JOB_ID_PLACEHOLDER,
        )

    target = Path(tempfile.mkdtemp()) / "serve.yaml"
    compiler.Compiler().compile(serve, str(target))
    ir = yaml.safe_load(target.read_text())
    tasks = ir["root"]["dag"]["tasks"]
    compiled = {
        name: {
            "dependencies": task.get("dependentTasks", []),
            "run_id": task["inputs"]["parameters"]["run_id"],
            "endpoint_config_name": task["inputs"]["parameters"].get("endpoint_config_name"),
        }
        for name, task in tasks.items()
    }
    executors = ir["deploymentSpec"]["executors"].values()
    images = sorted({executor["container"]["image"] for executor in executors})
    print(json.dumps({"components": loaded, "tasks": compiled, "images": images}))


if __name__ == "__main__":
    main()
