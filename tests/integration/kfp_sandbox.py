"""What the modules that run pipelines through the sandbox's Kubeflow Pipelines share:
why a machine cannot, runs started side by side on the run's shared sandbox, reading what
`ack-components-sandbox run` printed (the run, its Workflow, the outputs passed between
steps), finding what one run made among the others' (by its run id), the SageMaker calls
the emulator saw, and a step's own process on the node."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubernetes import client

from ack_components import naming
from ack_components.run import RUN_ID_KEY
from ack_components_sandbox.cluster import component_image, node
from ack_components_sandbox.kubeflow import argo, database, kfp_backend, kfp_ui, pipelines, profile

#: Why KFP cannot run here (something not built or installed), or None.
WHY_NOT = (
    node.unavailable()
    or component_image.unavailable()
    or argo.unavailable()
    or kfp_backend.unavailable()
    or database.unavailable()
    or kfp_ui.unavailable()
)
SANDBOX_CLI = str(Path(sys.executable).parent / "ack-components-sandbox")
GROUP, VERSION = "sagemaker.services.k8s.aws", "v1alpha1"


def command(sandbox: dict[str, Any], pipeline: Path, *args: str) -> list[str]:
    return [SANDBOX_CLI, "run", str(pipeline), "--dir", str(sandbox["root"]), *args]


def run_name(stdout: str) -> str:
    """The run's id (KFP's; for ``--argo``, the Workflow's name)."""
    first = stdout.splitlines()[0]
    assert first.startswith("run "), stdout
    return first.split()[1].rstrip(":")


def workflow_name(stdout: str) -> str:
    found = re.search(r"workflow (\S+) in namespace", stdout)
    assert found, stdout
    return found.group(1)


def output_value(stdout: str, output: str) -> str:
    """An output a step passed on, as `run` printed it (``<step>-<output> = <value>``)."""
    for line in stdout.splitlines():
        if line.strip().startswith(f"{output} = "):
            return line.split(" = ", 1)[1]
    raise AssertionError(f"no output {output} in:\n{stdout}")


def wait_for(what: str, check: Any, timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def completed(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=800)


@dataclass
class Started:
    """A run of `ack-components-sandbox run` going on beside others: what it prints goes
    to files (a pipe nobody reads could block it), read when the test needs them."""

    process: subprocess.Popen[str]
    stdout: Path
    stderr: Path

    @classmethod
    def start(cls, command: list[str], directory: Path) -> Started:
        directory.mkdir(parents=True)
        out, err = directory / "stdout", directory / "stderr"
        with out.open("w") as stdout, err.open("w") as stderr:
            process = subprocess.Popen(command, stdout=stdout, stderr=stderr, text=True)
        return cls(process, out, err)

    def first_line(self) -> str:
        """The run's first line (its id and Workflow), once it is printed."""

        def printed() -> str:
            text = self.stdout.read_text()
            if "\n" not in text and self.process.poll() is not None:
                raise AssertionError(f"the run ended first: {text}{self.stderr.read_text()}")
            return text.split("\n", 1)[0] if "\n" in text else ""

        return str(wait_for("the run's first line", printed))

    def finished(self, timeout: float = 800) -> subprocess.CompletedProcess[str]:
        """What the run printed, once it ended (killed after ``timeout``)."""
        try:
            self.process.wait(timeout=timeout)
        finally:
            self.process.kill()
            self.process.wait()
        return subprocess.CompletedProcess(
            self.process.args,
            self.process.returncode,
            self.stdout.read_text(),
            self.stderr.read_text(),
        )

    def stop(self) -> None:
        """End the run if it still goes on, as Ctrl-C does: KFP terminates it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def labelled_by_run(api: Any, printed: str, resources: list[dict[str, Any]]) -> list[str]:
    """The names of the ``resources`` a step of the run made, the run as `run` ``printed``
    it: its steps label them with the run's id, ``{{workflow.uid}}``, which KFP's API
    server replaces with its own run id (Argo, given a Workflow directly, with the
    Workflow's uid)."""
    workflow = pipelines.Run(api, profile.NAMESPACE, workflow_name(printed)).read()
    ids = {naming.label_value(run_name(printed)), naming.label_value(workflow["metadata"]["uid"])}
    return [
        r["metadata"]["name"]
        for r in resources
        if r["metadata"].get("labels", {}).get(RUN_ID_KEY) in ids
    ]


def calls(sandbox: dict[str, Any], operation: str, name: str | None = None) -> list[Any]:
    with urllib.request.urlopen(f"{sandbox['emulator']['url']}/_emulator/calls") as reply:
        found: list[dict[str, Any]] = json.loads(reply.read())
    return [
        call
        for call in found
        if call["operation"] == operation and (name is None or call["name"] == name)
    ]


def resources(api: Any, plural: str) -> list[dict[str, Any]]:
    listed = client.CustomObjectsApi(api).list_namespaced_custom_object(
        GROUP, VERSION, profile.NAMESPACE, plural
    )
    items: list[dict[str, Any]] = listed["items"]
    return items


def training_job_of(api: Any, started: Started) -> dict[str, Any]:
    """The TrainingJob custom resource the run's step made, once it is there."""
    first = started.first_line()

    def made() -> list[dict[str, Any]]:
        jobs = resources(api, "trainingjobs")
        mine = labelled_by_run(api, first, jobs)
        return [job for job in jobs if job["metadata"]["name"] in mine]

    job: dict[str, Any] = wait_for("the step's TrainingJob", made, timeout=300)[0]
    return job


def step_processes(pod: str) -> list[int]:
    """PIDs of `ack-components run` in the step's pod ``pod`` (its HOSTNAME): other runs'
    steps, and the light tests' own steps on the host, are left alone."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            environ = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        text = [a.decode(errors="replace") for a in argv]
        if (
            any(a.endswith("/ack-components") for a in text)
            and "run" in text
            and f"HOSTNAME={pod}".encode() in environ
        ):
            found.append(int(proc.name))
    return found
