"""Bench: the TrainingJob component on the real API server (numbers, not assertions).

Measures, with the component run as its own process and a stand-in writing
``.status`` (see ack_components_sandbox.testing.status_writer):
- status-change-to-exit latency, p50/p99 over --runs runs (target p99 <= 250 ms);
- cold start (process start) to CR created, median (target <= 1.0 s), from the
  API server's audit log;
- peak RSS of the component process (target <= 80 MB);
- API requests the component sends for a job that runs --job-minutes minutes
  (target <= 5), counted in the audit log by the component's own user;
- SIGTERM to exit: a step 20 s into its job (its watch open) is sent SIGTERM; the
  seconds until it has deleted its resource and exited (target <= 15).
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from kubernetes import client, config

from ack_components import kinds, rbac
from ack_components_sandbox.cluster import crds
from ack_components_sandbox.cluster.controlplane import ControlPlane
from ack_components_sandbox.testing import samples, status_writer

CLI = str(Path(sys.executable).parent / "ack-components")
PLURAL = kinds.TRAINING_JOB.plural
INPUTS = samples.as_inputs(samples.kmeans_mnist_spec())


def component_user(api: Any, plane: ControlPlane, namespace: str, workdir: Path) -> Path:
    """A service account holding the documented Role; its kubeconfig."""
    core, rbac_api = client.CoreV1Api(api), client.RbacAuthorizationV1Api(api)
    core.create_namespaced_service_account(namespace, {"metadata": {"name": "bench"}})
    rbac_api.create_namespaced_role(namespace, rbac.role("bench", namespace, [kinds.TRAINING_JOB]))
    rbac_api.create_namespaced_role_binding(
        namespace, rbac.role_binding("bench", namespace, "bench")
    )
    token = core.create_namespaced_service_account_token(
        "bench", namespace, {"spec": {"expirationSeconds": 86400}}
    ).status.token
    kubeconfig = json.loads(plane.kubeconfig.read_text())
    kubeconfig["users"][0]["user"] = {"token": token}
    path = workdir / "bench.kubeconfig"
    path.write_text(json.dumps(kubeconfig))
    return path


def start(kubeconfig: Path, namespace: str, name: str) -> subprocess.Popen[bytes]:
    argv = [CLI, "run", "TrainingJob", "--kubeconfig", str(kubeconfig), "--namespace", namespace]
    for key, value in {**INPUTS, "training_job_name": name}.items():
        argv += [f"--{key}", value]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_with_peak_memory(process: subprocess.Popen[bytes]) -> tuple[int, float]:
    """Exit code and the process's own peak RSS in MB (VmHWM, read until it exits).

    Not ``wait4``'s ru_maxrss: Linux carries the parent's high-water mark into a child
    started by (v)fork + exec, so it would report this benchmark's own memory.
    """
    peak_kb = 0
    while process.poll() is None:
        try:
            status = Path(f"/proc/{process.pid}/status").read_text()
        except OSError:
            break
        line = next((x for x in status.splitlines() if x.startswith("VmHWM:")), "")
        peak_kb = max(peak_kb, int(line.split()[1]) if line else 0)
        time.sleep(0.01)
    return process.wait(), peak_kb / 1024


def audit_time(event: dict[str, Any]) -> float:
    return datetime.fromisoformat(
        event["requestReceivedTimestamp"].replace("Z", "+00:00")
    ).timestamp()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--job-minutes", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ControlPlane(audit=True) as plane:
        api = config.new_client_from_config(str(plane.kubeconfig))
        crd = [
            d
            for d in crds.load(crds.sagemaker_crd_files())
            if d["spec"]["names"]["kind"] == "TrainingJob"
        ]
        crds.install(api, crd)
        namespace = "bench"
        client.CoreV1Api(api).create_namespace({"metadata": {"name": namespace}})
        kubeconfig = component_user(api, plane, namespace, Path(tmp))
        user = f"system:serviceaccount:{namespace}:bench"

        latencies, cold_starts, rss_mb = [], [], []
        for i in range(args.runs):
            name = f"bench-{i}"
            launched = time.time()
            process = start(kubeconfig, namespace, name)
            status_writer.wait_for(api, namespace, PLURAL, name)
            steps = status_writer.training_lifecycle(name)
            status_writer.write(api, namespace, PLURAL, name, steps[0])
            time.sleep(0.3)
            changed = time.monotonic()
            status_writer.write(api, namespace, PLURAL, name, steps[-1])
            code, peak_mb = wait_with_peak_memory(process)
            latencies.append((time.monotonic() - changed) * 1000)
            rss_mb.append(peak_mb)
            created = [  # create requests carry no name at this stage: runs go one by one
                e
                for e in plane.audit_events()
                if e["verb"] == "create"
                and e.get("objectRef", {}).get("resource") == PLURAL
                and e["stage"] == "RequestReceived"
            ]
            cold_starts.append(audit_time(created[-1]) - launched)
            if code != 0:
                raise SystemExit(f"run {i} exited {code}")

        name = "bench-long"
        before = len(plane.audit_events())
        process = start(kubeconfig, namespace, name)
        status_writer.wait_for(api, namespace, PLURAL, name)
        steps = status_writer.training_lifecycle(name)
        status_writer.write(api, namespace, PLURAL, name, steps[0])
        time.sleep(args.job_minutes * 60)
        status_writer.write(api, namespace, PLURAL, name, steps[-1])
        process.wait()
        requests = [
            f"{e['verb']} {e['requestURI'].split('?')[0]}"
            for e in plane.audit_events()[before:]
            if e["user"]["username"] == user and e["stage"] == "RequestReceived"
        ]
        name = "bench-stop"
        process = start(kubeconfig, namespace, name)
        status_writer.wait_for(api, namespace, PLURAL, name)
        status_writer.write(api, namespace, PLURAL, name, steps[0])
        time.sleep(20)
        stopped_at = time.monotonic()
        process.send_signal(signal.SIGTERM)
        stop_code = process.wait()
        sigterm_to_exit = time.monotonic() - stopped_at
        left = client.CustomObjectsApi(api).list_namespaced_custom_object(
            kinds.TRAINING_JOB.group, kinds.TRAINING_JOB.version, namespace, PLURAL
        )["items"]
        print(
            json.dumps(
                {
                    "bench": "component",
                    "runs": args.runs,
                    "status_change_to_exit_ms_p50": round(percentile(latencies, 0.50), 1),
                    "status_change_to_exit_ms_p99": round(percentile(latencies, 0.99), 1),
                    "cold_start_to_cr_created_s_median": round(statistics.median(cold_starts), 3),
                    "peak_rss_mb_max": round(max(rss_mb), 1),
                    "job_minutes": args.job_minutes,
                    "api_requests_for_that_job": len(requests),
                    "requests": requests,
                    "sigterm_to_exit_s": round(sigterm_to_exit, 2),
                    "sigterm_exit_code": stop_code,
                    "stopped_resource_left": any(r["metadata"]["name"] == name for r in left),
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
