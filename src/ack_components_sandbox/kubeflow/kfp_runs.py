"""Runs submitted to the Kubeflow Pipelines API server with ``kfp.Client``, as users submit them.

A user points ``kfp.Client`` at their Kubeflow (``host=<ingress>/pipeline``,
``namespace=<their profile>``) and calls ``create_run_from_pipeline_package``; the API
server stores the run, creates its Argo Workflow in the profile namespace under
``default-editor``, and the persistence agent reports the Workflow back. Here the host is
the sandbox's ingress (``kfp_ui.py``), which signs the caller in as the profile's owner.
The run is followed through the same API (``get_run``: the Workflow as last reported)
and terminated with KFP's ``TerminateRun``.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import yaml

from ack_components_sandbox.kubeflow import pipelines

EXPERIMENT = "ack-components sandbox"


def client(ui_url: str, namespace: str) -> Any:
    """``kfp.Client`` as a user of a Kubeflow install makes it: the ingress, then ``/pipeline``."""
    import kfp

    return kfp.Client(host=f"{ui_url}/pipeline", namespace=namespace)


class KfpRun(pipelines.FollowedRun):
    """A run of the KFP API server; ``name`` is its id."""

    def __init__(self, api: Any, kfp_client: Any, namespace: str, run_id: str) -> None:
        super().__init__(api, namespace, run_id)
        self.client = kfp_client

    @classmethod
    def submit(
        cls,
        api: Any,
        kfp_client: Any,
        workflow: dict[str, Any],
        parameters: dict[str, str],
        namespace: str,
        run_name: str,
    ) -> KfpRun:
        """The compiled Workflow as a pipeline package, run in ``namespace``."""
        with tempfile.TemporaryDirectory() as work:
            package = Path(work) / "pipeline.yaml"
            package.write_text(yaml.safe_dump(workflow, sort_keys=False))
            result = kfp_client.create_run_from_pipeline_package(
                str(package),
                arguments=parameters,
                run_name=run_name,
                experiment_name=EXPERIMENT,
                namespace=namespace,
            )
        return cls(api, kfp_client, namespace, result.run_id)

    def read(self) -> dict[str, Any]:
        detail = self.client.get_run(self.name)
        manifest = detail.pipeline_runtime.workflow_manifest
        workflow: dict[str, Any] = json.loads(manifest) if manifest else {}
        return workflow

    def terminate(self) -> None:
        """KFP's ``TerminateRun`` (kfp 1.8's client has no method of its own for it)."""
        self.client._run_api.terminate_run(self.name)


def experiment_of(kfp_client: Any, run_id: str) -> str:
    """The id of the experiment a run belongs to (its page lists the runs and their metrics)."""
    references = kfp_client.get_run(run_id).run.resource_references or []
    return str(next(r.key.id for r in references if r.key.type == "EXPERIMENT"))
