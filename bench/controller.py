"""Bench: one TrainingJob step through the real ACK controller and the emulator (numbers only).

Prints:
- the stack's start time (API server + CRDs, emulator, controller healthy);
- per job, with the emulator's job lasting --job-seconds: step start → CreateTrainingJob
  reached SageMaker, → first status from the controller, → step exit; and the job's
  end in SageMaker → step exit, which is the controller's re-check interval at work
  (an in-progress TrainingJob is re-read every 30 s).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kubernetes import client, config

from ack_components_sandbox.testing import samples
from ack_components_sandbox.testing.stack import TRAINING_SECONDS, Stack

CLI = str(Path(sys.executable).parent / "ack-components")


def one_job(stack: Stack, namespace: str, name: str, job_seconds: float) -> dict[str, float]:
    inputs = samples.as_inputs(samples.kmeans_mnist_spec(), training_job_name=name)
    argv = [CLI, "run", "TrainingJob", "--kubeconfig", str(stack.kubeconfig)]
    argv += ["--namespace", namespace, "--outputs-dir", tempfile.mkdtemp(prefix="bench-")]
    for key, value in inputs.items():
        argv += [f"--{key}", value]
    started = time.time()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    first_status = None
    assert process.stdout is not None
    for line in process.stdout:
        if first_status is None and "InProgress" in line:
            first_status = time.time()
    code = process.wait()
    ended = time.time()
    if code != 0:
        raise SystemExit(f"{name} exited {code}")
    created = stack.calls("CreateTrainingJob", name)[0]["time"]
    return {
        "create_reached_sagemaker": created - started,
        "first_status": (first_status or ended) - started,
        "step_total": ended - started,
        "job_end_to_step_exit": ended - (created + job_seconds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=3)
    args = parser.parse_args()
    t0 = time.monotonic()
    with Stack() as stack:
        print(
            f"stack start (API server, CRDs, emulator, controller): {time.monotonic() - t0:.1f} s"
        )
        api = config.new_client_from_config(config_file=str(stack.kubeconfig))
        client.CoreV1Api(api).create_namespace({"metadata": {"name": "bench"}})
        rows = [one_job(stack, "bench", f"bench-{i}", TRAINING_SECONDS) for i in range(args.jobs)]
    for key in rows[0]:
        values = [row[key] for row in rows]
        print(
            f"{key:<26} median {statistics.median(values):6.1f} s "
            f"(min {min(values):.1f}, max {max(values):.1f}, n={len(values)})"
        )


if __name__ == "__main__":
    main()
