"""Runs submitted to the Kubeflow Pipelines API server, as users submit them, on either engine.

A user points a KFP client at their Kubeflow (``host=<ingress>/pipeline``,
``namespace=<their profile>``). An SDK 1.8 pipeline (an Argo Workflow) goes through
the v1 API with kfp 1.8's ``create_run_from_pipeline_package``; an SDK 2 pipeline (the
v2 IR) through the v2 API (``POST /apis/v2beta1/runs``, what kfp 2's client sends),
and runs on the v2 engine (driver, launcher, ML Metadata). Either way the API server
creates an Argo Workflow in the profile namespace under ``default-editor``, labelled
with the run's id (``pipeline/runid``), and the persistence agent reports it back.
Here the host is the sandbox's ingress (``kfp_ui.py``), which signs the caller in as
the profile's owner. A run is followed through its Workflow and terminated with KFP's
``TerminateRun``, the same for both engines.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from ack_components_sandbox.kubeflow import pipelines

EXPERIMENT = "ack-components sandbox"
#: The label KFP's API server puts on a run's Workflow.
RUN_ID_LABEL = "pipeline/runid"
#: Where ``make kfp2`` installs KFP SDK 2 (``KFP_SDK2_VERSION``), beside the project's venv.
SDK2_VENV = ".venv-kfp2"


def client(ui_url: str, namespace: str) -> Any:
    """``kfp.Client`` (1.8) as a user of a Kubeflow install makes it: the ingress, then ``/pipeline``."""
    import kfp

    return kfp.Client(host=f"{ui_url}/pipeline", namespace=namespace)


class RestApi:
    """KFP's REST API through the ingress: JSON in, JSON out (the v2 API has no 1.8 client)."""

    def __init__(self, ui_url: str) -> None:
        self.base = f"{ui_url}/pipeline"

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as error:
            raise pipelines.PipelineError(
                f"KFP API {method} {path}: {error.code} {error.read().decode()[:2000]}"
            ) from error
        answer: dict[str, Any] = json.loads(text) if text.strip() else {}
        return answer

    def experiment(self, name: str, namespace: str) -> str:
        """The id of the experiment ``name`` in ``namespace``, created when missing."""
        found = self.call(
            "GET", f"/apis/v2beta1/experiments?namespace={namespace}&page_size=200"
        ).get("experiments", [])
        for experiment in found:
            if experiment.get("display_name") == name:
                return str(experiment["experiment_id"])
        created = self.call(
            "POST", "/apis/v2beta1/experiments", {"display_name": name, "namespace": namespace}
        )
        return str(created["experiment_id"])


def sdk2_compiler() -> str:
    """KFP SDK 2's ``kfp`` command: ``.venv-kfp2`` of the working directory, else on PATH."""
    local = Path(SDK2_VENV) / "bin" / "kfp"
    found = str(local) if local.is_file() else shutil.which("kfp")
    if found is None:
        raise pipelines.PipelineError(
            f"compiling an SDK 2 pipeline needs KFP SDK 2 (`make kfp2` installs it in {SDK2_VENV})"
        )
    return found


def compile_v2(path: Path, function: str | None = None) -> dict[str, Any]:
    """The pipeline spec (v2 IR) KFP SDK 2's ``kfp dsl compile`` makes of ``path``."""
    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "pipeline.yaml"
        command = [sdk2_compiler(), "dsl", "compile", "--py", str(path), "--output", str(out)]
        if function:
            command += ["--function", function]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise pipelines.PipelineError(f"kfp dsl compile {path} failed:\n{done.stderr.strip()}")
        documents = [d for d in yaml.safe_load_all(out.read_text()) if d]
    if len(documents) != 1 or "pipelineInfo" not in documents[0]:
        raise pipelines.PipelineError(f"kfp dsl compile {path} wrote no single pipeline spec")
    spec: dict[str, Any] = documents[0]
    return spec


def with_caching(spec: dict[str, Any], enabled: bool) -> dict[str, Any]:
    """The spec with every task's cache switched on or off, as kfp 2's client does for
    ``enable_caching`` (``_override_caching_options``: the root DAG's tasks); pure."""
    changed: dict[str, Any] = json.loads(json.dumps(spec))
    for task in changed.get("root", {}).get("dag", {}).get("tasks", {}).values():
        task.setdefault("cachingOptions", {})["enableCache"] = enabled
    return changed


def v2_parameters(spec: dict[str, Any], given: dict[str, str]) -> dict[str, Any]:
    """The run's parameter values as the v2 API takes them: each text read by the pipeline
    parameter's type (a number, a bool, JSON for a struct or list); unknown names refused."""
    declared = spec.get("root", {}).get("inputDefinitions", {}).get("parameters", {})
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise pipelines.PipelineError(
            f"the pipeline has no parameter {', '.join(unknown)} "
            f"(it has: {', '.join(sorted(declared))})"
        )
    values: dict[str, Any] = {}
    for name, text in given.items():
        kind = declared[name].get("parameterType", "STRING")
        values[name] = text if kind == "STRING" else json.loads(text)
    return values


class KfpRun(pipelines.FollowedRun):
    """A run of the KFP API server; ``name`` is its id, ``engine`` "v1" or "v2"."""

    def __init__(
        self, api: Any, rest: RestApi, namespace: str, run_id: str, engine: str = "v1"
    ) -> None:
        from kubernetes import client as kube

        super().__init__(api, namespace, run_id)
        self.custom = kube.CustomObjectsApi(api)
        self.rest, self.engine = rest, engine

    @classmethod
    def submit(
        cls,
        api: Any,
        ui_url: str,
        workflow: dict[str, Any],
        parameters: dict[str, str],
        namespace: str,
        run_name: str,
    ) -> KfpRun:
        """An SDK 1.8 pipeline's Workflow as a pipeline package, through the v1 API."""
        with tempfile.TemporaryDirectory() as work:
            package = Path(work) / "pipeline.yaml"
            package.write_text(yaml.safe_dump(workflow, sort_keys=False))
            result = client(ui_url, namespace).create_run_from_pipeline_package(
                str(package),
                arguments=parameters,
                run_name=run_name,
                experiment_name=EXPERIMENT,
                namespace=namespace,
            )
        return cls(api, RestApi(ui_url), namespace, result.run_id)

    @classmethod
    def submit_v2(
        cls,
        api: Any,
        ui_url: str,
        spec: dict[str, Any],
        parameters: dict[str, str],
        namespace: str,
        run_name: str,
        caching: bool = False,
    ) -> KfpRun:
        """An SDK 2 pipeline spec through the v2 API, to run on the v2 engine. KFP's v2
        engine reuses an earlier run's outputs for a task whose given inputs match
        (``run_id``'s default is not among them), so by default every task's cache is off
        here (``enable_caching=False`` in kfp 2's client): each run runs its jobs."""
        rest = RestApi(ui_url)
        body = {
            "display_name": run_name,
            "experiment_id": rest.experiment(EXPERIMENT, namespace),
            "pipeline_spec": with_caching(spec, caching),
            "runtime_config": {"parameters": v2_parameters(spec, parameters)},
        }
        created = rest.call("POST", "/apis/v2beta1/runs", body)
        return cls(api, rest, namespace, str(created["run_id"]), engine="v2")

    def read(self) -> dict[str, Any]:
        """The run's Workflow (empty until the API server has created it)."""
        found = self.custom.list_namespaced_custom_object(
            pipelines.GROUP,
            pipelines.VERSION,
            self.namespace,
            pipelines.PLURAL,
            label_selector=f"{RUN_ID_LABEL}={self.name}",
        )["items"]
        workflow: dict[str, Any] = found[0] if found else {}
        return workflow

    def state(self) -> dict[str, Any]:
        """The run as the v2 API reports it (``state``, ``error``, ``run_details``)."""
        return self.rest.call("GET", f"/apis/v2beta1/runs/{self.name}")

    def terminate(self) -> None:
        """KFP's ``TerminateRun`` (one call for both engines' runs)."""
        self.rest.call("POST", f"/apis/v2beta1/runs/{self.name}:terminate", {})


def experiment_of(kfp_client: Any, run_id: str) -> str:
    """The id of the experiment a run belongs to (its page lists the runs and their metrics)."""
    references = kfp_client.get_run(run_id).run.resource_references or []
    return str(next(r.key.id for r in references if r.key.type == "EXPERIMENT"))
