"""What a sandbox node changes on the machine, recorded before it starts and undone after.

A kubelet, containerd, kube-proxy and the CNI bridge plugin change the host: they
set sysctls (``net.ipv4.ip_forward``, the kubelet's kernel tunables), add iptables
chains (``KUBE-*``, ``CNI-*``) and the rules that jump to them, mount (the kubelet's
root dir, pod volumes, network namespaces, container root filesystems), create
cgroups (``kubepods``), directories (``/run/containerd``, ``/var/lib/cni``, …) and
links (the bridge, veths). ``snapshot()`` records the machine's side of each before
anything starts; ``restore()`` removes what is new since then and puts the sysctls
back, and nothing older, so a machine that already had some of these keeps them.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

#: Sysctls a node's programs may set: the bridge plugin (forwarding), kube-proxy
#: (route_localnet, conntrack) and the kubelet (its "kernel defaults").
SYSCTLS = (
    "net/ipv4/ip_forward",
    "net/ipv4/conf/all/route_localnet",
    "net/netfilter/nf_conntrack_max",
    "vm/overcommit_memory",
    "vm/panic_on_oom",
    "kernel/panic",
    "kernel/panic_on_oops",
    "kernel/keys/root_maxkeys",
    "kernel/keys/root_maxbytes",
)
#: Where the node's programs create state outside the sandbox directory.
WATCHED_PATHS = (
    "/run/containerd",
    "/run/netns",
    "/var/lib/cni",
    "/var/lib/kubelet",
    "/var/log/containers",
    "/var/log/pods",
    "/etc/cni",
)
IPTABLES = ("iptables", "ip6tables")
TABLES = ("filter", "nat", "mangle", "raw")
CGROUP_ROOT = "kubepods"


@dataclass(frozen=True)
class HostSnapshot:
    """The machine before the node: sysctl values, iptables chains, mounts, paths, cgroups."""

    sysctls: dict[str, str]
    chains: dict[str, list[str]]
    mounts: list[str]
    existing_paths: list[str]
    existing_cgroups: list[str]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HostSnapshot:
        return cls(**data)


def read_sysctl(name: str) -> str | None:
    try:
        return Path("/proc/sys", name).read_text().strip()
    except OSError:
        return None


def mount_points() -> list[str]:
    """Every mount point of this mount namespace, in mount order."""
    lines = Path("/proc/self/mountinfo").read_text().splitlines()
    # Field 5 is the mount point, with spaces and the like written as octal escapes.
    return [line.split()[4].encode().decode("unicode_escape") for line in lines]


def iptables_chains() -> dict[str, list[str]]:
    """``"<command>:<table>"`` → the chains it has now (a family or table that fails is left out)."""
    chains: dict[str, list[str]] = {}
    for command in IPTABLES:
        for table in TABLES:
            rules = _iptables_rules(command, table)
            if rules is not None:
                chains[f"{command}:{table}"] = sorted(
                    line.split()[1] for line in rules if line.startswith(("-N ", "-P "))
                )
    return chains


def cgroup_mounts() -> list[Path]:
    """The cgroup (v1 and v2) hierarchies mounted on this machine."""
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        before, _, after = line.partition(" - ")
        if after.split()[0] in ("cgroup", "cgroup2"):
            found.append(Path(before.split()[4]))
    return found


def snapshot() -> HostSnapshot:
    sysctls = {name: value for name in SYSCTLS if (value := read_sysctl(name)) is not None}
    return HostSnapshot(
        sysctls=sysctls,
        chains=iptables_chains(),
        mounts=mount_points(),
        existing_paths=[path for path in WATCHED_PATHS if os.path.lexists(path)],
        existing_cgroups=[
            str(mount / CGROUP_ROOT) for mount in cgroup_mounts() if (mount / CGROUP_ROOT).exists()
        ],
    )


def changes(before: HostSnapshot, owned: list[str]) -> dict[str, list[str]]:
    """What differs from ``before``: sysctls, iptables chains, mounts under ``owned``
    or a watched path, watched paths and cgroups; empty lists when nothing does."""
    now = snapshot()
    new_chains = [
        f"{key} {chain}"
        for key, chains in now.chains.items()
        for chain in chains
        if chain not in before.chains.get(key, [])
    ]
    return {
        "sysctls": [
            f"{name}={before.sysctls[name]}→{now.sysctls.get(name)}"
            for name in before.sysctls
            if now.sysctls.get(name) != before.sysctls[name]
        ],
        "iptables_chains": new_chains,
        "mounts": _new_mounts(before, owned),
        "paths": [p for p in now.existing_paths if p not in before.existing_paths],
        "cgroups": [c for c in now.existing_cgroups if c not in before.existing_cgroups],
    }


def restore(
    before: HostSnapshot, owned: list[str], network: str, processes_marked_by: str
) -> list[str]:
    """Undo everything new since ``before``; returns what could not be undone (empty when clean).

    ``owned``: directories of this sandbox (every mount below them is the node's);
    ``network``: the CNI network and the bridge the sandbox made (one name);
    ``processes_marked_by``: a string in the command line of every process the node's
    containerd left (its socket path).
    """
    problems: list[str] = []
    _kill_processes(processes_marked_by, before)
    problems += _unmount(_new_mounts(before, owned))
    problems += _remove_cgroups(before)
    problems += _remove_links(network)
    problems += _remove_chains(before)
    problems += _remove_paths(before, owned, network)
    problems += _restore_sysctls(before)
    return problems


def _new_mounts(before: HostSnapshot, owned: list[str]) -> list[str]:
    prefixes = [*owned, *WATCHED_PATHS]
    new = [m for m in mount_points() if m not in before.mounts]
    return [m for m in new if any(m == p or m.startswith(p.rstrip("/") + "/") for p in prefixes)]


def _kill_processes(marker: str, before: HostSnapshot) -> None:
    """SIGKILL the processes of new cgroups (pods' containers) and those naming ``marker``
    (containerd shims), then wait for them to go."""
    pids: set[int] = set()
    for group in _new_cgroups(before):
        for procs in group.rglob("cgroup.procs"):
            pids.update(int(pid) for pid in _read(procs).split())
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and marker.encode() in _read_bytes(proc / "cmdline"):
            pids.add(int(proc.name))
    pids.discard(os.getpid())
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)


def _unmount(mounts: list[str]) -> list[str]:
    problems = []
    # Deepest (and latest) first: a mount below another goes before it.
    for mount in sorted(set(mounts), key=lambda m: (m.count("/"), mounts.index(m)), reverse=True):
        for _ in range(mounts.count(mount)):  # a point mounted twice is unmounted twice
            done = subprocess.run(["umount", mount], capture_output=True, text=True)
            if done.returncode != 0:
                done = subprocess.run(["umount", "-l", mount], capture_output=True, text=True)
            if done.returncode != 0 and mount in mount_points():
                problems.append(f"mount {mount}: {done.stderr.strip()}")
    return problems


def _new_cgroups(before: HostSnapshot) -> list[Path]:
    return [
        mount / CGROUP_ROOT
        for mount in cgroup_mounts()
        if (mount / CGROUP_ROOT).is_dir()
        and str(mount / CGROUP_ROOT) not in before.existing_cgroups
    ]


def _remove_cgroups(before: HostSnapshot) -> list[str]:
    problems = []
    for group in _new_cgroups(before):
        for directory, _, _ in sorted(os.walk(group), key=lambda w: -w[0].count("/")):
            try:
                os.rmdir(directory)
            except OSError as error:
                problems.append(f"cgroup {directory}: {error}")
    return problems


def _remove_links(bridge: str) -> list[str]:
    """The bridge and any veth still attached to it."""
    attached = subprocess.run(
        ["ip", "-o", "link", "show", "master", bridge], capture_output=True, text=True
    ).stdout
    names = [line.split(":")[1].strip().split("@")[0] for line in attached.splitlines()]
    problems = []
    for name in [*names, bridge]:
        if _link_exists(name):
            done = subprocess.run(["ip", "link", "delete", name], capture_output=True, text=True)
            # A veth goes with its pod's network namespace: gone meanwhile is done.
            if done.returncode != 0 and _link_exists(name):
                problems.append(f"link {name}: {done.stderr.strip()}")
    return problems


def _link_exists(name: str) -> bool:
    return Path("/sys/class/net", name).exists()


def _remove_chains(before: HostSnapshot) -> list[str]:
    """Rules that jump to a chain made since ``before``, then those chains."""
    problems = []
    for command in IPTABLES:
        for table in TABLES:
            rules = _iptables_rules(command, table)
            if rules is None:
                continue
            old = before.chains.get(f"{command}:{table}", [])
            new = {line.split()[1] for line in rules if line.startswith("-N ")} - set(old)
            if not new:
                continue
            for line in rules:
                words = shlex.split(line)
                targets = {words[i + 1] for i, w in enumerate(words[:-1]) if w in ("-j", "-g")}
                if words[0] == "-A" and words[1] not in new and targets & new:
                    problems += _iptables(command, table, "-D", *words[1:])
            for chain in sorted(new):
                problems += _iptables(command, table, "-F", chain)
            for chain in sorted(new):
                problems += _iptables(command, table, "-X", chain)
    return problems


def _iptables_rules(command: str, table: str) -> list[str] | None:
    try:
        done = subprocess.run(
            [command, "-w", "5", "-t", table, "-S"], capture_output=True, text=True
        )
    except OSError:
        return None
    return done.stdout.splitlines() if done.returncode == 0 else None


def _iptables(command: str, table: str, *args: str) -> list[str]:
    done = subprocess.run([command, "-w", "5", "-t", table, *args], capture_output=True, text=True)
    if done.returncode == 0:
        return []
    return [f"{command} -t {table} {' '.join(args)}: {done.stderr.strip()}"]


def _remove_paths(before: HostSnapshot, owned: list[str], network: str) -> list[str]:
    """Watched paths made since ``before``; in older ones, only the sandbox's entries."""
    problems = []
    cni = Path("/var/lib/cni")
    for entry in [cni / "networks" / network, *cni.glob(f"results/{network}-*")]:
        shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(
            missing_ok=True
        )
    for path in WATCHED_PATHS:
        if path not in before.existing_paths:
            shutil.rmtree(path, ignore_errors=True)
            if os.path.lexists(path):
                problems.append(f"path {path} is still there")
    logs = Path("/var/log/containers")
    if str(logs) in before.existing_paths and logs.is_dir():
        for link in logs.iterdir():  # the kubelet's links to its pods' logs
            if link.is_symlink() and any(os.readlink(link).startswith(o) for o in owned):
                link.unlink()
    return problems


def _restore_sysctls(before: HostSnapshot) -> list[str]:
    problems = []
    for name, value in before.sysctls.items():
        if read_sysctl(name) == value:
            continue
        try:
            Path("/proc/sys", name).write_text(value + "\n")
        except OSError as error:
            problems.append(f"sysctl {name}={value}: {error}")
    return problems


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""
