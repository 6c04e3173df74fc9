"""Tests for nnbook.models.cnn: the networks, the classic blocks and the counting walk."""

from __future__ import annotations

import numpy as np
import pytest

import nnbook.models.cnn as M
from nnbook import Conv2d, ReLU, Sequential, check_module
from nnbook.nn.layers import Identity


def test_mnist1d_convnet_shapes_and_gradients(rng: np.random.Generator) -> None:
    net = M.MNIST1DConvNet(rng, channels=4)
    assert net(rng.standard_normal((3, 40))).shape == (3, 10)
    net.clear_cache()
    # ConvBase with 25 channels: 150 + 1900 + 1900 + 1260 parameters
    assert M.MNIST1DConvNet(rng).n_params == 25 * 6 + 2 * (25 * 75 + 25) + 125 * 10 + 10
    check_module(M.MNIST1DConvNet(rng, channels=3, length=12), rng.standard_normal((2, 12)))


def test_lenet5(rng: np.random.Generator) -> None:
    net = M.LeNet5(rng)
    assert net(rng.standard_normal((2, 1, 32, 32))).shape == (2, 10)
    # C1 156, C3 2416, C5 48120, F6 10164, output 850
    assert net.n_params == 156 + 2416 + 48120 + 10164 + 850


@pytest.mark.parametrize("residual", [True, False])
@pytest.mark.parametrize("batch_norm", [True, False])
def test_resnet1d_gradients(rng: np.random.Generator, residual: bool,
                            batch_norm: bool) -> None:
    net = M.ResNet1d(rng, channels=3, blocks=1, n_stages=2, residual=residual,
                     batch_norm=batch_norm)
    for name, p in net.parameters().items():
        if name.endswith("gamma"):   # move gamma off zero so that every path counts
            p[:] = 1.0 + 0.1 * rng.standard_normal(p.shape)
        elif name.endswith(".b"):    # zero biases put ReLU inputs exactly on the kink
            p[:] = 0.1 * rng.standard_normal(p.shape)
    check_module(net, rng.standard_normal((4, 12)), rtol=1e-5, atol=1e-7)


def test_blocks_gradients(rng: np.random.Generator) -> None:
    X = rng.standard_normal((2, 4, 5, 5))
    inception = M.Concat([Conv2d(4, 2, 1, rng),
                          Sequential([Conv2d(4, 2, 1, rng), ReLU(),
                                      Conv2d(2, 3, 3, rng, padding=1)])])
    assert inception(X).shape == (2, 5, 5, 5)
    inception.clear_cache()
    check_module(inception, X)
    dense_layer = M.Concat([Identity(), Conv2d(4, 3, 3, rng, padding=1)])
    check_module(dense_layer, X)
    check_module(M.SqueezeExcite(4, 2, rng), X)
    check_module(M.ChannelShuffle(2), X)


def test_channel_shuffle_permutation() -> None:
    X = np.arange(6.0).reshape(1, 6, 1, 1)
    Y = M.ChannelShuffle(2)(X)
    np.testing.assert_array_equal(Y.ravel(), [0, 3, 1, 4, 2, 5])


def test_published_counts_within_one_percent() -> None:
    exact = {"VGG-16": 138_357_544, "ResNet-50": 25_557_032, "DenseNet-121": 7_978_856,
             "MobileNetV2": 3_504_872, "EfficientNet-B0": 5_288_548,
             "AlexNet": 60_965_224}
    for name in M.ARCHITECTURES:
        c = M.count_architecture(name)
        assert abs(c.params / 1e6 / M.PUBLISHED_PARAMS[name] - 1) < 0.01, name
        if name in exact:
            assert c.params == exact[name], name
        assert c.shape == (1000, 1, 1)


def test_counter_matches_modules(rng: np.random.Generator) -> None:
    c = M.ArchCounter((3, 8, 8)).conv(5, 3, 2, 1, bias=True)
    layer = Conv2d(3, 5, 3, rng, stride=2, padding=1)
    assert c.params == layer.n_params
    assert c.shape == layer(np.zeros((1, 3, 8, 8))).shape[1:]
    assert c.macs == 3 * 9 * 5 * 4 * 4


def test_bad_inputs(rng: np.random.Generator) -> None:
    with pytest.raises(ValueError, match="one of"):
        M.count_architecture("LeNet-1")
    with pytest.raises(ValueError, match="batch, length"):
        M.MNIST1DConvNet(rng)(np.zeros((2, 3, 40)))
    with pytest.raises(ValueError, match="divisible by groups"):
        M.ChannelShuffle(4)(np.zeros((1, 6, 2, 2)))
