"""Command line: ``python -m ack_components_sandbox.aws.emulator [--port 0] [--training-seconds 6]
[--endpoint-seconds 3] [--job-seconds 6]``.

Why a CLI of its own: tests and users start the emulator as a separate process (it runs from
a virtualenv that has moto), learn its port from the single line it prints to stdout and stop
it with SIGTERM. It binds 127.0.0.1 unless ``--host`` names another local address (the
sandbox's node bridge, so that pods such as the ACK controller's reach it); it never binds
every interface.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from types import FrameType


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ack_components_sandbox.aws.emulator")
    parser.add_argument(
        "--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: any free one)"
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="the local address to bind (default 127.0.0.1; 0.0.0.0 is refused)",
    )
    parser.add_argument(
        "--training-seconds",
        type=float,
        default=6.0,
        help="how long a TrainingJob runs from Create to Completed/Failed",
    )
    parser.add_argument(
        "--endpoint-seconds",
        type=float,
        default=3.0,
        help="how long an Endpoint is Creating (or Updating) before it is InService",
    )
    parser.add_argument(
        "--job-seconds",
        type=float,
        default=6.0,
        help="how long each phase of the other kinds lasts (a job InProgress, a pipeline "
        "execution Executing, a monitoring schedule Pending)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.INFO if args.verbose else logging.WARNING)

    from ack_components_sandbox.aws.emulator.server import make_server  # imports moto: slow

    if args.host in ("0.0.0.0", "", "::"):
        parser.error("--host: name one local address, not every interface")
    server = make_server(
        args.port, args.training_seconds, args.endpoint_seconds, args.job_seconds, args.host
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="emulator", daemon=True
    )
    thread.start()
    print(f"listening on http://{args.host}:{server.server_port}", flush=True)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # anything else printed goes to stderr
    stop.wait()
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
