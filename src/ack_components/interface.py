"""A component's inputs and outputs, derived from the kind table and the CRD schema.

Every top-level spec field becomes an input and every status field an output,
named in snake_case as the upstream components named them (``roleARN`` →
``role_arn``), so existing pipelines switch by changing the component file.
The engine's own options (timeouts, namespace, ...) are new inputs whose
defaults keep old pipelines working. Parsing input text (empty means "not
set") lives here too, with errors that name the input. JsonObject and JsonArray
inputs take strict JSON, as their type says: YAML, Python-style quotes,
trailing commas, NaN or a key given twice would otherwise be read as something
the user did not write (the last of two keys silently winning, say). Values the
API server cannot hold as given are refused here too, with the input and the JSON
path: text that is not valid UTF-8 (it would arrive as U+FFFD), integers outside
int64 and numbers outside float64 (a value too large would come back as another).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from ack_components.kinds import Kind

STRING, BOOL, INTEGER, FLOAT = "String", "Bool", "Integer", "Float"
JSON_OBJECT, JSON_ARRAY = "JsonObject", "JsonArray"

_SCHEMA_TYPES = {
    "string": STRING,
    "boolean": BOOL,
    "integer": INTEGER,
    "number": FLOAT,
    "object": JSON_OBJECT,
    "array": JSON_ARRAY,
}
#: A CRD field's input defaults to "not set": only what the user gave is rendered, and the
#: defaults are SageMaker's and the controller's (a ``false`` nobody asked for would be
#: refused by an older controller whose CRD lacks the field).
_EMPTY_DEFAULTS = {
    STRING: "",
    BOOL: "",
    INTEGER: "",
    FLOAT: "",
    JSON_OBJECT: "{}",
    JSON_ARRAY: "[]",
}


class InputError(ValueError):
    """An input's text cannot be used; the message names the input."""


@dataclass(frozen=True)
class Input:
    """One component input. ``field`` is the spec field it fills; None for an engine option."""

    name: str
    type: str
    description: str
    field: str | None = None
    required: bool = False
    default: str = ""
    #: The least value a number input takes (None: any).
    minimum: int | None = None
    #: A String input's values match this (a regular expression; "": any single-line text).
    pattern: str = ""
    #: What ``pattern`` stands for, for the message refusing a value.
    pattern_means: str = ""


@dataclass(frozen=True)
class Output:
    """One component output. ``field`` is the status field it reports; None for a derived one."""

    name: str
    type: str
    description: str
    field: str | None = None


#: An AWS region: us-east-1, us-gov-west-1, cn-northwest-1, eu-isoe-west-1, ...
REGION_PATTERN = r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}"

#: The region goes into the resource's region annotation and the links of the KFP UI, so
#: only a region's name is taken (``evil.example/#`` would otherwise become a link there).
REGION = Input(
    "region",
    STRING,
    "The AWS region for the SageMaker resource.",
    required=True,
    pattern=REGION_PATTERN,
    pattern_means="an AWS region name such as us-east-1",
)

RUN_ID = Input(
    "run_id",
    STRING,
    "Identity of the pipeline run; with the inputs it fixes the resource name when none is "
    "given, so a retried step re-attaches instead of starting a second job. KFP's API "
    "server makes the default the run's id (SDK 1.8 and SDK 2); elsewhere pass "
    "dsl.PIPELINE_JOB_ID_PLACEHOLDER.",
    default="{{workflow.uid}}",
)

#: Engine options: not in any CRD; defaults keep upstream pipelines' behaviour or better.
OPTIONS = (
    Input("namespace", STRING, "Namespace of the custom resource (default: the pod's own)."),
    RUN_ID,
    Input(
        "timeout_seconds",
        INTEGER,
        "Fail if not done within this many seconds (0: no limit).",
        default="0",
        minimum=0,
    ),
    Input(
        "status_timeout_seconds",
        INTEGER,
        "Fail if the ACK controller writes no .status within this many seconds (0: no limit).",
        default="180",
        minimum=0,
    ),
    Input(
        "recoverable_grace_seconds",
        INTEGER,
        "How long an ACK.Recoverable condition may last before the run fails.",
        default="600",
        minimum=0,
    ),
    Input(
        "leave_running_on_stop",
        BOOL,
        "When the step is stopped, leave the SageMaker job running instead of stopping it.",
        default="False",
    ),
)


def cluster_options(kind: Kind) -> tuple[Input, ...]:
    """The engine options of a kind the cluster runs: no ACK conditions, so no grace for
    ACK.Recoverable; its own controller named; stopping deletes the job and its pods."""
    named = {
        "status_timeout_seconds": (
            f"Fail if {kind.controller} writes no .status within this many seconds (0: no limit)."
        ),
        "leave_running_on_stop": (
            "When the step is stopped, leave the job running instead of deleting it."
        ),
    }
    return tuple(
        replace(option, description=named.get(option.name, option.description))
        for option in OPTIONS
        if option.name != "recoverable_grace_seconds"
    )


#: For the jobs that write CloudWatch logs (``Kind.writes_job_logs``).
STREAM_JOB_LOGS = Input(
    "stream_job_logs",
    BOOL,
    "Print the job's CloudWatch log (every instance's stream) into the step's log while it "
    "runs; needs logs:DescribeLogStreams and logs:GetLogEvents.",
    default="True",
)

#: For kinds SageMaker names by ARN alone (``Kind.name_field`` None): the handle a re-run
#: uses to find the resource again, e.g. to approve a model package it registered.
RESOURCE_NAME = Input(
    "resource_name",
    STRING,
    "Name of the custom resource (SageMaker gives this resource only an ARN); when empty, "
    "derived from run_id and the inputs. Give the same name again to update the resource.",
)

#: For a cluster workload (a PyTorchJob): the handle a re-run uses to find the job again.
JOB_NAME = Input(
    "resource_name",
    STRING,
    "Name of the job's custom resource; when empty, derived from run_id and the inputs, so a "
    "retried step re-attaches instead of starting a second job.",
)

#: For kinds whose pods run the work (``Kind.pod_label``).
STREAM_POD_LOGS = Input(
    "stream_job_logs",
    BOOL,
    "Print the job's pod logs (every replica's) into the step's log while it runs; needs get "
    "and list on pods and get on pods/log (`ack-components rbac --pytorchjobs`).",
    default="True",
)

#: Where a cluster job's script writes its model: each replica's ``MODEL_ARTIFACT_URL``,
#: handed on as ``model_artifacts``, in the form the TrainingJob component hands on
#: SageMaker's ``model.tar.gz``, so the next step takes either.
MODEL_ARTIFACT_URL = Input(
    "model_artifact_url",
    STRING,
    "Where the training script writes its model (an s3:// URI, e.g. .../model.tar.gz): "
    "every replica container gets it as the environment variable MODEL_ARTIFACT_URL, and the "
    "step hands it on in the output model_artifacts.",
)
MODEL_ARTIFACTS_OUTPUT = Output(
    "model_artifacts",
    JSON_OBJECT,
    "Where the job's model was written, as the TrainingJob component says it: "
    '{"s3ModelArtifacts": model_artifact_url} (null when none was given).',
)

#: A pipeline-engine placeholder left as it was: the engine did not substitute it.
UNSUBSTITUTED = re.compile(r"\{\{[^}]*\}\}")
#: A KFP v2 placeholder (``{{$.inputs.parameters['pipelinechannel--bucket']}}``). KFP 2.16's
#: launcher fills one nested in another input's value (a pipeline value inside a dict, a
#: list or an f-string) only when its map order happens to substitute the outer one first.
V2_PLACEHOLDER = re.compile(r"\{\{\$\.[^}]*\}\}")

SAGEMAKER_RESOURCE_NAME = Output(
    "sagemaker_resource_name", STRING, "The name of the SageMaker resource (given or derived)."
)
#: The same output for kinds SageMaker names by ARN alone (``Kind.name_field`` None).
ARN_AS_RESOURCE_NAME = Output(
    "sagemaker_resource_name", STRING, "The ARN of the SageMaker resource (it has no name)."
)
#: A cluster workload's name (given or derived).
JOB_NAME_OUTPUT = Output("resource_name", STRING, "The name of the job's custom resource.")


#: KFP v1 shows this output's markdown in its UI (the compiler maps the name to mlpipeline-ui-metadata).
UI_METADATA = Output("MLPipeline UI metadata", "UI metadata", "Markdown summary for the KFP UI.")
#: KFP v1 reads this output as the run's metrics (the compiler maps the name to
#: mlpipeline-metrics): shown in the runs list and compared across runs.
METRICS = Output(
    "MLPipeline Metrics",
    "Metrics",
    "Run metrics for the KFP UI: what SageMaker reports for the job.",
)


def kfp_outputs(kind: Kind) -> tuple[Output, ...]:
    """The outputs KFP's UI reads, after the status outputs of every component."""
    return (UI_METADATA, METRICS) if kind.metrics_source else (UI_METADATA,)


def optional_without_default(spec: Input) -> bool:
    """A number or bool input with no value to stand for "not set": component.yaml marks it
    optional and passes it only when given (KFP SDK v2 refuses ``''`` as their default)."""
    return spec.type in (INTEGER, FLOAT, BOOL) and spec.default == ""


def output_flag(output: Output) -> str:
    """The command-line flag that receives an output's path: ``--<name>_output_path``."""
    return "--" + re.sub(r"\W+", "_", output.name).lower() + "_output_path"


def snake_case(field: str) -> str:
    """ACK's camelCase field name → the upstream input name (``roleARN`` → ``role_arn``)."""
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", field)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", spaced).lower()


_NAME_DESCRIPTION = (
    "Name of the SageMaker resource; when empty, derived from run_id and the inputs, so a "
    "retried step finds the resource it created before."
)


#: A link in parentheses, as the CRDs' descriptions cite the SageMaker API reference.
_LINK = re.compile(r"\s*\(https?://[^)\s]*\)")
#: The first sentence: up to a stop (or the colon before a list) followed by the next
#: sentence's start, so "e.g. ml.m5" or "docs.aws.amazon.com" do not end it.
_FIRST_SENTENCE = re.compile(r"(.+?[.!?:])(?=\s+[A-Z(\"'`*]|\s*$)")


def describe(field: str, schema: dict[str, Any]) -> str:
    """A CRD field's description, short enough for ``--help`` and a table cell: its first
    sentence, whitespace collapsed and links left out; the field's name when it has none."""
    text = _LINK.sub("", " ".join(str(schema.get("description", "")).split()))
    found = _FIRST_SENTENCE.match(text)
    first = (found.group(1) if found else text).rstrip(":")
    if not first:
        return f"The {field} field of the custom resource."
    return first if first.endswith((".", "!", "?")) else first + "."


def inputs(kind: Kind, crd_schema: dict[str, Any]) -> tuple[Input, ...]:
    spec = crd_schema["properties"]["spec"]
    required = set(spec.get("required", ()))

    def input_type(field: str, schema: dict[str, Any]) -> str:
        if field in kind.json_text_fields:
            return JSON_OBJECT
        return _SCHEMA_TYPES[schema.get("type", "object")]

    def description(field: str, schema: dict[str, Any]) -> str:
        if field == kind.name_field:
            return _NAME_DESCRIPTION
        if field in kind.json_text_fields:
            return describe(field, schema) + " Give the JSON document; the resource gets its text."
        return describe(field, schema)

    fields = tuple(
        Input(
            name=snake_case(field),
            type=input_type(field, schema),
            description=description(field, schema),
            field=field,
            # The name may be left empty: it is then derived (naming.derived_name).
            required=field != kind.name_field
            and (field in required or snake_case(field) in kind.required_inputs),
            default=_EMPTY_DEFAULTS[input_type(field, schema)],
        )
        for field, schema in sorted(spec["properties"].items())
    )
    if not kind.on_sagemaker:
        logs = (STREAM_POD_LOGS,) if kind.pod_label else ()
        model = (MODEL_ARTIFACT_URL,) if kind.replica_specs_field else ()
        return (*fields, JOB_NAME, *model, *cluster_options(kind), *logs)
    handle = () if kind.name_field else (RESOURCE_NAME,)
    logs = (STREAM_JOB_LOGS,) if kind.writes_job_logs else ()
    return (REGION, *fields, *handle, *OPTIONS, *logs)


def outputs(kind: Kind, crd_schema: dict[str, Any]) -> tuple[Output, ...]:
    status = crd_schema["properties"]["status"]["properties"]
    fields = tuple(
        Output(
            snake_case(field),
            _SCHEMA_TYPES[schema.get("type", "object")],
            describe(field, schema),
            field,
        )
        for field, schema in sorted(status.items())
    )
    legacy = tuple(
        Output(
            snake_case(field),
            type_,
            "Kept for pipelines written for the upstream component; this CRD has no such "
            "field, so it is always absent (empty, or null for JSON).",
            field,
        )
        for field, type_ in kind.legacy_outputs
        if field not in status
    )
    if not kind.on_sagemaker:
        return (*fields, JOB_NAME_OUTPUT, MODEL_ARTIFACTS_OUTPUT)
    named = SAGEMAKER_RESOURCE_NAME if kind.name_field else ARN_AS_RESOURCE_NAME
    return (*fields, *legacy, named)


class _NotSet:
    def __repr__(self) -> str:
        return "NOT_SET"


NOT_SET: Any = _NotSet()


def parse_inputs(
    specs: Iterable[Input], raw: dict[str, str], owner: str
) -> tuple[dict[str, Any], list[str]]:
    """Each input's value from its text in ``raw`` or its default (NOT_SET where there is
    none), and a line for each input that cannot be parsed or is required and missing;
    raises InputError at once for names that are not inputs of ``owner``."""
    specs = list(specs)
    unknown = sorted(set(raw) - {spec.name for spec in specs})
    if unknown:
        raise InputError(f"unknown inputs: {', '.join(unknown)} (not inputs of {owner})")
    errors: list[str] = []
    values: dict[str, Any] = {}
    for spec in specs:
        try:
            values[spec.name] = parse(spec, raw.get(spec.name, spec.default))
        except InputError as error:
            errors.append(str(error))
            continue
        if spec.required and values[spec.name] is NOT_SET:
            errors.append(f"input {spec.name} is required")
        errors += [
            f"input {spec.name}: {path} is {_shown(text)}, a KFP v2 placeholder the launcher "
            "left unsubstituted (KFP 2.16 fills a pipeline value nested in a dict, a list or "
            "an f-string only by chance): pass the whole value from a pipeline parameter or "
            "a step's output"
            for path, text in placeholders_left(values[spec.name])
        ]
    return values, errors


def placeholders_left(value: Any, path: str = "$") -> list[tuple[str, str]]:
    """Each string in ``value`` (at any depth) that still holds a KFP v2 placeholder, with
    its JSON path."""
    if isinstance(value, str):
        return [(path, value)] if V2_PLACEHOLDER.search(value) else []
    if isinstance(value, dict):
        return [f for k, v in value.items() for f in placeholders_left(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [f for i, v in enumerate(value) for f in placeholders_left(v, f"{path}[{i}]")]
    return []


def refuse(errors: list[str]) -> None:
    """Raise one InputError listing every problem, if there is any."""
    if errors:
        raise InputError("invalid inputs:\n  " + "\n  ".join(errors))


def parse(spec: Input, text: str) -> Any:
    """Input text → value, or NOT_SET when empty (``''``, ``{}``, ``[]``, ``null``)."""
    parser = _PARSERS[spec.type]
    try:
        value = parser(text)
        if spec.minimum is not None and value is not NOT_SET and value < spec.minimum:
            raise InputError(f"must be {spec.minimum} or more, got {value}")
        if spec.pattern and value is not NOT_SET and not re.fullmatch(spec.pattern, value):
            raise InputError(
                f"{_shown(value)} is not {spec.pattern_means} (pattern {spec.pattern})"
            )
    except InputError as error:
        raise InputError(f"input {spec.name}: {error}") from None
    return value


#: C0 and C1 controls (C1 holds NEL, \x85, a line break) and the line/paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _string(text: str) -> Any:
    # A JSON string, as this project's outputs were written before String outputs became
    # their bare text: still taken, so a pipeline pinned to those components keeps working.
    if text.startswith('"'):
        try:
            decoded = json.loads(text)
        except ValueError:
            decoded = None
        if isinstance(decoded, str):
            text = decoded
    if text == "":
        return NOT_SET
    bad = next((i for i, c in enumerate(text) if _CONTROL.match(c)), None)
    if bad is not None:
        raise InputError(
            f"contains a control character ({text[bad]!r}) at position {bad}; "
            "string inputs are single-line text"
        )
    problem = _not_text(text)
    if problem:
        raise InputError(problem)
    return text


#: A UTF-16 surrogate on its own: what Python makes of bytes that are not UTF-8 in a
#: command line (``\udcff`` for 0xff), or of a JSON escape like ``"\ud800"``. It is no
#: character: the API server would store U+FFFD in its place, another value than given.
_SURROGATE = re.compile("[\ud800-\udfff]")
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
#: Deeper JSON is refused: no CRD nests so far, and the schema check and the renderer
#: would run out of stack on it (a traceback, not a message).
MAX_DEPTH = 100


def _not_text(text: str) -> str:
    """Why ``text`` is not valid Unicode text, or ""."""
    found = _SURROGATE.search(text)
    if found is None:
        return ""
    return (
        f"is not valid text: {found.group()!r} at position {found.start()} is a lone surrogate "
        "(bytes that are not UTF-8), which the API server would not keep as given"
    )


def _shown(value: Any, limit: int = 80) -> str:
    """A value for a message: its repr, cut at ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _unstorable(value: Any, path: str = "$", depth: int = 0) -> str:
    """Why a parsed JSON value cannot reach the API server as given, with where; or ""."""
    problem = ""
    if depth > MAX_DEPTH:
        return f"at {path[:80]}...: nested deeper than {MAX_DEPTH} levels"
    if isinstance(value, bool):
        pass
    elif isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
        problem = f"the integer {_shown(value)} is outside the 64-bit range the API server keeps"
    elif isinstance(value, float) and not math.isfinite(value):
        problem = (
            f"the number reads as {value!r}, which JSON cannot carry (beyond a 64-bit "
            "float's range, or not a number)"
        )
    elif isinstance(value, str) and _not_text(value):
        problem = f"the string {_not_text(value)}"
    elif isinstance(value, dict):
        for key, item in value.items():
            if _not_text(key):
                return f"at {path}: the key {_shown(key)} {_not_text(key)}"
            found = _unstorable(item, f"{path}.{key}", depth + 1)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _unstorable(item, f"{path}[{index}]", depth + 1)
            if found:
                return found
    return f"at {path}: {problem}" if problem else ""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise InputError(f"the key {key!r} is given twice in one JSON object")
        seen[key] = value
    return seen


def _no_constant(name: str) -> Any:
    raise InputError(f"not valid JSON: {name} is not a JSON value")


def _structured(expected: type, label: str) -> Any:
    def parse_structured(text: str) -> Any:
        if text.strip() == "":
            return NOT_SET
        try:
            value = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
        except json.JSONDecodeError as error:
            raise InputError(
                f"not valid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
            ) from None
        except InputError:
            raise
        except ValueError:  # an integer of more digits than Python converts
            raise InputError("not usable JSON: a number has more than 4300 digits") from None
        except RecursionError:
            raise InputError(f"not usable JSON: nested deeper than {MAX_DEPTH} levels") from None
        problem = _unstorable(value)
        if problem:
            raise InputError(problem)
        if value is None:  # an absent JSON output of an earlier step, chained in as it is
            return NOT_SET
        if not isinstance(value, expected):
            raise InputError(f"expected {label}, got {type(value).__name__}: {text[:80]!r}")
        return value or NOT_SET

    return parse_structured


def _boolean(text: str) -> Any:
    lowered = text.strip().lower()
    if lowered == "":
        return NOT_SET
    if lowered in ("true", "false"):
        return lowered == "true"
    raise InputError(f"expected true or false, got {text[:80]!r}")


def _number(kind: type) -> Any:
    def parse_number(text: str) -> Any:
        if text.strip() == "":
            return NOT_SET
        try:
            value = kind(text.strip())
        except ValueError:
            raise InputError(f"expected {kind.__name__}, got {text[:80]!r}") from None
        problem = _unstorable(value)
        if problem:  # outside int64, or a float that overflowed: said without the "$"
            raise InputError(problem.removeprefix("at $: "))
        return value

    return parse_number


_PARSERS = {
    STRING: _string,
    BOOL: _boolean,
    INTEGER: _number(int),
    FLOAT: _number(float),
    JSON_OBJECT: _structured(dict, "a JSON object"),
    JSON_ARRAY: _structured(list, "a JSON array"),
}
