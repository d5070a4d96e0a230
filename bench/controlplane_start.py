"""Bench: local control plane start-to-ready time with cached binaries (target <= 10 s).

Prints the median of N starts (etcd + kube-apiserver until /readyz and the
default namespace), the time to install and establish all CRDs, and each
binary's size. Numbers only; nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from kubernetes import config

from ack_components_sandbox.base import binaries
from ack_components_sandbox.cluster import crds
from ack_components_sandbox.cluster.controlplane import ControlPlane


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    ready, with_crds = [], []
    docs = crds.load(crds.all_crd_files())
    for _ in range(args.runs):
        started = time.monotonic()
        plane = ControlPlane().start()
        ready.append(time.monotonic() - started)
        crds.install(config.new_client_from_config(str(plane.kubeconfig)), docs)
        with_crds.append(time.monotonic() - started)
        plane.stop()
    sizes = {
        b.name: round(b.path().stat().st_size / 2**20, 1)
        for b in (binaries.kube_apiserver(), binaries.etcd(), binaries.kubectl())
    }
    print(
        json.dumps(
            {
                "bench": "controlplane_start",
                "runs": args.runs,
                "start_to_ready_s_median": round(statistics.median(ready), 2),
                "start_to_ready_s_all": [round(t, 2) for t in ready],
                "with_all_crds_established_s_median": round(statistics.median(with_crds), 2),
                "crds": len(docs),
                "binary_sizes_mib": sizes,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
