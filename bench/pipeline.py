"""Bench: the deploy sample as a pipeline on the sandbox (numbers only; needs a node).

Prints:
- `sandbox up` in seconds, and the parts' own times (node Ready, the controller's
  Deployment available, Argo installed), from a warm cache;
- the deploy sample's run through Argo: wall time, and per step its pod's run time and,
  for a SageMaker step, pod created → custom resource created (1 s resolution: both are
  API creation timestamps);
- `sandbox down` in seconds.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from kubernetes import client, config

from ack_components_sandbox import stack
from ack_components_sandbox.cluster import component_image, node
from ack_components_sandbox.kubeflow import argo, pipelines, profile

REPO = Path(__file__).resolve().parents[1]
SANDBOX_CLI = str(Path(sys.executable).parent / "ack-components-sandbox")
GROUP, VERSION = "sagemaker.services.k8s.aws", "v1alpha1"


def stamp(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def resource_created(api: Any, pod: Any) -> float | None:
    """When the custom resource the step's pod made was created (it names its kind)."""
    # Argo's emissary runs it as `/var/run/argo/argoexec emissary -- ack-components run KIND`
    main = next(c for c in pod.spec.containers if c.name == "main")  # beside Argo's "wait"
    command = main.command or []
    found = [i for i, arg in enumerate(command) if command[i : i + 2] == ["ack-components", "run"]]
    if not found or len(command) <= found[0] + 2:
        return None
    kind = command[found[0] + 2].lower() + "s"
    objects = client.CustomObjectsApi(api).list_namespaced_custom_object(
        GROUP, VERSION, profile.NAMESPACE, kind
    )["items"]
    created = [stamp(o["metadata"]["creationTimestamp"]) for o in objects]
    after = [c for c in created if c >= stamp(pod.metadata.creation_timestamp) - 1]
    return min(after) if after else None


def main() -> int:
    why_not = node.unavailable() or component_image.unavailable() or argo.unavailable()
    if why_not:
        print(f"bench/pipeline.py: skipped: {why_not}")
        return 0
    with tempfile.TemporaryDirectory(prefix="ackc-bench-") as work:
        root = Path(work) / "sandbox"
        started = time.monotonic()
        state = stack.up(root)
        print(
            f"sandbox up: {time.monotonic() - started:.1f} s (node Ready "
            f"{state['node_ready_seconds']} s, controller Deployment "
            f"{state['controller_deployment']['seconds']} s, Argo {state['argo']['seconds']} s, "
            f"KFP backend {state.get('kfp', {}).get('seconds', '-')} s)"
        )
        try:
            api = config.new_client_from_config(config_file=str(root / "kubeconfig"))
            began = time.monotonic()
            done = subprocess.run(
                [SANDBOX_CLI, "run", str(REPO / "samples/deploy_pipeline.py"), "--dir", str(root)],
                capture_output=True,
                text=True,
            )
            wall = time.monotonic() - began
            found = re.search(r"workflow (\S+) in namespace", done.stdout)
            if found is None:
                raise SystemExit(f"the run did not start:\n{done.stdout}{done.stderr}")
            name = found.group(1)
            run = pipelines.Run(api, profile.NAMESPACE, name)
            phase = run.read()["status"]["phase"]
            via = "the KFP API server" if "kfp_ui" in state else "Argo"
            print(f"deploy sample through {via}: {phase} in {wall:.1f} s")
            core = client.CoreV1Api(api)
            for step in pipelines.steps(run.read()):
                pod = core.read_namespaced_pod(step.id, profile.NAMESPACE)
                node_status = run.read()["status"]["nodes"][step.id]
                ran = stamp(node_status["finishedAt"]) - stamp(node_status["startedAt"])
                created = resource_created(api, pod)
                to_cr = (
                    f", pod created -> CR created {created - stamp(pod.metadata.creation_timestamp):.0f} s"
                    if created is not None
                    else ""
                )
                print(f"  {step.name}: {ran:.0f} s{to_cr}")
        finally:
            stopping = time.monotonic()
            stack.down(root)
            print(f"sandbox down: {time.monotonic() - stopping:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
