"""`make demo` as a new user runs it: `samples/demo.py`, start to finish, on its own sandbox.

The demo brings the whole sandbox up, submits the deploy sample with ``kfp.Client`` to
the local KFP API server, follows the run through the KFP API, prints the run's address
in the UI and what the run made, and takes the sandbox down. This checks what it printed
against what the run did, and that nothing of the sandbox is left on the machine. It runs
before the run's shared sandbox is up (tests/conftest.py orders it first): a machine
holds one node at a time.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from kfp_sandbox import WHY_NOT, output_value
from node_sandbox import assert_nothing_left, node_processes

from ack_components_sandbox.base import host

DEMO = Path(__file__).resolve().parents[2] / "samples" / "demo.py"

pytestmark = [
    pytest.mark.node,
    pytest.mark.skipif(WHY_NOT is not None, reason=f"no KFP on this machine: {WHY_NOT}"),
    pytest.mark.timeout(1800),
]

STEPS = (
    "sagemaker-trainingjob",
    "serving-container",
    "sagemaker-model",
    "sagemaker-endpointconfig",
    "sagemaker-endpoint",
)


def test_make_demo_deploys_through_kfp_and_takes_the_sandbox_down(tmp_path: Path) -> None:
    root = tmp_path / "sandbox"
    before = host.snapshot()
    assert not node_processes(), "another node runs on this machine"
    done = subprocess.run(
        [sys.executable, str(DEMO), "--dir", str(root)],
        capture_output=True,
        text=True,
        timeout=1700,
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr

    # Submitted with kfp.Client, followed through the KFP API to Succeeded.
    assert ".create_run_from_pipeline_func(deploy_pipeline, ...)" in out
    run_id = re.search(r"^run (\S+); followed through the KFP API:$", out, re.M)
    assert run_id, out
    assert re.search(rf"^run {run_id.group(1)}: Succeeded in \d+ s$", out, re.M), out
    address = re.search(
        rf"^the run in the KFP UI: (http://\S+)/#/runs/details/{run_id[1]}$", out, re.M
    )
    assert address, out
    for name in STEPS:
        assert f"step {name}: Succeeded" in out, out

    # The values passed between steps, and what they made, as kubectl shows it.
    model = output_value(out, "sagemaker-model-sagemaker_resource_name")
    config_name = output_value(out, "sagemaker-endpointconfig-sagemaker_resource_name")
    shown = out.split("=== kubectl get", 1)[1]
    assert re.search(rf"^model\.sagemaker\.services\.k8s\.aws/{re.escape(model)}\s", shown, re.M)
    assert re.search(rf"^endpointconfig\S*/{re.escape(config_name)}\s", shown, re.M), shown
    assert re.search(r"^endpoint\.sagemaker\.services\.k8s\.aws/\S+\s.*InService", shown, re.M)

    # The SageMaker calls the controller made, each resource created once.
    calls = out.split("=== what the ACK controller called in SageMaker", 1)[1]
    created = [line.split() for line in calls.splitlines() if line.strip().startswith("Create")]
    assert ["CreateModel", model] in created and ["CreateEndpointConfig", config_name] in created
    assert len(created) == len({tuple(c) for c in created}), calls

    # Down: the state file is gone, so nothing of this sandbox is running.
    assert "=== sandbox down" in out
    assert not (root / "state.json").exists()
    assert_nothing_left(root, before)
