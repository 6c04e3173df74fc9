"""The four benchmark cases of ``make bench`` and the helpers that time and report them.

Every case returns a dict (JSON-ready) with

* ``title``: one line saying what is measured;
* ``rows``: one dict per contender with the median, min and max of the repeated timings
  (``*_s`` in seconds) and whatever else the case measures (accuracy, GFLOP/s, stability);
* ``targets``: the comparisons the book states as goals, each a dict
  ``{name, value, target, op, met}`` where ``op`` is ``"<="`` or ``">="``;
* ``notes``: anything a reader must know to interpret the numbers (a skipped contender, ...).

Timings interleave the contenders (repetition r times every contender once before r + 1
starts), so a slow spell of a shared machine hurts all of them alike. The number of BLAS
threads is whatever the process was started with; ``python -m benchmarks`` fixes it to 1
before NumPy is imported, and PyTorch is told the same with ``torch.set_num_threads``.
Explained in :doc:`/book/appendix/performance`.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

__all__ = [
    "machine_info", "time_interleaved", "summarize", "make_target",
    "case_mlp_mnist1d", "case_large_batch_step", "case_softmax_numerics", "case_book_build",
    "dense_step_flops", "bare_matmuls", "format_results", "results_markdown", "target_score", "load_results", "CASES",
    "CASE_PARTS", "timing_rows_markdown",
]


# --- the machine ------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _blas_info() -> dict[str, Any]:
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        return {k: blas.get(k) for k in ("name", "version", "openblas configuration") if k in blas}
    except Exception as err:  # pragma: no cover - very old NumPy
        return {"error": repr(err)}


def _version(module: str) -> str | None:
    try:
        mod = __import__(module)
    except ImportError:
        return None
    return str(getattr(mod, "__version__", "unknown"))


def machine_info() -> dict[str, Any]:
    """Where the numbers come from: CPU, cores, load, library versions, BLAS and thread settings."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable = os.cpu_count()
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "load_average_1min": round(os.getloadavg()[0], 2),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": _blas_info(),
        "scipy": _version("scipy"),
        "sklearn": _version("sklearn"),
        "torch": _version("torch"),
        "blas_threads": {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")},
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }


# --- timing -----------------------------------------------------------------------------------


def time_interleaved(fns: dict[str, Callable[[], Any]], repeats: int, warmup: int = 1) -> dict[str, list[float]]:
    """Wall time (s) of each ``fns[name]()``, ``repeats`` times, interleaving the contenders.

    ``warmup`` untimed calls of each first (allocations, caches, lazy imports).
    """
    if repeats < 1:
        raise ValueError(f"repeats must be a positive integer; got {repeats!r}")
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return times


def summarize(times: Sequence[float], prefix: str = "time") -> dict[str, float]:
    """Median, min and max of a list of timings, keyed ``<prefix>_median_s`` etc."""
    t = np.asarray(times, dtype=np.float64)
    return {f"{prefix}_median_s": float(np.median(t)), f"{prefix}_min_s": float(t.min()),
            f"{prefix}_max_s": float(t.max()), "repeats": int(t.size)}


def make_target(name: str, value: float, target: float, op: str) -> dict[str, Any]:
    """A stated goal and whether it was met: ``value <= target`` or ``value >= target``."""
    if op not in ("<=", ">="):
        raise ValueError(f"op must be '<=' or '>='; got {op!r}")
    met = bool(value <= target) if op == "<=" else bool(value >= target)
    return {"name": name, "value": float(value), "target": float(target), "op": op, "met": met}


def _set_torch_threads() -> Any:
    """Import PyTorch with one intra-op and one inter-op thread, or return None without it."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    with contextlib.suppress(RuntimeError):  # already set (only once per process)
        torch.set_num_interop_threads(1)
    return torch


# --- case 1: a small MLP on MNIST-1D ----------------------------------------------------------


def _mnist1d_standardized(n_train: int | None, dtype: type) -> tuple[np.ndarray, ...]:
    from nnbook.data.datasets import load_mnist1d, standardize

    d = load_mnist1d()
    X, y, X_test, y_test = d["x"], d["y"], d["x_test"], d["y_test"]
    if n_train is not None:
        X, y = X[:n_train], y[:n_train]
    X, X_test = standardize(X, X_test)  # training statistics, applied to both: the same for all
    return X.astype(dtype), y, X_test.astype(dtype), y_test


def _run_nnbook_mlp(X: np.ndarray, y: np.ndarray, X_test: np.ndarray, y_test: np.ndarray,
                    epochs: int, seed: int, sizes: Sequence[int], init: str = "xavier_uniform") -> tuple[float, float]:
    from nnbook import Sequential, evaluate, fit
    from nnbook.nn.layers import Dense, ReLU
    from nnbook.optim import Adam

    rng = np.random.default_rng(seed)
    layers: list[Any] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Dense(a, b, rng, init=init, dtype=X.dtype))  # default: scikit-learn's initialization
        if i < len(sizes) - 2:
            layers.append(ReLU())
    model = Sequential(layers)
    t0 = time.perf_counter()
    fit(model, X, y, Adam(lr=1e-3), epochs=epochs, batch_size=100, rng=rng, verbose=False)
    elapsed = time.perf_counter() - t0
    return elapsed, float(evaluate(model, X_test, y_test)[1])


def _run_sklearn_mlp(X: np.ndarray, y: np.ndarray, X_test: np.ndarray, y_test: np.ndarray,
                     epochs: int, seed: int, sizes: Sequence[int], init: str = "") -> tuple[float, float]:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=tuple(sizes[1:-1]), activation="relu", solver="adam", alpha=0.0,
                        batch_size=100, learning_rate_init=1e-3, max_iter=epochs, tol=0.0,
                        n_iter_no_change=10**9, shuffle=True, early_stopping=False, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter reached: that is the point
        t0 = time.perf_counter()
        clf.fit(X, y)
        elapsed = time.perf_counter() - t0
    return elapsed, float(np.mean(clf.predict(X_test) == y_test))


def _run_torch_mlp(X: np.ndarray, y: np.ndarray, X_test: np.ndarray, y_test: np.ndarray,
                   epochs: int, seed: int, sizes: Sequence[int], init: str = "") -> tuple[float, float]:
    torch = _set_torch_threads()
    torch.manual_seed(seed)
    mods: list[Any] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        lin = torch.nn.Linear(a, b)
        torch.nn.init.xavier_uniform_(lin.weight)  # Glorot uniform, as scikit-learn and nnbook here
        torch.nn.init.zeros_(lin.bias)
        mods.append(lin)
        if i < len(sizes) - 2:
            mods.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*mods)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32)), torch.from_numpy(y.astype(np.int64))
    gen = torch.Generator().manual_seed(seed)
    n = Xt.shape[0]
    t0 = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(n, generator=gen)
        for start in range(0, n, 100):
            idx = order[start:start + 100]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    elapsed = time.perf_counter() - t0
    with torch.no_grad():
        pred = model(torch.from_numpy(np.ascontiguousarray(X_test, dtype=np.float32))).argmax(1).numpy()
    return elapsed, float(np.mean(pred == y_test))


_MLP_RUNNERS: dict[str, Callable[..., tuple[float, float]]] = {
    "nnbook": _run_nnbook_mlp, "scikit-learn": _run_sklearn_mlp, "pytorch": _run_torch_mlp,
}


def case_mlp_mnist1d(epochs: int = 20, repeats: int = 3, contenders: Sequence[str] = ("nnbook", "scikit-learn", "pytorch"),
                     n_train: int | None = None, dtype: type = np.float32, init: str = "xavier_uniform") -> dict[str, Any]:
    """Case 1: a 40-100-100-10 ReLU MLP trained with Adam (lr 1e-3, batch 100) on MNIST-1D.

    Each contender trains ``repeats`` fresh models (seeds 0, 1, ...) for ``epochs`` epochs on the
    same standardized float32 data, all three initialized alike (Glorot uniform weights, the
    scheme scikit-learn uses; nnbook's default He initialization lands about 4 points lower
    after 20 epochs here, a difference of initialization, not of speed; ``init`` changes nnbook's
    scheme only, to show it). Reports the time per epoch (median, min, max over repeats),
    the mean test accuracy over the repeats and the ratio of nnbook's median time per epoch to
    each peer's (target <= 1 at test accuracies within 2 points).
    """
    sizes = (40, 100, 100, 10)
    notes: list[str] = []
    contenders = list(contenders)
    if "pytorch" in contenders and _set_torch_threads() is None:
        contenders.remove("pytorch")
        notes.append("PyTorch is not installed: its column is skipped (pip install torch to add it).")
    unknown = sorted(set(contenders) - set(_MLP_RUNNERS))
    if unknown:
        raise ValueError(f"contenders must be among {sorted(_MLP_RUNNERS)}; got {unknown}")
    X, y, X_test, y_test = _mnist1d_standardized(n_train, dtype)
    times: dict[str, list[float]] = {c: [] for c in contenders}
    accs: dict[str, list[float]] = {c: [] for c in contenders}
    for r in range(repeats):  # interleaved: repetition r of every contender, then r + 1
        for c in contenders:
            elapsed, acc = _MLP_RUNNERS[c](X, y, X_test, y_test, epochs, r, sizes, init)
            times[c].append(elapsed / epochs)
            accs[c].append(acc)
    rows = [{"contender": c, **summarize(times[c], "epoch"), "test_acc": float(np.mean(accs[c])),
             "test_acc_min": float(np.min(accs[c])), "test_acc_max": float(np.max(accs[c]))} for c in contenders]
    by = {row["contender"]: row for row in rows}
    targets = []
    if "nnbook" in by:
        for c in contenders:
            if c == "nnbook":
                continue
            ratio = by["nnbook"]["epoch_median_s"] / by[c]["epoch_median_s"]
            targets.append(make_target(f"MLP epoch time nnbook / {c}", ratio, 1.0, "<="))
            gap = abs(by["nnbook"]["test_acc"] - by[c]["test_acc"])
            targets.append(make_target(f"MLP test-accuracy gap, nnbook vs {c}", gap, 0.02, "<="))
    return {"title": f"MNIST-1D MLP {'-'.join(map(str, sizes))}, Adam lr 1e-3, batch 100, {epochs} epochs, "
                     f"{np.dtype(dtype).name}, n_train={X.shape[0]}",
            "rows": rows, "targets": targets, "notes": notes,
            "settings": {"epochs": epochs, "repeats": repeats, "n_train": int(X.shape[0]), "dtype": np.dtype(dtype).name,
                         "nnbook_init": init}}


# --- case 2: one large-batch training step -----------------------------------------------------


def dense_step_flops(batch: int, sizes: Sequence[int]) -> int:
    """Floating-point operations of the matrix products of one training step of a dense stack.

    A product of (B, n_in) by (n_in, n_out) costs B n_in n_out multiply-adds = 2 B n_in n_out
    flops. Per layer, the forward pass does one (X W), the backward pass two (dW = X^T dY and
    dX = dY W^T), except that the first layer needs no dX (nothing lies below it):
    ``6 B sum(n_in n_out) - 2 B n_0 n_1``. Biases, activations, the loss and the optimizer are
    O(B n + params) and not counted.
    """
    pairs = list(zip(sizes[:-1], sizes[1:]))
    if not pairs or batch < 1:
        raise ValueError(f"sizes must list at least two layer widths and batch must be positive; got {sizes}, {batch}")
    total = sum(a * b for a, b in pairs)
    return int(6 * batch * total - 2 * batch * pairs[0][0] * pairs[0][1])


def bare_matmuls(batch: int, sizes: Sequence[int], rng: np.random.Generator, dtype: type) -> Callable[[], None]:
    """The step's matrix products alone, into preallocated outputs: the ceiling for this design."""
    pairs = list(zip(sizes[:-1], sizes[1:]))
    W = [rng.standard_normal((a, b)).astype(dtype) * 0.01 for a, b in pairs]
    H = [rng.standard_normal((batch, sizes[0])).astype(dtype)] + [np.empty((batch, b), dtype) for _, b in pairs]
    dH = [np.empty((batch, a), dtype) for a, _ in pairs] + [rng.standard_normal((batch, sizes[-1])).astype(dtype)]
    dW = [np.empty_like(w) for w in W]

    def run() -> None:
        for i, w in enumerate(W):  # forward: H[i+1] = H[i] W[i]
            np.matmul(H[i], w, out=H[i + 1])
        for i in reversed(range(len(W))):  # backward: dW = H^T dH, dH_below = dH W^T (not for i = 0)
            np.matmul(H[i].T, dH[i + 1], out=dW[i])
            if i > 0:
                np.matmul(dH[i + 1], W[i].T, out=dH[i])

    return run


def case_large_batch_step(batch: int = 1024, sizes: Sequence[int] = (784, 1024, 1024, 10), repeats: int = 5,
                          dtype: type = np.float32) -> dict[str, Any]:
    """Case 2: forward + backward + Adam update of a ReLU MLP on one large random batch.

    GFLOP/s = :func:`dense_step_flops` / time. The same products done by bare ``np.matmul`` on the
    same shapes give the ceiling; the target is nnbook >= 70% of it.
    """
    from nnbook import CrossEntropyLoss, Sequential, train_step
    from nnbook.nn.layers import Dense, ReLU
    from nnbook.optim import Adam

    rng = np.random.default_rng(0)
    layers: list[Any] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Dense(a, b, rng, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(ReLU())
    model = Sequential(layers)
    opt = Adam(lr=1e-3)
    nn_loss = CrossEntropyLoss()
    X = rng.standard_normal((batch, sizes[0])).astype(dtype)
    y = rng.integers(0, sizes[-1], size=batch)
    fns: dict[str, Callable[[], Any]] = {
        "nnbook": lambda: train_step(model, X, y, nn_loss, opt),
        "bare np.matmul": bare_matmuls(batch, sizes, rng, dtype),
    }
    notes: list[str] = []
    torch = _set_torch_threads()
    if torch is not None:
        mods: list[Any] = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            mods.append(torch.nn.Linear(a, b))
            if i < len(sizes) - 2:
                mods.append(torch.nn.ReLU())
        tmodel = torch.nn.Sequential(*mods)
        topt = torch.optim.Adam(tmodel.parameters(), lr=1e-3)
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
        loss_fn = torch.nn.CrossEntropyLoss()

        def torch_step() -> None:
            topt.zero_grad(set_to_none=True)
            loss_fn(tmodel(Xt), yt).backward()
            topt.step()

        fns["pytorch"] = torch_step
    else:
        notes.append("PyTorch is not installed: its row is skipped.")
    times = time_interleaved(fns, repeats)
    flops = dense_step_flops(batch, sizes)
    rows = [{"contender": c, **summarize(t, "step"), "gflops": flops / float(np.median(t)) / 1e9} for c, t in times.items()]
    by = {row["contender"]: row for row in rows}
    eff = by["nnbook"]["gflops"] / by["bare np.matmul"]["gflops"]
    targets = [make_target("Large-batch step GFLOP/s, nnbook / bare matmul", eff, 0.70, ">=")]
    return {"title": f"One training step (forward, backward, Adam), batch {batch}, {'-'.join(map(str, sizes))}, "
                     f"{np.dtype(dtype).name}; {flops / 1e9:.2f} GFLOP of matrix products",
            "rows": rows, "targets": targets, "notes": notes,
            "settings": {"batch": batch, "sizes": list(sizes), "repeats": repeats, "dtype": np.dtype(dtype).name,
                         "flops_per_step": flops}}


# --- case 3: softmax, log-softmax, cross-entropy ------------------------------------------------


def _numerics_contenders(n: int) -> dict[str, dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray | float]]]:
    import scipy.special as sp

    from nnbook.nn.activations import log_softmax, softmax
    from nnbook.nn.losses import cross_entropy, cross_entropy_backward

    rows = np.arange(n)

    def np_softmax(z: np.ndarray) -> np.ndarray:
        e = np.exp(z - z.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)

    def np_log_softmax(z: np.ndarray) -> np.ndarray:
        s = z - z.max(1, keepdims=True)
        return s - np.log(np.exp(s).sum(1, keepdims=True))

    def np_ce_backward(z: np.ndarray, y: np.ndarray) -> np.ndarray:
        p = np_softmax(z)
        p[rows, y] -= 1.0
        return p / n

    def sp_ce_backward(z: np.ndarray, y: np.ndarray) -> np.ndarray:
        p = sp.softmax(z, axis=1)
        p[rows, y] -= 1.0
        return p / n

    return {
        "softmax": {"nnbook": lambda z, y: softmax(z, axis=1), "numpy": lambda z, y: np_softmax(z),
                    "scipy": lambda z, y: sp.softmax(z, axis=1)},
        "log_softmax": {"nnbook": lambda z, y: log_softmax(z, axis=1), "numpy": lambda z, y: np_log_softmax(z),
                        "scipy": lambda z, y: sp.log_softmax(z, axis=1)},
        "cross_entropy": {"nnbook": cross_entropy,
                          "numpy": lambda z, y: float(-np.mean(np_log_softmax(z)[rows, y])),
                          "scipy": lambda z, y: float(np.mean(sp.logsumexp(z, axis=1) - z[rows, y]))},
        "cross_entropy_backward": {"nnbook": cross_entropy_backward, "numpy": np_ce_backward, "scipy": sp_ce_backward},
    }


def case_softmax_numerics(shape: tuple[int, int] = (4096, 1000), repeats: int = 7,
                          big: float = 1e4) -> dict[str, Any]:
    """Case 3: softmax, log-softmax, cross-entropy and its gradient on a float64 batch of logits.

    Against the plainest correct NumPy expression (shift by the row maximum) and SciPy's
    ``special.softmax`` / ``log_softmax`` / ``logsumexp``. Stability: every output must stay finite
    when the logits are rescaled to magnitude ``big``.
    """
    n, k = shape
    rng = np.random.default_rng(0)
    z = rng.standard_normal(shape) * 3.0
    y = rng.integers(0, k, size=n)
    z_big = z / np.abs(z).max() * big
    rows: list[dict[str, Any]] = []
    targets: list[dict[str, Any]] = []
    for op, fns in _numerics_contenders(n).items():
        times = time_interleaved({c: (lambda f=f: f(z, y)) for c, f in fns.items()}, repeats)
        ref = np.asarray(fns["numpy"](z, y))
        for c, f in fns.items():
            out = np.asarray(f(z, y))
            with np.errstate(all="ignore"):
                stable = bool(np.isfinite(np.asarray(f(z_big, y))).all())
            rows.append({"op": op, "contender": c, **summarize(times[c], "call"), "stable_at_1e4": stable,
                         "max_abs_diff_vs_numpy": float(np.max(np.abs(out - ref)))})
        mine = float(np.median(times["nnbook"]))
        for c in fns:
            if c != "nnbook":
                targets.append(make_target(f"{op} time nnbook / {c}", mine / float(np.median(times[c])), 1.0, "<="))
        targets.append(make_target(f"{op} nnbook finite for logits of size {big:g} (1 = yes)",
                                   float(next(r["stable_at_1e4"] for r in rows if r["op"] == op and r["contender"] == "nnbook")),
                                   1.0, ">="))
    return {"title": f"Softmax / log-softmax / cross-entropy (+ backward), float64 logits of shape {shape}",
            "rows": rows, "targets": targets, "notes": [],
            "settings": {"shape": list(shape), "repeats": repeats, "big": big}}


# --- case 4: the book build --------------------------------------------------------------------


def _execution_times(cache_dir: Path) -> list[tuple[str, float]]:
    """(chapter, seconds) from the jupyter cache of a build, slowest first."""
    from jupyter_cache import get_cache

    out = []
    for rec in get_cache(str(cache_dir)).list_cache_records():
        secs = (rec.data or {}).get("execution_seconds")
        if secs is not None:
            out.append((Path(rec.uri).relative_to(cache_dir.parents[1]).with_suffix("").as_posix()
                        if rec.uri.startswith(str(cache_dir.parents[1])) else rec.uri, float(secs)))
    return sorted(out, key=lambda t: -t[1])


def case_book_build(toc: str | None = None, keep: bool = False) -> dict[str, Any]:
    """Case 4: a clean build of the book with forced execution, then a rebuild with nothing changed.

    Works in a fresh ``git clone`` of the committed repository in a temporary folder (the working
    tree's ``_build`` is never touched), runs ``jupyter-book build . -W -n --keep-going`` there
    twice, and reads each chapter's execution time from the jupyter cache. Peak memory is the
    largest resident set of any process the builds started (``RUSAGE_CHILDREN``). ``toc``: an
    alternative table of contents (e.g. a one-page book for the smoke test).
    """
    jb = Path(sys.executable).with_name("jupyter-book")
    tmp = Path(tempfile.mkdtemp(prefix="nnbook-bench-build-"))
    clone = tmp / "book"
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    subprocess.run(["git", "clone", "--quiet", "--local", str(ROOT), str(clone)], check=True)
    env = {**os.environ, "PYTHONPATH": str(clone), "NNBOOK_QUIET": "1", "OPENBLAS_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    cmd = [str(jb), "build", ".", "-W", "-n", "--keep-going"]
    if toc is not None:
        (clone / "_bench_toc.yml").write_text(toc)
        cmd += ["--toc", "_bench_toc.yml"]
    load = os.getloadavg()[0]
    results: dict[str, Any] = {}
    try:
        for label in ("clean", "rebuild"):
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, cwd=clone, env=env, capture_output=True, text=True)
            results[label] = {"wall_s": time.perf_counter() - t0, "returncode": proc.returncode,
                              "warnings": proc.stderr.count("WARNING"),
                              "tail": (proc.stdout + proc.stderr).strip().splitlines()[-3:]}
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0  # Linux: kB
        chapters = _execution_times(clone / "_build" / ".jupyter_cache")
    finally:
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)
    total_exec = float(sum(s for _, s in chapters))
    rows = [{"contender": "jupyter-book build", "step": label, "wall_s": r["wall_s"], "returncode": r["returncode"]}
            for label, r in results.items()]
    targets = [
        make_target("Clean build wall time (s)", results["clean"]["wall_s"], 720.0, "<="),
        make_target("No-change rebuild wall time (s)", results["rebuild"]["wall_s"], 30.0, "<="),
        make_target("Build peak memory (MB)", peak_mb, 3072.0, "<="),
        make_target("Clean build exit status", results["clean"]["returncode"], 0.0, "<="),
    ]
    return {"title": f"Book build (jupyter-book -W -n --keep-going) of commit {commit[:10]} in a fresh clone",
            "rows": rows, "targets": targets,
            "notes": [f"1-minute load average when the build started: {load:.2f} on {os.cpu_count()} cores "
                      "(other processes share the machine)."],
            "build": {"commit": commit, "peak_rss_mb": peak_mb, "n_chapters_executed": len(chapters),
                      "total_execution_s": total_exec, "slowest": [{"chapter": c, "execution_s": s} for c, s in chapters[:5]],
                      "all_chapters": [{"chapter": c, "execution_s": s} for c, s in chapters],
                      "log_tail": {k: v["tail"] for k, v in results.items()}}}


#: The cases by number: (runner, keyword arguments for a full run, for a quick run).
CASES: dict[int, tuple[Callable[..., dict[str, Any]], dict[str, Any], dict[str, Any]]] = {
    1: (case_mlp_mnist1d, {"epochs": 20, "repeats": 3}, {"epochs": 1, "repeats": 1, "n_train": 500}),
    2: (case_large_batch_step, {"repeats": 10}, {"batch": 64, "sizes": (32, 48, 48, 10), "repeats": 2}),
    3: (case_softmax_numerics, {"repeats": 15}, {"shape": (64, 20), "repeats": 2}),
    4: (case_book_build, {}, {"toc": "format: jb-book\nroot: book/intro\n"}),
}


def _lazy_case(module: str, name: str) -> Callable[..., dict[str, Any]]:
    """A case function of another module of the suite, imported when first called.

    The case modules of Parts IV-VI import their helpers from this module, so importing
    them here at load time would be circular.
    """

    def run(**kwargs: Any) -> dict[str, Any]:
        import importlib

        return getattr(importlib.import_module(module), name)(**kwargs)

    run.__name__ = run.__qualname__ = name
    run.__doc__ = f"``{module}.{name}``, imported on first call."
    return run


_RNN_QUICK = {"batch": 4, "T": 5, "hiddens": (6,), "repeats": 1}

#: Cases 5-13: Parts IV (CNN), V (RNN) and VI (attention), each nnbook against PyTorch
#: on one thread; the targets come from the issues of those parts.
CASES.update({
    5: (_lazy_case("benchmarks.cases_cnn", "case_conv2d_small"),
        {"repeats": 20}, {"repeats": 1}),
    6: (_lazy_case("benchmarks.cases_cnn", "case_conv2d_medium"),
        {"repeats": 10}, {"repeats": 1}),
    7: (_lazy_case("benchmarks.cases_cnn", "case_mnist1d_cnn_step"),
        {"repeats": 30}, {"repeats": 1}),
    8: (_lazy_case("benchmarks.cases_cnn", "case_depthwise"),
        {"repeats": 20}, {"repeats": 1}),
    9: (_lazy_case("benchmarks.cases_cnn", "case_conv2d_float64"),
        {"repeats": 10}, {"repeats": 1}),
    10: (_lazy_case("benchmarks.cases_rnn", "case_lstm_step"),
         {"repeats": 20}, _RNN_QUICK),
    11: (_lazy_case("benchmarks.cases_rnn", "case_gru_step"),
         {"repeats": 20}, _RNN_QUICK),
    12: (_lazy_case("benchmarks.cases_attention", "case_attention"),
         {"repeats": 20},
         {"batch": 2, "T": 8, "d_model": 16, "n_heads": 2, "repeats": 1}),
    13: (_lazy_case("benchmarks.cases_attention", "case_gpt_throughput"),
         {"steps": 5, "repeats": 3}, {"steps": 1, "repeats": 1}),
})

#: The part of the book each case belongs to (for the appendix's sections).
CASE_PARTS: dict[int, str] = {1: "MLP", 2: "MLP", 3: "MLP", 4: "build",
                              5: "CNN", 6: "CNN", 7: "CNN", 8: "CNN", 9: "CNN",
                              10: "RNN", 11: "RNN", 12: "attention", 13: "attention"}


# --- reporting ---------------------------------------------------------------------------------


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "NO"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def format_results(results: dict[str, Any]) -> str:
    """Plain-text tables of every case's rows and targets (what ``python -m benchmarks`` prints)."""
    lines: list[str] = []
    m = results.get("machine", {})
    lines.append(f"machine: {m.get('cpu')}, {m.get('usable_cores')} usable cores, Python {m.get('python')}, "
                 f"NumPy {m.get('numpy')} ({(m.get('blas') or {}).get('name')}), BLAS threads "
                 f"{(m.get('blas_threads') or {}).get('OPENBLAS_NUM_THREADS')}, {m.get('date')}")
    for key, case in results.get("cases", {}).items():
        lines.append("")
        lines.append(f"case {key}: {case['title']}")
        rows = case["rows"]
        if rows:
            cols = list(dict.fromkeys(c for r in rows for c in r if c != "repeats"))
            table = [cols] + [[_fmt(r.get(c)) for c in cols] for r in rows]
            widths = [max(len(str(r[i])) for r in table) for i in range(len(cols))]
            for r in table:
                lines.append("  " + "  ".join(str(x).ljust(w) for x, w in zip(r, widths)))
        for t in case["targets"]:
            lines.append(f"  target  {t['name']}: {t['value']:.4g} {t['op']} {t['target']:g}  "
                         f"{'met' if t['met'] else 'MISSED'}")
        for note in case.get("notes", []):
            lines.append(f"  note: {note}")
        if "measured" in case:
            ms = case["measured"]
            lines.append(f"  measured {ms['date']} on {ms['cpu']}, 1-minute load average "
                         f"{ms['load_average_1min_start']} -> {ms['load_average_1min_end']}")
        if "build" in case:
            for s in case["build"]["slowest"]:
                lines.append(f"  slowest chapter  {s['chapter']}: {s['execution_s']:.1f} s")
    return "\n".join(lines)


def load_results(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The committed results (``benchmarks/results.json`` by default) as a dict."""
    import json

    return json.loads(Path(path or Path(__file__).with_name("results.json")).read_text())


def target_score(t: dict[str, Any]) -> float:
    """A target's measured value relative to its goal, oriented so that <= 1 means met:
    value / target for "<=" goals, target / value for ">=" goals."""
    if t["op"] == "<=":
        return float(t["value"] / t["target"]) if t["target"] else float("inf") if t["value"] else 0.0
    return float(t["target"] / t["value"]) if t["value"] else float("inf")


def _md_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(x) for x in r) + " |" for r in rows]
    return "\n".join(out)


_TIMED = {"step": "whole operation", "gemm": "main GEMM only",
          "pass": "forward + backward", "time": "one call"}


def timing_rows_markdown(rows: Sequence[dict[str, Any]]) -> str:
    """A Markdown table of timing rows of any case: contender, the descriptive columns
    the rows have (``hidden``), what was timed when it varies between rows, the median
    time with its range in milliseconds, and ``tokens_per_s`` where present."""
    prefixes = [next(k[:-len("_median_s")] for k in r if k.endswith("_median_s"))
                for r in rows]
    extra = [k for k in ("hidden",) if any(k in r for r in rows)]
    several = len(set(prefixes)) > 1
    tokens = any("tokens_per_s" in r for r in rows)
    header = (["Contender"] + [k.capitalize() for k in extra]
              + (["Timed"] if several else [])
              + ["Time (ms), median [min, max]"] + (["Tokens/s"] if tokens else []))
    table = []
    for r, pre in zip(rows, prefixes):
        med, lo, hi = (1e3 * r[f"{pre}_{s}_s"] for s in ("median", "min", "max"))
        line = [r["contender"]] + [r.get(k, "") for k in extra]
        line += [_TIMED.get(pre, pre)] if several else []
        line += [f"{med:.2f} [{lo:.2f}, {hi:.2f}]"]
        if tokens:
            line += [f"{r['tokens_per_s']:,.0f}" if "tokens_per_s" in r else ""]
        table.append(line)
    return _md_table(header, table)


def results_markdown(results: dict[str, Any]) -> dict[str, str]:
    """GitHub-flavoured Markdown tables of a results dict: ``"targets"`` (every goal,
    measured value and verdict) and one table per case (``"1"``, ``"2"``, ...) with its
    contenders (cases 5 and up through :func:`timing_rows_markdown`)."""
    tables: dict[str, str] = {}
    trows = []
    for key, case in results["cases"].items():
        for t in case["targets"]:
            trows.append([key, t["name"], f"{t['value']:.3g}", f"{t['op']} {t['target']:g}", "met" if t["met"] else "**missed**"])
    tables["targets"] = _md_table(["Case", "Comparison", "Measured", "Target", "Verdict"], trows)
    for key, case in results["cases"].items():
        rows = case["rows"]
        if key == "1":
            tables[key] = _md_table(["Contender", "Time per epoch (s), median [min, max]", "Test accuracy, mean over repeats"],
                                    [[r["contender"], f"{r['epoch_median_s']:.3f} [{r['epoch_min_s']:.3f}, {r['epoch_max_s']:.3f}]",
                                      f"{r['test_acc']:.1%}"] for r in rows])
        elif key == "2":
            tables[key] = _md_table(["Contender", "Time per step (s), median [min, max]", "GFLOP/s"],
                                    [[r["contender"], f"{r['step_median_s']:.3f} [{r['step_min_s']:.3f}, {r['step_max_s']:.3f}]",
                                      f"{r['gflops']:.1f}"] for r in rows])
        elif key == "3":
            tables[key] = _md_table(["Operation", "Contender", "Time per call (ms), median [min, max]", "Finite at 1e4"],
                                    [[r["op"], r["contender"],
                                      f"{1e3 * r['call_median_s']:.1f} [{1e3 * r['call_min_s']:.1f}, {1e3 * r['call_max_s']:.1f}]",
                                      "yes" if r["stable_at_1e4"] else "no"] for r in rows])
        elif key == "4":
            b = case["build"]
            tables[key] = _md_table(["Build step", "Wall time (s)", "Exit status"],
                                    [[r["step"], f"{r['wall_s']:.0f}", r["returncode"]] for r in rows])
            tables["4-slowest"] = _md_table(["Chapter", "Execution time (s)"],
                                            [[s["chapter"], f"{s['execution_s']:.1f}"] for s in b["slowest"]])
        elif rows:  # cases 5 and up: timing rows nnbook vs PyTorch
            tables[key] = timing_rows_markdown(rows)
    return tables
