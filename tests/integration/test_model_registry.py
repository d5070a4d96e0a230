"""The model registry: a group, a versioned package in it, and approving that package.

A versioned ModelPackage has no SageMaker name, so the step that approves it
finds it by ``resource_name``. The test writes ``.status`` as ACK does.
"""

from __future__ import annotations

import time

from harness import Harness, synced

from ack_components_sandbox.testing import samples

ACCOUNT = "123456789012"
PACKAGE_ARN = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model-package/kmeans/1"
MODEL_DATA = "s3://bucket/mnist_kmeans_example/output/model.tar.gz"


def completed(modified: str) -> dict[str, object]:
    return {
        "modelPackageStatus": "Completed",
        "lastModifiedTime": modified,
        "ackResourceMetadata": {
            "arn": PACKAGE_ARN,
            "ownerAccountID": ACCOUNT,
            "region": "us-east-1",
        },
        "conditions": [synced()],
    }


def test_a_registered_version_is_approved_by_a_later_step(harness: Harness) -> None:
    group = harness.start(
        kind="ModelPackageGroup",
        model_package_group_name="kmeans",
        **samples.as_inputs(samples.model_package_group_spec()),
    )
    harness.wait_for_resource(kind="ModelPackageGroup")
    harness.set_status(
        "kmeans",
        kind="ModelPackageGroup",
        modelPackageGroupStatus="Completed",
        conditions=[synced()],
    )
    assert group.wait()[0] == 0

    spec = samples.model_package_spec("kmeans", MODEL_DATA)
    register = harness.start(
        kind="ModelPackage", resource_name="kmeans-v1", **samples.as_inputs(spec)
    )
    harness.wait_for_resource(kind="ModelPackage")
    harness.set_status("kmeans-v1", kind="ModelPackage", **completed("2026-11-23T10:00:00Z"))
    code, log = register.wait()
    assert code == 0, log
    assert register.output("sagemaker_resource_name") == PACKAGE_ARN

    approve = harness.start(
        kind="ModelPackage",
        resource_name="kmeans-v1",
        **samples.as_inputs({**spec, "modelApprovalStatus": "Approved"}),
    )
    harness.wait_until(lambda cr: cr["spec"]["modelApprovalStatus"] == "Approved", "ModelPackage")
    time.sleep(1.0)
    assert approve.process.poll() is None, "the old status was taken for the approval"
    harness.set_status("kmeans-v1", kind="ModelPackage", **completed("2026-11-23T11:00:00Z"))
    code, log = approve.wait()
    assert code == 0, log
    assert "updated modelApprovalStatus" in log


def test_a_resource_name_must_be_a_kubernetes_name(harness: Harness) -> None:
    spec = samples.model_package_spec("kmeans", MODEL_DATA)
    code, log = harness.run(
        kind="ModelPackage", resource_name="KMeans_v1", **samples.as_inputs(spec)
    )
    assert code == 2
    assert "input resource_name: 'KMeans_v1' is not a valid Kubernetes object name" in log
    assert harness.items("ModelPackage") == []
