"""A real browser for the UI checks: Debian's headless Chromium, driven by Playwright.

Playwright cannot download its own browsers here, and nothing is installed on the
machine: ``make browser`` (``tools/fetch-debs.sh chromium chromium-headless-shell``)
unpacks Debian's ``chromium-headless-shell`` and the libraries this machine lacks into
the cache, and Playwright launches that binary with those libraries on
``LD_LIBRARY_PATH``. The flags keep Chromium off the network beyond the page it is
given (background services, updates, sync), as a machine with no outside network needs.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ack_components_sandbox.base import binaries

FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def root() -> Path:
    return binaries.cache_root() / "debs" / "chromium" / "root"


def executable() -> Path:
    return root() / "usr" / "lib" / "chromium" / "chromium-headless-shell"


def unavailable() -> str | None:
    if not (root() / ".complete").is_file() or not executable().is_file():
        return f"headless Chromium is not in the cache ({root()}): run `make browser`"
    if importlib.util.find_spec("playwright") is None:
        return "Playwright is not installed: pip install -e '.[dev]'"
    return None


def library_path() -> str:
    """Every directory of the unpacked packages that holds shared libraries."""
    libraries = root() / "usr" / "lib" / "x86_64-linux-gnu"
    folders = sorted({path.parent for path in libraries.rglob("*.so*")})
    return os.pathsep.join(str(folder) for folder in folders)


@contextmanager
def page(width: int = 1600, height: int = 1000) -> Iterator[Any]:
    """A fresh browser and page; closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(executable()),
            args=list(FLAGS),
            env={**os.environ, "LD_LIBRARY_PATH": library_path()},
        )
        try:
            yield browser.new_page(viewport={"width": width, "height": height})
        finally:
            browser.close()
