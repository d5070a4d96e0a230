"""`ack-components-sandbox up | down | status`: the local stack for users, across commands.

Parts: the control plane (etcd + kube-apiserver) with the CRDs, a Kubeflow profile's
namespace whose ``default-editor`` holds only the components' Role, the SageMaker
emulator, the real ACK SageMaker controller driving the emulator, and (where the
machine allows it: Linux, root, the node's packages and binaries) a real node, with the
component image built from the Dockerfile (where podman and debootstrap are) on it, the
cluster DNS, Argo and Kubeflow Pipelines, and Kubeflow's training operator with the
hybrid sample's training image (each where built). ``up`` starts
the parts in order and writes what it started to
``.sandbox/state.json``; ``down`` stops whatever that file names, even after a
partial start; ``status`` reports each part's health. The state is a mapping of
part name → that part's own JSON, so a new part joins as a new entry without
changing the others.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ack_components_sandbox.aws import controller_deployment, controller_process, emulator_process
from ack_components_sandbox.aws.controller_process import ControllerState
from ack_components_sandbox.aws.emulator_process import EmulatorState
from ack_components_sandbox.base import workloads
from ack_components_sandbox.base.binaries import MissingPrerequisite
from ack_components_sandbox.cluster import cluster_dns, component_image, crds, node
from ack_components_sandbox.cluster.controlplane import (
    ControlPlane,
    ControlPlaneError,
    ControlPlaneState,
)
from ack_components_sandbox.kubeflow import (
    argo,
    artifact_store,
    database,
    kfp_backend,
    kfp_ui,
    metadata,
    profile,
    training_operator,
)
from ack_components_sandbox.kubeflow.artifact_store import ArtifactStoreState
from ack_components_sandbox.kubeflow.database import DatabaseState
from ack_components_sandbox.kubeflow.kfp_ui import UIState
from ack_components_sandbox.kubeflow.metadata import MetadataState

DEFAULT_DIR = Path(".sandbox")
REGION = "us-east-1"


class SandboxError(RuntimeError):
    """A sandbox part failed; the message names the part."""


def state_file(root: Path) -> Path:
    return root / "state.json"


def read_state(root: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(state_file(root).read_text())
    except FileNotFoundError:
        return {}
    return data


def write_state(root: Path, state: dict[str, Any]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    state_file(root).write_text(json.dumps(state, indent=2) + "\n")


def up(
    root: Path = DEFAULT_DIR,
    api_port: int | None = None,
    with_node: bool = True,
    with_training: bool = True,
) -> dict[str, Any]:
    """Start the parts in order; returns the saved state.

    ``with_training``: also Kubeflow's training operator and the training image on the
    node (else ``training_operator_skipped`` says it was not asked for).

    ``with_node``: also a node, if ``node.unavailable()`` finds nothing missing (else
    the reason is saved as ``node_skipped``), and on it the component image, if
    ``component_image.unavailable()`` finds nothing missing (else ``image_skipped``).
    """
    existing = read_state(root)
    if existing and all(status(root)["parts"].values()):
        return existing
    if existing:
        down(root)
    started = time.monotonic()
    state: dict[str, Any] = {}
    skipped = node.unavailable() if with_node else "--no-node"
    prepared = None
    archives = []
    if skipped is None:
        image_skipped = component_image.unavailable()
        if image_skipped is None:
            try:
                built = component_image.ensure(log=root.resolve() / "component-image.log")
            except component_image.ImageError as error:
                raise SandboxError(f"component image: {error}") from error
            state["component_image"] = {
                "name": built.name,
                "archive": str(built.archive),
                "seconds": built.seconds,
                "cached": built.cached,
            }
            archives += [built.archive, built.base_archive]
        else:
            state["image_skipped"] = image_skipped
        try:
            prepared = node.prepare(root.resolve() / "node")
        except node.NodeError as error:
            raise SandboxError(f"node: {error}") from error
        state["node"] = prepared.to_json()
        write_state(root, state)
    else:
        state["node_skipped"] = skipped
    plane = ControlPlane(
        workdir=root.resolve(), api_port=api_port, node_ip=prepared.node_ip if prepared else None
    )
    try:
        plane.start()
    except (ControlPlaneError, MissingPrerequisite) as error:
        down(root)
        raise SandboxError(f"control plane: {error}") from error
    assert plane.state is not None
    state["controlplane"] = plane.state.to_json()
    write_state(root, state)
    try:
        from kubernetes import config

        client = config.new_client_from_config(config_file=str(plane.kubeconfig))
        installed = crds.install(client, crds.load(crds.all_crd_files()))
    except Exception as error:
        down(root)
        raise SandboxError(f"CRDs: {error}") from error
    state["crds"] = installed
    try:
        state["profile"] = profile.create(client)
    except Exception as error:
        down(root)
        raise SandboxError(f"profile namespace: {error}") from error
    try:
        emulator = emulator_process.start(
            root.resolve() / "logs" / "sagemaker-emulator.log",
            # where pods (the controller's, on a node) reach it: the node's bridge
            host=prepared.node_ip if prepared else "127.0.0.1",
        )
    except (emulator_process.EmulatorError, MissingPrerequisite) as error:
        down(root)
        raise SandboxError(f"SageMaker emulator: {error}") from error
    state["emulator"] = emulator.to_json()
    write_state(root, state)
    if prepared is None:  # the controller runs on the host; with a node, as a Deployment
        try:
            controller = controller_process.start(
                plane.kubeconfig, emulator.url, root.resolve() / "logs" / "ack-controller.log"
            )
        except (controller_process.ControllerError, MissingPrerequisite) as error:
            down(root)
            raise SandboxError(f"ACK controller: {error}") from error
        state["controller"] = controller.to_json()
        write_state(root, state)
    if prepared is not None:
        node_started = time.monotonic()
        try:
            dns = cluster_dns.SERVICE_IP if cluster_dns.unavailable() is None else None
            state["node"] = node.start(
                prepared, plane.state, archives=archives, cluster_dns=dns
            ).to_json()
        except node.NodeError as error:
            state["node"] = (node.started_state(error) or prepared).to_json()
            write_state(root, state)
            down(root)
            raise SandboxError(f"node: {error}") from error
        state["node_ready_seconds"] = round(time.monotonic() - node_started, 2)
        write_state(root, state)
        _cluster_dns(root, state, client)
        _controller_deployment(root, state, client, emulator.url)
        _pipelines(root, state, client, emulator.url)
        if "argo" in state:
            _kubeflow_pipelines(root, state, client)
        if "cluster_dns" in state and with_training:
            _training_operator(root, state, client, emulator.url)
        elif not with_training:
            state["training_operator_skipped"] = "--no-training"
    state["ready_seconds"] = round(time.monotonic() - started, 2)
    write_state(root, state)
    return state


def _part(
    root: Path,
    state: dict[str, Any],
    key: str,
    label: str,
    install: Callable[[], dict[str, Any]],
    skipped: str | None = None,
) -> None:
    """One part on the node: ``state[key]`` what ``install`` reports and how long it took,
    or ``state[key + "_skipped"]`` why it cannot run here; a failure takes the sandbox down."""
    if skipped is not None:
        state[f"{key}_skipped"] = skipped
        return
    started = time.monotonic()
    try:
        details = install()
    except Exception as error:
        down(root)
        raise SandboxError(f"{label}: {error}") from error
    state[key] = {**details, "seconds": round(time.monotonic() - started, 2)}


def _cluster_dns(root: Path, state: dict[str, Any], client: Any) -> None:
    """CoreDNS on the node, where built."""

    def install() -> dict[str, Any]:
        node.import_image(node.NodeState.from_json(state["node"]), cluster_dns.image())
        cluster_dns.deploy(client)
        return {"service_ip": cluster_dns.SERVICE_IP}

    _part(root, state, "cluster_dns", "cluster DNS", install, cluster_dns.unavailable())


def _training_operator(root: Path, state: dict[str, Any], client: Any, emulator_url: str) -> None:
    """Kubeflow's training operator, the hybrid sample's training image, and the profile's
    ``aws-secret`` its pods read, where built."""

    def install() -> dict[str, Any]:
        node_state = node.NodeState.from_json(state["node"])
        built = training_operator.training_image(root.resolve() / "training-image.log")
        node.import_archive(node_state, built.archive)
        init = training_operator.init_image(root.resolve() / "init-image.log")
        node.import_archive(node_state, init.archive)
        node.import_image(node_state, training_operator.operator_image())
        training_operator.install(client)
        profile.put_aws_secret(client, emulator_url)
        return {"version": training_operator.version(), "training_image": built.name}

    skipped = training_operator.unavailable() or component_image.unavailable()
    _part(root, state, "training_operator", "training operator", install, skipped)


def _controller_deployment(root: Path, state: dict[str, Any], client: Any, url: str) -> None:
    """The ACK controller as users deploy it, on the node."""

    def install() -> dict[str, Any]:
        node.import_image(node.NodeState.from_json(state["node"]), controller_deployment.image())
        controller_deployment.deploy(client, url, REGION)
        return {
            "namespace": controller_deployment.NAMESPACE,
            "name": controller_deployment.NAME,
            "image": controller_deployment.image().name,
        }

    _part(root, state, "controller_deployment", "ACK controller", install)


def _pipelines(root: Path, state: dict[str, Any], client: Any, emulator_url: str) -> None:
    """On the node: the artifact store and Argo, where Argo is built (else ``argo_skipped``);
    the steps get the emulator as their AWS endpoint (the job logs they follow)."""
    skipped = argo.unavailable() or kfp_backend.unavailable()
    if skipped is None and "cluster_dns" not in state:
        skipped = f"no cluster DNS, which Argo's steps need: {state.get('cluster_dns_skipped')}"
    if skipped is not None:
        state["argo_skipped"] = skipped
        return
    started = time.monotonic()
    node_state = node.NodeState.from_json(state["node"])
    try:
        for image in argo.argo_images():
            node.import_image(node_state, image)
        store = artifact_store.start(
            node_state.node_ip, argo.ARTIFACT_BUCKET, root.resolve() / "logs" / "artifact-store.log"
        )
        state["artifact_store"] = store.to_json()
        write_state(root, state)
        step_env = {
            "AWS_ENDPOINT_URL": emulator_url,
            "AWS_DEFAULT_REGION": REGION,
            **controller_process.EMULATOR_CREDENTIALS,
        }
        installed = argo.install(client, kfp_backend.source(), store.host, store.port, step_env)
    except Exception as error:
        down(root)
        raise SandboxError(f"Argo: {error}") from error
    state["argo"] = {
        "version": argo.version(),
        "artifact_endpoint": installed.artifact_endpoint,
        "seconds": round(time.monotonic() - started, 2),
    }


def _kubeflow_pipelines(root: Path, state: dict[str, Any], client: Any) -> None:
    """On the node, beside Argo: KFP's backend with its database and ML Metadata, then its
    UI on the host (each where built, else ``kfp_skipped`` / ``kfp_ui_skipped``)."""
    skipped = kfp_backend.unavailable() or database.unavailable() or metadata.unavailable()
    if skipped is not None:
        state["kfp_skipped"] = skipped
        return
    started = time.monotonic()
    node_state = node.NodeState.from_json(state["node"])
    try:
        for image in kfp_backend.kfp_images():
            node.import_image(node_state, image)
        db = database.start(
            node_state.node_ip, root.resolve() / "mariadb", root.resolve() / "logs" / "mariadb.log"
        )
        state["database"] = db.to_json()
        write_state(root, state)
        mlmd = metadata.start(
            node_state.node_ip, (db.host, db.port), root.resolve() / "logs" / "ml-metadata.log"
        )
        state["metadata"] = mlmd.to_json()
        write_state(root, state)
        workloads.apply(client, metadata.services(mlmd))
        kfp_backend.install(client, (db.host, db.port))
        api_address = kfp_backend.api_address(client)
    except Exception as error:
        down(root)
        raise SandboxError(f"Kubeflow Pipelines: {error}") from error
    state["kfp"] = {
        "version": kfp_backend.version(),
        "api_address": api_address,
        "seconds": round(time.monotonic() - started, 2),
    }
    write_state(root, state)
    ui_skipped = kfp_ui.unavailable()
    if ui_skipped is not None:
        state["kfp_ui_skipped"] = ui_skipped
        return
    store = ArtifactStoreState.from_json(state["artifact_store"])
    try:
        mlmd = MetadataState.from_json(state["metadata"])
        ui = kfp_ui.start(
            api_address,
            (store.host, store.port),
            (mlmd.host, mlmd.web_port),
            root.resolve() / "kubeconfig",
            root.resolve() / "logs",
            argo.artifact_service_addresses(client),
        )
    except Exception as error:
        down(root)
        raise SandboxError(f"Kubeflow Pipelines UI: {error}") from error
    state["kfp_ui"] = ui.to_json()


def down(root: Path = DEFAULT_DIR) -> list[str]:
    """Stop every part the state file names; returns their names. Safe to call twice."""
    state = read_state(root)
    stopped = []
    plane_state = (
        ControlPlaneState.from_json(state["controlplane"]) if "controlplane" in state else None
    )
    problems: list[str] = []
    if "kfp_ui" in state:
        kfp_ui.stop(UIState.from_json(state["kfp_ui"]))
        stopped.append("kfp-ui")
    if "node" in state:
        problems = node.stop(node.NodeState.from_json(state["node"]), plane_state)
        stopped.append("node")
    if "artifact_store" in state:
        ArtifactStoreState.from_json(state["artifact_store"]).process.stop()
        stopped.append("artifact-store")
    if "metadata" in state:
        MetadataState.from_json(state["metadata"]).process.stop()
        stopped.append("ml-metadata")
    if "database" in state:
        DatabaseState.from_json(state["database"]).process.stop()
        stopped.append("mariadb")
    if "controller" in state:
        ControllerState.from_json(state["controller"]).process.stop()
        stopped.append("ack-controller")
    if "emulator" in state:
        EmulatorState.from_json(state["emulator"]).process.stop()
        stopped.append("sagemaker-emulator")
    if plane_state is not None:
        ControlPlane.attach(plane_state).stop()
        stopped.append("controlplane")
    if problems:  # keep the state, so another `down` tries again
        write_state(root, {"node": state["node"]})
        raise SandboxError("node: not everything could be undone:\n" + "\n".join(problems))
    state_file(root).unlink(missing_ok=True)
    return stopped


def _client(root: Path) -> Any:
    from kubernetes import config

    return config.new_client_from_config(config_file=str(root / "kubeconfig"))


def status(root: Path = DEFAULT_DIR) -> dict[str, Any]:
    state = read_state(root)
    parts: dict[str, bool] = {}
    if "controlplane" in state:
        parts.update(
            ControlPlane.attach(ControlPlaneState.from_json(state["controlplane"])).health()
        )
    report: dict[str, Any] = {"kubeconfig": str(root / "kubeconfig")}
    if "node" in state and "controlplane" in state:
        node_state = node.NodeState.from_json(state["node"])
        node_parts = node.health(node_state, ControlPlaneState.from_json(state["controlplane"]))
        parts.update(node_parts)
        report["node"] = {"name": node_state.name, "ready": node_parts["node-ready"]}
    elif "node_skipped" in state:
        report["node"] = {"skipped": state["node_skipped"]}
    if "component_image" in state:
        report["component_image"] = state["component_image"]["name"]
    elif "image_skipped" in state:
        report["component_image"] = {"skipped": state["image_skipped"]}
    if "artifact_store" in state:
        store = ArtifactStoreState.from_json(state["artifact_store"])
        parts["artifact-store"] = store.process.is_running() and artifact_store.healthy(store)
    # the parts that run as Deployments on the node, read with one client
    on_node = {"argo", "controller_deployment", "kfp", "cluster_dns", "training_operator"}
    api = _client(root) if on_node & state.keys() else None
    if "cluster_dns" in state:
        parts["coredns"] = workloads.available(api, cluster_dns.NAMESPACE, cluster_dns.NAME)
    elif "cluster_dns_skipped" in state:
        report["cluster_dns"] = {"skipped": state["cluster_dns_skipped"]}
    if "training_operator" in state:
        report["training_operator"] = state["training_operator"]
        parts["training-operator"] = workloads.available(
            api, training_operator.NAMESPACE, training_operator.NAME
        )
    elif "training_operator_skipped" in state:
        report["training_operator"] = {"skipped": state["training_operator_skipped"]}
    if "argo" in state:
        report["argo"] = state["argo"]
        parts["argo-workflow-controller"] = workloads.available(
            api, argo.NAMESPACE, "workflow-controller"
        )
    elif "argo_skipped" in state:
        report["argo"] = {"skipped": state["argo_skipped"]}
    if "database" in state:
        db = DatabaseState.from_json(state["database"])
        parts["mariadb"] = db.process.is_running() and database.healthy(db)
    if "metadata" in state:
        mlmd = MetadataState.from_json(state["metadata"])
        parts["ml-metadata"] = mlmd.process.is_running() and metadata.healthy(mlmd)
    if "kfp" in state:
        report["kfp"] = state["kfp"]
        for name in kfp_backend.DEPLOYMENTS:
            parts[name] = workloads.available(api, kfp_backend.NAMESPACE, name)
    elif "kfp_skipped" in state:
        report["kfp"] = {"skipped": state["kfp_skipped"]}
    if "kfp_ui" in state:
        ui = UIState.from_json(state["kfp_ui"])
        parts["kfp-ui"] = all(ref.is_running() for ref in ui.processes()) and kfp_ui.healthy(ui)
        report["kfp_ui_url"] = ui.url
    elif "kfp_ui_skipped" in state:
        report["kfp_ui"] = {"skipped": state["kfp_ui_skipped"]}
    if "profile" in state:
        report["pipeline_namespace"] = state["profile"]["namespace"]
    if "emulator" in state:
        emulator = EmulatorState.from_json(state["emulator"])
        healthy = emulator.process.is_running() and emulator_process.healthy(emulator)
        parts["sagemaker-emulator"] = healthy
        report["sagemaker_endpoint_url"] = emulator.url
    if "controller_deployment" in state:
        deployed = state["controller_deployment"]
        parts["ack-controller"] = workloads.available(api, deployed["namespace"], deployed["name"])
        report["controller_log"] = (
            f"kubectl logs -n {deployed['namespace']} deployment/{deployed['name']}"
        )
    if "controller" in state:
        controller = ControllerState.from_json(state["controller"])
        parts["ack-controller"] = controller.process.is_running() and controller_process.healthy(
            controller
        )
        report["controller_log"] = controller.process.log
        report["controller_metrics_url"] = controller.metrics_url
    return {"running": bool(parts) and all(parts.values()), "parts": parts, **report}


def main(
    action: str,
    root: Path,
    api_port: int | None,
    with_node: bool = True,
    with_training: bool = True,
) -> int:
    try:
        if action == "up":
            state = up(root, api_port, with_node, with_training)
            kubeconfig = root / "kubeconfig"
            print(
                f"sandbox ready in {state.get('ready_seconds', 0)} s: {len(state.get('crds', []))} CRDs"
            )
            print(f"  export KUBECONFIG={kubeconfig}")
            print("  kubectl get trainingjobs")
            print(f"  SageMaker emulator: {state['emulator']['url']} (any access key)")
            if "controller" in state:
                print(f"  ACK controller log: {state['controller']['process']['log']}")
            if "controller_deployment" in state:
                deployed = state["controller_deployment"]
                print(
                    f"  ACK controller: deployment {deployed['namespace']}/{deployed['name']} "
                    f"({deployed['image']}, {deployed['seconds']} s)"
                )
            if "node" in state:
                print(
                    f"  node {state['node']['name']} Ready in {state['node_ready_seconds']} s "
                    f"(kubelet log: {state['node']['processes']['kubelet']['log']})"
                )
            else:
                print(f"  no node: {state['node_skipped']}")
            if "component_image" in state:
                image = state["component_image"]
                how = "cached" if image["cached"] else f"built in {image['seconds']} s"
                print(f"  component image {image['name']} on the node ({how})")
            elif "image_skipped" in state:
                print(f"  no component image: {state['image_skipped']}")
            if "argo" in state:
                print(
                    f"  Argo v{state['argo']['version']} in namespace {argo.NAMESPACE} "
                    f"({state['argo']['seconds']} s); artifact store "
                    f"{state['artifact_store']['host']}:{state['artifact_store']['port']}"
                )
            elif "argo_skipped" in state:
                print(f"  no Argo: {state['argo_skipped']}")
            if "kfp" in state:
                print(
                    f"  Kubeflow Pipelines {state['kfp']['version']} API server "
                    f"http://{state['kfp']['api_address']} ({state['kfp']['seconds']} s)"
                )
            elif "kfp_skipped" in state:
                print(f"  no Kubeflow Pipelines: {state['kfp_skipped']}")
            if "kfp_ui" in state:
                print(
                    f"  Kubeflow Pipelines UI: {state['kfp_ui']['url']} (signed in as {profile.OWNER})"
                )
            elif "kfp_ui_skipped" in state:
                print(f"  no Kubeflow Pipelines UI: {state['kfp_ui_skipped']}")
            if "cluster_dns" in state:
                print(f"  cluster DNS (CoreDNS) at {cluster_dns.SERVICE_IP}")
            elif "cluster_dns_skipped" in state:
                print(f"  no cluster DNS: {state['cluster_dns_skipped']}")
            if "training_operator" in state:
                trained = state["training_operator"]
                print(
                    f"  Kubeflow training operator v{trained['version']} in namespace "
                    f"{training_operator.NAMESPACE}; training image {trained['training_image']} "
                    f"({trained['seconds']} s)"
                )
            elif "training_operator_skipped" in state:
                print(f"  no training operator: {state['training_operator_skipped']}")
            steps = state["profile"]
            print(
                f"  pipeline steps: namespace {steps['namespace']}, "
                f"service account {steps['service_account']}"
            )
            return 0
        if action == "down":
            stopped = down(root)
            print(f"stopped: {', '.join(stopped) or 'nothing was running'}")
            return 0
        report = status(root)
        print(json.dumps(report, indent=2))
        return 0 if report["running"] else 1
    except SandboxError as error:
        print(f"error: sandbox {error}", file=sys.stderr)
        return 1
