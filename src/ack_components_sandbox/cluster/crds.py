"""The CRDs the sandbox serves, and installing them until every one is Established.

Sources, all pinned in ``versions.env``:
- the SageMaker kinds and ACK's common kinds (FieldExport, IAMRoleSelector): the
  controller's own ``config/crd/bases`` and ``config/crd/common/bases``, from the
  same source its binary is built from (``binaries.controller_source``), so the
  sandbox serves exactly what that controller reconciles;
- PyTorchJob (``kubeflow.org/v1``) from the pinned training-operator Go module.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from ack_components_sandbox.base import binaries

TRAINING_OPERATOR_MODULE = "github.com/kubeflow/training-operator"


def sagemaker_crd_files() -> list[Path]:
    return sorted((binaries.controller_source() / "config/crd/bases").glob("*.yaml"))


def common_crd_files() -> list[Path]:
    return sorted((binaries.controller_source() / "config/crd/common/bases").glob("*.yaml"))


def pytorchjob_crd_file() -> Path:
    version = "v" + binaries.versions()["TRAINING_OPERATOR_VERSION"]
    root = binaries.go_module_dir(TRAINING_OPERATOR_MODULE, version)
    return root / "manifests/base/crds/kubeflow.org_pytorchjobs.yaml"


def all_crd_files() -> list[Path]:
    return [*sagemaker_crd_files(), *common_crd_files(), pytorchjob_crd_file()]


def load(files: Iterable[Path]) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in files:
        docs.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return docs


def install(api_client: Any, docs: list[dict[str, Any]], timeout: float = 60.0) -> list[str]:
    """Create (or replace) each CRD, then wait until all are Established; returns their names."""
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    api = client.ApiextensionsV1Api(api_client)
    for doc in docs:
        name = doc["metadata"]["name"]
        try:
            api.create_custom_resource_definition(body=doc)
        except ApiException as error:
            if error.status != 409:
                raise
            current = api.read_custom_resource_definition(name)
            doc = {
                **doc,
                "metadata": {
                    **doc["metadata"],
                    "resourceVersion": current.metadata.resource_version,
                },
            }
            api.replace_custom_resource_definition(name, body=doc)
    names = [doc["metadata"]["name"] for doc in docs]
    deadline = time.monotonic() + timeout
    pending = set(names)
    while pending:
        listed = api.list_custom_resource_definition().items
        pending -= {crd.metadata.name for crd in listed if _established(crd)}
        if not pending:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"CRDs not Established within {timeout:.0f} s: {sorted(pending)}")
        time.sleep(0.1)
    return names


def _established(crd: Any) -> bool:
    conditions = (crd.status and crd.status.conditions) or []
    return any(c.type == "Established" and c.status == "True" for c in conditions)
