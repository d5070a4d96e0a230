"""SageMaker hosting for the emulator: Model, EndpointConfig and Endpoint, as functions of a clock.

Why this exists: moto puts an endpoint ``InService`` the moment it is created, deletes it at
once, has no UpdateEndpoint, and echoes absent structures as ``{}``. The ACK controller polls
an endpoint through ``Creating`` → ``InService``, changes its configuration with
UpdateEndpoint (``Updating`` → ``InService``) and waits through ``Deleting`` until Describe
says "Could not find endpoint". Here every status is a function of the time since the
request that started it, as in ``training.py``; each phase lasts ``endpoint_seconds``, and
nothing runs in the background. Like
``training.py`` this imports neither moto nor botocore.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ack_components_sandbox.aws.emulator.training import ACCOUNT_ID, FAIL_TAG, ApiError, JsonDict


def _invalid(message: str) -> ApiError:
    return ApiError("ValidationException", message)


def _tags(params: JsonDict) -> dict[str, str]:
    return {t.get("Key"): t.get("Value", "") for t in params.get("Tags") or []}


@dataclass
class Change:
    """An UpdateEndpoint: from ``at`` the endpoint is Updating towards ``config``."""

    at: float
    config: str


@dataclass
class Endpoint:
    request: JsonDict
    arn: str
    created: float
    seconds: float
    fail_reason: str | None = None
    changes: list[Change] = field(default_factory=list)
    deleted_at: float | None = None

    def state(self, now: float) -> tuple[str, str, float]:
        """(EndpointStatus, the EndpointConfigName in service, LastModifiedTime) at ``now``."""
        ready = self.created + self.seconds
        status, config, modified = "Creating", str(self.request["EndpointConfigName"]), self.created
        if now >= ready:
            status, modified = ("Failed" if self.fail_reason is not None else "InService"), ready
        if status == "InService":
            for change in self.changes:
                if now < change.at + self.seconds:
                    status, modified = "Updating", change.at
                    break
                config, modified = change.config, change.at + self.seconds
        if self.deleted_at is not None:
            status, modified = "Deleting", self.deleted_at
        return status, config, modified

    def gone(self, now: float) -> bool:
        return self.deleted_at is not None and now >= self.deleted_at + self.seconds


def _arn(region: str, kind: str, name: str) -> str:
    return f"arn:aws:sagemaker:{region}:{ACCOUNT_ID}:{kind}/{name.lower()}"


@dataclass(frozen=True)
class Definition:
    """A kind SageMaker only stores, as Model and EndpointConfig: Create, Describe, Delete."""

    kind: str  # the API's word: ``Model`` → ModelName, ModelArn, DescribeModel
    arn_type: str  # in the ARN: ``endpoint-config``
    label: str  # in messages: ``endpoint configuration``

    def arn(self, region: str, name: str) -> str:
        return _arn(region, self.arn_type, name)

    def not_found(self, region: str, name: str) -> ApiError:
        # The controller matches the prefix "Could not find <label>".
        return _invalid(f'Could not find {self.label} "{self.arn(region, name)}".')


MODEL = Definition("Model", "model", "model")
ENDPOINT_CONFIG = Definition("EndpointConfig", "endpoint-config", "endpoint configuration")


class HostingStore:
    """Models, endpoint configurations and endpoints, keyed by (region, name); thread-safe.

    ``members`` maps each Describe operation to its output members: request fields among
    them are echoed as sent, and structures that were not sent stay absent.
    """

    def __init__(
        self,
        endpoint_seconds: float,
        members: Mapping[str, frozenset[str]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.endpoint_seconds = endpoint_seconds
        self.members = members
        self.clock = clock
        # (request, creation time) per definition kind, then per (region, name)
        self._stored: dict[Definition, dict[tuple[str, str], tuple[JsonDict, float]]] = {
            MODEL: {},
            ENDPOINT_CONFIG: {},
        }
        self._endpoints: dict[tuple[str, str], Endpoint] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            for stored in self._stored.values():
                stored.clear()
            self._endpoints.clear()

    def handlers(self) -> dict[str, Callable[[str, JsonDict], JsonDict]]:
        found: dict[str, Callable[[str, JsonDict], JsonDict]] = {}
        for definition in self._stored:
            found.update(
                {
                    f"Create{definition.kind}": partial(self.create, definition),
                    f"Describe{definition.kind}": partial(self.describe, definition),
                    f"Delete{definition.kind}": partial(self.delete, definition),
                }
            )
        return found | {
            "CreateEndpoint": self.create_endpoint,
            "DescribeEndpoint": self.describe_endpoint,
            "UpdateEndpoint": self.update_endpoint,
            "DeleteEndpoint": self.delete_endpoint,
        }

    # Models and endpoint configurations ---------------------------------------------------

    def _find(self, definition: Definition, region: str, name: str) -> tuple[JsonDict, float]:
        found = self._stored[definition].get((region, name))
        if found is None:
            raise definition.not_found(region, name)
        return found

    def create(self, definition: Definition, region: str, params: JsonDict) -> JsonDict:
        name = str(params[f"{definition.kind}Name"])
        arn = definition.arn(region, name)
        reason = _tags(params).get(FAIL_TAG)
        if reason is not None:  # a kind SageMaker only stores has no failed state: Create says no
            raise _invalid(reason)
        with self._lock:
            for variant in params.get("ProductionVariants") or []:  # a configuration's models
                if "ModelName" in variant:
                    self._find(MODEL, region, str(variant["ModelName"]))
            if (region, name) in self._stored[definition]:
                raise _invalid(f'Cannot create already existing {definition.label} "{arn}".')
            self._stored[definition][(region, name)] = (copy.deepcopy(params), self.clock())
        return {f"{definition.kind}Arn": arn}

    def describe(self, definition: Definition, region: str, params: JsonDict) -> JsonDict:
        name = str(params[f"{definition.kind}Name"])
        with self._lock:
            request, created = self._find(definition, region, name)
        out = self._echo(f"Describe{definition.kind}", request)
        out.setdefault("EnableNetworkIsolation", False)  # late-initialised by the controller
        out.update({f"{definition.kind}Arn": definition.arn(region, name)}, CreationTime=created)
        return out

    def delete(self, definition: Definition, region: str, params: JsonDict) -> JsonDict:
        name = str(params[f"{definition.kind}Name"])
        with self._lock:
            self._find(definition, region, name)
            del self._stored[definition][(region, name)]
        return {}

    # Endpoints ----------------------------------------------------------------------------

    def _endpoint(self, region: str, name: str) -> Endpoint:
        found = self._endpoints.get((region, name))
        if found is None or found.gone(self.clock()):  # prefix "Could not find endpoint"
            raise _invalid(f'Could not find endpoint "{_arn(region, "endpoint", name)}".')
        return found

    def create_endpoint(self, region: str, params: JsonDict) -> JsonDict:
        name = str(params["EndpointName"])
        arn = _arn(region, "endpoint", name)
        with self._lock:
            self._find(ENDPOINT_CONFIG, region, str(params["EndpointConfigName"]))
            existing = self._endpoints.get((region, name))
            if existing is not None and not existing.gone(self.clock()):
                raise _invalid(f'Cannot create already existing endpoint "{arn}".')
            self._endpoints[(region, name)] = Endpoint(
                request=copy.deepcopy(params),
                arn=arn,
                created=self.clock(),
                seconds=self.endpoint_seconds,
                fail_reason=_tags(params).get(FAIL_TAG),
            )
        return {"EndpointArn": arn}

    def describe_endpoint(self, region: str, params: JsonDict) -> JsonDict:
        name = str(params["EndpointName"])
        with self._lock:
            endpoint = self._endpoint(region, name)
            now = self.clock()
            status, config, modified = endpoint.state(now)
            stored = self._stored[ENDPOINT_CONFIG].get((region, config)) or ({}, 0.0)
            variants = stored[0].get("ProductionVariants")
        out = self._echo("DescribeEndpoint", endpoint.request)
        out.update(
            EndpointName=name,
            EndpointArn=endpoint.arn,
            EndpointConfigName=config,
            EndpointStatus=status,
            CreationTime=endpoint.created,
            LastModifiedTime=modified,
        )
        if status == "Failed":
            out["FailureReason"] = endpoint.fail_reason
        if status in ("InService", "Updating") and variants:
            out["ProductionVariants"] = [_summary(v) for v in variants]
        return out

    def update_endpoint(self, region: str, params: JsonDict) -> JsonDict:
        name = str(params["EndpointName"])
        with self._lock:
            endpoint = self._endpoint(region, name)
            status = endpoint.state(self.clock())[0]
            if status != "InService":
                raise _invalid(f'Cannot update in-progress endpoint "{endpoint.arn}".')
            config = str(params["EndpointConfigName"])
            self._find(ENDPOINT_CONFIG, region, config)
            endpoint.changes.append(Change(self.clock(), config))
        return {"EndpointArn": endpoint.arn}

    def delete_endpoint(self, region: str, params: JsonDict) -> JsonDict:
        name = str(params["EndpointName"])
        with self._lock:
            endpoint = self._endpoint(region, name)
            if endpoint.deleted_at is None:
                endpoint.deleted_at = self.clock()
        return {}

    def endpoint_arn(self, region: str, name: str) -> str:
        """A live endpoint's ARN, or "Could not find endpoint" (for kinds that live on one)."""
        with self._lock:
            return self._endpoint(region, name).arn

    def _echo(self, operation: str, request: JsonDict) -> JsonDict:
        members = self.members[operation]
        return {k: copy.deepcopy(v) for k, v in request.items() if k in members}


def _summary(variant: JsonDict) -> JsonDict:
    """A ProductionVariantSummary for a variant of the configuration in service."""
    summary: dict[str, Any] = {"VariantName": variant["VariantName"]}
    weight = float(variant.get("InitialVariantWeight", 1.0))
    summary.update(CurrentWeight=weight, DesiredWeight=weight)
    if "InitialInstanceCount" in variant:
        count = int(variant["InitialInstanceCount"])
        summary.update(CurrentInstanceCount=count, DesiredInstanceCount=count)
    return summary
