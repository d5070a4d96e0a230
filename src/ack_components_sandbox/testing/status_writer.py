"""Write a resource's ``.status`` the way the ACK controller does, for tests, bench and demo.

Where the real controller is not running, something must move a resource
through its lifecycle. This plays that part through the API server's
``/status`` subresource and nothing else, so the component under test sees
exactly what it would see from ACK. Output from anything using it must say
that a stand-in wrote the status.
"""

from __future__ import annotations

import re
from typing import Any

from kubernetes import client

from ack_components.kinds import GROUP, TRAINING_JOB, VERSION, Kind

#: The status value a kind shows while SageMaker works on it, where it is not InProgress
#: (None: it has no such phase).
_IN_PROGRESS = {
    "Endpoint": "Creating",
    "MonitoringSchedule": "Pending",
    "Pipeline": None,
    "PipelineExecution": "Executing",
}

SYNCED_FALSE = [{"type": "ACK.ResourceSynced", "status": "False"}]
SYNCED_TRUE = [{"type": "ACK.ResourceSynced", "status": "True"}]


def lifecycle(kind: Kind, name: str, region: str = "us-east-1") -> list[dict[str, Any]]:
    """The statuses a successful resource of ``kind`` goes through, as ACK reports them."""
    if kind is TRAINING_JOB:
        return training_lifecycle(name, region)
    resource_type = re.sub(r"(?<!^)([A-Z])", r"-\1", kind.name).lower()  # endpoint-config
    metadata = {
        "arn": f"arn:aws:sagemaker:{region}:000000000000:{resource_type}/{name}",
        "ownerAccountID": "000000000000",
        "region": region,
    }
    done = {"ackResourceMetadata": metadata, "conditions": SYNCED_TRUE}
    if kind.status_field is None:
        return [done]
    working = _IN_PROGRESS.get(kind.name, "InProgress")
    if working is None:
        return [{**done, kind.status_field: min(kind.succeeded)}]
    return [
        {"ackResourceMetadata": metadata, kind.status_field: working, "conditions": SYNCED_FALSE},
        {**done, kind.status_field: min(kind.succeeded)},
    ]


def training_lifecycle(name: str, region: str = "us-east-1") -> list[dict[str, Any]]:
    """The statuses a successful TrainingJob goes through, as ACK reports them."""
    metadata = {
        "arn": f"arn:aws:sagemaker:{region}:000000000000:training-job/{name}",
        "ownerAccountID": "000000000000",
        "region": region,
    }
    steps = [
        ("InProgress", "Starting"),
        ("InProgress", "Downloading"),
        ("InProgress", "Training"),
        ("InProgress", "Uploading"),
    ]
    progress = [
        {
            "ackResourceMetadata": metadata,
            "trainingJobStatus": status,
            "secondaryStatus": secondary,
            "conditions": SYNCED_FALSE,
        }
        for status, secondary in steps
    ]
    done = {
        "ackResourceMetadata": metadata,
        "trainingJobStatus": "Completed",
        "secondaryStatus": "Completed",
        "modelArtifacts": {"s3ModelArtifacts": f"s3://sandbox/output/{name}/output/model.tar.gz"},
        "conditions": SYNCED_TRUE,
    }
    return [*progress, done]


def wait_for(
    api: Any, namespace: str, plural: str, name: str | None = None, timeout: float = 60
) -> dict[str, Any]:
    """The first resource of that plural (and name, if given) to appear, found by watching."""
    from kubernetes import watch

    objects = client.CustomObjectsApi(api)
    stream = watch.Watch().stream(
        objects.list_namespaced_custom_object,
        GROUP,
        VERSION,
        namespace,
        plural,
        timeout_seconds=int(timeout),
        **({"field_selector": f"metadata.name={name}"} if name else {}),
    )
    for event in stream:
        found: dict[str, Any] = event["object"]
        return found
    raise TimeoutError(f"no {plural} {name or ''} appeared in {namespace} within {timeout:.0f} s")


def write(api: Any, namespace: str, plural: str, name: str, status: dict[str, Any]) -> None:
    client.CustomObjectsApi(api).patch_namespaced_custom_object_status(
        GROUP, VERSION, namespace, plural, name, {"status": status}
    )
