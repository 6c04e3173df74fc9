"""The nnbook benchmark suite: ``python -m benchmarks`` (``make bench``).

Thirteen cases compare the package with its peers on this machine, one BLAS thread for everybody:

1. a small MLP trained on MNIST-1D, against scikit-learn and PyTorch (time per epoch, accuracy);
2. one large-batch training step, against bare ``np.matmul`` on the same products (GFLOP/s);
3. softmax, log-softmax and cross-entropy, against plain NumPy and SciPy (time, stability);
4. the book build itself (wall time, slowest chapters, no-change rebuild, peak memory); only on
   request (``--cases 4`` or ``--all``): it takes about ten minutes.

The cases live in :mod:`benchmarks.cases`; the results of the last full run are committed in
``benchmarks/results.json`` and shown in the book's Performance appendix.
"""
