"""The module system: one base class for every layer, block and model.

Introduced in :doc:`/book/mlp/multilayer-perceptron`. The contract:

* **Parameters** live in ``self.params`` (name -> array) and their gradients in
  ``self.grads`` (same names and shapes). Child modules are found automatically: every
  attribute that is a :class:`Module`, or a list/tuple of modules, is a child.
  :meth:`Module.named_parameters` walks the tree and yields dotted names such as
  ``"encoder.0.W"``; a parameter reached twice (a shared or tied weight) is yielded
  once.
* **Gradients accumulate.** ``backward`` *adds* into ``grads``; :meth:`Module.zero_grad`
  resets them. The gradient of a weight used several times is then the sum of the
  chain rule over its uses.
* **Caches are a stack.** Each ``forward`` pushes what its backward needs; each
  ``backward`` pops the most recent entry (last in, first out). A module called k times
  before its backward passes runs k backward passes in the reverse order of the calls.
  A backward with nothing left to pop is an error. Inside :func:`no_grad` nothing is
  cached (evaluation, prediction, numerical gradients).
* ``backward(dY, input_grad=True)`` returns dL/dX (a tuple for several inputs); with
  ``input_grad=False`` it fills the parameter gradients only and returns None.
* ``train()`` / ``eval()`` set ``training`` on the whole tree.
* :meth:`Module.state_dict` / :meth:`Module.load_state_dict` save and restore the
  parameters and buffers (running statistics) by dotted name.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np

from .._checks import (
    ArgumentTypeError,
    NonFiniteError,
    _describe,
    as_float_array,
    check_type,
)

__all__ = ["Module", "Layer", "Sequential", "Residual", "no_grad", "is_grad_enabled"]

_GRAD_ENABLED = [True]


@contextmanager
def no_grad() -> Iterator[None]:
    """Within this block, ``forward`` caches nothing, so no backward can follow.

    Use it for evaluation and prediction: a forward pass whose caches are never consumed
    would otherwise stay on the module's stack.
    """
    previous = _GRAD_ENABLED[0]
    _GRAD_ENABLED[0] = False
    try:
        yield
    finally:
        _GRAD_ENABLED[0] = previous


def is_grad_enabled() -> bool:
    """False inside :func:`no_grad`."""
    return _GRAD_ENABLED[0]


class Module:
    """Base class of every layer, block and model: ``Y = f(X; params)`` with a backward
    pass.

    Subclasses implement ``forward(*inputs)``, which calls :meth:`_save` with what the
    backward pass needs, and ``backward(dY, input_grad=True)``, which calls
    :meth:`_saved`, *adds* dL/dparams into ``self.grads`` and returns dL/dX. Own
    parameters are registered with :meth:`add_param`, non-trainable state with
    :meth:`add_buffer`. Derived in :doc:`/book/mlp/multilayer-perceptron`.
    """

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}
        self.training: bool = True
        self._caches: list[Any] = []

    # --- registration
    # --------------------------------------------------------------------

    def add_param(self, name: str, value: np.ndarray) -> np.ndarray:
        """Register a trainable array under ``name`` with a zero gradient of its
        shape."""
        check_type(name, str, "name")
        if not isinstance(value, np.ndarray) or value.dtype.kind != "f":
            raise ArgumentTypeError(
                f"value of parameter {name!r} must be a floating-point array; "
                f"got {_describe(value)}"
            )
        arr = np.ascontiguousarray(value)
        if not np.isfinite(arr).all():
            raise NonFiniteError(
                f"value of parameter {name!r} must be finite; got NaN or inf values"
            )
        self.params[name] = arr
        self.grads[name] = np.zeros_like(arr)
        return arr

    def add_buffer(self, name: str, value: np.ndarray) -> np.ndarray:
        """Register a non-trainable array (saved by :meth:`state_dict`, never
        updated)."""
        check_type(name, str, "name")
        if not isinstance(value, np.ndarray) or value.dtype.kind not in "biuf":
            raise ArgumentTypeError(
                f"value of buffer {name!r} must be a numeric array; "
                f"got {_describe(value)}"
            )
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            raise NonFiniteError(
                f"value of buffer {name!r} must be finite; got NaN or inf values"
            )
        self.buffers[name] = np.ascontiguousarray(value)
        return self.buffers[name]

    # --- the tree
    # ------------------------------------------------------------------------

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Direct children: attributes that are modules, or lists/tuples of modules
        (named ``attr.i``), in the order they were assigned."""
        for name, value in vars(self).items():
            if name.startswith("_"):
                continue
            if isinstance(value, Module):
                yield name, value
            elif (
                isinstance(value, (list, tuple))
                and value
                and all(isinstance(c, Module) for c in value)
            ):
                for i, child in enumerate(value):
                    yield f"{name}.{i}", child

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module (name ``prefix``) and every descendant, each once."""
        seen: set[int] = set()

        def walk(m: Module, name: str) -> Iterator[tuple[str, Module]]:
            if id(m) in seen:
                return
            seen.add(id(m))
            yield name, m
            for child_name, child in m.named_children():
                yield from walk(child, f"{name}.{child_name}" if name else child_name)

        yield from walk(self, prefix)

    def _named(self, table: str) -> Iterator[tuple[str, np.ndarray, Module, str]]:
        seen: set[int] = set()
        for mname, m in self.named_modules():
            for key, arr in getattr(m, table).items():
                if id(arr) in seen:
                    continue
                seen.add(id(arr))
                yield (f"{mname}.{key}" if mname else key), arr, m, key

    def named_parameters(self) -> Iterator[tuple[str, np.ndarray]]:
        """``(dotted_name, array)`` for every trainable array, each array once."""
        for name, arr, _, _ in self._named("params"):
            yield name, arr

    def named_grads(self) -> Iterator[tuple[str, np.ndarray]]:
        """``(dotted_name, gradient)`` with the names of :meth:`named_parameters`."""
        for name, _, m, key in self._named("params"):
            yield name, m.grads[key]

    def parameters(self) -> dict[str, np.ndarray]:
        """All trainable arrays by dotted name: the module's own arrays, not copies, so
        an optimizer that updates them in place updates the model."""
        return dict(self.named_parameters())

    def gradients(self) -> dict[str, np.ndarray]:
        """The accumulated gradients, with the keys of :meth:`parameters`."""
        return dict(self.named_grads())

    @property
    def n_params(self) -> int:
        """Number of trainable scalars (a shared array counted once)."""
        return int(sum(p.size for _, p in self.named_parameters()))

    @property
    def dtype(self) -> np.dtype:
        """The floating dtype of the parameters (float64 for a module without any)."""
        for _, p in self.named_parameters():
            return p.dtype
        return np.dtype(np.float64)

    def zero_grad(self) -> None:
        """Set every gradient to zero, in place."""
        for _, g in self.named_grads():
            g.fill(0)

    def clear_cache(self) -> None:
        """Drop every cached forward pass in the tree (e.g. after an aborted step)."""
        for _, m in self.named_modules():
            m._caches.clear()

    # --- modes
    # -------------------------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Set ``training = mode`` on this module and every descendant; returns self."""
        check_type(mode, bool, "mode")
        for _, m in self.named_modules():
            m.training = mode
        return self

    def eval(self) -> Module:
        """Evaluation mode for the whole tree (dropout off, running statistics used)."""
        return self.train(False)

    # --- saving
    # ------------------------------------------------------------------------

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter and buffer, by dotted name."""
        out = {name: a.copy() for name, a, _, _ in self._named("params")}
        out.update({name: a.copy() for name, a, _, _ in self._named("buffers")})
        return out

    def load_state_dict(self, state: Mapping[str, np.ndarray]) -> None:
        """Copy ``state`` into the module's arrays *in place* (an optimizer holding them
        sees the new values). Names and shapes must match exactly."""
        check_type(state, Mapping, "state")
        own = {n: a for n, a, _, _ in self._named("params")}
        own.update({n: a for n, a, _, _ in self._named("buffers")})
        if set(state) != set(own):
            missing, extra = (
                sorted(set(own) - set(state)),
                sorted(set(state) - set(own)),
            )
            raise ValueError(
                f"state must hold exactly the module's arrays; missing {missing}, "
                f"unexpected {extra}"
            )
        for name, arr in own.items():
            new = np.asarray(state[name])
            if new.shape != arr.shape:
                raise ValueError(
                    f"state[{name!r}] must have shape {arr.shape}; got {new.shape}"
                )
            if new.dtype.kind == "f" and not np.isfinite(new).all():
                raise ValueError(
                    f"state[{name!r}] must be finite; got NaN or inf values"
                )
            arr[...] = new

    # --- the two passes
    # ----------------------------------------------------------------

    def forward(self, *inputs: Any) -> Any:
        """Compute the output, calling :meth:`_save` with what backward needs."""
        raise NotImplementedError

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> Any:
        """Given dL/dY, add dL/dparams into ``grads`` and return dL/dX (None when
        ``input_grad`` is False)."""
        raise NotImplementedError

    def __call__(self, *inputs: Any, **kwargs: Any) -> Any:
        return self.forward(*inputs, **kwargs)

    def _save(self, *cache: Any) -> None:
        """Push one forward pass's cache (nothing inside :func:`no_grad`)."""
        if _GRAD_ENABLED[0]:
            self._caches.append(cache)

    def _saved(self) -> Any:
        """Pop the most recent forward pass's cache (a 1-tuple is unpacked)."""
        if not self._caches:
            raise ValueError(
                f"{type(self).__name__}.backward has no forward pass left to consume: "
                "call forward first (outside no_grad), once per backward"
            )
        cache = self._caches.pop()
        return cache[0] if len(cache) == 1 else cache

    def _check_dY(self, dY: Any, shape: tuple[int, ...]) -> np.ndarray:
        """dY as a finite float array of the output's ``shape``."""
        dY = as_float_array(dY, "dY", allow_empty=True)
        if dY.shape != shape:
            raise ValueError(
                f"dY must have the shape of {type(self).__name__}'s output {shape}; "
                f"got {dY.shape}"
            )
        return dY

    def extra_repr(self) -> str:
        """Arguments shown inside the parentheses of ``repr``."""
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        inner = ",\n".join(
            f"  ({n}): " + repr(c).replace("\n", "\n  ") for n, c in children
        )
        return f"{type(self).__name__}(\n{inner}\n)"


#: The name Parts II and III used for the base class; the same class.
Layer = Module


class Sequential(Module):
    """Modules applied in order: Y = f_L(... f_2(f_1(X))). Children are named "0", "1",
    ...

    The backward pass hands dL/dY to the last module, its dL/dX to the one before, and
    so on: the chain rule, one module at a time. Derived in
    :doc:`/book/mlp/multilayer-perceptron`.
    """

    def __init__(self, layers: list[Module]) -> None:
        super().__init__()
        layers = list(layers) if isinstance(layers, (list, tuple)) else layers
        check_type(layers, list, "layers")
        if not layers:
            raise ValueError("layers must hold at least one Module; got an empty list")
        for i, layer in enumerate(layers):
            check_type(layer, Module, f"layers[{i}]")
        self.layers = layers

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for i, layer in enumerate(self.layers):
            yield str(i), layer

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Run every module in order; each caches what its backward pass needs."""
        for layer in self.layers:
            X = layer(X)
        return X

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Backpropagation through the stack; the first module gets ``input_grad``."""
        for i in range(len(self.layers) - 1, 0, -1):
            dY = self.layers[i].backward(dY)
        out: np.ndarray | None = self.layers[0].backward(dY, input_grad=input_grad)
        return out

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Class labels in evaluation mode: argmax of the logits for several outputs,
        1[logit > 0] for one. ``X``: (batch, n_in) -> (batch,) int64."""
        Z = predict_outputs(self, X)
        if Z.ndim == 2 and Z.shape[1] > 1:
            return np.argmax(Z, axis=1).astype(np.int64)
        return (Z.reshape(Z.shape[0]) > 0).astype(np.int64)

    def flops_per_example(self) -> int:
        """Multiply-adds of one example's forward pass through the matrix products:
        the sum of ``flops_per_example`` over the modules that report one.

        The backward pass costs about twice as much (dX = dY W^T and dW = X^T dY are
        each
        a product of the same size), so a training step costs about 3x this per example.
        Derived in :doc:`/book/mlp/multilayer-perceptron`.
        """
        total = 0
        for _, m in self.named_modules():
            if m is not self and not isinstance(m, Sequential):
                count = getattr(m, "flops_per_example", None)
                total += int(count()) if callable(count) else 0
        return total

    def summary(self) -> str:
        """A table of the modules and their parameter counts."""
        rows = [("#", "layer", "parameters")]
        for i, layer in enumerate(self.layers):
            rows.append((str(i), repr(layer).replace("\n", " "), f"{layer.n_params:,}"))
        w = [max(len(r[j]) for r in rows) for j in range(3)]
        lines = [f"{a:>{w[0]}}  {b:<{w[1]}}  {c:>{w[2]}}" for a, b, c in rows]
        rule = "-" * len(lines[0])
        lines.insert(1, rule)
        lines.append(rule)
        lines.append(
            f"total parameters: {self.n_params:,}; forward multiply-adds per example: "
            f"{self.flops_per_example():,}"
        )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return "Sequential([" + ", ".join(repr(m) for m in self.layers) + "])"


class Residual(Sequential):
    """A skip connection around a block: Y = X + F(X), F the modules applied in order
    (He et al., 2016). F must keep the shape of X.

    Backward: dX = dY + J_F^T dY. The upstream gradient passes through the identity path
    unchanged and is *added* to what the block returns, so it cannot vanish through the
    block. Explained in :doc:`/book/mlp/vanishing-gradients`.
    """

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Y = X + F(X)."""
        F = super().forward(X)
        if F.shape != np.shape(X):
            raise ValueError(
                f"the residual block must keep the shape of its input {np.shape(X)}; "
                f"it returned {F.shape}"
            )
        return np.asarray(X, dtype=F.dtype) + F

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """dX = dY + (the block's backward of dY)."""
        g = super().backward(dY, input_grad=input_grad)
        return None if g is None else dY + g

    def __repr__(self) -> str:
        return "Residual([" + ", ".join(repr(m) for m in self.layers) + "])"


def predict_outputs(model: Module, *inputs: Any) -> Any:
    """``model(*inputs)`` in evaluation mode without caching; the modes are restored."""
    modes = [(m, m.training) for _, m in model.named_modules()]
    model.eval()
    try:
        with no_grad():
            return model(*inputs)
    finally:
        for m, mode in modes:
            m.training = mode
