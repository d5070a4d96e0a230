"""`make demo`: train a model and serve it on the local sandbox, start to finish.

1. `ack-components sandbox up`: etcd + kube-apiserver with the SageMaker CRDs.
2. `ack-components render TrainingJob`: the custom resource the inputs become.
3. `ack-components run` for TrainingJob (the KMeans MNIST inputs), then Model,
   EndpointConfig and Endpoint, each step fed by the one before's JSON outputs,
   as a KFP pipeline would run them.
4. The ACK SageMaker controller cannot be built on this machine yet, so a
   stand-in writes `.status` through the API the way the controller does; every
   line it prints says so.
5. `kubectl get` while the job runs and once all is deployed, then the outputs.
6. `ack-components sandbox down`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SANDBOX = ROOT / ".sandbox"
KUBECONFIG = SANDBOX / "kubeconfig"
REGION = "us-east-1"


def step(title: str) -> None:
    print(f"\n=== {title}", flush=True)


def cli(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "ack-components"), *args], check=True, text=True, **kwargs)  # type: ignore[call-overload]


def kubectl(*args: str) -> None:
    from ack_components.sandbox import binaries

    env = {**os.environ, "KUBECONFIG": str(KUBECONFIG)}
    subprocess.run([str(binaries.kubectl().path()), *args], env=env, check=True)


def arguments(inputs: dict[str, str]) -> list[str]:
    return [part for key, value in inputs.items() for part in (f"--{key}", value)]


def run_step(api: Any, kind_name: str, inputs: dict[str, str], while_running: str = "") -> Path:
    """Run one component as KFP would; the stand-in moves its resource through its lifecycle."""
    from ack_components import kinds
    from ack_components.interface import snake_case
    from ack_components.testing import status_writer

    kind = kinds.get(kind_name)
    step(f"ack-components run {kind.name}")
    outputs = Path(tempfile.mkdtemp(prefix=f"demo-{kind.name.lower()}-"))
    run = subprocess.Popen(
        [BIN / "ack-components", "run", kind.name, *arguments(inputs), "--outputs-dir", outputs],
        env={**os.environ, "KUBECONFIG": str(KUBECONFIG)},
        text=True,
    )
    name = inputs[snake_case(kind.name_field)]
    status_writer.wait_for(api, "default", kind.plural, name)
    statuses = status_writer.lifecycle(kind, name, REGION)
    for number, status in enumerate(statuses):
        shown = status.get(kind.status_field or "") or "ARN and ACK.ResourceSynced"
        secondary = status.get("secondaryStatus")
        print(
            f"  [stand-in for the ACK controller] status -> {shown}"
            + (f" / {secondary}" if secondary else ""),
            flush=True,
        )
        status_writer.write(api, "default", kind.plural, name, status)
        time.sleep(1.0)
        if while_running and number == len(statuses) - 2:
            step(f"kubectl get {while_running} -o wide (while it runs)")
            kubectl("get", while_running, "-o", "wide")
    code = run.wait(timeout=60)
    if code != 0:
        raise SystemExit(f"the {kind.name} step exited {code}")
    return outputs


def output(directory: Path, name: str) -> Any:
    return json.loads((directory / name).read_text())


def main() -> int:
    from kubernetes import config

    from ack_components.testing import samples

    step("sandbox up")
    cli("sandbox", "up", "--dir", str(SANDBOX))
    try:
        api = config.new_client_from_config(str(KUBECONFIG))
        training_inputs = samples.as_inputs(
            samples.kmeans_mnist_spec(bucket="sandbox-bucket"),
            region=REGION,
            training_job_name="kmeans-mnist-demo",
        )

        step("ack-components render TrainingJob (no cluster contacted)")
        cli("render", "TrainingJob", *arguments(training_inputs))

        trained = run_step(api, "TrainingJob", training_inputs, while_running="trainingjobs")
        model_data = output(trained, "model_artifacts")["s3ModelArtifacts"]
        model = run_step(
            api,
            "Model",
            samples.as_inputs(
                samples.kmeans_model_spec(model_data), region=REGION, model_name="kmeans-mnist"
            ),
        )
        config_step = run_step(
            api,
            "EndpointConfig",
            samples.as_inputs(
                samples.endpoint_config_spec(output(model, "sagemaker_resource_name")),
                region=REGION,
                endpoint_config_name="kmeans-mnist-config",
            ),
        )
        endpoint = run_step(
            api,
            "Endpoint",
            {
                "region": REGION,
                "endpoint_name": "kmeans-mnist",
                # Passed on as written: a String output is a JSON string, which inputs accept.
                "endpoint_config_name": (config_step / "sagemaker_resource_name").read_text(),
            },
            # Qualified: plain `endpoints` is the core Kubernetes kind.
            while_running="endpoints.sagemaker.services.k8s.aws",
        )

        deployed = ",".join(
            f"{plural}.sagemaker.services.k8s.aws"
            for plural in ("trainingjobs", "models", "endpointconfigs", "endpoints")
        )
        step(f"kubectl get {deployed} (done)")
        kubectl("get", deployed, "-o", "wide")
        for title, directory in (("TrainingJob", trained), ("Endpoint", endpoint)):
            step(f"{title} outputs, each a JSON value")
            for path in sorted(directory.iterdir()):
                print(f"  {path.name}: {path.read_text()[:160]}")
        return 0
    finally:
        step("sandbox down")
        cli("sandbox", "down", "--dir", str(SANDBOX))


if __name__ == "__main__":
    sys.exit(main())
