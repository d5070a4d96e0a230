"""The PyTorchJob kind: its progress from conditions, its replicas' model location, its
pod logs followed without repeats (pure parts; the sandbox tests run it for real)."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from ack_components import (
    interface,
    job_logs,
    kinds,
    pod_logs,
    replicas,
    run,
    schema,
    status,
    ui_summary,
)
from ack_components.status import Done, Failed, Policy, Tracker, Waiting

KIND = kinds.PYTORCH_JOB
REPLICAS = {
    "Master": {
        "replicas": 1,
        "template": {"spec": {"containers": [{"name": "pytorch", "image": "train:1"}]}},
    },
    "Worker": {
        "replicas": 1,
        "template": {
            "spec": {
                "containers": [
                    {"name": "pytorch", "image": "train:1", "env": [{"name": "A", "value": "1"}]}
                ]
            }
        },
    },
}


def job(*conditions: tuple[str, str, str, str]) -> dict[str, Any]:
    return {
        "metadata": {"name": "mnist", "namespace": "ml"},
        "status": {
            "conditions": [
                {"type": t, "status": s, "lastTransitionTime": at, "message": m}
                for t, s, at, m in conditions
            ]
        },
    }


CREATED = ("Created", "True", "2026-11-30T01:00:00Z", "created")
RUNNING = ("Running", "True", "2026-11-30T01:00:05Z", "running")


def assess(resource: dict[str, Any]) -> status.Verdict:
    return status.assess(KIND, resource, Tracker(started=0.0), 1.0, Policy())[1]


def test_the_newest_true_condition_is_the_progress() -> None:
    assert assess(job(CREATED)) == Waiting("Created", None, None)
    assert assess(job(CREATED, RUNNING)) == Waiting("Running", None, None)
    ended = ("Running", "False", "2026-11-30T01:01:00Z", "")
    done = ("Succeeded", "True", "2026-11-30T01:01:00Z", "PyTorchJob mnist succeeded.")
    assert assess(job(CREATED, ended, done)) == Done("Succeeded")


def test_a_failed_job_fails_with_its_condition_message() -> None:
    failed = (
        "Failed",
        "True",
        "2026-11-30T01:01:00Z",
        "PyTorchJob mnist is failed because 1 Master replica(s) failed.",
    )
    verdict = assess(job(CREATED, RUNNING, failed))
    assert isinstance(verdict, Failed)
    assert verdict.reason == (
        "PyTorchJob Failed: PyTorchJob mnist is failed because 1 Master replica(s) failed."
    )


def test_no_status_names_the_training_operator() -> None:
    resource = {"metadata": {"name": "mnist", "namespace": "ml"}}
    verdict = status.assess(KIND, resource, Tracker(started=0.0), 500.0, Policy())[1]
    assert isinstance(verdict, Failed)
    assert "Kubeflow's training operator is not reconciling namespace 'ml'" in verdict.reason


def test_every_replica_container_gets_the_model_location() -> None:
    given = replicas.with_env(REPLICAS, "MODEL_ARTIFACT_URL", "s3://b/m.tar.gz")
    for replica in given.values():
        env = replica["template"]["spec"]["containers"][0]["env"]
        assert env[-1] == {"name": "MODEL_ARTIFACT_URL", "value": "s3://b/m.tar.gz"}
    assert given["Worker"]["template"]["spec"]["containers"][0]["env"][0]["name"] == "A"
    assert "env" not in REPLICAS["Master"]["template"]["spec"]["containers"][0]  # a copy
    again = replicas.with_env(given, "MODEL_ARTIFACT_URL", "s3://b/other.tar.gz")
    names = [e["name"] for e in again["Master"]["template"]["spec"]["containers"][0]["env"]]
    assert names == ["MODEL_ARTIFACT_URL"]


def test_prepare_renders_a_pytorchjob_without_a_region() -> None:
    prepared = run.prepare(
        KIND,
        {
            "pytorch_replica_specs": json.dumps(REPLICAS),
            "model_artifact_url": "s3://b/m.tar.gz",
            "run_id": "run-1",
        },
        "ml",
    )
    resource = prepared.resource
    assert resource["apiVersion"] == "kubeflow.org/v1"
    assert resource["metadata"]["name"].startswith("pytorch-")
    assert "services.k8s.aws/region" not in resource["metadata"]["annotations"]
    container = resource["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][
        0
    ]
    assert {"name": "MODEL_ARTIFACT_URL", "value": "s3://b/m.tar.gz"} in container["env"]
    assert prepared.model_artifact_url == "s3://b/m.tar.gz"
    names = {i.name for i in interface.inputs(KIND, schema.bundled(KIND.name))}
    assert "region" not in names and "recoverable_grace_seconds" not in names


def test_an_unknown_replica_field_names_the_input_and_path() -> None:
    bad = {"Master": {"replicas": 1, "tempalte": {}}}
    with pytest.raises(schema.SpecInvalid) as raised:
        run.prepare(KIND, {"pytorch_replica_specs": json.dumps(bad)}, "ml")
    assert "pytorch_replica_specs" in str(raised.value) and "tempalte" in str(raised.value)


def test_timestamps_order_as_times_whatever_their_fraction() -> None:
    earlier, later = "2026-11-30T01:02:03.1Z", "2026-11-30T01:02:03.12Z"
    assert pod_logs.timestamp(earlier) < pod_logs.timestamp(later)  # as text: the other way
    assert pod_logs.timestamp("2026-11-30T01:02:03.2Z") > pod_logs.timestamp(
        "2026-11-30T01:02:03.123456789Z"
    )
    assert pod_logs.timestamp("2026-11-30T01:02:04Z") > pod_logs.timestamp(later)


class FakeCore:
    """Two pods; each log call answers what the pod has written so far."""

    def __init__(self) -> None:
        self.logs = {"mnist-master-0": [], "mnist-worker-0": []}
        self.waiting = {"mnist-worker-0"}
        self.denied = False

    def list_namespaced_pod(self, namespace: str, label_selector: str) -> Any:
        assert label_selector == "training.kubeflow.org/job-name=mnist"
        if self.denied:
            raise ApiException(status=403, reason="Forbidden")
        return SimpleNamespace(
            items=[
                SimpleNamespace(
                    metadata=SimpleNamespace(name=name),
                    spec=SimpleNamespace(containers=[SimpleNamespace(name="pytorch")]),
                )
                for name in self.logs
            ]
        )

    def read_namespaced_pod_log(self, name: str, namespace: str, **request: Any) -> str:
        assert request["container"] == "pytorch" and request["timestamps"] is True
        if name in self.waiting:
            raise ApiException(status=400, reason="Bad Request")
        return "".join(f"{line}\n" for line in self.logs[name])


def test_pod_logs_come_once_each_in_time_order_prefixed_by_pod() -> None:
    core = FakeCore()
    logs = pod_logs.PodLogs(core, "ml", "training.kubeflow.org/job-name=mnist")
    core.logs["mnist-master-0"] += ["2026-11-30T01:00:01.5Z epoch 1 loss 0.9"]
    assert logs.poll(100.0) == ["[mnist-master-0] epoch 1 loss 0.9"]
    core.waiting.clear()
    core.logs["mnist-worker-0"] += ["2026-11-30T01:00:01.2Z epoch 1 loss 0.8"]
    core.logs["mnist-master-0"] += ["2026-11-30T01:00:02Z epoch 2 loss 0.5"]
    assert logs.poll(105.0) == [
        "[mnist-worker-0] epoch 1 loss 0.8",
        "[mnist-master-0] epoch 2 loss 0.5",
    ]
    assert logs.poll(110.0) == []


def test_no_permission_is_said_once_and_the_step_goes_on() -> None:
    core = FakeCore()
    core.denied = True
    source = pod_logs.Source(
        pod_logs.PodLogs(core, "ml", "training.kubeflow.org/job-name=mnist"), lambda: 0.0
    )
    said: list[str] = []
    follower = job_logs.Follower(source, said.append, lambda: 0.0, what="pod logs")
    follower.poll(force=True)
    follower.poll(force=True)
    assert said == [
        "pod logs: unavailable: no permission to list pods in namespace 'ml' "
        "(`ack-components rbac --pytorchjobs` grants it); the step carries on without them"
    ]


def test_the_summary_card_shows_the_jobs_progress_and_no_aws_links() -> None:
    done = ("Succeeded", "True", "2026-11-30T01:01:00Z", "PyTorchJob mnist succeeded.")
    card = ui_summary.markdown(KIND, job(CREATED, done), "", "mnist", "Succeeded")
    assert "| Status | Succeeded |" in card
    assert "console.aws.amazon.com" not in card and "ARN" not in card
