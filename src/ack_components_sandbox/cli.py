"""The `ack-components-sandbox` command: the developer's tools, apart from the engine.

The engine's command (`ack-components`) is what a pipeline step runs; it never
imports this package, so the component image carries neither the sandbox nor its
dependencies. This command starts and stops the local sandbox, runs a pipeline file on
it, and regenerates the component files from the kind table and the controller's CRDs.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from ack_components.cli import add_rest_commands, dispatch

#: What the sandbox needs beyond the engine's own dependencies: the ``[sandbox]`` extra
#: (the SageMaker emulator runs from its own virtualenv and needs nothing here).
SANDBOX_MODULES = ("cryptography", "kfp")


def _missing_module() -> str | None:
    for module in SANDBOX_MODULES:
        try:
            importlib.import_module(module)
        except ImportError:
            return module
    return None


def _sandbox(args: argparse.Namespace) -> int:
    if args.action == "up" and (module := _missing_module()):  # said first, in one line
        print(
            f"error: sandbox up needs the Python package {module!r}, which is not "
            "installed: pip install 'ack-components[sandbox]'",
            file=sys.stderr,
        )
        return 1
    from ack_components_sandbox import stack

    return stack.main(
        args.action,
        Path(args.dir),
        args.port,
        with_node=not args.no_node,
        with_training=not args.no_training,
    )


def _codegen(args: argparse.Namespace) -> int:
    from ack_components_sandbox import codegen

    return codegen.main(args.rest)


def _run(args: argparse.Namespace) -> int:
    from ack_components_sandbox import submit

    return submit.main(args.rest)


def _images(args: argparse.Namespace) -> int:
    """Build (or find) the component image, the hybrid sample's training image and the
    training operator's init image: what the node imports."""
    from ack_components_sandbox.cluster import component_image
    from ack_components_sandbox.kubeflow import training_operator

    why = component_image.unavailable()
    if why is not None:
        print(f"note: no component image: {why}", file=sys.stderr)
        return 0
    for what, build in (
        ("component image", component_image.ensure),
        ("training image", training_operator.training_image),
        ("init image", training_operator.init_image),
    ):
        try:
            built = build()
        except component_image.ImageError as error:
            print(f"error: {what}: {error}", file=sys.stderr)
            return 1
        how = "cached" if built.cached else "built"
        print(f"{what} {built.name}: {how} in {built.seconds} s ({built.archive})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ack-components-sandbox",
        description="The local sandbox (control plane, node, SageMaker emulator, ACK "
        "controller) and the generator of the component files.",
        allow_abbrev=False,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for action, text in (
        ("up", "start the sandbox (idempotent)"),
        ("down", "stop the sandbox and undo what it changed on the machine"),
        ("status", "show what runs"),
    ):
        sub = commands.add_parser(action, help=text, allow_abbrev=False)
        sub.add_argument(
            "--dir", default=".sandbox", help="state, logs and kubeconfig (default .sandbox)"
        )
        sub.add_argument(
            "--port", type=int, default=None, help="API server port (default: a free one)"
        )
        sub.add_argument(
            "--no-node",
            action="store_true",
            help="up: no Kubernetes node (by default one runs where the machine allows: "
            "Linux, root)",
        )
        sub.add_argument(
            "--no-training",
            action="store_true",
            help="up: no training operator or training image on the node (hybrid training)",
        )
        sub.set_defaults(handler=_sandbox, action=action)
    add_rest_commands(
        commands,
        ("run", _run, "compile a KFP pipeline file and run it on the sandbox's Argo"),
        ("codegen", _codegen, "regenerate component files (--check: fail when stale)"),
        ("images", _images, "build the images the node runs (cached by their inputs)"),
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    return dispatch(build_parser(), list(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())
