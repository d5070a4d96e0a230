"""Compiled pipelines run as users run them: submitted to Kubeflow Pipelines, every step a pod.

On the run's shared sandbox (node_sandbox.py: control plane, node, component image, the
real ACK controller, the SageMaker emulator, Argo v3.7.3 and the KFP 2.16.1 backend as
KFP installs them, the artifact store, MariaDB, the KFP UI behind the sandbox's
ingress). The module's runs start together (``wave``) and each test then checks its
own, found among the others' by its run id; only the run that takes a verb from the
profile's Role runs alone, after them. Each run goes through `ack-components-sandbox run`, the command users have:
kfp 1.8.22 compiles the file and ``kfp.Client`` submits it to the API server, which runs
the Workflow in the profile namespace as ``default-editor`` (holding only the
components' Role and Argo's executor Role); the run is followed through its Workflow.

Shown here: the deploy sample runs to Succeeded with a String output placed in the
next step's JSON input, and its outputs and UI metadata archived where KFP's UI reads
them, and a real browser finds all that in the KFP UI; a failing job fails its step and
the run with the reason in the step's log; terminating the run from the KFP API stops
the SageMaker job within the pod's grace period; a step retried by Argo re-attaches
(one Create); a Role missing one verb fails the step with a message naming it; a work
team made through SageMaker's API staffs a LabelingJob that runs to Completed; and
``--argo`` still hands a Workflow to Argo directly.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import tarfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from kfp_sandbox import (
    WHY_NOT,
    Started,
    calls,
    command,
    completed,
    labelled_by_run,
    output_value,
    resources,
    run_name,
    step_processes,
    training_job_of,
    wait_for,
    workflow_name,
)
from kubernetes import client, config

from ack_components_sandbox.kubeflow import argo, kfp_runs, kfp_ui, pipelines, profile
from ack_components_sandbox.kubeflow.artifact_store import ArtifactStoreState

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "samples" / "deploy_pipeline.py"
TRAINING = REPO / "samples" / "training_pipeline.py"
TAGGED = Path(__file__).parent / "pipelines" / "tagged_training.py"
LABELING = REPO / "samples" / "labeling_pipeline.py"
#: The labeling run's work team (one emulator per sandbox: the name is the run's own).
TEAM = f"labelers-{os.getpid()}"
NAMESPACE = profile.NAMESPACE
GROUP, VERSION = "sagemaker.services.k8s.aws", "v1alpha1"
FAIL_TAG = "emulator.ack-components/fail"
SECONDS_TAG = "emulator.ack-components/seconds"
FAILURE = "AlgorithmError: the loss went to NaN (injected)"
#: A resource_config with upstream's key, which the step refuses (ACK's is instanceCount).
REFUSED_RESOURCES = {"InstanceCount": 1, "instanceType": "ml.m5.large", "volumeSizeInGB": 5}
#: The grace period of a step's pod (Kubernetes' default; KFP sets none).
GRACE_SECONDS = 30

pytestmark = [
    pytest.mark.node,
    pytest.mark.skipif(WHY_NOT is not None, reason=f"no KFP on this machine: {WHY_NOT}"),
    pytest.mark.timeout(900),
    pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::PendingDeprecationWarning"),
]


@pytest.fixture(scope="module")
def api(sandbox: dict[str, Any]) -> Any:
    return config.new_client_from_config(config_file=str(sandbox["root"] / "kubeconfig"))


def run(sandbox: dict[str, Any], pipeline: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return completed(command(sandbox, pipeline, *args))


def tags(**values: str) -> str:
    return "tags=" + json.dumps([{"key": k, "value": v} for k, v in values.items()])


def workflow(api: Any, name: str) -> dict[str, Any]:
    return pipelines.Run(api, NAMESPACE, name).read()


@pytest.fixture(scope="module")
def kfp_client(sandbox: dict[str, Any]) -> Any:
    return kfp_runs.client(sandbox["kfp_ui"]["url"], NAMESPACE)


def archived(sandbox: dict[str, Any], prefix: str) -> dict[str, bytes]:
    """The objects under ``prefix`` in the artifact store, read with KFP's keys."""
    store = ArtifactStoreState.from_json(sandbox["artifact_store"])
    s3 = botocore.session.get_session().create_client(
        "s3",
        region_name="us-east-1",
        endpoint_url=store.url,
        aws_access_key_id=argo.ARTIFACT_KEYS["accesskey"],
        aws_secret_access_key=argo.ARTIFACT_KEYS["secretkey"],
    )
    listed = s3.list_objects_v2(Bucket=argo.ARTIFACT_BUCKET, Prefix=prefix)
    return {
        item["Key"]: s3.get_object(Bucket=argo.ARTIFACT_BUCKET, Key=item["Key"])["Body"].read()
        for item in listed.get("Contents", [])
    }


def untar_one(data: bytes) -> bytes:
    """The one file in an archived output (Argo stores each as a .tgz)."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        member = next(m for m in tar.getmembers() if m.isfile())
        extracted = tar.extractfile(member)
        assert extracted is not None
        return extracted.read()


def seconds(timestamp: str) -> float:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


@pytest.fixture(scope="module")
def wave(sandbox: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Every run of the module but the one that changes the profile's Role, started at
    once: each test checks its own (and acts on it: terminates it, kills its step)."""
    directory = tmp_path_factory.mktemp("kfp-runs")
    two_instances = json.dumps(
        {"instanceCount": 2, "instanceType": "ml.m5.large", "volumeSizeInGB": 5}
    )
    runs = {
        "deploy": (DEPLOY,),
        "argo": (TRAINING, "--argo", "-p", "bucket=sandbox-bucket"),
        "training": (TRAINING, "-p", "bucket=sandbox-bucket"),
        "failing": (TAGGED, "-p", tags(**{FAIL_TAG: FAILURE})),
        "two-instances": (
            TAGGED,
            "-p",
            f"resource_config={two_instances}",
            "-p",
            tags(**{SECONDS_TAG: "15"}),
        ),
        "terminated": (TAGGED, "-p", tags(**{SECONDS_TAG: "600"})),
        "retried": (TAGGED, "--retries", "2", "-p", tags(**{SECONDS_TAG: "45"})),
        "refused": (TAGGED, "-p", f"resource_config={json.dumps(REFUSED_RESOURCES)}"),
        "labeling": (LABELING, "-p", "bucket=sandbox-bucket", "-p", f"team_name={TEAM}"),
    }
    started = {
        key: Started.start(command(sandbox, pipeline, *args), directory / key)
        for key, (pipeline, *args) in runs.items()
    }
    yield started
    for each in started.values():
        each.stop()


@pytest.fixture(scope="module")
def deployed(wave: dict[str, Started]) -> subprocess.CompletedProcess[str]:
    """The deploy sample, run once through KFP for the checks below."""
    return wave["deploy"].finished()


# The runs a test acts on come first, while their jobs still run.


def test_a_step_retried_by_argo_re_attaches_with_one_create(
    sandbox: dict[str, Any], api: Any, wave: dict[str, Started]
) -> None:
    following = wave["retried"]
    made = training_job_of(api, following)
    job, pod = made["metadata"]["name"], made["metadata"]["annotations"]["ack-components/step"]
    pids = wait_for("the step's process", lambda: step_processes(pod))
    for pid in pids:  # the step dies as a node crash or an OOM kill would end it
        os.kill(pid, signal.SIGKILL)
    done = following.finished(timeout=600)
    stdout = done.stdout
    assert done.returncode == 0, stdout + done.stderr
    name = workflow_name(stdout)
    attempts = [s for s in pipelines.steps(workflow(api, name)) if s.name.startswith("sagemaker")]
    assert [s.phase for s in attempts] == ["Failed", "Succeeded"], attempts
    assert len(calls(sandbox, "CreateTrainingJob", job)) == 1
    trained = [r for r in resources(api, "trainingjobs") if r["metadata"]["name"] == job]
    assert trained[0]["status"]["trainingJobStatus"] == "Completed"


def test_terminating_the_run_from_the_kfp_api_stops_the_job_within_the_grace_period(
    sandbox: dict[str, Any], api: Any, kfp_client: Any, wave: dict[str, Started]
) -> None:
    following = wave["terminated"]
    first = following.first_line()
    run_id, name = run_name(first), workflow_name(first)
    job = training_job_of(api, following)["metadata"]["name"]
    wait_for(
        "the CR to be InProgress",
        lambda: any(
            r.get("status", {}).get("trainingJobStatus") == "InProgress"
            for r in resources(api, "trainingjobs")
            if r["metadata"]["name"] == job
        ),
    )
    terminated = time.time()
    rest = kfp_runs.RestApi(sandbox["kfp_ui"]["url"])
    kfp_runs.KfpRun(api, rest, NAMESPACE, run_id).terminate()  # KFP's TerminateRun
    done = following.finished(timeout=300)
    stdout = done.stdout
    assert done.returncode == 1, stdout + done.stderr
    assert "step sagemaker-trainingjob: Failed" in stdout
    assert len(calls(sandbox, "StopTrainingJob", job)) == 1
    wait_for(
        "the TrainingJob CR to be gone",
        lambda: job not in [r["metadata"]["name"] for r in resources(api, "trainingjobs")],
    )
    step = next(s for s in pipelines.steps(workflow(api, name)))
    finished = workflow(api, name)["status"]["nodes"][step.id]["finishedAt"]
    assert seconds(finished) - terminated < GRACE_SECONDS
    wait_for(
        "KFP's record of the run to end", lambda: kfp_client.get_run(run_id).run.status == "Failed"
    )


def test_the_deploy_sample_runs_to_succeeded_through_kfp(
    sandbox: dict[str, Any], api: Any, kfp_client: Any, deployed: subprocess.CompletedProcess[str]
) -> None:
    done = deployed
    assert done.returncode == 0, done.stdout + done.stderr
    run_id, name = run_name(done.stdout), workflow_name(done.stdout)
    assert f"run {run_id}: Succeeded" in done.stdout
    assert f"{sandbox['kfp_ui']['url']}/#/runs/details/{run_id}" in done.stdout

    # KFP's record of the run, and the Workflow its API server made of it.
    detail = wait_for(  # the persistence agent reports the Workflow's end a moment later
        "KFP's record of the run to be Succeeded",
        lambda: (found := kfp_client.get_run(run_id)).run.status == "Succeeded" and found,
    )
    experiment = next(
        r.key.id for r in detail.run.resource_references if r.key.type == "EXPERIMENT"
    )
    owner = kfp_client.get_experiment(experiment_id=experiment).resource_references
    assert ("NAMESPACE", NAMESPACE) in {(r.key.type, r.key.id) for r in owner}
    made = workflow(api, name)
    assert made["spec"]["serviceAccountName"] == profile.SERVICE_ACCOUNT
    assert made["metadata"]["labels"]["pipeline/runid"] == run_id
    status = made["status"]
    steps = {step.name: step.phase for step in pipelines.steps(made)}
    assert steps == {
        "sagemaker-trainingjob": "Succeeded",
        "serving-container": "Succeeded",
        "sagemaker-model": "Succeeded",
        "sagemaker-endpointconfig": "Succeeded",
        "sagemaker-endpoint": "Succeeded",
    }, status

    # One SageMaker resource per step, each created once.
    model = output_value(done.stdout, "sagemaker-model-sagemaker_resource_name")
    config_name = output_value(done.stdout, "sagemaker-endpointconfig-sagemaker_resource_name")
    for operation, created in (("CreateModel", model), ("CreateEndpointConfig", config_name)):
        assert len(calls(sandbox, operation, created)) == 1

    # The Model step's String output, pasted by Argo into the next step's JSON input.
    configs = {r["metadata"]["name"]: r for r in resources(api, "endpointconfigs")}
    variants = configs[config_name]["spec"]["productionVariants"]
    assert [v["modelName"] for v in variants] == [model]
    endpoints = resources(api, "endpoints")
    assert config_name in [e["spec"]["endpointConfigName"] for e in endpoints]

    # Outputs, UI metadata and logs archived where KFP's UI reads them.
    objects = archived(sandbox, f"private-artifacts/{NAMESPACE}/{name}/")
    model_pod = next(
        s.pod for s in pipelines.steps(workflow(api, name)) if s.name == "sagemaker-model"
    )
    prefix = next(k for k in objects if f"/{model_pod}/" in k).rsplit("/", 1)[0]
    metadata = json.loads(untar_one(objects[f"{prefix}/mlpipeline-ui-metadata.tgz"]))
    assert metadata["outputs"], metadata
    resource_name = objects[f"{prefix}/sagemaker-model-sagemaker_resource_name.tgz"]
    assert untar_one(resource_name).decode() == model
    assert f"created Model {NAMESPACE}/" in objects[f"{prefix}/main.log"].decode()


def test_the_training_sample_handed_to_argo_directly_runs_and_hands_on_the_model_location(
    sandbox: dict[str, Any], wave: dict[str, Started]
) -> None:
    done = wave["argo"].finished()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "step sagemaker-trainingjob: Succeeded" in done.stdout
    artifacts = json.loads(output_value(done.stdout, "sagemaker-trainingjob-model_artifacts"))
    location = artifacts["s3ModelArtifacts"]
    assert location.startswith("s3://sandbox-bucket/mnist_kmeans_example/output/")
    assert "step model-location: Succeeded" in done.stdout
    job = location.split("/output/")[1].split("/")[0]
    assert len(calls(sandbox, "CreateTrainingJob", job)) == 1


def test_the_training_sample_runs_through_kfp_and_hands_on_the_model_location(
    sandbox: dict[str, Any], api: Any, wave: dict[str, Started]
) -> None:
    done = wave["training"].finished()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "(v1 engine)" in done.stdout and "step model-location: Succeeded" in done.stdout
    artifacts = json.loads(output_value(done.stdout, "sagemaker-trainingjob-model_artifacts"))
    location = artifacts["s3ModelArtifacts"]
    assert location.startswith("s3://sandbox-bucket/mnist_kmeans_example/output/")
    # The next step read the JsonObject as a dict and printed the location in its log.
    steps = pipelines.steps(workflow(api, workflow_name(done.stdout)))
    reader = next(s for s in steps if s.name == "model-location")
    log = client.CoreV1Api(api).read_namespaced_pod_log(reader.pod, NAMESPACE, container="main")
    assert location in log, log
    job = location.split("/output/")[1].split("/")[0]
    assert len(calls(sandbox, "CreateTrainingJob", job)) == 1


def test_a_failing_job_fails_its_step_and_the_run_with_the_reason_in_its_log(
    wave: dict[str, Started],
) -> None:
    reason = FAILURE
    done = wave["failing"].finished()
    assert done.returncode == 1, done.stdout + done.stderr
    name = run_name(done.stdout)
    assert "step sagemaker-trainingjob: Failed" in done.stdout
    assert f"run {name}: Failed" in done.stdout
    log = done.stdout.split("--- last lines of step sagemaker-trainingjob:", 1)[1]
    # The job's own log ends the step's, then the verdict.
    lines = log.rstrip().splitlines()
    job_line = next(i for i, line in enumerate(lines) if line.endswith(f"] ERROR: {reason}"))
    verdict = next(i for i, line in enumerate(lines) if line.startswith("error: "))
    assert job_line < verdict and reason in lines[verdict], log
    # after the verdict, only the executor's exit line and the run's end: no job line
    assert not any(line.startswith("[") for line in lines[verdict + 1 :]), log


def test_a_refused_step_ends_with_its_reason_and_shows_it_on_its_card(
    sandbox: dict[str, Any], api: Any, wave: dict[str, Started]
) -> None:
    """The step writes every output even when it refuses its input, so Argo's wait
    container saves them (no "cannot save artifact" after the reason, exit 0) and the
    summary card in the archive says why; nothing is created."""
    done = wave["refused"].finished()
    assert done.returncode == 1, done.stdout + done.stderr
    name = workflow_name(done.stdout)
    assert "step sagemaker-trainingjob: Failed" in done.stdout
    last = done.stdout.split("--- last lines of step sagemaker-trainingjob:", 1)[1]
    assert "did you mean 'instanceCount'?" in last, last
    step = next(s for s in pipelines.steps(workflow(api, name)))
    # The step's message, from the container's termination message (the KFP UI shows it;
    # Argo 3.7 puts the container's name first).
    assert step.message.startswith("main: Error (exit code 2): invalid inputs:"), step.message
    assert "did you mean 'instanceCount'?" in step.message, step.message
    core = client.CoreV1Api(api)
    for container in ("main", "wait"):
        log = core.read_namespaced_pod_log(step.pod, NAMESPACE, container=container)
        assert "cannot save" not in log, (container, log)
    statuses = core.read_namespaced_pod(step.pod, NAMESPACE).status.container_statuses
    exits = {c.name: c.state.terminated.exit_code for c in statuses}
    assert exits == {"main": 2, "wait": 0}, exits

    objects = archived(sandbox, f"private-artifacts/{NAMESPACE}/{name}/")
    prefix = next(k for k in objects if f"/{step.pod}/" in k).rsplit("/", 1)[0]
    card = json.loads(untar_one(objects[f"{prefix}/mlpipeline-ui-metadata.tgz"]))
    source = card["outputs"][0]["source"]
    assert "| Outcome | Refused |" in source and "did you mean 'instanceCount'?" in source
    assert labelled_by_run(api, done.stdout, resources(api, "trainingjobs")) == []


def test_a_workteam_and_the_labeling_job_it_staffs_run_to_succeeded(
    sandbox: dict[str, Any], api: Any, wave: dict[str, Started]
) -> None:
    """The one component that is not a custom resource, in a pipeline: its ARN, a String,
    goes into the LabelingJob's JSON input, and the controller runs that job to Completed."""
    done = wave["labeling"].finished()
    assert done.returncode == 0, done.stdout + done.stderr
    arn = output_value(done.stdout, "sagemaker-private-workforce-workteam_arn")
    assert arn == f"arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/{TEAM}"
    assert len(calls(sandbox, "CreateWorkteam", TEAM)) == 1
    staffed = [
        job
        for job in resources(api, "labelingjobs")
        if job["spec"]["humanTaskConfig"]["workteamARN"] == arn
    ]
    assert len(staffed) == 1, staffed
    assert staffed[0]["status"]["labelingJobStatus"] == "Completed"
    name = staffed[0]["spec"]["labelingJobName"]
    created = calls(sandbox, "CreateLabelingJob", name)
    assert [call.get("error") for call in created] == [None]


def test_a_two_instance_jobs_log_metrics_and_summary_reach_the_step_and_kfp(
    sandbox: dict[str, Any], api: Any, wave: dict[str, Started]
) -> None:
    done = wave["two-instances"].finished()
    assert done.returncode == 0, done.stdout + done.stderr
    name = workflow_name(done.stdout)
    step = next(s for s in pipelines.steps(workflow(api, name)))
    log = client.CoreV1Api(api).read_namespaced_pod_log(step.pod, NAMESPACE, container="main")
    for instance in ("algo-1-", "algo-2-"):
        own = [
            line.split("] ", 1)[1] for line in log.splitlines() if line.startswith(f"[{instance}")
        ]
        assert own[0].startswith("Starting training on 2 x ml.m5.large"), log
        epochs = [line.split(":")[0] for line in own if line.startswith("epoch ")]
        assert epochs == [f"epoch {n}/5" for n in range(1, 6)], log  # in order, none twice
        assert own[-1] == "Training complete", log
    assert log.index("Training complete") < log.index("done: Completed")

    # The run's metrics, archived where KFP's persistence agent reads them. (KFP 2.16.1's
    # agent cannot read them in multi-user mode, so its record of a v1 run has none: its
    # ReadArtifact handler authorizes from gRPC metadata an HTTP request does not carry,
    # run_artifact_server.go; docs/sandbox.md says so.)
    objects = archived(sandbox, f"private-artifacts/{NAMESPACE}/{name}/")
    metrics = json.loads(
        untar_one(next(v for k, v in objects.items() if k.endswith("/mlpipeline-metrics.tgz")))
    )
    assert metrics == {"metrics": [{"name": "train-loss", "numberValue": 0.07, "format": "RAW"}]}
    summary = json.loads(
        untar_one(next(v for k, v in objects.items() if k.endswith("/mlpipeline-ui-metadata.tgz")))
    )
    card = summary["outputs"][0]["source"]
    assert "### Status timeline" in card and "| resourceConfig.instanceCount | 2 |" in card


def test_the_step_has_only_its_role_and_a_missing_verb_is_named(
    sandbox: dict[str, Any], api: Any, wave: dict[str, Started]
) -> None:
    for each in wave.values():  # alone: every other run of the module needs the verb
        each.finished()
    rbac_api = client.RbacAuthorizationV1Api(api)
    role_name = next(r["metadata"]["name"] for r in profile.manifests() if r["kind"] == "Role")
    role = rbac_api.read_namespaced_role(role_name, NAMESPACE)
    for rule in role.rules:
        if "trainingjobs" in (rule.resources or []):
            rule.verbs = [v for v in rule.verbs if v != "create"]
    rbac_api.replace_namespaced_role(role_name, NAMESPACE, role)
    try:
        done = run(sandbox, TAGGED)
    finally:
        profile.create(api)  # the Role as `ack-components rbac` makes it
    assert done.returncode == 1, done.stdout + done.stderr
    log = done.stdout.split("--- last lines of step sagemaker-trainingjob:", 1)[1]
    assert f"missing permission: create trainingjobs.{GROUP} in namespace {NAMESPACE!r}" in log


def test_the_controller_runs_as_users_deploy_it_and_doctor_passes_every_check(
    sandbox: dict[str, Any], api: Any
) -> None:
    pods = client.CoreV1Api(api).list_namespaced_pod("ack-system").items
    assert [(p.status.phase, p.spec.service_account_name) for p in pods] == [
        ("Running", "ack-sagemaker-controller")
    ]
    assert (
        pods[0]
        .spec.containers[0]
        .image.startswith("public.ecr.aws/aws-controllers-k8s/sagemaker-controller:")
    )
    engine = str(Path(sys.executable).parent / "ack-components")
    done = subprocess.run(
        [engine, "doctor", "--namespace", NAMESPACE, "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "KUBECONFIG": str(sandbox["root"] / "kubeconfig")},
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    checks = json.loads(done.stdout)
    assert {c["name"]: c["result"] for c in checks} == {
        "API server reachable": "ok",
        "SageMaker CRDs installed": "ok",
        "ACK controller running": "ok",
        "controller watches namespace": "ok",
        "permissions": "ok",
        "default region": "ok",
    }


ARTIFACTS = Path(os.environ.get("ACK_COMPONENTS_TEST_ARTIFACTS", REPO / "test-artifacts"))


def test_the_run_shows_in_the_kfp_ui_in_a_real_browser(
    sandbox: dict[str, Any], deployed: subprocess.CompletedProcess[str]
) -> None:
    """What a user looks for in the run's page: the graph with every step done, then a
    step's inputs and outputs, its logs (the job's own lines among them) and its UI
    metadata (the summary card, with the run metric: KFP 2.16.1 in multi-user mode lists
    no metrics of a v1 run, see the two-instance test)."""
    from ack_components_sandbox.testing import browser

    why_not = browser.unavailable()
    if why_not:
        pytest.fail(f"the UI check needs a browser: {why_not}")
    run_id = run_name(deployed.stdout)
    model_artifacts = json.loads(
        output_value(deployed.stdout, "sagemaker-trainingjob-model_artifacts")
    )["s3ModelArtifacts"]
    shots = ARTIFACTS / "kfp-ui"
    shots.mkdir(parents=True, exist_ok=True)
    with browser.page() as page:
        page.goto(kfp_ui.UIState.from_json(sandbox["kfp_ui"]).run_url(run_id))
        nodes = page.locator(".graphNode")
        nodes.nth(4).wait_for(timeout=60_000)
        labels = sorted(nodes.all_inner_texts())
        assert labels == [
            "Sagemaker - Endpoint",
            "Sagemaker - EndpointConfig",
            "Sagemaker - Model",
            "Sagemaker - TrainingJob",
            "Serving container",
        ], labels
        for i in range(nodes.count()):  # each step's status, as its icon's tooltip says it
            nodes.nth(i).locator("svg").first.hover()
            tooltip = page.get_by_role("tooltip").filter(has_text="Start:")
            said = tooltip.inner_text(timeout=10_000)
            # Finished without failing. KFP 2.16's UI calls a v1 step "taken from cache"
            # when its archived artifacts' keys do not hold the node's id, which Argo's pod
            # names (POD_NAMES=v2) never do: every v1 step on a 2.16 backend shows so.
            assert "End:" in said and (
                "Executed successfully" in said or "outputs were taken from cache" in said
            ), said
            page.mouse.move(0, 0)
            tooltip.wait_for(state="hidden")
        page.screenshot(path=shots / "run-graph.png")

        nodes.filter(has_text="TrainingJob").click()
        panel = page.get_by_test_id("run-details-node-details")
        panel.get_by_text("Output parameters").wait_for(timeout=30_000)
        shown = panel.inner_text()
        assert "model_artifacts" in shown and model_artifacts in shown, shown
        page.screenshot(path=shots / "step-input-output.png")

        page.get_by_role("button", name="Logs", exact=True).click()
        page.get_by_text("created TrainingJob").first.wait_for(timeout=30_000)
        page.get_by_text("Training complete").first.wait_for(timeout=30_000)  # the job's own log
        page.screenshot(path=shots / "step-logs.png")

        page.get_by_role("button", name="Visualizations", exact=True).click()
        page.get_by_role("heading", name="TrainingJob").wait_for(timeout=30_000)
        shown = panel.inner_text()
        assert "Completed" in shown and "Status timeline" in shown, shown
        # The run metric, on the card (KFP 2.16.1 lists none of a v1 run; see above).
        assert "Metrics" in shown and "train-loss" in shown and "0.07" in shown, shown
        hrefs = [link.get_attribute("href") or "" for link in panel.get_by_role("link").all()]
        region = "region=us-east-1"
        assert any(f"/sagemaker/home?{region}#/jobs/" in href for href in hrefs), hrefs
        assert any(f"/cloudwatch/home?{region}#logsV2:log-groups/" in href for href in hrefs)
        page.screenshot(path=shots / "step-visualizations.png")


def test_a_refused_step_shows_its_reason_in_the_kfp_ui(
    sandbox: dict[str, Any], wave: dict[str, Started]
) -> None:
    """The refused run's step in a real browser: its log's last line is the reason, and
    its Visualizations tab has the card saying it was refused, with the fix."""
    from ack_components_sandbox.testing import browser

    why_not = browser.unavailable()
    if why_not:
        pytest.fail(f"the UI check needs a browser: {why_not}")
    done = wave["refused"].finished()
    shots = ARTIFACTS / "kfp-ui"
    shots.mkdir(parents=True, exist_ok=True)
    with browser.page() as page:
        page.goto(kfp_ui.UIState.from_json(sandbox["kfp_ui"]).run_url(run_name(done.stdout)))
        step = page.locator(".graphNode").filter(has_text="TrainingJob")
        step.wait_for(timeout=60_000)
        step.click()
        panel = page.get_by_test_id("run-details-node-details")
        # On the step: the side panel's banner, from the container's termination message.
        banner = page.get_by_text("This step is in Failed state with this message:")
        banner.wait_for(timeout=30_000)
        shown = banner.inner_text()
        assert "Error (exit code 2): invalid inputs:" in shown, shown
        assert "did you mean 'instanceCount'?" in shown, shown
        page.get_by_role("button", name="Logs", exact=True).click()
        page.get_by_text("did you mean 'instanceCount'?").first.wait_for(timeout=30_000)
        # The viewer shows each line's number, then its text: the texts, in order.
        texts = [
            row
            for row in page.locator("#logViewer").inner_text().splitlines()
            if row.strip() and not row.strip().isdigit()
        ]
        (shots / "refused-step-log.txt").write_text("\n".join(texts) + "\n")
        # After the step's own last line, the reason, only Argo's executor writes: info
        # lines for each output it copies and tars, then its "Error: exit status 2".
        last = max(i for i, text in enumerate(texts) if "did you mean 'instanceCount'?" in text)
        after = texts[last + 1 :]
        assert after[-1] == "Error: exit status 2", texts
        assert all(re.match(r'time="[^"]+" level=info msg=', text) for text in after[:-1]), after
        assert not any("cannot save" in text for text in after), after
        page.screenshot(path=shots / "refused-step-logs.png")

        page.get_by_role("button", name="Visualizations", exact=True).click()
        page.get_by_role("heading", name="TrainingJob").wait_for(timeout=30_000)
        shown = panel.inner_text()
        assert "Refused" in shown and "did you mean 'instanceCount'?" in shown, shown
        page.screenshot(path=shots / "refused-step-visualizations.png")
