"""The `ack-components` command: what component.yaml calls, and the user's tools.

Each subcommand parses its own arguments and hands plain values to the module
that does the work; this file holds no logic of its own.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def _sandbox(args: argparse.Namespace) -> int:
    from ack_components.sandbox import stack

    return stack.main(args.action, Path(args.dir), args.port)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ack-components", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    sandbox = commands.add_parser("sandbox", help="the local control plane with the SageMaker CRDs")
    sandbox.add_argument("action", choices=["up", "down", "status"])
    sandbox.add_argument("--dir", default=".sandbox", help="state, logs and kubeconfig (default .sandbox)")
    sandbox.add_argument("--port", type=int, default=None, help="API server port (default: a free one)")
    sandbox.set_defaults(handler=_sandbox)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
