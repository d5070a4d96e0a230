"""The emulator's platform kinds (``platform.py``): model registry, feature store, inference
components, notebook instances, projects and SageMaker Studio, driven through botocore.

What the ACK controller depends on, per kind: Create, then Describe through the modifying
status to the done one; an injected failure ends in the kind's failure value with its reason;
Update, Stop/Start and Delete where SageMaker has them, each through its own status; a
missing resource answers with exactly the error code and message the controller's
``sdkFind`` recognises (``pkg/resource/<kind>/sdk.go``); Describe returns the late-initialised
members and nothing the request did not set. Every response the ``sm`` fixture sees is
checked against botocore's output shape.
"""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import ClientError
from emulator_support import ENDPOINT_SECONDS, FAIL_TAG, ROLE, Emulator, error_of, unique

IMAGE = "382416733822.dkr.ecr.us-east-1.amazonaws.com/kmeans:1"
S3 = "s3://bucket/emulator"


def fail(reason: str) -> list[dict[str, str]]:
    return [{"Key": FAIL_TAG, "Value": reason}]


def described(call: Any, **key: Any) -> dict[str, Any]:
    found: dict[str, Any] = call(**key)
    found.pop("ResponseMetadata")
    return found


def wait_for(
    call: Any, member: str, status: str, timeout: float = 20, **key: Any
) -> dict[str, Any]:
    """Describe with ``call(**key)`` until ``member`` reads ``status``; the last answer."""
    deadline = time.monotonic() + timeout
    while (found := described(call, **key)).get(member) != status:
        assert time.monotonic() < deadline, found
        time.sleep(0.2)
    return found


def wait_gone(call: Any, **key: Any) -> ClientError:
    """Describe until it fails; the error (the not-found the controller must recognise)."""
    deadline = time.monotonic() + 20
    while True:
        try:
            call(**key)
        except ClientError as error:
            return error
        assert time.monotonic() < deadline
        time.sleep(0.2)


def code_and_message(error: ClientError) -> tuple[str, str]:
    return error.response["Error"]["Code"], error.response["Error"]["Message"]


# Model registry ----------------------------------------------------------------------------


def test_a_model_package_group_completes_and_deletes_to_does_not_exist(sm: Any) -> None:
    name = unique("registry")
    arn = sm.create_model_package_group(ModelPackageGroupName=name)["ModelPackageGroupArn"]
    assert arn == f"arn:aws:sagemaker:us-east-1:123456789012:model-package-group/{name}"
    first = described(sm.describe_model_package_group, ModelPackageGroupName=name)
    assert first["ModelPackageGroupStatus"] == "InProgress"
    assert "ModelPackageGroupDescription" not in first  # not sent, so absent
    wait_for(
        sm.describe_model_package_group,
        "ModelPackageGroupStatus",
        "Completed",
        ModelPackageGroupName=name,
    )
    sm.delete_model_package_group(ModelPackageGroupName=name)
    deleting = described(sm.describe_model_package_group, ModelPackageGroupName=name)
    assert deleting["ModelPackageGroupStatus"] == "Deleting"
    code, message = code_and_message(
        wait_gone(sm.describe_model_package_group, ModelPackageGroupName=name)
    )
    assert code == "ValidationException" and message.endswith("does not exist.")


def test_a_model_package_group_fails_when_asked(sm: Any) -> None:
    name = unique("registry")
    sm.create_model_package_group(ModelPackageGroupName=name, Tags=fail("no quota"))
    found = wait_for(
        sm.describe_model_package_group,
        "ModelPackageGroupStatus",
        "Failed",
        ModelPackageGroupName=name,
    )
    assert found["ModelPackageGroupName"] == name


def inference_specification() -> dict[str, Any]:
    return {
        "Containers": [{"Image": IMAGE, "ModelDataUrl": f"{S3}/model.tar.gz"}],
        "SupportedContentTypes": ["text/csv"],
        "SupportedResponseMIMETypes": ["application/json"],
    }


def test_model_package_versions_are_numbered_named_by_arn_and_approved_by_update(sm: Any) -> None:
    group = unique("registry")
    sm.create_model_package_group(ModelPackageGroupName=group)
    spec = {"ModelPackageGroupName": group, "InferenceSpecification": inference_specification()}
    first = sm.create_model_package(**spec, ModelApprovalStatus="PendingManualApproval")
    second = sm.create_model_package(**spec)
    prefix = f"arn:aws:sagemaker:us-east-1:123456789012:model-package/{group}"
    assert [first["ModelPackageArn"], second["ModelPackageArn"]] == [f"{prefix}/1", f"{prefix}/2"]
    arn = first["ModelPackageArn"]
    pending = described(sm.describe_model_package, ModelPackageName=arn)
    assert pending["ModelPackageStatus"] == "InProgress"
    # Named by its ARN: a ModelPackageName would be a spec change to the controller.
    assert "ModelPackageName" not in pending
    assert (pending["ModelPackageGroupName"], pending["ModelPackageVersion"]) == (group, 1)
    assert pending["CertifyForMarketplace"] is False  # late-initialised by the controller
    assert "ModelApprovalStatus" not in described(
        sm.describe_model_package, ModelPackageName=second["ModelPackageArn"]
    )
    done = wait_for(
        sm.describe_model_package, "ModelPackageStatus", "Completed", ModelPackageName=arn
    )
    assert done["ModelPackageStatusDetails"]["ValidationStatuses"][0]["Status"] == "Completed"
    assert done["ModelApprovalStatus"] == "PendingManualApproval"
    sm.update_model_package(
        ModelPackageArn=arn, ModelApprovalStatus="Approved", ApprovalDescription="good enough"
    )
    approved = described(sm.describe_model_package, ModelPackageName=arn)
    assert (approved["ModelApprovalStatus"], approved["ApprovalDescription"]) == (
        "Approved",
        "good enough",
    )
    assert approved["ModelPackageStatus"] == "Completed"
    sm.delete_model_package(ModelPackageName=arn)
    code, message = code_and_message(wait_gone(sm.describe_model_package, ModelPackageName=arn))
    assert code == "ValidationException" and message == f"ModelPackage {arn} does not exist."


def test_a_model_package_needs_its_group_and_fails_when_asked(sm: Any) -> None:
    missing = unique("nogroup")
    error = error_of(
        lambda: sm.create_model_package(
            ModelPackageGroupName=missing, InferenceSpecification=inference_specification()
        )
    )
    assert code_and_message(error)[1].endswith("does not exist.")
    group = unique("registry")
    sm.create_model_package_group(ModelPackageGroupName=group)
    arn = sm.create_model_package(
        ModelPackageGroupName=group,
        InferenceSpecification=inference_specification(),
        Tags=fail("image not found"),
    )["ModelPackageArn"]
    failed = wait_for(
        sm.describe_model_package, "ModelPackageStatus", "Failed", ModelPackageName=arn
    )
    validation = failed["ModelPackageStatusDetails"]["ValidationStatuses"][0]
    assert (validation["Status"], validation["FailureReason"]) == ("Failed", "image not found")


def test_an_unversioned_model_package_is_named(sm: Any) -> None:
    name = unique("package")
    arn = sm.create_model_package(
        ModelPackageName=name, InferenceSpecification=inference_specification()
    )["ModelPackageArn"]
    assert arn.endswith(f":model-package/{name}")
    found = described(sm.describe_model_package, ModelPackageName=name)
    assert (found["ModelPackageArn"], found["ModelPackageName"]) == (arn, name)
    assert "ModelPackageVersion" not in found


# Feature store -----------------------------------------------------------------------------


def feature_group(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "FeatureGroupName": name,
        "RecordIdentifierFeatureName": "image_id",
        "EventTimeFeatureName": "event_time",
        "FeatureDefinitions": [
            {"FeatureName": "image_id", "FeatureType": "String"},
            {"FeatureName": "event_time", "FeatureType": "Fractional"},
        ],
        "OfflineStoreConfig": {"S3StorageConfig": {"S3Uri": f"{S3}/features"}},
        "RoleArn": ROLE,
        **extra,
    }


def test_a_feature_group_is_created_with_its_resolved_offline_store_then_deleted(sm: Any) -> None:
    name = unique("features")
    sm.create_feature_group(**feature_group(name))
    creating = described(sm.describe_feature_group, FeatureGroupName=name)
    assert creating["FeatureGroupStatus"] == "Creating"
    assert "OnlineStoreConfig" not in creating and "ThroughputConfig" not in creating
    offline = creating["OfflineStoreConfig"]
    assert offline["DisableGlueTableCreation"] is False  # late-initialised by the controller
    resolved = offline["S3StorageConfig"]["ResolvedOutputS3Uri"]
    assert resolved.startswith(f"{S3}/features/123456789012/sagemaker/us-east-1/offline-store/")
    created = wait_for(
        sm.describe_feature_group, "FeatureGroupStatus", "Created", FeatureGroupName=name
    )
    assert created["OfflineStoreStatus"] == {"Status": "Active"}
    sm.delete_feature_group(FeatureGroupName=name)
    assert described(sm.describe_feature_group, FeatureGroupName=name)["FeatureGroupStatus"] == (
        "Deleting"
    )
    assert code_and_message(wait_gone(sm.describe_feature_group, FeatureGroupName=name))[0] == (
        "ResourceNotFound"
    )


def test_a_feature_group_fails_to_create_when_asked(sm: Any) -> None:
    name = unique("features")
    sm.create_feature_group(**feature_group(name, Tags=fail("bucket denied")))
    found = wait_for(
        sm.describe_feature_group, "FeatureGroupStatus", "CreateFailed", FeatureGroupName=name
    )
    assert found["FailureReason"] == "bucket denied"


# Inference components ----------------------------------------------------------------------


def serving_endpoint(sm: Any, name: str) -> None:
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})
    sm.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
    )
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)


def component(name: str, endpoint: str, copies: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "InferenceComponentName": name,
        "EndpointName": endpoint,
        "VariantName": "AllTraffic",
        "Specification": {
            "ModelName": endpoint,
            "ComputeResourceRequirements": {
                "MinMemoryRequiredInMb": 1024,
                "NumberOfCpuCoresRequired": 1,
            },
        },
        "RuntimeConfig": {"CopyCount": copies},
        **extra,
    }


def test_an_inference_component_needs_its_endpoint(sm: Any) -> None:
    error = error_of(lambda: sm.create_inference_component(**component(unique("ic"), unique("no"))))
    code, message = code_and_message(error)
    assert code == "ValidationException" and message.startswith("Could not find endpoint")


def test_an_inference_component_is_created_updated_and_deleted(sm: Any) -> None:
    endpoint, name = unique("serve"), unique("ic")
    serving_endpoint(sm, endpoint)
    sm.create_inference_component(**component(name, endpoint))
    creating = described(sm.describe_inference_component, InferenceComponentName=name)
    assert creating["InferenceComponentStatus"] == "Creating"
    # The controller reads DesiredCopyCount whenever RuntimeConfig is there.
    assert creating["RuntimeConfig"] == {"DesiredCopyCount": 1, "CurrentCopyCount": 0}
    assert creating["EndpointArn"].endswith(f":endpoint/{endpoint}")
    wait_for(
        sm.describe_inference_component,
        "InferenceComponentStatus",
        "InService",
        InferenceComponentName=name,
        timeout=3 * ENDPOINT_SECONDS,
    )
    sm.update_inference_component(InferenceComponentName=name, RuntimeConfig={"CopyCount": 2})
    updating = described(sm.describe_inference_component, InferenceComponentName=name)
    assert updating["InferenceComponentStatus"] == "Updating"
    updated = wait_for(
        sm.describe_inference_component,
        "InferenceComponentStatus",
        "InService",
        InferenceComponentName=name,
        timeout=3 * ENDPOINT_SECONDS,
    )
    assert updated["RuntimeConfig"] == {"DesiredCopyCount": 2, "CurrentCopyCount": 2}
    sm.delete_inference_component(InferenceComponentName=name)
    code, message = code_and_message(
        wait_gone(sm.describe_inference_component, InferenceComponentName=name)
    )
    assert code == "ValidationException"
    assert message.startswith("Could not find inference component")


def test_an_inference_component_fails_when_asked(sm: Any) -> None:
    endpoint, name = unique("serve"), unique("ic")
    serving_endpoint(sm, endpoint)
    sm.create_inference_component(**component(name, endpoint, Tags=fail("out of memory")))
    found = wait_for(
        sm.describe_inference_component,
        "InferenceComponentStatus",
        "Failed",
        InferenceComponentName=name,
        timeout=3 * ENDPOINT_SECONDS,
    )
    assert found["FailureReason"] == "out of memory"


# Notebook instances ------------------------------------------------------------------------


def notebook_status(sm: Any, name: str) -> str:
    return str(sm.describe_notebook_instance(NotebookInstanceName=name)["NotebookInstanceStatus"])


def test_a_notebook_instance_is_stopped_updated_started_and_deleted_as_the_controller_does(
    sm: Any,
) -> None:
    name = unique("notebook")
    sm.create_notebook_instance(
        NotebookInstanceName=name,
        InstanceType="ml.t3.medium",
        RoleArn=ROLE,
        LifecycleConfigName="setup",
    )
    pending = described(sm.describe_notebook_instance, NotebookInstanceName=name)
    assert pending["NotebookInstanceStatus"] == "Pending"
    # Late-initialised by the controller, and the defaults it copies into the spec.
    assert (pending["PlatformIdentifier"], pending["VolumeSizeInGB"]) == ("notebook-al2-v2", 5)
    assert (pending["DirectInternetAccess"], pending["RootAccess"]) == ("Enabled", "Enabled")
    assert pending["NotebookInstanceLifecycleConfigName"] == "setup"
    assert "InstanceMetadataServiceConfiguration" not in pending and "Url" not in pending
    serving = wait_for(
        sm.describe_notebook_instance,
        "NotebookInstanceStatus",
        "InService",
        NotebookInstanceName=name,
    )
    assert serving["Url"] == f"{name}.notebook.us-east-1.sagemaker.aws"
    refused = error_of(
        lambda: sm.update_notebook_instance(NotebookInstanceName=name, InstanceType="ml.t3.large")
    )
    assert code_and_message(refused)[0] == "ValidationException"
    refused = error_of(lambda: sm.delete_notebook_instance(NotebookInstanceName=name))
    assert code_and_message(refused)[0] == "ValidationException"

    sm.stop_notebook_instance(NotebookInstanceName=name)
    assert notebook_status(sm, name) == "Stopping"
    wait_for(
        sm.describe_notebook_instance,
        "NotebookInstanceStatus",
        "Stopped",
        NotebookInstanceName=name,
    )
    sm.update_notebook_instance(
        NotebookInstanceName=name, InstanceType="ml.t3.large", DisassociateLifecycleConfig=True
    )
    assert notebook_status(sm, name) == "Updating"
    stopped = wait_for(
        sm.describe_notebook_instance,
        "NotebookInstanceStatus",
        "Stopped",
        NotebookInstanceName=name,
    )
    assert stopped["InstanceType"] == "ml.t3.large"
    assert "NotebookInstanceLifecycleConfigName" not in stopped
    sm.start_notebook_instance(NotebookInstanceName=name)
    assert notebook_status(sm, name) == "Pending"
    wait_for(
        sm.describe_notebook_instance,
        "NotebookInstanceStatus",
        "InService",
        NotebookInstanceName=name,
    )

    sm.stop_notebook_instance(NotebookInstanceName=name)
    wait_for(
        sm.describe_notebook_instance,
        "NotebookInstanceStatus",
        "Stopped",
        NotebookInstanceName=name,
    )
    sm.delete_notebook_instance(NotebookInstanceName=name)
    assert notebook_status(sm, name) == "Deleting"
    code, message = code_and_message(
        wait_gone(sm.describe_notebook_instance, NotebookInstanceName=name)
    )
    assert code == "ValidationException" and message.startswith("RecordNotFound")


def test_a_notebook_instance_fails_when_asked(sm: Any) -> None:
    name = unique("notebook")
    sm.create_notebook_instance(
        NotebookInstanceName=name,
        InstanceType="ml.t3.medium",
        RoleArn=ROLE,
        Tags=fail("no capacity"),
    )
    found = wait_for(
        sm.describe_notebook_instance, "NotebookInstanceStatus", "Failed", NotebookInstanceName=name
    )
    assert found["FailureReason"] == "no capacity"
    sm.delete_notebook_instance(NotebookInstanceName=name)  # a failed instance needs no Stop


def test_a_notebook_lifecycle_config_is_stored_updated_and_deleted(sm: Any) -> None:
    name = unique("setup")
    script = [{"Content": "IyEvYmluL2Jhc2gK"}]
    arn = sm.create_notebook_instance_lifecycle_config(
        NotebookInstanceLifecycleConfigName=name, OnStart=script
    )["NotebookInstanceLifecycleConfigArn"]
    found = described(
        sm.describe_notebook_instance_lifecycle_config, NotebookInstanceLifecycleConfigName=name
    )
    assert (found["NotebookInstanceLifecycleConfigArn"], found["OnStart"]) == (arn, script)
    assert "OnCreate" not in found
    time.sleep(0.05)
    sm.update_notebook_instance_lifecycle_config(
        NotebookInstanceLifecycleConfigName=name, OnCreate=script
    )
    updated = described(
        sm.describe_notebook_instance_lifecycle_config, NotebookInstanceLifecycleConfigName=name
    )
    assert updated["OnCreate"] == script
    assert updated["LastModifiedTime"] > found["LastModifiedTime"]
    sm.delete_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName=name)
    error = error_of(
        lambda: sm.describe_notebook_instance_lifecycle_config(
            NotebookInstanceLifecycleConfigName=name
        )
    )
    code, message = code_and_message(error)
    assert code == "ValidationException"
    assert message.startswith("Unable to describe Notebook Instance Lifecycle Config")


# Projects ----------------------------------------------------------------------------------


def test_a_project_is_created_updated_and_deleted(sm: Any) -> None:
    name = unique("mlops")
    details = {"ProductId": "prod-abcdefghijklm", "ProvisioningArtifactId": "pa-abcdefghijklm"}
    made = sm.create_project(ProjectName=name, ServiceCatalogProvisioningDetails=details)
    assert made["ProjectId"].startswith("p-")
    first = described(sm.describe_project, ProjectName=name)
    assert (first["ProjectStatus"], first["ProjectId"]) == ("CreateInProgress", made["ProjectId"])
    assert "ProjectDescription" not in first
    wait_for(sm.describe_project, "ProjectStatus", "CreateCompleted", ProjectName=name)
    sm.update_project(
        ProjectName=name,
        ProjectDescription="v2",
        ServiceCatalogProvisioningUpdateDetails={"ProvisioningArtifactId": "pa-nnnnnnnnnnnnn"},
    )
    assert described(sm.describe_project, ProjectName=name)["ProjectStatus"] == "UpdateInProgress"
    updated = wait_for(sm.describe_project, "ProjectStatus", "UpdateCompleted", ProjectName=name)
    assert updated["ProjectDescription"] == "v2"
    assert updated["ServiceCatalogProvisioningDetails"] == {
        "ProductId": "prod-abcdefghijklm",
        "ProvisioningArtifactId": "pa-nnnnnnnnnnnnn",
    }
    sm.delete_project(ProjectName=name)
    assert described(sm.describe_project, ProjectName=name)["ProjectStatus"] == "DeleteInProgress"
    # The controller takes any ValidationException from DescribeProject as "not found".
    assert code_and_message(wait_gone(sm.describe_project, ProjectName=name))[0] == (
        "ValidationException"
    )


def test_a_project_fails_to_create_when_asked(sm: Any) -> None:
    name = unique("mlops")
    sm.create_project(
        ProjectName=name,
        ServiceCatalogProvisioningDetails={"ProductId": "prod-abcdefghijklm"},
        Tags=fail("template error"),
    )
    found = wait_for(sm.describe_project, "ProjectStatus", "CreateFailed", ProjectName=name)
    message = found["ServiceCatalogProvisionedProductDetails"]["ProvisionedProductStatusMessage"]
    assert "template error" in message


# SageMaker Studio --------------------------------------------------------------------------


def domain(sm: Any, **extra: Any) -> str:
    """A new domain's ID, once it is InService."""
    made = sm.create_domain(
        DomainName=unique("studio"),
        AuthMode="IAM",
        DefaultUserSettings={"ExecutionRole": ROLE},
        SubnetIds=["subnet-0123456789abcdef0"],
        VpcId="vpc-0123456789abcdef0",
        **extra,
    )
    assert made["DomainArn"].endswith(f":domain/{made['DomainId']}")
    assert made["Url"].startswith(f"https://{made['DomainId']}.studio.")
    return str(made["DomainId"])


def test_a_domain_late_initialises_updates_and_deletes(sm: Any) -> None:
    ident = domain(sm)
    pending = described(sm.describe_domain, DomainId=ident)
    assert pending["Status"] == "Pending"
    assert pending["AppNetworkAccessType"] == "PublicInternetOnly"
    settings = pending["DefaultUserSettings"]
    assert (settings["DefaultLandingUri"], settings["StudioWebPortal"]) == ("studio::", "ENABLED")
    assert settings["ExecutionRole"] == ROLE
    assert "DomainSettings" not in pending and "DefaultSpaceSettings" not in pending
    wait_for(sm.describe_domain, "Status", "InService", DomainId=ident)
    sm.update_domain(DomainId=ident, DefaultUserSettings={"ExecutionRole": f"{ROLE}-2"})
    assert described(sm.describe_domain, DomainId=ident)["Status"] == "Updating"
    updated = wait_for(sm.describe_domain, "Status", "InService", DomainId=ident)
    assert updated["DefaultUserSettings"]["ExecutionRole"] == f"{ROLE}-2"
    sm.delete_domain(DomainId=ident)
    assert described(sm.describe_domain, DomainId=ident)["Status"] == "Deleting"
    assert code_and_message(wait_gone(sm.describe_domain, DomainId=ident))[0] == (
        "ResourceNotFound"
    )


def test_a_domain_fails_when_asked(sm: Any) -> None:
    ident = domain(sm, Tags=fail("subnet full"))
    found = wait_for(sm.describe_domain, "Status", "Failed", DomainId=ident)
    assert found["FailureReason"] == "subnet full"


def test_user_profiles_spaces_and_apps_live_in_their_domain(sm: Any) -> None:
    missing = error_of(
        lambda: sm.create_user_profile(DomainId="d-000000000000", UserProfileName="x")
    )
    assert code_and_message(missing)[0] == "ResourceNotFound"
    ident = domain(sm)
    user = unique("user")
    sm.create_user_profile(
        DomainId=ident, UserProfileName=user, UserSettings={"ExecutionRole": ROLE}
    )
    profile = described(sm.describe_user_profile, DomainId=ident, UserProfileName=user)
    assert profile["Status"] == "Pending"
    assert profile["UserSettings"]["SpaceStorageSettings"]["DefaultEbsStorageSettings"]
    assert profile["UserProfileArn"].endswith(f":user-profile/{ident}/{user}")
    wait_for(sm.describe_user_profile, "Status", "InService", DomainId=ident, UserProfileName=user)
    space = unique("space")
    sm.create_space(DomainId=ident, SpaceName=space)
    assert "SpaceSettings" not in described(sm.describe_space, DomainId=ident, SpaceName=space)
    wait_for(sm.describe_space, "Status", "InService", DomainId=ident, SpaceName=space)
    sm.update_space(DomainId=ident, SpaceName=space, SpaceDisplayName="Team space")
    assert described(sm.describe_space, DomainId=ident, SpaceName=space)["Status"] == "Updating"
    renamed = wait_for(sm.describe_space, "Status", "InService", DomainId=ident, SpaceName=space)
    assert renamed["SpaceDisplayName"] == "Team space"

    app = {
        "DomainId": ident,
        "UserProfileName": user,
        "AppType": "JupyterServer",
        "AppName": "default",
    }
    nobody = error_of(lambda: sm.create_app(**{**app, "UserProfileName": "nobody"}))
    assert code_and_message(nobody)[0] == "ResourceNotFound"
    sm.create_app(**app)
    started = described(sm.describe_app, **app)
    assert (started["Status"], started["ResourceSpec"]) == ("Pending", {"InstanceType": "system"})
    wait_for(sm.describe_app, "Status", "InService", **app)
    sm.delete_app(**app)
    assert described(sm.describe_app, **app)["Status"] == "Deleting"
    wait_for(sm.describe_app, "Status", "Deleted", **app)  # a deleted app stays, Deleted
    sm.create_app(**app)  # and its name may be used again
    assert described(sm.describe_app, **app)["Status"] == "Pending"

    sm.delete_user_profile(DomainId=ident, UserProfileName=user)
    gone = wait_gone(sm.describe_user_profile, DomainId=ident, UserProfileName=user)
    assert code_and_message(gone)[0] == "ResourceNotFound"
    sm.delete_space(DomainId=ident, SpaceName=space)
    assert code_and_message(wait_gone(sm.describe_space, DomainId=ident, SpaceName=space))[0] == (
        "ResourceNotFound"
    )


def test_a_user_profile_with_the_same_name_in_another_domain_is_another_profile(sm: Any) -> None:
    first, second = domain(sm), domain(sm)
    for ident in (first, second):
        sm.create_user_profile(DomainId=ident, UserProfileName="alice")
    arns = {
        described(sm.describe_user_profile, DomainId=d, UserProfileName="alice")["UserProfileArn"]
        for d in (first, second)
    }
    assert len(arns) == 2
    refused = error_of(lambda: sm.create_user_profile(DomainId=first, UserProfileName="alice"))
    assert code_and_message(refused)[0] == "ResourceInUse"


def test_the_call_record_names_a_studio_resource_not_its_domain(
    emulator: Emulator, sm: Any
) -> None:
    ident = domain(sm)
    user = unique("user")
    sm.create_user_profile(DomainId=ident, UserProfileName=user)
    created = [
        c for c in emulator.control("/_emulator/calls") if c["operation"] == "CreateUserProfile"
    ]
    assert [c["name"] for c in created][-1] == user


def test_studio_resources_in_a_domain_update_and_fail_when_asked(sm: Any) -> None:
    ident = domain(sm)
    wait_for(sm.describe_domain, "Status", "InService", DomainId=ident)
    user = unique("user")
    sm.create_user_profile(DomainId=ident, UserProfileName=user)
    wait_for(sm.describe_user_profile, "Status", "InService", DomainId=ident, UserProfileName=user)
    sm.update_user_profile(
        DomainId=ident, UserProfileName=user, UserSettings={"ExecutionRole": ROLE}
    )
    profile = described(sm.describe_user_profile, DomainId=ident, UserProfileName=user)
    assert profile["Status"] == "Updating"
    assert profile["UserSettings"]["ExecutionRole"] == ROLE

    failing = unique("user")
    sm.create_user_profile(DomainId=ident, UserProfileName=failing, Tags=fail("no EFS"))
    space = unique("space")
    sm.create_space(DomainId=ident, SpaceName=space, Tags=fail("no EFS"))
    app = {"DomainId": ident, "UserProfileName": user, "AppType": "JupyterLab"}
    sm.create_app(**app, AppName="lab", Tags=fail("no capacity"))
    for call, key in (
        (sm.describe_user_profile, {"DomainId": ident, "UserProfileName": failing}),
        (sm.describe_space, {"DomainId": ident, "SpaceName": space}),
        (sm.describe_app, {**app, "AppName": "lab"}),
    ):
        assert wait_for(call, "Status", "Failed", **key)["FailureReason"] in (
            "no EFS",
            "no capacity",
        )
    assert described(sm.describe_app, **app, AppName="lab")["ResourceSpec"] == {
        "InstanceType": "ml.t3.medium"
    }
    missing = error_of(lambda: sm.describe_app(**app, AppName="never"))
    assert code_and_message(missing)[0] == "ResourceNotFound"


def test_a_notebook_lifecycle_config_has_no_failed_status_so_a_failing_create_is_refused(
    sm: Any,
) -> None:
    refused = error_of(
        lambda: sm.create_notebook_instance_lifecycle_config(
            NotebookInstanceLifecycleConfigName=unique("setup"), Tags=fail("bad script")
        )
    )
    assert code_and_message(refused) == ("ValidationException", "bad script")
