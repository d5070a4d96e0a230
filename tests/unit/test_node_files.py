"""The node's generated files: one-program OCI images, containerd's and the CNI config."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import tomllib
from pathlib import Path

from ack_components_sandbox.base import host
from ack_components_sandbox.base.processes import ProcessRef
from ack_components_sandbox.cluster import cluster_dns, images, node


def members(archive: bytes) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        return {info.name: info for info in tar.getmembers()}


def read(archive: bytes, name: str) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        extracted = tar.extractfile(name)
        assert extracted is not None
        return extracted.read()


def blob(archive: bytes, digest: str) -> bytes:
    content = read(archive, f"blobs/sha256/{digest.removeprefix('sha256:')}")
    assert hashlib.sha256(content).hexdigest() == digest.removeprefix("sha256:")
    return content


def test_an_image_is_its_program_as_the_one_layer(tmp_path: Path) -> None:
    program = tmp_path / "tinybox"
    program.write_bytes(b"\x7fELF a static program")
    image = images.Image("ack-components.local/tinybox:abc", program, ("echo", "hi"))
    archive = images.oci_archive(image)

    assert archive == images.oci_archive(image)  # same program, same digests
    assert json.loads(read(archive, "oci-layout")) == {"imageLayoutVersion": "1.0.0"}
    [descriptor] = json.loads(read(archive, "index.json"))["manifests"]
    assert descriptor["annotations"]["io.containerd.image.name"] == image.name
    assert descriptor["annotations"]["org.opencontainers.image.ref.name"] == "abc"
    manifest = json.loads(blob(archive, descriptor["digest"]))
    config = json.loads(blob(archive, manifest["config"]["digest"]))
    [layer_descriptor] = manifest["layers"]
    layer = blob(archive, layer_descriptor["digest"])
    assert config["rootfs"]["diff_ids"] == [layer_descriptor["digest"]]  # an uncompressed layer
    assert config["config"] == {
        "Entrypoint": ["/tinybox"],
        "Cmd": ["echo", "hi"],
        "Env": ["PATH=/bin"],
        "WorkingDir": "/",
    }
    entries = members(layer)
    assert sorted(entries) == ["tinybox", "tmp"]
    entry, tmp = entries["tinybox"], entries["tmp"]
    assert (entry.name, entry.mode, entry.mtime, entry.uid) == ("tinybox", 0o755, 0, 0)
    assert tmp.isdir() and tmp.mode == 0o1777  # programs that write temporary files need it
    assert read(layer, "tinybox") == program.read_bytes()


def test_containerd_runs_runc_with_cgroupfs_from_its_own_directories(tmp_path: Path) -> None:
    config = tomllib.loads(node.containerd_config(tmp_path))
    assert config["root"].startswith(str(tmp_path)) and config["state"].startswith(str(tmp_path))
    assert config["grpc"]["address"] == str(tmp_path / "containerd.sock")
    cri = config["plugins"]["io.containerd.grpc.v1.cri"]
    assert cri["restrict_oom_score_adj"] is True
    assert cri["sandbox_image"] == images.PAUSE_IMAGE
    runc = cri["containerd"]["runtimes"]["runc"]
    assert runc["runtime_type"] == "io.containerd.runc.v2"
    assert runc["options"]["SystemdCgroup"] is False
    assert cri["cni"]["conf_dir"] == str(tmp_path / "cni")
    assert config["plugins"]["io.containerd.internal.v1.opt"]["path"].startswith(str(tmp_path))


def test_the_bridge_network_is_the_sandboxs_own(tmp_path: Path) -> None:
    [bridge] = node.cni_config(tmp_path)["plugins"]
    assert bridge["bridge"] == node.BRIDGE and bridge["isGateway"] is True
    [[subnet]] = bridge["ipam"]["ranges"]
    assert subnet == {"subnet": node.SUBNET, "gateway": node.NODE_IP}
    assert bridge["ipam"]["dataDir"].startswith(str(tmp_path))  # reservations go with the dir


def test_the_node_state_survives_the_state_file(tmp_path: Path) -> None:
    before = host.HostSnapshot(
        {"net/ipv4/ip_forward": "0"}, {"iptables:nat": ["OUTPUT"]}, ["/"], [], []
    )
    kubelet = ProcessRef("kubelet", 42, "/bin/kubelet", "/tmp/kubelet.log", ("kubelet", "--v=1"))
    state = node.NodeState(
        str(tmp_path),
        before,
        processes={"kubelet": kubelet},
        health_urls={"kubelet": "http://127.0.0.1:1/healthz"},
    )
    assert node.NodeState.from_json(json.loads(json.dumps(state.to_json()))) == state


def test_a_directory_too_deep_for_the_kubelets_sockets_is_moved_to_a_short_one() -> None:
    shallow = Path("/tmp/sandbox/node")
    assert node.node_dir(shallow) == shallow
    deep = Path("/tmp/pytest-of-root/pytest-104/test_a_pod_runs_on_the_node_an0/sandbox/node")
    moved = node.node_dir(deep)
    assert moved.parent == node.SHORT_ROOT and moved == node.node_dir(deep)
    deepest_socket = moved / "kubelet" / "pod-resources" / "2345475583"
    assert len(str(deepest_socket)) <= 107


def test_pods_get_the_cluster_dns_only_where_coredns_runs(tmp_path: Path) -> None:
    state = node.NodeState(str(tmp_path), host.snapshot())
    without = node.kubelet_config(state, 10250, 10248)
    assert "clusterDNS" not in without and "clusterDomain" not in without
    with_dns = node.kubelet_config(state, 10250, 10248, cluster_dns.SERVICE_IP)
    assert with_dns["clusterDNS"] == ["10.0.0.10"] and with_dns["clusterDomain"] == "cluster.local"
    (service,) = [m for m in cluster_dns.manifests() if m["kind"] == "Service"]
    assert service["metadata"]["name"] == "kube-dns"
    assert service["spec"]["clusterIP"] == cluster_dns.SERVICE_IP
    assert "kubernetes cluster.local" in cluster_dns.COREFILE
