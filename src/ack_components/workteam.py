"""The Workteam component: a SageMaker private work team, made through SageMaker's own API.

Why this one component is not a custom resource: the ACK SageMaker controller has no
Workteam kind (its ``generator.yaml`` leaves the Workteam operations out), yet a Ground
Truth labeling job for a private workforce names its team (``humanTaskConfig.workteamARN``),
and upstream's v1 "SageMaker - Private Workforce" component made that team. So this step
calls CreateWorkteam itself, with the pod's AWS identity (IRSA's web identity, the
environment, an instance profile: what the job-log reader uses too), or with ``assume_role``
on top of it, and keeps the engine's conventions:

- every input is checked before anything is sent, and a refusal names the input;
- a retried step re-attaches: a team of the same name and the same definition is taken as
  it is (one Create in all), and one that differs is refused, listing the fields;
- exit codes as ``run``'s: 0 done, 1 SageMaker or the credentials failed, 2 bad input or a
  conflict; the reason is also the container's termination message;
- the ``workteam_arn`` output is the ARN's text, and a summary card shows the team.

Inputs and output are upstream's, by name and type (a drop-in). ``parse`` and
``differences`` are pure; ``ensure`` and ``run`` do the I/O.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ack_components import interface, outputs, ui_summary
from ack_components.interface import NOT_SET, STRING, Input, InputError, Output
from ack_components.run import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, termination_message

NAME = "Workteam"
COMPONENT_NAME = "SageMaker - Private Workforce"
#: What the step's role needs in SageMaker (the README and the refusal of a denied call say it).
PERMISSIONS = ("sagemaker:CreateWorkteam", "sagemaker:DescribeWorkteam", "sagemaker:AddTags")

_TEAM_NAME = r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
INPUTS: tuple[Input, ...] = (
    interface.REGION,
    Input("endpoint_url", STRING, "The URL to use when communicating with the SageMaker service."),
    Input(
        "assume_role",
        STRING,
        "The ARN of an IAM role to assume when connecting to SageMaker.",
        pattern=r"arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+",
        pattern_means="an IAM role ARN",
    ),
    Input(
        "tags",
        interface.JSON_OBJECT,
        "Key-value pairs to categorize AWS resources.",
        default="{}",
    ),
    Input(
        "team_name",
        STRING,
        "The name of your work team.",
        required=True,
        pattern=_TEAM_NAME,
        pattern_means="a work team name (1-63 letters, digits and hyphens)",
    ),
    Input("description", STRING, "A description of the work team.", required=True),
    Input(
        "user_pool",
        STRING,
        "An identifier for a user pool. The user pool must be in the same region as the "
        "service that you are calling.",
        pattern=r"[\w-]+_[0-9a-zA-Z]+",
        pattern_means="a Cognito user pool ID such as us-east-1_abc123",
    ),
    Input("user_groups", STRING, "A list of identifiers for user groups separated by commas."),
    Input(
        "client_id",
        STRING,
        "An identifier for an application client. You must create the app client ID using "
        "Amazon Cognito.",
        pattern=r"[\w+]+",
        pattern_means="a Cognito app client ID",
    ),
    Input(
        "sns_topic",
        STRING,
        "The ARN for the SNS topic to which notifications should be published.",
        pattern=r"arn:aws[a-z\-]*:sns:[a-z0-9\-]*:[0-9]{12}:[a-zA-Z0-9_.-]+",
        pattern_means="an SNS topic ARN",
    ),
)
WORKTEAM_ARN = Output("workteam_arn", STRING, "The ARN of the workteam.")
OUTPUTS: tuple[Output, ...] = (WORKTEAM_ARN,)
#: Upstream's limits on a description and on a team's Cognito groups.
MAX_DESCRIPTION, MAX_GROUPS = 200, 10


class Conflict(Exception):
    """A team of this name exists with another definition; the message lists the fields."""


class Refused(Exception):
    """SageMaker or the credentials said no; ``code`` is the exit code it stands for."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Asked:
    """Everything decided before SageMaker is called: where, as whom, and the request."""

    region: str
    endpoint_url: str
    assume_role: str
    request: dict[str, Any]


def parse(raw: dict[str, str]) -> Asked:
    """Input text → the CreateWorkteam request; raises InputError listing every problem."""
    values, errors = interface.parse_inputs(INPUTS, raw, COMPONENT_NAME)
    text = {k: "" if v is NOT_SET else v for k, v in values.items()}
    groups = [group.strip() for group in str(text.get("user_groups", "")).split(",")]
    groups = [group for group in groups if group]
    missing = [
        n
        for n, v in (("user_pool", text.get("user_pool")), ("client_id", text.get("client_id")))
        if not v
    ]
    if not groups:
        missing.append("user_groups")
    if missing:
        errors.append(
            f"input {' and '.join(missing)}: a private work team's members are Cognito user "
            "groups: give user_pool, client_id and user_groups (comma-separated)"
        )
    if len(groups) > MAX_GROUPS:
        errors.append(f"input user_groups: at most {MAX_GROUPS} groups, got {len(groups)}")
    description = str(text.get("description", ""))
    if len(description) > MAX_DESCRIPTION:
        errors.append(
            f"input description: at most {MAX_DESCRIPTION} characters, got {len(description)}"
        )
    tags = values.get("tags")
    if isinstance(tags, dict):
        errors += [
            f"input tags: at $.{key}: a tag value is a string, got {type(value).__name__}"
            for key, value in tags.items()
            if not isinstance(value, str)
        ]
    interface.refuse(errors)
    request: dict[str, Any] = {
        "WorkteamName": text["team_name"],
        "Description": description,
        "MemberDefinitions": [
            {
                "CognitoMemberDefinition": {
                    "UserPool": text["user_pool"],
                    "UserGroup": group,
                    "ClientId": text["client_id"],
                }
            }
            for group in groups
        ],
    }
    if text["sns_topic"]:
        request["NotificationConfiguration"] = {"NotificationTopicArn": text["sns_topic"]}
    if isinstance(tags, dict):
        request["Tags"] = [{"Key": key, "Value": value} for key, value in tags.items()]
    return Asked(text["region"], text["endpoint_url"], text["assume_role"], request)


def differences(request: dict[str, Any], team: dict[str, Any]) -> list[str]:
    """The fields in which an existing team (Describe's ``Workteam``) differs from the
    request; tags are not compared (SageMaker keeps them apart from the team)."""

    def members(value: Any) -> list[str]:
        return sorted(json.dumps(m, sort_keys=True) for m in value or [])

    def topic(value: Any) -> str:
        return str((value or {}).get("NotificationTopicArn") or "")

    found = []
    if request["Description"] != team.get("Description"):
        found.append("description")
    if members(request["MemberDefinitions"]) != members(team.get("MemberDefinitions")):
        found.append("members (user_pool, user_groups, client_id)")
    if topic(request.get("NotificationConfiguration")) != topic(
        team.get("NotificationConfiguration")
    ):
        found.append("sns_topic")
    return found


def ensure(client: Any, request: dict[str, Any], say: Callable[[str], None]) -> dict[str, Any]:
    """The team, created unless it exists with the same definition (a retried step);
    raises Conflict when it exists otherwise, Refused when SageMaker says no."""
    name = request["WorkteamName"]
    team = _described(client, name)
    if team is None:
        try:
            client.create_workteam(**request)
            say(f"created work team {name}")
        except ClientError as error:
            if _code(error) != "ResourceInUse":  # else a concurrent try made it: compare
                raise _refused("CreateWorkteam", error) from None
        team = _described(client, name)
        if team is None:
            raise Refused(f"SageMaker created work team {name} but does not describe it")
    else:
        say(f"work team {name} exists: re-attached")
    changed = differences(request, team)
    if changed:
        raise Conflict(
            f"work team {name} exists with another {', '.join(changed)}; give the same "
            "inputs to re-attach, or another team_name"
        )
    return team


def _described(client: Any, name: str) -> dict[str, Any] | None:
    try:
        team: dict[str, Any] = client.describe_workteam(WorkteamName=name)["Workteam"]
        return team
    except ClientError as error:
        message = str(error.response.get("Error", {}).get("Message", ""))
        if _code(error) == "ValidationException" and "does not exist" in message:
            return None
        raise _refused("DescribeWorkteam", error) from None


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _refused(operation: str, error: ClientError) -> Refused:
    code = _code(error)
    message = error.response.get("Error", {}).get("Message", str(error))
    text = f"SageMaker refused {operation}: {code}: {message}"
    if code in ("AccessDeniedException", "AccessDenied", "UnrecognizedClientException"):
        return Refused(f"{text} (the step's role needs {', '.join(PERMISSIONS)})")
    bad_input = code in ("ValidationException", "ResourceLimitExceeded")
    return Refused(text, EXIT_BAD_INPUT if bad_input else EXIT_FAILED)


def sagemaker_client(asked: Asked) -> Any:
    """A SageMaker client with the pod's credentials (or ``assume_role``'s on top of them),
    retrying throttling and connection errors as the AWS SDKs' standard mode does."""
    session = botocore.session.get_session()
    if session.get_credentials() is None:
        raise Refused(
            "no AWS credentials in the pod (IRSA, environment or instance profile): the "
            "Workteam step calls SageMaker itself"
        )
    config = Config(retries={"mode": "standard", "max_attempts": 5})
    endpoint = {"endpoint_url": asked.endpoint_url} if asked.endpoint_url else {}
    keys: dict[str, str] = {}
    if asked.assume_role:
        sts = session.create_client("sts", region_name=asked.region, config=config, **endpoint)
        try:
            found = sts.assume_role(RoleArn=asked.assume_role, RoleSessionName="ack-components")
        except (BotoCoreError, ClientError) as error:
            raise Refused(f"could not assume role {asked.assume_role}: {error}") from None
        credentials = found["Credentials"]
        keys = {
            "aws_access_key_id": credentials["AccessKeyId"],
            "aws_secret_access_key": credentials["SecretAccessKey"],
            "aws_session_token": credentials["SessionToken"],
        }
    return session.create_client(
        "sagemaker", region_name=asked.region, config=config, **endpoint, **keys
    )


def card(team: dict[str, Any], outcome: str) -> dict[str, Any]:
    """The step's summary card: the team, its portal and its members."""
    esc = ui_summary.escape
    groups = [
        m["CognitoMemberDefinition"]["UserGroup"]
        for m in team.get("MemberDefinitions") or []
        if "CognitoMemberDefinition" in m
    ]
    portal = f"https://{team['SubDomain']}" if team.get("SubDomain") else ""
    topic = (team.get("NotificationConfiguration") or {}).get("NotificationTopicArn", "")
    rows = [
        ("Outcome", esc(outcome)),
        ("ARN", esc(team.get("WorkteamArn", ""))),
        ("Labeling portal", esc(portal)),
        ("Description", esc(team.get("Description", ""))),
        ("User groups", esc(", ".join(groups))),
        ("Notifications", esc(topic)),
    ]
    title = f"## {NAME} {esc(team.get('WorkteamName', ''))}"
    return ui_summary.card(f"{title}\n\n{ui_summary.table(rows)}\n")


def run(raw: dict[str, str], output_paths: dict[str, Path], log: TextIO | None = None) -> int:
    """Check the inputs, make or re-attach the team, write the outputs; the exit code."""

    def say(message: str) -> None:
        print(message, file=log or sys.stdout, flush=True)

    def ended(message: str, code: int) -> int:
        say(message)
        outcome = "Refused" if code == EXIT_BAD_INPUT else "Failed"
        texts = {
            WORKTEAM_ARN.name: "",
            interface.UI_METADATA.name: json.dumps(
                ui_summary.without_verdict(NAME, outcome, message)
            ),
        }
        outputs.write(texts, output_paths)
        termination_message(message)
        return code

    try:
        asked = parse(raw)
    except InputError as error:
        return ended(f"error: {error}", EXIT_BAD_INPUT)
    try:
        team = ensure(sagemaker_client(asked), asked.request, say)
    except Conflict as error:
        return ended(f"error: {error}", EXIT_BAD_INPUT)
    except Refused as error:
        return ended(f"error: {error}", error.code)
    except BotoCoreError as error:  # no connection, a timeout: retried already
        return ended(f"error: SageMaker could not be reached: {error}", EXIT_FAILED)
    if team.get("SubDomain"):
        say(f"labeling portal: https://{team['SubDomain']}")
    outputs.write(
        {
            WORKTEAM_ARN.name: str(team["WorkteamArn"]),
            interface.UI_METADATA.name: json.dumps(card(team, "Done")),
        },
        output_paths,
    )
    say(f"done: {team['WorkteamArn']}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """``ack-components workteam --INPUT VALUE ... [--workteam_arn_output_path PATH]``."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="ack-components workteam",
        description=f"{COMPONENT_NAME}: create a SageMaker private work team, or re-attach to "
        "the one of this name, through SageMaker's API (ACK has no Workteam kind).",
        allow_abbrev=False,
    )
    for spec in INPUTS:
        required = " (required)" if spec.required else ""
        parser.add_argument(
            f"--{spec.name}",
            dest=f"in_{spec.name}",
            metavar=spec.type,
            help=(spec.description + required).replace("%", "%%"),
        )
    for output in (*OUTPUTS, interface.UI_METADATA):
        parser.add_argument(
            interface.output_flag(output),
            dest=f"out:{output.name}",
            metavar="PATH",
            help=f"write output {output.name} here",
        )
    parser.add_argument("--outputs-dir", help="write each output to DIR/<output name>")
    args = parser.parse_args(argv)
    paths = outputs.directory_paths(OUTPUTS, Path(args.outputs_dir)) if args.outputs_dir else {}
    for key, value in vars(args).items():
        if key.startswith("out:") and value:
            paths[key[4:]] = Path(value)
    raw = {k[3:]: v for k, v in vars(args).items() if k.startswith("in_") and v is not None}
    return run(raw, paths)
