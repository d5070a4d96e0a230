"""Helpers for running the components against the real API server.

``Component`` runs ``ack-components run <Kind>`` as a separate process, as KFP
would. ``Harness.set_status`` plays the ACK controller's part by patching
``/status`` through the API, which is all these tests need of a controller.
Without ``kind``, the helpers mean the TrainingJob with the KMeans MNIST inputs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubernetes import client

from ack_components import kinds, outputs, rbac
from ack_components.kinds import GROUP, VERSION
from ack_components_sandbox.cluster.controlplane import ControlPlane
from ack_components_sandbox.testing import samples, status_writer

CLI = str(Path(sys.executable).parent / "ack-components")
TRAINING_JOB = "TrainingJob"

KMEANS_INPUTS = samples.as_inputs(samples.kmeans_mnist_spec())


def synced(status: str = "True") -> dict[str, Any]:
    return {"type": "ACK.ResourceSynced", "status": status}


def without_aws() -> dict[str, str]:
    """This environment as a pod without any AWS identity sees it: the component runs as
    on a cluster whose pods have no IRSA, whatever this machine has configured."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return env | {
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


@dataclass
class Component:
    """One run of the component CLI in its own process."""

    process: subprocess.Popen[str]
    outputs_dir: Path
    kind: str = TRAINING_JOB

    def wait(self, timeout: float = 60) -> tuple[int, str]:
        out, _ = self.process.communicate(timeout=timeout)
        return self.process.returncode, out

    def stop(self) -> tuple[int, str]:
        """SIGTERM once the run is following its resource, as KFP does when a run is stopped."""
        time.sleep(0.5)
        self.process.send_signal(signal.SIGTERM)
        return self.wait()

    def written(self, name: str) -> str:
        """The output file's text, as Argo pastes it into the next step's arguments."""
        return (self.outputs_dir / name).read_text()

    def output(self, name: str) -> Any:
        """The output's value, decoded by its declared type as a consumer would (a String is
        its text, "" when absent; the JSON types are JSON); the UI metadata file as JSON."""
        if name == outputs.UI_METADATA_FILE:
            return json.loads(self.written(name))
        return outputs.read_file(kinds.get(self.kind), name, self.outputs_dir / name)


@dataclass
class Harness:
    plane: ControlPlane
    api: Any
    namespace: str
    tmp: Path

    @property
    def objects(self) -> client.CustomObjectsApi:
        return client.CustomObjectsApi(self.api)

    def start(
        self,
        kubeconfig: Path | None = None,
        kind: str = TRAINING_JOB,
        env: dict[str, str] | None = None,
        **inputs: str,
    ) -> Component:
        """The component, run as a pod without AWS identity runs it, unless ``env`` gives
        the step's environment."""
        base = KMEANS_INPUTS if kind == TRAINING_JOB else {"region": "us-east-1"}
        merged = {**base, "namespace": self.namespace, **inputs}
        outputs_dir = self.tmp / f"out-{time.monotonic_ns()}"
        argv = [CLI, "run", kind, "--outputs-dir", str(outputs_dir)]
        argv += ["--kubeconfig", str(kubeconfig or self.plane.kubeconfig)]
        for key, value in merged.items():
            argv += [f"--{key}", value]
        process = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=without_aws() if env is None else env,
        )
        return Component(process, outputs_dir, kind)

    def run(
        self, kubeconfig: Path | None = None, kind: str = TRAINING_JOB, **inputs: str
    ) -> tuple[int, str]:
        return self.start(kubeconfig, kind, **inputs).wait()

    def items(self, kind: str = TRAINING_JOB) -> list[dict[str, Any]]:
        listed = self.objects.list_namespaced_custom_object(
            GROUP, VERSION, self.namespace, kinds.get(kind).plural
        )
        items: list[dict[str, Any]] = listed["items"]
        return items

    def wait_for_resource(self, timeout: float = 30, kind: str = TRAINING_JOB) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.items(kind)
            if found:
                return found[0]
            time.sleep(0.05)
        raise AssertionError(f"the component created no {kind}")

    def wait_until(
        self, holds: Callable[[dict[str, Any]], bool], kind: str = TRAINING_JOB, timeout: float = 30
    ) -> dict[str, Any]:
        """The first resource of ``kind`` for which ``holds``, polled (e.g. a step's patch)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [cr for cr in self.items(kind) if holds(cr)]
            if found:
                return found[0]
            time.sleep(0.05)
        raise AssertionError(f"no {kind} came to hold within {timeout:.0f} s: {self.items(kind)}")

    def service_account(self, name: str, documents: list[dict[str, Any]]) -> Path:
        """A service account bound by ``documents`` (RBAC manifests); a kubeconfig for it."""
        core = client.CoreV1Api(self.api)
        core.create_namespaced_service_account(self.namespace, {"metadata": {"name": name}})
        rbac.apply(self.api, documents)
        token = core.create_namespaced_service_account_token(
            name, self.namespace, {"spec": {"expirationSeconds": 3600}}
        )
        kubeconfig = json.loads(self.plane.kubeconfig.read_text())
        kubeconfig["users"][0]["user"] = {"token": token.status.token}
        path = self.tmp / f"{name}.kubeconfig"
        path.write_text(json.dumps(kubeconfig))
        return path

    def set_status(self, name: str, kind: str = TRAINING_JOB, **status: Any) -> None:
        """Play the controller: write ``.status`` as ACK would."""
        status_writer.write(self.api, self.namespace, kinds.get(kind).plural, name, status)
