"""SDK 2 pipelines on KFP 2.16's v2 engine: the same component files, loaded by KFP SDK 2.16.1.

On the run's shared sandbox (node_sandbox.py), as ``test_pipelines_on_kfp.py`` but through
the v2 API: `ack-components-sandbox run --v2` compiles each file with KFP SDK 2 and submits
the pipeline spec; KFP's API server compiles it onto the v2 engine (a driver pod before
each task, the launcher in each task's pod, ML Metadata recording them). The module's
runs start together (``wave``); each test checks its own.

Shown here: the SDK 2 deploy and training samples run to Succeeded, outputs passing by
their v2 types (a String into the next step, a JsonObject as a dict), one Create per
resource, the run metrics as the Metrics artifact's metadata in ML Metadata and the
summary card as the ``mlpipeline_ui_metadata`` artifact; the job's own log in the step's
log; terminating the run stops the job (one StopTrainingJob, no resource left); a step
the v2 engine retries after a SIGKILL re-attaches (one Create).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
from kfp_sandbox import (
    WHY_NOT,
    Started,
    calls,
    command,
    labelled_by_run,
    resources,
    run_name,
    step_processes,
    training_job_of,
    wait_for,
    workflow_name,
)
from kubernetes import client, config

from ack_components_sandbox.kubeflow import kfp_runs, kfp_ui, metadata, pipelines, profile

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples" / "kfp2"
TAGGED = Path(__file__).parent / "pipelines" / "kfp2" / "tagged_training.py"
MLMD_PYTHON = REPO / ".venv-mlmd" / "bin" / "python"
NAMESPACE = profile.NAMESPACE
SECONDS_TAG = "emulator.ack-components/seconds"
TRAINING_STEP = "sagemaker-trainingjob"

pytestmark = [
    pytest.mark.node,
    pytest.mark.skipif(WHY_NOT is not None, reason=f"no KFP on this machine: {WHY_NOT}"),
    pytest.mark.timeout(900),
    pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::PendingDeprecationWarning"),
]


def tags(**values: str) -> str:
    return "tags=" + json.dumps([{"key": k, "value": v} for k, v in values.items()])


@pytest.fixture(scope="module")
def api(sandbox: dict[str, Any]) -> Any:
    return config.new_client_from_config(config_file=str(sandbox["root"] / "kubeconfig"))


@pytest.fixture(scope="module")
def wave(sandbox: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Every run of the module, started at once: each test checks (or acts on) its own."""
    directory = tmp_path_factory.mktemp("kfp-v2-runs")
    runs = {
        "deploy": (SAMPLES / "deploy_pipeline.py",),
        "training": (SAMPLES / "training_pipeline.py", "-p", "bucket=sandbox-bucket"),
        "terminated": (TAGGED, "-p", tags(**{SECONDS_TAG: "600"})),
        "retried": (TAGGED, "-p", tags(**{SECONDS_TAG: "45"})),
    }
    started = {
        key: Started.start(command(sandbox, pipeline, "--v2", *args), directory / key)
        for key, (pipeline, *args) in runs.items()
    }
    yield started
    for each in started.values():
        each.stop()


def ml_metadata(sandbox: dict[str, Any], run_id: str) -> dict[str, Any]:
    """What ML Metadata holds of the run (``mlmd_read.py``, in MLMD's own virtualenv)."""
    mlmd = metadata.MetadataState.from_json(sandbox["metadata"])
    done = subprocess.run(
        [
            str(MLMD_PYTHON),
            str(Path(__file__).with_name("mlmd_read.py")),
            mlmd.host,
            str(mlmd.grpc_port),
            run_id,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(done.stdout)
    return found


def task_pods(api: Any, stdout: str, task: str) -> list[pipelines.Step]:
    """The pods that ran ``task`` (one per attempt), not its driver's."""
    workflow = pipelines.Run(api, NAMESPACE, workflow_name(stdout)).read()
    return [s for s in pipelines.steps(workflow) if s.name == task]


def main_log(api: Any, step: pipelines.Step) -> str:
    return str(client.CoreV1Api(api).read_namespaced_pod_log(step.pod, NAMESPACE, container="main"))


# The runs a test acts on come first, while their jobs still run.


def test_a_step_the_v2_engine_retries_re_attaches_with_one_create(
    sandbox: dict[str, Any], api: Any, wave: dict[str, Started]
) -> None:
    following = wave["retried"]
    made = training_job_of(api, following)
    job, pod = made["metadata"]["name"], made["metadata"]["labels"]["ack-components/step"]
    pids = wait_for("the step's process", lambda: step_processes(pod))
    for pid in pids:  # the step dies as a node crash or an OOM kill would end it
        os.kill(pid, signal.SIGKILL)
    done = following.finished(timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    attempts = task_pods(api, done.stdout, TRAINING_STEP)
    assert [s.phase for s in attempts] == ["Failed", "Succeeded"], attempts
    assert len(calls(sandbox, "CreateTrainingJob", job)) == 1
    trained = [r for r in resources(api, "trainingjobs") if r["metadata"]["name"] == job]
    assert trained[0]["status"]["trainingJobStatus"] == "Completed"
    assert f"re-attached to existing TrainingJob {NAMESPACE}/{job}" in main_log(api, attempts[-1])


def test_terminating_a_v2_run_stops_the_job_once_and_leaves_no_resource(
    sandbox: dict[str, Any], api: Any, wave: dict[str, Started]
) -> None:
    following = wave["terminated"]
    first = following.first_line()
    run_id = run_name(first)
    job = training_job_of(api, following)["metadata"]["name"]
    wait_for(
        "the CR to be InProgress",
        lambda: any(
            r.get("status", {}).get("trainingJobStatus") == "InProgress"
            for r in resources(api, "trainingjobs")
            if r["metadata"]["name"] == job
        ),
    )
    rest = kfp_runs.RestApi(sandbox["kfp_ui"]["url"])
    kfp_runs.KfpRun(api, rest, NAMESPACE, run_id, engine="v2").terminate()
    done = following.finished(timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    wait_for(
        "the TrainingJob CR to be gone",
        lambda: job not in [r["metadata"]["name"] for r in resources(api, "trainingjobs")],
    )
    stopped = [c for c in calls(sandbox, "StopTrainingJob", job) if not c.get("error")]
    assert len(stopped) == 1, stopped
    assert len(calls(sandbox, "CreateTrainingJob", job)) == 1
    state = wait_for(
        "KFP's record of the run to end",
        lambda: (
            kfp_runs.KfpRun(api, rest, NAMESPACE, run_id, "v2").state().get("state")
            in ("CANCELED", "FAILED")
        ),
    )
    assert state


def test_the_sdk2_deploy_sample_runs_to_succeeded_on_the_v2_engine(
    sandbox: dict[str, Any], api: Any, wave: dict[str, Started]
) -> None:
    done = wave["deploy"].finished()
    assert done.returncode == 0, done.stdout + done.stderr
    run_id = run_name(done.stdout)
    assert f"run {run_id}: Succeeded" in done.stdout
    assert "(v2 engine)" in done.stdout
    rest = kfp_runs.RestApi(sandbox["kfp_ui"]["url"])
    wait_for(
        "KFP's record of the run to be SUCCEEDED",
        lambda: kfp_runs.KfpRun(api, rest, NAMESPACE, run_id, "v2").state()["state"] == "SUCCEEDED",
    )

    # One resource per SageMaker step, each created once, named from the run's id (run_id's
    # default, which the API server filled in).
    mine = {
        plural: [
            r
            for r in resources(api, plural)
            if r["metadata"]["name"] in labelled_by_run(api, done.stdout, resources(api, plural))
        ]
        for plural in ("trainingjobs", "models", "endpointconfigs", "endpoints")
    }
    assert {plural: len(found) for plural, found in mine.items()} == dict.fromkeys(mine, 1)
    assert all(
        found[0]["metadata"]["annotations"]["ack-components/run-id"] == run_id
        for found in mine.values()
    )
    model = mine["models"][0]["spec"]["modelName"]
    config_name = mine["endpointconfigs"][0]["spec"]["endpointConfigName"]
    for operation, created in (("CreateModel", model), ("CreateEndpointConfig", config_name)):
        assert len(calls(sandbox, operation, created)) == 1
    # A String output (the model's name) and a JsonObject (the model artifacts) passed on.
    variants = mine["endpointconfigs"][0]["spec"]["productionVariants"]
    assert [v["modelName"] for v in variants] == [model]
    assert mine["endpoints"][0]["spec"]["endpointConfigName"] == config_name
    artifacts = mine["trainingjobs"][0]["status"]["modelArtifacts"]["s3ModelArtifacts"]
    assert mine["models"][0]["spec"]["primaryContainer"]["modelDataURL"] == artifacts

    # The job's own log in the step's log.
    [training] = task_pods(api, done.stdout, TRAINING_STEP)
    log = main_log(api, training)
    assert "created TrainingJob" in log and "Training complete" in log, log

    # What the v2 UI reads: the metrics as the Metrics artifact's metadata, the card as
    # the mlpipeline_ui_metadata artifact, every task's execution complete.
    recorded = ml_metadata(sandbox, run_id)
    metrics = [a for a in recorded["artifacts"] if a["type"] == "system.Metrics"]
    assert [m["properties"].get("train-loss") for m in metrics] == [0.07], metrics
    cards = [
        a
        for a in recorded["artifacts"]
        if a["properties"]["display_name"] == "mlpipeline_ui_metadata"
    ]
    assert len(cards) == 4, cards  # one per SageMaker step
    tasks = {e["task"]: e["state"] for e in recorded["executions"] if e["task"]}
    assert tasks == {
        "data-locations": tasks["data-locations"],  # COMPLETE, or CACHED from an earlier run
        "sagemaker-trainingjob": "COMPLETE",
        "serving-container": "COMPLETE",
        "sagemaker-model": "COMPLETE",
        "one-variant": "COMPLETE",
        "sagemaker-endpointconfig": "COMPLETE",
        "sagemaker-endpoint": "COMPLETE",
    }, tasks
    assert tasks["data-locations"] in ("COMPLETE", "CACHED")


def test_the_sdk2_training_sample_hands_on_the_model_location(
    sandbox: dict[str, Any], api: Any, wave: dict[str, Started]
) -> None:
    done = wave["training"].finished()
    assert done.returncode == 0, done.stdout + done.stderr
    [location_step] = task_pods(api, done.stdout, "model-location")
    printed = main_log(api, location_step)
    job = training_job_of(api, wave["training"])
    location = job["status"]["modelArtifacts"]["s3ModelArtifacts"]
    assert location.startswith("s3://sandbox-bucket/mnist_kmeans_example/output/")
    assert location in printed, printed
    assert len(calls(sandbox, "CreateTrainingJob", job["metadata"]["name"])) == 1


ARTIFACTS = Path(os.environ.get("ACK_COMPONENTS_TEST_ARTIFACTS", REPO / "test-artifacts"))


def test_the_v2_run_shows_in_the_kfp_ui_in_a_real_browser(
    sandbox: dict[str, Any], wave: dict[str, Started]
) -> None:
    """The v2 run's page, as a user looks at it: the graph of tasks and their artifacts
    (drawn from ML Metadata through its grpc-web), the run metric in the Metrics
    artifact's visualization, the summary card rendered from the UI metadata artifact,
    and the training task's logs with the job's own lines."""
    from ack_components_sandbox.testing import browser

    why_not = browser.unavailable()
    if why_not:
        pytest.fail(f"the UI check needs a browser: {why_not}")
    done = wave["deploy"].finished()
    shots = ARTIFACTS / "kfp-ui-v2"
    shots.mkdir(parents=True, exist_ok=True)
    with browser.page() as page:
        page.goto(kfp_ui.UIState.from_json(sandbox["kfp_ui"]).run_url(run_name(done.stdout)))
        for task in ("data-locations", "sagemaker-model", "one-variant", "sagemaker-endpoint"):
            page.get_by_text(task, exact=True).first.wait_for(timeout=60_000)
        page.screenshot(path=shots / "run-graph.png")

        page.get_by_text("mlpipeline_metrics", exact=True).first.click()
        page.get_by_text("Visualization", exact=True).click()
        page.get_by_text("Scalar Metrics: mlpipeline_metrics").wait_for(timeout=30_000)
        shown = page.inner_text("body")
        assert "train-loss" in shown and "0.07" in shown, shown
        page.screenshot(path=shots / "metrics.png")

        page.get_by_text("mlpipeline_ui_metadata", exact=True).first.click()
        page.get_by_text("Visualization", exact=True).click()
        page.get_by_text("Status timeline").first.wait_for(timeout=30_000)
        shown = page.inner_text("body")
        assert "Succeeded" in shown, shown
        page.screenshot(path=shots / "summary-card.png")

        page.get_by_text("sagemaker-trainingjob", exact=True).first.click()
        page.get_by_text("Logs", exact=True).first.click()
        page.get_by_text("created TrainingJob").first.wait_for(timeout=30_000)
        page.get_by_text("Training complete").first.wait_for(timeout=30_000)  # the job's own
        page.screenshot(path=shots / "step-logs.png")
