"""A Kubeflow profile's namespace, laid out as pipeline steps find it, on the sandbox.

KFP (multi-user) runs a user's pipeline steps in the profile's namespace as its
``default-editor`` service account. Here that account holds only the Role that
``ack-components rbac --preset kubeflow-profile --pytorchjobs`` makes (the SageMaker
kinds, and PyTorchJobs with their pods' logs for the hybrid sample), nothing else (in a Kubeflow
install it also holds ``kubeflow-edit``), so a step that runs here needs no more than
that Role grants.
"""

from __future__ import annotations

from typing import Any

from ack_components import kinds, rbac

NAMESPACE = "kubeflow-user-example-com"
OWNER = "user@example.com"
REGION = "us-east-1"
SERVICE_ACCOUNT = rbac.PRESETS["kubeflow-profile"][0]


def manifests() -> list[dict[str, Any]]:
    """The namespace (labelled as Kubeflow's profile controller labels it), its
    ``default-editor`` service account, and the Role and RoleBinding of ``rbac``."""
    return [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": NAMESPACE,
                "labels": {
                    "app.kubernetes.io/part-of": "kubeflow-profile",
                    "pipelines.kubeflow.org/enabled": "true",
                },
                # ACK's default region for the namespace's resources (doctor reads it).
                "annotations": {"owner": OWNER, "services.k8s.aws/default-region": REGION},
            },
        },
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": SERVICE_ACCOUNT, "namespace": NAMESPACE},
        },
        *rbac.manifests(
            NAMESPACE, SERVICE_ACCOUNT, [*kinds.granted_by_default(), kinds.PYTORCH_JOB]
        ),
    ]


#: The Secret a pipeline's own pods read AWS settings from, as ``kfp.aws.use_aws_secret``
#: names it; the hybrid sample's PyTorchJob replicas take it with ``envFrom`` (optional:
#: on a cluster with IRSA there is none).
AWS_SECRET = "aws-secret"


def put_aws_secret(api: Any, emulator_url: str) -> None:
    """The profile's ``aws-secret``: the emulator as the pods' AWS account (what IRSA gives
    a pod on EKS)."""
    from ack_components_sandbox.aws.controller_process import EMULATOR_CREDENTIALS
    from ack_components_sandbox.base.workloads import apply

    data = {"AWS_ENDPOINT_URL": emulator_url, "AWS_DEFAULT_REGION": REGION, **EMULATOR_CREDENTIALS}
    apply(
        api,
        [
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": AWS_SECRET, "namespace": NAMESPACE},
                "stringData": data,
            }
        ],
    )


def create(api: Any) -> dict[str, Any]:
    """Create the profile's objects (those that exist are left, the RBAC ones replaced)."""
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    core = client.CoreV1Api(api)
    namespace, account, *rbac_documents = manifests()
    for create, args, document in (
        (core.create_namespace, (), namespace),
        (core.create_namespaced_service_account, (NAMESPACE,), account),
    ):
        try:
            create(*args, document)
        except ApiException as error:
            if error.status != 409:
                raise
    applied = rbac.apply(api, rbac_documents)
    return {"namespace": NAMESPACE, "service_account": SERVICE_ACCOUNT, "rbac": applied}
