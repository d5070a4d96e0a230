"""Least-privilege RBAC for the service account a pipeline step runs as.

The components send exactly these requests on their kind's custom resources,
in their own namespace: get (re-attach), create, watch (follow), patch (update a
mutable field) and delete (stop on SIGTERM). Nothing else: no Secrets, no
ConfigMaps, no pods, unlike the controller's ClusterRole the old docs bound. Each
kind's rule is in its own API group (the kind table's ``group``); with PyTorchJob among
the kinds (``--kinds ...,PyTorchJob`` or ``--pytorchjobs``) the step also reads that
job's pods and pod logs (it prints them into its own log).
``ack-components rbac`` prints (or applies) these manifests.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import yaml

from ack_components import kinds as kind_table
from ack_components.kinds import GROUP, PYTORCH_JOB, Kind

VERBS = ("get", "create", "watch", "patch", "delete")
#: What a step that prints a cluster job's pod logs does on pods and on pods/log.
POD_VERBS, POD_LOG_VERBS = ("get", "list"), ("get",)
NAME = "ack-components"
RBAC_API = "rbac.authorization.k8s.io/v1"
LEGACY_CLUSTER_ROLE = "ack-sagemaker-controller"
AGGREGATE_LABEL = "rbac.authorization.kubeflow.org/aggregate-to-kubeflow-edit"

#: Where pipeline steps run: (service account, namespace or None for "the given one").
PRESETS = {
    "kubeflow-profile": ("default-editor", None),
    "standalone": ("pipeline-runner", "kubeflow"),
}

LEGACY_WARNING = (
    f"warning: binding to the controller's ClusterRole {LEGACY_CLUSTER_ROLE!r} (the old docs' "
    "advice) also grants the pipeline's service account everything the controller may do, "
    "including reading Secrets and ConfigMaps; prefer the default least-privilege Role."
)


def grants(kinds: Iterable[Kind]) -> list[tuple[str, str, tuple[str, ...]]]:
    """(API group, resource, verbs) for everything a step of these kinds does, in the
    kinds' order: each kind in its own group (the kind table's), and, for a kind whose pods
    the step prints (``Kind.pod_label``), reading pods and their logs."""
    chosen = list(kinds)
    found: list[tuple[str, str, tuple[str, ...]]] = [(k.group, k.plural, VERBS) for k in chosen]
    if any(kind.pod_label for kind in chosen):
        found += [("", "pods", POD_VERBS), ("", "pods/log", POD_LOG_VERBS)]
    return found


def rules(kinds: Iterable[Kind], verbs: Iterable[str] = VERBS) -> list[dict[str, Any]]:
    """One rule per API group of the kinds (SageMaker's first) over their plurals, given
    ``verbs``; then the pod rules, if any (``grants``)."""
    verbs = list(verbs)
    by_group: dict[str, list[str]] = {}
    pods = []  # the core group's: what the step reads of a cluster job's pods
    for group, resource, granted in grants(sorted(kinds, key=lambda k: k.group != GROUP)):
        if group:
            by_group.setdefault(group, []).append(resource)
        else:
            pods.append({"apiGroups": [group], "resources": [resource], "verbs": list(granted)})
    found = [
        {"apiGroups": [group], "resources": sorted(set(plurals)), "verbs": verbs}
        for group, plurals in by_group.items()
    ]
    return found + pods


def role(
    name: str,
    namespace: str,
    kinds: Iterable[Kind],
    verbs: Iterable[str] = VERBS,
) -> dict[str, Any]:
    return {
        "apiVersion": RBAC_API,
        "kind": "Role",
        "metadata": {"name": name, "namespace": namespace},
        "rules": rules(kinds, verbs),
    }


def role_binding(
    name: str, namespace: str, service_account: str, role_kind: str = "Role", role_name: str = ""
) -> dict[str, Any]:
    return {
        "apiVersion": RBAC_API,
        "kind": "RoleBinding",
        "metadata": {"name": name, "namespace": namespace},
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": role_kind,
            "name": role_name or name,
        },
        "subjects": [{"kind": "ServiceAccount", "name": service_account, "namespace": namespace}],
    }


def aggregated_cluster_role(kinds: Iterable[Kind]) -> dict[str, Any]:
    """Joins Kubeflow's ``kubeflow-edit``, which every profile's default-editor holds."""
    return {
        "apiVersion": RBAC_API,
        "kind": "ClusterRole",
        "metadata": {"name": f"{NAME}-kubeflow-edit", "labels": {AGGREGATE_LABEL: "true"}},
        "rules": rules(kinds, VERBS),
    }


def manifests(
    namespace: str,
    service_account: str,
    kinds: Sequence[Kind],
    aggregate: bool = False,
    legacy: bool = False,
) -> list[dict[str, Any]]:
    if aggregate:
        return [aggregated_cluster_role(kinds)]
    if legacy:
        binding = f"{service_account}-{LEGACY_CLUSTER_ROLE}"
        return [
            role_binding(binding, namespace, service_account, "ClusterRole", LEGACY_CLUSTER_ROLE)
        ]
    return [
        role(NAME, namespace, kinds, VERBS),
        role_binding(NAME, namespace, service_account),
    ]


def apply(api: Any, documents: list[dict[str, Any]]) -> list[str]:
    """Create each object, or replace it when it exists; returns ``Kind/name`` of each."""
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    rbac_api = client.RbacAuthorizationV1Api(api)
    done = []
    for doc in documents:
        kind, name = doc["kind"], doc["metadata"]["name"]
        namespace = doc["metadata"].get("namespace")
        snake = {"Role": "role", "RoleBinding": "role_binding", "ClusterRole": "cluster_role"}[kind]
        scope = "namespaced_" if namespace else ""
        args = (namespace,) if namespace else ()
        try:
            getattr(rbac_api, f"create_{scope}{snake}")(*args, doc)
        except ApiException as error:
            if error.status != 409:
                raise
            getattr(rbac_api, f"replace_{scope}{snake}")(name, *args, doc)
        done.append(f"{kind}/{name}")
    return done


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ack-components rbac", description=__doc__)
    parser.add_argument("--preset", choices=sorted(PRESETS), help="a known pipeline layout")
    parser.add_argument("--namespace", help="the namespace pipeline steps run in")
    parser.add_argument("--service-account", help="the service account pipeline steps run as")
    parser.add_argument(
        "--kinds",
        default="",
        help="comma list of kinds (PyTorchJob among them), or `all` for every SageMaker kind "
        "(default: every SageMaker kind except the platform ones: "
        f"{', '.join(k.name for k in kind_table.KINDS.values() if not k.granted_by_default)})",
    )
    parser.add_argument(
        "--pytorchjobs", action="store_true", help="also PyTorchJob (as `--kinds ...,PyTorchJob`)"
    )
    parser.add_argument(
        "--aggregate-to-kubeflow-edit",
        action="store_true",
        help="a ClusterRole every Kubeflow profile gets through kubeflow-edit",
    )
    parser.add_argument(
        "--legacy-controller-binding",
        action="store_true",
        help=f"the old docs' binding to ClusterRole {LEGACY_CLUSTER_ROLE} (grants far more)",
    )
    parser.add_argument("--apply", action="store_true", help="apply instead of printing")
    parser.add_argument("--kubeconfig")
    args = parser.parse_args(argv)
    account, namespace = PRESETS.get(args.preset or "", (None, None))
    account = args.service_account or account
    namespace = args.namespace or namespace
    if not args.aggregate_to_kubeflow_edit and not (account and namespace):
        parser.error("--namespace and --service-account are needed (or a --preset that sets them)")
    try:
        chosen = kind_table.parse_list(args.kinds)
    except KeyError as error:
        parser.error(str(error.args[0]))
    if args.pytorchjobs and PYTORCH_JOB not in chosen:
        chosen = [*chosen, PYTORCH_JOB]
    if args.legacy_controller_binding:
        print(LEGACY_WARNING, file=sys.stderr)
    documents = manifests(
        namespace or "",
        account or "",
        chosen,
        aggregate=args.aggregate_to_kubeflow_edit,
        legacy=args.legacy_controller_binding,
    )
    if not args.apply:
        print(yaml.safe_dump_all(documents, sort_keys=False), end="")
        return 0
    from kubernetes.client.exceptions import ApiException

    from ack_components import kube

    api = kube.api_client(args.kubeconfig)
    try:
        for applied in apply(api, documents):
            print(f"applied {applied}")
    except kube.ConnectionTrouble as error:
        print(f"error: {kube.unreachable(api, error)}", file=sys.stderr)
        return 1
    except ApiException as error:
        print(
            f"error: {kube.refused(error)}",
            file=sys.stderr,
        )
        return 1
    return 0
