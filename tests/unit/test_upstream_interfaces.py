"""Every upstream v2 component's name, inputs and outputs survive in ours (drop-in).

The tables are the upstream ``component.yaml`` interfaces: input and output names
with their KFP types, ``*`` marking inputs the upstream spec required. Our
components may add inputs and outputs; they may not lose or retype one.
"""

from __future__ import annotations

import pytest

from ack_components import interface, kinds, schema

S, B, JO, JA = interface.STRING, interface.BOOL, interface.JSON_OBJECT, interface.JSON_ARRAY
BARE_OUTPUTS = "ack_resource_metadata:JO conditions:JA sagemaker_resource_name:S"
TYPES = {"S": S, "B": B, "JO": JO, "JA": JA}


def _job_definition(prefix: str) -> tuple[str, str]:
    inputs = (
        f"job_definition_name*:S job_resources*:JO {prefix}_app_specification*:JO "
        f"{prefix}_baseline_config:JO {prefix}_job_input*:JO {prefix}_job_output_config*:JO "
        "network_config:JO role_arn*:S stopping_condition:JO tags:JA"
    )
    return inputs, BARE_OUTPUTS


#: component name → (inputs besides region, outputs), as "name[*]:TYPE" words.
UPSTREAM: dict[str, tuple[str, str]] = {
    "Sagemaker - TrainingJob": (
        "algorithm_specification*:JO checkpoint_config:JO debug_hook_config:JO "
        "debug_rule_configurations:JA enable_inter_container_traffic_encryption:B "
        "enable_managed_spot_training:B enable_network_isolation:B environment:JO "
        "experiment_config:JO hyper_parameters:JO input_data_config:JA output_data_config*:JO "
        "profiler_config:JO profiler_rule_configurations:JA resource_config*:JO "
        "retry_strategy:JO role_arn*:S stopping_condition*:JO tags:JA "
        "tensor_board_output_config:JO training_job_name*:S vpc_config:JO",
        "ack_resource_metadata:JO conditions:JA creation_time:S debug_rule_evaluation_statuses:JA "
        "failure_reason:S last_modified_time:S model_artifacts:JO "
        "profiler_rule_evaluation_statuses:JA profiling_status:S secondary_status:S "
        "training_job_status:S warm_pool_status:JO",
    ),
    "Sagemaker - Model": (
        "containers:JA enable_network_isolation:B execution_role_arn*:S "
        "inference_execution_config:JO model_name*:S primary_container:JO tags:JA vpc_config:JO",
        BARE_OUTPUTS,
    ),
    "Sagemaker - EndpointConfig": (
        "async_inference_config:JO data_capture_config:JO endpoint_config_name*:S kms_key_id:S "
        "production_variants*:JA tags:JA",
        BARE_OUTPUTS,
    ),
    "Sagemaker - Endpoint": (
        "deployment_config:JO endpoint_config_name*:S endpoint_name*:S tags:JA",
        "ack_resource_metadata:JO conditions:JA creation_time:S endpoint_status:S "
        "failure_reason:S last_modified_time:S pending_deployment_summary:JO "
        "production_variants:JA sagemaker_resource_name:S",
    ),
    "Sagemaker - MonitoringSchedule": (
        "monitoring_schedule_config*:JO monitoring_schedule_name*:S tags:JA",
        "ack_resource_metadata:JO conditions:JA creation_time:S failure_reason:S "
        "last_modified_time:S last_monitoring_execution_summary:JO monitoring_schedule_status:S "
        "sagemaker_resource_name:S",
    ),
    "Sagemaker - DataQualityJobDefinition": _job_definition("data_quality"),
    "Sagemaker - ModelBiasJobDefinition": _job_definition("model_bias"),
    "Sagemaker - ModelExplainabilityJobDefinition": _job_definition("model_explainability"),
    "Sagemaker - ModelQualityJobDefinition": _job_definition("model_quality"),
}


def _words(text: str) -> dict[str, tuple[str, bool]]:
    found = {}
    for word in text.split():
        name, type_ = word.split(":")
        found[name.rstrip("*")] = (TYPES[type_], name.endswith("*"))
    return found


def test_every_upstream_component_has_a_kind() -> None:
    assert {k.component_name for k in kinds.KINDS.values()} >= set(UPSTREAM)


@pytest.mark.parametrize("component", sorted(UPSTREAM))
def test_inputs_and_outputs_are_kept(component: str) -> None:
    kind = next(k for k in kinds.KINDS.values() if k.component_name == component)
    crd_schema = schema.bundled(kind.name)
    ours = {i.name: i for i in interface.inputs(kind, crd_schema)}
    upstream_inputs, upstream_outputs = (_words(text) for text in UPSTREAM[component])
    name_input = interface.snake_case(kind.name_field)
    for name, (type_, required) in upstream_inputs.items():
        assert name in ours, f"{component} lost input {name}"
        assert ours[name].type == type_, name
        # The name may be left empty here (it is derived); everything else stays required.
        assert ours[name].required == (required and name != name_input), name
    assert ours["region"].required
    outputs = {o.name: o.type for o in interface.outputs(kind, crd_schema)}
    assert {n: outputs.get(n) for n in upstream_outputs} == {
        n: t for n, (t, _) in upstream_outputs.items()
    }
