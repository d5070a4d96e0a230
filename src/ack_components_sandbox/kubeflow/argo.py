"""Argo Workflows on the sandbox's node, installed as Kubeflow Pipelines 1.8.5 installs it.

KFP v1 compiles a pipeline to an Argo Workflow; Argo's workflow-controller starts a pod
per step, and its executor (``argoexec``, emissary mode) runs the step's command, then
hands the step's outputs to the next step and archives them in the artifact store.
This module deploys that on the sandbox, the way KFP's own manifests do
(``manifests/kustomize/third-party/argo`` of KFP 1.8.5 over Argo's upstream ones):

- Argo v3.3.8, the version KFP 1.8.5 installs, built from its pinned Go module
  (``tools/build.sh argo``), each program the only file of a local image named as
  KFP names it (``gcr.io/ml-pipeline/...:v3.3.8-license-compliance``), so the
  manifests run unchanged and nothing is pulled;
- in the ``kubeflow`` namespace: Argo's CRDs (upstream ``crds/minimal``), its
  ServiceAccount, Roles and ClusterRole (upstream ``workflow-controller-rbac``),
  the ``workflow-controller-configmap`` with KFP's settings (emissary executor, the
  artifact repository ``mlpipeline`` behind ``minio-service`` with the
  ``mlpipeline-minio-artifact`` secret, logs archived) and the Deployment;
- in the profile namespace: the artifact secret (KFP's profile controller copies it
  there) and Argo's executor Role (``workflowtaskresults`` create/patch), bound to
  ``default-editor`` beside the components' own Role.

Three sandbox differences, all said here: the node has no cluster DNS, so the artifact
repository's endpoint is ``minio-service``'s cluster IP rather than its DNS name;
``DEFAULT_REQUEUE_TIME`` is 2 s (Argo's default, 10 s, is the pause between steps); and
every step's main container gets the sandbox's AWS account in its environment (the
emulator's endpoint and keys), where pods on AWS get theirs from IRSA.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from ack_components_sandbox.base import binaries, workloads
from ack_components_sandbox.cluster import images
from ack_components_sandbox.kubeflow import profile

NAMESPACE = "kubeflow"
ARTIFACT_SECRET = "mlpipeline-minio-artifact"
ARTIFACT_BUCKET = "mlpipeline"
#: KFP's MinIO credentials (``third-party/minio/base/mlpipeline-minio-artifact-secret.yaml``).
ARTIFACT_KEYS = {"accesskey": "minio", "secretkey": "minio123"}
ARTIFACT_SERVICE = "minio-service"
ARTIFACT_PORT = 9000
#: KFP's key layout for archived outputs (its configmap patch).
KEY_FORMAT = (
    "artifacts/{{workflow.name}}/{{workflow.creationTimestamp.Y}}/"
    "{{workflow.creationTimestamp.m}}/{{workflow.creationTimestamp.d}}/{{pod.name}}"
)
REQUEUE_TIME = "2s"


PART = binaries.BuiltPart(
    "Argo",
    "ARGO_VERSION",
    "argo",
    ("workflow-controller", "argoexec"),
    "`make argo` (tools/build.sh argo)",
    source_folder="argo-workflows",
)
version, source, program, unavailable = PART.version, PART.source, PART.program, PART.unavailable


def image_name(program: str) -> str:
    return f"gcr.io/ml-pipeline/{program}:v{version()}-license-compliance"


def argo_images() -> list[images.Image]:
    """workflow-controller and argoexec, on ``PATH`` as Argo's pod specs call them, as
    Argo's own images run them (user 8737)."""
    return [
        images.Image(image_name(name), program(name), path=f"/bin/{name}", user="8737")
        for name in ("workflow-controller", "argoexec")
    ]


def _upstream(relative: str) -> list[dict[str, Any]]:
    path = source() / "manifests" / relative
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    return [
        doc
        for file in files
        if file.name != "kustomization.yaml"
        for doc in yaml.safe_load_all(file.read_text())
        if doc
    ]


def crds() -> list[dict[str, Any]]:
    return _upstream("base/crds/minimal")


def config_map(artifact_endpoint: str, step_env: dict[str, str] | None = None) -> dict[str, Any]:
    """``workflow-controller-configmap`` as KFP 1.8.5 patches it; ``step_env`` is set in
    every step's main container (``mainContainer``): the sandbox's AWS account, where a
    cluster on AWS gives pods theirs through IRSA."""
    repository = {
        "archiveLogs": True,
        "s3": {
            "endpoint": artifact_endpoint,
            "bucket": ARTIFACT_BUCKET,
            "keyFormat": KEY_FORMAT,
            "insecure": True,
            "accessKeySecret": {"name": ARTIFACT_SECRET, "key": "accesskey"},
            "secretKeySecret": {"name": ARTIFACT_SECRET, "key": "secretkey"},
        },
    }
    executor = {
        "imagePullPolicy": "IfNotPresent",
        "resources": {
            "requests": {"cpu": "0.01", "memory": "32Mi"},
            "limits": {"cpu": "0.5", "memory": "512Mi"},
        },
    }
    data = {
        "containerRuntimeExecutor": "emissary",
        "artifactRepository": yaml.safe_dump(repository, sort_keys=False),
        "executor": yaml.safe_dump(executor, sort_keys=False),
    }
    if step_env:
        env = [{"name": name, "value": value} for name, value in sorted(step_env.items())]
        data["mainContainer"] = yaml.safe_dump({"env": env}, sort_keys=False)
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "workflow-controller-configmap", "namespace": NAMESPACE},
        "data": data,
    }


def secret(namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": ARTIFACT_SECRET, "namespace": namespace},
        "stringData": dict(ARTIFACT_KEYS),
    }


def namespace() -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}


def controller_manifests(
    artifact_endpoint: str, step_env: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """Argo's controller in ``kubeflow``: namespaced objects get the namespace, the
    cluster role binding names the service account there, the Deployment runs KFP's
    images and arguments."""
    docs: list[dict[str, Any]] = []
    for doc in [
        *_upstream("base/workflow-controller"),
        *_upstream("cluster-install/workflow-controller-rbac"),
    ]:
        kind = doc["kind"]
        if kind in ("ConfigMap", "Service") or doc["metadata"]["name"].startswith("argo-aggregate"):
            continue  # the configmap is KFP's (below); metrics service and UI roles unused
        if kind not in ("ClusterRole", "ClusterRoleBinding", "PriorityClass"):
            doc["metadata"]["namespace"] = NAMESPACE
        for subject in doc.get("subjects", []):
            subject["namespace"] = NAMESPACE
        if kind == "Deployment":
            container = doc["spec"]["template"]["spec"]["containers"][0]
            container["image"] = image_name("workflow-controller")
            container["args"] = [
                "--configmap",
                "workflow-controller-configmap",
                "--executor-image",
                image_name("argoexec"),
            ]
            container["env"].append({"name": "DEFAULT_REQUEUE_TIME", "value": REQUEUE_TIME})
            container["resources"] = {"requests": {"cpu": "100m", "memory": "200Mi"}}
        docs.append(doc)
    docs += [config_map(artifact_endpoint, step_env), secret(NAMESPACE)]
    return docs


def profile_manifests() -> list[dict[str, Any]]:
    """In the profile namespace: the artifact secret and Argo's emissary executor Role,
    bound to the steps' service account."""
    role = _upstream("quick-start/base/executor/emissary/executor-role.yaml")[0]
    role["metadata"] = {"name": "argo-executor", "namespace": profile.NAMESPACE}
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "argo-executor", "namespace": profile.NAMESPACE},
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "Role",
            "name": "argo-executor",
        },
        "subjects": [
            {
                "kind": "ServiceAccount",
                "name": profile.SERVICE_ACCOUNT,
                "namespace": profile.NAMESPACE,
            }
        ],
    }
    return [secret(profile.NAMESPACE), role, binding]


def artifact_service(host_ip: str, port: int) -> list[dict[str, Any]]:
    """``minio-service`` in ``kubeflow``: a Service without selector whose one endpoint
    is the artifact store on the host."""
    return [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": ARTIFACT_SERVICE, "namespace": NAMESPACE},
            "spec": {"ports": [{"name": "http", "port": ARTIFACT_PORT, "targetPort": port}]},
        },
        {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {"name": ARTIFACT_SERVICE, "namespace": NAMESPACE},
            "subsets": [
                {"addresses": [{"ip": host_ip}], "ports": [{"name": "http", "port": port}]}
            ],
        },
    ]


@dataclass(frozen=True)
class ArgoState:
    artifact_endpoint: str
    applied: tuple[str, ...]


def install(
    api: Any,
    artifact_host: str,
    artifact_port: int,
    step_env: dict[str, str] | None = None,
    timeout: float = 120.0,
) -> ArgoState:
    """Argo's CRDs, the artifact service, the controller and the profile's part; waits
    until the workflow-controller is available. ``step_env``: see ``config_map``."""
    from kubernetes import client

    from ack_components_sandbox.cluster import crds as crd_install

    crd_install.install(api, crds())
    applied = workloads.apply(api, [namespace(), *artifact_service(artifact_host, artifact_port)])
    service = client.CoreV1Api(api).read_namespaced_service(ARTIFACT_SERVICE, NAMESPACE)
    endpoint = f"{service.spec.cluster_ip}:{ARTIFACT_PORT}"  # no cluster DNS on the node
    applied += workloads.apply(
        api, [*controller_manifests(endpoint, step_env), *profile_manifests()]
    )
    workloads.wait_available(api, NAMESPACE, "workflow-controller", timeout)
    return ArgoState(endpoint, tuple(applied))
