"""Walk the whole public API with bad arguments (issue 12, item 2).

The test discovers the API on its own: every name in ``nnbook.__all__`` that is a
function or a class (and the public methods of each instance it can build). For every
parameter it first builds an otherwise-valid call from a table of valid values keyed by
the parameter's name, in one of a few "profiles" (a 2-D batch, images, sequences); a
name for which no valid call can be built is skipped and counted. Then it replaces one
argument at a time by a bad value (None, a string, NaN, inf, -1, 0, 2.5, 1e300, arrays of
the wrong rank, empty arrays, NaN arrays) and accepts exactly two outcomes:

* a finite result (a bad-looking value can be legal: ``axis=-1``, ``l2=0``);
* a ``TypeError`` or ``ValueError`` whose message names the parameter.

Anything else is a finding: a *silent* NaN/inf result, a *hang* (a call that runs longer
than ``TIMEOUT`` seconds), or an *unexplained* error (another exception type, or a
message that does not name the argument). New parts are covered without being listed.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import re
import signal
import tempfile
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nnbook

TIMEOUT = 3.0  # seconds per call; valid calls on the tiny inputs take milliseconds

# Names the walk does not call at all, each with its reason. Keep this list small.
SKIP: dict[str, str] = {
    "load_digits": "reads scikit-learn's data set; no arguments",
    "load_mnist1d": "generates and caches a data set (seconds); only `seed`",
    "load_tiny_shakespeare": "reads a file; only `test_fraction`",
    "use_book_style": "changes global matplotlib state; no arguments",
}

# Deliberate exceptions, keyed by "name(param)".
ALLOWED: dict[str, str] = {
    "rosenbrock(x)": "NaN in, NaN out: evaluated on diverged optimizer trajectories",
    "gradient_descent(lr)": "a diverging trajectory (to inf, then NaN) is what the "
    "chapter shows for lr > 2/L",
    "check_gradient(x)": "a gradient mismatch raises AssertionError, by design",
    "check_vjp(x)": "a gradient mismatch raises AssertionError, by design",
}

# Findings in modules this walk's author does not own (Parts IV-IX, written concurrently
# by other helpers): reported by the census below, tolerated by the assertions, to be
# fixed in those modules. Keyed by the module; the value says which part.
KNOWN_FINDINGS: dict[str, str] = {
    # Part IV, convolutional networks
    "nnbook.nn.conv": "Part IV",
    "nnbook.nn.pooling": "Part IV",
    "nnbook.models.cnn": "Part IV",
    "nnbook.viz.architectures": "Part IV",
    # Part V, recurrent networks and language models
    "nnbook.nn.recurrent": "Part V",
    "nnbook.nn.embedding": "Part V",
    "nnbook.text.bpe": "Part V",
    "nnbook.text.ngram": "Part V",
    "nnbook.text.vocab": "Part V",
    "nnbook.metrics.text": "Part V",
    # Part VI, attention and transformers
    "nnbook.nn.attention": "Part VI",
    "nnbook.nn.ssm": "Part VI",
    "nnbook.models.transformer": "Part VI",
    # Part VII, generative models
    "nnbook.models.autoencoder": "Part VII",
    "nnbook.models.vae": "Part VII",
    "nnbook.models.gan": "Part VII",
    "nnbook.models.diffusion": "Part VII",
    "nnbook.metrics.generative": "Part VII",
    # Part VIII, graphs and learning to learn
    "nnbook.nn.graph": "Part VIII",
    "nnbook.models.gnn": "Part VIII",
    "nnbook.learning.meta": "Part VIII",
    "nnbook.learning.nas": "Part VIII",
    "nnbook.learning.contrastive": "Part VIII",
    "nnbook.learning.transfer": "Part VIII",
    # Part IX, practice
    "nnbook.practice.adversarial": "Part IX",
    "nnbook.practice.compress": "Part IX",
    "nnbook.practice.explain": "Part IX",
    "nnbook.practice.parallel": "Part IX",
    "nnbook.practice.precision": "Part IX",
    "nnbook.metrics.ranking": "Part IX",
}


def _known(label: str, param: str) -> bool:
    name = label.split(".")[0]
    module = getattr(getattr(nnbook, name, None), "__module__", "")
    return f"{label}({param})" in ALLOWED or module in KNOWN_FINDINGS

_DIR = tempfile.mkdtemp(prefix="nnbook-api-walk-")
N, D = 6, 3  # batch size and width of every 2-D test input


# --- valid values, by parameter name and profile --------------------------------------


def _rng() -> np.random.Generator:
    return np.random.default_rng(0)


def _arr(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape)


def _labels(n: int = N, k: int = 2) -> np.ndarray:
    return np.arange(n) % k


def _mlp() -> Any:
    r = _rng()
    return nnbook.Sequential(
        [nnbook.Dense(D, 4, r, dtype=np.float64), nnbook.ReLU(),
         nnbook.Dense(4, D, r, dtype=np.float64)]
    )


def _mse(out: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    return nnbook.MSELoss()(out, target)


# Each entry: a function of the profile ("flat": (N, D) batches; "image": (2, 3, 6, 6);
# "seq": (2, 5, 3)) returning a fresh valid value.
def _x(profile: str) -> np.ndarray:
    return {"flat": _arr(N, D), "image": _arr(2, 3, 6, 6), "seq": _arr(2, 5, D)}[profile]


VALID: dict[str, Callable[[str], Any]] = {
    "rng": lambda p: _rng(),
    "seed": lambda p: 0,
    **dict.fromkeys(("X", "x", "z", "Z", "A", "H", "a", "v", "h", "inputs", "data"), _x),
    **dict.fromkeys(("grad_out", "dY", "grad", "g", "x0", "X_rec"), _x),
    "y": lambda p: _labels(),
    "labels": lambda p: _labels(),
    "targets": lambda p: _labels(),
    "target": lambda p: _labels(),
    "y_true": lambda p: _labels(),
    "y_pred": lambda p: _labels()[::-1].copy(),
    "y_hat": lambda p: np.linspace(0.1, 0.9, N),
    "scores": lambda p: np.linspace(0.05, 0.95, N),
    "probs": lambda p: np.full((N, D), 1.0 / D),
    "logits": lambda p: _arr(N, D),
    "W": lambda p: _arr(D, D),
    "w": lambda p: _arr(D),
    "b": lambda p: np.zeros(D),
    "lr": lambda p: 0.1,
    "base_lr": lambda p: 0.01,
    "max_lr": lambda p: 0.1,
    "min_lr": lambda p: 0.001,
    "eps": lambda p: 1e-5,
    "n": lambda p: N,
    "k": lambda p: 2,
    "n_in": lambda p: D,
    "n_out": lambda p: D,
    "fan_in": lambda p: D,
    "fan_out": lambda p: D,
    "n_features": lambda p: D,
    "n_classes": lambda p: 2,
    "n_samples": lambda p: 20,
    "n_per_class": lambda p: 5,
    "size": lambda p: D,
    "n_units": lambda p: D,
    "input_size": lambda p: D,
    "hidden_size": lambda p: 4,
    "channels": lambda p: 3,
    "in_channels": lambda p: 3,
    "out_channels": lambda p: 2,
    "kernel_size": lambda p: 3,
    "d_model": lambda p: 4,
    "n_heads": lambda p: 2,
    "d_ff": lambda p: 8,
    "n_layers": lambda p: 1,
    "n_vocab": lambda p: 10,
    "vocab_size": lambda p: 10,
    "max_len": lambda p: 8,
    "seq_len": lambda p: 5,
    "ids": lambda p: np.arange(10).reshape(2, 5) % 10,
    "epochs": lambda p: 2,
    "batch_size": lambda p: 4,
    "n_steps": lambda p: 3,
    "steps": lambda p: 3,
    "step_size": lambda p: 10,
    "total_steps": lambda p: 100,
    "warmup_steps": lambda p: 5,
    "period": lambda p: 10,
    "t": lambda p: 3,
    "patience": lambda p: 2,
    "n_iter": lambda p: 2,
    "max_norm": lambda p: 1.0,
    "limit": lambda p: 1.0,
    "std": lambda p: 1.0,
    "sigma": lambda p: 1.0,
    "beta": lambda p: 0.9,
    "gamma": lambda p: 0.5,
    "value": lambda p: 1.0,
    "p": lambda p: 0.5,
    "lam": lambda p: 0.1,
    "mu": lambda p: 0.0,
    "low": lambda p: 0.001,
    "high": lambda p: 0.1,
    "layer_sizes": lambda p: [D, 4, 2],
    "sizes": lambda p: [D, 4, 2],
    "shape": lambda p: (D, D),
    "name": lambda p: "x",
    "f": lambda p: np.sin,
    "model": lambda p: _mlp(),
    "module": lambda p: _mlp(),
    "layer": lambda p: nnbook.Dense(D, D, _rng(), dtype=np.float64),
    "layers": lambda p: [nnbook.Dense(D, D, _rng(), dtype=np.float64)],
    "optimizer": lambda p: nnbook.SGD(0.1),
    "base": lambda p: nnbook.SGD(0.1),
    "loss_fn": lambda p: _mse,
    "params": lambda p: {"W": _arr(D, D)},
    "grads": lambda p: {"W": _arr(D, D, seed=1)},
    "losses": lambda p: np.linspace(3.0, 1.0, 10),
    "values": lambda p: [1.0, 2.0, 3.0],
    "path": lambda p: os.path.join(_DIR, "walk.npz"),
}
PROFILES = ("flat", "image", "seq")

_V = np.array([0.3, -0.2, 0.5])
_PM = np.array([1, -1, 1, -1, 1, -1])  # labels in {-1, +1}


def _forward(z: np.ndarray) -> np.ndarray:
    return np.tanh(z)


def _backward(z: np.ndarray, g: np.ndarray) -> np.ndarray:
    return g * (1.0 - np.tanh(z) ** 2)


def _saved_path() -> str:
    path = os.path.join(_DIR, "saved.npz")
    nnbook.save_params(_mlp(), path)
    return path


def _fit_and_score(params: dict, X_tr: Any, y_tr: Any, X_va: Any, y_va: Any) -> float:
    return float(params.get("lr", 0.1))


# Valid values for names whose arguments the generic table cannot serve (by parameter).
OVERRIDES: dict[str, dict[str, Callable[[], Any]]] = {
    "binary_cross_entropy": {"z": lambda: _arr(N), "y": lambda: _labels() * 1.0},
    "binary_cross_entropy_backward": {"z": lambda: _arr(N), "y": lambda: _labels() * 1.0},
    "batchnorm_forward": {"gamma": lambda: np.ones(D), "beta": lambda: np.zeros(D)},
    "layernorm_forward": {"gamma": lambda: np.ones(D), "beta": lambda: np.zeros(D)},
    "batch_perceptron": {"y": lambda: _PM},
    "perceptron_margin": {"y": lambda: _PM},
    "perceptron_update": {"x": lambda: _V, "y": lambda: 1},
    "mistake_bound": {"y": lambda: _PM, "w_star": lambda: _V},
    "check_gradient": {"f": lambda: (lambda x: float(np.sum(x**2))),
                       "grad": lambda: (lambda x: 2 * x)},
    "numerical_gradient": {"f": lambda: (lambda x: float(np.sum(x**2)))},
    "check_vjp": {"forward": lambda: _forward, "backward": lambda: _backward},
    "count_linear_pieces": {"x": lambda: np.linspace(0, 1, 9),
                            "y": lambda: np.abs(np.linspace(-1, 1, 9))},
    "expected_calibration_error": {"probs": lambda: np.linspace(0.1, 0.9, N)},
    "reliability_curve": {"probs": lambda: np.linspace(0.1, 0.9, N)},
    "gradient_descent": {"x0": lambda: _V.copy(), "grad": lambda: (lambda x: 2 * x)},
    "optimizer_trajectory": {"x0": lambda: _V.copy()},
    "quadratic": {"A": lambda: np.eye(D), "x": lambda: _V},
    "relative_error": {"b": lambda: _arr(N, D, seed=1)},
    "rosenbrock": {"x": lambda: np.array([0.5, 0.5])},
    "lms_update": {"w": lambda: _V, "b": lambda: 0.0, "X": lambda: _arr(N, D),
                   "y": lambda: _arr(N)},
    "logistic_forward": {"b": lambda: 0.0},
    "logistic_gradients": {"b": lambda: 0.0, "y": lambda: _labels() * 1.0},
    "logistic_hessian": {"b": lambda: 0.0},
    "logistic_loss": {"b": lambda: 0.0, "y": lambda: _labels() * 1.0},
    "load_checkpoint": {"path": _saved_path},
    "load_params": {"path": _saved_path},
    "standardize": {"X_train": lambda: _arr(N, D)},
    "train_val_split": {"val_fraction": lambda: 0.5},
    "elastic_net_penalty": {"l1_ratio": lambda: 0.5},
    "suggest_lr": {"lrs": lambda: np.geomspace(1e-4, 1.0, 20),
                   "losses": lambda: np.linspace(3.0, 1.0, 20)},
    "random_search": {"fit_and_score": lambda: _fit_and_score,
                      "distributions": lambda: {"lr": [0.1, 0.01]}},
    "cross_validate": {"fit_and_score": lambda: _fit_and_score},
    "train_step": {"loss_fn": lambda: nnbook.CrossEntropyLoss()},
    "linear_warmup": {"schedule": lambda: nnbook.constant(0.1)},
    "get_initializer": {"init": lambda: "he"},
    "hopfield_weights": {"patterns": lambda: np.array([_PM, _PM[::-1] * -1])},
    "run_seeds": {"run": lambda: (lambda seed: {"acc": float(seed)}),
                  "seeds": lambda: [0, 1, 2]},
}


# --- bad values -------------------------------------------------------------------------


def _bad_values(good: Any) -> list[tuple[str, Any]]:
    """The fixed list of bad values, plus array variants shaped like ``good``."""
    bad: list[tuple[str, Any]] = [
        ("None", None),
        ("str", "a"),
        ("nan", float("nan")),
        ("inf", float("inf")),
        ("-1", -1),
        ("0", 0),
        ("2.5", 2.5),
        ("1e300", 1e300),
        ("rank5", np.ones((2, 2, 2, 2, 2))),
        ("empty", np.zeros((0,))),
    ]
    if isinstance(good, np.ndarray) and good.dtype.kind == "f" and good.size:
        bad.append(("nan-array", np.full_like(good, np.nan)))
        bad.append(("empty-rows", np.zeros((0, *good.shape[1:]))))
    return bad


# --- calling, with a timeout ----------------------------------------------------------


class _Hang(Exception):
    pass


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    def alarm(signum: int, frame: Any) -> None:
        raise _Hang

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _bad_entries(value: Any, depth: int = 0) -> set[str]:
    """{"nan"}, {"inf"}, both or neither: what ``value`` holds (arrays, numbers,
    containers, and the parameters of a returned module)."""
    if depth > 3 or value is None or isinstance(value, (bool, np.bool_, str, bytes)):
        return set()
    if isinstance(value, (int, np.integer)):
        return set()
    if isinstance(value, (float, np.floating, np.ndarray)):
        arr = np.asarray(value)
        if arr.dtype.kind not in "fc":
            return set()
        return ({"nan"} if np.isnan(arr).any() else set()) | (
            {"inf"} if np.isinf(arr).any() else set()
        )
    items: list[Any] = []
    if isinstance(value, (list, tuple)):
        items = list(value[:50])
    elif isinstance(value, dict):
        items = list(value.values())[:50]
    elif isinstance(value, nnbook.Module):
        items = list(value.parameters().values())
    out: set[str] = set()
    for v in items:
        out |= _bad_entries(v, depth + 1)
    return out


def _call(fn: Callable[..., Any], kwargs: dict[str, Any]) -> tuple[str, Any]:
    """Run ``fn(**kwargs)``: ("ok", result) | ("error", exc) | ("hang", None)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with _deadline(TIMEOUT):
                out = fn(**kwargs)
        return "ok", out
    except _Hang:
        return "hang", None
    except Exception as err:  # classified by the caller
        return "error", err
    finally:
        if "matplotlib.pyplot" in __import__("sys").modules:
            __import__("matplotlib.pyplot").pyplot.close("all")


# --- discovering the API ----------------------------------------------------------------


class Target:
    """One callable of the public API, with a valid keyword call for it."""

    def __init__(self, label: str, make: Callable[[], Callable[..., Any]],
                 kwargs: Callable[[], dict[str, Any]], params: list[str]):
        self.label, self.make, self.kwargs, self.params = label, make, kwargs, params


def _signature(fn: Any) -> inspect.Signature | None:
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):
        return None


def _plan(fn: Any) -> tuple[list[str], list[str]] | None:
    """(required names, optional names) of the keyword-callable parameters."""
    sig = _signature(fn)
    if sig is None:
        return None
    req, opt = [], []
    for p in sig.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.name == "self":
            continue
        if p.kind is p.POSITIONAL_ONLY:
            return None
        (req if p.default is p.empty else opt).append(p.name)
    return req, opt


def _build(fn: Any, get_fn: Callable[[], Any]) -> tuple[Callable[[], dict], list] | None:
    """A factory of valid kwargs for ``fn`` and the list of parameters to vary, or
    None when no profile gives a call that succeeds."""
    plan = _plan(fn)
    if plan is None:
        return None
    req, opt = plan
    over = OVERRIDES.get(getattr(fn, "__name__", ""), {})
    if any(name not in VALID and name not in over for name in req):
        return None
    for profile in PROFILES:

        def kwargs(profile: str = profile) -> dict[str, Any]:
            out = {name: VALID[name](profile) for name in req if name not in over}
            out.update({name: make() for name, make in over.items() if name in req + opt})
            return out

        status, out = _call(get_fn(), kwargs())
        if status == "ok":
            return kwargs, req + opt
    return None


def discover() -> tuple[list[Target], list[str]]:
    """Every public function, class and (public) method we can call validly."""
    targets: list[Target] = []
    skipped: list[str] = []
    for name in sorted(set(nnbook.__all__)):
        obj = getattr(nnbook, name)
        if name in SKIP or not callable(obj):
            continue
        built = _build(obj, lambda obj=obj: obj)
        if built is None:
            skipped.append(name)
            continue
        kwargs, params = built
        targets.append(Target(name, lambda obj=obj: obj, kwargs, params))
        if not inspect.isclass(obj):
            continue
        # the methods of an instance built by the valid call
        for meth_name, meth in inspect.getmembers(obj, inspect.isfunction):
            if meth_name.startswith("_") or not meth.__module__.startswith("nnbook"):
                continue

            def make(obj: Any = obj, kwargs: Any = kwargs, m: str = meth_name) -> Any:
                return getattr(obj(**kwargs()), m)

            label = f"{name}.{meth_name}"
            m_built = _build(meth, make)
            if m_built is None:
                skipped.append(label)
                continue
            targets.append(Target(label, make, *m_built))
    return targets, skipped


# --- classification of one bad call -------------------------------------------------


def classify(target: Target, param: str, bad: Any) -> str:
    """"ok" | "silent" | "hang" | "unexplained: ..." for one call with one bad value."""
    kwargs = target.kwargs()
    kwargs[param] = bad
    status, out = _call(target.make(), kwargs)
    if status == "hang":
        return "hang"
    if status == "ok":
        bad_out = _bad_entries(out)
        if not bad_out:
            return "ok"
        # IEEE overflow of a huge argument (f(1e300) = inf) is the right answer, not a
        # silent failure; NaN never is.
        huge = isinstance(bad, float) and abs(bad) >= 1e300
        return "overflow" if bad_out == {"inf"} and huge else "silent"
    err = out
    msg = str(err)
    named = re.search(rf"(?<![A-Za-z0-9_]){re.escape(param)}(?![A-Za-z0-9_])", msg)
    if isinstance(err, (TypeError, ValueError)) and named:
        return "ok"
    return f"unexplained: {type(err).__name__}: {msg[:120]}"


_TARGETS: list[Target] | None = None
_SKIPPED: list[str] = []


def _targets() -> list[Target]:
    global _TARGETS, _SKIPPED
    if _TARGETS is None:
        _TARGETS, _SKIPPED = discover()
    return _TARGETS


# --- the tests ------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _in_a_scratch_folder(tmp_path, monkeypatch) -> None:
    """Bad arguments such as the string "a" reach functions that write files
    (``save_params(model, "a")``): keep whatever they write out of the repository."""
    monkeypatch.chdir(tmp_path)


def test_discovery_covers_most_of_the_api() -> None:
    targets = _targets()
    top = {t.label for t in targets if "." not in t.label}
    names = [n for n in set(nnbook.__all__) if callable(getattr(nnbook, n))]
    print(f"\nAPI walk: {len(top)} of {len(names)} public callables exercised, "
          f"{len(targets) - len(top)} methods; not constructible: {len(_SKIPPED)}")
    # the walk must exercise a substantial part of the API, so a broken table of valid
    # values cannot silently turn the test into a no-op
    assert len(top) >= 0.4 * len(names)


@pytest.mark.slow
def test_api_walk_census() -> None:
    """Every target, every parameter, every fixed bad value: counts by outcome."""
    counts: Counter[str] = Counter()
    findings: list[str] = []
    for target in _targets():
        good = target.kwargs()
        for param in target.params:
            for label, bad in _bad_values(good.get(param)):
                outcome = classify(target, param, bad)
                kind = outcome.split(":")[0]
                counts[kind] += 1
                if kind not in ("ok", "overflow"):
                    known = _known(target.label, param)
                    counts["known" if known else "new"] += 1
                    text = f"{target.label}({param}={label}): {outcome}"
                    findings.append(("(known) " if known else "") + text)
    calls = sum(counts[k] for k in ("ok", "overflow", "silent", "hang", "unexplained"))
    print(f"\nAPI walk census: {len(_targets())} callables, {calls} calls, "
          f"{counts['silent']} silent, {counts['hang']} hangs, "
          f"{counts['unexplained']} unexplained, {counts['overflow']} overflows to inf "
          f"of a 1e300 argument; {counts['known']} in the known list")
    for f in findings:
        print("  ", f)
    new = [f for f in findings if not f.startswith("(known)")]
    assert not new, f"{len(new)} findings; first: {new[:5]}"


def _bad_strategy() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.text(max_size=3),
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(-3, 3),
        st.sampled_from([1e300, -1e300, 2.5, True]),
        hnp.arrays(
            np.float64,
            hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=3),
            elements=st.floats(allow_nan=True, allow_infinity=True, width=64),
        ),
    )


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_api_walk_property(data: st.DataObject) -> None:
    """Random targets, parameters and bad values drawn by hypothesis."""
    targets = [t for t in _targets() if t.params]
    target = data.draw(st.sampled_from(targets), label="target")
    param = data.draw(st.sampled_from(target.params), label="param")
    bad = data.draw(_bad_strategy(), label="bad")
    outcome = classify(target, param, bad)
    if _known(target.label, param):
        return
    assert outcome in ("ok", "overflow"), f"{target.label}({param}={bad!r}): {outcome}"
