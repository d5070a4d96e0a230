"""The Workteam component against the emulator's SageMaker: created once, re-attached, refused.

The emulator's work teams answer as SageMaker does (Describe's ``Workteam``, ResourceInUse,
"does not exist"), each answer checked against botocore's shapes by the ``sm`` fixture.
The component runs as its ``component.yaml`` runs it, with the emulator as the pod's AWS
endpoint. Its pairing with a LabelingJob in a pipeline is in test_pipelines_on_kfp.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

from emulator_support import Emulator, error_of, unique

CLI = str(Path(sys.executable).parent / "ack-components")
MEMBERS = [
    {
        "CognitoMemberDefinition": {
            "UserPool": "us-east-1_pool1",
            "UserGroup": group,
            "ClientId": "client1",
        }
    }
    for group in ("a", "b")
]


def workteam(emulator: Emulator, out: Path, **inputs: str) -> subprocess.CompletedProcess[str]:
    given = {
        "region": "us-east-1",
        "description": "Labelers",
        "user_pool": "us-east-1_pool1",
        "client_id": "client1",
        "user_groups": "a,b",
        **inputs,
    }
    argv = [part for key, value in given.items() for part in (f"--{key}", value)]
    env = {
        "PATH": os.environ["PATH"],
        "AWS_ENDPOINT_URL": emulator.url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
    }
    return subprocess.run(
        [CLI, "workteam", *argv, "--outputs-dir", str(out)],
        capture_output=True,
        text=True,
        env=env,
    )


def creates(emulator: Emulator, name: str) -> list[dict[str, Any]]:
    return [
        c
        for c in emulator.control("/_emulator/calls")
        if c["operation"] == "CreateWorkteam" and c["name"] == name
    ]


def test_a_team_is_created_once_and_a_rerun_re_attaches(
    emulator: Emulator, sm: Any, tmp_path: Path
) -> None:
    name = unique("team")
    first = workteam(emulator, tmp_path / "1", team_name=name)
    assert first.returncode == 0, first.stdout + first.stderr
    arn = (tmp_path / "1" / "workteam_arn").read_text()
    assert arn == f"arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/{name}"
    assert f"created work team {name}" in first.stdout
    team = sm.describe_workteam(WorkteamName=name)["Workteam"]
    assert team["MemberDefinitions"] == MEMBERS and team["Description"] == "Labelers"
    assert f"labeling portal: https://{team['SubDomain']}" in first.stdout
    card = json.loads((tmp_path / "1" / "mlpipeline-ui-metadata.json").read_text())
    assert "| Outcome | Done |" in card["outputs"][0]["source"]
    assert "| User groups | a, b |" in card["outputs"][0]["source"]

    again = workteam(emulator, tmp_path / "2", team_name=name, user_groups="b, a")
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"work team {name} exists: re-attached" in again.stdout
    assert (tmp_path / "2" / "workteam_arn").read_text() == arn
    assert [c.get("error") for c in creates(emulator, name)] == [None]


def test_a_team_of_the_name_with_another_definition_is_refused_and_left(
    emulator: Emulator, sm: Any, tmp_path: Path
) -> None:
    name = unique("team")
    assert workteam(emulator, tmp_path / "1", team_name=name).returncode == 0
    other = workteam(emulator, tmp_path / "2", team_name=name, description="Others")
    assert other.returncode == 2
    assert other.stdout.splitlines()[-1] == (
        f"error: work team {name} exists with another description; give the same inputs to "
        "re-attach, or another team_name"
    )
    assert (tmp_path / "2" / "workteam_arn").read_text() == ""
    assert sm.describe_workteam(WorkteamName=name)["Workteam"]["Description"] == "Labelers"
    assert len(creates(emulator, name)) == 1


def test_an_assumed_role_makes_the_team_too(emulator: Emulator, tmp_path: Path) -> None:
    name = unique("team")
    role = "arn:aws:iam::123456789012:role/labeling"
    done = workteam(emulator, tmp_path, team_name=name, assume_role=role)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [c["operation"] for c in emulator.control("/_emulator/calls")].count("AssumeRole") >= 1


def test_a_denied_create_names_the_permissions_and_exits_1(
    emulator: Emulator, tmp_path: Path
) -> None:
    fault = {"operation": "CreateWorkteam", "code": "AccessDeniedException", "count": 1}
    request = urllib.request.Request(
        f"{emulator.url}/_emulator/faults", method="POST", data=json.dumps(fault).encode()
    )
    urllib.request.urlopen(request, timeout=10).close()
    name = unique("team")
    denied = workteam(emulator, tmp_path, team_name=name)
    assert denied.returncode == 1
    last = denied.stdout.splitlines()[-1]
    assert last.startswith("error: SageMaker refused CreateWorkteam: AccessDeniedException: ")
    assert last.endswith(
        "(the step's role needs sagemaker:CreateWorkteam, sagemaker:DescribeWorkteam, "
        "sagemaker:AddTags)"
    )


def test_the_emulators_work_teams_answer_as_sagemaker(sm: Any) -> None:
    name = unique("team")
    created = sm.create_workteam(WorkteamName=name, Description="d", MemberDefinitions=MEMBERS)
    assert created["WorkteamArn"].endswith(f":workteam/private-crowd/{name}")
    duplicate = error_of(
        lambda: sm.create_workteam(WorkteamName=name, Description="d", MemberDefinitions=MEMBERS)
    )
    assert duplicate.response["Error"]["Code"] == "ResourceInUse"
    mixed = [MEMBERS[0], {"OidcMemberDefinition": {"Groups": ["g"]}}]
    refused = error_of(
        lambda: sm.create_workteam(
            WorkteamName=unique("t"), Description="d", MemberDefinitions=mixed
        )
    )
    assert refused.response["Error"]["Code"] == "ValidationException"
    listed = sm.list_workteams(NameContains=name)["Workteams"]
    assert [team["WorkteamName"] for team in listed] == [name]
    assert sm.delete_workteam(WorkteamName=name)["Success"] is True
    missing = error_of(lambda: sm.describe_workteam(WorkteamName=name))
    assert missing.response["Error"]["Code"] == "ValidationException"
    assert missing.response["Error"]["Message"].endswith("does not exist.")
