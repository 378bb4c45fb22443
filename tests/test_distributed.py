"""Under DDP, MMD is per process by default and global with gather=true (2 gloo processes)."""

from __future__ import annotations

import os
import socket

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from da.losses.mmd import MMDLoss
from tests.losses.helpers import make_inputs


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, port: int, x: torch.Tensor, y: torch.Tensor, out: dict) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=2)
    try:
        half = len(x) // 2
        xs, ys = x[rank * half:(rank + 1) * half], y[rank * half:(rank + 1) * half]
        bw = [1.0, 4.0]
        for gather in (False, True):
            inp = make_inputs(xs, ys, requires_grad=True)
            loss = MMDLoss(x.shape[1], 3, bandwidths=bw, gather=gather)(inp).loss
            loss.backward()
            out[(rank, gather)] = (loss.item(), inp.f_s.grad.clone())
    finally:
        dist.destroy_process_group()


def test_mmd_per_process_by_default_and_global_when_gathered():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(16, 3, generator=g), torch.randn(16, 3, generator=g) + 0.7
    with mp.Manager() as manager:
        out = manager.dict()
        mp.spawn(_worker, args=(_free_port(), x, y, out), nprocs=2, join=True)
        out = dict(out)
    bw = [1.0, 4.0]
    full = MMDLoss(3, 3, bandwidths=bw)(make_inputs(x, y)).loss.item()
    for rank in (0, 1):
        local = MMDLoss(3, 3, bandwidths=bw)(make_inputs(x[rank * 8:(rank + 1) * 8],
                                                        y[rank * 8:(rank + 1) * 8])).loss.item()
        assert abs(out[(rank, False)][0] - local) < 1e-6  # default: this process's half only
        assert abs(out[(rank, True)][0] - full) < 1e-6    # gather=true: the global batch
    assert abs(out[(0, False)][0] - full) > 1e-3  # the two really differ on this data
    # gathered gradients reach each process's own rows and equal the full-batch gradient
    inp = make_inputs(x, y, requires_grad=True)
    MMDLoss(3, 3, bandwidths=bw)(inp).loss.backward()
    full_grad = inp.f_s.grad
    # all-gather's backward sums both processes' (identical) losses' gradients; DDP then
    # averages parameter gradients over the 2 processes, which cancels the factor 2
    for rank in (0, 1):
        torch.testing.assert_close(out[(rank, True)][1], 2 * full_grad[rank * 8:(rank + 1) * 8],
                                   atol=1e-5, rtol=1e-4)
