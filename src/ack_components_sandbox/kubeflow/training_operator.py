"""Kubeflow's training operator (v1.9) as users deploy it: PyTorchJobs run on the node.

Users install it with ``kubectl apply --server-side -k manifests/overlays/standalone``
of its repository; the sandbox applies the same kustomization, of the very module
source the binary is built from (``tools/build.sh training-operator``): the
``kubeflow`` namespace, the six job CRDs, the ServiceAccount and ClusterRole, the
Deployment, its Service, the validating webhook and the empty Secret the operator
fills with its own serving certificate (it also writes the webhook's CA bundle). The
binary is the only file of a local image named as the overlay names it. Nothing in the
manifests is changed.

What the operator adds to the pods it creates comes too: each worker waits in an init
container (``alpine:3.10``, ``nslookup`` of its master's Service in a loop) until the
cluster DNS (``cluster_dns``) resolves the master. No registry serves Alpine here, so
``tools/init-image/Dockerfile`` builds a stand-in under that name, like the component
image: ``sh``, ``seq`` and BIND's ``nslookup``, which tries the pod's search domains
until one answers, as the loop expects (Debian's busybox 1.35 does not: it fails when any
search domain answers NXDOMAIN).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from ack_components import __version__
from ack_components_sandbox.base import binaries, workloads
from ack_components_sandbox.cluster import component_image, images

NAMESPACE = "kubeflow"
NAME = "training-operator"
#: The image the standalone overlay sets (``images:`` in its kustomization).
IMAGE = "docker.io/kubeflow/training-operator:v1-5170a36"
#: The operator's default init container image for PyTorchJob workers (pkg/config).
INIT_IMAGE = "alpine:3.10"
INIT_CONTEXT = component_image.REPO / "tools" / "init-image"
#: ``samples/pytorch``'s image (``samples/hybrid_pipeline.py`` runs it both ways).
TRAINING_IMAGE = f"ack-components/pytorch-train:{__version__}"
TRAINING_CONTEXT = component_image.REPO / "samples" / "pytorch"


PART = binaries.BuiltPart(
    "the training operator",
    "TRAINING_OPERATOR_VERSION",
    "training-operator",
    ("manager",),
    "`make training` (tools/build.sh training-operator)",
    source_folder="training-operator",
)
version, source, program, unavailable = PART.version, PART.source, PART.program, PART.unavailable


def operator_image() -> images.Image:
    """The operator at ``/manager``, its Deployment's command."""
    return images.Image(IMAGE, program(), path="/manager")


def init_image(log: Path | None = None) -> component_image.Built:
    """The workers' init image (``alpine:3.10``'s stand-in): from the cache, or built."""
    return component_image.ensure_image(INIT_CONTEXT, INIT_IMAGE, "pytorch-init", log)


def training_image(log: Path | None = None) -> component_image.Built:
    """The training image's archive: from the cache, or built from its Dockerfile."""
    return component_image.ensure_image(TRAINING_CONTEXT, TRAINING_IMAGE, "pytorch-train", log)


def upstream() -> list[dict[str, Any]]:
    """``manifests/overlays/standalone`` rendered by kustomize."""
    rendered = subprocess.run(
        [
            str(binaries.kubectl().path()),
            "kustomize",
            str(source() / "manifests" / "overlays" / "standalone"),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [doc for doc in yaml.safe_load_all(rendered) if doc]


def install(api: Any, timeout: float = 240.0) -> list[str]:
    """Apply the manifests and wait until the operator is available (its webhook certificate
    made, written and mounted)."""
    applied = workloads.apply(api, upstream())
    workloads.wait_available(api, NAMESPACE, NAME, timeout)
    return applied
