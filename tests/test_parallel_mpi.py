"""MPI tests for nnbook.practice.parallel. Run under the launcher (``make test-mpi``)::

    mpirun -n 2 python -m pytest -q -m mpi -p no:xdist tests/test_parallel_mpi.py

Every rank runs every test, in the same order, so the collectives match.
"""

from __future__ import annotations

import numpy as np
import pytest

MPI = pytest.importorskip("mpi4py.MPI")

from nnbook import SGD, CrossEntropyLoss, Dense, ReLU, Sequential, train_step
from nnbook.practice.parallel import (
    data_parallel_step,
    mpi_ring_allreduce,
    shard,
)

pytestmark = pytest.mark.mpi


def _net() -> Sequential:
    r = np.random.default_rng(1)
    return Sequential([Dense(6, 16, r), ReLU(), Dense(16, 16, r), ReLU(),
                       Dense(16, 4, r)])


@pytest.mark.parametrize("n", [32, 33])       # equal and unequal shards
def test_data_parallel_step_equals_single_process_step(n):
    comm = MPI.COMM_WORLD
    rng = np.random.default_rng(0)            # same data on every rank
    X, y = rng.standard_normal((n, 6)), rng.integers(0, 4, n)
    ref, model = _net(), _net()
    ref_loss = train_step(ref, X, y, CrossEntropyLoss(), SGD(0.1)).loss
    rows = shard(n, comm.Get_rank(), comm.Get_size())
    loss = data_parallel_step(model, X[rows], y[rows], SGD(0.1), comm)
    assert loss == pytest.approx(ref_loss, abs=1e-12)
    for name, p in model.parameters().items():
        np.testing.assert_allclose(p, ref.parameters()[name], rtol=0, atol=1e-12)
    # every rank holds the same weights afterwards
    flat = np.concatenate([p.ravel() for p in model.parameters().values()])
    root = comm.bcast(flat, root=0)
    np.testing.assert_array_equal(flat, root)


def test_mpi_ring_allreduce_matches_allreduce():
    comm = MPI.COMM_WORLD
    x = np.random.default_rng(comm.Get_rank()).standard_normal((5, 7))
    expected = np.empty_like(x)
    comm.Allreduce(x, expected, op=MPI.SUM)
    np.testing.assert_allclose(mpi_ring_allreduce(comm, x), expected, rtol=1e-12,
                               atol=1e-12)


def test_runs_on_more_than_one_process():
    size = MPI.COMM_WORLD.Get_size()
    if size < 2:
        pytest.skip("launched without mpirun: one process")
    assert size >= 2
