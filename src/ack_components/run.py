"""One component run, stage by stage: inputs → render → validate → apply → watch → outputs.

``prepare`` is pure: it turns input text into a validated custom resource, so
bad input fails before the cluster is contacted. ``run`` adds the I/O and owns
the signals: on SIGTERM/SIGINT it deletes the custom resource (the ACK
controller then stops the SageMaker job, or deletes the endpoint) unless asked
to leave it running, or another run created it (a step that only updated a
shared endpoint must not remove it).
While it waits it prints each change of the status value and of the ACK
conditions, with the controller's message: a step stuck on a missing model or
a denied permission says so as it happens, not only when it times out.
Exit codes: 0 done, 1 the resource failed or the run was stopped (or the
cluster could not take it: permission, CRD, connection), 2 bad input or a
conflict with an existing resource.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from kubernetes.client.exceptions import ApiException

from ack_components import (
    apply,
    interface,
    job_logs,
    kinds,
    kube,
    metrics,
    naming,
    outputs,
    pod_logs,
    render,
    replicas,
    schema,
    status,
    ui_summary,
    watch,
)
from ack_components.interface import NOT_SET, InputError
from ack_components.kinds import Kind
from ack_components.naming import InvalidName
from ack_components.watch import TICK, follow

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
STOP_WAIT_SECONDS = 120.0
#: How often the step's main thread looks at the recorded stop signal and its deadlines
#: while the watch runs on its own thread: a stop signal whose exception Python dropped
#: (raised inside a finalizer, which only prints it) is still acted on within this many
#: seconds, and looking costs no request.
STOP_CHECK_SECONDS = 1.0
MANAGED_BY = "ack-components"
#: Where Kubernetes reads a container's termination message (the pod spec's default path;
#: the kubelet creates the file in every container). Argo makes it the step's message,
#: which the KFP UI shows on the step: "Error (exit code 2): <why>".
TERMINATION_LOG_ENV, TERMINATION_LOG = "ACK_COMPONENTS_TERMINATION_LOG", "/dev/termination-log"
#: The most of a termination message the kubelet keeps.
TERMINATION_LOG_BYTES = 4096
#: The label and annotation naming the run that created a resource.
RUN_ID_KEY = "ack-components/run-id"


@dataclass(frozen=True)
class Prepared:
    """Everything decided before the cluster is contacted."""

    kind: Kind
    region: str
    namespace: str
    name: str
    resource: dict[str, Any]
    policy: status.Policy
    leave_running: bool
    stream_logs: bool = False
    #: Where a cluster job's script writes its model (its replicas' MODEL_ARTIFACT_URL).
    model_artifact_url: str = ""


class Interrupted(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


#: The stop signal received, if any (``_raise_interrupted`` records it before raising).
_received: list[int] = []


def prepare(kind: Kind, raw: dict[str, str], namespace: str, step: str = "") -> Prepared:
    """Input text → the custom resource; raises InputError or SpecInvalid listing every problem.

    ``step`` names the pipeline step's pod (empty outside a cluster); with the run id it
    labels the resource, so `kubectl get -l` finds what a run or a step created.
    """
    crd_schema = schema.bundled(kind.name)
    specs = {spec.name: spec for spec in interface.inputs(kind, crd_schema)}
    values = _parsed_inputs(kind, specs, raw, namespace)
    model_url = _text(values.get(interface.MODEL_ARTIFACT_URL.name, NOT_SET))
    spec_values = _spec_values(kind, specs, values, model_url)
    run_id = _text(values["run_id"])
    name, name_input, spec_values = _named(kind, values, spec_values, run_id)
    region = values["region"] if kind.on_sagemaker else ""
    labels, annotations = _marks(kind, region, run_id, step)
    resource = render.render(
        kind,
        spec_values,
        name=naming.metadata_name(name, name_input),
        namespace=namespace,
        labels=labels,
        annotations=annotations,
    )
    schema.validate_spec(resource["spec"], crd_schema)
    return Prepared(
        kind=kind,
        region=region,
        namespace=namespace,
        name=name,
        resource=resource,
        policy=_policy(specs, values),
        leave_running=values["leave_running_on_stop"] is True,
        stream_logs=values.get(interface.STREAM_JOB_LOGS.name) is True,
        model_artifact_url=model_url,
    )


def _text(value: Any) -> str:
    return "" if value is NOT_SET else str(value)


def _parsed_inputs(
    kind: Kind, specs: dict[str, interface.Input], raw: dict[str, str], namespace: str
) -> dict[str, Any]:
    """Each input's value (NOT_SET where none was given); raises InputError naming every
    unknown, unparsable or missing input at once."""
    # run_id's default is a placeholder only a pipeline engine fills; the CLI has none.
    given = {interface.RUN_ID.name: "", **raw}
    values, errors = interface.parse_inputs(specs.values(), given, kind.component_name)
    if interface.UNSUBSTITUTED.search(given[interface.RUN_ID.name]):
        # Left as is, it would give every run the same names: a new run would re-attach
        # to the last one's resources instead of creating its own.
        errors.append(
            f"input run_id: {given[interface.RUN_ID.name]!r} was not substituted by the "
            "pipeline engine (KFP's API server replaces it with the run's id); where no KFP "
            "API server runs the pipeline, pass run_id=dsl.PIPELINE_JOB_ID_PLACEHOLDER (SDK 2) "
            "or dsl.RUN_ID_PLACEHOLDER (SDK 1.8)"
        )
    try:
        naming.check_namespace(namespace)
    except InvalidName as error:
        errors.append(str(error))
    interface.refuse(errors)
    return values


def _spec_values(
    kind: Kind, specs: dict[str, interface.Input], values: dict[str, Any], model_url: str
) -> dict[str, Any]:
    """The spec fields the inputs set, as the resource takes them: a JSON document field as
    its text, a cluster job's replicas with the model location in their environment."""
    spec_values = {
        spec.field: values[spec.name]
        for spec in specs.values()
        if spec.field and values[spec.name] is not NOT_SET
    }
    for field in kind.json_text_fields & spec_values.keys():
        spec_values[field] = json.dumps(spec_values[field])
    field = kind.replica_specs_field
    if model_url and field and field in spec_values:
        spec_values[field] = replicas.with_env(
            spec_values[field], replicas.MODEL_ARTIFACT_URL_ENV, model_url
        )
    return spec_values


def _named(
    kind: Kind, values: dict[str, Any], spec_values: dict[str, Any], run_id: str
) -> tuple[str, str, dict[str, Any]]:
    """The resource's name, the input it came from (for errors), and the spec values with
    the SageMaker name field filled in where it was derived; raises InvalidName."""
    if kind.name_field is None:  # SageMaker names it by ARN; only the custom resource is named
        given = values[interface.RESOURCE_NAME.name]
        if given is not NOT_SET:
            return (
                naming.check_metadata_name(interface.RESOURCE_NAME.name, given),
                interface.RESOURCE_NAME.name,
                spec_values,
            )
        derived = naming.derived_name(kind.name_prefix, run_id, spec_values)
        return derived, interface.RESOURCE_NAME.name, spec_values
    if kind.name_field not in spec_values:
        derived = naming.derived_name(kind.name_prefix, run_id, spec_values)
        spec_values = {**spec_values, kind.name_field: derived}
    name, name_input = spec_values[kind.name_field], interface.snake_case(kind.name_field)
    naming.check_sagemaker_name(name_input, name, kind.name_pattern)
    return name, name_input, spec_values


def _marks(
    kind: Kind, region: str, run_id: str, step: str
) -> tuple[dict[str, str], dict[str, str]]:
    """The labels and annotations that say who made the resource and where it runs. A CLI
    run has no run id and no step: no empty label or annotation stands for them."""
    labels = {
        "app.kubernetes.io/managed-by": MANAGED_BY,
        **({RUN_ID_KEY: naming.label_value(run_id)} if run_id else {}),
        **({"ack-components/step": naming.label_value(step)} if step else {}),
    }
    annotations = {
        **({"services.k8s.aws/region": region} if kind.on_sagemaker else {}),
        **({RUN_ID_KEY: run_id} if run_id else {}),
        **({"ack-components/step": step} if step else {}),
    }
    return labels, annotations


def _policy(specs: dict[str, interface.Input], values: dict[str, Any]) -> status.Policy:
    def seconds(option: str) -> float:  # empty text means the option's default
        if option not in specs:  # an option the kind has not (a cluster job: no ACK grace)
            return float(getattr(status.Policy, option.removesuffix("_seconds")))
        value = values[option]
        return float(specs[option].default if value is NOT_SET else value)

    return status.Policy(
        status_timeout=seconds("status_timeout_seconds"),
        recoverable_grace=seconds("recoverable_grace_seconds"),
        timeout=seconds("timeout_seconds"),
    )


def run(
    kind_name: str,
    raw: dict[str, str],
    output_paths: dict[str, Path],
    kubeconfig: str | None = None,
    log: TextIO | None = None,
) -> int:
    """``log`` defaults to the ``sys.stdout`` of the moment (not of import time), so a caller
    that redirects it, as a test running the CLI in-process does, sees what the step says."""

    def say(message: str) -> None:
        print(message, file=log or sys.stdout, flush=True)

    kind = kinds.get(kind_name)

    def ended(message: str, code: int) -> int:
        """An end without a verdict: said, and every output written (empty, and a card
        with ``message``), so the engine saves them and the UI shows why."""
        say(message)
        outputs.write(_outputs_without_verdict(kind, message, code), output_paths)
        termination_message(message)
        return code

    try:
        namespace = kube.current_namespace(raw.get("namespace", ""), kubeconfig)
        in_cluster = bool(os.environ.get("KUBERNETES_SERVICE_HOST"))
        step = os.environ.get("HOSTNAME", "") if in_cluster else ""  # the step's pod name
        prepared = prepare(kind, raw, namespace, step)
    except (InputError, InvalidName, schema.SpecInvalid) as error:
        return ended(f"error: {error}", EXIT_BAD_INPUT)

    api = kube.api_client(kubeconfig)
    resources = kube.Resources(api, kind, namespace)
    try:
        served = schema.from_cluster(api, kind)
        if served is not None:
            schema.validate_spec(prepared.resource["spec"], served)
    except schema.SpecInvalid as error:
        return ended(f"error: {error}", EXIT_BAD_INPUT)
    except kube.ConnectionTrouble as error:
        return ended(f"error: {kube.unreachable(api, error)}", EXIT_FAILED)

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    _received.clear()
    for sig in previous:
        signal.signal(sig, _raise_interrupted)
    applied: list[apply.Applied] = []  # what the step found or made, once it has
    try:
        return _apply_and_follow(prepared, resources, output_paths, say, applied.append)
    except Interrupted as stop:
        return _on_interrupt(prepared, resources, stop, say, applied[0] if applied else None)
    except (apply.SpecConflict, schema.SpecInvalid) as error:
        return ended(f"error: {error}", EXIT_BAD_INPUT)
    except (kube.PermissionDenied, kube.KindNotServed) as error:
        return ended(f"error: {error}", EXIT_FAILED)
    except kube.ConnectionTrouble as error:  # a retried step re-attaches to what this one created
        return ended(f"error: {kube.unreachable(api, error)}", EXIT_FAILED)
    except ApiException as error:  # anything else the API server refused: say what it said
        return ended(f"error: {kube.refused(error)}", EXIT_FAILED)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _outputs_without_verdict(kind: Kind, message: str, code: int) -> dict[str, str]:
    """Every output of a step that ended before its resource had a verdict: each value
    empty (``{}`` or ``[]`` for JSON), no metrics, and the summary card saying why. Without the
    files Argo would print a "cannot save artifact" error per output after the step's
    own last line, and the UI would show only the exit code."""
    texts = outputs.values(interface.outputs(kind, schema.bundled(kind.name)), {}, None)
    outcome = "Refused" if code == EXIT_BAD_INPUT else "Failed"
    texts[interface.UI_METADATA.name] = json.dumps(
        ui_summary.without_verdict(kind.name, outcome, message)
    )
    if kind.metrics_source:
        texts[interface.METRICS.name] = json.dumps(metrics.document([]))
    return texts


def _run_id(resource: dict[str, Any]) -> str:
    """The run that created ``resource``; "" for a CLI run, which has none (older versions
    wrote an empty annotation, newer ones write none: both mean the same)."""
    return str((resource["metadata"].get("annotations") or {}).get(RUN_ID_KEY) or "")


def _raise_interrupted(signum: int, _frame: Any) -> None:
    """Raise ``Interrupted`` where the step is. Python runs the handler between any two
    bytecodes, a finalizer's too, where the exception would only be printed and dropped;
    so the signal is also recorded, and the follow loop raises it (``_stop_if_received``)."""
    _received.append(signum)
    raise Interrupted(signum)


def _stop_if_received() -> None:
    if _received:
        raise Interrupted(_received[0])


def _apply_and_follow(
    prepared: Prepared,
    resources: kube.Resources,
    output_paths: dict[str, Path],
    say: Callable[[str], None],
    on_applied: Callable[[apply.Applied], None],
) -> int:
    """The cluster stages in order: apply, follow to a verdict, outputs, the exit code."""
    applied = _apply(prepared, resources, say)
    on_applied(applied)
    followed = _follow(prepared, resources, applied, say)
    if applied.status_before_update is not None and followed.update_acted_on:
        _forget_update(resources, prepared.resource["metadata"]["name"])
    outputs.write(_output_texts(prepared, followed, say), output_paths)
    verdict = followed.verdict
    if isinstance(verdict, status.Done):
        say(f"{followed.elapsed} done: {verdict.status}")
        return EXIT_OK
    said = f"error: {verdict.reason}" + (f"\nhint: {verdict.hint}" if verdict.hint else "")
    say(said)
    termination_message(said)
    return EXIT_FAILED


def termination_message(message: str) -> None:
    """Leave why the step failed where the pod's status carries it (in a container only:
    the kubelet's file must be there; elsewhere nothing is written)."""
    path = Path(os.environ.get(TERMINATION_LOG_ENV) or TERMINATION_LOG)
    text = message.removeprefix("error: ").encode()[:TERMINATION_LOG_BYTES]
    if path.is_file():
        with contextlib.suppress(OSError):  # a read-only file: the log still says it
            path.write_text(text.decode(errors="ignore"))


def _apply(
    prepared: Prepared, resources: kube.Resources, say: Callable[[str], None]
) -> apply.Applied:
    """Create, re-attach or update the resource, and say which, with its console links."""
    kind, metadata_name = prepared.kind, prepared.resource["metadata"]["name"]
    applied = apply.apply(resources, prepared.resource)
    action = "created" if applied.created else "re-attached to existing"
    if applied.updated_fields:
        action += f" (updated {', '.join(applied.updated_fields)})"
    where = f" (SageMaker name {prepared.name})" if kind.on_sagemaker else ""
    say(f"{action} {kind.name} {prepared.namespace}/{metadata_name}{where}")
    for label, url in outputs.links(kind, prepared.region, prepared.name).items():
        say(f"  {label}: {url}")
    return applied


@dataclass(frozen=True)
class Followed:
    """What following the resource ended with."""

    verdict: status.Done | status.Failed
    #: The last snapshot seen (None: the resource was deleted).
    last: dict[str, Any] | None
    #: (wall time, status) as the step saw them, for the summary card.
    timeline: tuple[tuple[float, str], ...]
    #: Whether the controller acted on an update this step (or a killed try) made.
    update_acted_on: bool
    #: The step's elapsed time at the verdict, as its lines show it.
    elapsed: str
    #: Why the job's logs could not be read, if the step said so.
    logs_unavailable: str


def _follow(
    prepared: Prepared,
    resources: kube.Resources,
    applied: apply.Applied,
    say: Callable[[str], None],
) -> Followed:
    """Watch the resource (and print the job's log) until the kind's rules give a verdict,
    saying each condition and status change as it happens."""
    kind, metadata_name = prepared.kind, prepared.resource["metadata"]["name"]
    clock = time.monotonic
    follower = _job_logs(prepared, resources, say, clock)
    tracker = status.Tracker(started=clock(), status_before_update=applied.status_before_update)
    verdict: status.Verdict = status.Waiting(None, None, None)
    last: dict[str, Any] | None = applied.resource
    reported: dict[str, Any] | None = None  # the snapshot whose conditions were last reported
    shown: tuple[Any, ...] = ()
    timeline: list[tuple[float, str]] = []

    def elapsed() -> str:
        return f"[{clock() - tracker.started:7.1f}s]"

    # The watch runs on its own thread; this one wakes at least every STOP_CHECK_SECONDS
    # (a TICK) to look at the stop signal, the logs and the verdict's deadline.
    with watch.Background(resources, metadata_name, start=applied.resource) as watching:
        snapshot: Any = applied.resource
        while True:
            _stop_if_received()
            follower.poll()
            if snapshot is not TICK:
                last = snapshot
            if last is not None and last is not reported:
                for change in status.condition_changes(reported, last):
                    say(f"{elapsed()} {change}")
                reported = last
            tracker, verdict = status.assess(kind, last, tracker, clock(), prepared.policy)
            if not isinstance(verdict, status.Waiting):
                break
            seen = (verdict.status, verdict.secondary)
            if seen != shown and verdict.status is not None:
                shown = seen
                say(f"{elapsed()} {verdict.status} / {verdict.secondary or '-'}")
                timeline.append((time.time(), f"{verdict.status} / {verdict.secondary or '-'}"))
            snapshot = watching.next(STOP_CHECK_SECONDS)

    follower.poll(force=True)  # the job's last lines, before the verdict
    if isinstance(verdict, status.Done):
        timeline.append((time.time(), verdict.status))
    else:
        timeline.append((time.time(), f"failed: {verdict.reason}"))
    return Followed(
        verdict=verdict,
        last=last,
        timeline=tuple(timeline),
        update_acted_on=tracker.status_before_update is None,
        elapsed=elapsed(),
        logs_unavailable=follower.why_not,
    )


def _output_texts(
    prepared: Prepared, followed: Followed, say: Callable[[str], None]
) -> dict[str, str]:
    """Every output's text: the resource's status fields, the summary card, and the run
    metrics (read from SageMaker, the one AWS call here)."""
    kind, name = prepared.kind, prepared.name
    final = followed.last or {}
    arn = ((final.get("status") or {}).get("ackResourceMetadata") or {}).get("arn")
    texts = outputs.values(
        interface.outputs(kind, schema.bundled(kind.name)),
        final,
        name if kind.name_field or not kind.on_sagemaker else arn,
        {
            interface.MODEL_ARTIFACTS_OUTPUT.name: (
                {"s3ModelArtifacts": prepared.model_artifact_url}
                if prepared.model_artifact_url
                else None
            )
        },
    )
    outcome = "Succeeded" if isinstance(followed.verdict, status.Done) else "Failed"
    reported: list[tuple[str, float]] = []
    if kind.metrics_source:
        document = _metrics(prepared, final, say, said=followed.logs_unavailable)
        texts[interface.METRICS.name] = json.dumps(document)
        reported = [(m["name"], m["numberValue"]) for m in document["metrics"]]
    texts[interface.UI_METADATA.name] = json.dumps(
        ui_summary.card(
            ui_summary.markdown(
                kind, final, prepared.region, name, outcome, list(followed.timeline), reported
            )
        )
    )
    return texts


def _forget_update(resources: kube.Resources, name: str) -> None:
    """The controller has acted on the update: a retry of this step need not wait for it."""
    try:
        resources.patch(name, apply.update_acted_on())
    except ApiException as error:
        if error.status != 404:  # gone already: nothing to forget
            raise


def _metrics(
    prepared: Prepared, final: dict[str, Any], say: Callable[[str], None], said: str = ""
) -> dict[str, Any]:
    """The run metrics KFP's UI shows; none when unreadable, with a line saying why (unless
    the job logs' line ``said`` it already)."""
    try:
        found = metrics.collect(prepared.kind, final, prepared.region, prepared.name)
    except metrics.Unavailable as why:
        if str(why) != said:
            say(f"metrics: unavailable: {why}")
        found = []
    document = metrics.document(found)
    for metric in document["metrics"]:
        say(f"metric {metric['name']} = {metric['numberValue']}")
    return document


def _job_logs(
    prepared: Prepared,
    resources: kube.Resources,
    say: Callable[[str], None],
    clock: Callable[[], float],
) -> job_logs.Follower:
    """The job's own log (SageMaker's, or a cluster job's pods'), where the kind writes one
    and the input asks for it."""
    if not prepared.stream_logs:
        return job_logs.Follower(None, say, clock)
    if prepared.kind.pod_label:
        source = pod_logs.open_logs(
            resources.api,
            prepared.namespace,
            prepared.kind.pod_label,
            prepared.resource["metadata"]["name"],
            time.time,
        )
        return job_logs.Follower(source, say, clock, what="pod logs")
    try:
        logs = job_logs.open_logs(prepared.kind, prepared.region, prepared.name)
    except job_logs.Unavailable as why:
        return job_logs.Follower(None, say, clock, why_not=str(why))
    return job_logs.Follower(logs, say, clock)


def _on_interrupt(
    prepared: Prepared,
    resources: kube.Resources,
    stop: Interrupted,
    say: Callable[[str], None],
    applied: apply.Applied | None = None,
) -> int:
    """Delete the resource this run created, so the controller stops the job, then wait a
    while for it to go. The delete is the first request: under KFP's v2 engine the
    launcher dies at the same SIGTERM, and the container ends, with this step in it, as
    soon as Argo's emissary notices (within a second); so what the step applied is used
    as it is, with no read before the delete."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    kind, metadata_name = prepared.kind.name, prepared.resource["metadata"]["name"]
    if prepared.leave_running:
        say(f"stopped by {stop}: leaving {kind} {metadata_name} running as asked")
        return EXIT_FAILED
    try:
        existing = applied.resource if applied is not None else resources.get(metadata_name)
        if existing is None:
            say(f"stopped by {stop}: no {kind} {metadata_name} was created")
            return EXIT_FAILED
        creator = _run_id(existing)
        if creator != _run_id(prepared.resource):
            # Another run created it (this step only re-attached or updated): not ours to remove.
            who = f"run {creator!r}" if creator else "a run without run id"
            say(
                f"stopped by {stop}: leaving {kind} {metadata_name} in place: "
                f"{who} created it, not this run"
            )
            return EXIT_FAILED
        resources.delete(metadata_name)
        say(
            f"stopped by {stop}: deleting {kind} {metadata_name}, so the controller stops "
            "or deletes what it started in SageMaker"
        )
        deadline = time.monotonic() + STOP_WAIT_SECONDS
        for snapshot in follow(resources, metadata_name, lambda: deadline - time.monotonic()):
            if snapshot is None:
                say(f"{prepared.kind.name} {metadata_name} is gone")
                break
            if time.monotonic() >= deadline:
                say(
                    f"warning: {metadata_name} still has finalizers after {STOP_WAIT_SECONDS:.0f} s"
                )
                break
    except (ApiException, kube.PermissionDenied) as error:
        say(f"error: could not delete {metadata_name}: {error}")
    return EXIT_FAILED
