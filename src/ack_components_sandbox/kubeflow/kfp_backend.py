"""The Kubeflow Pipelines 1.8.5 backend on the sandbox's node, deployed as KFP deploys it.

Users submit runs to KFP's API server (``kfp.Client``, or the UI), which turns each run
into an Argo Workflow in the user's profile namespace; the persistence agent reports the
workflow's progress back to the API server, and the scheduled-workflow controller starts
recurring runs. This module installs those three from KFP's own multi-user manifests
(``kubectl kustomize manifests/kustomize/env/platform-agnostic-multi-user-emissary`` of
the vendored 1.8.5 source): their ServiceAccounts, RBAC, ConfigMaps, Services and
Deployments, KFP's CRDs (ScheduledWorkflow, Viewer) and its ``kubeflow-pipelines-edit``
and ``-view`` roles. Each program, built by ``tools/build.sh kfp``, is the only file of a
local image named as KFP publishes it (``gcr.io/ml-pipeline/api-server:1.8.5``, …), so
the Deployments run unchanged from what KFP ships but for the differences below.

Left out: Argo (``argo.py`` installs the same v3.3.8), MinIO (``artifact_store.py``),
MySQL (``database.py``: both run on the host behind KFP's Service names), the UI
(``kfp_ui.py``, on the host), and what needs ML Metadata, Istio or metacontroller
(metadata server, cache, profile controller, viewer controller, visualization server).

Sandbox differences, all in ``configured()``:

- the node has no cluster DNS: each pod gets ``hostAliases`` mapping the Service names
  KFP's programs dial (``mysql``, ``ml-pipeline``, ``minio-service``) to those Services'
  cluster IPs; ``mysql`` is a Service without selector whose endpoint is MariaDB;
- KFP's images start the persistence agent and the scheduled-workflow controller through
  a shell that expands ``${VAR}``; the one-file images have no shell, so the container
  ``args`` carry the same command line with Kubernetes' ``$(VAR)`` expansion;
- the probes run ``wget`` inside the container; here they are the same requests as
  ``httpGet`` probes;
- the profile's owner (``user@example.com``) is bound to ``kubeflow-pipelines-edit`` in the
  profile namespace, as Kubeflow's profile controller does through ``kubeflow-admin``.
"""

from __future__ import annotations

import copy
import subprocess
from typing import Any

import yaml

from ack_components_sandbox.base import binaries, workloads
from ack_components_sandbox.cluster import images
from ack_components_sandbox.kubeflow import profile

NAMESPACE = "kubeflow"
API_SERVER = "ml-pipeline"
API_HTTP_PORT = 8888
DATABASE_SERVICE = "mysql"
DATABASE_PORT = 3306
DEPLOYMENTS = ("ml-pipeline", "ml-pipeline-persistenceagent", "ml-pipeline-scheduledworkflow")
#: The objects taken from KFP's manifests besides the Deployments' own.
KEPT = {
    ("CustomResourceDefinition", "scheduledworkflows.kubeflow.org"),
    ("CustomResourceDefinition", "viewers.kubeflow.org"),
    ("ConfigMap", "pipeline-install-config"),
    ("Secret", "mysql-secret"),
    ("Service", "ml-pipeline"),
    ("Service", "mysql"),
    # only its name and port: the API server exits unless its address is in the environment
    ("Service", "ml-pipeline-visualizationserver"),
    ("ClusterRole", "kubeflow-pipelines-edit"),
    ("ClusterRole", "kubeflow-pipelines-view"),
    ("ClusterRole", "aggregate-to-kubeflow-pipelines-edit"),
    ("ClusterRole", "aggregate-to-kubeflow-pipelines-view"),
}
#: The ServiceAccount and RBAC objects of each kept Deployment follow KFP's naming.
RBAC_KINDS = ("ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding")
#: The Service names KFP's programs dial, resolved on the node by ``hostAliases``.
DIALED = ("ml-pipeline", "mysql", "minio-service")
OWNER_BINDING = "kubeflow-pipelines-edit-owner"


PART = binaries.BuiltPart(
    "KFP",
    "KFP_VERSION",
    "kfp",
    ("apiserver", "persistence-agent", "scheduledworkflow"),
    "`make kfp` (tools/build.sh kfp)",
    source_folder="kubeflow-pipelines",
)
version, source, program, unavailable = PART.version, PART.source, PART.program, PART.unavailable


def kfp_images() -> list[images.Image]:
    """The three programs as KFP's Dockerfiles lay them out: the API server with its
    ``/config`` (KFP's ``config.json``; no samples to preload), the others on ``PATH``."""
    config = source() / "backend" / "src" / "apiserver" / "config" / "config.json"
    return [
        images.Image(
            f"gcr.io/ml-pipeline/api-server:{version()}",
            program("apiserver"),
            args=("--config=/config", "--sampleconfig=/config/sample_config.json", "-logtostderr"),
            path="/bin/apiserver",
            files=(
                ("/config/config.json", config.read_bytes()),
                ("/config/sample_config.json", b"[]"),
            ),
        ),
        images.Image(
            f"gcr.io/ml-pipeline/persistenceagent:{version()}",
            program("persistence-agent"),
            path="/bin/persistence_agent",
        ),
        images.Image(
            f"gcr.io/ml-pipeline/scheduledworkflow:{version()}",
            program("scheduledworkflow"),
            path="/bin/controller",
        ),
    ]


def upstream() -> list[dict[str, Any]]:
    """KFP's multi-user install (emissary executor), rendered by kustomize."""
    env = source() / "manifests" / "kustomize" / "env" / "platform-agnostic-multi-user-emissary"
    rendered = subprocess.run(
        [str(binaries.kubectl().path()), "kustomize", str(env)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [doc for doc in yaml.safe_load_all(rendered) if doc]


def _kept(doc: dict[str, Any]) -> bool:
    kind, name = doc["kind"], doc["metadata"]["name"]
    if kind == "Deployment":
        return name in DEPLOYMENTS
    if (kind, name) in KEPT:
        return True
    if kind == "ConfigMap" and name.startswith("pipeline-api-server-config"):
        return True
    if kind in RBAC_KINDS:
        base = name.removesuffix("-role").removesuffix("-binding")
        return base in DEPLOYMENTS
    return False


ARGS = {
    # KFP's Dockerfiles: CMD persistence_agent --logtostderr=true --namespace=${NAMESPACE} ...
    "ml-pipeline-persistenceagent": [
        "--logtostderr=true",
        "--namespace=$(NAMESPACE)",
        "--ttlSecondsAfterWorkflowFinish=$(TTL_SECONDS_AFTER_WORKFLOW_FINISH)",
        "--numWorker",
        "$(NUM_WORKERS)",
    ],
    "ml-pipeline-scheduledworkflow": ["--logtostderr=true", "--namespace=$(NAMESPACE)"],
}


def _http_probe(probe: dict[str, Any]) -> dict[str, Any]:
    """``wget -q -S -O - http://localhost:PORT/PATH`` as an ``httpGet`` probe."""
    url = probe["exec"]["command"][-1]
    port, _, path = url.removeprefix("http://localhost:").partition("/")
    rest = {key: value for key, value in probe.items() if key != "exec"}
    return {"httpGet": {"path": f"/{path}", "port": int(port)}, **rest}


def configured(
    docs: list[dict[str, Any]], cluster_ips: dict[str, str], database: tuple[str, int]
) -> list[dict[str, Any]]:
    """The kept objects with the sandbox's differences (pure): ``cluster_ips`` maps the
    dialed Service names to their cluster IPs, ``database`` is MariaDB's host and port."""
    out = []
    for original in filter(_kept, docs):
        doc = copy.deepcopy(original)
        name = doc["metadata"]["name"]
        if doc["kind"] == "Service" and name == DATABASE_SERVICE:
            doc["spec"].pop("selector")
            doc["spec"]["ports"][0]["targetPort"] = database[1]
        if doc["kind"] == "Deployment":
            pod = doc["spec"]["template"]["spec"]
            pod["hostAliases"] = [
                {"ip": ip, "hostnames": [service]} for service, ip in sorted(cluster_ips.items())
            ]
            for container in pod["containers"]:
                if name in ARGS:
                    container["args"] = ARGS[name]
                for probe in ("livenessProbe", "readinessProbe"):
                    if "exec" in container.get(probe, {}):
                        container[probe] = _http_probe(container[probe])
        out.append(doc)
    return out


def database_endpoints(host: str, port: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": DATABASE_SERVICE, "namespace": NAMESPACE},
        "subsets": [{"addresses": [{"ip": host}], "ports": [{"port": port}]}],
    }


def owner_binding() -> dict[str, Any]:
    """The profile's owner may use KFP in the profile's namespace."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": OWNER_BINDING, "namespace": profile.NAMESPACE},
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": "kubeflow-pipelines-edit",
        },
        "subjects": [
            {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": profile.OWNER}
        ],
    }


def install(api: Any, database: tuple[str, int], timeout: float = 180.0) -> list[str]:
    """Apply the backend, then wait until its three Deployments are available."""
    from kubernetes import client

    from ack_components_sandbox.cluster import crds as crd_install

    docs = upstream()
    kept = configured(docs, {}, database)
    crd_install.install(api, [doc for doc in kept if doc["kind"] == "CustomResourceDefinition"])
    services = [doc for doc in kept if doc["kind"] == "Service"]
    applied = workloads.apply(api, [*services, database_endpoints(*database)])
    core = client.CoreV1Api(api)
    cluster_ips = {
        name: core.read_namespaced_service(name, NAMESPACE).spec.cluster_ip for name in DIALED
    }
    rest = [
        doc
        for doc in configured(docs, cluster_ips, database)
        if doc["kind"] not in ("CustomResourceDefinition", "Service")
    ]
    applied += workloads.apply(api, [*rest, owner_binding()])
    for name in DEPLOYMENTS:
        workloads.wait_available(api, NAMESPACE, name, timeout)
    return applied


def api_address(api: Any) -> str:
    """``host:port`` of the API server's Service (its cluster IP, reachable from the host
    through the node's kube-proxy)."""
    from kubernetes import client

    service = client.CoreV1Api(api).read_namespaced_service(API_SERVER, NAMESPACE)
    return f"{service.spec.cluster_ip}:{API_HTTP_PORT}"
