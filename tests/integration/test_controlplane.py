"""The local control plane behaves as a real Kubernetes API with the SageMaker CRDs."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
import urllib3
from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException

from ack_components_sandbox.base import binaries
from ack_components_sandbox.base.binaries import MissingPrerequisite
from ack_components_sandbox.cluster.controlplane import ControlPlane, ControlPlaneError, port_in_use

GROUP, VERSION, PLURAL = "sagemaker.services.k8s.aws", "v1alpha1", "trainingjobs"


def training_job(name: str, instance_count: Any = 1, **extra_spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "TrainingJob",
        "metadata": {"name": name},
        "spec": {
            "trainingJobName": name,
            "roleARN": "arn:aws:iam::123456789012:role/sagemaker",
            "algorithmSpecification": {"trainingImage": "kmeans:1", "trainingInputMode": "File"},
            "outputDataConfig": {"s3OutputPath": "s3://bucket/out"},
            "resourceConfig": {
                "instanceCount": instance_count,
                "instanceType": "ml.m5.large",
                "volumeSizeInGB": 10,
            },
            "stoppingCondition": {"maxRuntimeInSeconds": 3600},
            **extra_spec,
        },
    }


def create(api_client: Any, namespace: str, body: dict[str, Any], strict: bool = False) -> Any:
    query = [("fieldValidation", "Strict")] if strict else []
    return api_client.call_api(
        f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/{PLURAL}",
        "POST",
        query_params=query,
        header_params={"Content-Type": "application/json", "Accept": "application/json"},
        body=body,
        response_type="object",
        auth_settings=["BearerToken"],
        _return_http_data_only=True,
    )


def test_training_job_is_created_and_read_back(api_client: Any, namespace: str) -> None:
    create(api_client, namespace, training_job("tj-roundtrip"))
    got = client.CustomObjectsApi(api_client).get_namespaced_custom_object(
        GROUP, VERSION, namespace, PLURAL, "tj-roundtrip"
    )
    assert got["spec"]["resourceConfig"] == {
        "instanceCount": 1,
        "instanceType": "ml.m5.large",
        "volumeSizeInGB": 10,
    }
    assert got["metadata"]["uid"]


def test_schema_violation_is_rejected_by_the_api_server(api_client: Any, namespace: str) -> None:
    with pytest.raises(ApiException) as caught:
        create(api_client, namespace, training_job("tj-bad-type", instance_count="two"))
    assert caught.value.status == 422
    assert "spec.resourceConfig.instanceCount" in caught.value.body
    assert "must be of type integer" in caught.value.body
    listed = client.CustomObjectsApi(api_client).list_namespaced_custom_object(
        GROUP, VERSION, namespace, PLURAL
    )
    assert listed["items"] == []


def test_unknown_field_is_rejected_with_strict_validation(api_client: Any, namespace: str) -> None:
    body = training_job("tj-unknown", hyperParamters={"k": "10"})
    with pytest.raises(ApiException) as caught:
        create(api_client, namespace, body, strict=True)
    assert caught.value.status == 400  # BadRequest: strict field validation
    message = json.loads(caught.value.body)["message"]
    assert 'unknown field "spec.hyperParamters"' in message


def test_status_patch_is_seen_by_a_watcher(api_client: Any, namespace: str) -> None:
    objects = client.CustomObjectsApi(api_client)
    created = create(api_client, namespace, training_job("tj-status"))
    seen: list[dict[str, Any]] = []

    def follow() -> None:
        stream = watch.Watch().stream(
            objects.list_namespaced_custom_object,
            GROUP,
            VERSION,
            namespace,
            PLURAL,
            resource_version=created["metadata"]["resourceVersion"],
            timeout_seconds=20,
        )
        for event in stream:
            status = event["object"].get("status") or {}
            if status.get("trainingJobStatus") == "InProgress":
                seen.append(status)
                return

    follower = threading.Thread(target=follow)
    follower.start()
    objects.patch_namespaced_custom_object_status(
        GROUP,
        VERSION,
        namespace,
        PLURAL,
        "tj-status",
        {"status": {"trainingJobStatus": "InProgress", "secondaryStatus": "Starting"}},
    )
    follower.join(timeout=25)
    assert seen and seen[0]["secondaryStatus"] == "Starting"


def test_kubectl_prints_the_printer_columns(
    control_plane: ControlPlane, api_client: Any, namespace: str
) -> None:
    create(api_client, namespace, training_job("tj-columns"))
    client.CustomObjectsApi(api_client).patch_namespaced_custom_object_status(
        GROUP,
        VERSION,
        namespace,
        PLURAL,
        "tj-columns",
        {"status": {"trainingJobStatus": "InProgress", "secondaryStatus": "Training"}},
    )
    out = subprocess.run(
        [str(binaries.kubectl().path()), "get", "trainingjobs", "-n", namespace],
        env={**os.environ, "KUBECONFIG": str(control_plane.kubeconfig)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert out[0].split() == ["NAME", "SECONDARY-STATUS", "STATUS"]
    assert out[1].split() == ["tj-columns", "Training", "InProgress"]


def test_two_control_planes_run_at_once_and_stop_leaves_nothing_behind(
    control_plane: ControlPlane,
) -> None:
    second = ControlPlane().start()
    assert second.state is not None
    state = second.state
    assert second.url != control_plane.url
    assert second.health() == {"etcd": True, "kube-apiserver": True}
    second.stop()
    for ref in (state.etcd, state.apiserver):
        assert not ref.is_running()
        assert not Path(f"/proc/{ref.pid}").exists()
    for port in (state.api_port, state.etcd_port):
        assert not port_in_use(port)
    assert not Path(state.workdir).exists()
    assert control_plane.health() == {"etcd": True, "kube-apiserver": True}


def test_missing_binaries_give_one_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(binaries.BIN_DIR_ENV, str(tmp_path))
    with pytest.raises(MissingPrerequisite, match=r"kube-apiserver not found .*make controlplane"):
        ControlPlane().start()


def test_a_port_in_use_is_named(control_plane: ControlPlane) -> None:
    assert control_plane.state is not None
    taken = control_plane.state.api_port
    with pytest.raises(ControlPlaneError, match=rf"port {taken} on 127.0.0.1 is in use"):
        ControlPlane(api_port=taken).start()


def test_a_crashing_api_server_is_reported_with_its_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "etcd").symlink_to(binaries.etcd().path())
    crashing = tmp_path / "kube-apiserver"
    crashing.write_text("#!/bin/sh\necho 'panic: simulated crash' >&2\nexit 3\n")
    crashing.chmod(0o755)
    monkeypatch.setenv(binaries.BIN_DIR_ENV, str(tmp_path))
    with pytest.raises(ControlPlaneError, match=r"(?s)kube-apiserver exited .*simulated crash"):
        ControlPlane(start_timeout=20).start()


def test_a_stopped_api_server_refuses_connections_and_starts_again_with_its_data() -> None:
    with ControlPlane() as plane:
        core = client.CoreV1Api(config.new_client_from_config(str(plane.kubeconfig)))
        core.create_namespace({"metadata": {"name": "kept"}})
        url = plane.url
        plane.stop_apiserver()
        assert plane.health() == {"etcd": True, "kube-apiserver": False}
        with pytest.raises(urllib3.exceptions.HTTPError, match="Connection refused"):
            core.read_namespace("kept", _request_timeout=5)
        plane.start_apiserver()
        assert plane.url == url
        assert plane.health() == {"etcd": True, "kube-apiserver": True}
        assert core.read_namespace("kept").metadata.name == "kept"
