"""Convolutional architectures and the parameter/multiply-add counting walk.

The small networks trained in Part IV (:doc:`/book/cnn/pooling-and-cnns`,
:doc:`/book/cnn/residual-cnn`), the blocks of the classic architectures, and
:class:`ArchCounter`, which walks a famous network's real configuration and counts its
parameters and multiply-adds without allocating a single weight
(:doc:`/book/cnn/classic-architectures`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np

from .._checks import as_float_array, check_int, check_rng, check_type
from ..nn.conv import Conv1d, Conv2d, SpatialBatchNorm, conv_output_size
from ..nn.layers import Dense, ReLU, Sigmoid, Tanh
from ..nn.module import Module, Residual, Sequential
from ..nn.pooling import AvgPool2d, Flatten, GlobalAvgPool

__all__ = [
    "MNIST1DConvNet",
    "LeNet5",
    "ResidualBlock1d",
    "ResNet1d",
    "Concat",
    "ChannelShuffle",
    "SqueezeExcite",
    "ArchCounter",
    "count_architecture",
    "count_efficientnet",
    "ARCHITECTURES",
    "PUBLISHED_PARAMS",
]


# --- the networks trained in Part IV --------------------------------------------------


class _SeriesInput(Module):
    """Accept (N, L) series (or (N, 1, L)) and run ``self.body`` on (N, 1, L)."""

    body: Sequential

    def forward(self, X: np.ndarray) -> np.ndarray:
        """(N, L) or (N, 1, L) -> logits (N, n_classes)."""
        X = as_float_array(X, "X", ndim=(2, 3), shape_hint="(batch, length)")
        if X.ndim == 3 and X.shape[1] != 1:
            raise ValueError(
                f"X must be (batch, length) or (batch, 1, length); got shape {X.shape}"
            )
        self._save(X.shape)
        return self.body.forward(X.reshape(X.shape[0], 1, X.shape[-1]))

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Backward through the body; dX has the shape of X."""
        shape = self._saved()
        dX = self.body.backward(dY, input_grad=input_grad)
        return None if dX is None else dX.reshape(shape)


class MNIST1DConvNet(_SeriesInput):
    """The MNIST-1D reference CNN (``ConvBase`` of Greydanus, 2020): three Conv1d layers
    with kernels 5, 3, 3, stride 2, padding 1 and ``channels`` filters, ReLU after each,
    then a Dense layer on the flattened (channels x 5) map.

    ``X``: (N, 40) -> logits (N, n_classes); lengths 40 -> 19 -> 10 -> 5. Derived in
    :doc:`/book/cnn/pooling-and-cnns`.
    """

    def __init__(
        self,
        rng: np.random.Generator,
        channels: int = 25,
        length: int = 40,
        n_classes: int = 10,
        dtype: type | np.dtype = np.float64,
    ) -> None:
        super().__init__()
        check_rng(rng)
        c = check_int(channels, "channels")
        out = check_int(length, "length")
        for k in (5, 3, 3):
            out = conv_output_size(out, k, 2, 1)
        self.body = Sequential(
            [
                Conv1d(1, c, 5, rng, stride=2, padding=1, dtype=dtype),
                ReLU(),
                Conv1d(c, c, 3, rng, stride=2, padding=1, dtype=dtype),
                ReLU(),
                Conv1d(c, c, 3, rng, stride=2, padding=1, dtype=dtype),
                ReLU(),
                Flatten(),
                Dense(
                    c * out,
                    check_int(n_classes, "n_classes"),
                    rng,
                    init="xavier",
                    dtype=dtype,
                ),
            ]
        )


class LeNet5(Sequential):
    """LeNet-5 (LeCun et al., 1998) on 32 x 32 single-channel images: C1 six 5x5
    filters (28 x 28), S2 2x2 average pooling (14 x 14), C3 sixteen 5x5 filters
    (10 x 10), S4 pooling (5 x 5), C5 120 units, F6 84 units, 10 outputs, tanh
    activations. C3 is fully connected to S2 here (the original used a sparse table).

    ``X``: (N, 1, 32, 32) -> logits (N, n_classes). Derived in
    :doc:`/book/cnn/pooling-and-cnns`.
    """

    def __init__(
        self,
        rng: np.random.Generator,
        n_classes: int = 10,
        dtype: type | np.dtype = np.float64,
    ) -> None:
        check_rng(rng)
        n_classes = check_int(n_classes, "n_classes")
        super().__init__(
            [
                Conv2d(1, 6, 5, rng, dtype=dtype),
                Tanh(),
                AvgPool2d(2),
                Conv2d(6, 16, 5, rng, dtype=dtype),
                Tanh(),
                AvgPool2d(2),
                Conv2d(16, 120, 5, rng, dtype=dtype),
                Tanh(),
                Flatten(),
                Dense(120, 84, rng, init="xavier", dtype=dtype),
                Tanh(),
                Dense(84, n_classes, rng, init="xavier", dtype=dtype),
            ]
        )


class ResidualBlock1d(Residual):
    """A residual block for sequences: Y = X + F(X) with
    F = conv3 -> [BN] -> ReLU -> conv3 -> [BN] (padding 1, same channels), followed (in
    :class:`ResNet1d`) by a ReLU. ``X``, ``Y``: (N, C, L). Derived in
    :doc:`/book/cnn/residual-cnn`.
    """

    def __init__(
        self,
        channels: int,
        rng: np.random.Generator,
        batch_norm: bool = True,
        dtype: type | np.dtype = np.float64,
    ) -> None:
        c = check_int(channels, "channels")
        check_type(batch_norm, bool, "batch_norm")
        layers: list[Module] = [
            Conv1d(c, c, 3, rng, padding=1, bias=not batch_norm, dtype=dtype)
        ]
        if batch_norm:
            layers.append(SpatialBatchNorm(c, dtype=dtype))
        layers += [
            ReLU(),
            Conv1d(c, c, 3, rng, padding=1, bias=not batch_norm, dtype=dtype),
        ]
        if batch_norm:
            layers.append(SpatialBatchNorm(c, dtype=dtype))
        super().__init__(layers)
        if batch_norm:  # start each block near the identity (zero-init the last gamma)
            last = layers[-1]
            assert isinstance(last, SpatialBatchNorm)
            last.params["gamma"][:] = 0.0


class ResNet1d(_SeriesInput):
    """A small residual CNN for MNIST-1D: a stem Conv1d(1, C, 5, stride 2, padding 2),
    then ``n_stages`` stages of ``blocks`` :class:`ResidualBlock1d` each, separated by a
    stride-2 Conv1d that keeps the channels, global average pooling and a Dense
    classifier. ``residual=False`` drops the skip connections (the same layers in
    sequence); ``batch_norm=False`` drops the normalization. ``X``: (N, L) -> logits
    (N, n_classes). Derived in :doc:`/book/cnn/residual-cnn`.
    """

    def __init__(
        self,
        rng: np.random.Generator,
        channels: int = 32,
        blocks: int = 2,
        n_stages: int = 2,
        n_classes: int = 10,
        residual: bool = True,
        batch_norm: bool = True,
        dtype: type | np.dtype = np.float64,
    ) -> None:
        super().__init__()
        check_rng(rng)
        c = check_int(channels, "channels")
        check_type(residual, bool, "residual")
        check_type(batch_norm, bool, "batch_norm")

        def norm() -> list[Module]:
            return [SpatialBatchNorm(c, dtype=dtype)] if batch_norm else []

        layers: list[Module] = [
            Conv1d(1, c, 5, rng, stride=2, padding=2, dtype=dtype),
            *norm(),
            ReLU(),
        ]
        for stage in range(check_int(n_stages, "n_stages")):
            if stage:
                layers += [
                    Conv1d(c, c, 3, rng, stride=2, padding=1, dtype=dtype),
                    *norm(),
                    ReLU(),
                ]
            for _ in range(check_int(blocks, "blocks", minimum=0)):
                block = ResidualBlock1d(c, rng, batch_norm=batch_norm, dtype=dtype)
                if residual:
                    layers.append(block)
                else:
                    if batch_norm:  # without the skip a zero gamma would block the path
                        last = block.layers[-1]
                        assert isinstance(last, SpatialBatchNorm)
                        last.params["gamma"][:] = 1.0
                    layers += block.layers
                layers.append(ReLU())
        layers += [
            GlobalAvgPool(),
            Dense(
                c, check_int(n_classes, "n_classes"), rng, init="xavier", dtype=dtype
            ),
        ]
        self.body = Sequential(layers)


# --- blocks of the classic architectures ----------------------------------------------


class Concat(Module):
    """Parallel branches on the same input, outputs concatenated along the channels:
    Y = [B_1(X), ..., B_k(X)] on axis 1 (Inception, SqueezeNet's fire module, and with
    an :class:`~nnbook.nn.layers.Identity` branch a DenseNet layer). Backward splits dY
    by channels and *adds* the branches' input gradients. ``X``: (N, C, ...) -> (N,
    sum of the branches' channels, ...). Derived in
    :doc:`/book/cnn/classic-architectures`.
    """

    def __init__(self, branches: Sequence[Module]) -> None:
        super().__init__()
        branches = list(branches)
        if not branches:
            raise ValueError("branches must hold at least one Module; got none")
        for i, b in enumerate(branches):
            check_type(b, Module, f"branches[{i}]")
        self.branches = branches

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Concatenate every branch's output on axis 1; caches the split points."""
        outs = [b(X) for b in self.branches]
        spatial = {o.shape[2:] for o in outs}
        if len(spatial) != 1:
            raise ValueError(f"the branches must keep one spatial shape; got {spatial}")
        self._save([o.shape[1] for o in outs])
        return np.concatenate(outs, axis=1)

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """dX = sum over branches of B_i.backward(dY[:, channels of i])."""
        sizes = self._saved()
        parts = np.split(dY, np.cumsum(sizes)[:-1], axis=1)
        dX = None
        for b, d in zip(reversed(self.branches), reversed(parts)):
            g = b.backward(np.ascontiguousarray(d), input_grad=input_grad)
            if g is not None:
                dX = g if dX is None else dX + g
        return dX


class ChannelShuffle(Module):
    """ShuffleNet's channel shuffle: view the C channels as (groups, C / groups),
    transpose to (C / groups, groups) and flatten, so that the next grouped convolution
    sees channels from every group. A permutation: the backward pass applies the
    inverse one. ``X``: (N, C, ...) -> same shape. Derived in
    :doc:`/book/cnn/classic-architectures`.
    """

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = check_int(groups, "groups")

    def _shuffle(self, X: np.ndarray, a: int, b: int) -> np.ndarray:
        N, C = X.shape[:2]
        rest = X.shape[2:]
        Y = X.reshape((N, a, b) + rest).swapaxes(1, 2)
        return np.ascontiguousarray(Y).reshape((N, C) + rest)

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Channel c = g * (C / groups) + k goes to position k * groups + g."""
        X = as_float_array(X, "X", shape_hint="(batch, channels, ...)")
        if X.ndim < 2 or X.shape[1] % self.groups:
            raise ValueError(
                f"X must have a channel axis divisible by groups "
                f"{self.groups}; got shape {X.shape}"
            )
        self._save(X.shape)
        return self._shuffle(X, self.groups, X.shape[1] // self.groups)

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """The inverse permutation."""
        shape = self._saved()
        dY = self._check_dY(dY, shape)
        return (
            self._shuffle(dY, shape[1] // self.groups, self.groups)
            if input_grad
            else None
        )


class SqueezeExcite(Module):
    """Squeeze-and-excitation (Hu et al., 2018), as used by EfficientNet: channel
    weights g = sigmoid(W_2 relu(W_1 s + b_1) + b_2) from the channel means s, and
    Y = X * g (per channel). ``X``: (N, C, ...) -> same shape; W_1: (C, C_squeeze).

    Backward (product rule): dX = dY * g + (1/positions) * d s, with d s the gradient
    that reaches the means through the gate. Derived in
    :doc:`/book/cnn/classic-architectures`.
    """

    def __init__(
        self,
        channels: int,
        squeeze: int,
        rng: np.random.Generator,
        dtype: type | np.dtype = np.float64,
    ) -> None:
        super().__init__()
        c, s = check_int(channels, "channels"), check_int(squeeze, "squeeze")
        self.pool = GlobalAvgPool()
        self.fc1 = Dense(c, s, rng, dtype=dtype)
        self.act = ReLU()
        self.fc2 = Dense(s, c, rng, init="xavier", dtype=dtype)
        self.gate = Sigmoid()

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Y = X * g[:, :, None, ...]."""
        X = as_float_array(X, "X", shape_hint="(batch, channels, ...)")
        g = self.gate(self.fc2(self.act(self.fc1(self.pool(X)))))
        gb = g.reshape(g.shape + (1,) * (X.ndim - 2))
        self._save(X, gb)
        return X * gb

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Both paths: through the scaling and through the gate."""
        X, gb = self._saved()
        dY = self._check_dY(dY, X.shape)
        dg = (dY * X).sum(axis=tuple(range(2, X.ndim)))
        d: Any = dg
        for m in (self.gate, self.fc2, self.act, self.fc1):
            d = m.backward(d)
        ds = self.pool.backward(d, input_grad=input_grad)
        return None if ds is None else dY * gb + ds


# --- the counting walk ----------------------------------------------------------------


class ArchCounter:
    """Walk an architecture's configuration layer by layer, tracking the feature-map
    shape (C, H, W) and adding up parameters and multiply-adds, without allocating any
    weight. Each method applies one layer and returns ``self`` (so calls chain):

    * conv(out, k, stride, padding, groups, bias): params (C/g) k_h k_w out (+ out),
      MACs (C/g) k_h k_w out OH OW;
    * bn(): 2C params (scale and shift; the running statistics are not parameters);
    * pool(k, stride, padding) / global_pool(): no parameters, the new shape;
    * dense(out, bias): C H W out (+ out) params and C H W out MACs;
    * branch() starts a parallel path from the current shape; concat(*branches) and
      add(branch) merge paths (channel concatenation, residual sum).

    Derived in :doc:`/book/cnn/classic-architectures`.
    """

    def __init__(self, shape: tuple[int, int, int]) -> None:
        self.shape = tuple(check_int(s, "shape") for s in shape)
        self.params = 0
        self.macs = 0
        self.log: list[tuple[str, tuple[int, ...], int, int]] = []

    def _record(self, name: str, params: int, macs: int) -> ArchCounter:
        self.params += params
        self.macs += macs
        self.log.append((name, self.shape, params, macs))
        return self

    def conv(
        self,
        out: int,
        k: int | tuple[int, int],
        stride: int = 1,
        padding: int | tuple[int, int] | None = None,
        groups: int = 1,
        bias: bool = False,
    ) -> ArchCounter:
        """A Conv2d; ``padding=None`` means k // 2 ("same" for odd k and stride 1)."""
        C, H, W = self.shape
        kh, kw = (k, k) if isinstance(k, int) else k
        ph, pw = (
            (kh // 2, kw // 2)
            if padding is None
            else (padding, padding)
            if isinstance(padding, int)
            else padding
        )
        if C % groups or out % groups:
            raise ValueError(f"channels {C} -> {out} not divisible by groups {groups}")
        OH = conv_output_size(H, kh, stride, ph)
        OW = conv_output_size(W, kw, stride, pw)
        per = (C // groups) * kh * kw * out
        self.shape = (out, OH, OW)
        return self._record(f"conv{kh}x{kw}", per + (out if bias else 0), per * OH * OW)

    def bn(self) -> ArchCounter:
        """Batch normalization: gamma and beta per channel."""
        return self._record("bn", 2 * self.shape[0], 0)

    def pool(
        self,
        k: int,
        stride: int | None = None,
        padding: int = 0,
        ceil_mode: bool = False,
    ) -> ArchCounter:
        """Max or average pooling (no parameters); ``ceil_mode`` rounds the size up."""
        C, H, W = self.shape
        s = k if stride is None else stride

        def size(n: int) -> int:
            if not ceil_mode:
                return conv_output_size(n, k, s, padding)
            o = -(-(n + 2 * padding - k) // s) + 1
            return o - 1 if (o - 1) * s >= n + padding else o

        self.shape = (C, size(H), size(W))
        return self._record("pool", 0, 0)

    def global_pool(self) -> ArchCounter:
        """Global average pooling to (C, 1, 1)."""
        self.shape = (self.shape[0], 1, 1)
        return self._record("gap", 0, 0)

    def dense(self, out: int, bias: bool = True) -> ArchCounter:
        """A fully connected layer on the flattened map."""
        n_in = int(np.prod(self.shape))
        self.shape = (out, 1, 1)
        return self._record("dense", n_in * out + (out if bias else 0), n_in * out)

    def branch(self) -> ArchCounter:
        """A new counter starting from the current shape (for a parallel path)."""
        return ArchCounter(self.shape)  # type: ignore[arg-type]

    def concat(self, *branches: ArchCounter) -> ArchCounter:
        """Concatenate the branches' channels (they must agree in space)."""
        if {b.shape[1:] for b in branches} != {branches[0].shape[1:]}:
            raise ValueError("branches must end with one spatial shape")
        self.shape = (sum(b.shape[0] for b in branches),) + branches[0].shape[1:]
        return self._record(
            "concat", sum(b.params for b in branches), sum(b.macs for b in branches)
        )

    def add(self, *branches: ArchCounter) -> ArchCounter:
        """Residual sum: the result takes the first branch's shape."""
        self.shape = branches[0].shape
        return self._record(
            "add", sum(b.params for b in branches), sum(b.macs for b in branches)
        )


def _alexnet(c: ArchCounter) -> None:
    # Krizhevsky et al. (2012): two GPU towers = groups 2 on conv2, conv4, conv5
    c.conv(96, 11, 4, 0, bias=True).pool(3, 2)
    c.conv(256, 5, 1, 2, groups=2, bias=True).pool(3, 2)
    c.conv(384, 3, 1, 1, bias=True).conv(384, 3, 1, 1, groups=2, bias=True)
    c.conv(256, 3, 1, 1, groups=2, bias=True).pool(3, 2)
    c.dense(4096).dense(4096).dense(1000)


def _vgg16(c: ArchCounter) -> None:
    # Simonyan and Zisserman (2015), configuration D
    for widths in ((64, 64), (128, 128), (256,) * 3, (512,) * 3, (512,) * 3):
        for w in widths:
            c.conv(w, 3, 1, 1, bias=True)
        c.pool(2, 2)
    c.dense(4096).dense(4096).dense(1000)


def _googlenet(c: ArchCounter, bias: bool = True) -> None:
    # Szegedy et al. (2015), Table 1: (1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool proj)
    def inception(n1: int, r3: int, n3: int, r5: int, n5: int, pp: int) -> None:
        b1 = c.branch().conv(n1, 1, bias=bias)
        b2 = c.branch().conv(r3, 1, bias=bias).conv(n3, 3, bias=bias)
        b3 = c.branch().conv(r5, 1, bias=bias).conv(n5, 5, bias=bias)
        b4 = c.branch().pool(3, 1, 1).conv(pp, 1, bias=bias)
        c.concat(b1, b2, b3, b4)

    c.conv(64, 7, 2, 3, bias=bias).pool(3, 2, ceil_mode=True)
    c.conv(64, 1, bias=bias).conv(192, 3, bias=bias).pool(3, 2, ceil_mode=True)
    inception(64, 96, 128, 16, 32, 32)
    inception(128, 128, 192, 32, 96, 64)
    c.pool(3, 2, ceil_mode=True)
    for cfg in (
        (192, 96, 208, 16, 48, 64),
        (160, 112, 224, 24, 64, 64),
        (128, 128, 256, 24, 64, 64),
        (112, 144, 288, 32, 64, 64),
        (256, 160, 320, 32, 128, 128),
    ):
        inception(*cfg)
    c.pool(3, 2, ceil_mode=True)
    inception(256, 160, 320, 32, 128, 128)
    inception(384, 192, 384, 48, 128, 128)
    c.global_pool().dense(1000)


def _resnet50(c: ArchCounter) -> None:
    # He et al. (2016), Table 1; bottleneck blocks with BN, stride in the 3x3 conv
    c.conv(64, 7, 2, 3).bn().pool(3, 2, 1)
    for width, n, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for i in range(n):
            s = stride if i == 0 else 1
            main = c.branch().conv(width, 1).bn().conv(width, 3, s).bn()
            main.conv(4 * width, 1).bn()
            skip = c.branch()
            if i == 0:
                skip.conv(4 * width, 1, s, 0).bn()
            c.add(main, skip)
    c.global_pool().dense(1000)


def _densenet121(c: ArchCounter, growth: int = 32) -> None:
    # Huang et al. (2017): BN-ReLU-1x1(4k)-BN-ReLU-3x3(k) layers, transitions halve C
    c.conv(64, 7, 2, 3).bn().pool(3, 2, 1)
    for b, n in enumerate((6, 12, 24, 16)):
        for _ in range(n):
            new = c.branch().bn().conv(4 * growth, 1).bn().conv(growth, 3)
            c.concat(c.branch(), new)
        if b < 3:
            c.bn().conv(c.shape[0] // 2, 1).pool(2, 2)
    c.bn().global_pool().dense(1000)


def _make_divisible(v: float, divisor: int = 8) -> int:
    """Round channels to a multiple of 8, never more than 10% down (MobileNet code)."""
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * v else new


def _inverted_residual(
    c: ArchCounter, out: int, expand: int, k: int, stride: int, se_ratio: float = 0.0
) -> None:
    cin = c.shape[0]
    main = c.branch()
    hidden = cin * expand
    if expand != 1:
        main.conv(hidden, 1).bn()
    main.conv(hidden, k, stride, groups=hidden).bn()
    if se_ratio:
        sq = max(1, int(cin * se_ratio))
        se = (
            main.branch()
            .global_pool()
            .conv(sq, 1, bias=True)
            .conv(hidden, 1, bias=True)
        )
        main.params += se.params
        main.macs += se.macs
    main.conv(out, 1).bn()
    if stride == 1 and cin == out:
        c.add(main, c.branch())
    else:
        c.add(main)


def _mobilenetv2(c: ArchCounter) -> None:
    # Sandler et al. (2018), Table 2: (expansion t, channels c, repeats n, stride s)
    c.conv(32, 3, 2, 1).bn()
    for t, ch, n, s in (
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
        (6, 320, 1, 1),
    ):
        for i in range(n):
            _inverted_residual(c, ch, t, 3, s if i == 0 else 1)
    c.conv(1280, 1).bn().global_pool().dense(1000)


def _efficientnet_b0(c: ArchCounter, width: float = 1.0, depth: float = 1.0) -> None:
    # Tan and Le (2019), Table 1: MBConv(expand, kernel, stride, channels, layers),
    # squeeze-and-excitation to 1/4 of the block's input channels
    c.conv(_make_divisible(32 * width), 3, 2, 1).bn()
    for t, k, s, ch, n in (
        (1, 3, 1, 16, 1),
        (6, 3, 2, 24, 2),
        (6, 5, 2, 40, 2),
        (6, 3, 2, 80, 3),
        (6, 5, 1, 112, 3),
        (6, 5, 2, 192, 4),
        (6, 3, 1, 320, 1),
    ):
        for i in range(int(np.ceil(n * depth))):
            _inverted_residual(
                c, _make_divisible(ch * width), t, k, s if i == 0 else 1, se_ratio=0.25
            )
    c.conv(_make_divisible(1280 * width), 1).bn().global_pool().dense(1000)


#: name -> (input shape, walk): the real configurations, as published.
ARCHITECTURES: dict[str, tuple[tuple[int, int, int], Callable[[ArchCounter], None]]] = {
    "AlexNet": ((3, 227, 227), _alexnet),
    "VGG-16": ((3, 224, 224), _vgg16),
    "GoogLeNet": ((3, 224, 224), partial(_googlenet, bias=False)),
    "ResNet-50": ((3, 224, 224), _resnet50),
    "DenseNet-121": ((3, 224, 224), _densenet121),
    "MobileNetV2": ((3, 224, 224), _mobilenetv2),
    "EfficientNet-B0": ((3, 224, 224), _efficientnet_b0),
}

#: Parameter counts as published (papers and reference implementations), in millions.
#: GoogLeNet's Table 1 lists weights without biases in units of 1024: its column sums
#: to 6797.7 "K", printed as 6.8 M, which is 6797.7 * 1024 = 6.96 million parameters.
PUBLISHED_PARAMS: dict[str, float] = {
    "AlexNet": 61.0,
    "VGG-16": 138.0,
    "GoogLeNet": 6797.7 * 1024 / 1e6,
    "ResNet-50": 25.6,
    "DenseNet-121": 8.0,
    "MobileNetV2": 3.5,
    "EfficientNet-B0": 5.3,
}


def count_architecture(name: str) -> ArchCounter:
    """Run the counting walk of a network in :data:`ARCHITECTURES` and return the
    counter (``.params``, ``.macs``, ``.log``). Derived in
    :doc:`/book/cnn/classic-architectures`."""
    check_type(name, str, "name")
    if name not in ARCHITECTURES:
        raise ValueError(f"name must be one of {sorted(ARCHITECTURES)}; got {name!r}")
    shape, walk = ARCHITECTURES[name]
    counter = ArchCounter(shape)
    walk(counter)
    return counter


def count_efficientnet(
    width: float = 1.0, depth: float = 1.0, resolution: int = 224
) -> ArchCounter:
    """The EfficientNet-B0 walk with its channels multiplied by ``width`` (rounded to
    multiples of 8), each stage's layers by ``depth`` (rounded up) and the input side
    set to ``resolution``: compound scaling, derived in
    :doc:`/book/cnn/classic-architectures`."""
    counter = ArchCounter(
        (3, check_int(resolution, "resolution"), check_int(resolution, "resolution"))
    )
    _efficientnet_b0(counter, width=float(width), depth=float(depth))
    return counter
