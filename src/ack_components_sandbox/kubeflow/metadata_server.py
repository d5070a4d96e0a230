"""ML Metadata's gRPC service for the sandbox's Kubeflow Pipelines 2.16, without Bazel.

KFP's v2 engine records every task in ML Metadata (MLMD): the driver looks up and
creates contexts and executions, the launcher records the artifacts a step produced,
and the UI reads them to draw a run's artifacts and executions. KFP deploys MLMD's own
C++ server (``ml_metadata_store_server``, built with Bazel), which cannot be built here.

The ``ml-metadata`` wheel carries the same C++ store, reachable through its extension
module by method name with serialized requests and responses. This server answers
MLMD's gRPC service (``ml_metadata.MetadataStoreService``) by handing each request's
bytes to that store, so the store's logic, schema and errors are MLMD's own; only the
gRPC framing is written here. It also answers the same methods as grpc-web (HTTP/1.1,
binary or base64 text), which the UI speaks and which KFP serves through an Envoy.

It runs in a virtualenv of its own (``ml-metadata`` pins protobuf 4 and its own
grpcio), by file path, and imports nothing from the project. The store is KFP's
MySQL database (``metadb``), as in KFP's manifests, or SQLite for a quick look.
Calls are serialized: the store holds one database connection.
"""

from __future__ import annotations

import argparse
import base64
import http.server
import logging
import struct
import threading
from collections.abc import Callable
from concurrent import futures
from typing import Any

import grpc
from ml_metadata.metadata_store.pywrap import metadata_store_extension
from ml_metadata.proto import metadata_store_pb2, metadata_store_service_pb2

SERVICE = "ml_metadata.MetadataStoreService"
#: gRPC status codes by number, as the store reports them.
_STATUS = {code.value[0]: code for code in grpc.StatusCode}

#: ``(method, request bytes) -> (response bytes, status code, message)``.
Store = Callable[[str, bytes], tuple[bytes, int, str]]


def method_names() -> list[str]:
    """Every method of MLMD's service, as its proto declares them."""
    service = metadata_store_service_pb2.DESCRIPTOR.services_by_name["MetadataStoreService"]
    return [method.name for method in service.methods]


def open_store(config: metadata_store_pb2.ConnectionConfig) -> Store:
    """A function answering ``(method, request bytes)`` from MLMD's C++ store, one call
    at a time; it creates or upgrades the schema as MLMD's server does."""
    extension = metadata_store_extension.metadata_store
    migration = metadata_store_pb2.MigrationOptions(enable_upgrade_migration=True)
    store = extension.CreateMetadataStore(config.SerializeToString(), migration.SerializeToString())
    lock = threading.Lock()

    def call(method: str, request: bytes) -> tuple[bytes, int, str]:
        handler = getattr(extension, method, None)
        if handler is None:
            return b"", grpc.StatusCode.UNIMPLEMENTED.value[0], f"{method} is not served here"
        with lock:
            response, message, code = handler(store, request)
        return response, code, message.decode("utf-8", "replace")

    return call


class Handler(grpc.GenericRpcHandler):
    """Routes every ``/ml_metadata.MetadataStoreService/<method>`` to the store, bytes in
    and bytes out."""

    def __init__(self, call: Store) -> None:
        self._call = call
        self._methods = set(method_names())

    def service(self, details: Any) -> grpc.RpcMethodHandler | None:
        service, _, method = details.method.lstrip("/").partition("/")
        if service != SERVICE or method not in self._methods:
            return None

        def unary(request: bytes, context: grpc.ServicerContext) -> bytes:
            response, code, message = self._call(method, request)
            if code:
                context.abort(_STATUS.get(code, grpc.StatusCode.UNKNOWN), message)
            return response

        return grpc.unary_unary_rpc_method_handler(unary)


def grpc_web_frames(body: bytes) -> bytes:
    """The first message of a grpc-web request body (a 5-byte header: flag, length)."""
    if len(body) < 5:
        return b""
    (length,) = struct.unpack(">I", body[1:5])
    return body[5 : 5 + length]


def grpc_web_reply(message: bytes | None, code: int, text: str) -> bytes:
    """A data frame (when there is a message) and the trailer frame."""
    out = b""
    if message is not None:
        out += b"\x00" + struct.pack(">I", len(message)) + message
    trailer = f"grpc-status:{code}\r\ngrpc-message:{text}\r\n".encode()
    return out + b"\x80" + struct.pack(">I", len(trailer)) + trailer


def grpc_web_server(host: str, port: int, call: Store) -> http.server.ThreadingHTTPServer:
    """grpc-web over HTTP/1.1 for the same methods, with CORS for the UI."""
    methods = set(method_names())

    class Web(http.server.BaseHTTPRequestHandler):
        def _cors(self) -> None:
            self.send_header("Access-Control-Allow-Origin", self.headers.get("Origin") or "*")
            self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")
            self.send_header(
                "Access-Control-Allow-Headers",
                "content-type, x-grpc-web, x-user-agent, grpc-timeout, authorization",
            )
            self.send_header("Access-Control-Expose-Headers", "grpc-status, grpc-message")

        def do_OPTIONS(self) -> None:
            self.send_response(204)
            self._cors()
            self.end_headers()

        def do_POST(self) -> None:
            service, _, method = self.path.lstrip("/").partition("/")
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            content_type = self.headers.get("Content-Type", "application/grpc-web+proto")
            text = content_type.startswith("application/grpc-web-text")
            if text:
                body = base64.b64decode(body)
            if service != SERVICE or method not in methods:
                reply = grpc_web_reply(None, grpc.StatusCode.UNIMPLEMENTED.value[0], method)
            else:
                response, code, message = call(method, grpc_web_frames(body))
                reply = grpc_web_reply(None if code else response, code, message)
            if text:
                reply = base64.b64encode(reply)
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(reply)))
            self._cors()
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            logging.debug("grpc-web: " + format, *args)

    return http.server.ThreadingHTTPServer((host, port), Web)


def connection_config(args: argparse.Namespace) -> metadata_store_pb2.ConnectionConfig:
    config = metadata_store_pb2.ConnectionConfig()
    if args.sqlite:
        config.sqlite.filename_uri = args.sqlite
        config.sqlite.connection_mode = (
            metadata_store_pb2.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
        )
        return config
    config.mysql.host = args.mysql_host
    config.mysql.port = args.mysql_port
    config.mysql.database = args.database
    config.mysql.user = args.user
    config.mysql.password = args.password
    config.mysql.skip_db_creation = False
    return config


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="0.0.0.0", help="the address to listen on")
    parser.add_argument("--port", type=int, default=8080, help="the gRPC port")
    parser.add_argument("--grpc-web-port", type=int, default=0, help="grpc-web port (0: none)")
    parser.add_argument("--sqlite", default="", help="a SQLite file instead of MySQL")
    parser.add_argument("--mysql-host", default="127.0.0.1")
    parser.add_argument("--mysql-port", type=int, default=3306)
    parser.add_argument("--database", default="metadb")
    parser.add_argument("--user", default="root")
    parser.add_argument("--password", default="")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    store = open_store(connection_config(args))
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    server.add_generic_rpc_handlers((Handler(store),))
    server.add_insecure_port(f"{args.host}:{args.port}")
    server.start()
    logging.info("ML Metadata gRPC on port %d", args.port)
    if args.grpc_web_port:
        web = grpc_web_server(args.host, args.grpc_web_port, store)
        threading.Thread(target=web.serve_forever, daemon=True).start()
        logging.info("ML Metadata grpc-web on port %d", args.grpc_web_port)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
