"""Shared fixtures: the real control plane (see ack_components_sandbox.testing.pytest_plugin)."""

pytest_plugins = ["ack_components_sandbox.testing.pytest_plugin"]
