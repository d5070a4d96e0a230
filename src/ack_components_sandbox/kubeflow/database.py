"""KFP's MySQL: MariaDB from Debian's packages, run on the host beside the artifact store.

The KFP API server keeps pipelines, experiments and runs in MySQL (KFP's manifests run
``mysql:5.7`` as a Deployment behind the ``mysql`` Service, root with an empty
password). The sandbox cannot pull that image; it runs MariaDB, the MySQL that Debian
ships, from packages fetched and unpacked into the cache by ``tools/fetch-debs.sh``
(nothing is installed on the machine). The server listens on the node's bridge, where
the API server's pod reaches it through the ``mysql`` Service (see ``kfp_backend.py``);
its data lives in the sandbox directory and goes with it. As in KFP's manifests, root
logs in from anywhere with an empty password: the database is reachable only from this
machine and its node.
"""

from __future__ import annotations

import os
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ack_components_sandbox.base import binaries
from ack_components_sandbox.base.processes import PartState, ProcessRef, spawn, wait_ready
from ack_components_sandbox.cluster.controlplane import free_port

#: The packages, as ``tools/fetch-debs.sh mariadb`` fetches them.
PACKAGES = ("mariadb-server-core", "mariadb-client-core")
#: KFP's ``mysql-secret``: root, no password, from any host.
INIT_SQL = (
    "CREATE USER IF NOT EXISTS 'root'@'%';\nGRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;\n"
)


class DatabaseError(RuntimeError):
    """MariaDB did not start; the message says why."""


@dataclass(frozen=True)
class DatabaseState(PartState):
    process: ProcessRef
    host: str
    port: int


def root() -> Path:
    """The unpacked packages."""
    return binaries.cache_root() / "debs" / "mariadb" / "root"


def unavailable() -> str | None:
    if not (root() / ".complete").is_file():
        return (
            f"MariaDB's packages are not in the cache ({root()}): run `make kfp` "
            f"(tools/fetch-debs.sh mariadb {' '.join(PACKAGES)})"
        )
    return None


def _environment() -> dict[str, str]:
    return {**os.environ, "LD_LIBRARY_PATH": str(root() / "usr" / "lib" / "x86_64-linux-gnu")}


def start(host: str, workdir: Path, log: Path, timeout: float = 60.0) -> DatabaseState:
    """A fresh data directory under ``workdir``, then the server on ``host`` (a free port)."""
    missing = unavailable()
    if missing:
        raise binaries.MissingPrerequisite(missing)
    data = workdir / "data"
    workdir.mkdir(parents=True, exist_ok=True)
    if not (data / "mysql").is_dir():
        install = subprocess.run(
            [
                str(root() / "usr" / "bin" / "mariadb-install-db"),
                "--no-defaults",
                f"--basedir={root() / 'usr'}",
                f"--datadir={data}",
                "--user=root",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ],
            capture_output=True,
            text=True,
            env=_environment(),
            check=False,
        )
        if install.returncode != 0:
            raise DatabaseError(f"mariadb-install-db failed:\n{install.stdout}{install.stderr}")
    init = workdir / "init.sql"
    init.write_text(INIT_SQL)
    port = free_port()
    argv = [
        str(root() / "usr" / "sbin" / "mariadbd"),
        "--no-defaults",
        f"--basedir={root() / 'usr'}",
        f"--datadir={data}",
        "--user=root",
        f"--bind-address={host}",
        f"--port={port}",
        f"--socket={workdir / 'mysqld.sock'}",
        f"--pid-file={workdir / 'mysqld.pid'}",
        f"--init-file={init}",
        "--skip-log-bin",
    ]
    state = DatabaseState(spawn("mariadb", argv, log, env=_environment()), host, port)
    failed = f"MariaDB did not listen on {host}:{port}"
    wait_ready([state.process], lambda: healthy(state), timeout, failed, DatabaseError)
    return state


def healthy(state: DatabaseState) -> bool:
    """Whether the server accepts connections and speaks first, as MySQL servers do."""
    try:
        with socket.create_connection((state.host, state.port), timeout=2) as connection:
            return bool(connection.recv(1))
    except OSError:
        return False
