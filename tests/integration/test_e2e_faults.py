"""The fault matrix (issue 13): each fault end to end, through the real ACK controller.

The module runs a stack of its own (API server with an audit log, emulator, controller), so
restarting or stopping its parts never disturbs the session's ``ack_stack``. Each test checks
that the step ends as it must (exit code and a line saying why), that SageMaker received
exactly one Create for the job, and that nothing is left running: the job Completed, or the
resource gone and the job Stopped. The controller re-reads an in-progress job every 30 s.
"""

from __future__ import annotations

import json
import ssl
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import Harness
from kubernetes import client, config

from ack_components import apply, kinds, rbac
from ack_components.kinds import GROUP, VERSION
from ack_components_sandbox.cluster import crds
from ack_components_sandbox.cluster.controlplane import ControlPlane
from ack_components_sandbox.testing import samples
from ack_components_sandbox.testing.stack import Stack

pytestmark = pytest.mark.timeout(900)

#: A whole job through the controller: Create, two 30-s re-reads, and room for a fault.
JOB_WAIT = 240
OUTAGE_SECONDS = 60
CONTROLLER_LATE_SECONDS = 30
FAULT_SECONDS = 20
PLURAL = kinds.TRAINING_JOB.plural
MODEL_DATA = "s3://bucket/mnist_kmeans_example/output/model.tar.gz"


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    plane = ControlPlane(audit=True).start()
    try:
        crds.install(_client(plane), crds.load(crds.all_crd_files()))
        with Stack(plane) as own:
            yield own
    finally:
        plane.stop()


@pytest.fixture()
def step(stack: Stack, tmp_path: Path) -> Harness:
    """A harness in a fresh namespace of this module's stack."""
    api = _client(stack.plane)
    name = f"fault-{uuid.uuid4().hex[:10]}"
    client.CoreV1Api(api).create_namespace({"metadata": {"name": name}})
    return Harness(stack.plane, api, name, tmp_path)


def _client(plane: ControlPlane) -> Any:
    return config.new_client_from_config(config_file=str(plane.kubeconfig))


def reconnect(step: Harness) -> None:
    """A fresh admin client after the API server restarted (the old one's connections died)."""
    step.api = _client(step.plane)


def in_progress(resource: dict[str, Any]) -> bool:
    return (resource.get("status") or {}).get("trainingJobStatus") == "InProgress"


def completed(resource: dict[str, Any]) -> bool:
    return (resource.get("status") or {}).get("trainingJobStatus") == "Completed"


def served(stack: Stack, operation: str, name: str) -> list[dict[str, Any]]:
    """The calls of ``operation`` on ``name`` the emulator acted on (not refused by a fault)."""
    return [call for call in stack.calls(operation, name) if "fault" not in call]


def finished_once(step: Harness, stack: Stack, name: str, code: int, log: str) -> None:
    """The step exited 0 on a Completed job that SageMaker created exactly once."""
    assert code == 0, log + stack.controller_log()[-3000:]
    assert "done: Completed" in log
    assert [completed(cr) for cr in step.items()] == [True]
    assert len(served(stack, "CreateTrainingJob", name)) == 1


def test_an_api_server_restart_mid_watch_does_not_end_the_step(step: Harness, stack: Stack) -> None:
    run = step.start(training_job_name="api-restart")
    step.wait_until(in_progress)
    stack.plane.restart_apiserver()
    reconnect(step)
    code, log = run.wait(JOB_WAIT)
    finished_once(step, stack, "api-restart", code, log)


def test_an_api_server_away_for_a_minute_is_waited_for(step: Harness, stack: Stack) -> None:
    run = step.start(training_job_name="api-outage")
    step.wait_until(in_progress)
    stack.plane.stop_apiserver()
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            run.wait(OUTAGE_SECONDS)  # the step keeps retrying through the outage
    finally:
        stack.plane.start_apiserver()
    reconnect(step)
    code, log = run.wait(JOB_WAIT)
    finished_once(step, stack, "api-outage", code, log)


def test_a_controller_started_late_is_waited_for(step: Harness, stack: Stack) -> None:
    stack.stop_controller()
    try:
        run = step.start(training_job_name="late-controller", status_timeout_seconds="300")
        step.wait_for_resource()
        with pytest.raises(subprocess.TimeoutExpired):
            run.wait(CONTROLLER_LATE_SECONDS)
        assert [cr.get("status") for cr in step.items()] == [None]  # nobody reconciled it
    finally:
        stack.start_controller()
    code, log = run.wait(JOB_WAIT)
    finished_once(step, stack, "late-controller", code, log)


@pytest.mark.parametrize(
    ("operation", "code", "status"),
    [
        ("CreateTrainingJob", "ThrottlingException", 400),
        ("DescribeTrainingJob", "InternalFailure", 500),
    ],
)
def test_sagemaker_errors_for_a_while_are_shown_and_outlasted(
    step: Harness, stack: Stack, operation: str, code: str, status: int
) -> None:
    name = f"sm-{code.lower()[:8]}"
    stack.inject_fault(operation, code, status, seconds=FAULT_SECONDS)
    try:
        run = step.start(training_job_name=name)
        exit_code, log = run.wait(JOB_WAIT + FAULT_SECONDS)
    finally:
        stack.clear_faults()
    recoverable = [line for line in log.splitlines() if "ACK.Recoverable=True" in line]
    assert recoverable and code in recoverable[0], log
    assert any(call.get("fault") == code for call in stack.calls(operation, name))
    finished_once(step, stack, name, exit_code, log)


def test_a_resource_deleted_by_someone_else_fails_the_step_saying_so(
    step: Harness, stack: Stack
) -> None:
    run = step.start(training_job_name="deleted-under")
    step.wait_until(in_progress)
    step.objects.delete_namespaced_custom_object(
        GROUP, VERSION, step.namespace, PLURAL, "deleted-under"
    )
    code, log = run.wait(JOB_WAIT)
    assert code == 1, log
    assert "error: the custom resource was deleted while the step waited for it" in log
    gone(step)  # the controller stops the job, then lets the resource go
    assert len(served(stack, "CreateTrainingJob", "deleted-under")) == 1
    assert len(served(stack, "StopTrainingJob", "deleted-under")) == 1


def gone(step: Harness, timeout: float = JOB_WAIT) -> None:
    deadline = time.monotonic() + timeout
    while step.items():
        assert time.monotonic() < deadline, f"still there: {step.items()}"
        time.sleep(0.5)


def test_a_watch_told_410_gone_reads_the_resource_again(step: Harness, stack: Stack) -> None:
    """Provoked for real: after a restart the API server's watch cache starts at the newest
    resourceVersion, so the step's watch, resumed from an older one, is answered 410 Gone."""
    run = step.start(training_job_name="gone")
    seen = step.wait_until(in_progress)
    # A write elsewhere moves the store's resourceVersion past anything the step has seen.
    client.CoreV1Api(step.api).create_namespaced_config_map(
        step.namespace, {"metadata": {"name": "newer"}}
    )
    before = len(stack.plane.audit_events())
    stack.plane.restart_apiserver()
    reconnect(step)
    assert first_event(stack.plane, step.namespace, seen)["object"]["code"] == 410
    code, log = run.wait(JOB_WAIT)
    finished_once(step, stack, "gone", code, log)
    rereads = [
        event
        for event in stack.plane.audit_events()[before:]
        if event["verb"] == "get"
        and event["userAgent"].startswith("OpenAPI-Generator")  # the step's client
        and event.get("objectRef", {}).get("name") == "gone"
    ]
    assert rereads, "the step did not read the resource again after 410 Gone"


def first_event(plane: ControlPlane, namespace: str, resource: dict[str, Any]) -> Any:
    """The first event of a watch on ``resource`` from its (old) resourceVersion, once the
    restarted API server's watch cache for the kind is ready (429 until then)."""
    assert plane.state is not None
    version = resource["metadata"]["resourceVersion"]
    url = (
        f"{plane.url}/apis/{GROUP}/{VERSION}/namespaces/{namespace}/{PLURAL}?watch=true"
        f"&resourceVersion={version}&fieldSelector=metadata.name%3D{resource['metadata']['name']}"
    )
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {plane.state.token}"})
    context = ssl.create_default_context(
        cafile=str(Path(plane.state.workdir) / "certs/apiserver.crt")
    )
    context.check_hostname = False
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(request, timeout=10, context=context) as reply:
                return json.loads(reply.readline())
        except urllib.error.HTTPError as error:
            if error.code != 429 or time.monotonic() > deadline:
                raise
            time.sleep(float(error.headers.get("Retry-After") or 1))


def test_a_role_removed_mid_run_fails_the_step_naming_the_permission(
    step: Harness, stack: Stack
) -> None:
    """The step runs as a least-privilege service account. An open watch was authorised when
    it opened, so the step learns of the removal at its next request: here the watch resumed
    after an API server restart. The step cannot delete the resource, so it stays: the
    controller completes the job, and a re-run once the Role is back re-attaches to it."""
    documents = rbac.manifests(step.namespace, "pipeline-runner", [kinds.TRAINING_JOB])
    kubeconfig = step.service_account("pipeline-runner", documents)
    run = step.start(kubeconfig, training_job_name="unbound")
    try:
        step.wait_until(in_progress)
    except AssertionError as error:  # what SageMaker was asked, and what the controller did
        calls = stack.calls(name="unbound")
        raise AssertionError(f"{error}\ncalls: {calls}\n{stack.controller_log()[-4000:]}") from None
    role = documents[0]["metadata"]["name"]
    client.RbacAuthorizationV1Api(step.api).delete_namespaced_role(role, step.namespace)
    stack.plane.restart_apiserver()
    reconnect(step)
    code, log = run.wait(JOB_WAIT)
    assert code == 1, log
    assert (
        f"error: missing permission: watch {PLURAL}.{GROUP} in namespace {step.namespace!r}" in log
    )
    step.wait_until(completed, timeout=JOB_WAIT)  # left to the controller, not running forever
    rbac.apply(step.api, documents[:1])
    code, log = step.start(kubeconfig, training_job_name="unbound").wait(JOB_WAIT)
    assert "re-attached to existing TrainingJob" in log
    finished_once(step, stack, "unbound", code, log)


def test_a_retried_update_waits_for_the_controller_as_the_first_try_did(
    step: Harness, stack: Stack
) -> None:
    """An Endpoint step patched its spec and was killed before the controller's first
    reconcile of the change. Its retry finds nothing left to patch, yet waits until the
    controller has acted (UpdateEndpoint) instead of ending at once on the old InService."""
    waits = {"status_timeout_seconds": "300"}
    model = samples.as_inputs(samples.kmeans_model_spec(MODEL_DATA), model_name="retry-model")
    assert step.start(kind="Model", **model).wait(JOB_WAIT)[0] == 0
    for config_name in ("retry-config-a", "retry-config-b"):
        inputs = samples.as_inputs(
            samples.endpoint_config_spec("retry-model"), endpoint_config_name=config_name
        )
        code, log = step.start(kind="EndpointConfig", **inputs).wait(JOB_WAIT)
        assert code == 0, log
    endpoint = {"endpoint_name": "retry-endpoint", **waits}
    first = step.start(kind="Endpoint", endpoint_config_name="retry-config-a", **endpoint)
    code, log = first.wait(JOB_WAIT)
    assert code == 0, log

    stack.stop_controller()
    try:
        update = {"endpoint_config_name": "retry-config-b", **endpoint}
        killed = step.start(kind="Endpoint", **update)
        step.wait_until(
            lambda cr: cr["spec"]["endpointConfigName"] == "retry-config-b", kind="Endpoint"
        )
        killed.process.kill()  # between the patch and the controller's first reconcile
        killed.process.wait()
        retry = step.start(kind="Endpoint", **update)
        with pytest.raises(subprocess.TimeoutExpired):
            retry.wait(CONTROLLER_LATE_SECONDS)  # no controller: the update is still pending
    finally:
        stack.start_controller()
    code, log = retry.wait(JOB_WAIT)
    assert code == 0, log + stack.controller_log()[-3000:]
    assert "re-attached to existing Endpoint" in log
    assert "waiting for the controller to act on the update" in log
    assert retry.output("endpoint_status") == "InService"
    assert len(served(stack, "UpdateEndpoint", "retry-endpoint")) == 1
    [resource] = step.items("Endpoint")
    assert resource["spec"]["endpointConfigName"] == "retry-config-b"
    assert apply.STATUS_BEFORE_UPDATE not in (resource["metadata"].get("annotations") or {})
