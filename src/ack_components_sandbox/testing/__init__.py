"""Test helpers for code that talks to Kubernetes: a real control plane, as envtest gives Go.

``ControlPlane`` is re-exported from the sandbox; ``pytest_plugin`` turns it
into fixtures (load it with ``pytest_plugins = ["ack_components_sandbox.testing.pytest_plugin"]``).
"""

from ack_components_sandbox.cluster.controlplane import ControlPlane, ControlPlaneError

__all__ = ["ControlPlane", "ControlPlaneError"]
