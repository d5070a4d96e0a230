"""The sandbox's changes to KFP's manifests, its ingress's headers and the UI's settings."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from ack_components_sandbox.base import workloads
from ack_components_sandbox.cluster import images
from ack_components_sandbox.kubeflow import ingress, kfp_backend, kfp_ui


def deployment(name: str, container: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "kubeflow"},
        "spec": {"template": {"spec": {"containers": [container]}}},
    }


UPSTREAM = [
    deployment("ml-pipeline", {"name": "api"}),
    deployment("ml-pipeline-persistenceagent", {"name": "agent"}),
    deployment("ml-pipeline-ui", {"name": "ui"}),
    deployment("cache-server", {"name": "server"}),
    {"kind": "Service", "metadata": {"name": "ml-pipeline-ui"}, "spec": {}},
    {"kind": "ServiceAccount", "metadata": {"name": "ml-pipeline-persistenceagent"}},
    {"kind": "Role", "metadata": {"name": "ml-pipeline-persistenceagent-role"}},
    {"kind": "ClusterRoleBinding", "metadata": {"name": "ml-pipeline-ui"}},
    {"kind": "ConfigMap", "metadata": {"name": "pipeline-api-server-config-dc9hkg52h6"}},
    {"kind": "AuthorizationPolicy", "metadata": {"name": "ml-pipeline"}},
    {"kind": "CustomResourceDefinition", "metadata": {"name": "scheduledworkflows.kubeflow.org"}},
    {"kind": "CustomResourceDefinition", "metadata": {"name": "workflows.argoproj.io"}},
]


def configured() -> dict[tuple[str, str], dict[str, Any]]:
    docs = kfp_backend.configured(UPSTREAM)
    return {(d["kind"], d["metadata"]["name"]): d for d in docs}


def args_of(name: str) -> list[str]:
    container = configured()[("Deployment", name)]["spec"]["template"]["spec"]["containers"][0]
    args: list[str] = container["args"]
    return args


def test_only_the_backend_pieces_that_run_here_are_kept() -> None:
    assert sorted(configured()) == [
        ("ConfigMap", "pipeline-api-server-config-dc9hkg52h6"),
        ("CustomResourceDefinition", "scheduledworkflows.kubeflow.org"),
        ("Deployment", "ml-pipeline"),
        ("Deployment", "ml-pipeline-persistenceagent"),
        ("Role", "ml-pipeline-persistenceagent-role"),
        ("ServiceAccount", "ml-pipeline-persistenceagent"),
    ]


def test_shell_expanded_commands_become_kubernetes_expanded_args() -> None:
    assert args_of("ml-pipeline") == [
        "--config=/config",
        "--sampleconfig=/config/sample_config.json",
        "-logtostderr=true",
        "--logLevel=$(LOG_LEVEL)",
    ]
    agent = args_of("ml-pipeline-persistenceagent")
    assert "--namespace=$(NAMESPACE)" in agent
    assert agent[3:7] == ["--numWorker", "$(NUM_WORKERS)", "--executionType", "Workflow"]


def test_a_host_process_is_a_service_without_selector_and_one_endpoint() -> None:
    service, endpoints = workloads.host_service("mysql", "kubeflow", 3306, "10.217.0.1", 40000)
    assert "selector" not in service["spec"]
    assert service["spec"]["ports"] == [{"name": "http", "port": 3306, "targetPort": 40000}]
    assert endpoints["metadata"] == {"name": "mysql", "namespace": "kubeflow"}
    assert endpoints["subsets"] == [
        {"addresses": [{"ip": "10.217.0.1"}], "ports": [{"name": "http", "port": 40000}]}
    ]


def test_a_profile_gets_what_kfps_profile_controller_gives_it_for_the_v2_engine() -> None:
    found = {d["metadata"]["name"]: d for d in kfp_backend.profile_manifests("team-a")}
    assert found["kfp-launcher"]["data"]["defaultPipelineRoot"] == (
        "minio://mlpipeline/private-artifacts/team-a/v2/artifacts"
    )
    assert found["metadata-grpc-configmap"]["data"] == {
        "METADATA_GRPC_SERVICE_HOST": "metadata-grpc-service.kubeflow",
        "METADATA_GRPC_SERVICE_PORT": "8080",
    }
    assert {d["metadata"]["namespace"] for d in found.values()} == {"team-a"}


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
    env = kfp_ui.environment(
        "10.0.0.5:8888",
        ("10.217.0.1", 9100),
        ("10.217.0.1", 9200),
        Path("/s/kubeconfig"),
        {"seaweedfs.kubeflow": "10.0.0.9"},
    )
    assert (env["ML_PIPELINE_SERVICE_HOST"], env["ML_PIPELINE_SERVICE_PORT"]) == (
        "10.0.0.5",
        "8888",
    )
    assert (env["MINIO_HOST"], env["MINIO_PORT"], env["MINIO_NAMESPACE"]) == (
        "10.217.0.1",
        "9100",
        "",
    )
    assert (
        env["METADATA_ENVOY_SERVICE_SERVICE_HOST"],
        env["METADATA_ENVOY_SERVICE_SERVICE_PORT"],
    ) == ("10.217.0.1", "9200")
    assert env["KUBEFLOW_USERID_HEADER"] == ingress.USER_HEADER
    assert env["DEPLOYMENT"] == "KUBEFLOW"
    assert env["DISABLE_GKE_METADATA"] == "true"
    # A v2 artifact's store, as its record names it, resolves in the server (preloaded).
    assert env["NODE_OPTIONS"] == f"--require {kfp_ui.SERVICE_NAMES}"
    assert kfp_ui.SERVICE_NAMES.is_file()
    assert json.loads(env["ACK_SANDBOX_SERVICE_ADDRESSES"]) == {"seaweedfs.kubeflow": "10.0.0.9"}


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


def test_a_v2_run_is_submitted_with_every_tasks_cache_as_asked() -> None:
    from ack_components_sandbox.kubeflow import kfp_runs

    spec = {"root": {"dag": {"tasks": {"a": {"cachingOptions": {"enableCache": True}}, "b": {}}}}}
    off = kfp_runs.with_caching(spec, False)
    assert [t["cachingOptions"]["enableCache"] for t in off["root"]["dag"]["tasks"].values()] == [
        False,
        False,
    ]
    assert spec["root"]["dag"]["tasks"]["b"] == {}  # the compiled spec is left as it was


def test_v2_run_parameters_are_read_by_their_type_and_unknown_ones_refused() -> None:
    from ack_components_sandbox.kubeflow import kfp_runs, pipelines

    spec = {
        "root": {
            "inputDefinitions": {
                "parameters": {
                    "bucket": {"parameterType": "STRING"},
                    "tags": {"parameterType": "LIST"},
                }
            }
        }
    }
    assert kfp_runs.v2_parameters(spec, {"bucket": "b", "tags": '[{"key": "k"}]'}) == {
        "bucket": "b",
        "tags": [{"key": "k"}],
    }
    with pytest.raises(pipelines.PipelineError, match="no parameter nope"):
        kfp_runs.v2_parameters(spec, {"nope": "1"})
