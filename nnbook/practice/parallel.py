"""Data parallelism over MPI (mpi4py), the ring all-reduce and its cost model, pipeline
(GPipe) timelines and the roofline of a dense layer.

Derived in :doc:`/book/practice/hardware-and-scale`. mpi4py is imported only by the
functions that need a communicator; everything else is plain NumPy. Run the benchmark
on two processes of one machine with::

    mpirun -n 2 python -m nnbook.practice.parallel_bench --steps 20

and on several machines by giving ``mpirun`` a host file (``--hostfile hosts``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import numpy as np

from .._checks import as_float_array, check_int, check_positive, check_type
from ..nn.losses import CrossEntropyLoss
from ..nn.module import Module
from ..train.loop import LossFn

__all__ = [
    "ring_allreduce", "ring_allreduce_cost", "mpi_ring_allreduce", "shard",
    "data_parallel_step", "gpipe_schedule", "bubble_fraction", "dense_roofline",
]


# --- the ring all-reduce --------------------------------------------------------------


def ring_allreduce(arrays: list[np.ndarray]) -> tuple[list[np.ndarray], int]:
    """Simulate the ring all-reduce of p equal-shaped arrays, one per process.

    Each array is cut into p chunks. Reduce-scatter: in step t = 0..p-2 process r
    sends chunk (r - t) mod p to process r+1, which adds it to its own; afterwards
    process r holds the full sum of chunk (r + 1) mod p. All-gather: p-1 more steps
    pass the summed chunks around the ring. Returns (the p results, all equal to the
    sum, and the number of elements each process sent: 2 (p-1) ceil(N/p) for N
    elements).
    Derived in :doc:`/book/practice/hardware-and-scale`.
    """
    check_type(arrays, list, "arrays")
    p = len(arrays)
    if p == 0:
        raise ValueError("arrays must hold one array per process; got none")
    shape = np.shape(arrays[0])
    if any(np.shape(a) != shape for a in arrays):
        raise ValueError("arrays must all have the same shape")
    bufs = [np.array(a, dtype=np.float64).ravel() for a in arrays]
    chunks = [np.array_split(b, p) for b in bufs]      # views into bufs
    sent = 0
    for t in range(p - 1):                              # reduce-scatter
        msgs = [chunks[r][(r - t) % p].copy() for r in range(p)]
        for r in range(p):
            chunks[(r + 1) % p][(r - t) % p] += msgs[r]
        sent += max(len(m) for m in msgs)
    for t in range(p - 1):                              # all-gather
        msgs = [chunks[r][(r + 1 - t) % p].copy() for r in range(p)]
        for r in range(p):
            chunks[(r + 1) % p][(r + 1 - t) % p][...] = msgs[r]
        sent += max(len(m) for m in msgs)
    return [b.reshape(shape) for b in bufs], sent


def ring_allreduce_cost(n_bytes: float, p: int, alpha: float,
                        beta: float) -> float:
    """Time of a ring all-reduce of ``n_bytes`` over ``p`` processes in the
    latency-bandwidth model: T = 2 (p - 1) alpha + 2 (p - 1) / p * n_bytes * beta,
    alpha the latency of one message (s), beta the time per byte (s/B)."""
    p = check_int(p, "p")
    n = check_positive(n_bytes, "n_bytes", strict=False)
    a = check_positive(alpha, "alpha", strict=False)
    b = check_positive(beta, "beta", strict=False)
    return 2 * (p - 1) * a + 2 * (p - 1) / p * n * b


def mpi_ring_allreduce(comm: Any, x: np.ndarray) -> np.ndarray:
    """The ring all-reduce (sum) of ``x`` across ``comm`` with point-to-point
    ``Sendrecv``: the algorithm of :func:`ring_allreduce` on real processes. Returns a
    new array; every rank gets the same sum as ``comm.Allreduce``."""
    p, r = comm.Get_size(), comm.Get_rank()
    buf = np.array(x, dtype=np.float64).ravel()
    chunks = np.array_split(buf, p)
    right, left = (r + 1) % p, (r - 1) % p
    for t in range(p - 1):
        send = chunks[(r - t) % p].copy()
        recv = np.empty_like(chunks[(r - t - 1) % p])
        comm.Sendrecv(send, dest=right, recvbuf=recv, source=left)
        chunks[(r - t - 1) % p] += recv
    for t in range(p - 1):
        send = chunks[(r + 1 - t) % p].copy()
        recv = np.empty_like(chunks[(r - t) % p])
        comm.Sendrecv(send, dest=right, recvbuf=recv, source=left)
        chunks[(r - t) % p][...] = recv
    return buf.reshape(np.shape(x))


# --- data parallelism -----------------------------------------------------------------


def shard(n: int, rank: int, size: int) -> slice:
    """Rows ``[start, stop)`` of a batch of n that process ``rank`` of ``size`` handles
    (contiguous, sizes differing by at most one)."""
    n, size = check_int(n, "n"), check_int(size, "size")
    rank = check_int(rank, "rank", minimum=0, maximum=size - 1)
    edges = np.linspace(0, n, size + 1).round().astype(int)
    return slice(int(edges[rank]), int(edges[rank + 1]))


def data_parallel_step(model: Module, X: np.ndarray, y: np.ndarray, optimizer: Any,
                       comm: Any, loss_fn: LossFn | None = None) -> float:
    """One synchronous data-parallel step: this process's rows of the global batch.

    Each process holds the same weights and its shard (X, y) of n_r rows of a global
    batch of n = sum n_r. It computes the gradient of its mean loss, weights it by
    n_r / n, and the processes sum the weighted gradients with ``comm.Allreduce``: the
    result is the gradient of the mean loss over the global batch, so every process
    applies the same update and the weights stay identical. Returns the global mean
    loss. Derived in :doc:`/book/practice/hardware-and-scale`.
    """
    from mpi4py import MPI

    check_type(model, Module, "model")
    X = as_float_array(X, "X")
    loss_fn = CrossEntropyLoss() if loss_fn is None else loss_fn
    n_local = X.shape[0]
    n = comm.allreduce(n_local, op=MPI.SUM)
    model.zero_grad()
    value, dZ = loss_fn(model(X), y)
    model.backward(dZ, input_grad=False)
    grads = model.gradients()
    names = sorted(grads)
    flat = np.concatenate([grads[k].ravel() for k in names]).astype(np.float64)
    flat *= n_local / n
    total = np.empty_like(flat)
    comm.Allreduce(flat, total, op=MPI.SUM)
    offset = 0
    for k in names:
        g = grads[k]
        g[...] = total[offset:offset + g.size].reshape(g.shape)
        offset += g.size
    optimizer.step(model.parameters(), grads)
    return float(comm.allreduce(float(value) * n_local, op=MPI.SUM) / n)


# --- pipeline parallelism -------------------------------------------------------------


def gpipe_schedule(n_stages: int, n_micro: int, t_fwd: float = 1.0,
                   t_bwd: float = 2.0) -> list[tuple[int, int, str, float, float]]:
    """The GPipe timeline (Huang et al., 2019) of one mini-batch split into ``n_micro``
    micro-batches over ``n_stages`` pipeline stages.

    Forward: micro-batch m enters stage s when stage s-1 has finished it and stage s
    has finished micro-batch m-1. After all forwards, the backwards run in reverse (last
    stage first), with the same dependencies reversed. Returns (stage, micro-batch,
    "F" or "B", start, end) tuples.
    """
    S, M = check_int(n_stages, "n_stages"), check_int(n_micro, "n_micro")
    tf, tb = check_positive(t_fwd, "t_fwd"), check_positive(t_bwd, "t_bwd")
    end_f = np.zeros((S, M))
    out = []
    for m in range(M):
        for s in range(S):
            start = max(end_f[s - 1, m] if s else 0.0, end_f[s, m - 1] if m else 0.0)
            end_f[s, m] = start + tf
            out.append((s, m, "F", float(start), float(end_f[s, m])))
    t0 = float(end_f.max())
    end_b = np.zeros((S, M))
    for m in range(M):
        for s in range(S - 1, -1, -1):
            start = max(end_b[s + 1, m] if s < S - 1 else t0,
                        end_b[s, m - 1] if m else t0)
            end_b[s, m] = start + tb
            out.append((s, m, "B", float(start), float(end_b[s, m])))
    return out


def bubble_fraction(n_stages: int, n_micro: int) -> float:
    """Idle fraction of a GPipe schedule: (S - 1) / (M + S - 1)."""
    S, M = check_int(n_stages, "n_stages"), check_int(n_micro, "n_micro")
    return (S - 1) / (M + S - 1)


# --- roofline ------------------------------------------------------------------------


def dense_roofline(batch: int, n_in: int, n_out: int, peak_flops: float,
                   bandwidth: float, bytes_per_value: int = 4) -> tuple[float, float]:
    """Arithmetic intensity and attainable FLOP/s of a dense layer Y = X W.

    FLOPs = 2 B n_in n_out; bytes moved = (B n_in + n_in n_out + B n_out) * bytes per
    value; intensity I = FLOPs / bytes; attainable = min(peak, I * bandwidth)
    (Williams et al., 2009). Returns (I in FLOP/byte, attainable FLOP/s).
    """
    B, a, b = (check_int(v, name) for v, name in
               ((batch, "batch"), (n_in, "n_in"), (n_out, "n_out")))
    peak = check_positive(peak_flops, "peak_flops")
    bw = check_positive(bandwidth, "bandwidth")
    flops = 2.0 * B * a * b
    moved = float(B * a + a * b + B * b) * check_int(bytes_per_value, "bytes_per_value")
    intensity = flops / moved
    return intensity, min(peak, intensity * bw)


# --- the MPI benchmark ----------------------------------------------------------------


def _bench(argv: list[str] | None = None) -> dict[str, Any]:
    """Train a wide MLP data-parallel for a few steps; report time per step."""
    from mpi4py import MPI

    from ..nn.layers import Dense, ReLU
    from ..nn.module import Sequential
    from ..optim import SGD

    ap = argparse.ArgumentParser(prog="python -m nnbook.practice.parallel_bench")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--batch", type=int, default=2048)
    ap.add_argument("--width", type=int, default=512)
    ap.add_argument("--check", action="store_true",
                    help="compare the first step with a single-process step")
    args = ap.parse_args(argv)
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    rng = np.random.default_rng(0)          # the same data and weights on every rank
    X = rng.standard_normal((args.batch, args.width))
    y = rng.integers(0, 10, args.batch)

    def net() -> Sequential:
        r = np.random.default_rng(1)
        return Sequential([Dense(args.width, args.width, r), ReLU(),
                           Dense(args.width, args.width, r), ReLU(),
                           Dense(args.width, 10, r)])

    model, rows = net(), shard(args.batch, rank, size)
    result: dict[str, Any] = {"processes": size, "batch": args.batch,
                              "params": model.n_params}
    if args.check:
        ref = net()
        from ..train.loop import train_step
        train_step(ref, X, y, CrossEntropyLoss(), SGD(0.1))
        data_parallel_step(model, X[rows], y[rows], SGD(0.1), comm)
        diff = max(float(np.abs(p - ref.parameters()[k]).max())
                   for k, p in model.parameters().items())
        result["max_abs_diff"] = comm.allreduce(diff, op=MPI.MAX)
        model = net()
    opt = SGD(0.01)
    data_parallel_step(model, X[rows], y[rows], opt, comm)      # warm-up
    comm.Barrier()
    t0 = time.perf_counter()
    comm_time = 0.0
    for _ in range(args.steps):
        data_parallel_step(model, X[rows], y[rows], opt, comm)
    comm.Barrier()
    elapsed = time.perf_counter() - t0
    flat = np.ones(model.n_params)
    out = np.empty_like(flat)
    comm.Barrier()
    t1 = time.perf_counter()
    for _ in range(args.steps):
        comm.Allreduce(flat, out)
    comm_time = time.perf_counter() - t1
    result.update(seconds_per_step=elapsed / args.steps,
                  allreduce_seconds=comm_time / args.steps)
    return result


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m nnbook.practice.parallel_bench``: rank 0 prints JSON.
    With ``--check`` it also compares one data-parallel step with the single-process
    step on the whole batch (``max_abs_diff``)."""
    from mpi4py import MPI

    result = _bench(argv)
    if MPI.COMM_WORLD.Get_rank() == 0:
        json.dump(result, sys.stdout)
        sys.stdout.write("\n")
    return 0

