"""Bench: N TrainingJob steps at once through the real ACK controller and the emulator.

Numbers only, no assertions. For each N (and once more for the largest N with more
concurrent reconciles for TrainingJob) a fresh stack (API server with an audit log,
emulator, controller) runs N ``ack-components run TrainingJob`` processes started
together, each with its own job name and its own service account (so the audit log
tells each step's requests apart). Printed as one table, a column per run:

- finished: steps that exited 0 / N (exit codes otherwise), within the run's timeout;
- duplicates: job names with more than one CreateTrainingJob at the emulator (and names
  with none);
- status change → step exit, p50/p99: the controller's last status write to the job (its
  ``patch …/status`` completing, from the audit log) to the step's exit, and to the step
  printing ``done`` (the rest is the process's own exit);
- step wall time p50/p99 (the emulator's job lasts 4 s; the controller re-reads an
  in-progress TrainingJob every 30 s, so ~31 s is the floor);
- step start → CR created p50/p99 (the process's start under load), and CR created →
  first status p50/p99: how long a new job waits for the controller;
- API requests per step (mean, max), by the steps' service accounts;
- peak total RSS of the step processes (VmRSS summed over the live steps, sampled);
- the controller's reconcile time for trainingjob (mean; the p99 histogram bucket), its
  workqueue wait (mean; p99 bucket), peak workqueue depth and longest running reconcile;
- CPU seconds used during the run by the steps, kube-apiserver + etcd, the controller,
  the emulator, this bench and anything else on the machine (other work shares the cores),
  and the machine's CPU use while the steps create their jobs (from the first step's start
  to the last create) and over the whole run.

Then a one-line conclusion: what saturates first, from those numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from kubernetes import client, config

from ack_components import kinds, rbac
from ack_components_sandbox.testing import samples
from ack_components_sandbox.testing.stack import Stack

CLI = str(Path(sys.executable).parent / "ack-components")
NAMESPACE = "load"
PLURAL = kinds.TRAINING_JOB.plural
CONTROLLER = "trainingjob"
STEP_USER = f"system:serviceaccount:{NAMESPACE}:"
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Step:
    name: str
    process: subprocess.Popen[bytes]
    started: float
    said_done: float | None = None
    ended: float | None = None
    code: int | None = None
    cpu_seconds: float = 0.0


@dataclass
class Sampler:
    """Samples, every ``interval`` s until stopped: the steps' summed VmRSS, the machine's
    CPU use and the controller's workqueue gauges."""

    steps: list[Step]
    metrics_url: str
    interval: float = 0.5
    peak_rss_mb: float = 0.0
    peak_cpu_busy: float = 0.0
    peak_depth: float = 0.0
    peak_longest_running: float = 0.0
    peak_active_workers: float = 0.0
    #: (time, the machine's busy fraction since the previous sample)
    cpu_samples: list[tuple[float, float]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> Sampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        last_cpu, last_metrics = _machine_cpu(), 0.0
        while not self._stop.wait(self.interval):
            total_kb = sum(_vm_rss_kb(s.process.pid) for s in self.steps if s.ended is None)
            self.peak_rss_mb = max(self.peak_rss_mb, total_kb / 1024)
            now = time.monotonic()
            if now - last_metrics >= 0.45:
                cpu = _machine_cpu()
                busy, total = cpu[0] - last_cpu[0], cpu[1] - last_cpu[1]
                if total > 0:
                    self.peak_cpu_busy = max(self.peak_cpu_busy, busy / total)
                    self.cpu_samples.append((time.time(), busy / total))
                last_cpu, last_metrics = cpu, now
                try:
                    metrics = scrape(self.metrics_url)
                except OSError:
                    continue
                self.peak_depth = max(self.peak_depth, metrics.get("workqueue_depth", 0.0))
                self.peak_longest_running = max(
                    self.peak_longest_running,
                    metrics.get("workqueue_longest_running_processor_seconds", 0.0),
                )
                self.peak_active_workers = max(
                    self.peak_active_workers,
                    metrics.get("controller_runtime_active_workers", 0.0),
                )


def _vm_rss_kb(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"^VmRSS:\s+(\d+)", text, re.MULTILINE)
    return int(match.group(1)) if match else 0


def _machine_cpu() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot."""
    values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def _process_cpu(pid: int) -> float:
    """utime + stime of a running process, in seconds (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system


def scrape(url: str) -> dict[str, float]:
    """The controller's metrics for the trainingjob controller: gauges by name, and for each
    histogram ``<name>_sum``, ``<name>_count`` and ``<name>_bucket`` as ``le=…`` keys."""
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as reply:
        text = reply.read().decode()
    found: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("#") or f'controller="{CONTROLLER}"' not in line:
            continue
        name, _, value = line.rpartition(" ")
        metric, _, labels = name.partition("{")
        if metric == "controller_runtime_reconcile_total":
            result = re.search(r'result="([^"]+)"', labels)
            metric += f":{result.group(1) if result else ''}"
        elif metric.endswith("_bucket"):
            le = re.search(r'le="([^"]+)"', labels)
            metric += f":{le.group(1) if le else ''}"
        found[metric] = found.get(metric, 0.0) + float(value)
    return found


def histogram(metrics: dict[str, float], name: str) -> tuple[float, float]:
    """Mean and the upper bound of the bucket holding the 99th percentile (inf if above all)."""
    count = metrics.get(f"{name}_count", 0.0)
    if not count:
        return float("nan"), float("nan")
    buckets = sorted(
        (float(key.split(":", 1)[1]), value)
        for key, value in metrics.items()
        if key.startswith(f"{name}_bucket:")
    )
    p99 = next((le for le, n in buckets if n >= 0.99 * count), float("inf"))
    return metrics[f"{name}_sum"] / count, p99


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def audit_time(event: dict[str, Any], key: str = "stageTimestamp") -> float:
    return datetime.fromisoformat(event[key].replace("Z", "+00:00")).timestamp()


def step_users(api: Any, plane_kubeconfig: Path, count: int, workdir: Path) -> list[Path]:
    """A service account per step, all bound to the documented Role; their kubeconfigs."""
    core, rbac_api = client.CoreV1Api(api), client.RbacAuthorizationV1Api(api)
    core.create_namespace({"metadata": {"name": NAMESPACE}})
    rbac_api.create_namespaced_role(NAMESPACE, rbac.role("load", NAMESPACE, [kinds.TRAINING_JOB]))
    binding = rbac.role_binding("load", NAMESPACE, "step-0")
    binding["subjects"] = [
        {"kind": "ServiceAccount", "name": f"step-{i}", "namespace": NAMESPACE}
        for i in range(count)
    ]
    rbac_api.create_namespaced_role_binding(NAMESPACE, binding)
    base = json.loads(plane_kubeconfig.read_text())
    paths = []
    for i in range(count):
        core.create_namespaced_service_account(NAMESPACE, {"metadata": {"name": f"step-{i}"}})
        token = core.create_namespaced_service_account_token(
            f"step-{i}", NAMESPACE, {"spec": {"expirationSeconds": 86400}}
        ).status.token
        base["users"][0]["user"] = {"token": token}
        path = workdir / f"step-{i}.kubeconfig"
        path.write_text(json.dumps(base))
        paths.append(path)
    return paths


def launch(kubeconfig: Path, name: str, workdir: Path) -> Step:
    argv = [CLI, "run", "TrainingJob", "--kubeconfig", str(kubeconfig), "--namespace", NAMESPACE]
    argv += ["--outputs-dir", str(workdir / name)]
    inputs = samples.as_inputs(samples.kmeans_mnist_spec(), training_job_name=name)
    for key, value in inputs.items():
        argv += [f"--{key}", value]
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    return Step(name, process, time.time())


def follow(step: Step, log: Path) -> None:
    """In the step's own thread: copy its output to ``log``, noting when it says it is done,
    then wait for it (blocking): exit time, code and CPU time."""
    assert step.process.stdout is not None
    with log.open("wb") as out:
        for line in step.process.stdout:
            if step.said_done is None and line.lstrip().startswith(b"[") and b"] done:" in line:
                step.said_done = time.time()
            out.write(line)
    try:
        _, status, usage = os.wait4(step.process.pid, 0)
    except ChildProcessError:
        return
    step.ended = time.time()
    step.code = os.waitstatus_to_exitcode(status)
    step.process.returncode = step.code
    step.cpu_seconds = usage.ru_utime + usage.ru_stime


def kill(step: Step) -> None:
    """SIGKILL a step still running (its reaper thread then collects it)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(step.process.pid, signal.SIGKILL)


def run_once(n: int, syncs: int, timeout: float) -> dict[str, Any]:
    args: tuple[str, ...] = ()
    if syncs > 1:
        args = (f"--reconcile-resource-max-concurrent-syncs=TrainingJob={syncs}",)
    workdir = Path(tempfile.mkdtemp(prefix=f"load-{n}-"))
    stack = Stack(controller_args=args, audit=True)
    steps: list[Step] = []
    try:
        stack.start()
        assert stack.controller is not None and stack.emulator is not None
        assert stack.plane.state is not None
        api = config.new_client_from_config(config_file=str(stack.kubeconfig))
        kubeconfigs = step_users(api, stack.kubeconfig, n, workdir)
        parts = {
            "apiserver+etcd": [stack.plane.state.apiserver.pid, stack.plane.state.etcd.pid],
            "controller": [stack.controller.process.pid],
            "emulator": [stack.emulator.process.pid],
        }
        cpu_before = {k: sum(_process_cpu(p) for p in pids) for k, pids in parts.items()}
        sampler = Sampler(steps, stack.controller.metrics_url)
        began, machine_before, own_before = time.time(), _machine_cpu(), _own_cpu()
        steps.extend(launch(kubeconfigs[i], f"load-{n}-{i}", workdir) for i in range(n))
        reapers = [
            threading.Thread(target=follow, args=(s, workdir / f"{s.name}.log"), daemon=True)
            for s in steps
        ]
        for thread in reapers:
            thread.start()
        sampler.start()
        deadline = time.monotonic() + timeout
        for thread in reapers:
            thread.join(max(0.0, deadline - time.monotonic()))
        timed_out = [s for s in steps if s.ended is None]
        for step in timed_out:  # our own children, by pid
            kill(step)
        for thread in reapers:
            thread.join(10)
        sampler.stop()
        wall = time.time() - began
        machine_after = _machine_cpu()
        machine_busy = (machine_after[0] - machine_before[0]) / max(
            1, machine_after[1] - machine_before[1]
        )
        cpu = {k: sum(_process_cpu(p) for p in pids) - cpu_before[k] for k, pids in parts.items()}
        cpu["steps"] = sum(s.cpu_seconds for s in steps)
        cpu["this bench"] = _own_cpu() - own_before
        # what the machine spent that none of the above did (other work sharing the cores)
        cpu["others on the machine"] = max(
            0.0, (machine_after[0] - machine_before[0]) / TICKS - sum(cpu.values())
        )
        metrics = scrape(stack.controller.metrics_url)
        creates = Counter(c["name"] for c in stack.calls("CreateTrainingJob"))
        events = stack.plane.audit_events()
        throttled = stack.controller_log().count("client-side throttling")
    finally:
        for step in steps:
            if step.ended is None:
                kill(step)
        stack.stop()
    if any(s.code != 0 for s in steps):
        print(f"N={n}: the steps' output is in {workdir}", file=sys.stderr)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return summarize(n, syncs, steps, timed_out, wall, cpu, metrics, creates, events, sampler) | {
        "throttled": throttled,
        "cpu_mean": machine_busy,
    }


def summarize(
    n: int,
    syncs: int,
    steps: list[Step],
    timed_out: list[Step],
    wall: float,
    cpu: dict[str, float],
    metrics: dict[str, float],
    creates: Counter[str],
    events: list[dict[str, Any]],
    sampler: Sampler,
) -> dict[str, Any]:
    completed = [e for e in events if e["stage"] == "ResponseComplete"]
    status_writes: dict[str, list[float]] = {}
    created_at: dict[str, float] = {}
    requests: Counter[str] = Counter()
    prefix = f"/apis/sagemaker.services.k8s.aws/v1alpha1/namespaces/{NAMESPACE}/{PLURAL}"
    for event in events:
        user = event["user"]["username"]
        if event["stage"] == "RequestReceived" and user.startswith(f"{STEP_USER}step-"):
            requests[user] += 1
    for event in completed:
        uri = event["requestURI"].split("?")[0]
        if not uri.startswith(prefix):
            continue
        name, _, sub = uri[len(prefix) :].lstrip("/").partition("/")
        if event["verb"] == "patch" and sub == "status" and event["responseStatus"]["code"] < 300:
            status_writes.setdefault(name, []).append(audit_time(event))
        if event["verb"] == "create" and event["responseStatus"]["code"] < 300:
            # the create's URI has no name: the step's own service account tells which
            user = event["user"]["username"].removeprefix(f"{STEP_USER}step-")
            created_at[f"load-{n}-{user}"] = audit_time(event)
    to_exit, to_done, first_status, cold = [], [], [], []
    for step in steps:
        writes = sorted(status_writes.get(step.name, []))
        if step.ended is not None and writes:
            before_exit = [t for t in writes if t <= step.ended]
            if before_exit:
                to_exit.append(step.ended - before_exit[-1])
                if step.said_done is not None:
                    to_done.append(step.said_done - before_exit[-1])
        if step.name in created_at:
            cold.append(created_at[step.name] - step.started)
        if writes and step.name in created_at:
            first_status.append(writes[0] - created_at[step.name])
    last_create = max(created_at.values(), default=0.0)
    start_phase = [busy for t, busy in sampler.cpu_samples if t <= last_create + 0.5]
    walls = [s.ended - s.started for s in steps if s.ended is not None]
    codes = Counter(s.code for s in steps if s not in timed_out)
    per_step = [requests[f"{STEP_USER}step-{i}"] for i in range(n)]
    reconcile = histogram(metrics, "controller_runtime_reconcile_time_seconds")
    queue = histogram(metrics, "workqueue_queue_duration_seconds")
    return {
        "n": n,
        "syncs": syncs,
        "ok": codes.get(0, 0),
        "codes": {str(k): v for k, v in codes.items() if k != 0},
        "timed_out": len(timed_out),
        "duplicates": sum(1 for s in steps if creates[s.name] > 1),
        "no_create": sum(1 for s in steps if creates[s.name] == 0),
        "to_exit_ms": (percentile(to_exit, 0.5) * 1000, percentile(to_exit, 0.99) * 1000),
        "to_done_ms": (percentile(to_done, 0.5) * 1000, percentile(to_done, 0.99) * 1000),
        "wall_s": (percentile(walls, 0.5), percentile(walls, 0.99)),
        "cold_s": (percentile(cold, 0.5), percentile(cold, 0.99)),
        "cpu_start_phase": sum(start_phase) / len(start_phase) if start_phase else float("nan"),
        "first_status_s": (percentile(first_status, 0.5), percentile(first_status, 0.99)),
        "requests": (sum(per_step) / n, max(per_step)),
        "rss_mb": sampler.peak_rss_mb,
        "reconcile_s": reconcile,
        "reconciles": metrics.get("controller_runtime_reconcile_time_seconds_count", 0.0),
        "queue_s": queue,
        "depth": sampler.peak_depth,
        "longest_s": sampler.peak_longest_running,
        "workers": (
            sampler.peak_active_workers,
            metrics.get("controller_runtime_max_concurrent_reconciles", 0.0),
        ),
        "cpu": cpu,
        "cpu_peak": sampler.peak_cpu_busy,
        "run_s": wall,
    }


def pair(values: tuple[float, float], fmt: str) -> str:
    return " / ".join(format(v, fmt) for v in values)


def table(rows: list[dict[str, Any]]) -> str:
    lines: list[tuple[str, list[str]]] = [
        ("run", [f"N={r['n']} syncs={r['syncs']}" for r in rows]),
        (
            "finished (exit 0 / N)",
            [
                f"{r['ok']}/{r['n']}"
                + (f" {r['codes']}" if r["codes"] else "")
                + (f" {r['timed_out']} timed out" if r["timed_out"] else "")
                for r in rows
            ],
        ),
        ("duplicate Creates / no Create", [f"{r['duplicates']} / {r['no_create']}" for r in rows]),
        ("status change→exit p50/p99 ms", [pair(r["to_exit_ms"], ".0f") for r in rows]),
        ("  of which → 'done' printed p50/p99 ms", [pair(r["to_done_ms"], ".0f") for r in rows]),
        ("step wall p50/p99 s", [pair(r["wall_s"], ".1f") for r in rows]),
        ("step start→CR created p50/p99 s", [pair(r["cold_s"], ".1f") for r in rows]),
        ("CR created→1st status p50/p99 s", [pair(r["first_status_s"], ".2f") for r in rows]),
        (
            "API requests/step mean/max",
            [f"{r['requests'][0]:.1f} / {r['requests'][1]}" for r in rows],
        ),
        ("CPU s per step", [f"{r['cpu']['steps'] / r['n']:.2f}" for r in rows]),
        ("steps' peak total RSS MB", [f"{r['rss_mb']:.0f}" for r in rows]),
        ("reconcile mean / p99 bucket s", [pair(r["reconcile_s"], ".3f") for r in rows]),
        ("reconciles", [f"{r['reconciles']:.0f}" for r in rows]),
        ("workqueue wait mean / p99 bkt s", [pair(r["queue_s"], ".3f") for r in rows]),
        ("workqueue peak depth", [f"{r['depth']:.0f}" for r in rows]),
        ("longest running reconcile s", [f"{r['longest_s']:.2f}" for r in rows]),
        ("active workers peak / max", [pair(r["workers"], ".0f") for r in rows]),
        ("client-side throttling waits", [str(r["throttled"]) for r in rows]),
        *[
            (f"CPU s: {part}", [f"{r['cpu'][part]:.1f}" for r in rows])
            for part in (
                "steps",
                "apiserver+etcd",
                "controller",
                "emulator",
                "this bench",
                "others on the machine",
            )
        ],
        (
            "machine CPU busy: creates / run",
            [f"{r['cpu_start_phase'] * 100:.0f}% / {r['cpu_mean'] * 100:.0f}%" for r in rows],
        ),
        ("run wall s", [f"{r['run_s']:.0f}" for r in rows]),
    ]
    width = max(len(label) for label, _ in lines)
    cols = [max(len(cells[i]) for _, cells in lines) for i in range(len(rows))]
    return "\n".join(
        f"{label:<{width}}  " + "  ".join(f"{c:>{cols[i]}}" for i, c in enumerate(cells))
        for label, cells in lines
    )


def conclusion(rows: list[dict[str, Any]]) -> str:
    largest = max(r["n"] for r in rows)
    one = next((r for r in rows if r["n"] == largest and r["syncs"] == 1), None)
    more = next((r for r in rows if r["n"] == largest and r["syncs"] > 1), None)
    if one is None:
        return "conclusion: no run with the default one worker"
    ours = {k: v for k, v in one["cpu"].items() if k != "others on the machine"}
    top = max(ours, key=ours.__getitem__)
    share = ours[top] / max(1e-9, sum(ours.values()))
    facts = (
        f"N={largest}, 1 worker: CPU {one['cpu_start_phase'] * 100:.0f}% busy while the steps "
        f"create their jobs (start→create p99 {one['cold_s'][1]:.1f} s), {share * 100:.0f}% of "
        f"the stack's CPU-seconds in {top} (steps: {one['cpu']['steps'] / one['n']:.1f} s "
        f"each; other work on the machine: {one['cpu']['others on the machine']:.0f} s); "
        f"a new job waits p99 {one['first_status_s'][1]:.2f} s for the controller "
        f"(queue depth peak {one['depth']:.0f})"
    )
    if more is not None:
        facts += (
            f"; with {more['syncs']} syncs: waits p99 {more['first_status_s'][1]:.2f} s, "
            f"step wall p99 {one['wall_s'][1]:.1f} → {more['wall_s'][1]:.1f} s"
        )
    worker_bound = more is not None and (
        one["first_status_s"][1] > 2 * more["first_status_s"][1] + 1.0
        and one["wall_s"][1] - more["wall_s"][1] > 2.0
    )
    cpu_bound = one["cpu_start_phase"] >= 0.9
    if worker_bound:
        first = (
            "the controller's single TrainingJob worker; set "
            f"--reconcile-resource-max-concurrent-syncs TrainingJob={more['syncs'] if more else 10}"
        )
    elif cpu_bound:
        first = f"the machine's CPU, taken by {top}, before the controller's worker"
    else:
        first = "nothing: neither the worker nor the CPU is saturated"
    return f"conclusion: {facts} → saturates first: {first}."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, nargs="+", default=[10, 50, 100], help="step counts")
    parser.add_argument(
        "--syncs",
        type=int,
        default=10,
        help="concurrent TrainingJob reconciles for the extra run at the largest N (0: none)",
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per run")
    args = parser.parse_args()
    plan = [(n, 1) for n in args.n]
    if args.syncs > 1:
        plan.append((max(args.n), args.syncs))
    rows = []
    for n, syncs in plan:
        print(f"running N={n} syncs={syncs} …", file=sys.stderr, flush=True)
        rows.append(run_once(n, syncs, args.timeout))
    print(table(rows))
    print(conclusion(rows))


if __name__ == "__main__":
    main()
