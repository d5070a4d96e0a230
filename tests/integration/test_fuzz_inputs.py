"""Hostile input through the real CLI against the sandbox API server (issue 13, item 3).

Hypothesis generates 1000 inputs across every kind: the kind's sample inputs (valid)
with one to three of them replaced by text built to break something: quotes, line
breaks, unicode, Jinja (``{{ }}``, ``{% %}``), YAML anchors, aliases and tags, keys that
look like metadata, very long values and JSON numbers that do not survive a trip
through a float or an int64 (2**53+1, 1e400, -0.0, 2**64+1). Each one must be

- refused: exit 2, a message naming an input it changed, no traceback, and ``run``
  refuses it too, creating nothing; or
- accepted: the printed resource holds exactly the values given, in the fields they
  were given for, and no other key (no template injection); the API server's CRD
  takes it (a server-side dry run with strict field validation) and stores exactly it.

The bulk runs ``ack_components.cli.main`` in-process (what the ``ack-components``
console script calls), with a real kubeconfig; every 25th case is replayed through
the installed command in its own process, which must answer byte for byte the same.
Accepted inputs are checked by dry run rather than created: created, each would be
a SageMaker job for the controller to start. The namespace must be empty at the end.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import re
import subprocess
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
import yaml
from harness import CLI, Harness
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ack_components import cli, interface, kinds, schema
from ack_components.interface import Input
from ack_components.kinds import GROUP, VERSION
from ack_components_sandbox.testing import samples

EXAMPLES = 1000
#: Every this many cases, the same command line again through the installed command.
SUBPROCESS_EVERY = 25
REGION_KEY = "services.k8s.aws/region"
RUN_ID_KEY = "ack-components/run-id"
MANAGED_BY = {"app.kubernetes.io/managed-by": "ack-components"}

KIND_NAMES = sorted(kinds.KINDS)
INPUTS = {
    name: {spec.name: spec for spec in interface.inputs(kind, schema.bundled(name))}
    for name, kind in kinds.KINDS.items()
}

# Text that could change YAML, JSON or Jinja structure if pasted raw, or a shell's words.
FRAGMENTS = [
    '"', "'", "\\", "\\n", "\n", "\r\n", "\t", "\x00", "\x1b", "\x85", "\u2028", "\u2029",
    "\ufeff", "\u202e", "naïve", "\U0001f600", "\U0010fffd", "ǅ", "\udcff", "{{ spec }}",
    "{{ namespace }}", "{{", "}}", "{% raw %}", "{% if true %}x{% endif %}", "{#", "#}",
    "&a", "*a", "&a [1, 2]", "<<: *a", "!!python/object:os.system",
    '!!python/object/apply:os.system ["id"]', "!<tag:yaml.org,2002:str>", "!!binary", "---",
    "...", "a: b", "- x", "? k", "| ", "> ", "%YAML 1.1", "null", "~", "true", "no", "0x10",
    "1e5", ", ", "}", "]", "\n  namespace: other", "\nmetadata:\n  namespace: other",
    f"{REGION_KEY}: eu-west-1", '"}, "metadata": {"namespace": "other"}, "x": {"',
    "$(id)", "`id`", "; rm -rf /", "--namespace", "-x", "%s", "%(x)s", "\\u0000", "\\ud800",
]  # fmt: skip
#: Keys a JSON input might use to reach outside its field.
METADATA_KEYS = [
    "metadata", "namespace", "annotations", "labels", "apiVersion", "kind", "spec", "status",
    REGION_KEY, "region", "name", "{{ namespace }}", "&a", "<<", "!!python/object:os.system",
]  # fmt: skip
#: Numbers as JSON text: those a float or an int64 cannot hold, and their neighbours.
NUMBERS = [
    "9007199254740993", "-9007199254740993", "9007199254740992", "1e400", "-1e400", "1e-400",
    "-0.0", "-0", "0", "5.0", "0.1", "4.9e-324", "1.7976931348623157e308", "9223372036854775807",
    "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
    "18446744073709551617", "1" * 5000, "NaN", "Infinity", "-Infinity", "0x10", "1_000",
    "\u0663", "+1", " 7 ", "1.0e2", "01", "9" * 400, "-" + "9" * 400,
]  # fmt: skip
#: What no UTF-8 text holds: a command line's byte that is not UTF-8 (0xff arrives as
#: U+DCFF), a lone surrogate, and the JSON escape of one.
NOT_TEXT = ["\udcff", "\udc80", "\ud800", "\\ud800", "\\udfff", "\\ud83d"]
YAML_DOCUMENTS = [
    "a: b", "- a\n- b", "&a {k: v}", "!!python/object/apply:os.system [id]", "{k: v}",
    "{'k': 'v'}", '{"k": "v",}', "[1, 2,]", "a: &x 1\nb: *x", "--- !!map {}", "{{ spec }}",
    "{% for x in y %}{% endfor %}", "[" * 5000 + "]" * 5000, '{"a":' * 120 + "1" + "}" * 120,
]  # fmt: skip
REGIONS = [
    "us-east-1", "eu-west-1", "us-gov-west-1", "cn-northwest-1", "us-east-1\nfoo: bar",
    "us-east-1\n  namespace: other", "eu-west-1 ", " eu-west-1", "US-EAST-1", "evil.example/#",
    "{{ region }}", 'us-east-1", "x": "y', '"us-west-2"', "us-east-1'", "us-east-1\u2028",
]  # fmt: skip

texts = st.one_of(
    st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=4), max_size=6).map("".join),
    st.text(max_size=12),
    st.tuples(st.text(max_size=3), st.sampled_from(NOT_TEXT)).map("".join),
    # Very long values (under the 128 KiB a single command-line argument may have).
    st.builds(lambda c, n: c * n, st.sampled_from(["a", "é", '"', "{{", "\U0001f600"]),
              st.sampled_from([300, 5000, 30000])),
)  # fmt: skip
numbers = st.sampled_from(NUMBERS) | st.integers().map(str) | st.floats(allow_nan=False).map(repr)


@dataclass(frozen=True)
class Raw:
    """JSON text put in as it is: a number JSON allows but a float or an int64 may not hold."""

    text: str


def dump(value: Any) -> str:
    """JSON text of ``value``, with each Raw as its text."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {dump(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(dump(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def places(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path in a JSON value, containers and leaves."""
    yield path
    if isinstance(value, dict | list):
        for key, item in value.items() if isinstance(value, dict) else enumerate(value):
            yield from places(item, (*path, key))


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copied = copy.deepcopy(value)
    target = copied
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return copied


leaves = st.one_of(texts, numbers.map(Raw), st.booleans(), st.none())
json_values = st.recursive(
    leaves, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=6,
)  # fmt: skip


#: The text of an input other than JSON: other text, numbers, YAML, a JSON string or value.
other_text = st.one_of(
    texts,
    numbers,
    st.sampled_from([*YAML_DOCUMENTS, "null", "{}", "[]", "", "  "]),
    texts.map(json.dumps),
    json_values.map(dump),
)


def json_text(base: Any) -> st.SearchStrategy[str]:
    """The sample's JSON value (an object or array) with one place changed, a key or an
    item added; or other text."""

    def added(path: tuple[Any, ...], key: str, value: Any) -> str:
        target = copy.deepcopy(_get(base, path))
        if isinstance(target, dict):
            target[key] = value
        else:
            target.append(value)
        return dump(replaced(base, path, target))

    paths = list(places(base))
    containers = [path for path in paths if isinstance(_get(base, path), dict | list)]
    keys = st.sampled_from(METADATA_KEYS) | texts
    return st.one_of(
        st.builds(lambda path, value: dump(replaced(base, path, value)),
                  st.sampled_from(paths), json_values),
        st.builds(added, st.sampled_from(containers), keys, json_values),
        other_text,
    )  # fmt: skip


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


BOOL_WORDS = ["true", "false", "True", "FALSE", " true ", "yes", "1", "on", "null", ""]


@cache
def input_text(kind: str, name: str, namespace: str) -> st.SearchStrategy[str]:
    """Text for one input of ``kind``, built to break something (built once per input)."""
    spec = INPUTS[kind][name]
    base = samples.as_inputs(samples.spec_for(kind)).get(name)
    if spec is interface.REGION:
        return st.sampled_from(REGIONS) | texts
    if spec.name == "namespace":
        others = [namespace, "kube-system", "other-fuzz-ns", "Default", "a" * 64, "ns/../x", ""]
        return st.sampled_from(others) | texts
    if spec.type == interface.STRING:
        given = base or "x"
        return st.one_of(
            st.sampled_from([given + fragment for fragment in FRAGMENTS]),
            st.sampled_from([json.dumps(given + fragment) for fragment in FRAGMENTS]),
            texts,
            texts.map(json.dumps),  # a JSON-quoted string, as older outputs were written
        )
    if spec.type == interface.INTEGER:
        return numbers | texts
    if spec.type == interface.BOOL:
        return st.sampled_from(BOOL_WORDS) | texts
    empty: Any = {} if spec.type == interface.JSON_OBJECT else []
    return json_text(json.loads(base) if base else empty)


@dataclass(frozen=True)
class Case:
    kind: str
    inputs: dict[str, str]
    #: The inputs given other text than the sample's, and flags no kind has.
    changed: tuple[str, ...]
    extra: tuple[str, ...] = ()

    def argv(self, command: str, kubeconfig: str = "") -> list[str]:
        argv = [command, self.kind]
        for name, value in self.inputs.items():
            argv += [f"--{name}", value]
        argv += self.extra
        return argv + (["--kubeconfig", kubeconfig] if kubeconfig else [])


#: Flags that would set what no input may: refused as unknown, never taken as an input.
EXTRA_FLAGS = ["--metadata", "--annotations", "--labels", "--apiVersion", "--Namespace",
               "--region_", "--metadata.namespace", "--spec.namespace"]  # fmt: skip


#: The engine's own inputs (region, namespace, run id, time limits) go into the metadata or
#: the run rather than the spec: each kind's list has them twice, so they are tried as often.
ENGINE_INPUTS = [interface.REGION.name, *(option.name for option in interface.OPTIONS)]
INPUT_NAMES = {kind: st.sampled_from(sorted(INPUTS[kind]) + ENGINE_INPUTS) for kind in KIND_NAMES}
ONE_IN_20 = st.sampled_from([False] * 19 + [True])
EXTRA = st.tuples(st.sampled_from(EXTRA_FLAGS), texts.filter(lambda text: not text.startswith("-")))


@st.composite
def cases(draw: st.DrawFn, namespace: str) -> Case:
    kind = draw(st.sampled_from(KIND_NAMES))
    inputs = {**samples.as_inputs(samples.spec_for(kind)), "namespace": namespace}
    changed = draw(st.lists(INPUT_NAMES[kind], min_size=1, max_size=3, unique=True))
    for name in changed:
        inputs[name] = draw(input_text(kind, name, namespace))
    extra: tuple[str, ...] = ()
    if draw(ONE_IN_20):
        extra = draw(EXTRA)
    return Case(kind, inputs, tuple(changed), extra)


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


def in_process(argv: list[str]) -> Result:
    """``cli.main`` as the console script calls it, stdout and stderr captured."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(argv)
        except SystemExit as exit_:  # argparse's own exits; the console script's too
            code = int(exit_.code or 0)
        except BaseException:
            pytest.fail(f"a traceback for {argv[:2]}:\n{traceback.format_exc()}")
    return Result(code, out.getvalue(), err.getvalue())


def in_subprocess(argv: list[str]) -> Result:
    done = subprocess.run(
        [CLI, *argv], capture_output=True, env=os.environ.copy(), timeout=120, check=False
    )
    decode = lambda data: data.decode(errors="surrogateescape")  # noqa: E731
    return Result(done.returncode, decode(done.stdout), decode(done.stderr))


#: Linux's limit on one command-line argument (MAX_ARG_STRLEN), in bytes with the NUL.
ARGUMENT_BYTES = 128 * 1024


def arguable(argv: list[str]) -> bool:
    """Whether a process can be given this command line: no NUL, text the OS can encode,
    no argument over Linux's limit."""
    try:
        encoded = [os.fsencode(arg) for arg in argv]
    except UnicodeEncodeError:  # a surrogate that no byte stands for
        return False
    return all(b"\0" not in arg and len(arg) < ARGUMENT_BYTES for arg in encoded)


def expected_value(spec: Input, text: str) -> Any:
    """What the input's text means, as README says; None for "not set"."""
    if spec.type == interface.STRING:
        if text.startswith('"'):
            with contextlib.suppress(ValueError):
                decoded = json.loads(text)
                text = decoded if isinstance(decoded, str) else text
        return text or None
    if spec.type == interface.INTEGER:
        return int(text) if text.strip() else None
    if spec.type == interface.BOOL:
        return text.strip().lower() == "true" if text.strip() else None
    value = json.loads(text) if text.strip() else None
    return value if value not in (None, {}, []) else None


def same(given: Any, got: Any, numbers_by_value: bool = False) -> bool:
    """Equal, and of the same JSON types (a string is never a number, 1 never true)."""
    if numbers_by_value and type(given) in (int, float) and type(got) in (int, float):
        return bool(given == got)
    if type(given) is not type(got):
        return False
    if isinstance(given, dict):
        return given.keys() == got.keys() and all(
            same(given[k], got[k], numbers_by_value) for k in given
        )
    if isinstance(given, list):
        return len(given) == len(got) and all(
            same(a, b, numbers_by_value) for a, b in zip(given, got, strict=True)
        )
    return bool(given == got)


def check_accepted(case: Case, resource: dict[str, Any]) -> None:
    """Exactly the values given, where they were given, and nothing else."""
    kind = kinds.get(case.kind)
    specs = INPUTS[case.kind]
    values = {name: expected_value(specs[name], text) for name, text in case.inputs.items()}
    expected = {specs[n].field: v for n, v in values.items() if specs[n].field and v is not None}
    spec = dict(resource["spec"])
    for field in kind.json_text_fields & spec.keys():
        spec[field] = json.loads(spec[field])
    if kind.name_field and kind.name_field not in expected:
        assert spec.pop(kind.name_field).startswith(kind.name_prefix + "-")
    assert same(expected, spec), (case, spec)
    assert list(resource) == ["apiVersion", "kind", "metadata", "spec"]
    assert (resource["apiVersion"], resource["kind"]) == (kind.api_version, kind.name)
    metadata = resource["metadata"]
    assert list(metadata) == ["name", "namespace", "labels", "annotations"]
    assert metadata["namespace"] == (values.get("namespace") or "default")
    run_id = values.get("run_id")
    assert metadata["annotations"] == {REGION_KEY: values["region"]} | (
        {RUN_ID_KEY: run_id} if run_id else {}
    )
    assert metadata["labels"].keys() == (MANAGED_BY.keys() | ({RUN_ID_KEY} if run_id else set()))
    assert metadata["labels"].items() >= MANAGED_BY.items()


def names_an_input(case: Case, message: str) -> bool:
    flags = [flag for flag in case.extra if flag.startswith("--")]
    named = [f"input {n}" for n in case.changed] + [f"--{n}" for n in case.changed] + flags
    return any(name in message for name in named)


def dry_run(api: Any, namespace: str, resource: dict[str, Any]) -> dict[str, Any]:
    """Create with ``dryRun=All`` and strict field validation: validated by the served CRD,
    defaulted and pruned as it would be stored, and not stored."""
    body = {**resource, "metadata": {**resource["metadata"], "namespace": namespace}}
    plural = kinds.get(resource["kind"]).plural
    stored: dict[str, Any] = api.call_api(
        f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/{plural}",
        "POST",
        header_params={"Accept": "application/json", "Content-Type": "application/json"},
        body=body,
        query_params=[("dryRun", "All"), ("fieldValidation", "Strict")],
        response_type="object",
        auth_settings=["BearerToken"],
        _return_http_data_only=True,
    )
    return stored


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def test_hostile_inputs_are_refused_or_taken_exactly(
    real: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    kubeconfig = str(real.plane.kubeconfig)
    counts: Counter[str] = Counter()
    replays: list[tuple[Case, Result, str]] = []
    namespaces = {real.namespace}

    @FUZZ_SETTINGS
    @given(case=cases(real.namespace))
    def fuzz(case: Case) -> None:
        counts["inputs"] += 1
        counts[case.kind] += 1
        rendered = in_process(case.argv("render"))
        assert "Traceback" not in rendered.out + rendered.err
        assert rendered.code in (0, 2), rendered
        command = "render"
        if rendered.code == 2:
            counts["refused"] += 1
            assert rendered.out == ""
            assert names_an_input(case, rendered.err), (case, rendered.err)
            ran = in_process(case.argv("run", kubeconfig))
            assert ran.code == 2, (case, ran)
            assert "Traceback" not in ran.out + ran.err
            assert names_an_input(case, ran.out + ran.err), (case, ran)
            namespace = case.inputs.get("namespace", "")
            if re.fullmatch(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", namespace):
                namespaces.add(namespace)
            command = "run"
        else:
            counts["accepted"] += 1
            assert not case.extra, "a flag no kind has was taken"
            resource = yaml.safe_load(rendered.out)
            check_accepted(case, resource)
            stored = dry_run(real.api, real.namespace, resource)
            assert same(resource["spec"], stored["spec"], numbers_by_value=True), stored
            for key in ("name", "labels", "annotations"):
                assert stored["metadata"][key] == resource["metadata"][key]
        if counts["inputs"] % SUBPROCESS_EVERY == 0 and arguable(case.argv(command)):
            argv = case.argv(command, kubeconfig if command == "run" else "")
            answer = rendered if command == "render" else in_process(argv)
            replays.append((case, answer, command))

    started = time.monotonic()
    fuzz()
    fuzzed = time.monotonic()

    # The same command lines through the installed command, two at a time (two cores).
    with ThreadPoolExecutor(max_workers=2) as pool:
        argvs = [
            case.argv(command, kubeconfig if command == "run" else "")
            for case, _, command in replays
        ]
        answers = list(pool.map(in_subprocess, argvs))
    replayed = time.monotonic()
    for (case, expected, _), answer in zip(replays, answers, strict=True):
        # A process's stderr writes what is no text (an argument's bytes that are not UTF-8)
        # as backslash escapes, which the in-process capture keeps as it is.
        escaped = expected.err.encode(errors="backslashreplace").decode()
        assert answer == Result(expected.code, expected.out, escaped), (case, answer, expected)

    # Nothing was created: accepted inputs went by dry run, refused ones must not write.
    objects = real.objects
    for kind in kinds.KINDS.values():
        for namespace in sorted(namespaces):
            listed = objects.list_namespaced_custom_object(GROUP, VERSION, namespace, kind.plural)
            assert listed["items"] == [], (kind.name, namespace)

    report = ", ".join(f"{name} {counts[name]}" for name in KIND_NAMES)
    with capsys.disabled():  # shown in every run, not only when the test fails
        print(
            f"\nfuzz: {counts['inputs']} generated inputs, {counts['refused']} refused (exit 2, "
            f"nothing created), {counts['accepted']} accepted (exact, valid by server dry run); "
            f"{len(replays)} replayed through the installed command ({fuzzed - started:.0f} s "
            f"in-process, {replayed - fuzzed:.0f} s replayed)\nper kind: {report}"
        )
    assert counts["inputs"] >= EXAMPLES
    assert set(KIND_NAMES) <= counts.keys()
    assert counts["refused"] >= EXAMPLES // 10 and counts["accepted"] >= EXAMPLES // 10
    assert len(replays) >= 30
