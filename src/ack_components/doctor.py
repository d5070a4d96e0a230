"""`ack-components doctor`: is this cluster and namespace ready for the components?

The upstream components met a misconfigured cluster (no CRDs, a controller that
does not watch the namespace, missing RBAC) with a 180-second wait and a vague
error. Each check here reads what it can with the caller's own credentials and
says how to fix what fails; a check that cannot be read (no permission) is
reported as unknown, not as failed. Exit code 1 when any check fails.
"""

from __future__ import annotations

import argparse
import json
import re
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ack_components import kinds as kind_table
from ack_components import kube, rbac
from ack_components.kinds import GROUP, VERSION, Kind

OK, FAIL, UNKNOWN = "ok", "FAIL", "unknown"
CONTROLLER_MARKERS = ("sagemaker-controller", "sagemaker-chart")
REGION_ANNOTATION = "services.k8s.aws/default-region"
#: The table fits a terminal of this many columns.
TABLE_WIDTH = 100


@dataclass(frozen=True)
class Check:
    name: str
    result: str
    detail: str
    fix: str = ""


def check_api(api: Any) -> Check:
    from kubernetes import client

    try:
        version = client.VersionApi(api).get_code()
    except Exception as error:  # any failure here means "unreachable"; say what it was
        detail = (
            kube.unreachable(api, error).split("; ")[0]
            if isinstance(error, kube.ConnectionTrouble)
            else f"{type(error).__name__}: {error}"[:200]
        )
        return Check(
            "API server reachable",
            FAIL,
            detail,
            "check KUBECONFIG or the in-cluster service account",
        )
    return Check("API server reachable", OK, f"Kubernetes {version.git_version}")


def check_crds(api: Any, chosen: Sequence[Kind]) -> list[Check]:
    """One check per API group of the chosen kinds (SageMaker's always): is it served, with
    every chosen kind of it?"""
    groups = {(GROUP, VERSION): "SageMaker"}
    for kind in chosen:
        groups.setdefault((kind.group, kind.version), kind.group)
    return [
        _check_group(api, group, version, label, [k for k in chosen if k.group == group])
        for (group, version), label in groups.items()
    ]


def _check_group(api: Any, group: str, version: str, label: str, chosen: Sequence[Kind]) -> Check:
    from kubernetes.client.exceptions import ApiException

    name = f"{label} CRDs installed"
    installer = (
        "the ACK SageMaker controller's CRDs (its Helm chart installs them)"
        if group == GROUP
        else f"{chosen[0].controller}, whose manifests install its CRDs"
    )
    try:
        found = kube.get_json(api, f"/apis/{group}/{version}")
    except ApiException as error:
        if error.status == 404:
            return Check(name, FAIL, f"the API group {group} is not served", f"install {installer}")
        raise
    served = sorted(r["kind"] for r in found.get("resources", []) if "/" not in r["name"])
    missing = sorted({k.name for k in chosen} - set(served))
    if missing:
        return Check(name, FAIL, f"missing kinds: {', '.join(missing)}", f"upgrade {installer}")
    return Check(name, OK, f"{len(served)} kinds: {', '.join(served)}")


def _controller_deployments(api: Any) -> list[Any] | None:
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    try:
        listed = client.AppsV1Api(api).list_deployment_for_all_namespaces()
    except ApiException as error:
        if error.status == 403:
            return None
        raise
    return [d for d in listed.items if any(m in d.metadata.name for m in CONTROLLER_MARKERS)]


def check_controller(api: Any, namespace: str) -> list[Check]:
    deployments = _controller_deployments(api)
    if deployments is None:
        return [
            Check(
                "ACK controller running",
                UNKNOWN,
                "cannot list deployments with these credentials",
                "ask a cluster admin to run `ack-components doctor`",
            )
        ]
    if not deployments:
        return [
            Check(
                "ACK controller running",
                FAIL,
                "no ACK SageMaker controller deployment found",
                "install the ACK SageMaker controller (Helm chart sagemaker-chart)",
            )
        ]
    ready = [d for d in deployments if (d.status.ready_replicas or 0) > 0]
    names = ", ".join(f"{d.metadata.namespace}/{d.metadata.name}" for d in deployments)
    running = Check(
        "ACK controller running",
        OK if ready else FAIL,
        f"{names}: {len(ready)} ready",
        "" if ready else "see the controller pod's events and logs",
    )
    watched = _watched_namespaces(deployments[0])
    if watched and namespace not in watched:
        return [
            running,
            Check(
                "controller watches namespace",
                FAIL,
                f"it watches only {', '.join(watched)}",
                f"add {namespace} to the controller's --watch-namespace",
            ),
        ]
    return [
        running,
        Check(
            "controller watches namespace", OK, ", ".join(watched) if watched else "all namespaces"
        ),
    ]


def _watched_namespaces(deployment: Any) -> list[str]:
    """The namespaces the controller's ``--watch-namespace`` names (none: all of them), with
    ``$(VAR)`` expanded from the container's env as the kubelet does: ACK's own manifests and
    chart pass ``--watch-namespace $(ACK_WATCH_NAMESPACE)``."""
    for container in deployment.spec.template.spec.containers:
        values = {e.name: e.value or "" for e in container.env or [] if e.value_from is None}
        args = [
            _expand(arg, values) for arg in [*(container.command or []), *(container.args or [])]
        ]
        for i, arg in enumerate(args):
            if arg.startswith("--watch-namespace="):
                return [n for n in arg.split("=", 1)[1].split(",") if n]
            if arg == "--watch-namespace" and i + 1 < len(args):
                return [n for n in args[i + 1].split(",") if n]
    return []


def _expand(arg: str, values: dict[str, str]) -> str:
    """Kubernetes' ``$(VAR)`` expansion in a container argument (an unknown name stays)."""
    return re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: values.get(m[1], m[0]), arg)


def check_permissions(api: Any, namespace: str, chosen: Sequence[Kind]) -> Check:
    from kubernetes import client

    authz = client.AuthorizationV1Api(api)
    missing: dict[str, list[str]] = {}  # resource → verbs it lacks
    for group, resource, verbs in rbac.grants(chosen):  # what `rbac` grants, verb by verb
        for verb in verbs:
            review = authz.create_self_subject_access_review(
                {
                    "spec": {
                        "resourceAttributes": {
                            "namespace": namespace,
                            "verb": verb,
                            "group": group,
                            "resource": resource,
                        }
                    }
                }
            )
            if not review.status.allowed:
                missing.setdefault(resource, []).append(verb)
    if missing:
        by_verbs: dict[tuple[str, ...], list[str]] = {}
        for plural, lacking in missing.items():
            by_verbs.setdefault(tuple(lacking), []).append(plural)
        return Check(
            "permissions",
            FAIL,
            "missing: "
            + "; ".join(f"{', '.join(v)} on {', '.join(p)}" for v, p in by_verbs.items()),
            f"ack-components rbac --namespace {namespace} --service-account <account> "
            + ("" if chosen == kind_table.granted_by_default() else f"--kinds {_names(chosen)} ")
            + "--apply",
        )
    return Check(
        "permissions",
        OK,
        f"{', '.join(rbac.VERBS)} on "
        + (
            f"the {len(chosen)} kinds granted by default"
            if chosen == kind_table.granted_by_default()
            else ", ".join(k.plural for k in chosen)
        ),
    )


def check_region(api: Any, namespace: str) -> Check:
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    try:
        annotations = client.CoreV1Api(api).read_namespace(namespace).metadata.annotations or {}
    except ApiException as error:
        if error.status in (403, 404):
            return Check(
                "default region", UNKNOWN, f"cannot read namespace {namespace} ({error.status})"
            )
        raise
    region = annotations.get(REGION_ANNOTATION)
    if region:
        return Check("default region", OK, region)
    return Check(
        "default region",
        UNKNOWN,
        f"no {REGION_ANNOTATION} annotation; each step's region input (or the controller's --aws-region) applies",
    )


def _names(chosen: Sequence[Kind]) -> str:
    return ",".join(k.name for k in chosen)


def run_checks(api: Any, namespace: str, chosen: Sequence[Kind] | None = None) -> list[Check]:
    """Every check, for ``chosen`` kinds (default: those ``rbac`` grants by default)."""
    kinds = list(chosen or kind_table.granted_by_default())
    reachable = check_api(api)
    if reachable.result == FAIL:
        return [reachable]
    checks: list[Callable[[], Check | list[Check]]] = [
        lambda: check_crds(api, kinds),
        lambda: check_controller(api, namespace),
        lambda: check_permissions(api, namespace, kinds),
        lambda: check_region(api, namespace),
    ]
    found = [reachable]
    for check in checks:
        result = check()
        found.extend(result if isinstance(result, list) else [result])
    return found


def table(checks: Sequence[Check], width: int = TABLE_WIDTH) -> str:
    """Check, result and detail in columns, the detail wrapped to ``width`` and the fix on
    the lines below it (``fix: ...``): one row per check whatever a detail holds (the CRD
    check lists every kind served)."""
    rows = [("CHECK", "RESULT", "DETAIL"), *((c.name, c.result, c.detail) for c in checks)]
    first = max(len(row[0]) for row in rows) + 2
    indent = first + max(len(row[1]) for row in rows) + 2
    lines = []
    for row, check in zip(rows, (None, *checks), strict=True):
        text = row[2] + (f"\nfix: {check.fix}" if check and check.fix else "")
        wrapped = [
            line
            for paragraph in text.splitlines()
            for line in textwrap.wrap(
                paragraph, max(width - indent, 20), break_long_words=False, break_on_hyphens=False
            )
        ] or [""]
        lines.append((row[0].ljust(first) + row[1]).ljust(indent) + wrapped[0])
        lines += [" " * indent + line for line in wrapped[1:]]
    return "\n".join(line.rstrip() for line in lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ack-components doctor", description=__doc__)
    parser.add_argument("--namespace", default="")
    parser.add_argument("--kubeconfig")
    parser.add_argument("--json", action="store_true", help="print the checks as JSON")
    parser.add_argument(
        "--kinds",
        default="",
        help="comma list of the kinds your pipelines run, or `all`, as given to `rbac --kinds` "
        "(default: the kinds `rbac` grants by default)",
    )
    args = parser.parse_args(argv)
    try:
        chosen = kind_table.parse_list(args.kinds)
    except KeyError as error:
        parser.error(str(error.args[0]))
    namespace = kube.current_namespace(args.namespace, args.kubeconfig)
    checks = run_checks(kube.api_client(args.kubeconfig), namespace, chosen)
    print(json.dumps([asdict(c) for c in checks], indent=2) if args.json else table(checks))
    return 1 if any(c.result == FAIL for c in checks) else 0
