"""Inputs → custom resource, through the kind's Jinja template in ``crd_templates/``.

The templates never paste raw text: every value goes through ``tojson``, and
JSON is valid YAML, so no input (quotes, newlines, ``{{ }}``, YAML syntax) can
add or change structure. ``tojson`` here also escapes the few characters that
YAML reads differently from JSON (line separators, non-printable characters),
so that parsing the rendered text gives back exactly the values put in.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import yaml

from ack_components.kinds import Kind

TEMPLATES_DIR = Path(__file__).resolve().parent / "crd_templates"

# Characters a YAML double-quoted scalar cannot hold as themselves: C0/C1 controls,
# line and paragraph separators, surrogates and the two non-characters.
_NOT_YAML_SAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")


def tojson(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=False)
    return _NOT_YAML_SAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class _Loader(yaml.SafeLoader):
    """Reads what ``tojson`` wrote with JSON's rules where YAML 1.1 differs from them."""

    def stale_possible_simple_keys(self) -> None:
        # PyYAML forgets a possible key after 1024 characters; a JSON key may be longer.
        # tojson's text has no line breaks, so inside a flow collection nothing goes stale.
        if not self.flow_level:
            super().stale_possible_simple_keys()


# YAML 1.1 floats need a dot; JSON's do not (1e-05, 1e+20), and json.dumps writes Infinity/NaN.
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^-?[0-9]+(\.[0-9]+)?[eE][-+]?[0-9]+$|^-?Infinity$|^NaN$"),
    list("-0123456789IN"),
)


@cache
def _environment(directory: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(directory)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
    )
    env.filters["tojson"] = tojson
    return env


def render_text(kind: Kind, context: dict[str, Any], directory: Path = TEMPLATES_DIR) -> str:
    return _environment(directory).get_template(f"{kind.name}.yaml.j2").render(**context)


def render(
    kind: Kind,
    spec: dict[str, Any],
    name: str,
    namespace: str,
    labels: dict[str, str],
    annotations: dict[str, str],
    directory: Path = TEMPLATES_DIR,
) -> dict[str, Any]:
    """The custom resource as a dict; ``spec`` maps ACK field names to parsed input values."""
    text = render_text(
        kind,
        {
            "api_version": kind.api_version,
            "kind": kind.name,
            "name": name,
            "namespace": namespace,
            "labels": labels,
            "annotations": annotations,
            "spec": spec,
        },
        directory,
    )
    resource: dict[str, Any] = yaml.load(text, Loader=_Loader)  # a SafeLoader
    return resource
