"""ack-components: Kubeflow Pipelines components for SageMaker through the ACK controller.

The package is split the way data flows through one component run (inputs,
render, validate, apply, watch, outputs); `ack_components_sandbox` holds the
local stack that lets anyone try it without an AWS account.
"""

__version__ = "0.1.0"
