"""Distributed data-parallel training on CPU (gloo), the same script on SageMaker and on a
Kubernetes PyTorchJob.

Where it runs decides only how the processes find each other and where the model goes:

- on a PyTorchJob, Kubeflow's training operator sets ``MASTER_ADDR``, ``MASTER_PORT``,
  ``WORLD_SIZE`` and ``RANK`` in every replica; rank 0 writes the model as
  ``model.tar.gz`` to ``MODEL_ARTIFACT_URL`` (an ``s3://`` URI the PyTorchJob component
  sets) or, without it, to ``--model-dir``;
- on SageMaker, which starts the image with the argument ``train``, the hyperparameters
  come from ``/opt/ml/input/config/hyperparameters.json`` and the hosts from
  ``resourceconfig.json`` beside it; the first host is the master; the model goes to
  ``/opt/ml/model``, which SageMaker uploads as the job's ``model.tar.gz``.

The data is made here, the same on every rank (a seeded linear problem with noise), and
each rank trains on its own shard. Every epoch, every rank prints its loss, averaged over
all ranks, so the log shows it going down.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tarfile
from datetime import timedelta
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

FEATURES = 8
SAMPLES = 4096
SAGEMAKER_CONFIG = Path("/opt/ml/input/config")
SAGEMAKER_MODEL_DIR = "/opt/ml/model"
SAGEMAKER_MASTER_PORT = "29500"


def arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--model-dir", default="/tmp/model")
    return parser.parse_args(argv)


def sagemaker_arguments() -> list[str]:
    """SageMaker's hyperparameters (all strings) as this script's options."""
    given = json.loads((SAGEMAKER_CONFIG / "hyperparameters.json").read_text())
    options = [f"--{key.replace('_', '-')}={value}" for key, value in sorted(given.items())]
    return [*options, f"--model-dir={SAGEMAKER_MODEL_DIR}"]


def join_the_group() -> tuple[int, int]:
    """This process's rank and the world size, after joining the others (if any)."""
    resources = SAGEMAKER_CONFIG / "resourceconfig.json"
    if resources.is_file():  # SageMaker: one process per host, the first is the master
        config = json.loads(resources.read_text())
        hosts = sorted(config["hosts"])
        os.environ.setdefault("MASTER_ADDR", hosts[0])
        os.environ.setdefault("MASTER_PORT", SAGEMAKER_MASTER_PORT)
        os.environ["WORLD_SIZE"] = str(len(hosts))
        os.environ["RANK"] = str(hosts.index(config["current_host"]))
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    if world > 1:
        dist.init_process_group("gloo", timeout=timedelta(minutes=5))
    return rank, world


def dataset() -> TensorDataset:
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(SAMPLES, FEATURES, generator=generator)
    weights = torch.randn(FEATURES, 1, generator=generator)
    targets = inputs @ weights + 0.1 * torch.randn(SAMPLES, 1, generator=generator)
    return TensorDataset(inputs, targets)


def mean_over_ranks(value: float, world: int) -> float:
    if world == 1:
        return value
    total = torch.tensor([value])
    dist.all_reduce(total)
    return float(total.item()) / world


def train(args: argparse.Namespace, rank: int, world: int) -> nn.Module:
    torch.manual_seed(0)  # the same initial weights on every rank
    model: nn.Module = nn.Linear(FEATURES, 1)
    if world > 1:
        model = DistributedDataParallel(model)
    data = dataset()
    sampler = DistributedSampler(data, num_replicas=world, rank=rank, shuffle=True, seed=0)
    loader = DataLoader(data, batch_size=args.batch_size, sampler=sampler)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    loss_function = nn.MSELoss()
    for epoch in range(1, args.epochs + 1):
        sampler.set_epoch(epoch)
        total, batches = 0.0, 0
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss = loss_function(model(inputs), targets)
            loss.backward()  # DDP averages the gradients across ranks here
            optimizer.step()
            total, batches = total + loss.item(), batches + 1
        loss_now = mean_over_ranks(total / batches, world)
        print(f"rank {rank}/{world} epoch {epoch} loss {loss_now:.6f}", flush=True)
    return model.module if isinstance(model, DistributedDataParallel) else model


def model_archive(model: nn.Module) -> bytes:
    """``model.tar.gz`` holding ``model.pt`` (the state dict), as SageMaker packs a model."""
    weights = io.BytesIO()
    torch.save(model.state_dict(), weights)
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        info = tarfile.TarInfo("model.pt")
        info.size = len(weights.getvalue())
        tar.addfile(info, io.BytesIO(weights.getvalue()))
    return out.getvalue()


def save(model: nn.Module, model_dir: str) -> str:
    url = os.environ.get("MODEL_ARTIFACT_URL", "")
    if url.startswith("s3://"):
        import boto3  # only where the model goes to S3

        bucket, _, key = url.removeprefix("s3://").partition("/")
        s3 = boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None)
        s3.put_object(Bucket=bucket, Key=key, Body=model_archive(model))
        return url
    Path(model_dir).mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), Path(model_dir) / "model.pt")
    return str(Path(model_dir) / "model.pt")


def main(argv: list[str]) -> int:
    args = arguments(sagemaker_arguments() if argv[:1] == ["train"] else argv)
    rank, world = join_the_group()
    print(f"rank {rank}/{world}: training {args.epochs} epochs, lr {args.lr}", flush=True)
    model = train(args, rank, world)
    if rank == 0:
        print(f"rank 0: model written to {save(model, args.model_dir)}", flush=True)
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
