"""Every kind through the real ACK controller and the emulator: to its done state, and to failure.

The kinds refer to each other as a user's resources do (an endpoint to its configuration,
a schedule to its job definition, a user profile to its domain), so the steps run in
waves: each wave's steps run at once, as parallel pipeline steps do, and later waves take
what earlier steps output. Beside each step whose kind can fail runs a twin that asks the
emulator (by tag) to fail its resource; nothing depends on the twins. The waves run once
per module; each test reads the part of the result it is about.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from harness import Component, Harness
from kubernetes import client, config

from ack_components import kinds, schema
from ack_components.interface import snake_case
from ack_components_sandbox.testing import samples
from ack_components_sandbox.testing.stack import Stack

FAIL_TAG = "emulator.ack-components/fail"
REASON = "the emulator was asked to fail this"
#: How long a failing twin of a kind without a failure status is let retry.
RECOVERABLE_GRACE = 20
#: The controller re-checks most in-progress resources every 30 s, some every 60 s.
STEP_WAIT = 240

Outputs = dict[str, Component]


@dataclass(frozen=True)
class Step:
    kind: str
    name: str
    #: Inputs taken from earlier steps' outputs: input name → (step kind, output name).
    takes: dict[str, tuple[str, str]] = field(default_factory=dict)


WAVES: list[list[Step]] = [
    [
        Step("Model", "kmeans-model"),
        Step("Domain", "kmeans-domain"),
        Step("Pipeline", "kmeans-pipeline"),
        Step("ModelPackageGroup", "kmeans"),
        Step("TrainingJob", "kmeans-train"),
        Step("HyperParameterTuningJob", "kmeans-hpo"),
        Step("ProcessingJob", "kmeans-prep"),
        Step("LabelingJob", "kmeans-label"),
        Step("FeatureGroup", "kmeans-features"),
        Step("NotebookInstanceLifecycleConfig", "kmeans-lifecycle"),
        Step("NotebookInstance", "kmeans-notebook"),
        Step("Project", "kmeans-project"),
    ],
    [
        Step("EndpointConfig", "kmeans-config"),
        Step("TransformJob", "kmeans-transform"),
        Step("PipelineExecution", "kmeans-execution"),
        Step("ModelPackage", "kmeans-v1"),
        Step("UserProfile", "kmeans-user", {"domain_id": ("Domain", "domain_id")}),
        Step("Space", "kmeans-space", {"domain_id": ("Domain", "domain_id")}),
    ],
    [
        Step("Endpoint", "kmeans-endpoint"),
        Step("App", "default", {"domain_id": ("Domain", "domain_id")}),
    ],
    [
        Step("InferenceComponent", "kmeans-component"),
        Step("DataQualityJobDefinition", "kmeans-data-quality"),
        Step("ModelBiasJobDefinition", "kmeans-bias"),
        Step("ModelExplainabilityJobDefinition", "kmeans-explain"),
        Step("ModelQualityJobDefinition", "kmeans-quality"),
    ],
    [Step("MonitoringSchedule", "kmeans-schedule")],
]


#: The first test also runs every wave (the module's fixture).
pytestmark = pytest.mark.timeout(len(WAVES) * STEP_WAIT)


def test_the_waves_cover_every_kind_once() -> None:
    covered = [step.kind for wave in WAVES for step in wave]
    assert sorted(covered) == sorted(kinds.KINDS)


def taggable(kind: str) -> bool:
    """Whether the kind's Create takes tags (how the emulator is told to fail it)."""
    return "tags" in schema.bundled(kind)["properties"]["spec"]["properties"]


def inputs_for(step: Step, done: Outputs, fail: bool) -> dict[str, str]:
    kind = kinds.get(step.kind)
    name = f"{step.name}-fail" if fail else step.name
    inputs = samples.as_inputs(samples.spec_for(kind.name))
    inputs[snake_case(kind.name_field) if kind.name_field else "resource_name"] = name
    for input_name, (source, output) in step.takes.items():
        inputs[input_name] = json.dumps(done[source].output(output))
    if fail:
        tags = json.loads(inputs.get("tags", "[]"))
        inputs["tags"] = json.dumps([*tags, {"key": FAIL_TAG, "value": REASON}])
        if not kind.failed:  # no failure status: SageMaker refuses the Create, and ACK retries
            inputs["recoverable_grace_seconds"] = str(RECOVERABLE_GRACE)
    return inputs


@dataclass
class Results:
    done: dict[str, tuple[int, str]] = field(default_factory=dict)
    failed: dict[str, tuple[int, str]] = field(default_factory=dict)


def run_waves(harness: Harness) -> Results:
    outputs: Outputs = {}
    results = Results()
    for wave in WAVES:
        running = {
            step.kind: harness.start(kind=step.kind, **inputs_for(step, outputs, False))
            for step in wave
        }
        twins = {
            step.kind: harness.start(kind=step.kind, **inputs_for(step, outputs, True))
            for step in wave
            if taggable(step.kind)
        }
        for kind_name, component in running.items():
            results.done[kind_name] = component.wait(timeout=STEP_WAIT)
            outputs[kind_name] = component
        for kind_name, component in twins.items():
            results.failed[kind_name] = component.wait(timeout=STEP_WAIT)
    return results


@pytest.fixture(scope="module")
def every_kind(ack_stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Results]:
    api = config.new_client_from_config(config_file=str(ack_stack.kubeconfig))
    namespace = "e2e-every-kind"
    client.CoreV1Api(api).create_namespace({"metadata": {"name": namespace}})
    harness = Harness(ack_stack.plane, api, namespace, Path(tmp_path_factory.mktemp("every")))
    yield run_waves(harness)


def report(results: dict[str, tuple[int, str]], expected: int) -> str:
    wrong = {k: log for k, (code, log) in results.items() if code != expected}
    return "\n\n".join(
        f"--- {k}, expected exit {expected}:\n{log[-1500:]}" for k, log in wrong.items()
    )


@pytest.mark.parametrize("kind", list(kinds.KINDS), ids=str)
def test_the_kind_reaches_its_done_state(every_kind: Results, kind: str) -> None:
    code, log = every_kind.done[kind]
    assert code == 0, log


FAILING = [k.name for k in kinds.KINDS.values() if k.failed and taggable(k.name)]


@pytest.mark.parametrize("kind", FAILING, ids=str)
def test_an_injected_failure_fails_the_step_with_its_reason(every_kind: Results, kind: str) -> None:
    code, log = every_kind.failed[kind]
    assert code == 1, log
    assert any(f"error: {kind} {value}: " in log for value in kinds.get(kind).failed), log
    reported = schema.bundled(kind)["properties"]["status"]["properties"]
    if any(path.split(".")[0] in reported for path in kinds.get(kind).failure_reason_paths):
        assert REASON in log, log


REFUSED = [k.name for k in kinds.KINDS.values() if not k.failed and taggable(k.name)]


@pytest.mark.parametrize("kind", REFUSED, ids=str)
def test_a_refused_create_fails_the_step_after_the_grace_with_its_reason(
    every_kind: Results, kind: str
) -> None:
    code, log = every_kind.failed[kind]
    assert code == 1, log
    assert "error: ACK.Recoverable for " in log, log
    assert REASON in log, log


def test_nothing_was_created_twice(every_kind: Results, ack_stack: Stack) -> None:
    creates = [c for c in ack_stack.calls() if c["operation"].startswith(("Create", "Start"))]
    # A refused Create is retried by the controller, as it should be: only real ones count.
    retried = {f"{step.name}-fail" for wave in WAVES for step in wave if step.kind in REFUSED}
    names = [c["name"] for c in creates if c["name"] is not None and c["name"] not in retried]
    assert sorted({n for n in names if names.count(n) > 1}) == []
