"""The sandbox's changes to KFP's manifests, its ingress's headers and the UI's settings."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

from ack_components_sandbox.cluster import images
from ack_components_sandbox.kubeflow import ingress, kfp_backend, kfp_ui


def deployment(name: str, container: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "kubeflow"},
        "spec": {"template": {"spec": {"containers": [container]}}},
    }


WGET = {
    "exec": {
        "command": ["wget", "-q", "-S", "-O", "-", "http://localhost:8888/apis/v1beta1/healthz"]
    },
    "periodSeconds": 5,
}
UPSTREAM = [
    deployment("ml-pipeline", {"name": "api", "readinessProbe": WGET, "livenessProbe": WGET}),
    deployment("ml-pipeline-persistenceagent", {"name": "agent"}),
    deployment("ml-pipeline-ui", {"name": "ui"}),
    deployment("mysql", {"name": "mysql"}),
    {
        "kind": "Service",
        "metadata": {"name": "mysql"},
        "spec": {"selector": {"app": "mysql"}, "ports": [{"port": 3306}]},
    },
    {"kind": "Service", "metadata": {"name": "ml-pipeline-ui"}, "spec": {}},
    {"kind": "ServiceAccount", "metadata": {"name": "ml-pipeline-persistenceagent"}},
    {"kind": "Role", "metadata": {"name": "ml-pipeline-persistenceagent-role"}},
    {"kind": "ClusterRoleBinding", "metadata": {"name": "ml-pipeline-ui"}},
    {"kind": "ConfigMap", "metadata": {"name": "pipeline-api-server-config-dc9hkg52h6"}},
    {"kind": "AuthorizationPolicy", "metadata": {"name": "ml-pipeline"}},
    {"kind": "CustomResourceDefinition", "metadata": {"name": "scheduledworkflows.kubeflow.org"}},
    {"kind": "CustomResourceDefinition", "metadata": {"name": "workflows.argoproj.io"}},
]
IPS = {"ml-pipeline": "10.0.0.5", "mysql": "10.0.0.6", "minio-service": "10.0.0.7"}


def configured() -> dict[tuple[str, str], dict[str, Any]]:
    docs = kfp_backend.configured(UPSTREAM, IPS, ("10.217.0.1", 40000))
    return {(d["kind"], d["metadata"]["name"]): d for d in docs}


def test_only_the_backend_pieces_that_run_here_are_kept() -> None:
    assert sorted(configured()) == [
        ("ConfigMap", "pipeline-api-server-config-dc9hkg52h6"),
        ("CustomResourceDefinition", "scheduledworkflows.kubeflow.org"),
        ("Deployment", "ml-pipeline"),
        ("Deployment", "ml-pipeline-persistenceagent"),
        ("Role", "ml-pipeline-persistenceagent-role"),
        ("Service", "mysql"),
        ("ServiceAccount", "ml-pipeline-persistenceagent"),
    ]


def test_pods_resolve_the_service_names_kfp_dials_without_cluster_dns() -> None:
    pod = configured()[("Deployment", "ml-pipeline")]["spec"]["template"]["spec"]
    assert pod["hostAliases"] == [
        {"ip": "10.0.0.7", "hostnames": ["minio-service"]},
        {"ip": "10.0.0.5", "hostnames": ["ml-pipeline"]},
        {"ip": "10.0.0.6", "hostnames": ["mysql"]},
    ]


def test_wget_probes_become_the_same_http_requests() -> None:
    container = configured()[("Deployment", "ml-pipeline")]["spec"]["template"]["spec"][
        "containers"
    ][0]
    expected = {"httpGet": {"path": "/apis/v1beta1/healthz", "port": 8888}, "periodSeconds": 5}
    assert container["readinessProbe"] == expected
    assert container["livenessProbe"] == expected


def test_shell_expanded_commands_become_kubernetes_expanded_args() -> None:
    container = configured()[("Deployment", "ml-pipeline-persistenceagent")]["spec"]["template"][
        "spec"
    ]["containers"][0]
    assert "--namespace=$(NAMESPACE)" in container["args"]
    assert container["args"][-2:] == ["--numWorker", "$(NUM_WORKERS)"]


def test_mysql_is_a_service_without_selector_in_front_of_the_hosts_mariadb() -> None:
    service = configured()[("Service", "mysql")]
    assert "selector" not in service["spec"]
    assert service["spec"]["ports"] == [{"port": 3306, "targetPort": 40000}]
    endpoints = kfp_backend.database_endpoints("10.217.0.1", 40000)
    assert endpoints["subsets"] == [
        {"addresses": [{"ip": "10.217.0.1"}], "ports": [{"port": 40000}]}
    ]


def test_the_upstream_objects_are_left_unchanged() -> None:
    before = json.dumps(UPSTREAM, sort_keys=True)
    configured()
    assert json.dumps(UPSTREAM, sort_keys=True) == before


def test_the_ingress_replaces_any_claimed_identity_and_drops_hop_by_hop_headers() -> None:
    forwarded = ingress.forwarded_headers(
        [
            ("Host", "127.0.0.1:1"),
            ("Kubeflow-Userid", "admin@example.com"),
            ("Connection", "keep-alive"),
            ("Accept", "application/json"),
        ],
        "user@example.com",
    )
    assert forwarded == [
        ("Host", "127.0.0.1:1"),
        ("Accept", "application/json"),
        ("kubeflow-userid", "user@example.com"),
    ]


def test_the_ui_server_gets_kfps_multi_user_settings_and_the_sandbox_addresses() -> None:
    env = kfp_ui.environment("10.0.0.5:8888", ("10.217.0.1", 9100), Path("/s/kubeconfig"))
    assert (env["ML_PIPELINE_SERVICE_HOST"], env["ML_PIPELINE_SERVICE_PORT"]) == (
        "10.0.0.5",
        "8888",
    )
    assert (env["MINIO_HOST"], env["MINIO_PORT"], env["MINIO_NAMESPACE"]) == (
        "10.217.0.1",
        "9100",
        "",
    )
    assert env["KUBEFLOW_USERID_HEADER"] == ingress.USER_HEADER
    assert env["DEPLOYMENT"] == "KUBEFLOW"
    assert env["DISABLE_GKE_METADATA"] == "true"


def test_a_one_file_image_also_carries_the_data_files_its_program_reads(tmp_path: Path) -> None:
    program = tmp_path / "apiserver"
    program.write_bytes(b"\x7fELF")
    image = images.Image(
        "example.local/api:1",
        program,
        path="/bin/apiserver",
        files=(("/config/config.json", b"{}"),),
    )
    with tarfile.open(fileobj=io.BytesIO(images.oci_archive(image))) as outer:
        index = json.load(outer.extractfile("index.json"))  # type: ignore[arg-type]
        manifest_digest = index["manifests"][0]["digest"].split(":")[1]
        manifest = json.load(outer.extractfile(f"blobs/sha256/{manifest_digest}"))  # type: ignore[arg-type]
        layer_digest = manifest["layers"][0]["digest"].split(":")[1]
        layer = outer.extractfile(f"blobs/sha256/{layer_digest}")
        assert layer is not None
        with tarfile.open(fileobj=io.BytesIO(layer.read())) as inner:
            names = inner.getnames()
            config = inner.extractfile("config/config.json")
            assert config is not None and config.read() == b"{}"
    assert {"bin", "bin/apiserver", "config", "config/config.json", "tmp"} <= set(names)
