"""The node's cluster DNS: CoreDNS, as kubeadm deploys it, so pods find Services by name.

Any real cluster has one, and some workloads cannot do without it: Kubeflow's training
operator tells a PyTorchJob's workers their master by its Service's name
(``MASTER_ADDR=<job>-master-0``) and holds them in an init container until that name
resolves. CoreDNS is built from the Go module proxy (``tools/build.sh coredns``) and
runs as a Deployment in ``kube-system`` behind the ``kube-dns`` Service at
``SERVICE_IP``, with kubeadm's Corefile (names in ``cluster.local`` from the API, the
rest forwarded to the machine's resolver) minus ``loop`` and ``reload``; the kubelet
gives every pod that address (``clusterDNS``) when CoreDNS is built. Without it the
sandbox runs as before, with no cluster DNS, and says so.
"""

from __future__ import annotations

from typing import Any

from ack_components_sandbox.base import binaries, workloads
from ack_components_sandbox.cluster import images
from ack_components_sandbox.cluster.node import DOMAIN

NAMESPACE = "kube-system"
NAME = "coredns"
#: In the API server's service range (10.0.0.0/24), as kubeadm takes its tenth address.
SERVICE_IP = "10.0.0.10"
COREFILE = f""".:53 {{
    errors
    health {{
       lameduck 5s
    }}
    ready
    kubernetes {DOMAIN} in-addr.arpa ip6.arpa {{
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }}
    forward . /etc/resolv.conf
    cache 30
    loadbalance
}}
"""


PART = binaries.BuiltPart(
    "CoreDNS",
    "COREDNS_VERSION",
    "coredns",
    ("coredns",),
    "`make training` (tools/build.sh coredns)",
)
version, program, unavailable = PART.version, PART.program, PART.unavailable


def image() -> images.Image:
    return images.Image(f"registry.k8s.io/coredns/coredns:v{version()}", program())


def manifests() -> list[dict[str, Any]]:
    """kubeadm's CoreDNS objects: account, cluster role and binding, Corefile, Deployment,
    and the ``kube-dns`` Service."""
    labels = {"k8s-app": "kube-dns"}
    meta = {"name": NAME, "namespace": NAMESPACE}
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "system:coredns"},
            "rules": [
                {
                    "apiGroups": [""],
                    "resources": ["endpoints", "services", "pods", "namespaces"],
                    "verbs": ["list", "watch"],
                },
                {
                    "apiGroups": ["discovery.k8s.io"],
                    "resources": ["endpointslices"],
                    "verbs": ["list", "watch"],
                },
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "system:coredns"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "system:coredns",
            },
            "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": NAMESPACE}],
        },
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"Corefile": COREFILE}},
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {**meta, "labels": labels},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "serviceAccountName": NAME,
                        "dnsPolicy": "Default",  # the node's resolver, for what it forwards
                        "containers": [
                            {
                                "name": "coredns",
                                "image": image().name,
                                "imagePullPolicy": "IfNotPresent",
                                "args": ["-conf", "/etc/coredns/Corefile"],
                                "ports": [
                                    {"name": "dns", "containerPort": 53, "protocol": "UDP"},
                                    {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"},
                                ],
                                "readinessProbe": {"httpGet": {"path": "/ready", "port": 8181}},
                                "livenessProbe": {"httpGet": {"path": "/health", "port": 8080}},
                                "volumeMounts": [
                                    {
                                        "name": "config",
                                        "mountPath": "/etc/coredns",
                                        "readOnly": True,
                                    }
                                ],
                            }
                        ],
                        "volumes": [{"name": "config", "configMap": {"name": NAME}}],
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "kube-dns", "namespace": NAMESPACE, "labels": labels},
            "spec": {
                "clusterIP": SERVICE_IP,
                "selector": labels,
                "ports": [
                    {"name": "dns", "port": 53, "protocol": "UDP"},
                    {"name": "dns-tcp", "port": 53, "protocol": "TCP"},
                ],
            },
        },
    ]


def deploy(api: Any, timeout: float = 120.0) -> list[str]:
    """Apply the objects and wait until CoreDNS answers (its Deployment is available)."""
    applied = workloads.apply(api, manifests())
    workloads.wait_available(api, NAMESPACE, NAME, timeout)
    return applied
