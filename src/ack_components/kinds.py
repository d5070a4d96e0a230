"""The one table of kinds: everything kind-specific that drives behaviour.

Each entry says where the kind lives in the Kubernetes API, which status field
tells its progress and which values of it mean done, failed or still going,
which spec fields may change on a live resource, and how the component that
runs it is named. Inputs and outputs are not listed here: they are derived
from the CRD schema (``interface.py``), so the table stays small and cannot
drift from the CRDs. A new kind is an entry here; ``ack-components-sandbox codegen``
writes its template, ``component.yaml`` and README.

Kinds whose status carries no SageMaker status value (a Model, an
EndpointConfig, the monitoring job definitions) have ``status_field=None``:
they are done once the controller reports their ARN and ``ACK.ResourceSynced``.

A second API group joins the SageMaker kinds: Kubeflow's training operator serves
``PyTorchJob`` (``kubeflow.org/v1``), so a pipeline can train on the cluster instead
(``samples/hybrid_pipeline.py``). Its progress is its newest True condition (Created,
Running, Restarting, Succeeded, Failed) and deleting it stops the job and its pods.
``KINDS`` holds the SageMaker kinds (those the ACK controller serves); ``ALL_KINDS``
adds the Kubeflow ones, and ``get`` finds either.

Ground floor: imports nothing of ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

GROUP = "sagemaker.services.k8s.aws"
VERSION = "v1alpha1"
KUBEFLOW_GROUP = "kubeflow.org"


@dataclass(frozen=True)
class Kind:
    """How one SageMaker custom resource kind behaves, as data."""

    name: str
    #: The spec field that holds the SageMaker resource name; None where SageMaker names
    #: the resource by ARN alone (a pipeline execution): the custom resource's name is
    #: then always derived, and ``sagemaker_resource_name`` reports the ARN.
    name_field: str | None
    #: The ``.status`` field that carries SageMaker's own status value (None: there is none).
    status_field: str | None = None
    succeeded: frozenset[str] = frozenset()
    failed: frozenset[str] = frozenset()
    #: A status value that means someone stopped the work (a failure for a pipeline step).
    stopped: frozenset[str] = frozenset()
    #: Spec paths (dotted, ACK names) that may change on a live resource.
    mutable_fields: frozenset[str] = frozenset()
    #: Status fields that hold rule evaluations; an entry whose status is in
    #: ``rule_failures`` fails the run even when the job completed.
    rule_status_fields: tuple[str, ...] = ()
    rule_failures: frozenset[str] = frozenset()
    #: Whether an upstream v2 component ran this kind (ours is then a drop-in for it).
    replaces_upstream: bool = True
    #: Whether ``rbac`` grants it (and ``doctor`` checks it) unless asked for by name: the
    #: platform kinds (Studio domains, users, notebooks, projects) are a platform team's to
    #: create, not every pipeline's.
    granted_by_default: bool = True
    #: Inputs the upstream component required although the CRD does not.
    required_inputs: frozenset[str] = frozenset()
    #: SageMaker's own name rule for ``name_field``.
    name_pattern: str = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
    #: Prefix of derived names, when the kind's name is too long for its name rule.
    short_name: str = ""
    #: Console path after ``#/``; ``{name}`` is the resource name.
    console_path: str = ""
    #: CloudWatch log group, if the kind writes logs.
    log_group: str = ""
    #: Where the run metrics for KFP's UI come from (``metrics.py``): "training" (the
    #: job's FinalMetricDataList), "tuning" (the best training job's objective), or none.
    metrics_source: str = ""
    #: String fields that hold a JSON document (a pipeline definition): the input takes the
    #: document as a JsonObject, checked as JSON at once, and the resource gets its text.
    json_text_fields: frozenset[str] = frozenset()
    #: Where ``.status`` says why the resource failed: dotted paths, tried in order; a path
    #: through a list collects the values of its items.
    failure_reason_paths: tuple[str, ...] = ("failureReason",)
    #: Outputs the upstream component declared for status fields this CRD lacks
    #: (ACK name, KFP type); kept so pipelines that reference them still compile.
    legacy_outputs: tuple[tuple[str, str], ...] = ()
    group: str = GROUP
    version: str = VERSION
    #: Whether the kind's progress is the type of its newest True condition (Kubeflow's
    #: training jobs) rather than a status field.
    progress_from_conditions: bool = False
    #: Who reconciles the kind, as the step names it when nothing happens.
    controller: str = "the ACK controller"
    #: The label that marks the pods the job runs (its value: the job's name): the step
    #: prints their logs. "" for kinds whose work runs elsewhere (SageMaker).
    pod_label: str = ""
    #: The spec field that holds a cluster job's replicas, whose every container the step
    #: gives the job's model location (``replicas.py``); "" for kinds without replicas.
    replica_specs_field: str = ""
    #: The resource's plural in the API; derived from the name (lower-case, plus "s", as
    #: ACK and Kubeflow name theirs) unless given.
    plural: str = ""
    #: The component's ``name:``: upstream v2's "Sagemaker - <Kind>" (ours is a drop-in),
    #: "Kubeflow - <Kind>" for a cluster kind; derived unless given.
    component_name: str = ""

    def __post_init__(self) -> None:
        if not self.plural:
            object.__setattr__(self, "plural", self.name.lower() + "s")
        if not self.component_name:
            owner = "Sagemaker" if self.on_sagemaker else "Kubeflow"
            object.__setattr__(self, "component_name", f"{owner} - {self.name}")

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}"

    @property
    def on_sagemaker(self) -> bool:
        """A SageMaker resource (region, ARN, console links), not a cluster workload."""
        return self.group == GROUP

    @property
    def writes_job_logs(self) -> bool:
        """A job whose instances log to one group, a stream each, named after the job (an
        endpoint has a group of its own and never ends: its logs are not followed)."""
        return bool(self.log_group) and "{name}" not in self.log_group

    @property
    def name_prefix(self) -> str:
        """How names derived for this kind begin (see ``naming.derived_name``)."""
        return (self.short_name or self.name).lower()


TRAINING_JOB = Kind(
    name="TrainingJob",
    name_field="trainingJobName",
    status_field="trainingJobStatus",
    succeeded=frozenset({"Completed"}),
    failed=frozenset({"Failed"}),
    stopped=frozenset({"Stopped"}),
    mutable_fields=frozenset(
        {
            "resourceConfig.keepAlivePeriodInSeconds",
            "profilerConfig",
            "profilerRuleConfigurations",
        }
    ),
    rule_status_fields=("debugRuleEvaluationStatuses", "profilerRuleEvaluationStatuses"),
    rule_failures=frozenset({"Error", "IssuesFound"}),
    console_path="jobs/{name}",
    log_group="/aws/sagemaker/TrainingJobs",
    metrics_source="training",
)


def _job(name: str, **details: Any) -> Kind:
    """A SageMaker job: InProgress until Completed, Failed or Stopped; its spec cannot change.

    Deleting its custom resource makes the controller call ``Stop<Kind>``.
    """
    return Kind(
        name=name,
        name_field=name[0].lower() + name[1:] + "Name",
        status_field=name[0].lower() + name[1:] + "Status",
        succeeded=frozenset({"Completed"}),
        failed=frozenset({"Failed"}),
        stopped=frozenset({"Stopped"}),
        **details,
    )


def _new_job(name: str, **details: Any) -> Kind:
    """A job kind no upstream v2 component ran (the v1 ones had other interfaces)."""
    return _job(name, replaces_upstream=False, **details)


HYPER_PARAMETER_TUNING_JOB = _new_job(
    "HyperParameterTuningJob",
    metrics_source="tuning",
    name_pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$",
    short_name="hpo",
    console_path="hyper-tuning-jobs/{name}",
    log_group="/aws/sagemaker/TrainingJobs",
)
PROCESSING_JOB = _new_job(
    "ProcessingJob",
    console_path="processing-jobs/{name}",
    log_group="/aws/sagemaker/ProcessingJobs",
)
TRANSFORM_JOB = _new_job(
    "TransformJob",
    console_path="transform-jobs/{name}",
    log_group="/aws/sagemaker/TransformJobs",
)

MODEL = Kind(
    name="Model",
    name_field="modelName",
    required_inputs=frozenset({"execution_role_arn"}),
    console_path="models/{name}",
)

ENDPOINT_CONFIG = Kind(
    name="EndpointConfig",
    name_field="endpointConfigName",
    console_path="endpointConfig/{name}",
)

ENDPOINT = Kind(
    name="Endpoint",
    name_field="endpointName",
    status_field="endpointStatus",
    succeeded=frozenset({"InService"}),
    failed=frozenset({"Failed", "OutOfService", "UpdateRollbackFailed"}),
    # A new EndpointConfig (and how to roll it out) is the one update ACK makes.
    mutable_fields=frozenset({"endpointConfigName", "deploymentConfig"}),
    console_path="endpoints/{name}",
    log_group="/aws/sagemaker/Endpoints/{name}",
    legacy_outputs=(("pendingDeploymentSummary", "JsonObject"),),
)

MONITORING_SCHEDULE = Kind(
    name="MonitoringSchedule",
    name_field="monitoringScheduleName",
    status_field="monitoringScheduleStatus",
    succeeded=frozenset({"Scheduled"}),
    failed=frozenset({"Failed"}),
    stopped=frozenset({"Stopped"}),
    mutable_fields=frozenset({"monitoringScheduleConfig"}),
    console_path="monitoring-schedules/{name}",
)


def _job_definition(name: str) -> Kind:
    """The four model-monitor job definitions differ only in their names."""
    return Kind(
        name=name,
        name_field="jobDefinitionName",
    )


PIPELINE = Kind(
    name="Pipeline",
    name_field="pipelineName",
    status_field="pipelineStatus",
    succeeded=frozenset({"Active"}),
    mutable_fields=frozenset(
        {
            "pipelineDefinition",
            "pipelineDefinitionS3Location",
            "pipelineDescription",
            "pipelineDisplayName",
            "roleARN",
            "parallelismConfiguration",
        }
    ),
    name_pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$",
    json_text_fields=frozenset({"pipelineDefinition"}),
    replaces_upstream=False,
)

PIPELINE_EXECUTION = Kind(
    name="PipelineExecution",
    name_field=None,
    status_field="pipelineExecutionStatus",
    succeeded=frozenset({"Succeeded"}),
    # Some steps failed but the pipeline let it finish: not a success for the step running it.
    failed=frozenset({"Failed", "CompletedWithFailures"}),
    stopped=frozenset({"Stopped"}),
    mutable_fields=frozenset(
        {"pipelineExecutionDescription", "pipelineExecutionDisplayName", "parallelismConfiguration"}
    ),
    replaces_upstream=False,
)

LABELING_JOB = _new_job(
    "LabelingJob",
    console_path="labeling-jobs/{name}",
    log_group="/aws/sagemaker/LabelingJobs",
)

FEATURE_GROUP = Kind(
    name="FeatureGroup",
    name_field="featureGroupName",
    status_field="featureGroupStatus",
    succeeded=frozenset({"Created"}),
    failed=frozenset({"CreateFailed", "DeleteFailed"}),
    name_pattern=r"^[a-zA-Z0-9]([_-]*[a-zA-Z0-9]){0,63}$",
    replaces_upstream=False,
)

INFERENCE_COMPONENT = Kind(
    name="InferenceComponent",
    name_field="inferenceComponentName",
    status_field="inferenceComponentStatus",
    succeeded=frozenset({"InService"}),
    failed=frozenset({"Failed"}),
    mutable_fields=frozenset({"specification", "runtimeConfig", "deploymentConfig"}),
    name_pattern=r"^[a-zA-Z0-9]([\-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$",
    replaces_upstream=False,
)

MODEL_PACKAGE_GROUP = Kind(
    name="ModelPackageGroup",
    name_field="modelPackageGroupName",
    status_field="modelPackageGroupStatus",
    succeeded=frozenset({"Completed"}),
    failed=frozenset({"Failed", "DeleteFailed"}),
    replaces_upstream=False,
)

MODEL_PACKAGE = Kind(
    name="ModelPackage",
    # A versioned package is named by its group and version: SageMaker gives it only an ARN.
    name_field=None,
    status_field="modelPackageStatus",
    succeeded=frozenset({"Completed"}),
    failed=frozenset({"Failed"}),
    failure_reason_paths=("modelPackageStatusDetails.validationStatuses.failureReason",),
    # Approving (or rejecting) a registered model is the update that matters.
    mutable_fields=frozenset(
        {"modelApprovalStatus", "approvalDescription", "customerMetadataProperties"}
    ),
    replaces_upstream=False,
)

NOTEBOOK_INSTANCE = Kind(
    name="NotebookInstance",
    name_field="notebookInstanceName",
    status_field="notebookInstanceStatus",
    succeeded=frozenset({"InService"}),
    # Stopped is not a verdict: the controller stops an instance to update it.
    failed=frozenset({"Failed"}),
    mutable_fields=frozenset(
        {
            "instanceType",
            "roleARN",
            "volumeSizeInGB",
            "lifecycleConfigName",
            "acceleratorTypes",
            "defaultCodeRepository",
            "additionalCodeRepositories",
            "rootAccess",
            "instanceMetadataServiceConfiguration",
        }
    ),
    console_path="notebook-instances/{name}",
    replaces_upstream=False,
    granted_by_default=False,
)

NOTEBOOK_INSTANCE_LIFECYCLE_CONFIG = Kind(
    name="NotebookInstanceLifecycleConfig",
    name_field="notebookInstanceLifecycleConfigName",
    mutable_fields=frozenset({"onCreate", "onStart"}),
    short_name="nblifecycle",
    replaces_upstream=False,
    granted_by_default=False,
)

PROJECT = Kind(
    name="Project",
    name_field="projectName",
    status_field="projectStatus",
    succeeded=frozenset({"CreateCompleted", "UpdateCompleted"}),
    failed=frozenset({"CreateFailed", "UpdateFailed", "DeleteFailed"}),
    mutable_fields=frozenset({"projectDescription", "serviceCatalogProvisioningDetails"}),
    failure_reason_paths=(
        "serviceCatalogProvisionedProductDetails.provisionedProductStatusMessage",
    ),
    name_pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$",
    replaces_upstream=False,
    granted_by_default=False,
)


def _studio(
    name: str,
    name_field: str,
    mutable_fields: frozenset[str] = frozenset(),
    failed: frozenset[str] = frozenset({"Failed", "Update_Failed", "Delete_Failed"}),
) -> Kind:
    """SageMaker Studio's kinds share one status field and most of its values."""
    return Kind(
        name=name,
        name_field=name_field,
        status_field="status",
        succeeded=frozenset({"InService"}),
        failed=failed,
        mutable_fields=mutable_fields,
        replaces_upstream=False,
        granted_by_default=False,
    )


DOMAIN = _studio(
    "Domain",
    "domainName",
    frozenset({"defaultUserSettings", "defaultSpaceSettings", "domainSettings"}),
)
USER_PROFILE = _studio("UserProfile", "userProfileName", frozenset({"userSettings"}))
SPACE = _studio("Space", "spaceName", frozenset({"spaceSettings", "spaceDisplayName"}))
APP = _studio("App", "appName", failed=frozenset({"Failed", "Deleted"}))

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        TRAINING_JOB,
        HYPER_PARAMETER_TUNING_JOB,
        PROCESSING_JOB,
        TRANSFORM_JOB,
        MODEL,
        ENDPOINT_CONFIG,
        ENDPOINT,
        MONITORING_SCHEDULE,
        PIPELINE,
        PIPELINE_EXECUTION,
        LABELING_JOB,
        FEATURE_GROUP,
        INFERENCE_COMPONENT,
        MODEL_PACKAGE_GROUP,
        MODEL_PACKAGE,
        NOTEBOOK_INSTANCE,
        NOTEBOOK_INSTANCE_LIFECYCLE_CONFIG,
        PROJECT,
        DOMAIN,
        USER_PROFILE,
        SPACE,
        APP,
        *(
            _job_definition(f"{check}JobDefinition")
            for check in ("DataQuality", "ModelBias", "ModelExplainability", "ModelQuality")
        ),
    )
}

#: Distributed PyTorch on the cluster, run by Kubeflow's training operator (v1.9).
PYTORCH_JOB = Kind(
    name="PyTorchJob",
    name_field=None,
    group=KUBEFLOW_GROUP,
    version="v1",
    progress_from_conditions=True,
    succeeded=frozenset({"Succeeded"}),
    failed=frozenset({"Failed"}),
    replaces_upstream=False,
    granted_by_default=False,
    controller="Kubeflow's training operator",
    pod_label="training.kubeflow.org/job-name",
    replica_specs_field="pytorchReplicaSpecs",
    short_name="pytorch",
    # Kubernetes object names (the operator checks them as DNS-1035 labels).
    name_pattern=r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$",
)

#: Kinds of other API groups the components run; the cluster runs their work.
KUBEFLOW_KINDS: dict[str, Kind] = {PYTORCH_JOB.name: PYTORCH_JOB}
ALL_KINDS: dict[str, Kind] = {**KINDS, **KUBEFLOW_KINDS}


def get(name: str) -> Kind:
    try:
        return ALL_KINDS[name]
    except KeyError:
        known = ", ".join(sorted(ALL_KINDS))
        raise KeyError(f"unknown kind {name!r}; this version supports: {known}") from None


def granted_by_default() -> list[Kind]:
    return [kind for kind in KINDS.values() if kind.granted_by_default]


def parse_list(text: str) -> list[Kind]:
    """``--kinds``: a comma list of kinds, ``all``, or empty for those granted by default.

    Raises KeyError naming an unknown kind.
    """
    if text.strip() == "all":
        return list(KINDS.values())
    named = [get(name.strip()) for name in text.split(",") if name.strip()]
    return named or granted_by_default()
