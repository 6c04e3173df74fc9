"""Command line of the data-parallel benchmark (not imported by ``nnbook``)::

    mpirun -n 2 python -m nnbook.practice.parallel_bench --steps 20 --check

Rank 0 prints one JSON line: processes, batch, params, seconds_per_step,
allreduce_seconds and, with ``--check``, max_abs_diff between the first data-parallel
step and the single-process step on the whole batch. See
:func:`nnbook.practice.parallel.main`.
"""

from __future__ import annotations

import sys

from nnbook.practice.parallel import main

if __name__ == "__main__":
    sys.exit(main())
