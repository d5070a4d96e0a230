"""Pipeline steps as Argo runs them: pods of the component image on the sandbox's node.

`sandbox up` builds the image from the project's Dockerfile (or finds it in the cache)
and imports it into the node's containerd under the name ``component.yaml`` gives. The
steps' containers are those of ``samples/deploy_pipeline.py`` compiled by kfp 1.8 (the
command, and the arguments as Argo fills them in), run in the Kubeflow profile's
namespace as its ``default-editor`` service account, which holds only the Role of
``ack-components rbac``. The step reads in-cluster credentials, creates its resource,
and the real ACK controller drives it through the SageMaker emulator on the host. The
outputs directory (``/tmp/outputs``, KFP v1's) is a host directory, so the test reads
the files the step wrote, and pastes the Model step's output into the EndpointConfig
step's arguments as Argo would.

Needs root on Linux with the node's packages (`make node`) and podman and debootstrap
(`make image`); elsewhere it is skipped with the reason.
"""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config
from node_sandbox import kubectl, sandbox_cli, state, wait_for
from test_output_in_json_input import argo_arguments, compiled_workflow, render

from ack_components import rbac
from ack_components_sandbox.cluster import component_image, node
from ack_components_sandbox.kubeflow import kfp_backend, profile

WHY_NOT = node.unavailable() or component_image.unavailable()
NAMESPACE = profile.NAMESPACE
GROUP, VERSION = "sagemaker.services.k8s.aws", "v1alpha1"
PIPELINE = {
    "region": "us-east-1",
    "role_arn": "arn:aws:iam::123456789012:role/SageMakerExecution",
    "instance_type": "ml.m5.large",
}
#: What the serving-container step of the pipeline would have handed the Model step.
PRIMARY_CONTAINER = {
    "image": "382416733822.dkr.ecr.us-east-1.amazonaws.com/kmeans:1",
    "modelDataURL": "s3://my-bucket/mnist_kmeans_example/output/model.tar.gz",
}
OUTPUTS = "/tmp/outputs"
#: Argo's names of the outputs the two steps take: the serving container's (the Model's
#: primary container) and the Model's name.
CONTAINER_OUTPUT = "tasks.serving-container.outputs.parameters.serving-container-Output"
MODEL_OUTPUT = "tasks.sagemaker-model.outputs.parameters.sagemaker-model-sagemaker_resource_name"
RUN_ID, OTHER_RUN_ID = (
    "0b5e1c1e-0000-4000-8000-000000000011",
    "0b5e1c1e-0000-4000-8000-000000000012",
)

pytestmark = [
    pytest.mark.node,
    pytest.mark.skipif(WHY_NOT is not None, reason=f"no step pods on this machine: {WHY_NOT}"),
    pytest.mark.timeout(1200),
    pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::PendingDeprecationWarning"),
]


def step_container(
    workflow: dict[str, Any], step: str, outputs: dict[str, str], run_id: str
) -> dict[str, Any]:
    """The step's container as Argo starts it: its template's image and command, and its
    arguments filled in from the pipeline's values, ``outputs`` (Argo's name of an earlier
    step's output → its text) and the run's id (``{{workflow.uid}}``)."""
    args = argo_arguments(workflow, step, PIPELINE, outputs)
    args[args.index("--run_id") + 1] = run_id
    container = next(t for t in workflow["spec"]["templates"] if t["name"] == step)["container"]
    return {"image": container["image"], "command": container["command"], "args": args}


def step_pod(name: str, container: dict[str, Any], outputs: Path) -> dict[str, Any]:
    """A pod as Argo makes one for a step: the profile's service account, the image as
    imported (never pulled), KFP's outputs directory (here a host directory)."""
    outputs.mkdir(parents=True)
    outputs.chmod(0o777)  # the image runs as uid 10001
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "restartPolicy": "Never",
            "serviceAccountName": profile.SERVICE_ACCOUNT,
            "securityContext": {"runAsNonRoot": True},
            "containers": [
                {
                    "name": "main",
                    **container,
                    "imagePullPolicy": "Never",
                    "volumeMounts": [{"name": "outputs", "mountPath": OUTPUTS}],
                }
            ],
            "volumes": [
                {"name": "outputs", "hostPath": {"path": str(outputs), "type": "Directory"}}
            ],
        },
    }


def phase(core: Any, name: str) -> str:
    return str(core.read_namespaced_pod(name, NAMESPACE).status.phase)


def wait_for_resource(objects: Any, plural: str, name: str, within: float = 120) -> None:
    from kubernetes.client.exceptions import ApiException

    deadline = time.monotonic() + within
    while True:
        try:
            objects.get_namespaced_custom_object(GROUP, VERSION, NAMESPACE, plural, name)
            return
        except ApiException as error:
            assert error.status == 404, error
        assert time.monotonic() < deadline, f"no {plural}/{name} within {within:.0f} s"
        time.sleep(0.05)


def run_step(
    api: Any, name: str, container: dict[str, Any], outputs: Path, plural: str
) -> tuple[str, float, str]:
    """Create the step's pod and wait until it ends: (its phase, seconds from the pod's
    creation to the resource's, its log). The resource's name is the one ``render``
    derives from the same arguments; ``plural`` empty: the step creates none."""
    core = client.CoreV1Api(api)
    objects = client.CustomObjectsApi(api)
    resource = render(container["command"][-1], container["args"])["metadata"]["name"]
    started = time.monotonic()
    core.create_namespaced_pod(NAMESPACE, step_pod(name, container, outputs))
    created = None
    if plural:
        wait_for_resource(objects, plural, resource)
        created = time.monotonic() - started
    wait_for(f"pod {name} ended", lambda: phase(core, name) in ("Succeeded", "Failed"), 300)
    log = str(core.read_namespaced_pod_log(name, NAMESPACE))
    return phase(core, name), created or 0.0, log


def output(outputs: Path, name: str) -> str:
    return (outputs / name / "data").read_text()


def emulator_calls(root: Path, name: str) -> list[str]:
    """The SageMaker operations the emulator received for ``name`` (the shared sandbox's
    other runs make resources of their own)."""
    url = json.loads(sandbox_cli(root, "status").stdout)["sagemaker_endpoint_url"]
    with urllib.request.urlopen(f"{url}/_emulator/calls", timeout=10) as response:
        return [call["operation"] for call in json.loads(response.read()) if call["name"] == name]


def test_model_then_endpoint_config_steps_run_as_pods(
    sandbox: dict[str, Any], tmp_path: Path
) -> None:
    root: Path = sandbox["root"]
    workflow = compiled_workflow(tmp_path)
    up = sandbox["up"]
    assert f"component image {component_image.normalized(component_image.COMPONENT_IMAGE)}" in (
        up.stdout
    )
    api = config.new_client_from_config(config_file=str(root / "kubeconfig"))
    objects = client.CustomObjectsApi(api)
    wait_for(
        "the profile's service account and root CA",
        lambda: (
            profile.SERVICE_ACCOUNT in kubectl(root, "get", "sa", "-n", NAMESPACE)
            and "kube-root-ca.crt" in kubectl(root, "get", "configmaps", "-n", NAMESPACE)
        ),
    )
    # The account holds the Role of `ack-components rbac` and, where Argo runs, Argo's
    # executor Role (its own results, nothing of SageMaker's), where KFP runs what its v2
    # engine reads (configmaps, secrets, pods: get), and nothing else.
    bindings = json.loads(
        kubectl(root, "get", "rolebindings,clusterrolebindings", "-A", "-o", "json")
    )
    held = [
        b["roleRef"]["name"]
        for b in bindings["items"]
        if any(
            s.get("name") == profile.SERVICE_ACCOUNT and s.get("namespace") == NAMESPACE
            for s in b.get("subjects") or []
        )
    ]
    executor = {"argo-executor"} if "argo" in state(root) else set()
    engine = {kfp_backend.ENGINE_ROLE} if "kfp" in state(root) else set()
    assert sorted(held) == sorted({rbac.NAME} | executor | engine)
    for role in json.loads(kubectl(root, "get", "roles", "-n", NAMESPACE, "-o", "json"))["items"]:
        if role["metadata"]["name"] in executor:
            resources = {r for rule in role["rules"] for r in rule["resources"]}
            assert resources == {"workflowtaskresults"}
        if role["metadata"]["name"] in engine:  # what the v2 driver and launcher read
            assert role["rules"] == kfp_backend.ENGINE_RULES

    served = {CONTAINER_OUTPUT: json.dumps(PRIMARY_CONTAINER)}
    model_container = step_container(workflow, "sagemaker-model", served, RUN_ID)
    assert model_container["image"] == component_image.COMPONENT_IMAGE
    assert model_container["command"] == ["ack-components", "run", "Model"]
    model_out = tmp_path / "model-outputs"
    status, created, log = run_step(api, "model-step", model_container, model_out, "models")
    print(f"\nModel step: pod created -> Model CR created in {created:.2f} s")
    assert status == "Succeeded", log
    model_name = output(model_out, "sagemaker_resource_name")
    assert f"Model {NAMESPACE}/{model_name}" in log, log
    assert "done:" in log, log
    model = objects.get_namespaced_custom_object(GROUP, VERSION, NAMESPACE, "models", model_name)
    labels = model["metadata"]["labels"]
    assert labels["ack-components/step"] == "model-step", labels  # the pod's HOSTNAME
    arn = model["status"]["ackResourceMetadata"]["arn"]
    assert arn == f"arn:aws:sagemaker:us-east-1:123456789012:model/{model_name}"
    assert json.loads(output(model_out, "ack_resource_metadata"))["arn"] == arn
    conditions = {c["type"]: c["status"] for c in model["status"]["conditions"]}
    assert conditions["ACK.ResourceSynced"] == "True", conditions
    assert json.loads(output(model_out, "conditions"))
    assert json.loads(output(model_out, "MLPipeline_UI_metadata"))["outputs"]

    config_container = step_container(
        workflow, "sagemaker-endpointconfig", {MODEL_OUTPUT: model_name}, RUN_ID
    )
    config_out = tmp_path / "config-outputs"
    status, created, log = run_step(
        api, "config-step", config_container, config_out, "endpointconfigs"
    )
    print(f"EndpointConfig step: pod created -> EndpointConfig CR created in {created:.2f} s")
    assert status == "Succeeded", log
    config_name = output(config_out, "sagemaker_resource_name")
    endpoint_config = objects.get_namespaced_custom_object(
        GROUP, VERSION, NAMESPACE, "endpointconfigs", config_name
    )
    [variant] = endpoint_config["spec"]["productionVariants"]
    assert variant["modelName"] == model_name
    assert endpoint_config["status"]["ackResourceMetadata"]["arn"].endswith(
        f":endpoint-config/{config_name}"
    )
    assert emulator_calls(root, model_name).count("CreateModel") == 1
    assert emulator_calls(root, config_name).count("CreateEndpointConfig") == 1

    # One verb fewer in the Role: the step fails and says which (the Role is put back
    # after, as `ack-components rbac` makes it: the sandbox is the run's).
    role = json.loads(kubectl(root, "get", "role", rbac.NAME, "-n", NAMESPACE, "-o", "json"))
    role["rules"][0]["verbs"].remove("create")
    kubectl(root, "replace", "-f", "-", stdin=json.dumps(role))
    denied_container = step_container(workflow, "sagemaker-model", served, OTHER_RUN_ID)
    denied = render(denied_container["command"][-1], denied_container["args"])
    try:
        status, _, log = run_step(
            api, "denied-step", denied_container, tmp_path / "denied-outputs", ""
        )
    finally:
        profile.create(api)
    assert status == "Failed", log
    assert f"missing permission: create models.{GROUP} in namespace '{NAMESPACE}'" in log, log
    assert emulator_calls(root, denied["spec"]["modelName"]) == []
