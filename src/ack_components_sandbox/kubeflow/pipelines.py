"""A KFP v1 pipeline file as Kubeflow Pipelines handles it: compiled, submitted, followed.

``compile_file`` compiles the file with the kfp 1.8 SDK's own ``dsl-compile``;
``Run.submit`` hands the Workflow to Argo in the profile namespace under its
``default-editor`` service account (what KFP's API server does for a run in a
profile); ``FollowedRun.follow`` reports each step's phase as it changes and the values
each step hands on, until the run ends; ``terminate`` does what KFP's "terminate" does:
``spec.activeDeadlineSeconds: 0``, and Argo stops the steps' pods. The command that
puts these together is ``ack_components_sandbox.submit`` (`ack-components-sandbox run`).

The pure parts (picking the pipeline function, the submitted Workflow, the lines to
print for a status) are functions of their inputs; the API calls are at the edges.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ack_components_sandbox.kubeflow import profile

GROUP, VERSION, PLURAL = "argoproj.io", "v1alpha1", "workflows"
DONE = ("Succeeded", "Failed", "Error")
#: Longest output value printed whole; longer ones end in "…".
SHOWN = 240


class PipelineError(RuntimeError):
    """The pipeline could not be compiled or submitted; the message says why."""


def pipeline_functions(source: str) -> list[str]:
    """Names of the functions the file itself decorates with ``@dsl.pipeline``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                call = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(call, ast.Attribute) and call.attr == "pipeline":
                    found.append(node.name)
    return found


def compile_file(path: Path, function: str | None = None) -> dict[str, Any]:
    """The Workflow kfp 1.8's ``dsl-compile`` makes of ``path``."""
    compiler = shutil.which("dsl-compile", path=str(Path(sys.executable).parent)) or shutil.which(
        "dsl-compile"
    )
    if compiler is None:
        raise PipelineError(
            "compiling needs the kfp 1.8 SDK (dsl-compile): pip install kfp==1.8.22"
        )
    if function is None:
        defined = pipeline_functions(path.read_text())
        if len(defined) != 1:
            raise PipelineError(
                f"{path} defines {len(defined)} pipeline functions ({', '.join(defined)}): "
                "name one with --function"
            )
        function = defined[0]
    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "workflow.yaml"
        done = subprocess.run(
            [compiler, "--py", str(path), "--function", function, "--output", str(out)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise PipelineError(f"dsl-compile {path} failed:\n{done.stderr.strip()}")
        workflow: object = yaml.safe_load(out.read_text())
    if not isinstance(workflow, dict):
        raise PipelineError(f"dsl-compile {path} wrote no Workflow")
    return workflow


def prepared(
    workflow: dict[str, Any],
    parameters: dict[str, str],
    service_account: str = profile.SERVICE_ACCOUNT,
    retries: int | None = None,
) -> dict[str, Any]:
    """The Workflow as submitted: the run's parameters set, its steps run as the
    profile's service account; ``retries``, when given, is every step's retry limit."""
    result: dict[str, Any] = json.loads(json.dumps(workflow))
    spec = result["spec"]
    spec["serviceAccountName"] = service_account
    known = {p["name"] for p in spec.get("arguments", {}).get("parameters", [])}
    unknown = sorted(set(parameters) - known)
    if unknown:
        raise PipelineError(
            f"the pipeline has no parameter {', '.join(unknown)} (it has: {', '.join(sorted(known))})"
        )
    for parameter in spec.get("arguments", {}).get("parameters", []):
        if parameter["name"] in parameters:
            parameter["value"] = parameters[parameter["name"]]
    if retries is not None:
        for template in spec["templates"]:
            if "container" in template:
                template["retryStrategy"] = {"limit": retries}
    return result


@dataclass(frozen=True)
class Step:
    """One step (pod) of a run as Argo's status has it; ``pod`` is its pod's name."""

    id: str
    name: str
    phase: str
    message: str
    outputs: tuple[tuple[str, str], ...]
    started: str = ""
    pod: str = ""


def pod_name(workflow_name: str, node: dict[str, Any]) -> str:
    """The pod Argo made for ``node``, named as Argo's default (``POD_NAMES=v2``) names it:
    ``<workflow>-<template>-<the node id's hash>``, the workflow's name alone for a node
    that is the workflow itself."""
    if node.get("name") == workflow_name:
        return workflow_name
    suffix = str(node["id"]).rsplit("-", 1)[-1]
    template = node.get("templateName")
    if not template or ".inline" in str(node.get("name", "")):
        return f"{workflow_name}-{suffix}"
    return f"{workflow_name}-{template}-{suffix}"


#: The v2 engine's own templates: a driver pod before each task (its outputs are the
#: engine's: the pod spec patch, the execution id), and the pod that runs the task.
V2_DRIVERS = ("system-container-driver", "system-dag-driver")
#: A v2 task's pod, as Argo shows it: ``executor``, or ``executor(N)`` for a retried one.
V2_EXECUTOR = re.compile(r"^executor(\(\d+\))?$")


def step_name(node: dict[str, Any]) -> str:
    """A node's name as a user knows it: its display name, but for a v2 task's pod (an
    ``executor`` to Argo) its task's (``<workflow>.root.<task>.executor(0)``)."""
    display = str(node.get("displayName") or node.get("name", node["id"]))
    if V2_EXECUTOR.match(display) and "." in str(node.get("name", "")):
        return str(node["name"]).split(".")[-2]
    return display


def steps(workflow: dict[str, Any]) -> list[Step]:
    """The run's pods, in the order they started (a retried step: one per attempt)."""
    nodes = workflow.get("status", {}).get("nodes", {})
    workflow_name = str(workflow.get("metadata", {}).get("name", ""))
    found = []
    for node in nodes.values():
        if node.get("type") != "Pod":
            continue
        outputs = tuple(
            (p["name"], p.get("value", ""))
            for p in node.get("outputs", {}).get("parameters", [])
            if node.get("templateName") not in V2_DRIVERS
        )
        found.append(
            Step(
                node["id"],
                step_name(node),
                node.get("phase", ""),
                node.get("message", ""),
                outputs,
                node.get("startedAt") or "",
                pod_name(workflow_name, node),
            )
        )
    return sorted(found, key=lambda step: (step.started, step.name))


#: A line Argo's executor writes into the step's log (``time="…" level=info msg="Taring …"``).
_EXECUTOR_LINE = re.compile(r'^time="[^"]*" level=\w+ msg=')


def step_lines(log: str, lines: int) -> str:
    """The last ``lines`` lines the step itself wrote: Argo's executor also writes into the
    main container's log (saving each output), which would bury the step's own last words."""
    own = [line for line in log.splitlines() if not _EXECUTOR_LINE.match(line)]
    return "\n".join(own[-lines:])


def changes(before: dict[str, str], workflow: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """The lines to print for what changed since ``before`` (step id → phase and message)."""
    lines, now = [], {}
    for step in steps(workflow):
        now[step.id] = f"{step.phase} {step.message}"
        if before.get(step.id) == now[step.id]:
            continue
        detail = f": {step.message}" if step.message and step.phase != "Succeeded" else ""
        lines.append(f"step {step.name}: {step.phase}{detail}")
        if step.phase == "Succeeded":
            for name, value in step.outputs:
                shown = value if len(value) <= SHOWN else value[:SHOWN] + "…"
                lines.append(f"  {name} = {shown}")
    return now, lines


class FollowedRun:
    """A run being followed: its Workflow as last reported (``read``), its steps' logs.

    Two ways in: ``Run`` hands the Workflow to Argo itself, ``kfp_runs.KfpRun`` submits
    it to the KFP API server; both follow and stop it the same way.
    """

    name: str
    namespace: str

    def __init__(self, api: Any, namespace: str, name: str) -> None:
        from kubernetes import client

        self.core = client.CoreV1Api(api)
        self.namespace, self.name = namespace, name

    def read(self) -> dict[str, Any]:
        raise NotImplementedError

    def terminate(self) -> None:
        raise NotImplementedError

    def log_tail(self, step: Step, lines: int = 20) -> str:
        try:
            text: str = self.core.read_namespaced_pod_log(
                step.pod, self.namespace, container="main", tail_lines=500
            )
        except Exception as error:  # the pod may be gone; say so rather than fail the report
            return f"(no log: {error})"
        return step_lines(text, lines)

    def follow(
        self, timeout: float, echo: Callable[[str], None] = print, poll: float = 1.0
    ) -> dict[str, Any]:
        """Print the changes until the run ends (or ``timeout``); returns the last Workflow."""
        seen: dict[str, str] = {}
        deadline = time.monotonic() + timeout
        while True:
            workflow = self.read()
            seen, lines = changes(seen, workflow)
            for line in lines:
                echo(line)
            if workflow.get("status", {}).get("phase") in DONE:
                return workflow
            if time.monotonic() > deadline:
                raise TimeoutError(f"run {self.name} did not end within {timeout:.0f} s")
            time.sleep(poll)


class Run(FollowedRun):
    """A Workflow submitted to Argo directly, followed through the Kubernetes API."""

    def __init__(self, api: Any, namespace: str, name: str) -> None:
        from kubernetes import client

        super().__init__(api, namespace, name)
        self.custom = client.CustomObjectsApi(api)

    @classmethod
    def submit(cls, api: Any, workflow: dict[str, Any], namespace: str) -> Run:
        from kubernetes import client

        created = client.CustomObjectsApi(api).create_namespaced_custom_object(
            GROUP, VERSION, namespace, PLURAL, workflow
        )
        return cls(api, namespace, created["metadata"]["name"])

    def read(self) -> dict[str, Any]:
        workflow: dict[str, Any] = self.custom.get_namespaced_custom_object(
            GROUP, VERSION, self.namespace, PLURAL, self.name
        )
        return workflow

    def terminate(self) -> None:
        """What KFP 1.8's "terminate run" does (its ``TerminateWorkflow``)."""
        self.custom.patch_namespaced_custom_object(
            GROUP,
            VERSION,
            self.namespace,
            PLURAL,
            self.name,
            {"spec": {"activeDeadlineSeconds": 0}},
        )
