"""SageMaker private work teams for the emulator: the one kind no custom resource stands for.

Why this exists: the ACK controller has no Workteam kind, so the Workteam component calls
SageMaker itself (``ack_components.workteam``), and moto has no work teams. A team is
stored as it was asked for, in the private workforce every account has (``default``), and
answered as SageMaker answers: Describe wraps it in ``Workteam``, a team of the same name is
``ResourceInUse``, a missing one a ``ValidationException`` that says it does not exist, and
its members are all Cognito groups of one user pool and app client, or all OIDC groups.
Like ``hosting.py`` this imports neither moto nor botocore.
"""

from __future__ import annotations

import copy
import hashlib
import threading
import time
from collections.abc import Callable

from ack_components_sandbox.aws.emulator.training import ACCOUNT_ID, ApiError, JsonDict

#: The most members a team has (SageMaker's limit on ``MemberDefinitions``).
MAX_MEMBERS = 10


def arn(region: str, name: str) -> str:
    return f"arn:aws:sagemaker:{region}:{ACCOUNT_ID}:workteam/private-crowd/{name}"


def sub_domain(region: str, name: str) -> str:
    """The labeling portal's host: SageMaker makes one per team, stable for its ARN."""
    digest = hashlib.sha256(arn(region, name).encode()).hexdigest()[:10]
    return f"{digest}.labeling.{region}.sagemaker.aws"


def _not_found(region: str, name: str) -> ApiError:
    return ApiError("ValidationException", f"Workteam {arn(region, name)} does not exist.")


def check_members(members: list[JsonDict]) -> None:
    """SageMaker's rules for ``MemberDefinitions``; raises the ValidationException it gives."""
    if not 1 <= len(members) <= MAX_MEMBERS:
        raise ApiError(
            "ValidationException",
            f"1 validation error detected: Value at 'memberDefinitions' failed to satisfy "
            f"constraint: Member must have length between 1 and {MAX_MEMBERS}",
        )
    sources = {key for member in members for key in member}
    if len(sources) != 1 or not sources <= {"CognitoMemberDefinition", "OidcMemberDefinition"}:
        raise ApiError(
            "ValidationException",
            "A work team's members must all be CognitoMemberDefinition or all "
            "OidcMemberDefinition.",
        )
    pools = {
        (m["CognitoMemberDefinition"].get("UserPool"), m["CognitoMemberDefinition"].get("ClientId"))
        for m in members
        if "CognitoMemberDefinition" in m
    }
    if len(pools) > 1:
        raise ApiError(
            "ValidationException",
            "All Cognito member definitions of a work team must use the same user pool and "
            "app client.",
        )


class WorkteamStore:
    """Work teams by (region, name); ``clock`` gives CreateDate and LastUpdatedDate."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._teams: dict[tuple[str, str], JsonDict] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._teams.clear()

    def handlers(self) -> dict[str, Callable[[str, JsonDict], JsonDict]]:
        return {
            "CreateWorkteam": self.create,
            "DescribeWorkteam": self.describe,
            "DeleteWorkteam": self.delete,
            "ListWorkteams": self.list,
        }

    def create(self, region: str, params: JsonDict) -> JsonDict:
        name = str(params["WorkteamName"])
        check_members(list(params["MemberDefinitions"]))
        now = self.clock()
        team: JsonDict = {
            "WorkteamName": name,
            "MemberDefinitions": copy.deepcopy(params["MemberDefinitions"]),
            "WorkteamArn": arn(region, name),
            "WorkforceArn": f"arn:aws:sagemaker:{region}:{ACCOUNT_ID}:workforce/default",
            "ProductListingIds": [],
            "Description": params["Description"],
            "SubDomain": sub_domain(region, name),
            "CreateDate": now,
            "LastUpdatedDate": now,
        }
        if params.get("NotificationConfiguration"):
            team["NotificationConfiguration"] = copy.deepcopy(params["NotificationConfiguration"])
        with self._lock:
            if (region, name) in self._teams:
                raise ApiError("ResourceInUse", f"Workteam {arn(region, name)} already exists.")
            self._teams[(region, name)] = team
        return {"WorkteamArn": team["WorkteamArn"]}

    def describe(self, region: str, params: JsonDict) -> JsonDict:
        name = str(params["WorkteamName"])
        with self._lock:
            team = self._teams.get((region, name))
            if team is None:
                raise _not_found(region, name)
            return {"Workteam": copy.deepcopy(team)}

    def delete(self, region: str, params: JsonDict) -> JsonDict:
        name = str(params["WorkteamName"])
        with self._lock:
            if self._teams.pop((region, name), None) is None:
                raise _not_found(region, name)
        return {"Success": True}

    def list(self, region: str, params: JsonDict) -> JsonDict:
        contains = str(params.get("NameContains") or "")
        with self._lock:
            teams = [
                copy.deepcopy(team)
                for (in_region, name), team in sorted(self._teams.items())
                if in_region == region and contains in name
            ]
        return {"Workteams": teams}
