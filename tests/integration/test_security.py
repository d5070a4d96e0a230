"""Security checks on the real stack (issue 13, item 4), as the API server sees them.

A TrainingJob step runs to completion under the least-privilege service account that
``ack_components.rbac`` makes, through the real ACK controller: the Role the API server
holds grants nothing on Secrets or ConfigMaps (asked of its authorizer), and its audit
log shows no request of the step's user on anything but the step's own kind. With the
same Role, ``--namespace other`` fails with the missing permission named, and nothing
is created there. (That no input can give the resource another namespace or region is
tests/unit/test_hostile_input.py, over generated inputs; the fuzz checks it through the
CLI for every kind.)
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import Harness

from ack_components import kinds, rbac
from ack_components.kinds import GROUP, VERSION
from ack_components_sandbox.testing.stack import Stack

ACCOUNT = "pipeline-runner"
FORBIDDEN = ("secrets", "configmaps")


@pytest.fixture(scope="module")
def audited() -> Iterator[Stack]:
    """A stack of its own whose API server records every request (Metadata level)."""
    with Stack(audit=True) as stack:
        yield stack


def fresh_namespace(api: Any, prefix: str) -> str:
    from kubernetes import client

    name = f"{prefix}-{uuid.uuid4().hex[:10]}"
    client.CoreV1Api(api).create_namespace({"metadata": {"name": name}})
    return name


def least_privilege(harness: Harness) -> Path:
    """The step's service account, bound by the Role `ack-components rbac` prints."""
    documents = rbac.manifests(harness.namespace, ACCOUNT, kinds.parse_list(""))
    return harness.service_account(ACCOUNT, documents)


def may(api: Any, home: str, verb: str, resource: str, group: str = "", where: str = "") -> bool:
    """The API server's authorizer: may the step's service account (of namespace ``home``)
    do ``verb`` on ``resource`` in namespace ``where`` (default: its own)?"""
    from kubernetes import client

    attributes = {"namespace": where or home, "verb": verb, "resource": resource, "group": group}
    review = client.AuthorizationV1Api(api).create_subject_access_review(
        {
            "spec": {
                "user": f"system:serviceaccount:{home}:{ACCOUNT}",
                "groups": ["system:serviceaccounts", f"system:serviceaccounts:{home}"],
                "resourceAttributes": attributes,
            }
        }
    )
    return bool(review.status.allowed)


def test_a_step_needs_and_uses_no_secret_or_configmap(audited: Stack, tmp_path: Path) -> None:
    from kubernetes import client, config

    api = config.new_client_from_config(config_file=str(audited.kubeconfig))
    harness = Harness(audited.plane, api, fresh_namespace(api, "sec"), tmp_path)
    kubeconfig = least_privilege(harness)

    code, log = harness.run(kubeconfig, training_job_name="least-privilege-job")
    assert code == 0, log
    assert "done: Completed" in log
    assert harness.items()[0]["status"]["trainingJobStatus"] == "Completed"

    # What the API server holds: the Role names the SageMaker kinds only, no wildcard.
    role = client.RbacAuthorizationV1Api(api).read_namespaced_role(rbac.NAME, harness.namespace)
    granted = {(group, res) for rule in role.rules for group in rule.api_groups
               for res in rule.resources}  # fmt: skip
    assert granted and {group for group, _ in granted} == {GROUP}
    assert "*" not in {res for _, res in granted} | {v for r in role.rules for v in r.verbs}
    # ... and its authorizer agrees: no verb on Secrets or ConfigMaps, but the step's own.
    for resource in FORBIDDEN:
        for verb in ("get", "list", "watch", "create"):
            assert not may(api, harness.namespace, verb, resource), (verb, resource)
    assert may(api, harness.namespace, "create", "trainingjobs", GROUP)

    # Every request the step sent, from the audit log: none on Secrets or ConfigMaps.
    user = f"system:serviceaccount:{harness.namespace}:{ACCOUNT}"
    sent = [e for e in audited.plane.audit_events() if e["user"]["username"] == user]
    touched = {(e["verb"], e.get("objectRef", {}).get("resource")) for e in sent}
    assert ("create", "trainingjobs") in touched, touched
    assert not {resource for _, resource in touched} & set(FORBIDDEN), touched
    # Nothing else either: its own kind, and the CRD it may not read (then the bundled schema).
    assert {resource for _, resource in touched} <= {"trainingjobs", "customresourcedefinitions"}


def test_a_step_cannot_act_outside_its_namespace(real: Harness) -> None:
    from kubernetes import client

    other = fresh_namespace(real.api, "other")
    kubeconfig = least_privilege(real)

    code, log = real.run(kubeconfig, namespace=other, training_job_name="elsewhere")
    assert code == 1, log
    assert "Traceback" not in log
    assert (
        f"missing permission: get trainingjobs.{GROUP} in namespace {other!r} "
        "(see `ack-components rbac`)" in log
    ), log
    objects = client.CustomObjectsApi(real.api)
    for kind in kinds.KINDS.values():
        listed = objects.list_namespaced_custom_object(GROUP, VERSION, other, kind.plural)
        assert listed["items"] == [], kind.name
    for verb in rbac.VERBS:
        assert not may(real.api, real.namespace, verb, "trainingjobs", GROUP, where=other)
    # The same Role does let it act in its own namespace: the refusal is the namespace's.
    assert may(real.api, real.namespace, "create", "trainingjobs", GROUP)
