"""The Kubeflow Pipelines 2.16 backend on the sandbox's node, deployed as KFP deploys it.

Users submit runs to KFP's API server (``kfp.Client`` of SDK 1.8 through the v1 API, of
SDK 2 through the v2 API, or the UI). The server turns each run into an Argo Workflow in
the user's profile namespace: a v1 pipeline's Workflow as SDK 1.8 compiled it, a v2
pipeline's compiled by the server onto KFP's v2 engine (a driver pod per task, and the
launcher copied into each step's pod), both under ``default-editor``. The persistence
agent reports each Workflow back; the scheduled-workflow controller starts recurring
runs. This module installs those three from KFP's own multi-user manifests (``kubectl
kustomize manifests/kustomize/base/installs/multi-user`` of the vendored 2.16.1 source):
their ServiceAccounts, RBAC, ConfigMaps, Services and Deployments, KFP's CRDs
(ScheduledWorkflow, Viewer) and its ``kubeflow-pipelines-edit`` and ``-view`` roles.
Each program, built by ``tools/build.sh kfp``, is the only file of a local image named as
KFP publishes it (``ghcr.io/kubeflow/kfp-api-server:2.16.1``, ``kfp-driver``,
``kfp-launcher``, …), so the Deployments and the compiled Workflows run unchanged but for
the differences below.

Left out: Argo (``argo.py`` installs the same v3.7.3), the object store
(``artifact_store.py``, behind KFP's ``seaweedfs`` Service), MySQL (``database.py``),
ML Metadata (``metadata.py``: all three on the host behind KFP's Service names), the UI
(``kfp_ui.py``, on the host), and what needs Istio or metacontroller (cache, profile
controller, viewer controller, visualization server, metadata writer). What KFP's profile
controller puts in a profile namespace, ``profile_manifests`` puts there.

Sandbox differences, all in ``configured()``:

- KFP's images start the API server, the persistence agent and the scheduled-workflow
  controller through a shell that expands ``${VAR}``; the one-file images have no shell,
  so the container ``args`` carry the same command lines with Kubernetes' ``$(VAR)``
  expansion;
- ``mysql`` is a Service without selector whose endpoint is MariaDB;
- the profile's owner (``user@example.com``) is bound to ``kubeflow-pipelines-edit`` in the
  profile namespace, as Kubeflow's profile controller does through ``kubeflow-admin``.

The pods find KFP's Services by name through the sandbox's cluster DNS, so the backend
needs it (``cluster_dns.py``).
"""

from __future__ import annotations

import copy
import json
import subprocess
from typing import Any

import yaml

from ack_components_sandbox.base import binaries, workloads
from ack_components_sandbox.cluster import images
from ack_components_sandbox.kubeflow import argo, metadata, profile

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
    # only its name and port: the API server exits unless its address is in the environment
    ("Service", "ml-pipeline-visualizationserver"),
    ("ClusterRole", "kubeflow-pipelines-edit"),
    ("ClusterRole", "kubeflow-pipelines-view"),
    ("ClusterRole", "aggregate-to-kubeflow-pipelines-edit"),
    ("ClusterRole", "aggregate-to-kubeflow-pipelines-view"),
}
#: The ServiceAccount and RBAC objects of each kept Deployment follow KFP's naming.
RBAC_KINDS = ("ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding")
OWNER_BINDING = "kubeflow-pipelines-edit-owner"
#: What the v2 engine's driver and launcher read, running as the steps' service account:
#: the launcher's ConfigMap, the object store's secret, their own pod. In Kubeflow the
#: account has ``kubeflow-edit``; the sandbox grants only these, beside the components' Role.
ENGINE_ROLE = "kfp-v2-engine"
ENGINE_RULES = [
    {"apiGroups": [""], "resources": ["configmaps", "secrets", "pods"], "verbs": ["get"]},
]
#: Where a profile's v2 artifacts go, as KFP's profile controller sets it (``sync.py``).
PIPELINE_ROOT = "minio://{bucket}/private-artifacts/{namespace}/v2/artifacts"


PART = binaries.BuiltPart(
    "KFP",
    "KFP_VERSION",
    "kfp",
    ("apiserver", "persistence-agent", "scheduledworkflow", "driver", "launcher-v2"),
    "`make kfp` (tools/build.sh kfp)",
    source_folder="kubeflow-pipelines",
)
version, source, program, unavailable = PART.version, PART.source, PART.program, PART.unavailable


def image_name(name: str) -> str:
    return f"ghcr.io/kubeflow/kfp-{name}:{version()}"


def kfp_images() -> list[images.Image]:
    """The programs as KFP's Dockerfiles lay them out: the API server with its ``/config``
    (KFP's ``config.json``; no samples to preload), the others on ``PATH``; the driver and
    the launcher as user 65532, as theirs run."""
    config = source() / "backend" / "src" / "apiserver" / "config" / "config.json"
    samples = json.dumps({"loadSamplesOnRestart": False, "pipelines": []}).encode()
    return [
        images.Image(
            image_name("api-server"),
            program("apiserver"),
            path="/bin/apiserver",
            files=(
                ("/config/config.json", config.read_bytes()),
                ("/config/sample_config.json", samples),
            ),
        ),
        images.Image(
            image_name("persistence-agent"),
            program("persistence-agent"),
            path="/bin/persistence_agent",
        ),
        images.Image(
            image_name("scheduled-workflow-controller"),
            program("scheduledworkflow"),
            path="/bin/controller",
        ),
        images.Image(image_name("driver"), program("driver"), path="/bin/driver", user="65532"),
        images.Image(
            image_name("launcher"), program("launcher-v2"), path="/bin/launcher-v2", user="65532"
        ),
    ]


def upstream() -> list[dict[str, Any]]:
    """KFP's multi-user install, rendered by kustomize."""
    base = source() / "manifests" / "kustomize" / "base" / "installs" / "multi-user"
    rendered = subprocess.run(
        [str(binaries.kubectl().path()), "kustomize", str(base)],
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


#: KFP's Dockerfiles' shell command lines, as container arguments.
ARGS = {
    # CMD /bin/apiserver --config=/config --sampleconfig=... -logtostderr=true --logLevel=${LOG_LEVEL}
    "ml-pipeline": [
        "--config=/config",
        "--sampleconfig=/config/sample_config.json",
        "-logtostderr=true",
        "--logLevel=$(LOG_LEVEL)",
    ],
    # CMD persistence_agent --logtostderr=true --namespace=${NAMESPACE} ...
    "ml-pipeline-persistenceagent": [
        "--logtostderr=true",
        "--namespace=$(NAMESPACE)",
        "--ttlSecondsAfterWorkflowFinish=$(TTL_SECONDS_AFTER_WORKFLOW_FINISH)",
        "--numWorker",
        "$(NUM_WORKERS)",
        "--executionType",
        "Workflow",
        "--logLevel=$(LOG_LEVEL)",
    ],
    # CMD /bin/controller --logtostderr=true --namespace=${NAMESPACE} ...
    "ml-pipeline-scheduledworkflow": [
        "--logtostderr=true",
        "--namespace=$(NAMESPACE)",
        "--logLevel=$(LOG_LEVEL)",
        "--clientQPS=$(CLIENT_QPS)",
        "--clientBurst=$(CLIENT_BURST)",
        "--recurringRunResyncIntervalSeconds=$(RESYNC_INTERVAL_SECONDS)",
        "--metricsPort=$(METRICS_PORT)",
    ],
}


def configured(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The kept objects with the sandbox's differences (pure)."""
    out = []
    for original in filter(_kept, docs):
        doc = copy.deepcopy(original)
        name = doc["metadata"]["name"]
        if doc["kind"] == "Deployment" and name in ARGS:
            for container in doc["spec"]["template"]["spec"]["containers"]:
                container["args"] = ARGS[name]
        out.append(doc)
    return out


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


def profile_manifests(namespace: str = profile.NAMESPACE) -> list[dict[str, Any]]:
    """What KFP's profile controller (``pipelines-profile-controller/sync.py``) puts in a
    profile namespace for the v2 engine: the launcher's pipeline root and where ML
    Metadata is, and the reads the engine makes as the steps' account (``ENGINE_RULES``);
    the Argo artifact repository and its secret are ``argo.py``'s."""

    def config_map(name: str, data: dict[str, str]) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": namespace},
            "data": data,
        }

    root = PIPELINE_ROOT.format(bucket=argo.ARTIFACT_BUCKET, namespace=namespace)
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": ENGINE_ROLE, "namespace": namespace},
        "rules": ENGINE_RULES,
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": ENGINE_ROLE, "namespace": namespace},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": ENGINE_ROLE},
        "subjects": [
            {"kind": "ServiceAccount", "name": profile.SERVICE_ACCOUNT, "namespace": namespace}
        ],
    }
    return [
        role,
        binding,
        config_map("kfp-launcher", {"defaultPipelineRoot": root, "clusterDomain": "cluster.local"}),
        config_map(
            "metadata-grpc-configmap",
            {
                "METADATA_GRPC_SERVICE_HOST": f"{metadata.GRPC_SERVICE}.{metadata.NAMESPACE}",
                "METADATA_GRPC_SERVICE_PORT": str(metadata.GRPC_PORT),
            },
        ),
    ]


def install(api: Any, database: tuple[str, int], timeout: float = 180.0) -> list[str]:
    """Apply the backend, then wait until its three Deployments are available."""
    from ack_components_sandbox.cluster import crds as crd_install

    kept = configured(upstream())
    crd_install.install(api, [doc for doc in kept if doc["kind"] == "CustomResourceDefinition"])
    mysql = workloads.host_service(
        DATABASE_SERVICE, NAMESPACE, DATABASE_PORT, database[0], database[1], "mysql"
    )
    rest = [doc for doc in kept if doc["kind"] != "CustomResourceDefinition"]
    applied = workloads.apply(api, [*mysql, *rest, owner_binding(), *profile_manifests()])
    for name in DEPLOYMENTS:
        workloads.wait_available(api, NAMESPACE, name, timeout)
    return applied


def api_address(api: Any) -> str:
    """``host:port`` of the API server's Service (its cluster IP, reachable from the host
    through the node's kube-proxy)."""
    from kubernetes import client

    service = client.CoreV1Api(api).read_namespaced_service(API_SERVER, NAMESPACE)
    return f"{service.spec.cluster_ip}:{API_HTTP_PORT}"
