"""Tests for the ACK SageMaker CRD generator (botocore model -> CustomResourceDefinitions)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from ack_components.sandbox import crdgen

ALL_KINDS = {
    "App", "DataQualityJobDefinition", "Domain", "Endpoint", "EndpointConfig", "FeatureGroup",
    "HyperParameterTuningJob", "InferenceComponent", "LabelingJob", "Model",
    "ModelBiasJobDefinition", "ModelExplainabilityJobDefinition", "ModelPackage",
    "ModelPackageGroup", "ModelQualityJobDefinition", "MonitoringSchedule", "NotebookInstance",
    "NotebookInstanceLifecycleConfig", "Pipeline", "PipelineExecution", "ProcessingJob",
    "Project", "Space", "TrainingJob", "TransformJob", "UserProfile",
}  # fmt: skip


@pytest.fixture(scope="module")
def model() -> crdgen.ServiceModel:
    return crdgen.load_sagemaker_model()


@pytest.fixture(scope="module")
def crds(model: crdgen.ServiceModel) -> dict[str, dict[str, Any]]:
    return {crd["spec"]["names"]["kind"]: crd for crd in crdgen.generate_all(model)}


def _version(crd: dict[str, Any]) -> dict[str, Any]:
    versions = crd["spec"]["versions"]
    assert len(versions) == 1
    return dict(versions[0])


def _root(crd: dict[str, Any]) -> dict[str, Any]:
    return dict(_version(crd)["schema"]["openAPIV3Schema"])


def _spec(crd: dict[str, Any]) -> dict[str, Any]:
    return dict(_root(crd)["properties"]["spec"])


def _status(crd: dict[str, Any]) -> dict[str, Any]:
    return dict(_root(crd)["properties"]["status"])


def _nodes(schema: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    yield path, schema
    for name, sub in schema.get("properties", {}).items():
        yield from _nodes(sub, f"{path}.{name}")
    if "items" in schema:
        yield from _nodes(schema["items"], f"{path}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        yield from _nodes(schema["additionalProperties"], f"{path}{{}}")


# --- field names ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("member", "expected"),
    [
        ("RoleArn", "roleARN"),
        ("S3Uri", "s3URI"),
        ("VolumeSizeInGB", "volumeSizeInGB"),
        ("KmsKeyId", "kmsKeyID"),
        ("VolumeKmsKeyId", "volumeKMSKeyID"),
        ("SecurityGroupIds", "securityGroupIDs"),
        ("SubnetIds", "subnetIDs"),
        ("HyperParameters", "hyperParameters"),
        ("EnableSageMakerMetricsTimeSeries", "enableSageMakerMetricsTimeSeries"),
        ("TrainingJobName", "trainingJobName"),
        ("VpcConfig", "vpcConfig"),
        ("VpcId", "vpcID"),
        ("ImageUri", "imageURI"),
        ("ModelDataUrl", "modelDataURL"),
        ("FileSystemId", "fileSystemID"),
        ("ClusterId", "clusterID"),
        ("DbUser", "dbUser"),
        ("S3KmsKeyId", "s3KMSKeyID"),
        ("HomeEfsFileSystemUid", "homeEFSFileSystemUID"),
        ("HomeEfsFileSystemKmsKeyId", "homeEFSFileSystemKMSKeyID"),
        ("DefaultEbsVolumeSizeInGb", "defaultEBSVolumeSizeInGb"),
        ("RStudioServerProAppSettings", "rStudioServerProAppSettings"),
        ("FSxLustreFileSystem", "fSxLustreFileSystem"),
        ("SupportedResponseMIMETypes", "supportedResponseMIMETypes"),
        ("HumanTaskUiArn", "humanTaskUiARN"),
        ("UiTemplateS3Uri", "uiTemplateS3URI"),
        ("IdleSettings", "idleSettings"),
        ("NumberOfCPUCoresRequired", "numberOfCPUCoresRequired"),
        ("Type", "type_"),
        ("Id", "id"),
        ("EndpointName", "endpointName"),
        ("EnableNetworkIsolation", "enableNetworkIsolation"),
        ("SaslScram512Auth", "saslSCRAM512Auth"),
        ("AwsVpcConfiguration", "awsVPCConfiguration"),
        ("DBInstanceId", "dbInstanceID"),
        ("IdempotencyToken", "idempotencyToken"),
        ("RamdiskId", "ramDiskID"),
        ("AuthorizerResultTtlInSeconds", "authorizerResultTTLInSeconds"),
        ("Throttling", "throttling"),
        ("Secret", "secret"),
        ("HttpsPort", "httpsPort"),
        ("IoPerformance", "ioPerformance"),
    ],
)
def test_ack_field_name(member: str, expected: str) -> None:
    assert crdgen.ack_field_name(member) == expected


# --- the table -------------------------------------------------------------------------


def test_table_has_the_26_ack_kinds() -> None:
    kinds = [entry.kind for entry in crdgen.KINDS]
    assert len(kinds) == 26
    assert set(kinds) == ALL_KINDS
    assert len({entry.plural for entry in crdgen.KINDS}) == 26
    pipeline_execution = next(e for e in crdgen.KINDS if e.kind == "PipelineExecution")
    assert pipeline_execution.create_operation == "StartPipelineExecution"


def test_table_operations_exist_in_the_model(model: crdgen.ServiceModel) -> None:
    for entry in crdgen.KINDS:
        assert entry.create_operation in model["operations"], entry.kind
        assert entry.describe_operation in model["operations"], entry.kind


# --- TrainingJob -----------------------------------------------------------------------


def test_training_job_required(crds: dict[str, dict[str, Any]]) -> None:
    assert set(_spec(crds["TrainingJob"])["required"]) == {
        "algorithmSpecification", "outputDataConfig", "resourceConfig", "roleARN",
        "stoppingCondition", "trainingJobName",
    }  # fmt: skip


def test_training_job_spec_fields(crds: dict[str, dict[str, Any]]) -> None:
    props = _spec(crds["TrainingJob"])["properties"]
    assert props["resourceConfig"]["properties"]["instanceCount"] == {
        "type": "integer",
        "format": "int64",
    }
    assert props["resourceConfig"]["properties"]["volumeSizeInGB"]["type"] == "integer"
    assert props["checkpointConfig"]["properties"]["s3URI"] == {"type": "string"}
    assert props["roleARN"]["type"] == "string"
    assert props["hyperParameters"]["type"] == "object"
    assert props["hyperParameters"]["additionalProperties"] == {"type": "string"}
    assert props["vpcConfig"]["properties"]["securityGroupIDs"] == {
        "type": "array",
        "items": {"type": "string"},
    }
    algo = props["algorithmSpecification"]["properties"]
    assert algo["enableSageMakerMetricsTimeSeries"] == {"type": "boolean"}
    assert algo["metricDefinitions"]["items"]["properties"].keys() >= {"name", "regex"}
    assert props["outputDataConfig"]["properties"].keys() >= {"kmsKeyID", "s3OutputPath"}
    assert "required" not in props["resourceConfig"]  # nested structs carry no `required`


def test_training_job_printer_columns(crds: dict[str, dict[str, Any]]) -> None:
    assert _version(crds["TrainingJob"])["additionalPrinterColumns"] == [
        {"name": "FAILURE-REASON", "jsonPath": ".status.failureReason", "type": "string",
         "priority": 1},
        {"name": "SECONDARY-STATUS", "jsonPath": ".status.secondaryStatus", "type": "string"},
        {"name": "STATUS", "jsonPath": ".status.trainingJobStatus", "type": "string"},
    ]  # fmt: skip


def test_training_job_status(crds: dict[str, dict[str, Any]]) -> None:
    status = _status(crds["TrainingJob"])
    assert set(status["properties"]) == {
        "ackResourceMetadata", "conditions", "trainingJobStatus", "secondaryStatus",
        "failureReason", "modelArtifacts", "debugRuleEvaluationStatuses",
        "profilerRuleEvaluationStatuses", "profilingStatus", "warmPoolStatus", "creationTime",
        "lastModifiedTime",
    }  # fmt: skip
    props = status["properties"]
    assert props["creationTime"]["format"] == "date-time"
    assert props["modelArtifacts"]["properties"]["s3ModelArtifacts"]["type"] == "string"
    rule_status = props["debugRuleEvaluationStatuses"]["items"]["properties"]
    assert rule_status["ruleEvaluationJobARN"] == {"type": "string"}
    meta = props["ackResourceMetadata"]
    assert set(meta["properties"]) == {"arn", "ownerAccountID", "region", "partition"}
    assert set(meta["required"]) == {"ownerAccountID", "region"}
    condition = props["conditions"]["items"]
    assert set(condition["required"]) == {"type", "status"}
    assert condition["properties"]["lastTransitionTime"]["format"] == "date-time"


def test_other_kinds_spot_checks(crds: dict[str, dict[str, Any]]) -> None:
    hpo = _spec(crds["HyperParameterTuningJob"])
    assert set(hpo["required"]) == {"hyperParameterTuningJobConfig", "hyperParameterTuningJobName"}
    objective = hpo["properties"]["hyperParameterTuningJobConfig"]["properties"][
        "hyperParameterTuningJobObjective"
    ]
    assert set(objective["properties"]) == {"metricName", "type_"}
    assert set(_spec(crds["Endpoint"])["required"]) == {"endpointConfigName", "endpointName"}
    assert set(_spec(crds["EndpointConfig"])["required"]) == {
        "endpointConfigName", "productionVariants",
    }  # fmt: skip
    assert set(_spec(crds["ProcessingJob"])["required"]) == {
        "appSpecification", "processingJobName", "processingResources", "roleARN",
    }  # fmt: skip
    assert "clientRequestToken" not in _spec(crds["Pipeline"])["properties"]
    assert set(_spec(crds["Pipeline"])["required"]) == {"pipelineName", "roleARN"}
    assert set(_spec(crds["Domain"])["required"]) >= {"subnetIDs", "vpcID"}
    endpoint_status = _status(crds["Endpoint"])["properties"]
    assert endpoint_status["productionVariants"]["type"] == "array"
    assert endpoint_status["endpointStatus"] == {
        "description": endpoint_status["endpointStatus"]["description"],
        "type": "string",
    }
    lifecycle_columns = _version(crds["NotebookInstanceLifecycleConfig"])[
        "additionalPrinterColumns"
    ]
    assert [c["type"] for c in lifecycle_columns] == ["date", "date"]


# --- every CRD -------------------------------------------------------------------------


def test_every_crd_is_well_formed(crds: dict[str, dict[str, Any]]) -> None:
    assert set(crds) == ALL_KINDS
    for kind, crd in crds.items():
        plural = crd["spec"]["names"]["plural"]
        assert crd["apiVersion"] == "apiextensions.k8s.io/v1"
        assert crd["kind"] == "CustomResourceDefinition"
        assert crd["metadata"]["name"] == f"{plural}.sagemaker.services.k8s.aws"
        assert crd["spec"]["group"] == "sagemaker.services.k8s.aws"
        assert crd["spec"]["scope"] == "Namespaced"
        assert crd["spec"]["names"] == {
            "kind": kind,
            "listKind": f"{kind}List",
            "plural": plural,
            "singular": kind.lower(),
        }
        version = _version(crd)
        assert (version["name"], version["served"], version["storage"]) == ("v1alpha1", True, True)
        assert version["subresources"] == {"status": {}}
        root = _root(crd)
        assert root["type"] == "object"
        assert root["properties"]["metadata"] == {"type": "object"}
        assert set(root["properties"]) == {"apiVersion", "kind", "metadata", "spec", "status"}
        status_props = _status(crd)["properties"]
        assert {"ackResourceMetadata", "conditions"} <= set(status_props)
        for column in version.get("additionalPrinterColumns", []):
            field = column["jsonPath"].removeprefix(".status.")
            assert field in status_props, (kind, column)


def test_every_schema_is_structural(crds: dict[str, dict[str, Any]]) -> None:
    for kind, crd in crds.items():
        for path, node in _nodes(_root(crd)):
            where = f"{kind}{path}"
            assert "type" in node, where
            assert "enum" not in node, where
            if "description" in node:
                assert "<" not in node["description"], where
            if path == ".metadata":  # the apiserver supplies the ObjectMeta schema
                assert node == {"type": "object"}
            elif node["type"] == "object":
                opaque = node.get("x-kubernetes-preserve-unknown-fields") is True
                assert opaque or "properties" in node or "additionalProperties" in node, where
                assert not ("properties" in node and "additionalProperties" in node), where
                for required in node.get("required", []):
                    assert required in node["properties"], where
            elif node["type"] == "array":
                assert isinstance(node.get("items"), dict), where
            else:
                assert node["type"] in {"string", "integer", "number", "boolean"}, where


def test_nested_required_only_where_ack_has_it(crds: dict[str, dict[str, Any]]) -> None:
    allowed = {".spec", ".status.ackResourceMetadata", ".status.conditions[]"}
    for kind, crd in crds.items():
        for path, node in _nodes(_root(crd)):
            if "required" in node:
                assert path in allowed, f"{kind}{path}"


def test_write_crds(tmp_path: Path, crds: dict[str, dict[str, Any]]) -> None:
    paths = crdgen.write_crds(tmp_path, list(crds.values()))
    assert len(paths) == 26
    assert {p.name for p in paths} == {
        f"sagemaker.services.k8s.aws_{crd['spec']['names']['plural']}.yaml" for crd in crds.values()
    }
    trainingjobs = tmp_path / "sagemaker.services.k8s.aws_trainingjobs.yaml"
    assert yaml.safe_load(trainingjobs.read_text()) == crds["TrainingJob"]


# --- synthetic models ------------------------------------------------------------------


def _tiny_model(shapes: dict[str, Any], status_member: str = "Status") -> dict[str, Any]:
    base: dict[str, Any] = {
        "CreateThingRequest": {
            "type": "structure",
            "required": ["ThingName"],
            "members": {
                "ThingName": {"shape": "Str"},
                "Node": {"shape": "Node"},
                "Empty": {"shape": "Empty"},
                "Scalars": {"shape": "Scalars"},
            },
        },
        "DescribeThingResponse": {
            "type": "structure",
            "members": {status_member: {"shape": "Str", "documentation": "<p>The <b>x</b>.</p>"}},
        },
        "Str": {"type": "string", "enum": ["A", "B"]},
        "Empty": {"type": "structure", "members": {}},
        "Node": {
            "type": "structure",
            "required": ["Children"],
            "members": {"Children": {"shape": "NodeList"}, "Value": {"shape": "Str"}},
        },
        "NodeList": {"type": "list", "member": {"shape": "Node"}},
    }
    base.update(shapes)
    return {
        "operations": {
            "CreateThing": {"input": {"shape": "CreateThingRequest"}},
            "DescribeThing": {"output": {"shape": "DescribeThingResponse"}},
        },
        "shapes": base,
    }


SCALARS = {
    "Scalars": {
        "type": "structure",
        "members": {
            name: {"shape": name}
            for name in ("Integer", "Long", "Boolean", "Float", "Double", "Timestamp", "Blob")
        }
        | {"Labels": {"shape": "Labels"}},
    },
    "Integer": {"type": "integer"},
    "Long": {"type": "long"},
    "Boolean": {"type": "boolean"},
    "Float": {"type": "float"},
    "Double": {"type": "double"},
    "Timestamp": {"type": "timestamp"},
    "Blob": {"type": "blob"},
    "Labels": {"type": "map", "key": {"shape": "Str"}, "value": {"shape": "Integer"}},
}

THING = crdgen.KindEntry(
    kind="Thing",
    plural="things",
    create_operation="CreateThing",
    describe_operation="DescribeThing",
    status_fields=("status",),
)


def test_shape_types_and_recursion() -> None:
    crd = crdgen.generate_crd(THING, _tiny_model(SCALARS))
    spec = _spec(crd)
    assert spec["required"] == ["thingName"]
    props = spec["properties"]
    assert props["thingName"] == {"type": "string"}  # no enum
    assert props["empty"] == {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    node = props["node"]
    assert "required" not in node
    assert node["properties"]["children"]["items"] == {
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": True,
    }
    scalars = props["scalars"]["properties"]
    assert scalars["integer"] == {"type": "integer", "format": "int64"}
    assert scalars["long"] == {"type": "integer", "format": "int64"}
    assert scalars["boolean"] == {"type": "boolean"}
    assert scalars["float"] == {"type": "number"}
    assert scalars["double"] == {"type": "number"}
    assert scalars["timestamp"] == {"type": "string", "format": "date-time"}
    assert scalars["blob"] == {"type": "string"}
    assert scalars["labels"] == {
        "type": "object",
        "additionalProperties": {"type": "integer", "format": "int64"},
    }
    assert _status(crd)["properties"]["status"] == {"description": "The x.", "type": "string"}
    assert "additionalPrinterColumns" not in _version(crd)


def test_unknown_status_field_is_an_error() -> None:
    with pytest.raises(KeyError, match="no field status"):
        crdgen.generate_crd(THING, _tiny_model(SCALARS, status_member="State"))


def test_unknown_extra_required_is_an_error() -> None:
    entry = crdgen.KindEntry(**{**THING.__dict__, "extra_required": ("Missing",)})
    with pytest.raises(KeyError, match="Missing"):
        crdgen.generate_crd(entry, _tiny_model(SCALARS))
