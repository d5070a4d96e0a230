"""The pure parts of `ack-components-sandbox run`: which function to compile, the Workflow
as submitted, and what is printed as a run goes (tests/integration/test_pipelines_on_argo.py
runs them on Argo)."""

from __future__ import annotations

import pytest

from ack_components_sandbox.kubeflow import pipelines

WORKFLOW = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Workflow",
    "metadata": {"generateName": "p-"},
    "spec": {
        "arguments": {"parameters": [{"name": "region", "value": "us-east-1"}]},
        "templates": [{"name": "step", "container": {"image": "x"}}, {"name": "p", "dag": {}}],
    },
}


def test_the_pipeline_function_is_the_one_the_file_decorates() -> None:
    source = (
        "from kfp import dsl\nfrom other import imported_pipeline\n"
        "@dsl.pipeline(name='a')\ndef mine(x: str): pass\n"
        "def helper(): pass\n"
    )
    assert pipelines.pipeline_functions(source) == ["mine"]


def test_the_submitted_workflow_runs_as_the_profile_account_with_the_given_parameters() -> None:
    submitted = pipelines.prepared(WORKFLOW, {"region": "eu-west-1"}, retries=2)
    assert submitted["spec"]["serviceAccountName"] == "default-editor"
    assert submitted["spec"]["arguments"]["parameters"] == [
        {"name": "region", "value": "eu-west-1"}
    ]
    step, dag = submitted["spec"]["templates"]
    assert step["retryStrategy"] == {"limit": 2} and "retryStrategy" not in dag
    assert "serviceAccountName" not in WORKFLOW["spec"]  # the compiled one is left as it was


def test_an_unknown_parameter_is_refused_with_the_known_ones() -> None:
    with pytest.raises(pipelines.PipelineError, match=r"no parameter regoin \(it has: region\)"):
        pipelines.prepared(WORKFLOW, {"regoin": "x"})


def status(phase: str, message: str = "", outputs: dict[str, str] | None = None) -> dict:
    node = {
        "id": "p-1",
        "displayName": "sagemaker-model",
        "type": "Pod",
        "phase": phase,
        "message": message,
        "outputs": {"parameters": [{"name": k, "value": v} for k, v in (outputs or {}).items()]},
    }
    return {"status": {"nodes": {"p-1": node, "p": {"id": "p", "type": "DAG", "phase": phase}}}}


def test_changes_print_each_step_phase_once_and_its_outputs_when_it_succeeds() -> None:
    seen, lines = pipelines.changes({}, status("Running"))
    assert lines == ["step sagemaker-model: Running"]
    seen, lines = pipelines.changes(seen, status("Running"))
    assert lines == []
    long = "x" * 300
    _, lines = pipelines.changes(seen, status("Succeeded", outputs={"name": "m-1", "big": long}))
    assert lines == [
        "step sagemaker-model: Succeeded",
        "  name = m-1",
        f"  big = {'x' * pipelines.SHOWN}…",
    ]


def test_a_failed_step_says_why() -> None:
    _, lines = pipelines.changes({}, status("Failed", "Step exceeded its deadline"))
    assert lines == ["step sagemaker-model: Failed: Step exceeded its deadline"]


def test_the_step_log_tail_leaves_out_the_executor_lines() -> None:
    log = (
        "created TrainingJob t\n"
        "failed: AlgorithmError\n"
        'time="2026-11-29T18:50:22.898Z" level=info msg="Taring /tmp/outputs/a/data"\n'
        "Error: exit status 1"
    )
    assert pipelines.step_lines(log, 2) == "failed: AlgorithmError\nError: exit status 1"
