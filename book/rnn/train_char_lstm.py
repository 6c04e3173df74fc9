"""Train the character-level LSTM of book/rnn/language-models.md and save its weights.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python book/rnn/train_char_lstm.py

Deterministic (seed 0): the same NumPy/OpenBLAS build gives the same weights. The whole
training text of Tiny Shakespeare (the first 90%, from nnbook.load_tiny_shakespeare())
is used; the held-out 10% is never read here. The configuration is stored in the file
beside the weights; the chapter loads it and evaluates it on the held-out text. The
committed char_lstm.npz took 757 s (2,400 updates) on one heavily shared core.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from nnbook import load_tiny_shakespeare
from nnbook.text.charlm import CharLSTM, train_char_lm
from nnbook.text.vocab import CharVocab

CONFIG = {"hidden_size": 128, "batch_size": 64, "seq_len": 32, "lr": 1e-2,
          "clip_norm": 1.0, "updates": 2400, "seed": 0}
OUT = Path(__file__).resolve().parents[2] / "nnbook" / "data" / "char_lstm.npz"


def main() -> None:
    cfg = dict(CONFIG)
    if len(sys.argv) > 1:
        cfg["updates"] = int(sys.argv[1])
    train_text, _ = load_tiny_shakespeare()
    vocab = CharVocab(train_text)
    ids = vocab.encode(train_text)
    rng = np.random.default_rng(cfg["seed"])
    model = CharLSTM(vocab.size, cfg["hidden_size"], rng, dtype=np.float32)
    t0 = time.time()

    def log(update: int, bits: float) -> None:
        if update % 50 == 0:
            print(f"update {update}: {bits:.3f} bits/char, {time.time() - t0:.0f} s",
                  flush=True)

    losses = train_char_lm(model, ids, updates=cfg["updates"],
                           batch_size=cfg["batch_size"], seq_len=cfg["seq_len"],
                           lr=cfg["lr"], clip_norm=cfg["clip_norm"], rng=rng,
                           callback=log)
    np.savez_compressed(OUT, **model.state_dict(), losses=np.array(losses),
                        config=np.array(repr(cfg)),
                        chars=np.array("".join(vocab.chars)))
    print(f"saved {OUT} after {len(losses)} updates in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
