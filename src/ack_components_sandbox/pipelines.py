"""Run a KFP v1 pipeline file on the sandbox as Kubeflow Pipelines would: compile, submit, follow.

`ack-components-sandbox run PIPELINE.py` compiles the file with the kfp 1.8 SDK's own
``dsl-compile``, submits the Workflow to Argo in the profile namespace under its
``default-editor`` service account (what KFP's API server does for a run in a
profile), then prints each step's phase as it changes and the values each step hands
on, and ends with the run's phase: exit 0 when it Succeeded. A failed step's last log
lines are printed. Ctrl-C (or SIGTERM) terminates the run the way KFP's "terminate"
does: ``spec.activeDeadlineSeconds: 0``; Argo then stops the steps' pods.

The pure parts (picking the pipeline function, the submitted Workflow, the lines to
print for a status) are functions of their inputs; the API calls are at the edges.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import yaml

from ack_components_sandbox import profile

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
    """One step (pod) of a run as Argo's status has it."""

    id: str
    name: str
    phase: str
    message: str
    outputs: tuple[tuple[str, str], ...]
    started: str = ""


def steps(workflow: dict[str, Any]) -> list[Step]:
    """The run's pods, in the order they started (a retried step: one per attempt)."""
    nodes = workflow.get("status", {}).get("nodes", {})
    found = []
    for node in nodes.values():
        if node.get("type") != "Pod":
            continue
        outputs = tuple(
            (p["name"], p.get("value", "")) for p in node.get("outputs", {}).get("parameters", [])
        )
        found.append(
            Step(
                node["id"],
                node.get("displayName") or node.get("name", node["id"]),
                node.get("phase", ""),
                node.get("message", ""),
                outputs,
                node.get("startedAt") or "",
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
                step.id, self.namespace, container="main", tail_lines=500
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


def _parameters(pairs: Sequence[str]) -> dict[str, str]:
    values = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise PipelineError(f"-p {pair!r}: expected NAME=VALUE")
        values[name] = value
    return values


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="ack-components-sandbox run",
        description="Compile a KFP v1 pipeline file and run it on the sandbox: through the "
        "KFP API server where the sandbox has one, else on its Argo.",
        allow_abbrev=False,
    )
    parser.add_argument("pipeline", type=Path, help="a Python file defining a @dsl.pipeline")
    parser.add_argument("--function", help="the pipeline function (when the file has several)")
    parser.add_argument("-p", dest="parameters", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument(
        "--retries",
        type=int,
        default=None,
        help="give every step Argo's retryStrategy with this limit",
    )
    parser.add_argument(
        "--argo",
        action="store_true",
        help="hand the Workflow to Argo directly, not through the KFP API server",
    )
    parser.add_argument("--dir", default=".sandbox", help="the sandbox's directory")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds (default 1800)")
    args = parser.parse_args(argv)
    from kubernetes import config

    from ack_components_sandbox import kfp_runs, stack

    kubeconfig = Path(args.dir) / "kubeconfig"
    if not kubeconfig.is_file():
        print(f"error: no sandbox at {args.dir}: run `ack-components-sandbox up`", file=sys.stderr)
        return 1
    ui_url = stack.read_state(Path(args.dir)).get("kfp_ui", {}).get("url")
    run: FollowedRun
    try:
        parameters = _parameters(args.parameters)
        workflow = prepared(
            compile_file(args.pipeline, args.function), parameters, retries=args.retries
        )
        api = config.new_client_from_config(config_file=str(kubeconfig))
        if ui_url and not args.argo:
            run = kfp_runs.KfpRun.submit(
                api,
                kfp_runs.client(ui_url, profile.NAMESPACE),
                workflow,
                parameters,
                profile.NAMESPACE,
                f"{args.pipeline.stem} {time.strftime('%Y-%m-%d %H:%M:%S')}",
            )
            created = run.read().get("metadata", {}).get("name", "")
            print(
                f"run {run.name} in Kubeflow Pipelines: workflow {created} "
                f"in namespace {run.namespace}",
                flush=True,
            )
            print(f"  {ui_url}/#/runs/details/{run.name}", flush=True)
        else:
            run = Run.submit(api, workflow, profile.NAMESPACE)
            print(f"run {run.name}: workflow {run.name} in namespace {run.namespace}", flush=True)
    except PipelineError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1

    def terminate(signum: int, frame: FrameType | None) -> None:
        print(f"terminating run {run.name}", flush=True)
        run.terminate()

    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGINT, terminate)
    started = time.monotonic()
    try:
        final = run.follow(args.timeout, echo=lambda line: print(line, flush=True))
    except TimeoutError as error:
        print(f"error: {error}; terminating it", file=sys.stderr)
        run.terminate()
        final = run.follow(120.0, echo=lambda line: print(line, flush=True))
    phase = final["status"]["phase"]
    for step in steps(final):
        if step.phase in ("Failed", "Error"):
            print(f"--- last lines of step {step.name}:\n{run.log_tail(step).rstrip()}")
    message = final["status"].get("message", "")
    print(
        f"run {run.name}: {phase}{': ' + message if message else ''} "
        f"in {time.monotonic() - started:.1f} s"
    )
    return 0 if phase == "Succeeded" else 1
