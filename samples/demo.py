"""`make demo`: train a model and serve it on the local sandbox, start to finish.

1. `ack-components-sandbox up`: etcd + kube-apiserver with the controller's own
   CRDs, the SageMaker emulator, the real ACK SageMaker controller (v1.9.1)
   driving the emulator, and (as root on Linux) a node with the component image,
   Argo v3.7.3, the artifact store and the Kubeflow Pipelines 2.16.1 backend (multi-user,
   as KFP installs it), and KFP's UI at a local address.
2. `kfp.Client(host=<the UI's address>/pipeline, namespace=<the profile>)
   .create_run_from_pipeline_func(deploy_pipeline, ...)`, as a user does against their
   Kubeflow: the API server makes the run's Argo Workflow in the profile namespace, run
   as `default-editor`, every step a pod of the component image: TrainingJob (KMeans on
   MNIST), a Python step that makes the serving container, Model, EndpointConfig,
   Endpoint. The run is followed through the KFP API: each step's phase and the values
   passed between steps are printed as they happen, then the run's address in the UI.
   The controller reconciles each resource and reports SageMaker's status; nothing else
   writes `.status`.
3. `kubectl get` of what the run made, and the SageMaker calls the controller made.
4. `ack-components-sandbox down`.

Without KFP's backend (not built) the sample runs on Argo directly
(`ack-components-sandbox run --argo`). Where no node can run (not root, not Linux),
step 2 runs the same components from this shell instead (`ack-components render`, then
`ack-components run` for each step, fed by the one before's outputs), as the sandbox
says why there is no node.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
REGION = "us-east-1"


def step(title: str) -> None:
    print(f"\n=== {title}", flush=True)


def cli(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "ack-components"), *args], check=True, text=True, **kwargs)  # type: ignore[call-overload]


def sandbox(root: Path, *args: str) -> None:
    subprocess.run([str(BIN / "ack-components-sandbox"), *args, "--dir", str(root)], check=True)


def kubectl(root: Path, *args: str, capture: bool = False) -> str:
    """kubectl on the sandbox; its output printed, or returned when ``capture``."""
    from ack_components_sandbox.base import binaries

    env = {**os.environ, "KUBECONFIG": str(root / "kubeconfig")}
    argv = [str(binaries.kubectl().path()), *args]
    done = subprocess.run(argv, env=env, check=True, capture_output=capture, text=True)
    return done.stdout or ""


def arguments(inputs: dict[str, str]) -> list[str]:
    return [part for key, value in inputs.items() for part in (f"--{key}", value)]


def run_step(
    root: Path, kind_name: str, inputs: dict[str, str], outputs: Path, show: str = ""
) -> Path:
    """Run one component as KFP would; the real controller moves its resource along."""
    from ack_components import kinds

    kind = kinds.get(kind_name)
    step(f"ack-components run {kind.name}")
    directory = outputs / kind.name
    run = subprocess.Popen(
        [BIN / "ack-components", "run", kind.name, *arguments(inputs), "--outputs-dir", directory],
        env={**os.environ, "KUBECONFIG": str(root / "kubeconfig")},
        text=True,
    )
    if show:
        time.sleep(8)  # the controller has created it in SageMaker by now
        step(f"kubectl get {show} -o wide (while it runs)")
        kubectl(root, "get", show, "-o", "wide")
    code = run.wait(timeout=600)
    if code != 0:
        raise SystemExit(f"the {kind.name} step exited {code}")
    return directory


def output(directory: Path, name: str) -> Any:
    """An output of the step whose outputs are in ``directory`` (named for its kind), decoded
    by its type: a String output is its text, a JsonObject a dict."""
    from ack_components import kinds, outputs

    return outputs.read_file(kinds.get(directory.name), name, directory / name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dir", type=Path, default=ROOT / ".sandbox", help="the sandbox's directory"
    )
    root: Path = parser.parse_args().dir
    step("sandbox up")
    sandbox(root, "up")
    try:
        state = json.loads((root / "state.json").read_text())
        if "kfp_ui" in state:
            deploy_through_kfp(root, state["kfp_ui"]["url"])
        elif "argo" in state:
            deploy_through_argo(root)
        else:
            reason = state.get("argo_skipped") or state.get("node_skipped")
            print(f"\nno pipeline engine here ({reason}): the same steps from this shell")
            with tempfile.TemporaryDirectory(prefix="ack-components-demo-") as outputs:
                deploy_from_shell(root, Path(outputs))
        return 0
    except BaseException:
        show_why(root)
        raise
    finally:
        step("sandbox down")
        sandbox(root, "down")


def deploy_through_kfp(root: Path, ui_url: str) -> None:
    """What a user does against their Kubeflow, with the sandbox's address."""
    import kfp
    from kubernetes import config

    from ack_components_sandbox.kubeflow import kfp_runs, profile

    sys.path.insert(0, str(ROOT / "samples"))
    from deploy_pipeline import deploy_pipeline

    step(
        f'kfp.Client(host="{ui_url}/pipeline", namespace="{profile.NAMESPACE}")'
        ".create_run_from_pipeline_func(deploy_pipeline, ...)"
    )
    client = kfp.Client(host=f"{ui_url}/pipeline", namespace=profile.NAMESPACE)
    created = client.create_run_from_pipeline_func(
        deploy_pipeline,
        arguments={"bucket": "sandbox-bucket"},
        run_name="deploy (make demo)",
        experiment_name=kfp_runs.EXPERIMENT,
        namespace=profile.NAMESPACE,
    )
    print(f"run {created.run_id}; followed through the KFP API:", flush=True)
    api = config.new_client_from_config(config_file=str(root / "kubeconfig"))
    run = kfp_runs.KfpRun(api, kfp_runs.RestApi(ui_url), profile.NAMESPACE, created.run_id)
    started = time.monotonic()
    final = run.follow(900.0, echo=lambda line: print(line, flush=True))
    phase = final["status"]["phase"]
    print(f"run {created.run_id}: {phase} in {time.monotonic() - started:.0f} s")
    print(f"the run in the KFP UI: {ui_url}/#/runs/details/{created.run_id}")
    if phase != "Succeeded":
        raise SystemExit(f"the run ended {phase}")
    show_deployed(root)


def deploy_through_argo(root: Path) -> None:
    pipeline = ROOT / "samples" / "deploy_pipeline.py"
    step(f"ack-components-sandbox run --argo {pipeline.relative_to(ROOT)} (each step a pod)")
    started = time.monotonic()
    sandbox(root, "run", "--argo", str(pipeline))
    print(f"(the pipeline ran in {time.monotonic() - started:.0f} s)")
    show_deployed(root)


def show_deployed(root: Path) -> None:
    from ack_components_sandbox.kubeflow import profile

    deployed = ",".join(
        f"{plural}.sagemaker.services.k8s.aws"
        for plural in ("trainingjobs", "models", "endpointconfigs", "endpoints")
    )
    step(f"kubectl get {deployed},workflows,pods -n {profile.NAMESPACE}")
    kubectl(root, "get", f"{deployed},workflows,pods", "-n", profile.NAMESPACE, "-o", "wide")
    show_sagemaker_calls(root)


def deploy_from_shell(root: Path, outputs: Path) -> None:
    from ack_components_sandbox.testing import samples

    training_inputs = samples.as_inputs(
        samples.kmeans_mnist_spec(bucket="sandbox-bucket"),
        region=REGION,
        training_job_name="kmeans-mnist-demo",
    )
    step("ack-components render TrainingJob (no cluster contacted)")
    cli("render", "TrainingJob", *arguments(training_inputs))

    trained = run_step(root, "TrainingJob", training_inputs, outputs, show="trainingjobs")
    model_data = output(trained, "model_artifacts")["s3ModelArtifacts"]
    model = run_step(
        root,
        "Model",
        samples.as_inputs(
            samples.kmeans_model_spec(model_data), region=REGION, model_name="kmeans-mnist"
        ),
        outputs,
    )
    config_step = run_step(
        root,
        "EndpointConfig",
        samples.as_inputs(
            samples.endpoint_config_spec(output(model, "sagemaker_resource_name")),
            region=REGION,
            endpoint_config_name="kmeans-mnist-config",
        ),
        outputs,
    )
    endpoint = run_step(
        root,
        "Endpoint",
        {
            "region": REGION,
            "endpoint_name": "kmeans-mnist",
            "endpoint_config_name": (config_step / "sagemaker_resource_name").read_text(),
        },
        outputs,
        # Qualified: plain `endpoints` is the core Kubernetes kind.
        show="endpoints.sagemaker.services.k8s.aws",
    )

    deployed = ",".join(
        f"{plural}.sagemaker.services.k8s.aws"
        for plural in ("trainingjobs", "models", "endpointconfigs", "endpoints")
    )
    step(f"kubectl get {deployed} (done)")
    kubectl(root, "get", deployed, "-o", "wide")
    for title, directory in (("TrainingJob", trained), ("Endpoint", endpoint)):
        step(f"{title} outputs")
        for path in sorted(directory.iterdir()):
            print(f"  {path.name}: {path.read_text()[:160]}")
    show_sagemaker_calls(root)


def show_sagemaker_calls(root: Path) -> None:
    step("what the ACK controller called in SageMaker (the emulator's record)")
    for call in sagemaker_calls(root):
        refused = f"  -> {call['error']}" if call.get("error") else ""
        print(f"  {call['operation']:<28} {call['name'] or ''}{refused}")


def show_why(root: Path) -> None:
    """Before `down` takes them away: the SageMaker calls and the controller's errors."""
    try:
        show_sagemaker_calls(root)
        state = json.loads((root / "state.json").read_text())
        step("the ACK controller's errors (its last 20)")
        if "controller_deployment" in state:
            deployed = state["controller_deployment"]
            where = ("-n", deployed["namespace"], f"deployment/{deployed['name']}")
            log = kubectl(root, "logs", *where, capture=True)
        else:
            log = Path(state["controller"]["process"]["log"]).read_text(errors="replace")
        for line in [line for line in log.splitlines() if '"level":"error"' in line][-20:]:
            print(f"  {line[:400]}")
    except (OSError, KeyError, ValueError, subprocess.CalledProcessError) as error:
        print(f"  (not shown: {error})")


def sagemaker_calls(root: Path) -> list[dict[str, Any]]:
    state = json.loads((root / "state.json").read_text())
    with urllib.request.urlopen(f"{state['emulator']['url']}/_emulator/calls") as reply:
        calls: list[dict[str, Any]] = json.loads(reply.read())
    # Describe calls repeat on every reconcile; the ones that change something tell the story.
    return [c for c in calls if not c["operation"].startswith(("Describe", "List", "Get"))]


if __name__ == "__main__":
    sys.exit(main())
