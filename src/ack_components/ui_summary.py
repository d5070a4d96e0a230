"""The step's summary card in the Kubeflow Pipelines UI: what a user checks first.

KFP 1.8 renders each step's ``mlpipeline-ui-metadata`` output in the step's
Visualizations tab; a ``markdown`` output with inline storage becomes a card. This
one says how the step ended and why (outcome, the resource's status, the failure
reason), where to look next (the SageMaker console, the job's CloudWatch log, the S3
locations the job wrote to), what was asked for (the spec's key parameters) and when
each status was reached (the times the step saw them). Every value is escaped, so a
name with ``_`` or ``|`` cannot turn into emphasis or break the table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from ack_components import outputs, status
from ack_components.kinds import Kind

#: At most this many spec parameters are listed; longer values are cut.
MAX_PARAMETERS, MAX_VALUE = 16, 120
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>~])")


def escape(text: str) -> str:
    """``text`` shown as itself in markdown (one line)."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _shown(value: Any) -> str:
    text = (
        value
        if isinstance(value, str)
        else str(value).lower()
        if isinstance(value, bool)
        else str(value)
    )
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def key_parameters(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """The spec's scalar fields and those one level down (``resourceConfig.instanceType``),
    in the spec's order; lists and deeper structures are left to the resource itself."""
    rows: list[tuple[str, str]] = []
    for key, value in spec.items():
        if isinstance(value, dict):
            rows += [
                (f"{key}.{child}", _shown(inner))
                for child, inner in value.items()
                if not isinstance(inner, dict | list)
            ]
        elif not isinstance(value, list):
            rows.append((key, _shown(value)))
    return rows[:MAX_PARAMETERS]


def s3_console(uri: str) -> str:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return f"https://s3.console.aws.amazon.com/s3/buckets/{quote(bucket)}?prefix={quote(key)}"


def s3_locations(resource: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, s3 URI) of what the resource wrote: the S3 strings under its status, and
    under any spec field whose name says output."""
    found: list[tuple[str, str]] = []

    def walk(value: Any, path: str, wanted: bool) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, f"{path}.{key}" if path else key, wanted or "output" in key.lower())
        elif isinstance(value, list):
            for inner in value:
                walk(inner, path, wanted)
        elif wanted and isinstance(value, str) and value.startswith("s3://"):
            found.append((path, value))

    walk(resource.get("status") or {}, "", True)
    walk(resource.get("spec") or {}, "", False)
    return list(dict.fromkeys(found))


def utc(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S")


def table(rows: Sequence[tuple[str, str]], head: tuple[str, str] = ("", "")) -> str:
    lines = [f"| {head[0]} | {head[1]} |", "|---|---|"]
    lines += [f"| {label} | {value} |" for label, value in rows if value]
    return "\n".join(lines)


def markdown(
    kind: Kind,
    resource: dict[str, Any],
    region: str,
    name: str,
    outcome: str,
    timeline: Sequence[tuple[float, str]] = (),
    metrics: Sequence[tuple[str, float]] = (),
) -> str:
    """The card's text. ``metrics``: the run metrics the step reports, shown on the card
    too, where every KFP backend and engine shows them (KFP 2.16.1's runs list has none
    of an SDK 1.8 run's in multi-user mode)."""
    current = resource.get("status") or {}
    reason = status.failure_reason(kind, current)
    summary = [
        ("Outcome", escape(outcome)),
        ("Status", escape(status.progress(kind, current) or "")),
        ("Secondary status", escape(current.get("secondaryStatus", ""))),
        ("Failure reason", escape(reason)),
        ("ARN", escape((current.get("ackResourceMetadata") or {}).get("arn", ""))),
        *(
            (label.capitalize(), f"[open]({url})")
            for label, url in outputs.links(kind, region, name).items()
        ),
        *(
            (escape(where), f"[{escape(uri)}]({s3_console(uri)})")
            for where, uri in s3_locations(resource)
        ),
    ]
    parts = [f"## {escape(kind.name)} {escape(name)}", table(summary)]
    parameters = key_parameters(resource.get("spec") or {})
    if parameters:
        rows = [(escape(key), escape(value)) for key, value in parameters]
        parts += ["### Parameters", table(rows, ("Field", "Value"))]
    if metrics:
        rows = [(escape(metric), escape(_shown(value))) for metric, value in metrics]
        parts += ["### Metrics", table(rows, ("Name", "Value"))]
    if timeline:
        rows = [(utc(at), escape(what)) for at, what in timeline]
        parts += ["### Status timeline", table(rows, ("Time (UTC)", "Status"))]
    return "\n\n".join(parts) + "\n"


def card(source: str) -> dict[str, Any]:
    """KFP 1.8's ``mlpipeline-ui-metadata`` document of one inline markdown card."""
    return {"outputs": [{"type": "markdown", "storage": "inline", "source": source}]}


def without_verdict(title: str, outcome: str, message: str) -> dict[str, Any]:
    """The card of a step that ended before its resource had a verdict (refused input, a
    missing permission): the outcome, and what the step said, verbatim in a code block.
    ``title`` is the kind's name."""
    said = "\n".join(f"    {line}" for line in message.splitlines())
    outcome_table = table([("Outcome", escape(outcome))])
    return card(f"## {escape(title)}\n\n{outcome_table}\n\n{said}\n")
