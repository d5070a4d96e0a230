"""The sandbox's ML Metadata server answers MLMD's own client, and grpc-web as the UI speaks it.

The server is started as the sandbox starts it (``metadata.start``), on a SQLite store
here instead of MariaDB; the client is ml-metadata's ``MetadataStore`` over gRPC, run in
the server's own virtualenv (the only one that has ml-metadata).
"""

from __future__ import annotations

import base64
import json
import struct
import subprocess
import urllib.request
from collections.abc import Iterator

import pytest

from ack_components_sandbox.base.processes import spawn, wait_ready
from ack_components_sandbox.cluster.controlplane import free_port
from ack_components_sandbox.kubeflow import metadata

CLIENT = """
import json, sys
from ml_metadata import errors
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb
store = metadata_store.MetadataStore(pb.MetadataStoreClientConfig(host="127.0.0.1", port=int(sys.argv[1])))
type_id = store.put_artifact_type(pb.ArtifactType(name="system.Model"))
[artifact_id] = store.put_artifacts([pb.Artifact(type_id=type_id, uri="s3://b/model.tar.gz")])
[read] = store.get_artifacts_by_id([artifact_id])
try:
    store.get_artifact_type("no.such.type")
    missing = "found"
except errors.NotFoundError as error:
    missing = type(error).__name__
print(json.dumps({"uri": read.uri, "type": read.type, "missing": missing}))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[metadata.MetadataState]:
    missing = metadata.unavailable()
    assert missing is None, missing
    work = tmp_path_factory.mktemp("mlmd")
    grpc_port, web_port = free_port(), free_port()
    argv = [
        str(metadata.python()),
        str(metadata.server_file()),
        "--host=127.0.0.1",
        f"--port={grpc_port}",
        f"--grpc-web-port={web_port}",
        f"--sqlite={work / 'mlmd.sqlite'}",
    ]
    state = metadata.MetadataState(
        spawn("ml-metadata", argv, work / "mlmd.log"), "127.0.0.1", grpc_port, web_port
    )
    try:
        wait_ready([state.process], lambda: metadata.healthy(state), 60, "no MLMD")
        yield state
    finally:
        state.process.stop()


def test_mlmds_own_client_puts_and_reads_back_and_gets_mlmds_errors(
    server: metadata.MetadataState,
) -> None:
    ran = subprocess.run(
        [str(metadata.python()), "-c", CLIENT, str(server.grpc_port)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(ran.stdout.strip().splitlines()[-1]) == {
        "uri": "s3://b/model.tar.gz",
        "type": "system.Model",
        "missing": "NotFoundError",
    }


def grpc_web(server: metadata.MetadataState, method: str, text: bool) -> tuple[bytes, str]:
    frame = b"\x00" + struct.pack(">I", 0)  # an empty request message
    kind = "application/grpc-web-text" if text else "application/grpc-web+proto"
    body = base64.b64encode(frame) if text else frame
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.web_port}/ml_metadata.MetadataStoreService/{method}",
        data=body,
        headers={"Content-Type": kind, "Origin": "http://ui.local"},
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        data = reply.read()
        assert reply.headers["Access-Control-Allow-Origin"] == "http://ui.local"
    return (base64.b64decode(data) if text else data), reply.headers["Content-Type"]


@pytest.mark.parametrize("text", [False, True], ids=["binary", "base64-text"])
def test_grpc_web_answers_with_a_message_and_trailers(
    server: metadata.MetadataState, text: bool
) -> None:
    subprocess.run(
        [str(metadata.python()), "-c", CLIENT, str(server.grpc_port)],
        capture_output=True,
        timeout=60,
        check=True,
    )
    data, kind = grpc_web(server, "GetArtifactTypes", text)
    assert kind.startswith("application/grpc-web")
    assert data[0] == 0
    (length,) = struct.unpack(">I", data[1:5])
    assert b"system.Model" in data[5 : 5 + length]
    trailer = data[5 + length :]
    assert trailer[0] == 0x80
    assert b"grpc-status:0" in trailer


def test_grpc_web_reports_an_unknown_method_in_the_trailers(
    server: metadata.MetadataState,
) -> None:
    data, _ = grpc_web(server, "NoSuchMethod", text=False)
    assert data[0] == 0x80
    assert b"grpc-status:12" in data  # UNIMPLEMENTED
