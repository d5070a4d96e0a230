"""The component image, built here from the project's ``Dockerfile``: no registry, no pull.

Nothing can be pulled, so the Dockerfile's ``FROM`` is made locally, in two steps cached
in podman's own storage under ``<cache>/images/podman/``:

1. a Debian root filesystem from ``debootstrap --variant=minbase``: this machine's
   release, from the Debian mirror in its own apt sources (read at run time);
2. on it, Debian's ``python3`` with a virtualenv first on ``PATH`` (what a
   ``python:3.11-slim`` image offers: ``python`` and ``pip``), and the machine's CA
   bundle for pip (apt in an image rewrites the bundle and drops a proxy's CA), tagged
   as the Dockerfile's ``FROM`` names it.

Then ``podman build --pull=never`` builds the Dockerfile unchanged, tagged as
``component.yaml``'s image, and ``podman save`` writes it as an OCI archive,
``<cache>/images/component-<hash>.tar``, that ``node.start()`` imports into
containerd. The hash covers the base's recipe, the Dockerfile, ``.dockerignore`` and
every file the build context sends, so a second ``sandbox up`` builds nothing and a
changed source file rebuilds only the last step. podman runs with its own
``containers.conf`` (runc: crun cannot run on a cgroup v1/v2 hybrid; ulimits no higher
than this process holds), its storage under the cache and the host's network for
builds, so nothing under ``/etc`` changes and no bridge or firewall rule is made.
``.dockerignore`` keeps the sandbox and the test harness out of the image.
"""

from __future__ import annotations

import contextlib
import fcntl
import fnmatch
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ack_components import __version__
from ack_components_sandbox.base import binaries

#: The repository the sandbox runs from (a source checkout: the Dockerfile's build context).
REPO = Path(__file__).resolve().parents[3]
#: What the pipeline's ``component.yaml`` runs (component_files.IMAGE), as containerd names it.
COMPONENT_IMAGE = f"ack-components/ack-components:{__version__}"
PROGRAMS = ("debootstrap", "podman")
#: Debian packages that make the minbase root filesystem a Python image.
PYTHON_PACKAGES = ("python3", "python3-venv")
VENV = "/opt/python"
CA_IN_IMAGE = "/usr/local/share/ack-components/host-ca-certificates.crt"
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")
APT_SOURCES = Path("/etc/apt")
#: The process limit of build steps (apt, pip: far fewer).
BUILD_PROCESSES = 32768
_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class ImageError(RuntimeError):
    """The image could not be built; the message names the step and its output."""


@dataclass(frozen=True)
class DebianSource:
    """Where debootstrap fetches from: the release, a mirror serving it, its keyring."""

    release: str
    mirror: str
    keyring: str = ""


def unavailable() -> str | None:
    """Why the component image cannot be built here (not root, a program missing), or None."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        return "building the component image needs root on Linux"
    missing = [p for p in PROGRAMS if shutil.which(p, path=_PATH) is None]
    if missing:
        return f"{', '.join(missing)} not installed (run tools/install-image-deps.sh)"
    if not (REPO / "Dockerfile").is_file():
        return f"no Dockerfile in {REPO} (the image is built from a source checkout)"
    return None


def normalized(reference: str) -> str:
    """An image reference as containerd and podman store it (Docker's rule: a first part
    without a dot, a colon or ``localhost`` is a Docker Hub repository)."""
    first, _, rest = reference.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return reference
    return f"docker.io/{reference}" if rest else f"docker.io/library/{reference}"


def dockerfile_base(dockerfile: Path) -> str:
    """The image the Dockerfile's (single) ``FROM`` names."""
    for line in dockerfile.read_text().splitlines():
        words = line.split()
        if words and words[0].upper() == "FROM":
            return words[1]
    raise ImageError(f"{dockerfile} has no FROM")


def debian_source(
    etc_apt: Path = APT_SOURCES, os_release: Path = Path("/etc/os-release")
) -> DebianSource:
    """This machine's Debian release and the first mirror its apt sources use for it
    (one-line ``.list`` files and deb822 ``.sources`` files)."""
    fields = dict(line.split("=", 1) for line in os_release.read_text().splitlines() if "=" in line)
    release = fields.get("VERSION_CODENAME", "").strip('"')
    if not release:
        raise ImageError(f"{os_release} names no VERSION_CODENAME")
    files = [etc_apt / "sources.list", *sorted((etc_apt / "sources.list.d").glob("*"))]
    for path in files:
        if not path.is_file():
            continue
        entries = _deb822(path.read_text()) if path.suffix == ".sources" else _one_line(path)
        for entry in entries:
            if (
                release in entry.get("suites", "").split()
                and "main" in entry.get("components", "").split()
            ):
                mirror = entry["uris"].split()[0]
                return DebianSource(release, mirror, entry.get("signed-by", ""))
    raise ImageError(f"no apt source for Debian {release} (main) in {etc_apt}")


def _deb822(text: str) -> list[dict[str, str]]:
    entries: list[dict[str, str]] = [{}]
    for line in text.splitlines():
        if not line.strip():
            entries.append({})
        elif not line.startswith("#") and ":" in line and not line[0].isspace():
            key, _, value = line.partition(":")
            entries[-1][key.strip().lower()] = value.strip()
    return [e for e in entries if e.get("types", "").split()[:1] == ["deb"] and "uris" in e]


def _one_line(path: Path) -> list[dict[str, str]]:
    entries = []
    for line in path.read_text().splitlines():
        words = line.split("#", 1)[0].split()
        options = [w for w in words if w.startswith("[") or w.endswith("]") or "=" in w]
        words = [w for w in words if w not in options]
        if len(words) >= 4 and words[0] == "deb":
            entries.append(
                {"uris": words[1], "suites": words[2], "components": " ".join(words[3:])}
            )
    return entries


def python_containerfile(debian_image: str) -> str:
    """The second step: the Debian base as a Python image (python, pip) that reaches PyPI."""
    return f"""FROM {debian_image}
RUN apt-get update \\
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
       {" ".join(PYTHON_PACKAGES)} \\
    && rm -rf /var/lib/apt/lists/* \\
    && python3 -m venv {VENV}
COPY ca-certificates.crt {CA_IN_IMAGE}
ENV PATH={VENV}/bin:{_PATH} PIP_CERT={CA_IN_IMAGE} LANG=C.UTF-8
"""


def base_recipe(source: DebianSource) -> str:
    """Everything the base is made from; its hash names it."""
    ca = hashlib.sha256(HOST_CA.read_bytes()).hexdigest()
    return (
        f"debootstrap --variant=minbase {source.release} {source.mirror}\n"
        f"host CA bundle sha256 {ca}\n" + python_containerfile("<debian>")
    )


def _ignore_rules(context: Path) -> list[tuple[bool, str]]:
    """``.dockerignore`` as (re-included?, pattern), in order."""
    path = context / ".dockerignore"
    lines = path.read_text().splitlines() if path.is_file() else []
    rules = []
    for line in (line.strip() for line in lines):
        if line and not line.startswith("#"):
            rules.append((line.startswith("!"), line.removeprefix("!").strip("/")))
    return rules


def _ignored(relative: str, rules: list[tuple[bool, str]]) -> bool:
    """Whether the build context leaves ``relative`` out: the last rule matching the path or
    a directory above it decides (the subset of Docker's rules that ``.dockerignore`` uses)."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    ignored = False
    for reinclude, pattern in rules:
        if any(fnmatch.fnmatchcase(prefix, pattern) for prefix in prefixes):
            ignored = not reinclude
    return ignored


def context_files(context: Path) -> list[str]:
    """The files (relative paths, sorted) the build context sends to the builder."""
    rules = _ignore_rules(context)
    kept = [pattern for reinclude, pattern in rules if reinclude]
    found = []
    for directory, subdirs, files in os.walk(context):
        here = Path(directory).relative_to(context).as_posix()
        prefix = "" if here == "." else f"{here}/"
        subdirs[:] = [
            d
            for d in subdirs
            if not _ignored(prefix + d, rules) or any(p.startswith(f"{prefix}{d}/") for p in kept)
        ]
        found += [prefix + f for f in files if not _ignored(prefix + f, rules)]
    return sorted(found)


def component_hash(context: Path, recipe: str) -> str:
    digest = hashlib.sha256(recipe.encode())
    for name in ("Dockerfile", ".dockerignore", *context_files(context)):
        path = context / name
        if path.is_file():
            digest.update(f"\0{name}\0".encode() + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def images_dir() -> Path:
    return binaries.cache_root() / "images"


@dataclass(frozen=True)
class Built:
    """The component image's OCI archive, the name it carries, and how long ``ensure`` took."""

    archive: Path
    name: str
    seconds: float
    cached: bool
    #: The Python base (the Dockerfile's ``FROM``), which KFP's function-based steps
    #: (``create_component_from_func(..., base_image="python:3.11-slim")``) run on.
    base_archive: Path


def ensure(context: Path = REPO, log: Path | None = None) -> Built:
    """The component image's archive: from the cache, or built (base first, when missing)."""
    return ensure_image(context, COMPONENT_IMAGE, "component", log)


def ensure_image(context: Path, reference: str, prefix: str, log: Path | None = None) -> Built:
    """The archive ``<cache>/images/<prefix>-<hash>.tar`` of the image that ``context``'s
    Dockerfile builds on the Python base, tagged ``reference``: from the cache, or built."""
    started = time.monotonic()
    source = debian_source()
    recipe = base_recipe(source)
    name = normalized(reference)
    archive = images_dir() / f"{prefix}-{component_hash(context, recipe)}.tar"
    base_archive = images_dir() / f"python-base-{_short_hash(recipe)}.tar"
    images_dir().mkdir(parents=True, exist_ok=True)
    with _locked(images_dir() / ".lock"):
        if archive.is_file() and base_archive.is_file():
            seconds = round(time.monotonic() - started, 2)
            return Built(archive, name, seconds, True, base_archive)
        log = log or images_dir() / f"build-{prefix}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(f"building {name} as {archive.name}\n")
        podman = Podman(images_dir() / "podman", log)
        base_name = normalized(dockerfile_base(context / "Dockerfile"))
        _ensure_base(podman, source, recipe, base_name)
        if not base_archive.is_file():
            _save(podman, base_name, base_archive, "python-base-*.tar")
        if not archive.is_file():
            podman.run("build", "--pull=never", "--network=host", "-t", name, str(context))
            _save(podman, name, archive, f"{prefix}-*.tar")
            podman.run("rmi", "--ignore", name)
            podman.run("image", "prune", "--force")
    return Built(archive, name, round(time.monotonic() - started, 2), False, base_archive)


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _save(podman: Podman, name: str, archive: Path, older: str) -> None:
    """``podman save`` of ``name`` to ``archive``; other archives matching ``older`` go."""
    partial = archive.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    podman.run("save", "--format=oci-archive", "-o", str(partial), name)
    partial.rename(archive)
    for old in images_dir().glob(older):
        if old != archive:
            old.unlink()


def _ensure_base(podman: Podman, source: DebianSource, recipe: str, from_name: str) -> None:
    """The Python base image in podman's storage, tagged as the Dockerfile's ``FROM``."""
    tag = "localhost/ack-components-base:" + _short_hash(recipe)
    if not podman.exists(tag):
        with tempfile.TemporaryDirectory(dir=images_dir(), prefix="base-") as work:
            rootfs, debian = Path(work) / "rootfs", tag.replace("-base:", "-debian:")
            command = ["debootstrap", "--variant=minbase"]
            if source.keyring:
                command.append(f"--keyring={source.keyring}")
            _run([*command, source.release, str(rootfs), source.mirror], podman.log)
            tarball = Path(work) / "rootfs.tar"
            _run(
                ["tar", "--numeric-owner", "-C", str(rootfs), "-cf", str(tarball), "."], podman.log
            )
            shutil.rmtree(rootfs)
            podman.run("import", str(tarball), debian)
            (Path(work) / "Containerfile").write_text(python_containerfile(debian))
            shutil.copyfile(HOST_CA, Path(work) / "ca-certificates.crt")
            podman.run("build", "--pull=never", "--network=host", "-t", tag, work)
            podman.run("rmi", debian)
    podman.run("tag", tag, from_name)


class Podman:
    """podman with its own configuration and storage, so the machine's are left alone."""

    def __init__(self, home: Path, log: Path) -> None:
        self.home, self.log = home, log
        home.mkdir(parents=True, exist_ok=True)
        # podman's defaults ask for more than this process holds (without CAP_SYS_RESOURCE
        # none can be raised); runc refused the process limit at its hard maximum here,
        # so at most BUILD_PROCESSES.
        nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        nproc = resource.getrlimit(resource.RLIMIT_NPROC)[1]
        if nproc == resource.RLIM_INFINITY or nproc > BUILD_PROCESSES:
            nproc = BUILD_PROCESSES
        limits = [f"nofile={nofile}:{nofile}", f"nproc={nproc}:{nproc}"]
        self.conf = home / "containers.conf"
        self.conf.write_text(
            "[containers]\n"
            f"default_ulimits = {json.dumps(limits)}\n"
            "[engine]\n"
            'runtime = "runc"\n'
            'cgroup_manager = "cgroupfs"\n'
            'events_logger = "file"\n'
            f'tmp_dir = "{home / "tmp"}"\n'
        )

    def command(self, *args: str) -> list[str]:
        return [
            "podman",
            f"--root={self.home / 'storage'}",
            f"--runroot={self.home / 'run'}",
            "--storage-driver=overlay",
            *args,
        ]

    def env(self) -> dict[str, str]:
        return {"PATH": _PATH, "HOME": str(self.home), "CONTAINERS_CONF": str(self.conf)}

    def run(self, *args: str) -> None:
        _run(self.command(*args), self.log, self.env())

    def exists(self, image: str) -> bool:
        done = subprocess.run(
            self.command("image", "exists", image), env=self.env(), capture_output=True
        )
        return done.returncode == 0


def _run(command: list[str], log: Path, env: dict[str, str] | None = None) -> None:
    """Run one build step, appending its output to ``log``; an error quotes its last lines."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as out:
        out.write(f"$ {' '.join(command)}\n")
        out.flush()
        done = subprocess.run(
            command, stdout=out, stderr=subprocess.STDOUT, env=env or {"PATH": _PATH}
        )
    if done.returncode != 0:
        tail = "\n".join(log.read_text().splitlines()[-15:])
        raise ImageError(f"`{' '.join(command[:3])} …` failed; last lines of {log}:\n{tail}")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One build at a time on this machine (two sandboxes may share the cache)."""
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
