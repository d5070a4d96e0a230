"""Shared fixtures: the real control plane (see ack_components.testing.pytest_plugin)."""

pytest_plugins = ["ack_components.testing.pytest_plugin"]
