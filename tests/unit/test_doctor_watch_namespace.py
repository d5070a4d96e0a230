"""Which namespaces a controller Deployment watches, read as the kubelet would run it."""

from __future__ import annotations

from kubernetes import client

from ack_components import doctor


def deployment(args: list[str], env: dict[str, str]) -> client.V1Deployment:
    container = client.V1Container(
        name="controller",
        args=args,
        env=[client.V1EnvVar(name=k, value=v) for k, v in env.items()],
    )
    spec = client.V1PodSpec(containers=[container])
    template = client.V1PodTemplateSpec(spec=spec)
    return client.V1Deployment(
        spec=client.V1DeploymentSpec(selector=client.V1LabelSelector(), template=template)
    )


def test_acks_own_manifests_watch_every_namespace_when_the_variable_is_empty() -> None:
    # config/controller/deployment.yaml of the controller, and its Helm chart
    found = deployment(["--watch-namespace", "$(ACK_WATCH_NAMESPACE)"], {"ACK_WATCH_NAMESPACE": ""})
    assert doctor._watched_namespaces(found) == []


def test_the_variable_names_the_watched_namespaces() -> None:
    found = deployment(
        ["--aws-region", "$(AWS_REGION)", "--watch-namespace", "$(ACK_WATCH_NAMESPACE)"],
        {"ACK_WATCH_NAMESPACE": "ml,team-b", "AWS_REGION": "us-east-1"},
    )
    assert doctor._watched_namespaces(found) == ["ml", "team-b"]


def test_a_literal_flag_is_read_as_written() -> None:
    assert doctor._watched_namespaces(deployment(["--watch-namespace=ml"], {})) == ["ml"]
