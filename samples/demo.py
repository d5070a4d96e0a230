"""`make demo`: the TrainingJob component on the local sandbox, start to finish.

1. `ack-components sandbox up`: etcd + kube-apiserver with the SageMaker CRDs.
2. `ack-components render TrainingJob`: the custom resource the inputs become.
3. `ack-components run TrainingJob` with the KMeans MNIST inputs, as KFP would.
4. The ACK SageMaker controller cannot be built on this machine yet, so a
   stand-in writes `.status` through the API the way the controller does; every
   line it prints says so.
5. `kubectl get trainingjobs -o wide` while the job runs, then the outputs.
6. `ack-components sandbox down`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SANDBOX = ROOT / ".sandbox"
JOB_NAME, REGION = "kmeans-mnist-demo", "us-east-1"


def step(title: str) -> None:
    print(f"\n=== {title}", flush=True)


def cli(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "ack-components"), *args], check=True, text=True, **kwargs)  # type: ignore[call-overload]


def input_args() -> list[str]:
    from ack_components.testing import samples

    spec = samples.kmeans_mnist_spec(bucket="sandbox-bucket")
    inputs = samples.as_inputs(spec, region=REGION, training_job_name=JOB_NAME)
    return [part for key, value in inputs.items() for part in (f"--{key}", value)]


def main() -> int:
    from kubernetes import config

    from ack_components.sandbox import binaries
    from ack_components.testing import status_writer

    step("sandbox up")
    cli("sandbox", "up", "--dir", str(SANDBOX))
    try:
        kubeconfig = str(SANDBOX / "kubeconfig")
        env = {**os.environ, "KUBECONFIG": kubeconfig}
        kubectl = str(binaries.kubectl().path())
        api = config.new_client_from_config(kubeconfig)

        step("ack-components render TrainingJob (no cluster contacted)")
        cli("render", "TrainingJob", *input_args())

        step("ack-components run TrainingJob")
        outputs = Path(tempfile.mkdtemp(prefix="demo-outputs-"))
        run = subprocess.Popen(
            [
                str(BIN / "ack-components"),
                "run",
                "TrainingJob",
                *input_args(),
                "--outputs-dir",
                str(outputs),
            ],
            env=env,
            text=True,
        )
        name = status_writer.wait_for(api, "default", "trainingjobs", JOB_NAME)["metadata"]["name"]
        steps = status_writer.training_lifecycle(JOB_NAME, REGION)
        for number, status in enumerate(steps):
            print(
                f"  [stand-in for the ACK controller] status -> {status['trainingJobStatus']}"
                f" / {status['secondaryStatus']}",
                flush=True,
            )
            status_writer.write(api, "default", "trainingjobs", name, status)
            time.sleep(1.0)
            if number == 2:
                step("kubectl get trainingjobs -o wide (while it trains)")
                subprocess.run([kubectl, "get", "trainingjobs", "-o", "wide"], env=env, check=True)
        code = run.wait(timeout=60)

        step("kubectl get trainingjobs -o wide (done)")
        subprocess.run([kubectl, "get", "trainingjobs", "-o", "wide"], env=env, check=True)
        step(f"outputs (exit code {code}), each a JSON value")
        for path in sorted(outputs.iterdir()):
            print(f"  {path.name}: {path.read_text()[:160]}")
        return code
    finally:
        step("sandbox down")
        cli("sandbox", "down", "--dir", str(SANDBOX))


if __name__ == "__main__":
    sys.exit(main())
