"""Follow one custom resource by watching, never polling.

``follow`` yields a snapshot each time the resource changes (None once it is
gone) and ``TICK`` when a watch window closes with nothing new, so the caller
can re-check its deadlines. It resumes from the last ``resourceVersion`` seen,
re-reads the object on 410 Gone, and reconnects with backoff when the
connection drops (an API server restart, say). A window lasts until the
caller's next deadline, at most ten minutes, so a ten-minute job costs a
handful of requests.

``Background`` runs ``follow`` on a thread of its own and hands its snapshots over a
queue, so the step's main thread can wake every second to look for a recorded stop
signal (and its own deadlines) without a request: one watch then serves the whole job
unless the API server ends it.
"""

from __future__ import annotations

import contextlib
import json
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

import urllib3
from kubernetes.client.exceptions import ApiException

from ack_components.kube import Resources

TICK: Any = object()
MAX_WINDOW = 600
_BACKOFF_START, _BACKOFF_MAX = 0.2, 5.0


class _Gone(Exception):
    """The watch's resourceVersion is too old: read the object again."""


def follow(
    resources: Resources,
    name: str,
    window: Callable[[], float],
    start: dict[str, Any] | None = None,
    sleep: Callable[[float], Any] = time.sleep,
    opened: Callable[[Any], None] = lambda response: None,
) -> Iterator[Any]:
    """Snapshots of ``name`` after ``start`` (if given, it is not read again); ``window()`` is
    how long the caller may wait before a TICK. ``opened`` is handed each watch response as
    it opens, so another thread can end it."""
    version: str | None = start["metadata"]["resourceVersion"] if start else None
    backoff = _BACKOFF_START
    while True:
        try:
            if version is None:
                current = resources.get(name)
                yield current
                if current is None:
                    return
                version = current["metadata"]["resourceVersion"]
            seconds = max(1, min(MAX_WINDOW, int(window() + 0.999)))
            response = resources.watch(name, version, seconds)
            opened(response)
            window_end = time.monotonic() + seconds
            try:
                for event in _events(response):
                    kind, obj = event.get("type"), event.get("object") or {}
                    if kind == "ERROR":
                        if obj.get("code") == 410:
                            raise _Gone
                        raise ApiException(status=obj.get("code"), reason=obj.get("message"))
                    version = obj.get("metadata", {}).get("resourceVersion", version)
                    if kind == "BOOKMARK":
                        continue
                    yield None if kind == "DELETED" else obj
                    if kind == "DELETED":
                        return
                    if time.monotonic() + window() < window_end - 0.5:
                        break  # the caller's deadline moved closer: open a shorter window
            finally:
                response.release_conn()
            backoff = _BACKOFF_START
            yield TICK
        except _Gone:
            version = None
        except ApiException as error:
            if error.status == 410:
                version = None
                continue
            if error.status is not None and error.status < 500 and error.status != 429:
                raise
            sleep(backoff)
            backoff = min(backoff * 2, _BACKOFF_MAX)
            yield TICK
        except (urllib3.exceptions.HTTPError, OSError):
            sleep(backoff)
            backoff = min(backoff * 2, _BACKOFF_MAX)
            yield TICK


class Background:
    """``follow`` (one window of up to ``MAX_WINDOW`` after another) on a daemon thread.

    Used as a context manager: entering starts the watch, leaving ends it, closing the
    open response so the thread does not outlive the step's use of it. ``next`` is the
    main thread's only wait, and costs no request.
    """

    def __init__(self, resources: Resources, name: str, start: dict[str, Any]) -> None:
        self._resources, self._name, self._start = resources, name, start
        self._items: queue.SimpleQueue[tuple[Any, BaseException | None]] = queue.SimpleQueue()
        self._closed = threading.Event()
        self._response: Any = None
        self._thread = threading.Thread(target=self._run, name=f"watch {name}", daemon=True)

    def __enter__(self) -> Background:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def next(self, timeout: float) -> Any:
        """The next snapshot (None once the object is gone), or TICK when none came within
        ``timeout`` seconds; raises what the watch raised (a 403, say)."""
        try:
            item, error = self._items.get(timeout=timeout)
        except queue.Empty:
            return TICK
        if error is not None:
            raise error
        return item

    def close(self, wait: float = 5.0) -> None:
        self._closed.set()
        response = self._response
        if response is not None:
            _end(response)
        self._thread.join(wait)

    def alive(self) -> bool:
        return self._thread.is_alive()

    def _opened(self, response: Any) -> None:
        self._response = response
        if self._closed.is_set():  # closed while this one was being opened
            _end(response)

    def _run(self) -> None:
        try:
            for item in follow(
                self._resources,
                self._name,
                lambda: MAX_WINDOW,
                start=self._start,
                sleep=self._closed.wait,
                opened=self._opened,
            ):
                if self._closed.is_set():
                    return
                self._items.put((item, None))
        except Exception as error:  # handed to the main thread, which raises it
            if not self._closed.is_set():
                self._items.put((None, error))


def _end(response: Any) -> None:
    """End a streaming response from another thread: shut its socket down, which wakes a
    read blocked on it (closing alone would not)."""
    shutdown = getattr(response, "shutdown", None)  # urllib3 >= 2.3 does it itself
    if shutdown is not None:
        shutdown()
        return
    connection = getattr(response, "_connection", None) or getattr(response, "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):  # closed already
            sock.shutdown(socket.SHUT_RDWR)


def _events(response: Any) -> Iterator[dict[str, Any]]:
    buffer = b""
    for chunk in response.stream(amt=None, decode_content=False):
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            if line.strip():
                yield json.loads(line)
    if buffer.strip():
        yield json.loads(buffer)
