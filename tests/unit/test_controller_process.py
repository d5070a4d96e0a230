"""How the sandbox starts the ACK controller: its flags and its clean environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from ack_components_sandbox.aws import controller_process


def test_both_endpoints_are_the_emulator_and_ports_are_loopback() -> None:
    argv = controller_process.command(
        Path("/bin/controller"), "http://127.0.0.1:5000", "eu-west-1", 8181, 8080, "ml"
    )
    assert argv[0] == "/bin/controller"
    flags = set(argv[1:])
    assert "--aws-endpoint-url=http://127.0.0.1:5000" in flags
    # The controller asks STS who it is before anything else: that must be the emulator too.
    assert "--aws-identity-endpoint-url=http://127.0.0.1:5000" in flags
    assert "--allow-unsafe-aws-endpoint-urls" in flags
    assert "--aws-region=eu-west-1" in flags
    assert "--healthz-addr=127.0.0.1:8181" in flags
    assert "--metrics-addr=127.0.0.1:8080" in flags
    assert "--watch-namespace=ml" in flags
    assert "--enable-leader-election=false" in flags


def test_no_watch_namespace_means_every_namespace() -> None:
    argv = controller_process.command(Path("/c"), "http://x", "us-east-1", 1, 2)
    assert not [a for a in argv if a.startswith("--watch-namespace")]


def test_the_hosts_aws_settings_never_reach_the_controller(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_CA_BUNDLE", "/etc/ssl/bundle.pem")
    monkeypatch.setenv("AWS_PROFILE", "prod")
    env = controller_process.clean_environment(tmp_path / "kubeconfig")
    assert env["KUBECONFIG"] == str(tmp_path / "kubeconfig")
    assert {k for k in env if k.startswith("AWS_")} == {
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    }


def test_the_first_error_line_is_the_one_named(tmp_path: Path) -> None:
    log = tmp_path / "controller.log"
    log.write_text(
        '{"level":"info","msg":"starting"}\n'
        '{"level":"error","msg":"unable to get caller identity","error":"dial tcp: refused"}\n'
        '{"level":"info","msg":"exiting"}\n'
    )
    assert "unable to get caller identity" in controller_process.first_error(log)
