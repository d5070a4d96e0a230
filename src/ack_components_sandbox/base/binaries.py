"""Where the sandbox's Go binaries are, and a clear message when they are not.

The binaries are built once by `tools/build.sh` (``make controlplane``) into a
cache outside the clone, keyed by version, so a clean clone reuses them. Users
with prebuilt binaries point ``ACK_COMPONENTS_BIN_DIR`` at a directory holding
them instead.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

BIN_DIR_ENV = "ACK_COMPONENTS_BIN_DIR"
CACHE_ENV = "ACK_COMPONENTS_CACHE"


class MissingPrerequisite(RuntimeError):
    """A binary, tool or module the sandbox needs is not there; the message says how to fix it."""


@cache
def versions() -> dict[str, str]:
    """The pinned versions from ``versions.env`` (shared with tools/build.sh)."""
    text = (Path(__file__).parents[1] / "versions.env").read_text()
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line and line[0] != "#")
    return {key.strip(): value.strip() for key, value in pairs}


def cache_root() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "ack-components")


@dataclass(frozen=True)
class Binary:
    """One sandbox executable: its name, the cache folder it is built into, and its make target."""

    name: str
    folder: str
    make_target: str

    def path(self) -> Path:
        override = os.environ.get(BIN_DIR_ENV)
        candidate = (
            Path(override) / self.name
            if override
            else cache_root() / "bin" / self.folder / self.name
        )
        if not (candidate.is_file() and os.access(candidate, os.X_OK)):
            where = f"{BIN_DIR_ENV}={override}" if override else f"the cache ({candidate.parent})"
            raise MissingPrerequisite(
                f"{self.name} not found in {where}. Build it with `make {self.make_target}` "
                f"(needs Go and access to the Go module proxy), or set {BIN_DIR_ENV} to a "
                f"directory with a prebuilt {self.name}."
            )
        return candidate


def kube_apiserver() -> Binary:
    return Binary(
        "kube-apiserver", f"kubernetes-{versions()['KUBERNETES_VERSION']}", "controlplane"
    )


def kubectl() -> Binary:
    return Binary("kubectl", f"kubernetes-{versions()['KUBERNETES_VERSION']}", "controlplane")


def etcd() -> Binary:
    return Binary("etcd", f"etcd-{versions()['ETCD_VERSION']}", "controlplane")


def controller() -> Binary:
    """The ACK SageMaker controller, built from its pinned source by ``make controller``."""
    return Binary(
        "controller",
        f"sagemaker-controller-{versions()['SAGEMAKER_CONTROLLER_VERSION']}",
        "controller",
    )


CONTROLLER_SOURCE_ENV = "ACK_COMPONENTS_CONTROLLER_SOURCE"


def controller_source() -> Path:
    """The controller's unpacked module source (its CRDs, RBAC and per-kind code), in the cache.

    ``tools/build.sh controller`` puts it there: from the Go module proxy, or from the
    archive or directory named by ``ACK_COMPONENTS_CONTROLLER_SOURCE`` where the proxy
    refuses the module.
    """
    version = versions()["SAGEMAKER_CONTROLLER_VERSION"]
    directory = cache_root() / "src" / f"sagemaker-controller-{version}"
    if not (directory / "go.mod").is_file():
        raise MissingPrerequisite(
            f"the sagemaker-controller v{version} source is not in {directory.parent}. "
            f"Run `make controller` (from the Go module proxy, or set {CONTROLLER_SOURCE_ENV} "
            "to the source archive or directory where the proxy refuses the module)."
        )
    return directory


def go_module_dir(module: str, version: str) -> Path:
    """The unpacked source of a pinned Go module, downloaded into Go's module cache if needed."""
    try:
        gomodcache = subprocess.run(
            ["go", "env", "GOMODCACHE"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as exc:
        raise MissingPrerequisite(
            f"Go is needed to fetch the module {module}@{version} (the CRDs come from it): {exc}. "
            "Install Go >= 1.25."
        ) from exc
    escaped = "".join(f"!{c.lower()}" if c.isupper() else c for c in module)
    directory = Path(gomodcache) / f"{escaped}@{version}"
    if directory.is_dir():
        return directory
    done = subprocess.run(
        ["go", "mod", "download", f"{module}@{version}"],
        capture_output=True,
        text=True,
        env={**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"},
    )
    if done.returncode != 0 or not directory.is_dir():
        raise MissingPrerequisite(
            f"could not download the Go module {module}@{version}: {done.stderr.strip()}. "
            "Check access to the Go module proxy (GOPROXY)."
        )
    return directory


@dataclass(frozen=True)
class BuiltPart:
    """A part ``tools/build.sh`` builds from source into the cache: its pinned version (the
    ``version_key`` of ``versions.env``), the source it keeps there (for manifests and
    configuration files), its programs, and why it cannot run here when one is missing.

    ``label`` names the part in messages; ``make`` is the command that builds it.
    """

    label: str
    version_key: str
    folder: str
    programs: tuple[str, ...]
    make: str
    source_folder: str = ""

    def version(self) -> str:
        return versions()[self.version_key]

    def source(self) -> Path:
        path = cache_root() / "src" / f"{self.source_folder}-{self.version()}"
        if not (path / "go.mod").is_file():
            raise MissingPrerequisite(f"{self.label}'s source ({path}) is missing: run {self.make}")
        return path

    def program(self, name: str = "") -> Path:
        """One of its programs (by default its first)."""
        path = cache_root() / "bin" / f"{self.folder}-{self.version()}" / (name or self.programs[0])
        if not path.is_file():
            what = f"{self.label}'s {name}" if name else self.label
            raise MissingPrerequisite(f"{what} ({path}) is not built: run {self.make}")
        return path

    def unavailable(self) -> str | None:
        """Why the part cannot be installed here (its source or a program missing), or None."""
        try:
            if self.source_folder:
                self.source()
            for name in self.programs:
                self.program(name)
        except MissingPrerequisite as missing:
            return str(missing)
        return None
