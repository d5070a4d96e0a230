"""Applying manifests to the sandbox and waiting for a Deployment: what Argo's and the ACK
controller's installs share.

Server-side apply (one field manager) makes ``sandbox up`` repeatable on an existing
cluster state, as ``kubectl apply --server-side`` would.
"""

from __future__ import annotations

import time
from typing import Any

FIELD_MANAGER = "ack-components-sandbox"


def apply(api: Any, docs: list[dict[str, Any]]) -> list[str]:
    """Server-side apply each document, in order; returns ``Kind/name`` of each."""
    from kubernetes import dynamic

    client = dynamic.DynamicClient(api)
    done = []
    for doc in docs:
        resource = client.resources.get(api_version=doc["apiVersion"], kind=doc["kind"])
        client.server_side_apply(
            resource,
            body=doc,
            namespace=doc["metadata"].get("namespace"),
            field_manager=FIELD_MANAGER,
            force_conflicts=True,
        )
        done.append(f"{doc['kind']}/{doc['metadata']['name']}")
    return done


def wait_available(api: Any, namespace: str, name: str, timeout: float) -> None:
    """Until the Deployment has an available replica; raises TimeoutError saying what its
    pods are doing."""
    from kubernetes import client

    apps = client.AppsV1Api(api)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = apps.read_namespaced_deployment_status(name, namespace).status
        if status.available_replicas:
            return
        time.sleep(0.5)
    pods = client.CoreV1Api(api).list_namespaced_pod(namespace)
    states = [
        f"{pod.metadata.name}: {pod.status.phase} {pod.status.container_statuses or ''}"
        for pod in pods.items
    ]
    raise TimeoutError(f"{namespace}/{name} not available after {timeout:.0f} s: {states}")


def available(api: Any, namespace: str, name: str) -> bool:
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    try:
        status = client.AppsV1Api(api).read_namespaced_deployment_status(name, namespace).status
    except (ApiException, OSError):
        return False
    return bool(status.available_replicas)


def host_service(
    name: str, namespace: str, port: int, host: str, target_port: int, port_name: str = "http"
) -> list[dict[str, Any]]:
    """A Service without selector whose one endpoint is a process on the host (the node's
    bridge address): how pods reach the sandbox's database, object store and metadata
    server under the Service names KFP's programs dial."""
    return [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"ports": [{"name": port_name, "port": port, "targetPort": target_port}]},
        },
        {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {"name": name, "namespace": namespace},
            "subsets": [
                {"addresses": [{"ip": host}], "ports": [{"name": port_name, "port": target_port}]}
            ],
        },
    ]
