"""Least-privilege RBAC and `ack-components doctor`, against the real RBAC authorizer."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from harness import Harness, synced
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from ack_components import doctor, kinds, rbac
from ack_components_sandbox.base import binaries
from ack_components_sandbox.cluster.controlplane import ControlPlane

CLI = str(Path(sys.executable).parent / "ack-components")
KMEANS_DONE = {
    "trainingJobStatus": "Completed",
    "secondaryStatus": "Completed",
    "conditions": [synced()],
}


def runner(harness: Harness, verbs: tuple[str, ...] = rbac.VERBS) -> Path:
    """The pipeline's service account, bound to the generated Role (less any verbs left out)."""
    documents = rbac.manifests(harness.namespace, "pipeline-runner", [kinds.TRAINING_JOB])
    documents[0]["rules"][0]["verbs"] = list(verbs)
    return harness.service_account("pipeline-runner", documents)


def test_the_generated_role_is_enough_and_grants_no_secrets(harness: Harness) -> None:
    kubeconfig = runner(harness)
    run = harness.start(kubeconfig=kubeconfig, training_job_name="kmeans-rbac")
    harness.wait_for_resource()
    harness.set_status("kmeans-rbac", **KMEANS_DONE)
    code, log = run.wait()
    assert code == 0, log
    as_runner = config.new_client_from_config(str(kubeconfig))
    with pytest.raises(ApiException) as denied:
        client.CoreV1Api(as_runner).list_namespaced_secret(harness.namespace)
    assert denied.value.status == 403


@pytest.mark.parametrize("missing", ["get", "create", "watch"])
def test_a_missing_permission_is_named(harness: Harness, missing: str) -> None:
    kubeconfig = runner(harness, tuple(v for v in rbac.VERBS if v != missing))
    code, log = harness.run(kubeconfig=kubeconfig, training_job_name="kmeans-norbac")
    assert code == 1, log
    assert f"missing permission: {missing} trainingjobs.sagemaker.services.k8s.aws" in log


def test_a_missing_patch_permission_is_named(harness: Harness) -> None:
    kubeconfig = runner(harness, tuple(v for v in rbac.VERBS if v != "patch"))
    first = harness.start(training_job_name="kmeans-warm")
    harness.wait_for_resource()
    harness.set_status("kmeans-warm", **KMEANS_DONE)
    assert first.wait()[0] == 0
    warm = '{"instanceCount": 1, "instanceType": "ml.m5.2xlarge", "volumeSizeInGB": 50, "keepAlivePeriodInSeconds": 600}'
    code, log = harness.run(
        kubeconfig=kubeconfig, training_job_name="kmeans-warm", resource_config=warm
    )
    assert code == 1, log
    assert "missing permission: patch trainingjobs.sagemaker.services.k8s.aws" in log


def test_a_missing_delete_permission_is_named_on_stop(harness: Harness) -> None:
    kubeconfig = runner(harness, tuple(v for v in rbac.VERBS if v != "delete"))
    run = harness.start(kubeconfig=kubeconfig, training_job_name="kmeans-nodelete")
    harness.wait_for_resource()
    code, log = run.stop()
    assert code == 1
    assert "missing permission: delete trainingjobs.sagemaker.services.k8s.aws" in log


@pytest.mark.parametrize(
    "flags",
    [
        ["--namespace", "{ns}", "--service-account", "pipeline-runner"],
        ["--namespace", "{ns}", "--service-account", "default-editor", "--pytorchjobs"],
        ["--preset", "kubeflow-profile", "--namespace", "{ns}"],
        ["--aggregate-to-kubeflow-edit"],
        [
            "--namespace",
            "{ns}",
            "--service-account",
            "pipeline-runner",
            "--legacy-controller-binding",
        ],
    ],
    ids=["role", "pytorchjobs", "preset", "aggregate", "legacy"],
)
def test_generated_yaml_applies_with_server_dry_run(harness: Harness, flags: list[str]) -> None:
    printed = subprocess.run(
        [CLI, "rbac", *(f.format(ns=harness.namespace) for f in flags)],
        capture_output=True,
        text=True,
        check=True,
    )
    if "--legacy-controller-binding" in flags:
        assert "also grants" in printed.stderr and "Secrets" in printed.stderr
    dry_run = subprocess.run(
        [str(binaries.kubectl().path()), "apply", "--dry-run=server", "-f", "-"],
        input=printed.stdout,
        capture_output=True,
        text=True,
        env={**os.environ, "KUBECONFIG": str(harness.plane.kubeconfig)},
    )
    assert dry_run.returncode == 0, dry_run.stderr
    assert "(server dry run)" in dry_run.stdout


def results(checks: list[doctor.Check]) -> dict[str, tuple[str, str]]:
    return {c.name: (c.result, c.detail) for c in checks}


def test_doctor_reports_a_missing_controller_and_missing_permissions(harness: Harness) -> None:
    kubeconfig = harness.service_account("nobody", [])
    found = results(
        doctor.run_checks(config.new_client_from_config(str(kubeconfig)), harness.namespace)
    )
    assert found["API server reachable"][0] == doctor.OK
    assert found["SageMaker CRDs installed"][0] == doctor.OK
    assert found["ACK controller running"][0] == doctor.UNKNOWN  # may not list deployments
    assert found["permissions"] == (
        doctor.FAIL,
        f"missing: {', '.join(rbac.VERBS)} on "
        + ", ".join(kind.plural for kind in kinds.granted_by_default()),
    )
    as_admin = results(doctor.run_checks(harness.api, harness.namespace))
    assert as_admin["ACK controller running"] == (
        doctor.FAIL,
        "no ACK SageMaker controller deployment found",
    )
    assert as_admin["permissions"][0] == doctor.OK


def test_doctor_groups_missing_permissions_by_verb(harness: Harness) -> None:
    """A Role for TrainingJobs alone, without delete: each gap named once, not 45 lines."""
    kubeconfig = runner(harness, tuple(v for v in rbac.VERBS if v != "delete"))
    found = results(
        doctor.run_checks(config.new_client_from_config(str(kubeconfig)), harness.namespace)
    )
    others = ", ".join(k.plural for k in kinds.granted_by_default() if k is not kinds.TRAINING_JOB)
    assert found["permissions"] == (
        doctor.FAIL,
        f"missing: delete on trainingjobs; {', '.join(rbac.VERBS)} on {others}",
    )


def test_doctors_table_fits_100_columns(harness: Harness) -> None:
    """Every kind's name in the CRD check and every plural in the permissions one, wrapped."""
    kubeconfig = harness.service_account("nobody", [])
    done = subprocess.run(
        [CLI, "doctor", "--namespace", harness.namespace, "--kubeconfig", str(kubeconfig)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1, done.stderr  # the permissions are missing
    lines = done.stdout.splitlines()
    assert max(len(line) for line in lines) <= doctor.TABLE_WIDTH, done.stdout
    assert lines[0].split() == ["CHECK", "RESULT", "DETAIL"]
    words = done.stdout.split()
    assert all(f"{kind}," in words or kind in words for kind in kinds.KINDS)
    assert "fix:" in words and "--apply" in words


def test_doctor_checks_only_the_kinds_asked_for(harness: Harness) -> None:
    """A Role narrowed with `rbac --kinds TrainingJob` passes `doctor --kinds TrainingJob`."""
    kubeconfig = runner(harness)
    as_runner = config.new_client_from_config(str(kubeconfig))
    found = results(doctor.run_checks(as_runner, harness.namespace, [kinds.TRAINING_JOB]))
    assert found["permissions"] == (doctor.OK, f"{', '.join(rbac.VERBS)} on trainingjobs")
    assert found["SageMaker CRDs installed"][0] == doctor.OK
    everything = results(doctor.run_checks(as_runner, harness.namespace))
    assert everything["permissions"][0] == doctor.FAIL
    unknown = subprocess.run(
        [CLI, "doctor", "--kinds", "TrainingJob,Trainingjob"], capture_output=True, text=True
    )
    assert unknown.returncode == 2
    assert "unknown kind 'Trainingjob'" in unknown.stderr


def test_doctor_checks_a_pytorchjob_setup_in_its_own_api_group(harness: Harness) -> None:
    """`doctor --kinds TrainingJob,PyTorchJob` checks the kubeflow.org CRD and what `rbac`
    grants for it (pytorchjobs, pods, pods/log): failing on the TrainingJob-only Role,
    passing once `rbac --kinds TrainingJob,PyTorchJob` is applied."""
    both = [kinds.TRAINING_JOB, kinds.PYTORCH_JOB]
    kubeconfig = runner(harness)
    as_runner = config.new_client_from_config(str(kubeconfig))
    narrow = results(doctor.run_checks(as_runner, harness.namespace, both))
    assert narrow["kubeflow.org CRDs installed"][0] == doctor.OK
    assert "PyTorchJob" in narrow["kubeflow.org CRDs installed"][1]
    assert narrow["permissions"][0] == doctor.FAIL
    for missing in ("pytorchjobs", "pods/log", "get, list on pods"):
        assert missing in narrow["permissions"][1]
    assert "trainingjobs" not in narrow["permissions"][1]

    granted = subprocess.run(
        [
            CLI,
            "rbac",
            "--namespace",
            harness.namespace,
            "--service-account",
            "pipeline-runner",
            "--kinds",
            "TrainingJob,PyTorchJob",
            "--apply",
            "--kubeconfig",
            str(harness.plane.kubeconfig),
        ],
        capture_output=True,
        text=True,
    )
    assert granted.returncode == 0, granted.stderr
    done = subprocess.run(
        [
            CLI,
            "doctor",
            "--kinds",
            "TrainingJob,PyTorchJob",
            "--json",
            "--namespace",
            harness.namespace,
            "--kubeconfig",
            str(kubeconfig),
        ],
        capture_output=True,
        text=True,
    )
    checks = {c["name"]: c for c in json.loads(done.stdout)}
    assert checks["permissions"]["result"] == doctor.OK, checks["permissions"]
    assert checks["kubeflow.org CRDs installed"]["result"] == doctor.OK


def controller_deployment(namespace: str, watch: str) -> dict[str, Any]:
    labels = {"app.kubernetes.io/name": "sagemaker-chart"}
    return {
        "metadata": {"name": "ack-sagemaker-controller-sagemaker-chart", "namespace": namespace},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {
                            "name": "controller",
                            "image": "controller:1.9.1",
                            "args": [f"--watch-namespace={watch}"],
                        }
                    ]
                },
            },
        },
    }


def test_doctor_reads_the_controller_deployment(harness: Harness) -> None:
    apps = client.AppsV1Api(harness.api)
    apps.create_namespaced_deployment(
        harness.namespace, controller_deployment(harness.namespace, "elsewhere")
    )
    try:
        found = results(doctor.run_checks(harness.api, harness.namespace))
        assert found["ACK controller running"][0] == doctor.FAIL  # no ready replica yet
        assert found["controller watches namespace"] == (doctor.FAIL, "it watches only elsewhere")
        # No kube-controller-manager runs here: write the readiness a real one would.
        apps.patch_namespaced_deployment_status(
            "ack-sagemaker-controller-sagemaker-chart",
            harness.namespace,
            {"status": {"replicas": 1, "readyReplicas": 1}},
        )
        assert (
            results(doctor.run_checks(harness.api, harness.namespace))["ACK controller running"][0]
            == doctor.OK
        )
    finally:
        apps.delete_namespaced_deployment(
            "ack-sagemaker-controller-sagemaker-chart", harness.namespace
        )


def test_doctor_reports_missing_crds_and_exits_non_zero(tmp_path: Path) -> None:
    with ControlPlane() as bare:

        def doctor_json(*flags: str) -> subprocess.CompletedProcess[str]:
            argv = [CLI, "doctor", "--kubeconfig", str(bare.kubeconfig), "--namespace", "default"]
            return subprocess.run([*argv, *flags, "--json"], capture_output=True, text=True)

        done = doctor_json()
        asked_for_pytorchjobs = doctor_json("--kinds", "TrainingJob,PyTorchJob").stdout
    assert done.returncode == 1
    checks = {c["name"]: c for c in json.loads(done.stdout)}
    assert checks["SageMaker CRDs installed"]["result"] == doctor.FAIL
    assert (
        "sagemaker.services.k8s.aws is not served" in checks["SageMaker CRDs installed"]["detail"]
    )
    assert "kubeflow.org CRDs installed" not in checks  # not asked for
    pytorch = {c["name"]: c for c in json.loads(asked_for_pytorchjobs)}[
        "kubeflow.org CRDs installed"
    ]
    assert pytorch["result"] == doctor.FAIL
    assert pytorch["detail"] == "the API group kubeflow.org is not served"
    assert (
        pytorch["fix"] == "install Kubeflow's training operator, whose manifests install its CRDs"
    )


def run_model(kubeconfig: Path, namespace: str = "ml") -> subprocess.CompletedProcess[str]:
    """The Model component from the CLI, against the cluster ``kubeconfig`` names."""
    role = "arn:aws:iam::123456789012:role/SageMakerExecution"
    argv = [CLI, "run", "Model", "--region", "us-east-1", "--model_name", "kmeans"]
    argv += ["--execution_role_arn", role, "--kubeconfig", str(kubeconfig)]
    argv += ["--namespace", namespace]
    return subprocess.run(argv, capture_output=True, text=True)


def test_a_kind_the_cluster_does_not_serve_is_a_clear_error(tmp_path: Path) -> None:
    with ControlPlane() as bare:  # no CRDs at all
        done = run_model(bare.kubeconfig)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "error: the API server does not serve models.sagemaker.services.k8s.aws" in done.stdout
    assert "ack-components doctor" in done.stdout


def test_an_unreachable_api_server_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    kubeconfig = tmp_path / "nowhere.kubeconfig"
    server = f"https://127.0.0.1:{port}"
    kubeconfig.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": server}}],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "x",
            }
        )
    )
    done = run_model(kubeconfig)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert f"error: cannot reach the Kubernetes API server at {server}" in done.stdout
    applied = subprocess.run(
        [
            CLI,
            "rbac",
            "--namespace",
            "ml",
            "--service-account",
            "runner",
            "--apply",
            "--kubeconfig",
            str(kubeconfig),
        ],
        capture_output=True,
        text=True,
    )
    assert applied.returncode == 1
    assert f"error: cannot reach the Kubernetes API server at {server}" in applied.stderr
    assert "Traceback" not in applied.stderr


def test_a_namespace_that_does_not_exist_is_named(harness: Harness, tmp_path: Path) -> None:
    done = run_model(harness.plane.kubeconfig, namespace="no-such-namespace")
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert 'answered 404: namespaces "no-such-namespace" not found' in done.stdout
