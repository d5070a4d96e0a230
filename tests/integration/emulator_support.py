"""The SageMaker emulator as its own process, for the tests that drive it through botocore.

The tests run in the main venv; the emulator runs from ``.venv-emulator`` (built by
``make emulator``) with short lifecycles. Every response to an operation the emulator
answers itself (``OWN``) that a test receives through the ``sm`` fixture is also checked
against botocore's output shape.
"""

from __future__ import annotations

import json
import selectors
import signal
import subprocess
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError

from ack_components_sandbox.aws.emulator import shapes, tables

ROOT = Path(__file__).resolve().parents[2]
EMULATOR_PYTHON = ROOT / ".venv-emulator" / "bin" / "python"
TRAINING_SECONDS = 3.0
ROLE = "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker"
FAIL_TAG = "emulator.ack-components/fail"
PHASES = ["Starting", "Downloading", "Training", "Uploading"]
ENDPOINT_SECONDS = 4.0  # long enough that a Describe right after a change sees it
JOB_SECONDS = 3.0  # each phase of the lifecycle tables' kinds
TRAINING_OPS = {
    "CreateTrainingJob",
    "DescribeTrainingJob",
    "StopTrainingJob",
    "UpdateTrainingJob",
    "ListTrainingJobs",
}
HOSTING_OPS = {
    f"{verb}{kind}"
    for kind in ("Model", "EndpointConfig", "Endpoint")
    for verb in ("Create", "Describe", "Delete")
} | {"UpdateEndpoint"}
LIFECYCLE_OPS = tables.operations()
WORKTEAM_OPS = {f"{verb}Workteam" for verb in ("Create", "Describe", "Delete")} | {"ListWorkteams"}
# The operations the emulator answers itself; the rest are moto's, so their shapes are not
# this emulator's claim yet.
OWN = TRAINING_OPS | HOSTING_OPS | LIFECYCLE_OPS | WORKTEAM_OPS


@dataclass
class Emulator:
    url: str
    port: int
    process: subprocess.Popen[str]

    def control(self, path: str, method: str = "GET") -> Any:
        request = urllib.request.Request(
            self.url + path, method=method, data=b"" if method == "POST" else None
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def client(self, service: str) -> Any:
        return botocore.session.get_session().create_client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    if not EMULATOR_PYTHON.exists():
        pytest.fail(
            f"{EMULATOR_PYTHON} is missing: `make emulator` builds the emulator's venv (moto[server])"
        )
    log = tmp_path_factory.mktemp("emulator") / "stderr.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [
                str(EMULATOR_PYTHON),
                "-m",
                "ack_components_sandbox.aws.emulator",
                "--port",
                "0",
                "--training-seconds",
                str(TRAINING_SECONDS),
                "--endpoint-seconds",
                str(ENDPOINT_SECONDS),
                "--job-seconds",
                str(JOB_SECONDS),
            ],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        ready = selector.select(timeout=60)
    line = process.stdout.readline() if ready else ""
    if not line.startswith("listening on http://127.0.0.1:"):
        process.kill()
        pytest.fail(f"emulator did not start (first line {line!r}):\n{log.read_text()}")
    url = line.split()[-1]
    try:
        yield Emulator(url, int(url.rsplit(":", 1)[1]), process)
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=15)
        assert code == 0, log.read_text()


def record_responses(client: Any) -> list[tuple[Any, dict[str, Any]]]:
    """(operation model, raw response dict) for every response ``client`` gets, before parsing."""
    seen: list[tuple[Any, dict[str, Any]]] = []

    def hook(operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
        seen.append((operation_model, response_dict))

    client.meta.events.register("before-parse.*.*", hook)
    return seen


def shape_problems(seen: list[tuple[Any, dict[str, Any]]]) -> list[str]:
    found: list[str] = []
    for operation, response in seen:
        body = json.loads(response["body"] or b"{}")
        name = operation.name
        if name not in OWN:
            continue
        if response["status_code"] >= 300:
            if set(body) - {"__type", "message"} or not isinstance(body.get("__type"), str):
                found.append(f"{name}: error body {body}")
            continue
        if operation.output_shape is None:
            if body:
                found.append(f"{name}: body {body} for an operation without output")
            continue
        # AWS leaves ModelArtifacts out until a job has completed, although the model says required.
        completed = body.get("TrainingJobStatus") == "Completed"
        allow = () if completed or name != "DescribeTrainingJob" else ("ModelArtifacts",)
        if name == "DescribeModelPackage" and "ModelPackageVersion" in body:
            allow = ("ModelPackageName",)  # a versioned package is named by its ARN alone
        found += [
            f"{name}: {p}"
            for p in shapes.problems(body, operation.output_shape, allow_missing=allow)
        ]
    return found


@pytest.fixture()
def sm(emulator: Emulator) -> Iterator[Any]:
    client = emulator.client("sagemaker")
    seen = record_responses(client)
    yield client
    assert shape_problems(seen) == []


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def error_of(call: Callable[[], Any]) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value
