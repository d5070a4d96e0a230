"""Least-privilege RBAC for the service account a pipeline step runs as.

The components send exactly these requests on their kind's custom resources,
in their own namespace: get (re-attach), create, watch (follow), patch (update a
mutable field) and delete (stop on SIGTERM). Nothing else: no Secrets, no
ConfigMaps, no pods, unlike the controller's ClusterRole the old docs bound.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ack_components.kinds import GROUP, Kind

VERBS = ("get", "create", "watch", "patch", "delete")


def rules(kinds: Iterable[Kind], verbs: Iterable[str] = VERBS) -> list[dict[str, Any]]:
    return [
        {
            "apiGroups": [GROUP],
            "resources": sorted(kind.plural for kind in kinds),
            "verbs": list(verbs),
        }
    ]


def role(
    name: str, namespace: str, kinds: Iterable[Kind], verbs: Iterable[str] = VERBS
) -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": name, "namespace": namespace},
        "rules": rules(kinds, verbs),
    }


def role_binding(name: str, namespace: str, service_account: str) -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": name, "namespace": namespace},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
        "subjects": [{"kind": "ServiceAccount", "name": service_account, "namespace": namespace}],
    }
