"""The `ack-components` command: what component.yaml calls, and the user's tools.

Each subcommand parses its own arguments and hands plain values to the module
that does the work. ``run`` and ``render`` take a kind and then that kind's
inputs, so they are parsed in two steps: first the kind, then a parser built
for it. A wrong kind or flag is refused in one line with the close matches
and exit 2: argparse's own error would print the whole usage (a kind has dozens
of inputs) and bury the line that matters, and an unknown kind used to end in
a traceback.
"""

from __future__ import annotations

import argparse
import difflib
import sys
import textwrap
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from ack_components import kfp_v2

if TYPE_CHECKING:
    from ack_components.interface import Input
    from ack_components.kinds import Kind

DESCRIPTION = (
    "Run SageMaker work from Kubeflow Pipelines, or from a shell, through the ACK SageMaker "
    "controller: `run` turns a kind's inputs into its custom resource, applies it and follows "
    "its status until done. Also: print a resource without a cluster (`render`), the RBAC the "
    "components need (`rbac`), check a cluster (`doctor`), write the component files for "
    "your own image (`components`) and make a private work team (`workteam`)."
)
#: The commands that take a kind and its inputs: (help, usage tail).
KIND_COMMANDS = {
    "run": (
        "run a component: render, validate, apply and watch a resource",
        "[--INPUT VALUE ...] [--outputs-dir DIR] [--kubeconfig FILE]",
    ),
    "render": (
        "print the custom resource as YAML; contacts no cluster",
        "[--INPUT VALUE ...]",
    ),
}
EXIT_USAGE = 2


class UsageError(Exception):
    """A wrong command line: printed as one line, exit 2."""


class _Parser(argparse.ArgumentParser):
    """Raises UsageError instead of printing the whole usage and exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def did_you_mean(given: str, choices: Iterable[str], prefix: str = "") -> str:
    """``; did you mean X?`` for the choice equal but for case, else the close ones; or "".

    ``prefix`` (``--`` for flags) is left out of the comparison, where it would make every
    flag look alike, and put back in the answer."""
    by_lower = {choice.lower(): choice for choice in choices}
    same = by_lower.get(given.lower())
    close = [same] if same else difflib.get_close_matches(given.lower(), by_lower, n=3)
    names = [prefix + by_lower[match.lower()] for match in close]
    return f"; did you mean {' or '.join(names)}?" if names else ""


def _kind(command: str, name: str) -> Kind:
    from ack_components import kinds

    if name in kinds.ALL_KINDS:
        return kinds.ALL_KINDS[name]
    suggestion = did_you_mean(name, kinds.ALL_KINDS)
    raise UsageError(
        f"unknown kind {name!r}"
        + (suggestion or f"; `ack-components {command} --help` lists the kinds")
    )


def _command_help(command: str) -> str:
    from ack_components import kinds

    text, usage = KIND_COMMANDS[command]
    listed = textwrap.fill(
        ", ".join(sorted(kinds.ALL_KINDS)), 78, initial_indent="  ", subsequent_indent="  "
    )
    return (
        f"usage: ack-components {command} KIND {usage}\n\n{text[0].upper()}{text[1:]}.\n\n"
        f"kinds:\n{listed}\n\n`ack-components {command} KIND --help` lists a kind's inputs.\n"
    )


def _kind_arguments(
    kind_name: str, argv: Sequence[str], with_outputs: bool, command: str = "run"
) -> argparse.Namespace:
    """Parse ``--<input> VALUE`` (and ``--<output>_output_path PATH``) for one kind."""
    from ack_components import interface, kinds, schema

    kind = kinds.get(kind_name)
    crd_schema = schema.bundled(kind.name)
    parser = _Parser(
        prog=f"ack-components {command} {kind.name}",
        description=f"{KIND_COMMANDS[command][0]} ({kind.component_name})",
        # `--status 5` must not quietly mean --status_timeout_seconds: a pipeline's inputs
        # are spelled out, and a shortened one is a typo.
        allow_abbrev=False,
    )
    for spec in interface.inputs(kind, crd_schema):
        parser.add_argument(
            f"--{spec.name}", dest=f"in_{spec.name}", metavar=spec.type, help=_input_help(spec)
        )
    if with_outputs:
        for output in (*interface.outputs(kind, crd_schema), *interface.kfp_outputs(kind)):
            flag = interface.output_flag(output)
            help_text = f"write output {output.name} here: {output.description}"
            parser.add_argument(
                flag, dest=f"out:{output.name}", metavar="PATH", help=_escaped(help_text)
            )
        parser.add_argument("--outputs-dir", help="write each output to DIR/<output name>")
    parser.add_argument(
        "--kubeconfig", help="kubeconfig file (default: in-cluster, then KUBECONFIG)"
    )
    parsed, unknown = parser.parse_known_args(argv)
    if unknown:
        flags = [flag[2:] for action in parser._actions for flag in action.option_strings]
        first = next((arg.split("=", 1)[0] for arg in unknown if arg.startswith("-")), "")
        raise UsageError(
            f"unrecognized arguments: {' '.join(unknown)}"
            + (did_you_mean(first.lstrip("-"), flags, prefix="--") if first else "")
        )
    return parsed


def _input_help(spec: Input) -> str:
    """The input's description (from the CRD), whether it is required, and its default
    (run_id has none here: its default is a placeholder only a pipeline engine fills)."""
    from ack_components import interface

    text = spec.description
    if spec.required:
        text += " (required)"
    elif spec.default and spec.default not in ("{}", "[]") and spec is not interface.RUN_ID:
        text += f" (default: {spec.default})"
    return _escaped(text)


def _escaped(text: str) -> str:
    """argparse formats help with %: a description's own % must stay as it is."""
    return text.replace("%", "%%")


def _inputs(args: argparse.Namespace) -> dict[str, str]:
    return {k[3:]: v for k, v in vars(args).items() if k.startswith("in_") and v is not None}


def _run(kind: Kind, argv: Sequence[str]) -> int:
    from ack_components import interface, outputs, run, schema

    parsed = _kind_arguments(kind.name, argv, with_outputs=True)
    paths: dict[str, Path] = {}
    if parsed.outputs_dir:
        declared = interface.outputs(kind, schema.bundled(kind.name))
        paths = outputs.directory_paths(declared, Path(parsed.outputs_dir))
    for key, value in vars(parsed).items():
        if key.startswith("out:") and value:
            paths[key[4:]] = Path(value)
    return run.run(kind.name, _inputs(parsed), paths, kubeconfig=parsed.kubeconfig)


def _render(kind: Kind, argv: Sequence[str]) -> int:
    import yaml

    from ack_components import run
    from ack_components.interface import InputError
    from ack_components.naming import InvalidName
    from ack_components.schema import SpecInvalid

    raw = _inputs(_kind_arguments(kind.name, argv, with_outputs=False, command="render"))
    try:
        prepared = run.prepare(kind, raw, raw.get("namespace") or "default")
    except (InputError, InvalidName, SpecInvalid) as error:
        print(f"error: {error}", file=sys.stderr)
        return run.EXIT_BAD_INPUT
    print(yaml.safe_dump(prepared.resource, sort_keys=False), end="")
    return 0


def _kind_command(command: str, argv: Sequence[str]) -> int:
    """``run`` or ``render``: the kind, then its inputs; a usage error is one line, exit 2."""
    handler = {"run": _run, "render": _render}[command]
    where = f"ack-components {command}"
    try:
        if not argv or argv[0].startswith("-"):
            if {"-h", "--help"} & set(argv):
                print(_command_help(command), end="")
                return 0
            raise UsageError(f"a kind is required; `{where} --help` lists the kinds")
        kind = _kind(command, argv[0])
    except UsageError as error:
        print(f"{where}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    where += f" {kind.name}"
    try:
        return handler(kind, kfp_v2.resolved_arguments(list(argv[1:])))
    except UsageError as error:
        print(f"{where}: error: {error} (`{where} --help` lists its inputs)", file=sys.stderr)
        return EXIT_USAGE


def _rbac(args: argparse.Namespace) -> int:
    from ack_components import rbac

    return rbac.main(args.rest)


def _doctor(args: argparse.Namespace) -> int:
    from ack_components import doctor

    return doctor.main(args.rest)


def _components(args: argparse.Namespace) -> int:
    from ack_components import component_files

    return component_files.main(args.rest)


def _workteam(args: argparse.Namespace) -> int:
    from ack_components import workteam

    return workteam.main(args.rest)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ack-components", description=DESCRIPTION)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, (text, _) in KIND_COMMANDS.items():  # parsed by _kind_command; listed here
        commands.add_parser(name, help=text, add_help=False)
    add_rest_commands(
        commands,
        ("rbac", _rbac, "print or apply least-privilege RBAC for pipeline service accounts"),
        ("doctor", _doctor, "check that the cluster is ready for the components"),
        ("components", _components, "write the component files for your own image"),
        ("workteam", _workteam, "create a SageMaker private work team (no ACK kind serves it)"),
    )
    return parser


Handler = Callable[[argparse.Namespace], int]


def add_rest_commands(commands: Any, *table: tuple[str, Handler, str]) -> None:
    """Subcommands (name, handler, help) that parse their own arguments (``args.rest``):
    ``dispatch`` hands them what follows their name."""
    for name, handler, text in table:
        sub = commands.add_parser(name, help=text, add_help=False)
        sub.set_defaults(handler=handler, takes_rest=True)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in KIND_COMMANDS:
        return _kind_command(argv[0], argv[1:])
    return dispatch(build_parser(), argv)


def dispatch(parser: argparse.ArgumentParser, argv: Sequence[str]) -> int:
    """Run the subcommand ``argv`` names: its handler gets the parsed arguments, and those
    it parses itself as ``args.rest`` (a subcommand set with ``takes_rest``); any other
    unknown argument is a usage error. The sandbox's command dispatches the same way."""
    args, rest = parser.parse_known_args(argv)
    if rest and not getattr(args, "takes_rest", False):
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.rest = rest
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
