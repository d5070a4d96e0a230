"""The ACK SageMaker controller as users deploy it: a Deployment on the sandbox's node.

Users install the controller from its own manifests (``config/default`` of its source,
what its Helm chart renders): the ``ack-system`` namespace, the ServiceAccount, the
ClusterRole and Roles, the Deployment. Where the sandbox has a node, it does the same:
``kubectl kustomize config/default`` of the very source the binary is built from, the
binary as the only file of a local image named as ACK publishes it
(``public.ecr.aws/aws-controllers-k8s/sagemaker-controller:<version>``), and the
Deployment's own settings (its ``env``) pointed at the SageMaker emulator on the node's
bridge. The changes, all in the Deployment's environment and arguments, are the ones
``controller_process`` makes on the host: the region, the emulator as both AWS
endpoints (it is plain HTTP, hence ``--allow-unsafe-aws-endpoint-urls``), the
emulator's credentials, and no cross-account role map (one account here). Then
``ack-components doctor`` finds the controller where it looks in a real cluster.
"""

from __future__ import annotations

import subprocess
from typing import Any

import yaml

from ack_components_sandbox.aws.controller_process import EMULATOR_CREDENTIALS
from ack_components_sandbox.base import binaries, workloads
from ack_components_sandbox.cluster import images

NAMESPACE = "ack-system"
NAME = "ack-sagemaker-controller"


def image() -> images.Image:
    """The controller binary at ``/bin/controller`` (the Deployment runs ``./bin/controller``
    from ``/``), as a non-root user (the pod says ``runAsNonRoot``)."""
    version = binaries.versions()["SAGEMAKER_CONTROLLER_VERSION"]
    return images.Image(
        f"public.ecr.aws/aws-controllers-k8s/sagemaker-controller:{version}",
        binaries.controller().path(),
        path="/bin/controller",
        user="65532",
    )


def upstream() -> list[dict[str, Any]]:
    """``config/default`` rendered by kustomize, without the CRDs (the sandbox has them)."""
    source = binaries.controller_source() / "config" / "default"
    rendered = subprocess.run(
        [str(binaries.kubectl().path()), "kustomize", str(source)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [
        doc
        for doc in yaml.safe_load_all(rendered)
        if doc and doc["kind"] != "CustomResourceDefinition"
    ]


def configured(docs: list[dict[str, Any]], emulator_url: str, region: str) -> list[dict[str, Any]]:
    """The manifests with the Deployment pointed at the emulator (pure)."""
    settings = {
        "AWS_REGION": region,
        "AWS_ENDPOINT_URL": emulator_url,
        "ENABLE_CARM": "false",
        **EMULATOR_CREDENTIALS,
    }
    result = []
    for doc in docs:
        doc = yaml.safe_load(yaml.safe_dump(doc))  # a copy
        if doc["kind"] == "Deployment":
            container = doc["spec"]["template"]["spec"]["containers"][0]
            env = [e for e in container["env"] if e["name"] not in settings]
            container["env"] = env + [{"name": k, "value": v} for k, v in settings.items()]
            container["args"] += [
                f"--aws-identity-endpoint-url={emulator_url}",
                "--allow-unsafe-aws-endpoint-urls",
            ]
        result.append(doc)
    return result


def deploy(api: Any, emulator_url: str, region: str, timeout: float = 120.0) -> list[str]:
    """Apply the manifests and wait until the controller is available."""
    applied = workloads.apply(api, configured(upstream(), emulator_url, region))
    workloads.wait_available(api, NAMESPACE, NAME, timeout)
    return applied
