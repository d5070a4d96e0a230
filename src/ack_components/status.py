"""Is the resource done, failed, or still going? One pure function holds every ACK rule.

``assess(kind, resource, tracker, now, policy)`` takes a snapshot of the custom
resource (or None once it is gone) and an immutable ``Tracker`` of what was seen
before, and returns the next tracker and a verdict. It does no I/O and reads no
clock, so each rule is tested on recorded snapshots, and the same code runs in
the component. Rules, in order:

- the resource was deleted, or is being deleted (``deletionTimestamp``) → failed;
- overall timeout passed → failed;
- the step just updated the spec and ``.status`` is still the one from before
  the update → waiting, for at most ``status_timeout``: that status speaks of
  the old spec (ACK keeps no observed generation, so a changed status is the
  sign the controller acted);
- the SageMaker status is a failure value → failed with ``failureReason`` (the
  controller's Terminal "check the FailureReason" adds nothing to it);
- ``ACK.Terminal`` True → failed with its message (the spec must change);
- a stopped value → failed ("stopped");
- the status is a success value and ``ACK.ResourceSynced`` is True (or, if the
  controller writes no ResourceSynced, ``Ready``) and ``ACK.Recoverable`` is not
  True (the controller is still working through something) → done,
  unless a debugger/profiler rule ended in Error or IssuesFound; for a kind
  without a status value, the ARN and ``ACK.ResourceSynced`` True → done;
- ``ACK.Recoverable`` True → wait, but only for the grace period;
- no ``.status`` at all within ``status_timeout`` → failed: the controller is
  not reconciling this namespace;
- otherwise → waiting, with the time by which the verdict must be re-checked.

A kind whose progress is its conditions (a PyTorchJob) has no ACK conditions: its
``progress`` is the type of its newest True condition, a success value of which is
done and a failure value failed, with that condition's message as the reason.

A failure that is not the controller's own verdict (a timeout, a status that
never came or never changed) also names the condition that best explains it
(``explaining``): the controller says why it is stuck there, not in the status
value. ``condition_changes`` tells which conditions changed between two
snapshots, so the step can say what the controller reports as it happens.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ack_components.kinds import Kind

TERMINAL, RECOVERABLE, SYNCED = "ACK.Terminal", "ACK.Recoverable", "ACK.ResourceSynced"
LATE_INITIALIZED = "ACK.LateInitialized"
#: ACK runtimes since v0.53.0 also write ``Ready``; a runtime that wrote no ResourceSynced
#: (v0.16.0 dropped it by mistake) is judged by ``Ready`` instead.
READY = "Ready"
DELETED = "the custom resource was deleted while the step waited for it"
#: Kubeflow's training jobs' conditions (JobConditionType in the training operator's API).
JOB_CONDITIONS = ("Created", "Running", "Restarting", "Suspended", "Succeeded", "Failed")
#: The conditions a step reports as they change, in the order it reports them.
REPORTED = (TERMINAL, RECOVERABLE, SYNCED, LATE_INITIALIZED, READY, *JOB_CONDITIONS)


@dataclass(frozen=True)
class Policy:
    """Time limits in seconds; 0 means no limit for ``timeout`` and ``status_timeout``."""

    status_timeout: float = 180.0
    recoverable_grace: float = 600.0
    timeout: float = 0.0


@dataclass(frozen=True)
class Tracker:
    """What earlier snapshots told: when watching started and since when Recoverable holds.

    ``status_before_update`` is the ``.status`` the resource had when the step patched
    its spec; it is cleared by the first snapshot whose status differs.
    """

    started: float
    recoverable_since: float | None = None
    status_before_update: dict[str, Any] | None = None


@dataclass(frozen=True)
class Done:
    status: str


@dataclass(frozen=True)
class Failed:
    reason: str
    hint: str = ""


@dataclass(frozen=True)
class Waiting:
    status: str | None
    secondary: str | None
    #: Monotonic time at which to assess again even if nothing changes (None: only on change).
    recheck_at: float | None


Verdict = Done | Failed | Waiting


def conditions(resource: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = (resource.get("status") or {}).get("conditions") or []
    return {c.get("type", ""): c for c in found if isinstance(c, dict)}


def _true(condition: dict[str, Any] | None) -> bool:
    return bool(condition) and str((condition or {}).get("status")) == "True"


@dataclass(frozen=True)
class Condition:
    """One condition as the step reports it; ``status`` None means it was removed."""

    type: str
    status: str | None
    message: str

    def __str__(self) -> str:
        if self.status is None:
            return f"{self.type} removed"
        return f"{self.type}={self.status}" + (f": {self.message}" if self.message else "")


def _reported(resource: dict[str, Any] | None) -> dict[str, Condition]:
    found = conditions(resource or {})
    return {
        type_: Condition(
            type_,
            str(found[type_].get("status")),
            " ".join(str(found[type_].get("message") or "").split()),
        )
        for type_ in REPORTED
        if type_ in found
    }


def condition_changes(before: dict[str, Any] | None, after: dict[str, Any]) -> list[Condition]:
    """The reported conditions of ``after`` whose status or message differ from ``before``'s
    (None: nothing seen yet), and those ``after`` no longer has; in ``REPORTED`` order."""
    old, new = _reported(before), _reported(after)
    return [
        new.get(type_, Condition(type_, None, ""))
        for type_ in REPORTED
        if (type_ in old or type_ in new) and old.get(type_) != new.get(type_)
    ]


def explaining(resource: dict[str, Any]) -> Condition | None:
    """The condition that best says why the resource is not done: ACK.Terminal, then
    ACK.Recoverable (True), then ACK.ResourceSynced (or Ready without it) False or Unknown
    with a message, then ACK.LateInitialized False."""
    found = _reported(resource)
    synced = found.get(SYNCED, found.get(READY))
    candidates = (
        (found.get(TERMINAL), ("True",), False),
        (found.get(RECOVERABLE), ("True",), False),
        (synced, ("False", "Unknown"), True),
        (found.get(LATE_INITIALIZED), ("False",), False),
    )
    for condition, telling, needs_message in candidates:
        if condition and condition.status in telling and (condition.message or not needs_message):
            return condition
    return None


def progress(kind: Kind, status: dict[str, Any]) -> str | None:
    """The kind's progress value: its status field, or for a kind whose progress is its
    conditions, the type of the newest True one (the last listed, on a tie)."""
    if not kind.progress_from_conditions:
        return status.get(kind.status_field) if kind.status_field else None
    held = [
        (str(c.get("lastTransitionTime") or ""), index, str(c.get("type")))
        for index, c in enumerate(status.get("conditions") or [])
        if isinstance(c, dict) and str(c.get("status")) == "True"
    ]
    return max(held)[2] if held else None


def _last_condition(resource: dict[str, Any]) -> str:
    """``last condition <type>=<status>: <message>``, or "" when no condition explains."""
    condition = explaining(resource)
    return f"last condition {condition}" if condition else ""


def assess(
    kind: Kind, resource: dict[str, Any] | None, tracker: Tracker, now: float, policy: Policy
) -> tuple[Tracker, Verdict]:
    if resource is None:
        return tracker, Failed(DELETED)
    status = resource.get("status") or {}
    namespace = resource.get("metadata", {}).get("namespace", "")
    deleting = resource.get("metadata", {}).get("deletionTimestamp")
    if deleting:
        # Someone else deleted it (a step's own delete on SIGTERM is not assessed): its status
        # from here on is the controller stopping the work (Stopping, Stopped), not the run's.
        return tracker, Failed(
            f"{DELETED} (deletionTimestamp {deleting}; the controller stops or deletes what "
            "it started in SageMaker, then removes it)"
        )
    deadlines: list[float] = []
    if policy.timeout:
        if now - tracker.started >= policy.timeout:
            return tracker, Failed(
                f"timed out after {policy.timeout:.0f} s"
                + _parenthesised(f"status: {_summary(kind, status)}", _last_condition(resource)),
                "raise timeout_seconds, or 0 for no limit",
            )
        deadlines.append(tracker.started + policy.timeout)

    if tracker.status_before_update is not None:
        if status == tracker.status_before_update:
            if policy.status_timeout:
                if now - tracker.started >= policy.status_timeout:
                    return tracker, Failed(
                        f".status unchanged {policy.status_timeout:.0f} s after the update: the "
                        f"ACK controller has not acted on it in namespace {namespace!r}"
                        + _parenthesised(_last_condition(resource)),
                        f"run `ack-components doctor --namespace {namespace}`",
                    )
                deadlines.append(tracker.started + policy.status_timeout)
            return tracker, Waiting(
                status.get(kind.status_field or ""),
                "waiting for the controller to act on the update",
                min(deadlines) if deadlines else None,
            )
        tracker = replace(tracker, status_before_update=None)

    conds = conditions(resource)
    value = progress(kind, status)
    if value in kind.failed:
        # Before ACK.Terminal: the controller marks a failed endpoint (or schedule, feature
        # group…) Terminal with a generic "check the FailureReason"; the reason is the news.
        reason = failure_reason(kind, status) or _last_condition(resource) or "no reason given"
        return tracker, Failed(f"{kind.name} {value}: {reason}")
    if _true(conds.get(TERMINAL)):
        return tracker, Failed(
            f"ACK.Terminal: {conds[TERMINAL].get('message', '')}",
            "the spec must change: fix the inputs, or use a new name",
        )
    if value in kind.stopped:
        return tracker, Failed(
            f"the SageMaker {kind.name} was stopped"
            + _parenthesised(f"status {value}", _last_condition(resource))
        )
    # A Recoverable condition beside a success value means the controller is mid-way through
    # something (a notebook instance stopped to apply an update): not done yet.
    if kind.progress_from_conditions and value in kind.succeeded:
        return tracker, Done(str(value))
    if _true(conds.get(SYNCED, conds.get(READY))) and not _true(conds.get(RECOVERABLE)):
        if kind.status_field is None and (status.get("ackResourceMetadata") or {}).get("arn"):
            return tracker, Done("Synced")
        if value in kind.succeeded:
            broken = _failed_rules(kind, status)
            if broken:
                return tracker, Failed(
                    f"{kind.name} {value}, but rules failed: {', '.join(broken)}"
                )
            return tracker, Done(str(value))

    if _true(conds.get(RECOVERABLE)):
        since = tracker.recoverable_since if tracker.recoverable_since is not None else now
        tracker = replace(tracker, recoverable_since=since)
        if now - since >= policy.recoverable_grace:
            return tracker, Failed(
                f"ACK.Recoverable for {now - since:.0f} s: {conds[RECOVERABLE].get('message', '')}",
                "often the controller's IAM permissions, the role passed as role_arn, or a "
                "SageMaker quota; raise recoverable_grace_seconds to wait longer",
            )
        deadlines.append(since + policy.recoverable_grace)
    elif tracker.recoverable_since is not None:
        tracker = replace(tracker, recoverable_since=None)

    if not status and policy.status_timeout:
        if now - tracker.started >= policy.status_timeout:
            return tracker, Failed(
                f"no .status after {policy.status_timeout:.0f} s: {kind.controller} is not "
                f"reconciling namespace {namespace!r}",
                f"run `ack-components doctor --namespace {namespace}` to check the controller, "
                "its watched namespaces and the CRDs",
            )
        deadlines.append(tracker.started + policy.status_timeout)
    return tracker, Waiting(
        value, status.get("secondaryStatus"), min(deadlines) if deadlines else None
    )


def _parenthesised(*parts: str) -> str:
    """`` (a; b)`` of the parts that are not empty; "" when all are."""
    text = "; ".join(part for part in parts if part)
    return f" ({text})" if text else ""


def failure_reason(kind: Kind, status: dict[str, Any]) -> str:
    """What ``.status`` says about why the resource failed (the kind's reason fields, or the
    failure condition's message), or ''."""
    if kind.progress_from_conditions:
        held = conditions({"status": status})
        return "; ".join(
            " ".join(str(held[type_].get("message") or "").split())
            for type_ in sorted(kind.failed)
            if _true(held.get(type_))
        )
    for path in kind.failure_reason_paths:
        found = [str(v) for v in _values_at(status, path.split(".")) if v not in (None, "")]
        if found:
            return "; ".join(found)
    return ""


def _values_at(value: Any, keys: list[str]) -> list[Any]:
    if isinstance(value, list):
        return [found for item in value for found in _values_at(item, keys)]
    if not keys:
        return [value]
    if not isinstance(value, dict):
        return []
    return _values_at(value.get(keys[0]), keys[1:])


def _failed_rules(kind: Kind, status: dict[str, Any]) -> list[str]:
    return [
        f"{rule.get('ruleConfigurationName', '?')}={rule.get('ruleEvaluationStatus')}"
        for field in kind.rule_status_fields
        for rule in status.get(field) or []
        if isinstance(rule, dict) and rule.get("ruleEvaluationStatus") in kind.rule_failures
    ]


def _summary(kind: Kind, status: dict[str, Any]) -> str:
    if kind.status_field or kind.progress_from_conditions:
        return str(progress(kind, status))
    synced = conditions({"status": status}).get(SYNCED)
    return f"{SYNCED}={synced.get('status') if synced else None}"
