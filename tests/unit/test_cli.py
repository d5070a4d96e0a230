"""The command line as a user meets it: `ack-components` run as a process.

Refusals that must come before the cluster is contacted are checked against a
kubeconfig whose server is a listening socket nobody answers: a connection to it
is the proof the cluster was contacted.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from helpers import raw_inputs

from ack_components import kinds

CLI = str(Path(sys.executable).parent / "ack-components")


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=timeout)


def flags(**overrides: str) -> list[str]:
    """The KMeans TrainingJob's inputs as command-line flags."""
    return [part for key, value in raw_inputs(**overrides).items() for part in (f"--{key}", value)]


@dataclass
class Cluster:
    """A kubeconfig for an API server that only counts connections."""

    kubeconfig: Path
    server: socket.socket

    def contacted(self, within: float = 0.0) -> bool:
        deadline = time.monotonic() + within
        while True:
            try:
                self.server.accept()[0].close()
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.05)


@pytest.fixture()
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.setblocking(False)
        url = f"https://127.0.0.1:{server.getsockname()[1]}"
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(
            json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [{"name": "c", "cluster": {"server": url}}],
                    "users": [{"name": "u", "user": {"token": "t"}}],
                    "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                    "current-context": "x",
                }
            )
        )
        yield Cluster(kubeconfig, server)


def run_refused(cluster: Cluster, *args: str) -> str:
    """Run the TrainingJob with ``args``; it must exit 2 without contacting the cluster."""
    kubeconfig = str(cluster.kubeconfig)
    # A refusal takes a second; a run that got through waits on the silent server.
    done = cli("run", "TrainingJob", *flags(), *args, "--kubeconfig", kubeconfig, timeout=30)
    assert done.returncode == 2, done.stdout + done.stderr
    assert not cluster.contacted()
    return done.stdout + done.stderr


def test_the_cluster_stand_in_sees_a_run_that_gets_through(cluster: Cluster) -> None:
    """The check above can fail: valid inputs do reach the (silent) API server."""
    argv = [CLI, "run", "TrainingJob", *flags(), "--kubeconfig", str(cluster.kubeconfig)]
    with subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as process:
        try:
            assert cluster.contacted(within=30)
        finally:
            process.kill()


# --- kinds ---


@pytest.mark.parametrize("command", ["run", "render"])
@pytest.mark.parametrize(
    ("given", "tail"),
    [
        ("Foo", "; `ack-components {command} --help` lists the kinds"),
        ("trainingjob", "; did you mean TrainingJob?"),
        ("EndpointConfg", "; did you mean EndpointConfig or Endpoint?"),
    ],
)
def test_an_unknown_kind_is_one_line_with_the_close_matches(
    command: str, given: str, tail: str
) -> None:
    done = cli(command, given, "--region", "us-east-1")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        f"ack-components {command}: error: unknown kind {given!r}{tail.format(command=command)}\n"
    )


@pytest.mark.parametrize("command", ["run", "render"])
@pytest.mark.parametrize("option", ["--help", "-h"])
def test_the_command_help_lists_every_kind(command: str, option: str) -> None:
    done = cli(command, option)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: ack-components {command} KIND ")
    listed = done.stdout.split("kinds:\n", 1)[1].split("\n\n", 1)[0]
    assert sorted(" ".join(listed.split()).split(", ")) == sorted(kinds.ALL_KINDS)


def test_a_missing_kind_is_named() -> None:
    done = cli("render")
    assert done.returncode == 2
    assert done.stderr == (
        "ack-components render: error: a kind is required; "
        "`ack-components render --help` lists the kinds\n"
    )


@pytest.mark.parametrize("command", ["run", "render"])
def test_a_kinds_help_names_its_own_command(command: str) -> None:
    done = cli(command, "TrainingJob", "--help")
    assert done.returncode == 0
    assert done.stdout.startswith(f"usage: ack-components {command} TrainingJob ")
    assert "--role_arn" in done.stdout
    assert ("--outputs-dir" in done.stdout) == (command == "run")


def test_a_kinds_help_describes_each_input_from_its_crd() -> None:
    done = cli("run", "EndpointConfig", "--help")
    text = " ".join(done.stdout.split())  # argparse wraps the help
    assert (
        "--enable_network_isolation Bool Sets whether all model containers deployed to the "
        "endpoint are isolated. --endpoint_config_name"
    ) in text
    assert "--production_variants JsonArray An array of ProductionVariant objects" in text
    assert "one for each model that you want to host at this endpoint. (required)" in text
    assert "--timeout_seconds Integer Fail if not done within" in text
    assert "limit). (default: 0)" in text
    assert "{{workflow.uid}}" not in text.split("--run_id", 1)[1].split("--timeout", 1)[0]


# --- flags ---


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--rol_arn", "x"],
            "unrecognized arguments: --rol_arn x; did you mean --role_arn?",
        ),
        (
            ["--Region=us-east-1"],
            "unrecognized arguments: --Region=us-east-1; did you mean --region?",
        ),
        (["--region"], "argument --region: expected one argument"),
        (
            ["--status_timeout", "5"],
            "unrecognized arguments: --status_timeout 5; did you mean --status_timeout_seconds?",
        ),
        (["surplus"], "unrecognized arguments: surplus"),
    ],
)
def test_a_wrong_flag_is_one_line_with_a_hint(args: list[str], message: str) -> None:
    done = cli("render", "TrainingJob", *args)
    assert done.returncode == 2
    assert done.stderr == (
        f"ack-components render TrainingJob: error: {message} "
        "(`ack-components render TrainingJob --help` lists its inputs)\n"
    )


def test_the_top_level_help_describes_the_tool() -> None:
    done = cli("--help")
    assert done.returncode == 0
    assert "through the ACK SageMaker controller" in " ".join(done.stdout.split())
    assert "logic" not in done.stdout
    assert "this file" not in done.stdout


# --- values refused before anything is created ---


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("timeout_seconds", "-5"),
        ("status_timeout_seconds", "-1"),
        ("recoverable_grace_seconds", "-1"),
    ],
)
def test_a_negative_time_limit_is_refused_before_the_cluster(
    cluster: Cluster, name: str, value: str
) -> None:
    log = run_refused(cluster, f"--{name}", value)
    assert f"input {name}: must be 0 or more, got {value}" in log


@pytest.mark.parametrize("namespace", ["Bad NS", "default; rm -rf /", "x-", "a" * 64])
def test_an_invalid_namespace_is_refused_before_the_cluster(
    cluster: Cluster, namespace: str
) -> None:
    log = run_refused(cluster, "--namespace", namespace)
    assert f"input namespace: {namespace!r} is not a valid namespace name (DNS-1123 label" in log
    rendered = cli("render", "TrainingJob", *flags(), "--namespace", namespace)
    assert rendered.returncode == 2
    assert "is not a valid namespace name" in rendered.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("k: '10'", "input hyper_parameters: not valid JSON at line 1, column 1: "),
        ("{'k': '10'}", "input hyper_parameters: not valid JSON at line 1, column 2: "),
        ('{"k": "10",}', "input hyper_parameters: not valid JSON at line 1, column 12: "),
        (
            '{"k": "10", "k": "11"}',
            "input hyper_parameters: the key 'k' is given twice in one JSON object",
        ),
    ],
    ids=["yaml", "python-quotes", "trailing-comma", "duplicate-key"],
)
def test_json_inputs_take_only_json(cluster: Cluster, text: str, message: str) -> None:
    assert message in run_refused(cluster, "--hyper_parameters", text)


# --- what a run from the shell writes ---


def test_a_resource_rendered_without_run_id_has_no_empty_run_id() -> None:
    without = cli("render", "TrainingJob", *flags())
    assert without.returncode == 0, without.stderr
    metadata = yaml.safe_load(without.stdout)["metadata"]
    assert "ack-components/run-id" not in metadata["labels"]
    assert "ack-components/run-id" not in metadata["annotations"]
    given = cli("render", "TrainingJob", *flags(), "--run_id", "run-7")
    metadata = yaml.safe_load(given.stdout)["metadata"]
    assert metadata["labels"]["ack-components/run-id"] == "run-7"
    assert metadata["annotations"]["ack-components/run-id"] == "run-7"


# --- only what was given is rendered ---


def test_an_input_never_given_is_not_rendered() -> None:
    variants = [{"variantName": "AllTraffic", "modelName": "kmeans-model"}]
    given = ["--region", "us-east-1", "--endpoint_config_name", "kmeans-config"]
    given += ["--production_variants", json.dumps(variants)]
    plain = cli("render", "EndpointConfig", *given)
    assert plain.returncode == 0, plain.stderr
    # No enableNetworkIsolation: false nobody asked for (an older controller's CRD lacks it).
    assert yaml.safe_load(plain.stdout)["spec"] == {
        "endpointConfigName": "kmeans-config",
        "productionVariants": variants,
    }
    isolated = cli("render", "EndpointConfig", *given, "--enable_network_isolation", "false")
    assert yaml.safe_load(isolated.stdout)["spec"]["enableNetworkIsolation"] is False


def test_an_upstream_key_is_refused_with_the_right_name(cluster: Cluster) -> None:
    channels = [{"channelName": "train", "InputMode": "File"}]
    log = run_refused(cluster, "--input_data_config", json.dumps(channels))
    assert "'InputMode' was unexpected); did you mean 'inputMode'?" in log


def test_a_refused_step_still_writes_every_output_and_a_card_saying_why(
    cluster: Cluster, tmp_path: Path
) -> None:
    """So Argo saves every declared output (no "cannot save artifact" after the step's own
    lines) and the UI's card shows the refusal, not only "exit code 2"."""
    from ack_components import interface, schema

    out = tmp_path / "out"
    log = run_refused(cluster, "--hyper_parameters", "{'k': '10'}", "--outputs-dir", str(out))
    declared = interface.outputs(kinds.TRAINING_JOB, schema.bundled("TrainingJob"))
    expected = {o.name for o in declared} | {"mlpipeline-ui-metadata.json"}
    expected |= {"mlpipeline-metrics.json"}
    assert {p.name for p in out.iterdir()} == expected
    for output in declared:
        text = (out / output.name).read_text()
        empty = {"JsonObject": "{}", "JsonArray": "[]"}.get(output.type, "")
        assert text == empty, output
    assert json.loads((out / "mlpipeline-metrics.json").read_text()) == {"metrics": []}
    [card] = json.loads((out / "mlpipeline-ui-metadata.json").read_text())["outputs"]
    assert "| Outcome | Refused |" in card["source"]
    said = next(line for line in log.splitlines() if "input hyper_parameters" in line)
    assert f"    {said}" in card["source"].splitlines()


def test_a_refused_step_leaves_its_reason_as_the_containers_termination_message(
    cluster: Cluster, tmp_path: Path
) -> None:
    """Argo makes a failed container's termination message the step's message, which the
    KFP UI shows on the step; outside a container (no such file) nothing is written."""
    import os

    termination_log = tmp_path / "termination-log"
    termination_log.write_text("")
    env = {**os.environ, "ACK_COMPONENTS_TERMINATION_LOG": str(termination_log)}
    argv = [CLI, "run", "TrainingJob", *flags(), "--hyper_parameters", "{'k': '10'}"]
    done = subprocess.run(
        [*argv, "--kubeconfig", str(cluster.kubeconfig)], capture_output=True, text=True, env=env
    )
    assert done.returncode == 2
    assert termination_log.read_text() == done.stdout.strip().removeprefix("error: ")
    assert termination_log.read_text().startswith("invalid inputs:\n  input hyper_parameters")
    assert not cluster.contacted()
    missing = tmp_path / "no-such-file"
    env["ACK_COMPONENTS_TERMINATION_LOG"] = str(missing)
    assert subprocess.run(argv, capture_output=True, env=env).returncode == 2
    assert not missing.exists()
