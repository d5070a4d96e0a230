"""The emulator's HTTP front: a WSGI layer in front of moto's own server application.

Why a layer rather than patches inside moto: moto routes a request by its SigV4 credential
scope (service, region) and ``X-Amz-Target``; reading the same two things here lets this
module answer the TrainingJob operations from ``training.Store``, the Model, EndpointConfig
and Endpoint ones from ``hosting.HostingStore``, work teams from ``workteams.WorkteamStore``
and those of every kind in a lifecycle table
(``tables.TABLES``) from
``lifecycle.LifecycleStore``, record every SageMaker/STS
call for tests, answer ``/_emulator/*`` control requests and turn moto's HTML 500 for
unimplemented operations into JSON errors, while STS and every other SageMaker operation stay
moto's, unmodified. Only this module imports moto (and werkzeug, which moto brings).
"""

from __future__ import annotations

import importlib
import io
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs
from wsgiref.types import StartResponse, WSGIEnvironment

import botocore.session
from moto.core.utils import camelcase_to_underscores, method_names_from_class
from moto.moto_api._internal import moto_api_backend
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.sagemaker.responses import SageMakerResponse

from ack_components_sandbox.aws.emulator import job_logs, tables
from ack_components_sandbox.aws.emulator.faults import Faults
from ack_components_sandbox.aws.emulator.hosting import HostingStore
from ack_components_sandbox.aws.emulator.lifecycle import JOB, Entry, LifecycleStore
from ack_components_sandbox.aws.emulator.training import ACCOUNT_ID, ApiError, JsonDict, Store
from ack_components_sandbox.aws.emulator.workteams import WorkteamStore

HOST = "127.0.0.1"
JSON_11 = "application/x-amz-json-1.1"
_SCOPE = re.compile(r"Credential=[^/,\s]*/\d{8}/([^/]+)/([^/]+)/aws4_request")
_STATUS_TEXT = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
    501: "Not Implemented",
}

Handler = Callable[[str, JsonDict], JsonDict]
#: Request members that name the resource a call is about, for the call record; the
#: lifecycle entries' own come first (a CreateTransformJob also carries a ModelName).
_NAME_MEMBERS = (
    "TrainingJobName",
    "EndpointName",
    "EndpointConfigName",
    "ModelName",
    "WorkteamName",
)
Reply = tuple[int, list[tuple[str, str]], bytes]


def _sagemaker_model() -> Any:
    return botocore.session.get_session().get_service_model("sagemaker")


class EmulatorApp:
    """WSGI application: TrainingJob, hosting and control requests here, the rest to moto."""

    def __init__(
        self,
        store: Store,
        hosting: HostingStore,
        lifecycle: LifecycleStore,
        moto_app: Callable[..., Iterable[bytes]],
        workteams: WorkteamStore | None = None,
    ) -> None:
        self.store = store
        self.hosting = hosting
        self.lifecycle = lifecycle
        self.workteams = workteams or WorkteamStore()
        self.moto_app = moto_app
        self._name_members = tuple(
            dict.fromkeys([*(e.key_member for e in lifecycle.entries.values()), *_NAME_MEMBERS])
        )
        #: The member naming a lifecycle operation's own resource (a Create: its name), so a
        #: user profile's Create is recorded by its name, not by its domain's ID.
        self._operation_names = {
            op: entry.name_member if verb == "create" else entry.key_member
            for entry in lifecycle.entries.values()
            for op, verb in entry.operations().items()
        }
        self.calls: list[JsonDict] = []
        #: Job log events already written to moto's CloudWatch Logs, per (region, group, stream).
        self._logged: dict[tuple[str, str, str], int] = {}
        self.faults = Faults()
        self._lock = threading.Lock()
        self.handlers: dict[str, Handler] = {
            "CreateTrainingJob": store.create,
            "DescribeTrainingJob": store.describe,
            "StopTrainingJob": store.stop,
            "UpdateTrainingJob": store.update,
            "ListTrainingJobs": store.list,
            **hosting.handlers(),
            **lifecycle.handlers(),
            **self.workteams.handlers(),
        }
        model = _sagemaker_model()
        self._required = {
            op: list(model.operation_model(op).input_shape.required_members) for op in self.handlers
        }
        self._moto_ops = set(method_names_from_class(SageMakerResponse))

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        if path.startswith("/_emulator/"):
            method = str(environ.get("REQUEST_METHOD"))
            return _send(start_response, self._control(method, path, _body(environ)))
        body = _body(environ)
        environ["wsgi.input"] = io.BytesIO(body)  # moto reads it again
        service, region = _scope(environ)
        if service == "sagemaker":
            operation = str(environ.get("HTTP_X_AMZ_TARGET", "")).rpartition(".")[2]
            return _send(start_response, self._sagemaker(environ, operation, region, body))
        if service == "sts":
            form = parse_qs(body.decode("utf-8", "replace")) | parse_qs(
                str(environ.get("QUERY_STRING", ""))
            )
            self._record(form.get("Action", [""])[0], None)
        if service == "logs":
            self._write_job_logs(region)
        return self.moto_app(environ, start_response)

    def _write_job_logs(self, region: str) -> None:
        """Put the jobs' log lines that have become due into moto's CloudWatch Logs, before
        a Logs call reads them (``job_logs``: what each instance writes)."""
        from moto.logs.models import logs_backends

        backend = logs_backends[ACCOUNT_ID][region]
        now = self.store.clock()
        jobs = [job_logs.events(job, now) for job in self.store.jobs(region)] + [
            job_logs.lifecycle_events(record, self.lifecycle.timings, now)
            for record in self.lifecycle.records(region, job_logs.LIFECYCLE)
        ]
        with self._lock:
            for written_by_job in jobs:
                due: dict[tuple[str, str], list[JsonDict]] = {}
                for event in written_by_job:
                    due.setdefault((event.group, event.stream), []).append(
                        {"timestamp": event.timestamp, "message": event.message}
                    )
                for (group, stream), stream_events in due.items():
                    written = self._logged.get((region, group, stream), 0)
                    if written == len(stream_events):
                        continue
                    if group not in backend.groups:
                        backend.create_log_group(group, {})
                    if written == 0:
                        backend.create_log_stream(group, stream)
                    backend.put_log_events(group, stream, stream_events[written:])
                    self._logged[(region, group, stream)] = len(stream_events)

    def _record(
        self, operation: str, name: Any, fault: str | None = None, error: str | None = None
    ) -> None:
        call = {"operation": operation, "name": name, "time": time.time()}
        outcome = ({"fault": fault} if fault else {}) | ({"error": error} if error else {})
        with self._lock:
            self.calls.append(call | outcome)

    def _sagemaker(
        self, environ: WSGIEnvironment, operation: str, region: str, body: bytes
    ) -> Reply:
        """The reply to one SageMaker call, recorded with the error code it carried, if any:
        a Create that failed is told apart from one that made something."""
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            params = None
        name = None
        fault = None
        if isinstance(params, dict):
            member = self._operation_names.get(operation) or next(
                (k for k in self._name_members if k in params), None
            )
            name = params.get(member) if member else None
            fault = self.faults.take(operation)
        reply = self._reply(environ, operation, region, params, fault)
        self._record(operation, name, fault.code if fault else None, _error_code(reply))
        return reply

    def _reply(
        self,
        environ: WSGIEnvironment,
        operation: str,
        region: str,
        params: Any,
        fault: ApiError | None,
    ) -> Reply:
        if params is None:
            return _error(ApiError("SerializationException", "The request body is not valid JSON."))
        if not isinstance(params, dict):
            return _error(
                ApiError("SerializationException", "The request body is not a JSON object.")
            )
        if fault is not None:
            return _error(fault)
        handler = self.handlers.get(operation)
        if handler is not None:
            missing = [m for m in self._required[operation] if m not in params]
            if missing:
                return _error(
                    ApiError(
                        "ValidationException",
                        f"1 validation error detected: Value null at '{missing[0]}' failed to satisfy constraint: Member must not be null",
                    )
                )
            try:
                return 200, _headers(), json.dumps(handler(region, params)).encode()
            except ApiError as error:
                return _error(error)
            except Exception as error:  # a malformed request or an emulator bug: still JSON
                return _error(ApiError("InternalFailure", f"{type(error).__name__}: {error}", 500))
        if camelcase_to_underscores(operation) not in self._moto_ops:
            return _error(
                ApiError(
                    "UnsupportedOperation",
                    f"The SageMaker emulator does not implement {operation or 'this operation'}.",
                    501,
                )
            )
        return self._moto_json(environ)

    def _moto_json(self, environ: WSGIEnvironment) -> Reply:
        """Call moto and keep its answer unless it is a non-JSON server error."""
        started: list[Any] = []

        def capture(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            started[:] = [status, headers]
            return chunks.append

        chunks: list[bytes] = []
        result = self.moto_app(environ, capture)
        try:
            chunks.extend(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status = int(str(started[0]).split()[0])
        headers = [
            (k, v)
            for k, v in started[1]
            if k.lower() not in ("content-length", "transfer-encoding")
        ]
        body = b"".join(chunks)
        if status >= 500 and not body.lstrip().startswith(b"{"):
            text = body.decode("utf-8", "replace")
            code = (
                "UnsupportedOperation" if "has not been implemented" in text else "InternalFailure"
            )
            return _error(
                ApiError(
                    code,
                    f"moto failed: {_first_line(text)}",
                    501 if code == "UnsupportedOperation" else 500,
                )
            )
        return status, headers, body

    def _control(self, method: str, path: str, body: bytes) -> Reply:
        route = path.rstrip("/")
        if route == "/_emulator/faults":
            return self._faults(method, body)
        if method == "GET" and route == "/_emulator/health":
            return _json_reply({"ok": True})
        if method == "GET" and route == "/_emulator/calls":
            with self._lock:
                return _json_reply(list(self.calls))
        if method == "POST" and route == "/_emulator/reset":
            self.store.reset()
            self.hosting.reset()
            self.lifecycle.reset()
            self.workteams.reset()
            moto_api_backend.reset()
            self.faults.clear()
            with self._lock:
                self.calls.clear()
                self._logged.clear()
            return _json_reply({"ok": True})
        return _json_reply({"message": f"no control endpoint {method} {path}"}, 404)

    def _faults(self, method: str, body: bytes) -> Reply:
        """POST adds a fault (faults.parse: the body's members), GET lists those in force,
        DELETE clears them all."""
        if method == "GET":
            return _json_reply(self.faults.listed())
        if method == "DELETE":
            return _json_reply({"ok": True, "cleared": self.faults.clear()})
        if method != "POST":
            return _json_reply({"message": f"no control endpoint {method} /_emulator/faults"}, 405)
        try:
            return _json_reply(self.faults.add(json.loads(body or b"null")))
        except ValueError as error:  # a FaultError, or a body that is not JSON
            return _json_reply({"message": f"bad fault: {error}"}, 400)


def _body(environ: WSGIEnvironment) -> bytes:
    length = environ.get("CONTENT_LENGTH")
    if length or not environ.get("wsgi.input_terminated"):
        return bytes(environ["wsgi.input"].read(int(length or 0)))
    return bytes(environ["wsgi.input"].read())  # chunked: werkzeug has already bounded it


def _scope(environ: WSGIEnvironment) -> tuple[str | None, str]:
    """(signing service, region) from the SigV4 Authorization header, as moto routes."""
    match = _SCOPE.search(str(environ.get("HTTP_AUTHORIZATION", "")))
    if match:
        return match.group(2).lower(), match.group(1)
    if str(environ.get("HTTP_X_AMZ_TARGET", "")).startswith("SageMaker."):
        return "sagemaker", "us-east-1"
    return None, "us-east-1"


def _first_line(text: str) -> str:
    lines = [line.strip() for line in re.sub(r"<[^>]+>", "\n", text).splitlines() if line.strip()]
    return lines[-1] if lines else "empty response"


def _headers(extra: Iterable[tuple[str, str]] = ()) -> list[tuple[str, str]]:
    return [("Content-Type", JSON_11), ("x-amzn-RequestId", str(uuid.uuid4())), *extra]


def _error_code(reply: Reply) -> str | None:
    """The error code of a reply that is not a success (its X-Amzn-Errortype), else None."""
    status, headers, _ = reply
    if status < 400:
        return None
    return next((v for k, v in headers if k.lower() == "x-amzn-errortype"), str(status))


def _error(error: ApiError) -> Reply:
    body = json.dumps({"__type": error.code, "message": error.message}).encode()
    return error.status, _headers([("X-Amzn-Errortype", error.code)]), body


def _json_reply(value: Any, status: int = 200) -> Reply:
    return status, [("Content-Type", "application/json")], json.dumps(value).encode()


def _send(start_response: StartResponse, reply: Reply) -> list[bytes]:
    status, headers, body = reply
    start_response(
        f"{status} {_STATUS_TEXT.get(status, 'Error')}",
        [*headers, ("Content-Length", str(len(body)))],
    )
    return [body]


def make_app(
    training_seconds: float,
    endpoint_seconds: float,
    job_seconds: float = 6.0,
    entries: Iterable[Entry] | None = None,
) -> EmulatorApp:
    """The application; ``job_seconds`` is each phase of the lifecycle kinds (``entries``,
    by default those of ``tables.TABLES``).

    Lifecycle phases may name the timings ``job``, ``training`` or ``endpoint``.
    """
    model = _sagemaker_model()

    def members(operation: str) -> frozenset[str]:
        output = model.operation_model(operation).output_shape
        return frozenset(output.members) if output is not None else frozenset()

    describes = ("DescribeModel", "DescribeEndpointConfig", "DescribeEndpoint")
    entries = tables.entries() if entries is None else list(entries)
    operations = {op for entry in entries for op in entry.operations()}
    timings = {JOB: job_seconds, "training": training_seconds, "endpoint": endpoint_seconds}
    hosting = HostingStore(endpoint_seconds, {op: members(op) for op in describes})
    return EmulatorApp(
        Store(training_seconds, members("DescribeTrainingJob")),
        hosting,
        LifecycleStore(
            entries,
            timings,
            {op: members(op) for op in operations},
            lookups={"Endpoint": hosting.endpoint_arn},
        ),
        DomainDispatcherApplication(create_backend_app),
    )


def make_server(
    port: int,
    training_seconds: float,
    endpoint_seconds: float,
    job_seconds: float = 6.0,
    host: str = HOST,
) -> Any:
    """A threaded werkzeug server on ``host``:``port`` (0 = any free port), not yet serving."""
    serving = importlib.import_module("werkzeug.serving")  # moto's dependency
    return serving.make_server(
        host,
        port,
        make_app(training_seconds, endpoint_seconds, job_seconds),
        threaded=True,
        request_handler=MotoRequestHandler,
    )
