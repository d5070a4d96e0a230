"""Container images made from one static program, with no registry and no image builder.

The sandbox node cannot pull: it runs images made here. A static Go binary
(``tools/images``: the pod sandbox's ``pause``, the test program ``tinybox``) is
the only file of a one-layer OCI image, written as an OCI image-layout archive
that ``ctr images import`` reads. The archive is deterministic (fixed file times
and owners), so the same binary always gives the same image digest.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path

from ack_components_sandbox.base import binaries

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
#: The name the node's containerd runs pod sandboxes from (its ``sandbox_image``).
PAUSE_IMAGE = "registry.k8s.io/pause:3.10"


@dataclass(frozen=True)
class Image:
    """A one-file image: ``name`` (a full reference) runs ``program`` with ``args``.

    ``path`` is where the program sits in the image (``/<program>`` unless given; on
    ``PATH`` when under ``/bin``), ``user`` the numeric user it runs as (needed where a
    pod says ``runAsNonRoot``), ``files`` any data files the program reads (path →
    content, as the upstream image's Dockerfile copies them). The image also has an
    empty, world-writable ``/tmp``.
    """

    name: str
    program: Path
    args: tuple[str, ...] = ()
    path: str = ""
    user: str = ""
    files: tuple[tuple[str, bytes], ...] = ()

    @property
    def inside(self) -> str:
        return self.path or f"/{self.program.name}"


def _tar(files: dict[str, tuple[bytes, int]], dirs: dict[str, int] | None = None) -> bytes:
    """A tar of the given directories (path → mode) and files (path → (content, mode)),
    owned by root, dated 0."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path, mode in sorted((dirs or {}).items()):
            info = tarfile.TarInfo(path)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, mode, 0
            tar.addfile(info)
        for path, (content, mode) in sorted(files.items()):
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(content), mode, 0
            tar.addfile(info, io.BytesIO(content))
    return out.getvalue()


def _blob(blobs: dict[str, bytes], content: bytes, media_type: str) -> dict[str, object]:
    digest = "sha256:" + hashlib.sha256(content).hexdigest()
    blobs[f"blobs/sha256/{digest.removeprefix('sha256:')}"] = content
    return {"mediaType": media_type, "digest": digest, "size": len(content)}


def _json(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def oci_archive(image: Image) -> bytes:
    """The image as an OCI image-layout tar whose index names it ``image.name``."""
    blobs: dict[str, bytes] = {}
    inside = image.inside.lstrip("/")
    contents = {inside: (image.program.read_bytes(), 0o755)}
    contents.update({path.lstrip("/"): (data, 0o644) for path, data in image.files})
    parents = {str(p): 0o755 for f in contents for p in Path(f).parents if str(p) != "."}
    layer = _tar(contents, {"tmp": 0o1777, **parents})
    settings: dict[str, object] = {
        "Entrypoint": [image.inside],
        "Cmd": list(image.args),
        "Env": ["PATH=/bin"],
        "WorkingDir": "/",
    }
    if image.user:
        settings["User"] = image.user
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": settings,
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]},
    }
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": _blob(blobs, _json(config), OCI_CONFIG),
        "layers": [_blob(blobs, layer, OCI_LAYER)],
    }
    descriptor = _blob(blobs, _json(manifest), OCI_MANIFEST)
    descriptor["annotations"] = {
        "io.containerd.image.name": image.name,
        "org.opencontainers.image.ref.name": image.name.rsplit(":", 1)[1],
    }
    index = {"schemaVersion": 2, "manifests": [descriptor]}
    files = {path: (content, 0o644) for path, content in blobs.items()}
    files["oci-layout"] = (_json({"imageLayoutVersion": "1.0.0"}), 0o644)
    files["index.json"] = (_json(index), 0o644)
    return _tar(files)


def program(name: str) -> Path:
    """A static program of ``tools/images``, built by ``tools/build.sh node`` into the cache."""
    built = sorted((binaries.cache_root() / "bin").glob(f"images-*/{name}"))
    if not built:
        raise binaries.MissingPrerequisite(
            f"the image program {name!r} is not built. Run `make node` (tools/build.sh node)."
        )
    return max(built, key=lambda path: path.stat().st_mtime)


def pause() -> Image:
    return Image(PAUSE_IMAGE, program("pause"))


def tinybox() -> Image:
    """The test image: ``tinybox echo|sleep|exit``; named by its program's content."""
    binary = program("tinybox")
    digest = hashlib.sha256(binary.read_bytes()).hexdigest()[:12]
    return Image(f"ack-components.local/tinybox:{digest}", binary)
