"""One table-driven lifecycle store for every SageMaker kind the emulator answers generically.

Why this exists: the ACK controller drives each SageMaker kind through the same few moves —
Create (or Start), Describe until the status member says done, sometimes Update, Stop or
Delete, and "not found" recognised by an exact error code and message prefix. Writing a store
class per kind would repeat that 20 times with small differences; here a kind is an
``Entry`` (a row of data) and ``LifecycleStore`` serves any number of them. As in
``training.py``, a resource's whole history is a pure function of its stored request, its
creation time, its Stop/Start/Update/Delete times and the clock: no background threads, so the
behaviour is deterministic for a given clock. Nothing here imports moto or botocore;
``server.py`` wires the store to HTTP and gives it each operation's output members.

How to add a kind: add an ``Entry`` to a table module (``resources.py``, or a new module
with its own ``ENTRIES`` tuple registered in ``tables.TABLES``); ``server.py`` serves, and the
tests shape-check, every operation of every registered entry::

    FOO = Entry(
        kind="Foo",                      # the API's word: CreateFoo, DescribeFoo, FooName, FooArn
        arn_type="foo/{name}",           # ARN resource part; {name}, {id} or any request member
        status_member="FooStatus",       # omit for kinds SageMaker only stores
        phases=(Phase("Creating"),),     # statuses from Create on; each lasts timings[phase.timing]
        done="InService", failed="Failed",
        not_found=NotFound("ValidationException", "Could not find foo {name}"),
        delete="DeleteFoo",              # operations the kind has; None for those it lacks
        stop=None, update="UpdateFoo", updatable=frozenset({"FooConfig"}),
        updating=Phase("Updating"),      # the status while an Update takes effect, if any
        defaults=(("FooConfig.Mode", "Auto"),),  # late-initialised values Describe must return
        always={"Counters": {...}},      # required output members the request does not carry
    )

Kinds that need more have more columns: ``keys`` (a Studio user profile is named within its
domain), ``generate`` (IDs SageMaker makes up at Create, such as a domain's), a callable
``arn_type`` (a versioned model package), ``start``/``starting`` (a notebook instance the
controller stops and starts again), ``updated``/``updatable_in``/``on_update`` (an Update that
ends elsewhere than ``done``, or is only accepted in some statuses), ``deletable`` and
``deleted`` (a Delete only accepted in some statuses, or a status kept afterwards), and
``requires`` may name a kind another store keeps (``LifecycleStore(lookups=...)``).

``not_found`` must be the exact code and a message the controller's ``sdkFind`` matches
(``pkg/resource/<kind>/sdk.go``), or it never calls Create. ``defaults`` must cover
``lateInitializeFromReadOneOutput`` in the kind's ``manager.go``, or the CR stays
``ACK.LateInitialized`` False. Describe echoes every stored request member that is in the
Describe output shape and never invents ``{}`` for a structure that was not sent.

Failure injection: a Create whose ``Tags`` hold the key ``emulator.ack-components/fail``
(``Entry.fail_reason`` may read another member) ends in ``failed`` with that value as
``reason_member``; a kind with no ``failed`` value refuses such a Create with a
ValidationException carrying the reason. A Create whose ``Tags`` hold
``emulator.ack-components/seconds`` holds each of its scheduled phases (a job's
InProgress) that many seconds instead of the emulator's timing, as a training job does,
so a test can stop a job that is surely still running.
"""

from __future__ import annotations

import contextlib
import copy
import re
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from ack_components_sandbox.aws.emulator.training import (
    ACCOUNT_ID,
    FAIL_TAG,
    ApiError,
    JsonDict,
    tag_seconds,
)

#: The timing key of phases that do not name one, and the one Stop's phase uses.
JOB = "job"
STOP = "stop"


@dataclass(frozen=True)
class Phase:
    """A status held for ``timings[timing]`` seconds before the next one."""

    status: str
    timing: str = JOB


@dataclass(frozen=True)
class NotFound:
    """The error Describe (and every other call) gives for a missing resource.

    ``message`` is formatted with ``name``, ``arn`` and ``label``.
    """

    code: str
    message: str


def tag_reason(request: JsonDict) -> str | None:
    """The failure reason a Create asks for with its tags, if any."""
    for tag in request.get("Tags") or []:
        if isinstance(tag, dict) and tag.get("Key") == FAIL_TAG:
            return str(tag.get("Value", ""))
    return None


def _words(kind: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", " ", kind).lower()


@dataclass(frozen=True)
class View:
    """What an ``Entry.extra`` hook may read to compute members of one Describe."""

    region: str
    arn: str
    request: JsonDict
    status: str | None
    created: float
    ended: float | None
    now: float
    reason: str | None = None


@dataclass(frozen=True)
class Entry:
    """One SageMaker kind's lifecycle, as data. Unset operation names follow ``kind``."""

    kind: str
    #: The ARN's resource part, or a function of the request giving it (a model package is
    #: named by its name, or by its group and version).
    arn_type: str | Callable[[JsonDict], str]
    not_found: NotFound
    status_member: str | None = None
    phases: tuple[Phase, ...] = ()
    done: str | None = None
    failed: str | None = None
    #: The member Describe gives the failure reason in (None: ``extra`` gives it elsewhere).
    reason_member: str | None = "FailureReason"
    #: Request member naming the resource; with ``named_by_arn`` the ARN member names it.
    name_member: str = ""
    arn_member: str = ""
    named_by_arn: bool = False
    #: Request members that together name a resource where its name alone does not (a
    #: Studio user profile is named within its domain); the last is its ``key_member``.
    keys: tuple[str, ...] = ()
    #: Members Create adds to the stored request, as SageMaker generates them (a domain ID, a
    #: version number): a function of the region, the request and the kind's other live
    #: requests there. Create's reply and ``arn_type`` may use them.
    generate: Callable[[str, JsonDict, Sequence[JsonDict]], JsonDict] | None = None
    label: str = ""  # in messages; default: the kind in words
    create: str = ""
    describe: str = ""
    delete: str | None = None
    stop: str | None = None
    update: str | None = None
    start: str | None = None
    stopping: Phase = Phase("Stopping", STOP)
    stopped: str = "Stopped"
    #: Statuses a Stop is accepted in; default: the first phase's.
    stoppable: frozenset[str] = frozenset()
    #: Statuses a Start (of a stopped resource) is accepted in, and its phases before ``done``.
    startable: frozenset[str] = frozenset()
    starting: tuple[Phase, ...] = ()
    updatable: frozenset[str] = frozenset()
    updating: Phase | None = None
    #: The status an Update ends in (default ``done``); the statuses it is accepted in
    #: (default: ``done`` when there is an ``updating`` phase, else any).
    updated: str | None = None
    updatable_in: frozenset[str] = frozenset()
    #: How an Update changes the stored request beyond replacing ``updatable`` members.
    on_update: Callable[[JsonDict, JsonDict], None] | None = None
    #: Statuses a Delete is accepted in (default any); the status a deleted resource keeps
    #: after ``deleting`` (default none: it is gone, and its name is free again).
    deletable: frozenset[str] = frozenset()
    deleting: Phase | None = None
    deleted: str | None = None
    #: (dotted path, value or function of the request); ``*`` walks a list. Set only where
    #: the parent structure was sent and the member was not.
    defaults: tuple[tuple[str, Any], ...] = ()
    always: Mapping[str, Any] = field(default_factory=dict)
    #: Describe members holding a moment: ``created``, ``modified``, ``started`` or ``ended``.
    times: Mapping[str, str] = field(
        default_factory=lambda: {"CreationTime": "created", "LastModifiedTime": "modified"}
    )
    #: (request member, kind) that must name an existing resource of that kind.
    requires: tuple[tuple[str, str], ...] = ()
    in_use: NotFound = NotFound(
        "ResourceInUse",
        "{Label} names must be unique within an AWS account and region, "
        "and a {label} with this name already exists ({arn})",
    )
    fail_reason: Callable[[JsonDict], str | None] = tag_reason
    extra: Callable[[View], JsonDict] | None = None

    def __post_init__(self) -> None:
        derived = {
            "name_member": f"{self.kind}Name",
            "arn_member": f"{self.kind}Arn",
            "label": _words(self.kind),
            "create": f"Create{self.kind}",
            "describe": f"Describe{self.kind}",
        }
        for key, value in derived.items():
            if not getattr(self, key):
                object.__setattr__(self, key, value)
        if not self.stoppable and self.phases:
            object.__setattr__(self, "stoppable", frozenset({self.phases[0].status}))

    @property
    def key_member(self) -> str:
        """The request member every call but Create names the resource by."""
        if self.keys:
            return self.keys[-1]
        return self.arn_member if self.named_by_arn else self.name_member

    def key(self, region: str, params: JsonDict) -> tuple[str, ...]:
        """What names one resource in a request: its ``keys``, its ARN or its name.

        A kind named by ARN accepts its name too where SageMaker does (an unversioned model
        package), and finds it by the ARN that name has.
        """
        if self.keys:
            return tuple(str(params.get(k, "")) for k in self.keys)
        if not self.named_by_arn:
            return (str(params.get(self.name_member)),)
        value = str(params.get(self.arn_member) or params.get(self.name_member) or "")
        if value and not value.startswith("arn:"):
            # An ARN that needs more than a name: then no resource has this one.
            with contextlib.suppress(KeyError):
                value = self.arn(region, {self.name_member: value})
        return (value,)

    def after(self, verb: str) -> tuple[tuple[Phase, ...], str | None]:
        """The phases a Stop, Start, Update or Delete begins and the status it ends in."""
        if verb == "stop":
            return (self.stopping,), self.stopped
        if verb == "start":
            return self.starting, self.done
        if verb == "update":
            if self.updating is None:
                return (), None
            return (self.updating,), self.updated or self.done
        return ((self.deleting,) if self.deleting else ()), self.deleted

    def operations(self) -> dict[str, str]:
        """Operation name → verb, for the operations this kind has."""
        verbs = {
            "create": self.create,
            "describe": self.describe,
            "delete": self.delete,
            "stop": self.stop,
            "update": self.update,
            "start": self.start,
        }
        return {op: verb for verb, op in verbs.items() if op}

    def arn(self, region: str, request: JsonDict, ident: str = "") -> str:
        values = {
            k: str(v).lower()
            for k, v in request.items()
            if isinstance(v, (str, int)) and not isinstance(v, bool)
        }
        name = str(request.get(self.name_member, ""))
        template = self.arn_type(request) if callable(self.arn_type) else self.arn_type
        path = template.format(**values, name=name.lower(), id=ident)
        return f"arn:aws:sagemaker:{region}:{ACCOUNT_ID}:{path}"

    def error(self, template: NotFound, name: str, arn: str) -> ApiError:
        words = {"name": name, "arn": arn, "label": self.label, "Label": self.label.capitalize()}
        return ApiError(template.code, template.message.format(**words))


@dataclass(frozen=True)
class Event:
    status: str
    start: float


@dataclass
class Record:
    """One resource: its request (with Updates applied) and the moments that shape it."""

    entry: Entry
    region: str
    arn: str
    request: JsonDict
    created: float
    fail_reason: str | None
    key: tuple[str, ...] = ()
    #: (moment, verb) of every Stop, Start, Update and Delete, in the order they came.
    actions: list[tuple[float, str]] = field(default_factory=list)
    #: How long each scheduled phase lasts, when the Create's tags said (``tag_seconds``).
    seconds: float | None = None
    generated: JsonDict = field(default_factory=dict)

    @property
    def updates(self) -> list[float]:
        return [moment for moment, verb in self.actions if verb == "update"]

    @property
    def deleted_at(self) -> float | None:
        return next((moment for moment, verb in self.actions if verb == "delete"), None)

    @property
    def name(self) -> str:
        return self.arn if self.entry.named_by_arn else str(self.request[self.entry.name_member])


def timeline(record: Record, timings: Mapping[str, float]) -> tuple[list[Event], float | None]:
    """Every status the resource passes through, in order, and when it is gone (if deleted).

    Pure: the scheduled phases from creation, then the done or failed value; each Stop,
    Start, Update (with an updating phase) or Delete, in the order they came, replaces what
    was still to come with its own phases and end status (``Entry.after``).
    """
    entry = record.entry
    events: list[Event] = []
    at = record.created
    for phase in entry.phases:
        events.append(Event(phase.status, at))
        at += timings[phase.timing] if record.seconds is None else record.seconds
    final = entry.failed if record.fail_reason is not None else entry.done
    if final is not None:
        events.append(Event(final, at))
    gone = None
    for moment, verb in record.actions:
        phases, final = entry.after(verb)
        if verb == "update" and not phases:
            continue  # an Update that changes no status, only LastModifiedTime
        events[:] = [e for e in events if e.start < moment or e.start == record.created]
        at = moment
        for phase in phases:
            events.append(Event(phase.status, at))
            at += timings[phase.timing]
        if final is not None:
            events.append(Event(final, at))
        elif verb == "delete":
            gone = at
    return events, gone


def _set_default(out: Any, path: list[str], value: Any, request: JsonDict) -> None:
    head, rest = path[0], path[1:]
    if head == "*":
        for item in out if isinstance(out, list) else []:
            _set_default(item, rest, value, request)
        return
    if not isinstance(out, dict):
        return
    if rest:
        if head in out:
            _set_default(out[head], rest, value, request)
    elif head not in out:
        out[head] = value(request) if callable(value) else copy.deepcopy(value)


class LifecycleStore:
    """Every resource of every entry, keyed by (kind, region, *its key); thread-safe.

    ``members`` maps operation names to their output members (from botocore, in
    ``server.py``); ``timings`` maps each phase's timing key to seconds. ``lookups`` finds
    resources of kinds other stores keep, for ``Entry.requires``: kind → (region, name) →
    anything, or that kind's not-found error (an inference component's endpoint).
    """

    def __init__(
        self,
        entries: Iterable[Entry],
        timings: Mapping[str, float],
        members: Mapping[str, frozenset[str]],
        clock: Callable[[], float] = time.time,
        lookups: Mapping[str, Callable[[str, str], object]] | None = None,
    ) -> None:
        self.entries = {entry.kind: entry for entry in entries}
        self.timings = {STOP: 1.0, **timings}
        self.members = members
        self.clock = clock
        self.lookups = dict(lookups or {})
        self._records: dict[tuple[str, ...], Record] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._records.clear()

    def handlers(self) -> dict[str, Callable[[str, JsonDict], JsonDict]]:
        verbs = {
            "create": self.create_resource,
            "describe": self.describe_resource,
            "delete": self.delete_resource,
            "stop": self.stop_resource,
            "update": self.update_resource,
            "start": self.start_resource,
        }
        return {
            op: partial(verbs[verb], entry)
            for entry in self.entries.values()
            for op, verb in entry.operations().items()
        }

    def records(self, region: str, kinds: Collection[str]) -> list[Record]:
        """The resources of ``kinds`` in ``region``, as copies safe to read unlocked."""
        with self._lock:
            return [
                replace(record, actions=list(record.actions))
                for key, record in self._records.items()
                if key[0] in kinds and key[1] == region
            ]

    # State --------------------------------------------------------------------------------

    def _lookup(self, key: tuple[str, ...]) -> Record | None:
        """The record under ``key`` unless it is gone; purges a gone one."""
        record = self._records.get(key)
        gone = timeline(record, self.timings)[1] if record is not None else None
        if gone is not None and self.clock() >= gone:
            del self._records[key]
            return None
        return record

    def _find(self, entry: Entry, region: str, params: JsonDict) -> Record:
        """The live record ``params`` name, or the entry's not-found error."""
        key = entry.key(region, params)
        record = self._lookup((entry.kind, region, *key))
        if record is None:
            try:
                arn = key[0] if entry.named_by_arn else entry.arn(region, params)
            except KeyError:
                arn = ""
            raise entry.error(entry.not_found, key[-1], arn)
        return record

    def _require(self, member: str, kind: str, region: str, params: JsonDict) -> None:
        """The resource of ``kind`` that ``params[member]`` names exists, or its not-found."""
        target = self.entries.get(kind)
        if target is None:
            self.lookups[kind](region, str(params[member]))
        else:
            self._find(
                target, region, params if target.keys else {target.key_member: params[member]}
            )

    def _state(self, record: Record, now: float) -> tuple[str | None, float, float | None]:
        """(status, LastModifiedTime, end time) at ``now``."""
        entry = record.entry
        events = [e for e in timeline(record, self.timings)[0] if e.start <= now]
        status = events[-1].status if events else None
        modified = max([record.created, *(e.start for e in events), *record.updates])
        ends = {entry.done, entry.failed, entry.stopped} - {None}
        ended = next((e.start for e in events if e.status in ends), None)
        return status, modified, ended

    def _act(
        self,
        entry: Entry,
        region: str,
        params: JsonDict,
        verb: str,
        allowed: Collection[str | None] | None,
    ) -> Record:
        """Record a Stop, Start, Update or Delete now, if the status is one of ``allowed``
        (None: any)."""
        record = self._find(entry, region, params)
        now = self.clock()
        status = self._state(record, now)[0]
        if allowed is not None and status not in allowed:
            raise ApiError(
                "ValidationException",
                f"The request was rejected because the {entry.label} is in status {status}.",
            )
        record.actions.append((now, verb))
        return record

    def _reply(self, operation: str, record: Record, **extra: Any) -> JsonDict:
        out = {record.entry.arn_member: record.arn, **record.generated, **extra}
        members = self.members.get(operation, frozenset())
        return {k: v for k, v in out.items() if k in members}

    # Operations ---------------------------------------------------------------------------

    def create_resource(self, entry: Entry, region: str, params: JsonDict) -> JsonDict:
        reason = entry.fail_reason(params)
        if reason is not None and entry.failed is None:
            raise ApiError("ValidationException", reason)
        seconds = tag_seconds(params)
        with self._lock:
            for member, kind in entry.requires:
                if member in params:
                    self._require(member, kind, region, params)
            request = copy.deepcopy(params)
            generated: JsonDict = {}
            if entry.generate is not None:
                others = [
                    r.request for k, r in self._records.items() if k[:2] == (entry.kind, region)
                ]
                generated = entry.generate(region, request, others)
                request.update(generated)
            arn = entry.arn(region, request, uuid.uuid4().hex[:12])
            key = (arn,) if entry.named_by_arn else entry.key(region, request)
            existing = self._lookup((entry.kind, region, *key))
            if existing is not None and (
                entry.deleted is None or self._state(existing, self.clock())[0] != entry.deleted
            ):
                raise entry.error(entry.in_use, key[-1], arn)
            record = Record(entry, region, arn, request, self.clock(), reason, key)
            record.generated = generated
            record.seconds = seconds
            self._records[(entry.kind, region, *key)] = record
            return self._reply(entry.create, record)

    def describe_resource(self, entry: Entry, region: str, params: JsonDict) -> JsonDict:
        with self._lock:
            record = self._find(entry, region, params)
            now = self.clock()
            status, modified, ended = self._state(record, now)
            request = copy.deepcopy(record.request)
        members = self.members.get(entry.describe, frozenset())
        out = {k: v for k, v in request.items() if k in members}
        for path, value in entry.defaults:
            _set_default(out, path.split("."), value, request)
        for member, value in entry.always.items():
            out.setdefault(member, copy.deepcopy(value))
        moments = {"created": record.created, "modified": modified, "started": record.created}
        if ended is not None:
            moments["ended"] = ended
        out.update({m: moments[w] for m, w in entry.times.items() if w in moments})
        out[entry.arn_member] = record.arn
        if not entry.named_by_arn:
            out[entry.name_member] = record.name
        if entry.status_member is not None and status is not None:
            out[entry.status_member] = status
            if status == entry.failed and entry.reason_member is not None:
                out[entry.reason_member] = record.fail_reason
        if entry.extra is not None:
            view = View(
                region, record.arn, request, status, record.created, ended, now, record.fail_reason
            )
            out.update(entry.extra(view))
        return {k: v for k, v in out.items() if k in members}

    def stop_resource(self, entry: Entry, region: str, params: JsonDict) -> JsonDict:
        with self._lock:
            record = self._act(entry, region, params, "stop", entry.stoppable)
            return self._reply(str(entry.stop), record)

    def start_resource(self, entry: Entry, region: str, params: JsonDict) -> JsonDict:
        with self._lock:
            record = self._act(entry, region, params, "start", entry.startable)
            return self._reply(str(entry.start), record)

    def update_resource(self, entry: Entry, region: str, params: JsonDict) -> JsonDict:
        with self._lock:
            allowed = entry.updatable_in or ({entry.done} if entry.updating is not None else None)
            record = self._act(entry, region, params, "update", allowed)
            changes = {k: copy.deepcopy(v) for k, v in params.items() if k in entry.updatable}
            record.request.update(changes)
            if entry.on_update is not None:
                entry.on_update(record.request, params)
            return self._reply(str(entry.update), record)

    def delete_resource(self, entry: Entry, region: str, params: JsonDict) -> JsonDict:
        with self._lock:
            record = self._find(entry, region, params)
            if record.deleted_at is None:
                self._act(entry, region, params, "delete", entry.deletable or None)
            if entry.deleting is None and entry.deleted is None:
                del self._records[(entry.kind, region, *record.key)]
            return self._reply(str(entry.delete), record)
