"""Updates of live resources through the real ACK controller: a new endpoint configuration, and
a model package's approval.

A re-run under the same name with a changed updatable input patches the custom resource;
the step must then wait until the controller has acted on the new spec (ACK keeps no
observed generation: ``.status`` changing after the patch is the sign), and end on the
status that speaks of the new spec. The emulator's call record shows what reached SageMaker.
"""

from __future__ import annotations

import time

from harness import Harness

from ack_components_sandbox.testing import samples
from ack_components_sandbox.testing.stack import Stack

MODEL_DATA = "s3://bucket/mnist_kmeans_example/output/model.tar.gz"
WAIT = 240


def deploy(real: Harness, kind: str, **inputs: str) -> tuple[int, str]:
    return real.start(kind=kind, **inputs).wait(timeout=WAIT)


def test_an_endpoint_moves_to_a_new_configuration(real: Harness, ack_stack: Stack) -> None:
    model = samples.as_inputs(samples.kmeans_model_spec(MODEL_DATA), model_name="upd-model")
    assert deploy(real, "Model", **model)[0] == 0
    for config in ("upd-config-a", "upd-config-b"):
        inputs = samples.as_inputs(
            samples.endpoint_config_spec("upd-model"), endpoint_config_name=config
        )
        code, log = deploy(real, "EndpointConfig", **inputs)
        assert code == 0, log
    endpoint = {"region": "us-east-1", "endpoint_name": "upd-endpoint"}
    code, log = deploy(real, "Endpoint", endpoint_config_name="upd-config-a", **endpoint)
    assert code == 0, log

    run = real.start(kind="Endpoint", endpoint_config_name="upd-config-b", **endpoint)
    code, log = run.wait(timeout=WAIT)
    assert code == 0, log
    assert "updated endpointConfigName" in log
    assert run.output("endpoint_status") == "InService"
    updates = ack_stack.calls("UpdateEndpoint", "upd-endpoint")
    assert len(updates) == 1, updates


def test_a_registered_model_is_approved_by_a_later_step(real: Harness, ack_stack: Stack) -> None:
    # A versioned package is named by ARN alone: its calls are told apart by time.
    started = time.time()
    group = samples.as_inputs(
        samples.model_package_group_spec(), model_package_group_name="upd-group"
    )
    assert deploy(real, "ModelPackageGroup", **group)[0] == 0
    package = samples.as_inputs(
        samples.model_package_spec("upd-group", MODEL_DATA), resource_name="upd-group-v1"
    )
    code, log = deploy(real, "ModelPackage", **package)
    assert code == 0, log

    approve = {**package, "model_approval_status": "Approved"}
    run = real.start(kind="ModelPackage", **approve)
    code, log = run.wait(timeout=WAIT)
    assert code == 0, log
    assert "updated modelApprovalStatus" in log
    assert run.output("model_package_status") == "Completed"
    assert len([c for c in ack_stack.calls("UpdateModelPackage") if c["time"] >= started]) == 1
    assert len([c for c in ack_stack.calls("CreateModelPackage") if c["time"] >= started]) == 1


def test_a_notebook_update_ends_once_the_instance_is_back_in_service(
    real: Harness, ack_stack: Stack
) -> None:
    # The controller stops an instance to change it, updates it, and starts it again; all the
    # while the status may still say InService. The step must not end before the restart.
    notebook = samples.as_inputs(
        samples.notebook_instance_spec(), notebook_instance_name="upd-notebook"
    )
    code, log = deploy(real, "NotebookInstance", **notebook)
    assert code == 0, log
    run = real.start(kind="NotebookInstance", **{**notebook, "instance_type": "ml.t3.large"})
    code, log = run.wait(timeout=WAIT)
    ended = time.time()
    assert code == 0, log
    assert "updated instanceType" in log
    operations = [c["operation"] for c in ack_stack.calls(name="upd-notebook")]
    assert operations.count("UpdateNotebookInstance") == 1, operations
    started = ack_stack.calls("StartNotebookInstance", "upd-notebook")
    assert started and started[-1]["time"] < ended, operations
