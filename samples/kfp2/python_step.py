"""The one helper the SDK 2 samples share: a container component's spec that runs a Python
script on ``python:3.11-slim``, so a small step needs neither kfp nor a built image.

A KFP SDK 2 lightweight component (``@dsl.component``) installs the kfp package into its
image when the step starts; a container component runs the image as it is. The script
gets the step's inputs and output paths as ``sys.argv[1:]``; ``write(path, text)``
creates the output file's directory first, as the launcher expects.
"""

from kfp import dsl

PYTHON_IMAGE = "python:3.11-slim"
PRELUDE = (
    "import json, pathlib, sys\n"
    "def write(path, text):\n"
    "    p = pathlib.Path(path)\n"
    "    p.parent.mkdir(parents=True, exist_ok=True)\n"
    "    p.write_text(text)\n"
)


def python_step(script: str, *args) -> dsl.ContainerSpec:
    """``python3 -c PRELUDE + script ARGS...`` on the Python image."""
    return dsl.ContainerSpec(
        image=PYTHON_IMAGE, command=["python3", "-c", PRELUDE + script], args=list(args)
    )
