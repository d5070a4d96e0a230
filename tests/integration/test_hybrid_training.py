"""Hybrid training on the sandbox: ``samples/hybrid_pipeline.py`` with each choice of target.

On the run's shared sandbox (node_sandbox.py): besides KFP and the ACK controller it has
the cluster DNS, Kubeflow's training operator v1.9 as its standalone manifests deploy it,
and the sample's training image (``samples/pytorch``: PyTorch on CPU from Debian's
packages). Runs go through `ack-components-sandbox run`, so through KFP's API server;
the module's four start together (``wave``), and each test finds what its own run made
by the run's id.

Shown here: with ``target=kubernetes`` the PyTorchJob component runs a master and a
worker that really train together (their all-reduced loss, printed by both into the
step's log, goes down) and write the model to S3, and the next step gets its location;
with ``target=sagemaker`` the TrainingJob component runs the same image and
hyperparameters through the real controller and the emulator, and the next step gets
the location in the same form; stopping the run deletes the PyTorchJob and its pods;
a bad script argument fails the step with the pod's own error in the step's log.
"""

from __future__ import annotations

import io
import itertools
import json
import re
import tarfile
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from kfp_sandbox import WHY_NOT as KFP_WHY_NOT
from kfp_sandbox import (
    Started,
    command,
    labelled_by_run,
    output_value,
    run_name,
    wait_for,
    workflow_name,
)
from kubernetes import client, config

from ack_components_sandbox.cluster import cluster_dns
from ack_components_sandbox.kubeflow import kfp_runs, pipelines, profile, training_operator

WHY_NOT = KFP_WHY_NOT or cluster_dns.unavailable() or training_operator.unavailable()
REPO = Path(__file__).resolve().parents[2]
HYBRID = REPO / "samples" / "hybrid_pipeline.py"
HYBRID_V2 = REPO / "samples" / "kfp2" / "hybrid_pipeline.py"
NAMESPACE = profile.NAMESPACE
BUCKET = "hybrid-models"
JOB_LABEL = "training.kubeflow.org/job-name"
PYTORCH_STEP, SAGEMAKER_STEP = "kubeflow-pytorchjob", "sagemaker-trainingjob"

pytestmark = [
    pytest.mark.node,
    pytest.mark.skipif(WHY_NOT is not None, reason=f"no training operator here: {WHY_NOT}"),
    pytest.mark.timeout(900),
    pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::PendingDeprecationWarning"),
]


@pytest.fixture(scope="module")
def sandbox(sandbox: dict[str, Any]) -> dict[str, Any]:
    """The run's sandbox, with the bucket the sample's models go to."""
    emulator_api(sandbox, "s3").create_bucket(Bucket=BUCKET)
    return sandbox


@pytest.fixture(scope="module")
def wave(sandbox: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The module's runs, started at once; each test checks (or stops) its own."""
    directory = tmp_path_factory.mktemp("hybrid-runs")
    runs = {
        "stopped": ("target=kubernetes", "epochs=1000000"),
        "kubernetes": ("target=kubernetes", "epochs=8"),
        "sagemaker": ("target=sagemaker", "epochs=8"),
        "bad-argument": ("target=kubernetes", "epochs=ten"),
    }
    started = {
        key: Started.start(hybrid(sandbox, *parameters), directory / key)
        for key, parameters in runs.items()
    }
    for target in ("kubernetes", "sagemaker"):  # the SDK 2 sample, on the v2 engine
        started[f"{target}-v2"] = Started.start(
            hybrid(sandbox, f"target={target}", "epochs=8", pipeline=HYBRID_V2),
            directory / f"{target}-v2",
        )
    yield started
    for each in started.values():
        each.stop()


@pytest.fixture(scope="module")
def api(sandbox: dict[str, Any]) -> Any:
    return config.new_client_from_config(config_file=str(sandbox["root"] / "kubeconfig"))


def emulator_api(state: dict[str, Any], service: str) -> Any:
    """One of the emulator's APIs: ``s3``, where the PyTorchJob's master writes the model,
    or ``sagemaker``, where the TrainingJob branch's job is."""
    return botocore.session.get_session().create_client(
        service,
        region_name="us-east-1",
        endpoint_url=state["emulator"]["url"],
        aws_access_key_id="ackcomponents",
        aws_secret_access_key="sandbox",
    )


def model_packed(sandbox: dict[str, Any], location: str) -> list[str]:
    """The files in the model archive at ``location`` (an s3:// URI in the bucket)."""
    body = emulator_api(sandbox, "s3").get_object(
        Bucket=BUCKET, Key=location.removeprefix(f"s3://{BUCKET}/")
    )
    with tarfile.open(fileobj=io.BytesIO(body["Body"].read()), mode="r:gz") as tar:
        return [m.name for m in tar.getmembers() if m.size > 0]


def hybrid(sandbox: dict[str, Any], *parameters: str, pipeline: Path = HYBRID) -> list[str]:
    given = [arg for pair in (f"bucket={BUCKET}", *parameters) for arg in ("-p", pair)]
    engine = ["--v2"] if pipeline == HYBRID_V2 else []
    return command(sandbox, pipeline, *engine, *given)


def step_log(api: Any, stdout: str, step_name: str) -> str:
    workflow = pipelines.Run(api, NAMESPACE, workflow_name(stdout)).read()
    step = next(s for s in pipelines.steps(workflow) if s.name == step_name)
    return str(client.CoreV1Api(api).read_namespaced_pod_log(step.pod, NAMESPACE, container="main"))


def pytorchjobs(api: Any) -> list[dict[str, Any]]:
    listed = client.CustomObjectsApi(api).list_namespaced_custom_object(
        "kubeflow.org", "v1", NAMESPACE, "pytorchjobs"
    )
    items: list[dict[str, Any]] = listed["items"]
    return items


def pods_of(api: Any, job: str) -> list[Any]:
    found: list[Any] = (
        client.CoreV1Api(api)
        .list_namespaced_pod(NAMESPACE, label_selector=f"{JOB_LABEL}={job}")
        .items
    )
    return found


def trained_together(log: str) -> str:
    """The PyTorchJob the step's ``log`` says it created, once the log shows its master and
    worker trained together: each printed the loss all-reduced over the two, so the
    numbers agree, and it went down (to the data's noise floor, where it may wobble)."""
    found = re.search(rf"^created PyTorchJob {NAMESPACE}/(\S+)$", log, re.MULTILINE)
    assert found, log
    job = found.group(1)
    master, worker = losses(log, f"{job}-master-0"), losses(log, f"{job}-worker-0")
    assert len(master) == 8 and master == worker, log
    assert master[-1] < master[0] / 10, master
    assert all(later <= earlier * 1.05 for earlier, later in itertools.pairwise(master)), master
    return job


def losses(log: str, pod: str) -> list[float]:
    """The loss of each epoch, as ``pod`` printed it into the step's log."""
    pattern = re.compile(rf"^\[{re.escape(pod)}\] rank \d/2 epoch (\d+) loss ([0-9.]+)$")
    found = [pattern.match(line) for line in log.splitlines()]
    return [float(m.group(2)) for m in found if m]


# The run the test stops comes first: it would train on for ever.
def test_stopping_the_run_deletes_the_pytorchjob_and_its_pods(
    sandbox: dict[str, Any], api: Any, wave: dict[str, Started]
) -> None:
    following = wave["stopped"]
    first = following.first_line()
    run_id = run_name(first)
    job = wait_for(
        "the PyTorchJob",
        lambda: labelled_by_run(api, first, pytorchjobs(api)),
        timeout=300,
    )[0]
    wait_for(
        "both replicas running",
        lambda: sorted(p.status.phase for p in pods_of(api, job)) == ["Running", "Running"],
        timeout=300,
    )
    rest = kfp_runs.RestApi(sandbox["kfp_ui"]["url"])
    kfp_runs.KfpRun(api, rest, NAMESPACE, run_id).terminate()
    done = following.finished(timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"step {PYTORCH_STEP}: Failed" in done.stdout
    wait_for(
        "the PyTorchJob to be gone",
        lambda: job not in [j["metadata"]["name"] for j in pytorchjobs(api)],
    )
    wait_for("its pods to be gone", lambda: pods_of(api, job) == [])


def test_on_kubernetes_a_master_and_a_worker_train_and_the_model_is_handed_on(
    sandbox: dict[str, Any], api: Any, wave: dict[str, Started]
) -> None:
    done = wave["kubernetes"].finished()
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"step {PYTORCH_STEP}: Succeeded" in done.stdout
    assert "step model-location-2: Succeeded" in done.stdout  # the branch's own step
    assert f"step {SAGEMAKER_STEP}" not in done.stdout  # the other branch never ran
    log = step_log(api, done.stdout, PYTORCH_STEP)
    job = trained_together(log)
    assert log.index(f"[{job}-master-0] rank 0: model written to") < log.index("done: Succeeded")

    # The model is where the step says, as SageMaker packs one: model.tar.gz with model.pt.
    location = json.loads(output_value(done.stdout, f"{PYTORCH_STEP}-model_artifacts"))[
        "s3ModelArtifacts"
    ]
    assert location.startswith(f"s3://{BUCKET}/hybrid/pytorch/"), location
    assert location.endswith("/model.tar.gz")
    assert model_packed(sandbox, location) == ["model.pt"]
    assert location in step_log(api, done.stdout, "model-location-2")

    # The job is the operator's, with a master and a worker pod that ran to completion.
    (resource,) = [j for j in pytorchjobs(api) if j["metadata"]["name"] == job]
    assert set(resource["status"]["replicaStatuses"]) == {"Master", "Worker"}
    last = resource["status"]["conditions"][-1]
    assert (last["type"], last["status"]) == ("Succeeded", "True")
    phases = {
        p.metadata.labels["training.kubeflow.org/replica-type"]: p.status.phase
        for p in pods_of(api, job)
    }
    assert phases == {"master": "Succeeded", "worker": "Succeeded"}


def test_on_sagemaker_the_same_image_and_hyperparameters_go_through_the_controller(
    sandbox: dict[str, Any], api: Any, wave: dict[str, Started]
) -> None:
    done = wave["sagemaker"].finished()
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"step {SAGEMAKER_STEP}: Succeeded" in done.stdout
    assert "step model-location: Succeeded" in done.stdout
    assert f"step {PYTORCH_STEP}" not in done.stdout
    assert labelled_by_run(api, done.stdout, pytorchjobs(api)) == []  # none made

    location = json.loads(output_value(done.stdout, f"{SAGEMAKER_STEP}-model_artifacts"))[
        "s3ModelArtifacts"
    ]
    assert location.startswith(f"s3://{BUCKET}/hybrid/sagemaker/"), location
    name = location.removeprefix(f"s3://{BUCKET}/hybrid/sagemaker/").split("/")[0]
    described = emulator_api(sandbox, "sagemaker").describe_training_job(TrainingJobName=name)
    assert described["AlgorithmSpecification"]["TrainingImage"] == training_operator.TRAINING_IMAGE
    assert described["HyperParameters"] == {"epochs": "8", "lr": "0.05"}
    assert described["ResourceConfig"]["InstanceCount"] == 2
    assert location == described["ModelArtifacts"]["S3ModelArtifacts"]
    assert location in step_log(api, done.stdout, "model-location")


def test_the_sdk2_sample_trains_on_kubernetes_on_the_v2_engine(
    sandbox: dict[str, Any], api: Any, wave: dict[str, Started]
) -> None:
    done = wave["kubernetes-v2"].finished()
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"step {SAGEMAKER_STEP}" not in done.stdout  # the other branch never ran
    trained_together(step_log(api, done.stdout, PYTORCH_STEP))
    # The model's path carries the run's id (dsl.PIPELINE_JOB_ID_PLACEHOLDER), and the
    # branch's model-location step printed it: a dict output passed on by the v2 engine.
    printed = step_log(api, done.stdout, "model-location-2")
    location = f"s3://{BUCKET}/hybrid/pytorch/{run_name(done.stdout)}/model.tar.gz"
    assert location in printed, printed
    assert model_packed(sandbox, location) == ["model.pt"]


def test_the_sdk2_sample_trains_on_sagemaker_on_the_v2_engine(
    sandbox: dict[str, Any], api: Any, wave: dict[str, Started]
) -> None:
    done = wave["sagemaker-v2"].finished()
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"step {PYTORCH_STEP}" not in done.stdout
    log = step_log(api, done.stdout, SAGEMAKER_STEP)
    found = re.search(rf"^created TrainingJob {NAMESPACE}/\S+ \(SageMaker name (\S+)\)$", log, re.M)
    assert found, log
    described = emulator_api(sandbox, "sagemaker").describe_training_job(
        TrainingJobName=found.group(1)
    )
    assert described["AlgorithmSpecification"]["TrainingImage"] == training_operator.TRAINING_IMAGE
    assert described["HyperParameters"] == {"epochs": "8", "lr": "0.05"}
    assert described["ResourceConfig"]["InstanceCount"] == 2
    location = described["ModelArtifacts"]["S3ModelArtifacts"]
    assert location.startswith(f"s3://{BUCKET}/hybrid/sagemaker/"), location
    assert location in step_log(api, done.stdout, "model-location")


def test_a_bad_script_argument_fails_the_step_with_the_pods_error(
    wave: dict[str, Started],
) -> None:
    done = wave["bad-argument"].finished()
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"step {PYTORCH_STEP}: Failed" in done.stdout
    log = done.stdout.split(f"--- last lines of step {PYTORCH_STEP}:", 1)[1]
    assert "train.py: error: argument --epochs: invalid int value: 'ten'" in log, log
    verdict = next(line for line in log.splitlines() if line.startswith("error: "))
    assert verdict.startswith("error: PyTorchJob Failed: "), log
    assert log.index("invalid int value") < log.index(verdict)
