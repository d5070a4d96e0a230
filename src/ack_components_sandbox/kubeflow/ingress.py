"""The sandbox's front door to Kubeflow Pipelines: a reverse proxy that signs the user in.

In a Kubeflow install, users reach the KFP UI and API through Istio's ingress after
logging in (dex, oauth2-proxy); the ingress then adds the ``kubeflow-userid`` header,
which KFP's multi-user API server trusts as the caller's identity and checks with a
SubjectAccessReview. The sandbox has one user, the profile's owner, so this proxy plays
that part: every request is passed to the KFP UI's server with ``kubeflow-userid`` set
to that user (a header sent by the client is replaced, never trusted). It listens on
loopback only. Standard library only; ``python -m ack_components_sandbox.kubeflow.ingress``.
"""

from __future__ import annotations

import argparse
import http.client
import http.server
import sys
from typing import ClassVar

USER_HEADER = "kubeflow-userid"
#: Hop-by-hop headers (RFC 9110 7.6.1) are not forwarded.
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
}


def forwarded_headers(headers: list[tuple[str, str]], user: str) -> list[tuple[str, str]]:
    """The request's headers as passed upstream (pure): hop-by-hop ones and any identity
    the client claims dropped, the signed-in user's identity added."""
    kept = [
        (name, value)
        for name, value in headers
        if name.lower() not in HOP_BY_HOP and name.lower() != USER_HEADER
    ]
    return [*kept, (USER_HEADER, user)]


class Proxy(http.server.BaseHTTPRequestHandler):
    upstream: ClassVar[tuple[str, int]]
    user: ClassVar[str]
    protocol_version = "HTTP/1.1"

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        connection = http.client.HTTPConnection(*self.upstream, timeout=300)
        try:
            connection.putrequest(
                self.command, self.path, skip_host=True, skip_accept_encoding=True
            )
            for name, value in forwarded_headers(list(self.headers.items()), self.user):
                connection.putheader(name, value)
            connection.endheaders(body)
            response = connection.getresponse()
            payload = response.read()
        except OSError as error:
            self.send_error(502, f"KFP UI server unreachable: {error}")
            return
        finally:
            connection.close()
        self.send_response(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _forward

    def log_message(self, format: str, *args: object) -> None:
        sys.stderr.write(f"{self.address_string()} {format % args}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="port to listen on (loopback)")
    parser.add_argument("--upstream", required=True, help="HOST:PORT of the KFP UI server")
    parser.add_argument("--user", required=True, help="the signed-in user's identity")
    args = parser.parse_args(argv)
    host, _, port = args.upstream.rpartition(":")
    Proxy.upstream = (host, int(port))
    Proxy.user = args.user
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Proxy)
    print(f"listening on http://127.0.0.1:{args.port}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
