"""The watch on its own thread: the step's main thread waits on a queue, so looking for a
stop signal every second costs no request, and leaving ends the open watch at once.

The watch is a real HTTP stream from a local socket server (chunked JSON events, then a
connection held open, as the API server holds one until its timeout), read by urllib3 as
the kubernetes client reads it."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3
from kubernetes.client.exceptions import ApiException

from ack_components.watch import TICK, Background


def _resource(version: str, phase: str) -> dict[str, Any]:
    return {"metadata": {"name": "job", "resourceVersion": version}, "status": {"phase": phase}}


class HeldWatch:
    """Answers each watch with ``events`` as chunks, then holds the connection open until
    told to stop (or 60 s), as the API server does until the watch's timeout."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events
        self.release = threading.Event()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n"
            )
            for event in self.events:
                line = json.dumps(event).encode() + b"\n"
                conn.sendall(f"{len(line):x}\r\n".encode() + line + b"\r\n")
            self.release.wait(60)
            with contextlib.suppress(OSError):
                conn.sendall(b"0\r\n\r\n")

    def close(self) -> None:
        self.release.set()
        self.server.close()


class Resources:
    """The two calls ``follow`` makes, counted; ``watch`` streams from ``server``."""

    def __init__(self, server: HeldWatch, refuse: int | None = None) -> None:
        self.server, self.refuse = server, refuse
        self.http = urllib3.PoolManager()
        self.requests: list[str] = []

    def get(self, name: str) -> dict[str, Any]:
        self.requests.append("get")
        return _resource("1", "InProgress")

    def watch(self, name: str, resource_version: str, timeout_seconds: int) -> Any:
        self.requests.append("watch")
        if self.refuse:
            raise ApiException(status=self.refuse, reason="Forbidden")
        return self.http.request(
            "GET", f"http://127.0.0.1:{self.server.port}/watch", preload_content=False
        )


@pytest.fixture
def held() -> Iterator[HeldWatch]:
    server = HeldWatch([{"type": "MODIFIED", "object": _resource("2", "Completed")}])
    yield server
    server.close()


def test_snapshots_arrive_and_waiting_for_more_costs_no_request(held: HeldWatch) -> None:
    resources = Resources(held)
    with Background(resources, "job", start=_resource("1", "InProgress")) as watching:
        assert watching.next(5.0)["status"]["phase"] == "Completed"
        ticks = [watching.next(0.05) for _ in range(20)]  # the main thread's looks
        assert ticks == [TICK] * 20
        assert resources.requests == ["watch"]  # one watch, still open


def test_leaving_ends_a_watch_blocked_on_its_read(held: HeldWatch) -> None:
    watching = Background(Resources(held), "job", start=_resource("1", "InProgress"))
    with watching:
        assert watching.next(5.0) is not TICK
        assert watching.alive()  # blocked on the held connection
        started = time.monotonic()
    assert not watching.alive()
    assert time.monotonic() - started < 5  # not the server's 60 s
    assert not held.release.is_set()


def test_a_refusal_on_the_watch_thread_is_raised_in_the_main_thread(held: HeldWatch) -> None:
    with (
        Background(
            Resources(held, refuse=403), "job", start=_resource("1", "InProgress")
        ) as watching,
        pytest.raises(ApiException) as raised,
    ):
        watching.next(5.0)
    assert raised.value.status == 403
