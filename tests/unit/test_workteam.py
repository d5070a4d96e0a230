"""The Workteam component without SageMaker: its request, its refusals, its interface.

The calls to SageMaker are shown against the emulator (integration/test_emulator_workteams.py) and in a
pipeline with a LabelingJob (integration/test_pipelines_on_kfp.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import kfp
import pytest
import yaml

from ack_components import interface, workteam
from ack_components.interface import InputError

REPO = Path(__file__).resolve().parents[2]
COMPONENT = REPO / "components" / "Workteam" / "component.yaml"
CLI = str(Path(sys.executable).parent / "ack-components")
GOOD = {
    "region": "us-east-1",
    "team_name": "labelers",
    "description": "Our labelers",
    "user_pool": "us-east-1_abc123",
    "client_id": "appclient1",
    "user_groups": "group-a, group-b",
}
#: Upstream's v1 component (kubeflow/pipelines components/aws/sagemaker/workteam).
UPSTREAM_INPUTS = {
    "region": "String",
    "endpoint_url": "String",
    "assume_role": "String",
    "tags": "JsonObject",
    "team_name": "String",
    "description": "String",
    "user_pool": "String",
    "user_groups": "String",
    "client_id": "String",
    "sns_topic": "String",
}


def test_each_group_is_a_cognito_member_of_the_one_pool_and_client() -> None:
    asked = workteam.parse(
        {**GOOD, "sns_topic": "arn:aws:sns:us-east-1:123456789012:labels", "tags": '{"a": "b"}'}
    )
    assert asked.region == "us-east-1"
    assert asked.request == {
        "WorkteamName": "labelers",
        "Description": "Our labelers",
        "MemberDefinitions": [
            {
                "CognitoMemberDefinition": {
                    "UserPool": "us-east-1_abc123",
                    "UserGroup": group,
                    "ClientId": "appclient1",
                }
            }
            for group in ("group-a", "group-b")
        ],
        "NotificationConfiguration": {
            "NotificationTopicArn": "arn:aws:sns:us-east-1:123456789012:labels"
        },
        "Tags": [{"Key": "a", "Value": "b"}],
    }


def test_without_a_topic_or_tags_the_request_has_neither() -> None:
    request = workteam.parse(GOOD).request
    assert "NotificationConfiguration" not in request and "Tags" not in request


def test_every_bad_input_is_named_at_once() -> None:
    with pytest.raises(InputError) as refused:
        workteam.parse(
            {
                "region": "us-east-1",
                "team_name": "bad_name",
                "description": "x" * 201,
                "user_groups": " , ",
                "sns_topic": "not-an-arn",
                "tags": '{"k": 1}',
            }
        )
    message = str(refused.value)
    assert message.startswith("invalid inputs:")
    for expected in (
        "input team_name: 'bad_name' is not a work team name",
        "input sns_topic: 'not-an-arn' is not an SNS topic ARN",
        "input user_pool and client_id and user_groups: a private work team's members are "
        "Cognito user groups",
        "input description: at most 200 characters, got 201",
        "input tags: at $.k: a tag value is a string, got int",
    ):
        assert expected in message, message


def test_an_unknown_input_and_a_missing_required_one_are_refused() -> None:
    with pytest.raises(InputError, match=r"unknown inputs: team \(not inputs of SageMaker"):
        workteam.parse({**GOOD, "team": "x"})
    with pytest.raises(InputError, match="input description is required"):
        workteam.parse({k: v for k, v in GOOD.items() if k != "description"})


def test_more_than_ten_groups_are_refused() -> None:
    groups = ",".join(f"g{i}" for i in range(11))
    with pytest.raises(InputError, match="input user_groups: at most 10 groups, got 11"):
        workteam.parse({**GOOD, "user_groups": groups})


def described(request: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """What DescribeWorkteam's ``Workteam`` holds for ``request``, members reordered."""
    team = {
        "WorkteamName": request["WorkteamName"],
        "Description": request["Description"],
        "MemberDefinitions": list(reversed(request["MemberDefinitions"])),
        "WorkteamArn": "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/labelers",
    }
    return team | changes


def test_the_same_team_has_no_differences_whatever_the_member_order() -> None:
    request = workteam.parse(GOOD).request
    assert workteam.differences(request, described(request)) == []


def test_a_changed_description_members_or_topic_is_each_named() -> None:
    request = workteam.parse(GOOD).request
    other = described(
        request,
        Description="Others",
        MemberDefinitions=request["MemberDefinitions"][:1],
        NotificationConfiguration={"NotificationTopicArn": "arn:aws:sns:us-east-1:1:t"},
    )
    assert workteam.differences(request, other) == [
        "description",
        "members (user_pool, user_groups, client_id)",
        "sns_topic",
    ]


class Client:
    """A SageMaker client that holds one team, or none, and counts Creates."""

    def __init__(self, team: dict[str, Any] | None) -> None:
        self.team, self.creates = team, 0

    def describe_workteam(self, WorkteamName: str) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        if self.team is None:
            error = {
                "Code": "ValidationException",
                "Message": f"Workteam {WorkteamName} does not exist.",
            }
            raise ClientError({"Error": error}, "DescribeWorkteam")
        return {"Workteam": self.team}

    def create_workteam(self, **request: Any) -> dict[str, Any]:
        self.creates += 1
        self.team = described(request, SubDomain="abc.labeling.us-east-1.sagemaker.aws")
        return {"WorkteamArn": self.team["WorkteamArn"]}


def test_a_missing_team_is_created_and_an_existing_same_one_re_attached() -> None:
    request = workteam.parse(GOOD).request
    said: list[str] = []
    client = Client(None)
    first = workteam.ensure(client, request, said.append)
    again = workteam.ensure(client, request, said.append)
    assert first == again and client.creates == 1
    assert said == ["created work team labelers", "work team labelers exists: re-attached"]


def test_an_existing_team_that_differs_is_a_conflict_and_nothing_is_created() -> None:
    request = workteam.parse(GOOD).request
    client = Client(described(request, Description="Others"))
    with pytest.raises(workteam.Conflict, match="exists with another description; give the same"):
        workteam.ensure(client, request, lambda _: None)
    assert client.creates == 0


def test_the_component_is_upstreams_interface_and_loads_with_kfp() -> None:
    spec = kfp.components.load_component_from_file(str(COMPONENT)).component_spec
    assert spec.name == "SageMaker - Private Workforce"
    assert {i.name: i.type for i in spec.inputs} == UPSTREAM_INPUTS
    assert [(o.name, o.type) for o in spec.outputs] == [
        ("workteam_arn", "String"),
        ("MLPipeline UI metadata", "UI metadata"),
    ]
    assert spec.implementation.container.command == ["ack-components", "workteam"]


def test_a_refused_step_writes_every_output_and_its_card_and_exits_2(tmp_path: Path) -> None:
    document = yaml.safe_load(COMPONENT.read_text())
    argv: list[str] = []
    for arg in document["implementation"]["container"]["args"]:
        if isinstance(arg, str):
            argv.append(arg)
        elif "inputValue" in arg:
            argv.append({**GOOD, "team_name": "no_underscores"}.get(arg["inputValue"], ""))
        else:
            argv.append(str(tmp_path / arg["outputPath"]))
    done = subprocess.run(
        [CLI, *document["implementation"]["container"]["command"][1:], *argv],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 2, done.stderr
    assert done.stdout.splitlines()[0] == "error: invalid inputs:"
    assert (tmp_path / "workteam_arn").read_text() == ""
    card = json.loads((tmp_path / interface.UI_METADATA.name).read_text())
    source = card["outputs"][0]["source"]
    assert source.startswith("## Workteam\n") and "| Outcome | Refused |" in source
    assert "input team\\_name" not in source and "input team_name: 'no_underscores'" in source
