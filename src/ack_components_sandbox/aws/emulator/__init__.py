"""A SageMaker emulator on loopback: moto's server plus a TrainingJob that actually runs.

What: one HTTP endpoint on 127.0.0.1 that answers the SageMaker (JSON protocol) and STS
APIs. STS and most SageMaker operations are moto's; the TrainingJob operations
(Create/Describe/Stop/Update/List) are the emulator's own, with a lifecycle computed from
elapsed time (``InProgress`` through Starting, Downloading, Training, Uploading to
``Completed``), failure injection by tag, AWS's "not found" wording and the late-initialised
fields real SageMaker returns. Model, EndpointConfig and Endpoint (``hosting.py``) and every
kind in a lifecycle table (``lifecycle.py`` + ``resources.py``: tuning, processing,
transform and labeling jobs, pipelines and their executions, monitoring schedules and job
definitions) run the same way. ``/_emulator/{health,calls,reset}`` let tests see and clear
what it was asked.

Why: stock moto completes a job the instant it is created, loses request fields, lacks
Stop/Update and words "not found" differently, so a client written against real SageMaker
(such as the ACK sagemaker-controller) cannot drive a TrainingJob through it. Anyone who wants
SageMaker without an AWS account can run ``python -m ack_components_sandbox.aws.emulator`` and
point an SDK's endpoint URL at it. It needs ``moto[server]`` (see ``make emulator``), which
the component image and the main development environment do not install.
"""
