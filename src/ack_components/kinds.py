"""The one table of SageMaker kinds: everything kind-specific that drives behaviour.

Each entry says where the kind lives in the Kubernetes API, which status field
tells its progress and which values of it mean done, failed or still going,
which spec fields may change on a live resource, and how the component that
runs it is named. Inputs and outputs are not listed here: they are derived
from the CRD schema (``interface.py``), so the table stays small and cannot
drift from the CRDs. A new kind is an entry here plus a generated template.

Ground floor: imports nothing of ours.
"""

from __future__ import annotations

from dataclasses import dataclass

GROUP = "sagemaker.services.k8s.aws"
VERSION = "v1alpha1"


@dataclass(frozen=True)
class Kind:
    """How one SageMaker custom resource kind behaves, as data."""

    name: str
    plural: str
    #: The ``.status`` field that carries SageMaker's own status value.
    status_field: str
    succeeded: frozenset[str]
    failed: frozenset[str]
    #: A status value that means someone stopped the work (a failure for a pipeline step).
    stopped: frozenset[str]
    #: The spec field that holds the SageMaker resource name.
    name_field: str
    #: Spec paths (dotted, ACK names) that may change on a live resource.
    mutable_fields: frozenset[str]
    #: Status fields that hold rule evaluations; an entry whose status is in
    #: ``rule_failures`` fails the run even when the job completed.
    rule_status_fields: tuple[str, ...] = ()
    rule_failures: frozenset[str] = frozenset()
    #: ``name:`` of the upstream component this one replaces (drop-in).
    component_name: str = ""
    #: Inputs the upstream component required although the CRD does not.
    required_inputs: frozenset[str] = frozenset()
    #: SageMaker's own name rule for ``name_field``.
    name_pattern: str = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
    #: Console path after ``#/``; ``{name}`` is the resource name.
    console_path: str = ""
    #: CloudWatch log group, if the kind writes logs.
    log_group: str = ""

    @property
    def api_version(self) -> str:
        return f"{GROUP}/{VERSION}"


TRAINING_JOB = Kind(
    name="TrainingJob",
    plural="trainingjobs",
    status_field="trainingJobStatus",
    succeeded=frozenset({"Completed"}),
    failed=frozenset({"Failed"}),
    stopped=frozenset({"Stopped"}),
    name_field="trainingJobName",
    mutable_fields=frozenset(
        {
            "resourceConfig.keepAlivePeriodInSeconds",
            "profilerConfig",
            "profilerRuleConfigurations",
        }
    ),
    rule_status_fields=("debugRuleEvaluationStatuses", "profilerRuleEvaluationStatuses"),
    rule_failures=frozenset({"Error", "IssuesFound"}),
    component_name="Sagemaker - TrainingJob",
    console_path="jobs/{name}",
    log_group="/aws/sagemaker/TrainingJobs",
)

KINDS: dict[str, Kind] = {kind.name: kind for kind in (TRAINING_JOB,)}


def get(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        known = ", ".join(sorted(KINDS))
        raise KeyError(f"unknown kind {name!r}; this version supports: {known}") from None
