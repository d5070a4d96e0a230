"""The emulator's table of SageMaker platform kinds, for ``lifecycle``: the model registry, the
feature store, inference components, notebook instances, projects and SageMaker Studio.

Why a table of its own: these kinds are what a platform team sets up around the pipelines
(``resources.py`` holds the jobs the pipelines run), and several need more of the lifecycle
engine than a job does — Studio resources are named by a domain ID SageMaker generates, a
versioned model package by an ARN with a version number, a notebook instance is stopped,
updated and started again by the ACK controller, an inference component lives on an endpoint
of ``hosting.py``. Each row says what the controller (v1.9.1) observes about one kind: the
not-found error its ``sdkFind`` matches (``pkg/resource/<kind>/sdk.go``), the late-initialised
members it waits for (``manager.go``) and the status values its hooks treat as "modifying".
Describe returns only what was sent plus what SageMaker itself fills in: a structure the
custom resource did not set would read as a spec change and, on an immutable kind, end in
``ACK.Terminal`` "not implemented".
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Sequence
from typing import Any

from ack_components_sandbox.aws.emulator.lifecycle import Entry, NotFound, Phase, View
from ack_components_sandbox.aws.emulator.training import ACCOUNT_ID, JsonDict

_VE = "ValidationException"
_RNF = "ResourceNotFound"
_ENDPOINT = "endpoint"  # the timing of hosting phases (the emulator's --endpoint-seconds)
#: Who SageMaker says created a registry entry: the caller STS reports (moto's user).
_CREATED_BY = {"IamIdentity": {"Arn": f"arn:aws:sts::{ACCOUNT_ID}:user/moto"}}


def _hex(size: int) -> str:
    return uuid.uuid4().hex[:size]


# Model registry ----------------------------------------------------------------------------

MODEL_PACKAGE_GROUP = Entry(
    kind="ModelPackageGroup",
    arn_type="model-package-group/{name}",
    status_member="ModelPackageGroupStatus",
    phases=(Phase("InProgress"),),
    done="Completed",
    failed="Failed",
    # The controller matches ValidationException + the suffix "does not exist.".
    not_found=NotFound(_VE, "ModelPackageGroup {arn} does not exist."),
    in_use=NotFound(_VE, "Model Package Group already exists: {arn}"),
    delete="DeleteModelPackageGroup",
    deleting=Phase("Deleting"),
    always={"CreatedBy": _CREATED_BY},
)


def _model_package_arn(request: JsonDict) -> str:
    """An unversioned package is named; a versioned one is its group's next version."""
    if "ModelPackageName" in request:
        return "model-package/{name}"
    return "model-package/{ModelPackageGroupName}/{ModelPackageVersion}"


def _model_package_version(region: str, request: JsonDict, others: Sequence[JsonDict]) -> JsonDict:
    if "ModelPackageName" in request:
        return {}
    group = request.get("ModelPackageGroupName")
    versions = [
        int(o["ModelPackageVersion"]) for o in others if o.get("ModelPackageGroupName") == group
    ]
    return {"ModelPackageVersion": 1 + max(versions, default=0)}


def _model_package_status(view: View) -> JsonDict:
    """The validation status, and the name of an unversioned package.

    A versioned package is named by its ARN alone: a ModelPackageName in Describe would be a
    spec change to the controller, whose UpdateModelPackage then reports the custom
    resource's stale status (``sdkUpdate`` copies the desired one) so it never completes.
    """
    name = view.request.get("ModelPackageName")
    validation: JsonDict = {"Name": str(name or view.request["ModelPackageGroupName"])}
    validation["Status"] = {"Completed": "Completed", "Failed": "Failed"}.get(
        str(view.status), "InProgress"
    )
    if view.status == "Failed":
        validation["FailureReason"] = view.reason
    out: JsonDict = {"ModelPackageStatusDetails": {"ValidationStatuses": [validation]}}
    if name is not None:
        out["ModelPackageName"] = name
    return out


MODEL_PACKAGE = Entry(
    kind="ModelPackage",
    arn_type=_model_package_arn,
    named_by_arn=True,
    status_member="ModelPackageStatus",
    phases=(Phase("InProgress"),),
    done="Completed",
    failed="Failed",
    reason_member=None,  # the reason is in ModelPackageStatusDetails
    not_found=NotFound(_VE, "ModelPackage {arn} does not exist."),
    in_use=NotFound(_VE, "Model Package already exists: {arn}"),
    update="UpdateModelPackage",
    updatable=frozenset(
        {
            "ModelApprovalStatus",
            "ApprovalDescription",
            "CustomerMetadataProperties",
            "InferenceSpecification",
            "SourceUri",
            "ModelCard",
            "ModelLifeCycle",
        }
    ),
    delete="DeleteModelPackage",
    deleting=Phase("Deleting"),
    requires=(("ModelPackageGroupName", "ModelPackageGroup"),),
    generate=_model_package_version,
    # Late-initialised by the controller: it waits until Describe returns it.
    always={"CertifyForMarketplace": False, "CreatedBy": _CREATED_BY},
    extra=_model_package_status,
)


# Feature store -----------------------------------------------------------------------------


def _offline_store(view: View) -> JsonDict:
    """The offline store with the S3 location SageMaker resolves (late-initialised)."""
    config = copy.deepcopy(view.request.get("OfflineStoreConfig"))
    if not isinstance(config, dict):
        return {}
    config.setdefault("DisableGlueTableCreation", False)
    s3 = config.get("S3StorageConfig")
    if isinstance(s3, dict) and "S3Uri" in s3:
        name = view.request["FeatureGroupName"]
        s3.setdefault(
            "ResolvedOutputS3Uri",
            f"{str(s3['S3Uri']).rstrip('/')}/{ACCOUNT_ID}/sagemaker/{view.region}"
            f"/offline-store/{name}-{int(view.created)}/data",
        )
    out: JsonDict = {"OfflineStoreConfig": config}
    if view.status == "Created":
        out["OfflineStoreStatus"] = {"Status": "Active"}
    return out


FEATURE_GROUP = Entry(
    kind="FeatureGroup",
    arn_type="feature-group/{name}",
    status_member="FeatureGroupStatus",
    phases=(Phase("Creating"),),
    done="Created",
    failed="CreateFailed",
    not_found=NotFound(
        _RNF, "Resource Not Found: Amazon SageMaker can't find a FeatureGroup with name {name}"
    ),
    in_use=NotFound(
        "ResourceInUse",
        "Resource Already Exists: FeatureGroup with name {name} already exists. "
        "Choose a different name.",
    ),
    delete="DeleteFeatureGroup",
    deleting=Phase("Deleting"),
    always={"NextToken": ""},  # a required member of the output shape
    extra=_offline_store,
)


# Inference components ----------------------------------------------------------------------


def _inference_component(view: View) -> JsonDict:
    """The specification and copy counts as SageMaker summarises them, and the endpoint's ARN."""
    spec = view.request.get("Specification") or {}
    summary = {k: copy.deepcopy(v) for k, v in spec.items() if k != "Container"}
    container = spec.get("Container")
    if isinstance(container, dict):
        deployed: JsonDict = {
            k: container[k] for k in ("ArtifactUrl", "Environment") if k in container
        }
        if "Image" in container:
            deployed["DeployedImage"] = {
                "SpecifiedImage": container["Image"],
                "ResolvedImage": container["Image"],
                "ResolutionTime": view.created,
            }
        summary["Container"] = deployed
    endpoint = str(view.request["EndpointName"])
    out: JsonDict = {
        "Specification": summary,
        "EndpointArn": f"arn:aws:sagemaker:{view.region}:{ACCOUNT_ID}:endpoint/{endpoint.lower()}",
    }
    runtime = view.request.get("RuntimeConfig")
    if isinstance(runtime, dict) and "CopyCount" in runtime:
        # The controller reads DesiredCopyCount whenever RuntimeConfig is present.
        count = int(runtime["CopyCount"])
        current = count if view.status == "InService" else 0
        out["RuntimeConfig"] = {"DesiredCopyCount": count, "CurrentCopyCount": current}
    return out


INFERENCE_COMPONENT = Entry(
    kind="InferenceComponent",
    arn_type="inference-component/{name}",
    status_member="InferenceComponentStatus",
    phases=(Phase("Creating", _ENDPOINT),),
    done="InService",
    failed="Failed",
    not_found=NotFound(_VE, 'Could not find inference component "{arn}".'),
    in_use=NotFound(_VE, 'Cannot create already existing inference component "{arn}".'),
    update="UpdateInferenceComponent",
    updatable=frozenset({"Specification", "Specifications", "RuntimeConfig", "DeploymentConfig"}),
    updating=Phase("Updating", _ENDPOINT),
    delete="DeleteInferenceComponent",
    deleting=Phase("Deleting", _ENDPOINT),
    requires=(("EndpointName", "Endpoint"),),
    extra=_inference_component,
)


# Notebook instances ------------------------------------------------------------------------

#: UpdateNotebookInstance's Disassociate* flags and the member each removes.
_DISASSOCIATE = {
    "DisassociateLifecycleConfig": "LifecycleConfigName",
    "DisassociateAcceleratorTypes": "AcceleratorTypes",
    "DisassociateDefaultCodeRepository": "DefaultCodeRepository",
    "DisassociateAdditionalCodeRepositories": "AdditionalCodeRepositories",
}


def _update_notebook(request: JsonDict, params: JsonDict) -> None:
    for flag, member in _DISASSOCIATE.items():
        if params.get(flag):
            request.pop(member, None)


def _notebook(view: View) -> JsonDict:
    """Members Describe names differently from Create, and the instance's URL."""
    out: JsonDict = {}
    renamed = {"LifecycleConfigName": "NotebookInstanceLifecycleConfigName"}
    renamed["SecurityGroupIds"] = "SecurityGroups"
    for sent, described in renamed.items():
        if sent in view.request:
            out[described] = copy.deepcopy(view.request[sent])
    if view.status == "InService":
        name = str(view.request["NotebookInstanceName"]).lower()
        out["Url"] = f"{name}.notebook.{view.region}.sagemaker.aws"
    return out


NOTEBOOK_INSTANCE = Entry(
    kind="NotebookInstance",
    arn_type="notebook-instance/{name}",
    status_member="NotebookInstanceStatus",
    phases=(Phase("Pending"),),
    done="InService",
    failed="Failed",
    not_found=NotFound(_VE, "RecordNotFound"),  # the controller matches this prefix
    in_use=NotFound(_VE, "Cannot create a duplicate Notebook Instance ({arn})"),
    stop="StopNotebookInstance",
    stoppable=frozenset({"InService"}),
    start="StartNotebookInstance",
    startable=frozenset({"Stopped", "Failed"}),
    starting=(Phase("Pending"),),
    # SageMaker updates a stopped instance, which stays stopped; the controller starts it.
    update="UpdateNotebookInstance",
    updatable=frozenset(
        {
            "InstanceType",
            "IpAddressType",
            "PlatformIdentifier",
            "RoleArn",
            "LifecycleConfigName",
            "VolumeSizeInGB",
            "DefaultCodeRepository",
            "AdditionalCodeRepositories",
            "AcceleratorTypes",
            "RootAccess",
            "InstanceMetadataServiceConfiguration",
        }
    ),
    updating=Phase("Updating"),
    updated="Stopped",
    updatable_in=frozenset({"Stopped", "Failed"}),
    on_update=_update_notebook,
    delete="DeleteNotebookInstance",
    deletable=frozenset({"Stopped", "Failed"}),
    deleting=Phase("Deleting"),
    defaults=(
        ("PlatformIdentifier", "notebook-al2-v2"),  # late-initialised
        ("VolumeSizeInGB", 5),  # late-initialised
        ("DirectInternetAccess", "Enabled"),
        ("RootAccess", "Enabled"),
        ("IpAddressType", "ipv4"),
    ),
    extra=_notebook,
)

NOTEBOOK_INSTANCE_LIFECYCLE_CONFIG = Entry(
    kind="NotebookInstanceLifecycleConfig",
    arn_type="notebook-instance-lifecycle-config/{name}",
    # The controller matches this prefix.
    not_found=NotFound(
        _VE, "Unable to describe Notebook Instance Lifecycle Config '{name}'. (Reason: Not found)"
    ),
    in_use=NotFound(
        _VE,
        "Unable to create Notebook Instance Lifecycle Config {arn}. "
        "(Reason: Notebook Instance Lifecycle Config already exists)",
    ),
    update="UpdateNotebookInstanceLifecycleConfig",
    updatable=frozenset({"OnCreate", "OnStart"}),
    delete="DeleteNotebookInstanceLifecycleConfig",
)


# Projects ----------------------------------------------------------------------------------


def _update_project(request: JsonDict, params: JsonDict) -> None:
    """UpdateProject's provisioning details change the artifact and parameters, not the product."""
    change = params.get("ServiceCatalogProvisioningUpdateDetails")
    if isinstance(change, dict):
        details = request.setdefault("ServiceCatalogProvisioningDetails", {})
        details.update(copy.deepcopy(change))


def _project(view: View) -> JsonDict:
    message = {
        "CreateFailed": f"Provisioning failed: {view.reason}",
        "CreateCompleted": "Provisioned product is available",
        "UpdateCompleted": "Provisioned product is available",
    }.get(str(view.status), "Provisioning in progress")
    product = {"ProvisionedProductId": f"pp-{view.request['ProjectId'][2:]}"}
    return {
        "ServiceCatalogProvisionedProductDetails": product
        | {"ProvisionedProductStatusMessage": message},
        "CreatedBy": _CREATED_BY,
    }


PROJECT = Entry(
    kind="Project",
    arn_type="project/{name}",
    status_member="ProjectStatus",
    phases=(Phase("CreateInProgress"),),
    done="CreateCompleted",
    failed="CreateFailed",
    reason_member=None,  # the reason is in ServiceCatalogProvisionedProductDetails
    # The controller takes any ValidationException from DescribeProject as "not found".
    not_found=NotFound(_VE, "Project {name} does not exist."),
    in_use=NotFound("ResourceInUse", "Project {name} already exists."),
    update="UpdateProject",
    updatable=frozenset({"ProjectDescription"}),
    updating=Phase("UpdateInProgress"),
    updated="UpdateCompleted",
    updatable_in=frozenset({"CreateCompleted", "UpdateCompleted"}),
    on_update=_update_project,
    delete="DeleteProject",
    deleting=Phase("DeleteInProgress"),
    generate=lambda region, request, others: {"ProjectId": f"p-{_hex(12)}"},
    extra=_project,
)


# SageMaker Studio --------------------------------------------------------------------------


def _domain_ids(region: str, request: JsonDict, others: Sequence[JsonDict]) -> JsonDict:
    domain = f"d-{_hex(12)}"
    return {
        "DomainId": domain,
        "Url": f"https://{domain}.studio.{region}.sagemaker.aws",
        "HomeEfsFileSystemId": f"fs-{_hex(17)}",
    }


def _studio_ids(region: str, request: JsonDict, others: Sequence[JsonDict]) -> JsonDict:
    return {"HomeEfsFileSystemUid": str(200000 + len(others) + 1)}


#: The space storage SageMaker gives a user or space that did not choose one.
_SPACE_STORAGE = {
    "DefaultEbsStorageSettings": {"DefaultEbsVolumeSizeInGb": 5, "MaximumEbsVolumeSizeInGb": 100}
}
_STUDIO: dict[str, Any] = {
    "status_member": "Status",
    "phases": (Phase("Pending"),),
    "done": "InService",
    "failed": "Failed",
    "updating": Phase("Updating"),
    "deleting": Phase("Deleting"),
}


def _update_domain(request: JsonDict, params: JsonDict) -> None:
    """UpdateDomain's DomainSettingsForUpdate changes members of the stored DomainSettings."""
    change = params.get("DomainSettingsForUpdate")
    if isinstance(change, dict):
        request.setdefault("DomainSettings", {}).update(copy.deepcopy(change))


DOMAIN = Entry(
    kind="Domain",
    arn_type="domain/{DomainId}",
    keys=("DomainId",),
    generate=_domain_ids,
    not_found=NotFound(_RNF, "Cannot find Domain with ID {name}"),
    in_use=NotFound("ResourceInUse", "Domain {name} already exists"),
    update="UpdateDomain",
    updatable=frozenset(
        {
            "DefaultUserSettings",
            "DefaultSpaceSettings",
            "AppSecurityGroupManagement",
            "SubnetIds",
            "AppNetworkAccessType",
            "TagPropagation",
            "VpcId",
        }
    ),
    on_update=_update_domain,
    delete="DeleteDomain",
    # Late-initialised by the controller.
    defaults=(
        ("AppNetworkAccessType", "PublicInternetOnly"),
        ("DefaultUserSettings.DefaultLandingUri", "studio::"),
        ("DefaultUserSettings.StudioWebPortal", "ENABLED"),
        ("DefaultUserSettings.SpaceStorageSettings", _SPACE_STORAGE),
    ),
    **_STUDIO,
)

USER_PROFILE = Entry(
    kind="UserProfile",
    arn_type="user-profile/{DomainId}/{name}",
    keys=("DomainId", "UserProfileName"),
    generate=_studio_ids,
    not_found=NotFound(_RNF, "User profile {name} does not exist."),
    in_use=NotFound("ResourceInUse", "User profile {name} already exists."),
    update="UpdateUserProfile",
    updatable=frozenset({"UserSettings"}),
    delete="DeleteUserProfile",
    requires=(("DomainId", "Domain"),),
    defaults=(("UserSettings.SpaceStorageSettings", _SPACE_STORAGE),),  # late-initialised
    **_STUDIO,
)

SPACE = Entry(
    kind="Space",
    arn_type="space/{DomainId}/{name}",
    keys=("DomainId", "SpaceName"),
    generate=_studio_ids,
    not_found=NotFound(_RNF, "Space {name} does not exist."),
    in_use=NotFound("ResourceInUse", "Space {name} already exists."),
    update="UpdateSpace",
    updatable=frozenset({"SpaceSettings", "SpaceDisplayName"}),
    delete="DeleteSpace",
    requires=(("DomainId", "Domain"),),
    **_STUDIO,
)


def _app_arn(request: JsonDict) -> str:
    owner = "{UserProfileName}" if "UserProfileName" in request else "{SpaceName}"
    return f"app/{{DomainId}}/{owner}/{{AppType}}/{{name}}"


def _app_resources(request: JsonDict) -> JsonDict:
    """The instance SageMaker picks for an app that names none (late-initialised)."""
    system = request.get("AppType") == "JupyterServer"
    return {"InstanceType": "system" if system else "ml.t3.medium"}


APP = Entry(
    kind="App",
    arn_type=_app_arn,
    keys=("DomainId", "UserProfileName", "SpaceName", "AppType", "AppName"),
    not_found=NotFound(_RNF, "App {name} does not exist."),
    in_use=NotFound("ResourceInUse", "App {arn} already exists."),
    delete="DeleteApp",
    # A deleted app stays Deleted (the controller stops there); its name may be reused.
    deleted="Deleted",
    requires=(
        ("DomainId", "Domain"),
        ("UserProfileName", "UserProfile"),
        ("SpaceName", "Space"),
    ),
    defaults=(("ResourceSpec", _app_resources),),
    **{**_STUDIO, "updating": None},
)

ENTRIES = (
    MODEL_PACKAGE_GROUP,
    MODEL_PACKAGE,
    FEATURE_GROUP,
    INFERENCE_COMPONENT,
    NOTEBOOK_INSTANCE,
    NOTEBOOK_INSTANCE_LIFECYCLE_CONFIG,
    PROJECT,
    DOMAIN,
    USER_PROFILE,
    SPACE,
    APP,
)
