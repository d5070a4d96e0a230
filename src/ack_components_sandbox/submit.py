"""`ack-components-sandbox run PIPELINE.py`: a pipeline file run on the sandbox, as a user runs it.

It compiles the file (kfp 1.8; with ``--v2``, KFP SDK 2, and the run goes to KFP's v2
engine), submits it through the KFP API server where the sandbox has one (else an SDK 1.8
pipeline goes to Argo directly, or with ``--argo``), prints each step's phase as it changes and
the values each step hands on, and ends with the run's phase: exit 0 when it Succeeded. A
failed step's last log lines are printed. Ctrl-C (or SIGTERM) terminates the run the way
KFP's "terminate" does. The parts are ``kubeflow.pipelines`` and ``kubeflow.kfp_runs``;
this module only puts them together, above ``stack``, whose state says where KFP is.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from ack_components_sandbox import stack
from ack_components_sandbox.kubeflow import kfp_runs, profile
from ack_components_sandbox.kubeflow.pipelines import (
    FollowedRun,
    PipelineError,
    Run,
    compile_file,
    prepared,
    steps,
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
        description="Compile a KFP pipeline file and run it on the sandbox: through the "
        "KFP API server where the sandbox has one, else (SDK 1.8 only) on its Argo.",
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
        "--v2",
        action="store_true",
        help="an SDK 2 pipeline: compile it with KFP SDK 2 and run it on KFP's v2 engine",
    )
    parser.add_argument(
        "--cache",
        action="store_true",
        help="with --v2: let KFP reuse an earlier run's outputs for a task whose inputs match "
        "(kfp's enable_caching; off by default here, so each run runs its jobs)",
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

    kubeconfig = Path(args.dir) / "kubeconfig"
    if not kubeconfig.is_file():
        print(f"error: no sandbox at {args.dir}: run `ack-components-sandbox up`", file=sys.stderr)
        return 1
    ui_url = stack.read_state(Path(args.dir)).get("kfp_ui", {}).get("url")
    run: FollowedRun
    run_name = f"{args.pipeline.stem} {time.strftime('%Y-%m-%d %H:%M:%S')}"
    try:
        parameters = _parameters(args.parameters)
        api = config.new_client_from_config(config_file=str(kubeconfig))
        if args.v2 and (args.argo or args.retries is not None or not ui_url):
            raise PipelineError(
                "--v2 runs through the KFP API server only (no --argo, no --retries: an SDK 2 "
                "pipeline sets its retries with .set_retry)"
            )
        if args.v2:
            spec = kfp_runs.compile_v2(args.pipeline, args.function)
            kfp_run = kfp_runs.KfpRun.submit_v2(
                api, ui_url, spec, parameters, profile.NAMESPACE, run_name, caching=args.cache
            )
        else:
            workflow = prepared(
                compile_file(args.pipeline, args.function), parameters, retries=args.retries
            )
            if not ui_url or args.argo:
                run = Run.submit(api, workflow, profile.NAMESPACE)
                print(
                    f"run {run.name}: workflow {run.name} in namespace {run.namespace}", flush=True
                )
            else:
                kfp_run = kfp_runs.KfpRun.submit(
                    api, ui_url, workflow, parameters, profile.NAMESPACE, run_name
                )
        if ui_url and not args.argo:
            created = kfp_run.read().get("metadata", {}).get("name", "")
            print(
                f"run {kfp_run.name} in Kubeflow Pipelines ({kfp_run.engine} engine): workflow "
                f"{created} in namespace {kfp_run.namespace}",
                flush=True,
            )
            print(f"  {ui_url}/#/runs/details/{kfp_run.name}", flush=True)
            run = kfp_run
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
