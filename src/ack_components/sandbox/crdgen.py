"""Generate ACK-compatible SageMaker CustomResourceDefinitions from botocore's API model.

The local sandbox needs the 26 CRDs of the ACK SageMaker controller (group
``sagemaker.services.k8s.aws``, version ``v1alpha1``) installed on a kube-apiserver.
The real CRDs ship in the controller's Go module, which cannot be fetched from the
package registry available to us. ACK itself generates those CRDs from the AWS
SageMaker API model -- the same model botocore ships as
``botocore/data/sagemaker/<date>/service-2.json`` -- so we do the same here:

* ``spec`` holds the members of the create request, named the way ACK names them
  (lowerCamelCase plus ACK's initialism rules, e.g. ``RoleArn`` -> ``roleARN``);
* ``status`` holds ACK's common ``ackResourceMetadata`` and ``conditions`` plus the
  per-kind fields ACK copies from the describe response.

What cannot be derived from the model (which describe fields are status fields, the
printer columns, the few deviations ACK's generator configuration makes) lives in the
declarative table :data:`KINDS` below.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml

GROUP = "sagemaker.services.k8s.aws"
VERSION = "v1alpha1"

Schema = dict[str, Any]
ServiceModel = Mapping[str, Any]


@dataclass(frozen=True)
class PrinterColumn:
    name: str
    json_path: str
    type: str = "string"
    priority: int = 0


@dataclass(frozen=True)
class KindEntry:
    """One ACK SageMaker resource kind.

    ``status_fields`` are ACK field names of describe-response members.
    ``extra_required`` / ``ignored_spec_fields`` are API member names where ACK's CRD
    deviates from the create request's ``required`` list / member list.
    ``custom_status_fields`` are string fields the ACK controller adds on its own.
    """

    kind: str
    plural: str
    create_operation: str
    describe_operation: str
    status_fields: tuple[str, ...] = ()
    printer_columns: tuple[PrinterColumn, ...] = ()
    extra_required: tuple[str, ...] = ()
    ignored_spec_fields: tuple[str, ...] = ()
    custom_status_fields: tuple[str, ...] = ()


def _failure() -> PrinterColumn:
    return PrinterColumn("FAILURE-REASON", ".status.failureReason", priority=1)


def _status(field: str) -> PrinterColumn:
    return PrinterColumn("STATUS", f".status.{field}")


def _kind(kind: str, status: str = "", **extra: Any) -> KindEntry:
    """Table shorthand: ``status`` is space-separated; operations and plural follow from kind."""
    return KindEntry(
        kind=kind,
        plural=extra.pop("plural", kind.lower() + "s"),
        create_operation=extra.pop("create_operation", f"Create{kind}"),
        describe_operation=f"Describe{kind}",
        status_fields=tuple(status.split()),
        **extra,
    )


_FAILED = _failure()

KINDS: tuple[KindEntry, ...] = (
    _kind("App", "status", printer_columns=(_status("status"),)),
    _kind("DataQualityJobDefinition"),
    _kind(
        "Domain",
        "domainID status url",
        printer_columns=(PrinterColumn("DOMAIN-ID", ".status.domainID"), _status("status")),
        extra_required=("SubnetIds", "VpcId"),
    ),
    _kind(
        "Endpoint",
        "creationTime endpointStatus failureReason lastModifiedTime productionVariants",
        printer_columns=(_FAILED, _status("endpointStatus")),
        custom_status_fields=("lastEndpointConfigNameForUpdate", "latestEndpointConfigName"),
    ),
    _kind("EndpointConfig"),
    _kind(
        "FeatureGroup",
        "failureReason featureGroupStatus",
        printer_columns=(_FAILED, _status("featureGroupStatus")),
    ),
    _kind(
        "HyperParameterTuningJob",
        "bestTrainingJob failureReason hyperParameterTuningJobStatus overallBestTrainingJob",
        printer_columns=(_FAILED, _status("hyperParameterTuningJobStatus")),
    ),
    _kind(
        "InferenceComponent",
        "creationTime endpointName failureReason inferenceComponentStatus lastModifiedTime "
        "variantName",
        printer_columns=(_FAILED, _status("inferenceComponentStatus")),
        extra_required=("Specification",),
    ),
    _kind(
        "LabelingJob",
        "failureReason labelingJobStatus",
        printer_columns=(_FAILED, _status("labelingJobStatus")),
    ),
    _kind("Model"),
    _kind("ModelBiasJobDefinition"),
    _kind("ModelExplainabilityJobDefinition"),
    _kind(
        "ModelPackage",
        "creationTime lastModifiedTime modelPackageStatus modelPackageStatusDetails",
        printer_columns=(_status("modelPackageStatus"),),
    ),
    _kind(
        "ModelPackageGroup",
        "modelPackageGroupStatus",
        printer_columns=(_status("modelPackageGroupStatus"),),
    ),
    _kind("ModelQualityJobDefinition"),
    _kind(
        "MonitoringSchedule",
        "creationTime failureReason lastModifiedTime lastMonitoringExecutionSummary "
        "monitoringScheduleStatus",
        printer_columns=(_FAILED, _status("monitoringScheduleStatus")),
    ),
    _kind(
        "NotebookInstance",
        "failureReason notebookInstanceStatus url",
        printer_columns=(_FAILED, _status("notebookInstanceStatus")),
        custom_status_fields=("stoppedByControllerMetadata",),
    ),
    _kind(
        "NotebookInstanceLifecycleConfig",
        "creationTime lastModifiedTime",
        printer_columns=(
            PrinterColumn("CREATION-TIME", ".status.creationTime", "date"),
            PrinterColumn("LAST-MODIFIED-TIME", ".status.lastModifiedTime", "date"),
        ),
    ),
    _kind(
        "Pipeline",
        "creationTime lastModifiedTime pipelineStatus",
        printer_columns=(_status("pipelineStatus"),),
        ignored_spec_fields=("ClientRequestToken",),
    ),
    _kind(
        "PipelineExecution",
        "creationTime failureReason lastModifiedTime pipelineExecutionStatus",
        create_operation="StartPipelineExecution",
        printer_columns=(_FAILED, _status("pipelineExecutionStatus")),
        ignored_spec_fields=("ClientRequestToken",),
    ),
    _kind(
        "ProcessingJob",
        "failureReason processingJobStatus",
        printer_columns=(_FAILED, _status("processingJobStatus")),
    ),
    _kind(
        "Project",
        "creationTime projectID projectStatus serviceCatalogProvisionedProductDetails "
        "templateProviderDetails",
        printer_columns=(_status("projectStatus"),),
    ),
    _kind(
        "Space",
        "creationTime failureReason homeEFSFileSystemUID status url",
        printer_columns=(_FAILED, _status("status")),
    ),
    _kind(
        "TrainingJob",
        "trainingJobStatus secondaryStatus failureReason modelArtifacts "
        "debugRuleEvaluationStatuses profilerRuleEvaluationStatuses profilingStatus "
        "warmPoolStatus creationTime lastModifiedTime",
        printer_columns=(
            _FAILED,
            PrinterColumn("SECONDARY-STATUS", ".status.secondaryStatus"),
            _status("trainingJobStatus"),
        ),
        # Required in the API model ACK v1.9.1 was generated from; optional in newer ones.
        extra_required=("AlgorithmSpecification", "ResourceConfig", "StoppingCondition"),
    ),
    _kind(
        "TransformJob",
        "failureReason transformJobStatus",
        printer_columns=(_FAILED, _status("transformJobStatus")),
    ),
    _kind("UserProfile", "status", printer_columns=(_status("status"),)),
)

# --- ACK field names -------------------------------------------------------------------
# A port of aws-controllers-k8s/pkg ``names`` (CamelLower): an ordered list of
# (camel, upper, lower, pattern) initialism rewrites applied before and after
# lowerCamel-casing. ACK's "Ui" rule is left out: the SageMaker CRDs spell
# ``HumanTaskUiArn`` as ``humanTaskUiARN``.
# camel, upper, lower[, pattern] -- in ACK's order, which matters ("Dbi" before "Db").
_INITIALISM_TABLE = r"""
Ids IDs ids (?![U|u])Ids
Id ID id Id(?!entifier|le|entity|entities|empotency)
Dbi DBI dbi Dbi
Db DB db Db(?!i)
Db DB db DB
CACert CACert caCert CACert
MD5Of MD5Of md5Of M[dD]5Of
Ipc IPC ipc Ipc
IPAddress IPAddress ip_address
IPv4 IPv4 ipv4 I[Pp]v4
IPv6 IPv6 ipv6 I[Pp]v6
Ip IP ip Ip(?!art|am)
IPSet IPSet ip_set
Amis AMIs amis Amis
Ami AMI ami Ami
Acl ACL acl
Acm ACM acm
AIML AIML aiml
Acp ACP acp
Api API api
Arn ARN arn
Asn ASN asn
Awsvpc AWSVPC awsVPC
Aws AWS aws
Az AZ az
Bgp BGP bgp
Cors CORS cors
Cidr CIDR cidr
Cname CNAME cname
Cpu CPU cpu
Crl CRL crl
Cps CPS cps
Csr CSR csr
Dhcp DHCP dhcp
Dns DNS dns
Dpd DPD dpd
Ebs EBS ebs
Ec2 EC2 ec2
Ecr ECR ecr (?!S|s|D|d)[Ee]cr(?!et|ease)
Ecs ECS ecs
Edi EDI edi Edi(?!t)
Efs EFS efs
Eks EKS eks
Ena ENA ena Ena(?!bl)
Ecmp ECMP ecmp
Fifo FIFO fifo
Fpga FPGA fpga
Gid GID gid
Gpu GPU gpu
Grpc GRPC grpc
Html HTML html
Http HTTP http (HTTP((?!S[A-Z]))|Http(?!s))
Https HTTPS https
Iam IAM iam
Icmp ICMP icmp
Io IO io Io(?!ps)
Iops IOPS iops
Ipam IPAM ipam
Ja3 JA3 ja3
Json JSON json
Jwt JWT jwt
Kms KMS kms
Ldap LDAP ldap
Mfa MFA mfa
Mibps MiBps miBps Mibps
Nat NAT nat Nat(?!i)
Oid OID oid Oid(?!c)
OID OID oid OID(?!C)
Oidc OIDC oidc
Ocsp OCSP ocsp
Pca PCA pca
Pid PID pid
Ramdisk RAMDisk ramDisk Ramdisk
Ram RAM ram Ram
Rfc RFC rfc
Sasl SASL sasl
Scram SCRAM scram
Sdk SDK sdk
Sha256 SHA256 sha256
Sns SNS sns
Sqli SQLI sqli
Sql SQL sql
Sqs SQS sqs
Sriov SRIOV sriov
Sse SSE sse
Ssl SSL ssl
Tcp TCP tcp
Tde TDE tde
Tpm TPM tpm
Tls TLS tls
Ttl TTL ttl (?!Thro)((?i:ttl))(?!ing|e)
Udp UDP udp
Uri URI uri (?!sec)uri(?!ty)|(Uri)|(URI)
Url URL url
Uuid UUID uuid
Uids UIDs uids Uids
Uid UID uid Uid
Vlan VLAN vlan
Vpce VPCE vpce (V|v)pce
Vpc VPC vpc (V|v)pc(?!e)
Vpn VPN vpn
Vgw VGW vgw
Waf WAF waf
Xml XML xml
Xss XSS xss
Yaml YAML yaml
"""


def _parse_rules(table: str) -> tuple[tuple[str, str, str, re.Pattern[str] | None], ...]:
    rules = []
    for line in table.strip().splitlines():
        camel, upper, lower, *pattern = line.split()
        rules.append((camel, upper, lower, re.compile(pattern[0]) if pattern else None))
    return tuple(rules)


_INITIALISMS = _parse_rules(_INITIALISM_TABLE)
_GO_KEYWORDS = frozenset(
    [
        *("break", "case", "chan", "const", "continue", "default", "defer", "else"),
        *("fallthrough", "for", "func", "go", "goto", "if", "import", "interface", "map"),
        *("package", "range", "return", "select", "struct", "switch", "type", "var"),
    ]
)


def _normalize_initialisms(subject: str) -> str:
    result = subject
    for camel, upper, lower, pattern in _INITIALISMS:
        if pattern is None:
            if result.startswith(upper):
                result = result.replace(upper, lower, 1)
            pos = result.find(camel)
            if pos == -1:
                continue
            if pos == 0:
                result = result.replace(camel, lower, 1)
            result = result.replace(camel, upper)
            continue
        match = pattern.search(result)
        if match is None:
            continue
        start = match.start()
        if start == 0:
            before = result
            result = pattern.sub(lower, result, count=1)
            nxt = pattern.search(before, match.end())
            if nxt is None:
                continue
            start = nxt.start()
        result = result[:start] + pattern.sub(upper, result[start:])
    return result


def _to_lower_camel(subject: str) -> str:
    """``strcase.ToLowerCamel`` as used by ACK (only the first letter is lowered)."""
    if subject == "ID":
        return "id"
    out: list[str] = []
    cap_next = False
    for i, ch in enumerate(subject.strip()):
        if ch.isascii() and ch.isalpha():
            if cap_next:
                ch = ch.upper()
            elif i == 0:
                ch = ch.lower()
            out.append(ch)
            cap_next = False
        elif ch.isascii() and ch.isdigit():
            out.append(ch)
            cap_next = True
        else:
            cap_next = ch in "_ -."
    return "".join(out)


def ack_field_name(member: str) -> str:
    """The JSON field name ACK gives an API member, e.g. ``RoleArn`` -> ``roleARN``."""
    name = _normalize_initialisms(_to_lower_camel(_normalize_initialisms(member)))
    return name + "_" if name in _GO_KEYWORDS else name


# --- schemas ---------------------------------------------------------------------------

_SCALARS: dict[str, Schema] = {
    "string": {"type": "string"},
    "blob": {"type": "string"},
    "boolean": {"type": "boolean"},
    "integer": {"type": "integer", "format": "int64"},
    "long": {"type": "integer", "format": "int64"},
    "float": {"type": "number"},
    "double": {"type": "number"},
    "timestamp": {"type": "string", "format": "date-time"},
}
_OPAQUE: Schema = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


def _short_doc(doc: str | None, limit: int = 200) -> str | None:
    if not doc:
        return None
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", doc)).split())
    text = re.sub(r"\s+([.,;:!?)])", r"\1", text)
    sentence = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return sentence if len(sentence) <= limit else sentence[: limit - 3].rstrip() + "..."


def _shape_schema(shapes: Mapping[str, Any], name: str, stack: tuple[str, ...] = ()) -> Schema:
    shape = shapes[name]
    kind = shape["type"]
    if kind in _SCALARS:
        return dict(_SCALARS[kind])
    stack = (*stack, name)
    if kind == "list":
        return {"type": "array", "items": _shape_schema(shapes, shape["member"]["shape"], stack)}
    if kind == "map":
        value = _shape_schema(shapes, shape["value"]["shape"], stack)
        return {"type": "object", "additionalProperties": value}
    if kind != "structure":
        raise ValueError(f"shape {name}: unsupported type {kind!r}")
    if name in stack[:-1] or not shape.get("members"):
        # A recursive shape (or an empty one): stop here and keep whatever is given.
        return dict(_OPAQUE)
    return {"type": "object", "properties": _members_schema(shapes, shape["members"], stack)}


def _members_schema(
    shapes: Mapping[str, Any],
    members: Mapping[str, Any],
    stack: tuple[str, ...] = (),
    *,
    describe: bool = False,
) -> dict[str, Schema]:
    props: dict[str, Schema] = {}
    for member, ref in members.items():
        field = ack_field_name(member)
        if field in props:
            raise ValueError(f"two members map to the ACK field {field!r}")
        schema = _shape_schema(shapes, ref["shape"], stack)
        doc = _short_doc(ref.get("documentation")) if describe else None
        props[field] = {"description": doc, **schema} if doc else schema
    return props


def _ack_resource_metadata() -> Schema:
    strings = {key: {"type": "string"} for key in ("arn", "ownerAccountID", "partition", "region")}
    return {"type": "object", "properties": strings, "required": ["ownerAccountID", "region"]}


def _conditions() -> Schema:
    props: dict[str, Schema] = {k: {"type": "string"} for k in ("message", "reason", "status")}
    props["type"] = {"type": "string"}
    props["lastTransitionTime"] = {"type": "string", "format": "date-time"}
    item = {"type": "object", "properties": props, "required": ["status", "type"]}
    return {"type": "array", "items": item}


def _spec_schema(entry: KindEntry, model: ServiceModel) -> Schema:
    shapes = model["shapes"]
    request = shapes[model["operations"][entry.create_operation]["input"]["shape"]]
    members = {k: v for k, v in request["members"].items() if k not in entry.ignored_spec_fields}
    required = [m for m in request.get("required", []) if m in members]
    for member in entry.extra_required:
        if member not in members:
            raise KeyError(f"{entry.kind}: {member} is not a member of {entry.create_operation}")
        if member not in required:
            required.append(member)
    schema: Schema = {
        "type": "object",
        "properties": _members_schema(shapes, members, describe=True),
    }
    if required:
        schema["required"] = sorted(ack_field_name(m) for m in required)
    return schema


def _status_schema(entry: KindEntry, model: ServiceModel) -> Schema:
    shapes = model["shapes"]
    output = shapes[model["operations"][entry.describe_operation]["output"]["shape"]]
    by_field = {ack_field_name(k): {k: v} for k, v in output["members"].items()}
    props: dict[str, Schema] = {
        "ackResourceMetadata": _ack_resource_metadata(),
        "conditions": _conditions(),
    }
    for field in entry.status_fields:
        if field not in by_field:
            raise KeyError(f"{entry.kind}: {entry.describe_operation} has no field {field}")
        props.update(_members_schema(shapes, by_field[field], describe=True))
    for field in entry.custom_status_fields:
        props[field] = {"type": "string"}
    return {"type": "object", "properties": props}


def _printer_column(column: PrinterColumn) -> dict[str, Any]:
    out: dict[str, Any] = {"name": column.name, "jsonPath": column.json_path, "type": column.type}
    if column.priority:
        out["priority"] = column.priority
    return out


def generate_crd(kind_entry: KindEntry, model: ServiceModel) -> dict[str, Any]:
    """The CustomResourceDefinition (as a plain dict) for one kind of :data:`KINDS`."""
    singular = kind_entry.kind.lower()
    version: dict[str, Any] = {
        "name": VERSION,
        "served": True,
        "storage": True,
        "subresources": {"status": {}},
        "schema": {
            "openAPIV3Schema": {
                "description": f"{kind_entry.kind} is the Schema for the {kind_entry.kind}s API",
                "type": "object",
                "properties": {
                    "apiVersion": {"type": "string"},
                    "kind": {"type": "string"},
                    "metadata": {"type": "object"},
                    "spec": _spec_schema(kind_entry, model),
                    "status": _status_schema(kind_entry, model),
                },
            }
        },
    }
    if kind_entry.printer_columns:
        version["additionalPrinterColumns"] = [
            _printer_column(c) for c in kind_entry.printer_columns
        ]
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{kind_entry.plural}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "names": {
                "kind": kind_entry.kind,
                "listKind": f"{kind_entry.kind}List",
                "plural": kind_entry.plural,
                "singular": singular,
            },
            "scope": "Namespaced",
            "versions": [version],
        },
    }


def load_sagemaker_model() -> ServiceModel:
    """The SageMaker API model botocore ships (``service-2.json``)."""
    from botocore.loaders import create_loader

    return cast(ServiceModel, create_loader().load_service_model("sagemaker", "service-2"))


def generate_all(model: ServiceModel | None = None) -> list[dict[str, Any]]:
    """CRDs for all kinds of :data:`KINDS`, in table order."""
    model = load_sagemaker_model() if model is None else model
    return [generate_crd(entry, model) for entry in KINDS]


def crd_filename(crd: Mapping[str, Any]) -> str:
    """ACK's file name for a CRD: ``sagemaker.services.k8s.aws_<plural>.yaml``."""
    return f"{GROUP}_{crd['spec']['names']['plural']}.yaml"


def write_crds(directory: Path, crds: Sequence[Mapping[str, Any]] | None = None) -> list[Path]:
    """Write one YAML file per CRD into ``directory``; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for crd in generate_all() if crds is None else crds:
        path = directory / crd_filename(crd)
        path.write_text(yaml.safe_dump(dict(crd), sort_keys=False), encoding="utf-8")
        paths.append(path)
    return paths
