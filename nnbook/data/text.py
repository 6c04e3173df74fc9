"""Text shipped with the package: Tiny Shakespeare (provenance in ``PROVENANCE.md``
beside
this file). Used in :doc:`/book/rnn/sequence-experiments` and
:doc:`/book/transformers/gpt`. Nothing is downloaded.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from .._checks import check_probability

__all__ = ["load_tiny_shakespeare", "TINY_SHAKESPEARE_SHA256", "char_lstm_checkpoint"]

TINY_SHAKESPEARE_SHA256 = (
    "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"
)


def load_tiny_shakespeare(test_fraction: float = 0.1) -> tuple[str, str]:
    """The 1,115,394 characters of Tiny Shakespeare, split into (train, test) text: the
    last ``test_fraction`` of the characters are held out. The file's SHA-256 is
    checked, so every reader trains on the same text."""
    frac = check_probability(test_fraction, "test_fraction")
    raw = (Path(__file__).with_name("tinyshakespeare.txt")).read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != TINY_SHAKESPEARE_SHA256:
        raise ValueError(
            f"tinyshakespeare.txt must have SHA-256 {TINY_SHAKESPEARE_SHA256}; "
            f"got {digest} (the file was changed)"
        )
    text = raw.decode("utf-8")
    cut = len(text) - int(round(frac * len(text)))
    return text[:cut], text[cut:]


def char_lstm_checkpoint() -> dict[str, np.ndarray]:
    """The weights of Part V's character LSTM on Tiny Shakespeare, trained offline by
    ``book/rnn/train_char_lstm.py`` (2,400 updates, about 13 minutes of one core; its
    configuration is stored under ``"config"`` and the vocabulary under ``"chars"``).
    Shipped with the package so that the chapters and reader notebooks can score it
    without retraining: load into ``CharLSTM`` with ``load_state_dict``. Used in
    :doc:`/book/rnn/language-models` and :doc:`/book/transformers/gpt`."""
    path = Path(__file__).with_name("char_lstm.npz")
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}
