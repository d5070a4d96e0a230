"""Argo Workflows on the sandbox's node, installed as Kubeflow Pipelines 2.16 installs it.

KFP compiles a pipeline to an Argo Workflow (SDK 1.8 on the client, the API server for
SDK 2's pipelines); Argo's workflow-controller starts a pod per step, and its executor
(``argoexec``, emissary) runs the step's command, then hands the step's outputs to the
next step and archives them in the artifact store. This module deploys that on the
sandbox, the way KFP's own manifests do (``manifests/kustomize/third-party/argo`` of KFP
2.16.1 over Argo's upstream ones):

- Argo v3.7.3, the version KFP 2.16 installs, built from its pinned Go module
  (``tools/build.sh argo``), each program the only file of a local image named as KFP's
  manifests name it (``quay.io/argoproj/workflow-controller:v3.7.3``), so the manifests
  run unchanged and nothing is pulled;
- in the ``kubeflow`` namespace: Argo's CRDs (upstream ``base/crds/minimal``), its
  ServiceAccount, Roles and ClusterRole (upstream ``cluster-install-no-crds/
  workflow-controller-rbac``), KFP's ``workflow-controller-configmap`` (the artifact
  repository ``mlpipeline`` behind ``seaweedfs.kubeflow:9000`` with the
  ``mlpipeline-minio-artifact`` secret, logs archived; the executor's security context)
  and the Deployment with KFP's patch;
- in the profile namespace, what KFP's profile controller puts there: the artifact
  secret and the ``artifact-repositories`` ConfigMap; and Argo's executor Role
  (``workflowtaskresults`` create/patch), bound to ``default-editor`` beside the
  components' own Role.

Two sandbox differences, both said here: ``DEFAULT_REQUEUE_TIME`` is 2 s (Argo's
default, 10 s, is the pause between steps); and every step's main container gets the
sandbox's AWS account in its environment (the emulator's endpoint and keys), where pods
on AWS get theirs from IRSA.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
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
#: KFP's object store Service (SeaweedFS in KFP's manifests; here ``artifact_store.py``).
ARTIFACT_SERVICE = "seaweedfs"
ARTIFACT_PORT = 9000
#: Where pods reach it, by cluster DNS, as KFP's manifests say it.
ARTIFACT_ENDPOINT = f"{ARTIFACT_SERVICE}.{NAMESPACE}:{ARTIFACT_PORT}"
REQUEUE_TIME = "2s"
#: The values of the kustomize parameters in KFP's Argo patches.
KFP_PARAMETERS = {"$(kfp-namespace)": NAMESPACE, "$(kfp-artifact-bucket-name)": ARTIFACT_BUCKET}


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
    return f"quay.io/argoproj/{program}:v{version()}"


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


def _kfp_patch(kfp_source: Path, name: str) -> dict[str, Any]:
    """One of KFP's patches over Argo's manifests (in KFP's source), its kustomize
    parameters filled in."""
    path = kfp_source / "manifests" / "kustomize" / "third-party" / "argo" / "base" / name
    text = path.read_text()
    for parameter, value in KFP_PARAMETERS.items():
        text = text.replace(parameter, value)
    patch: dict[str, Any] = yaml.safe_load(text)
    return patch


def config_map(kfp_source: Path, step_env: dict[str, str] | None = None) -> dict[str, Any]:
    """``workflow-controller-configmap`` as KFP 2.16 writes it; ``step_env`` is set in every
    step's main container (``mainContainer``): the sandbox's AWS account, where a cluster on
    AWS gives pods theirs through IRSA."""
    doc = _kfp_patch(kfp_source, "workflow-controller-configmap-patch.yaml")
    doc["metadata"] = {"name": "workflow-controller-configmap", "namespace": NAMESPACE}
    if step_env:
        env = [{"name": name, "value": value} for name, value in sorted(step_env.items())]
        doc["data"]["mainContainer"] = yaml.safe_dump({"env": env}, sort_keys=False)
    return doc


def artifact_repositories(namespace: str) -> dict[str, Any]:
    """The profile namespace's default artifact repository, as KFP's profile controller
    writes it (``sync.py``): the same store, under the namespace's private prefix."""
    key = (
        f"private-artifacts/{namespace}/{{{{workflow.name}}}}/{{{{workflow.creationTimestamp.Y}}}}/"
        "{{workflow.creationTimestamp.m}}/{{workflow.creationTimestamp.d}}/{{pod.name}}"
    )
    repository = {
        "archiveLogs": True,
        "s3": {
            "endpoint": f"{ARTIFACT_SERVICE}.{NAMESPACE}.svc.cluster.local:{ARTIFACT_PORT}",
            "bucket": ARTIFACT_BUCKET,
            "keyFormat": key,
            "insecure": True,
            "accessKeySecret": {"name": ARTIFACT_SECRET, "key": "accesskey"},
            "secretKeySecret": {"name": ARTIFACT_SECRET, "key": "secretkey"},
        },
    }
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "artifact-repositories",
            "namespace": namespace,
            "annotations": {
                "workflows.argoproj.io/default-artifact-repository": "default-namespaced"
            },
        },
        "data": {"default-namespaced": json.dumps(repository)},
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
    kfp_source: Path, step_env: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """Argo's controller in ``kubeflow``: namespaced objects get the namespace, the
    cluster role binding names the service account there, the Deployment runs with KFP's
    patch (images, arguments, security context, resources)."""
    docs: list[dict[str, Any]] = []
    for doc in [
        *_upstream("base/workflow-controller"),
        *_upstream("cluster-install-no-crds/workflow-controller-rbac"),
    ]:
        kind = doc["kind"]
        if kind in ("ConfigMap", "Service") or doc["metadata"]["name"].startswith("argo-aggregate"):
            continue  # the configmap is KFP's (below); metrics service and UI roles unused
        if kind not in ("ClusterRole", "ClusterRoleBinding", "PriorityClass"):
            doc["metadata"]["namespace"] = NAMESPACE
        for subject in doc.get("subjects", []):
            subject["namespace"] = NAMESPACE
        if kind == "Deployment":
            patch = _kfp_patch(kfp_source, "workflow-controller-deployment-patch.yaml")
            patch = patch["spec"]["template"]
            pod = doc["spec"]["template"]["spec"]
            pod["securityContext"] = patch["spec"]["securityContext"]
            container = pod["containers"][0]
            container.update(patch["spec"]["containers"][0])
            container["env"].append({"name": "DEFAULT_REQUEUE_TIME", "value": REQUEUE_TIME})
        docs.append(doc)
    docs += [config_map(kfp_source, step_env), secret(NAMESPACE)]
    return docs


def profile_manifests() -> list[dict[str, Any]]:
    """In the profile namespace: the artifact secret and repository, and Argo's emissary
    executor Role, bound to the steps' service account."""
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
    return [secret(profile.NAMESPACE), artifact_repositories(profile.NAMESPACE), role, binding]


@dataclass(frozen=True)
class ArgoState:
    artifact_endpoint: str
    applied: tuple[str, ...]


def artifact_service_addresses(api: Any) -> dict[str, str]:
    """The artifact store's name as pods reach it (``seaweedfs.kubeflow``) → its Service's
    cluster IP, which the host reaches through the node's kube-proxy."""
    from kubernetes import client

    service = client.CoreV1Api(api).read_namespaced_service(ARTIFACT_SERVICE, NAMESPACE)
    return {f"{ARTIFACT_SERVICE}.{NAMESPACE}": str(service.spec.cluster_ip)}


def install(
    api: Any,
    kfp_source: Path,
    artifact_host: str,
    artifact_port: int,
    step_env: dict[str, str] | None = None,
    timeout: float = 120.0,
) -> ArgoState:
    """Argo's CRDs, the artifact service, the controller and the profile's part; waits
    until the workflow-controller is available. ``kfp_source``: KFP's source, whose
    manifests patch Argo's; ``step_env``: see ``config_map``."""
    from ack_components_sandbox.cluster import crds as crd_install

    crd_install.install(api, crds())
    store = workloads.host_service(
        ARTIFACT_SERVICE, NAMESPACE, ARTIFACT_PORT, artifact_host, artifact_port
    )
    applied = workloads.apply(api, [namespace(), *store])
    controller = controller_manifests(kfp_source, step_env)
    applied += workloads.apply(api, [*controller, *profile_manifests()])
    workloads.wait_available(api, NAMESPACE, "workflow-controller", timeout)
    return ArgoState(ARTIFACT_ENDPOINT, tuple(applied))
