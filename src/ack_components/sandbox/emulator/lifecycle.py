"""One table-driven lifecycle store for every SageMaker kind the emulator answers generically.

Why this exists: the ACK controller drives each SageMaker kind through the same few moves —
Create (or Start), Describe until the status member says done, sometimes Update, Stop or
Delete, and "not found" recognised by an exact error code and message prefix. Writing a store
class per kind would repeat that 20 times with small differences; here a kind is an
``Entry`` (a row of data) and ``LifecycleStore`` serves any number of them. As in
``training.py``, a resource's whole history is a pure function of its stored request, its
creation time, its Stop/Update/Delete times and the clock: no background threads, so the
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

``not_found`` must be the exact code and a message the controller's ``sdkFind`` matches
(``pkg/resource/<kind>/sdk.go``), or it never calls Create. ``defaults`` must cover
``lateInitializeFromReadOneOutput`` in the kind's ``manager.go``, or the CR stays
``ACK.LateInitialized`` False. Describe echoes every stored request member that is in the
Describe output shape and never invents ``{}`` for a structure that was not sent.

Failure injection: a Create whose ``Tags`` hold the key ``emulator.ack-components/fail``
(``Entry.fail_reason`` may read another member) ends in ``failed`` with that value as
``reason_member``; a kind with no ``failed`` value refuses such a Create with a
ValidationException carrying the reason.
"""

from __future__ import annotations

import copy
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ack_components.sandbox.emulator.training import ACCOUNT_ID, FAIL_TAG, ApiError, JsonDict

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


@dataclass(frozen=True)
class Entry:
    """One SageMaker kind's lifecycle, as data. Unset operation names follow ``kind``."""

    kind: str
    arn_type: str
    not_found: NotFound
    status_member: str | None = None
    phases: tuple[Phase, ...] = ()
    done: str | None = None
    failed: str | None = None
    reason_member: str = "FailureReason"
    #: Request member naming the resource; with ``named_by_arn`` the ARN member names it.
    name_member: str = ""
    arn_member: str = ""
    named_by_arn: bool = False
    label: str = ""  # in messages; default: the kind in words
    create: str = ""
    describe: str = ""
    delete: str | None = None
    stop: str | None = None
    update: str | None = None
    stopping: Phase = Phase("Stopping", STOP)
    stopped: str = "Stopped"
    #: Statuses a Stop is accepted in; default: the first phase's.
    stoppable: frozenset[str] = frozenset()
    updatable: frozenset[str] = frozenset()
    updating: Phase | None = None
    deleting: Phase | None = None
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
        return self.arn_member if self.named_by_arn else self.name_member

    def operations(self) -> dict[str, str]:
        """Operation name → verb, for the operations this kind has."""
        verbs = {
            "create": self.create,
            "describe": self.describe,
            "delete": self.delete,
            "stop": self.stop,
            "update": self.update,
        }
        return {op: verb for verb, op in verbs.items() if op}

    def arn(self, region: str, request: JsonDict, ident: str = "") -> str:
        values = {k: str(v).lower() for k, v in request.items() if isinstance(v, str)}
        name = str(request.get(self.name_member, ""))
        path = self.arn_type.format(**values, name=name.lower(), id=ident)
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
    stopped_at: float | None = None
    updates: list[float] = field(default_factory=list)
    deleted_at: float | None = None

    @property
    def name(self) -> str:
        return self.arn if self.entry.named_by_arn else str(self.request[self.entry.name_member])


def timeline(record: Record, timings: Mapping[str, float]) -> tuple[list[Event], float | None]:
    """Every status the resource passes through, in order, and when it is gone (if deleted).

    Pure: the scheduled phases from creation, then the done or failed value, each cut short
    by a Stop, an Update with an updating phase, or a Delete at the moment it happened.
    """
    entry = record.entry
    events: list[Event] = []
    at = record.created
    for phase in entry.phases:
        events.append(Event(phase.status, at))
        at += timings[phase.timing]
    final = entry.failed if record.fail_reason is not None else entry.done
    if final is not None:
        events.append(Event(final, at))

    def interrupt(moment: float, *follow: Event) -> None:
        events[:] = [e for e in events if e.start < moment or e.start == record.created]
        events.extend(follow)

    if record.stopped_at is not None:
        moment = record.stopped_at
        interrupt(
            moment,
            Event(entry.stopping.status, moment),
            Event(entry.stopped, moment + timings[entry.stopping.timing]),
        )
    if entry.updating is not None and entry.done is not None:
        for moment in record.updates:
            seconds = timings[entry.updating.timing]
            interrupt(
                moment, Event(entry.updating.status, moment), Event(entry.done, moment + seconds)
            )
    gone = None
    if record.deleted_at is not None:
        moment = record.deleted_at
        if entry.deleting is None:
            gone = moment
        else:
            interrupt(moment, Event(entry.deleting.status, moment))
            gone = moment + timings[entry.deleting.timing]
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
    """Every resource of every entry, keyed by (kind, region, name); thread-safe.

    ``members`` maps operation names to their output members (from botocore, in
    ``server.py``); ``timings`` maps each phase's timing key to seconds.
    """

    def __init__(
        self,
        entries: Iterable[Entry],
        timings: Mapping[str, float],
        members: Mapping[str, frozenset[str]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.entries = {entry.kind: entry for entry in entries}
        self.timings = {STOP: 1.0, **timings}
        self.members = members
        self.clock = clock
        self._records: dict[tuple[str, str, str], Record] = {}
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
        }
        return {
            op: partial(verbs[verb], entry)
            for entry in self.entries.values()
            for op, verb in entry.operations().items()
        }

    # State --------------------------------------------------------------------------------

    def _find(self, entry: Entry, region: str, name: str) -> Record:
        """The live record, or the entry's not-found error; purges a deleted one."""
        key = (entry.kind, region, name)
        record = self._records.get(key)
        gone = timeline(record, self.timings)[1] if record is not None else None
        if gone is not None and self.clock() >= gone:
            del self._records[key]
            record = None
        if record is None:
            arn = name if entry.named_by_arn else entry.arn(region, {entry.name_member: name})
            raise entry.error(entry.not_found, name, arn)
        return record

    def _state(self, record: Record, now: float) -> tuple[str | None, float, float | None]:
        """(status, LastModifiedTime, end time) at ``now``."""
        entry = record.entry
        events = [e for e in timeline(record, self.timings)[0] if e.start <= now]
        status = events[-1].status if events else None
        modified = max([record.created, *(e.start for e in events), *record.updates])
        ends = {entry.done, entry.failed, entry.stopped} - {None}
        ended = next((e.start for e in events if e.status in ends), None)
        return status, modified, ended

    def _reply(self, operation: str, record: Record, **extra: Any) -> JsonDict:
        out = {record.entry.arn_member: record.arn, **extra}
        members = self.members.get(operation, frozenset())
        return {k: v for k, v in out.items() if k in members}

    # Operations ---------------------------------------------------------------------------

    def create_resource(self, entry: Entry, region: str, params: JsonDict) -> JsonDict:
        reason = entry.fail_reason(params)
        if reason is not None and entry.failed is None:
            raise ApiError("ValidationException", reason)
        with self._lock:
            for member, kind in entry.requires:
                self._find(self.entries[kind], region, str(params.get(member)))
            ident = uuid.uuid4().hex[:12]
            arn = entry.arn(region, params, ident)
            name = arn if entry.named_by_arn else str(params[entry.name_member])
            key = (entry.kind, region, name)
            if key in self._records:
                try:
                    self._find(entry, region, name)
                except ApiError:
                    pass  # deleted and gone: the name is free again
                else:
                    raise entry.error(entry.in_use, name, arn)
            request = copy.deepcopy(params)
            self._records[key] = Record(entry, region, arn, request, self.clock(), reason)
            return self._reply(entry.create, self._records[key])

    def describe_resource(self, entry: Entry, region: str, params: JsonDict) -> JsonDict:
        with self._lock:
            record = self._find(entry, region, str(params.get(entry.key_member)))
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
            if status == entry.failed:
                out[entry.reason_member] = record.fail_reason
        if entry.extra is not None:
            view = View(region, record.arn, request, status, record.created, ended, now)
            out.update(entry.extra(view))
        return {k: v for k, v in out.items() if k in members}

    def stop_resource(self, entry: Entry, region: str, params: JsonDict) -> JsonDict:
        with self._lock:
            record = self._find(entry, region, str(params.get(entry.key_member)))
            now = self.clock()
            status = self._state(record, now)[0]
            if status not in entry.stoppable:
                raise ApiError(
                    "ValidationException",
                    f"The request was rejected because the {entry.label} is in status {status}.",
                )
            record.stopped_at = now
            return self._reply(str(entry.stop), record)

    def update_resource(self, entry: Entry, region: str, params: JsonDict) -> JsonDict:
        with self._lock:
            record = self._find(entry, region, str(params.get(entry.key_member)))
            now = self.clock()
            status = self._state(record, now)[0]
            if entry.updating is not None and status != entry.done:
                raise ApiError(
                    "ValidationException",
                    f"The {entry.label} {record.name} cannot be updated in status {status}.",
                )
            changes = {k: copy.deepcopy(v) for k, v in params.items() if k in entry.updatable}
            record.request.update(changes)
            record.updates.append(now)
            return self._reply(str(entry.update), record)

    def delete_resource(self, entry: Entry, region: str, params: JsonDict) -> JsonDict:
        with self._lock:
            record = self._find(entry, region, str(params.get(entry.key_member)))
            if record.deleted_at is None:
                record.deleted_at = self.clock()
            if entry.deleting is None:
                del self._records[(entry.kind, region, record.name)]
            return self._reply(str(entry.delete), record)
