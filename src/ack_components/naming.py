"""Resource names: the rules Kubernetes and SageMaker enforce, and names that survive retries.

The upstream components generated ``<prefix>-<timestamp>-<random>`` when no
name was given, so a retried step started a second SageMaker job. Here a
missing name is derived from the run and the step's inputs, so the same step
retried in the same run finds the resource it created before.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class InvalidName(ValueError):
    """A name breaks a Kubernetes or SageMaker rule; the message says which and why."""


def _is_label(name: str) -> bool:
    return len(name) <= 63 and _DNS1123_LABEL.fullmatch(name) is not None


def check_sagemaker_name(input_name: str, value: str, pattern: str) -> None:
    if not re.fullmatch(pattern, value):
        raise InvalidName(
            f"input {input_name}: {value!r} is not a valid SageMaker name "
            f"(letters, digits and hyphens, starting and ending with a letter or digit; "
            f"pattern {pattern})"
        )


def metadata_name(sagemaker_name: str, input_name: str = "") -> str:
    """The CR's ``metadata.name``: SageMaker names are case-insensitive, Kubernetes' are lowercase.

    Underscores (feature group names allow them) become hyphens. Two SageMaker names
    that meet in one CR name cannot pass unnoticed: the spec holds the real name, so
    the second one fails as a spec conflict. ``input_name`` is the input the name came
    from: a SageMaker pattern may allow what no object name can (``a---b`` of 64 or
    more characters, a ``_`` at the end), and the refusal says which input to change.
    """
    name = sagemaker_name.lower().replace("_", "-")
    if not _is_label(name):
        where = f"input {input_name}: " if input_name else ""
        raise InvalidName(
            f"{where}{sagemaker_name!r} cannot be a Kubernetes object name, which names the "
            f"custom resource ({_LABEL_RULE}, once lowercased and with '_' as '-')"
        )
    return name


_LABEL_RULE = (
    "1-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit"
)


def check_metadata_name(input_name: str, value: str) -> str:
    """A custom resource name given as is: it must already be a lowercase DNS-1123 label."""
    if not _is_label(value):
        raise InvalidName(
            f"input {input_name}: {value!r} is not a valid Kubernetes object name ({_LABEL_RULE})"
        )
    return value


def check_namespace(value: str) -> str:
    """A namespace name is a DNS-1123 label; anything else would reach the API server as a
    URL path segment and come back as a misleading error (a missing CRD, say)."""
    if not _is_label(value):
        raise InvalidName(
            f"input namespace: {value!r} is not a valid namespace name (DNS-1123 label: "
            f"{_LABEL_RULE})"
        )
    return value


def derived_name(prefix: str, run_id: str, spec: dict[str, Any]) -> str:
    """A name fixed by the run and the step's inputs: the same again on a retry of that step.

    ``prefix`` is the kind's (``Kind.name_prefix``); the name is it plus 17 characters.
    """
    identity = json.dumps({"run": run_id, "spec": spec}, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
    return f"{prefix}-{digest}"


_LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")


def label_value(text: str) -> str:
    """``text`` if it is a valid label value, else a short digest of it (labels allow 63 chars)."""
    return text if _LABEL_VALUE.fullmatch(text) else hashlib.sha256(text.encode()).hexdigest()[:16]
