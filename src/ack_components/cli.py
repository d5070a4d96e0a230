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


def _kind_arguments(kind_name: str, argv: Sequence[str], with_outputs: bool) -> argparse.Namespace:
    """Parse ``--<input> VALUE`` (and ``--<output>_output_path PATH``) for one kind."""
    from ack_components import interface, kinds, schema

    kind = kinds.get(kind_name)
    crd_schema = schema.bundled(kind.name)
    parser = argparse.ArgumentParser(prog=f"ack-components run {kind.name}")
    for spec in interface.inputs(kind, crd_schema):
        parser.add_argument(f"--{spec.name}", dest=f"in_{spec.name}", metavar=spec.type)
    if with_outputs:
        for output in (*interface.outputs(kind, crd_schema), interface.UI_METADATA):
            flag = interface.output_flag(output)
            parser.add_argument(flag, dest=f"out:{output.name}", metavar="PATH")
        parser.add_argument("--outputs-dir", help="write each output to DIR/<output name>")
    parser.add_argument(
        "--kubeconfig", help="kubeconfig file (default: in-cluster, then KUBECONFIG)"
    )
    return parser.parse_args(argv)


def _inputs(args: argparse.Namespace) -> dict[str, str]:
    return {k[3:]: v for k, v in vars(args).items() if k.startswith("in_") and v is not None}


def _run(args: argparse.Namespace) -> int:
    from ack_components import interface, kinds, outputs, run, schema

    parsed = _kind_arguments(args.kind, args.rest, with_outputs=True)
    kind = kinds.get(args.kind)
    paths: dict[str, Path] = {}
    if parsed.outputs_dir:
        declared = interface.outputs(kind, schema.bundled(kind.name))
        paths = outputs.directory_paths(declared, Path(parsed.outputs_dir))
    for key, value in vars(parsed).items():
        if key.startswith("out:") and value:
            paths[key[4:]] = Path(value)
    return run.run(kind.name, _inputs(parsed), paths, kubeconfig=parsed.kubeconfig)


def _render(args: argparse.Namespace) -> int:
    import yaml

    from ack_components import kinds, run
    from ack_components.interface import InputError
    from ack_components.naming import InvalidName
    from ack_components.schema import SpecInvalid

    parsed = _kind_arguments(args.kind, args.rest, with_outputs=False)
    raw = _inputs(parsed)
    try:
        prepared = run.prepare(kinds.get(args.kind), raw, raw.get("namespace") or "default")
    except (InputError, InvalidName, SpecInvalid) as error:
        print(f"error: {error}", file=sys.stderr)
        return run.EXIT_BAD_INPUT
    print(yaml.safe_dump(prepared.resource, sort_keys=False), end="")
    return 0


def _codegen(args: argparse.Namespace) -> int:
    from ack_components import codegen

    return codegen.main(args.rest)


def _rbac(args: argparse.Namespace) -> int:
    from ack_components import rbac

    return rbac.main(args.rest)


def _doctor(args: argparse.Namespace) -> int:
    from ack_components import doctor

    return doctor.main(args.rest)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ack-components", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    sandbox = commands.add_parser("sandbox", help="the local control plane with the SageMaker CRDs")
    sandbox.add_argument("action", choices=["up", "down", "status"])
    sandbox.add_argument(
        "--dir", default=".sandbox", help="state, logs and kubeconfig (default .sandbox)"
    )
    sandbox.add_argument(
        "--port", type=int, default=None, help="API server port (default: a free one)"
    )
    sandbox.set_defaults(handler=_sandbox)
    for name, handler, text in (
        ("run", _run, "run a component: render, validate, apply and watch a resource"),
        ("render", _render, "print the custom resource as YAML; contacts no cluster"),
    ):
        sub = commands.add_parser(name, help=text, add_help=False)
        sub.add_argument("kind", help="the kind, e.g. TrainingJob")
        sub.set_defaults(handler=handler, takes_rest=True)
    for name, handler, text in (
        ("codegen", _codegen, "regenerate component files (--check: fail when stale)"),
        ("rbac", _rbac, "print or apply least-privilege RBAC for pipeline service accounts"),
        ("doctor", _doctor, "check that the cluster is ready for the components"),
    ):
        sub = commands.add_parser(name, help=text, add_help=False)
        sub.set_defaults(handler=handler, takes_rest=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if rest and not getattr(args, "takes_rest", False):
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.rest = rest
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
