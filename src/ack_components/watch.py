"""Follow one custom resource by watching, never polling.

``follow`` yields a snapshot each time the resource changes (None once it is
gone) and ``TICK`` when a watch window closes with nothing new, so the caller
can re-check its deadlines. It resumes from the last ``resourceVersion`` seen,
re-reads the object on 410 Gone, and reconnects with backoff when the
connection drops (an API server restart, say). A window lasts until the
caller's next deadline, at most ten minutes, so a ten-minute job costs a
handful of requests.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
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
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[Any]:
    """Snapshots of ``name`` after ``start`` (if given, it is not read again); ``window()`` is
    how long the caller may wait before a TICK."""
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
