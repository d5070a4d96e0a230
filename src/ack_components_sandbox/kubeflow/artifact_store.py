"""The S3 store KFP keeps pipeline artifacts in: KFP's ``seaweedfs`` Service, here moto's S3.

KFP 2.16 installs SeaweedFS as its object store (MinIO before); Argo archives a step's
outputs and logs there, and the v2 launcher uploads output artifacts. The sandbox
serves the same S3 API with moto's S3 server (Apache-2.0; MinIO's server is under the
AGPL, which this project does not take in), from the emulator's virtualenv, on the
node's bridge address where pods reach it through ``seaweedfs`` (see ``argo.py``). It is
a separate process from the SageMaker emulator: KFP's artifact store is not the user's
AWS account. The bucket (``mlpipeline``) is created on start; the keys are KFP's own.
Requests name the bucket in the path, as KFP's clients send them: a host name such as
``seaweedfs.kubeflow`` is not a bucket (``S3_IGNORE_SUBDOMAIN_BUCKETNAME``; moto would
otherwise read ``seaweedfs`` as one).
"""

from __future__ import annotations

import os
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ack_components_sandbox.aws import emulator_process
from ack_components_sandbox.base.processes import (
    PartState,
    ProcessRef,
    answers_ok,
    spawn,
    wait_ready,
)
from ack_components_sandbox.cluster.controlplane import free_port


class ArtifactStoreError(RuntimeError):
    """The store did not start; the message says why."""


@dataclass(frozen=True)
class ArtifactStoreState(PartState):
    process: ProcessRef
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def start(host: str, bucket: str, log: Path, timeout: float = 60.0) -> ArtifactStoreState:
    """Serve S3 on ``host`` (a free port) and create ``bucket``."""
    port = free_port()
    argv = [str(emulator_process.python()), "-m", "moto.server", "-H", host, "-p", str(port)]
    env = {**os.environ, "S3_IGNORE_SUBDOMAIN_BUCKETNAME": "true"}
    state = ArtifactStoreState(spawn("artifact-store", argv, log, env), host, port)
    failed = f"moto's S3 server did not answer on {state.url}"
    wait_ready([state.process], lambda: healthy(state), timeout, failed, ArtifactStoreError)
    request = urllib.request.Request(f"{state.url}/{bucket}", method="PUT")
    with urllib.request.urlopen(request, timeout=10):
        pass
    return state


def healthy(state: ArtifactStoreState) -> bool:
    return answers_ok(f"{state.url}/moto-api/data.json")
