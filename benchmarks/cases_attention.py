"""Benchmark cases of Part VI: multi-head attention and GPT training throughput.

* :func:`case_attention`: forward + backward of one causal multi-head self-attention
  layer (batch 32, T 64, d_model 128, 4 heads, float32), nnbook against the same
  computation written with PyTorch's plain tensor operations and with
  ``torch.nn.functional.scaled_dot_product_attention``.
* :func:`case_gpt_throughput`: training tokens per second of the GPT of
  :doc:`/book/transformers/gpt` (forward, backward, Adam), nnbook against the same
  model written in PyTorch.

Both use the helpers of :mod:`benchmarks.cases` (interleaved timing, one thread).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from benchmarks.cases import (
    _set_torch_threads,
    make_target,
    summarize,
    time_interleaved,
)

__all__ = ["case_attention", "case_gpt_throughput", "CASES_ATTENTION"]


def _torch_mha(torch: Any, params: dict[str, np.ndarray], n_heads: int, use_sdpa: bool
               ) -> Any:
    """A function (x, R) -> None: forward + backward of the same layer in torch."""
    W = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    F = torch.nn.functional

    def run(x: Any, R: Any) -> None:
        for p in W.values():
            p.grad = None
        x.grad = None
        B, T, d = x.shape
        dh = d // n_heads
        qkv = (x @ W["W_qkv"] + W["b_qkv"]).view(B, T, 3, n_heads, dh)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        if use_sdpa:
            h = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            s = (q * (1.0 / math.sqrt(dh))) @ k.transpose(-1, -2)
            mask = torch.ones(T, T, dtype=torch.bool).tril()
            s = s.masked_fill(~mask, float("-inf"))
            h = torch.softmax(s, dim=-1) @ v
        y = h.transpose(1, 2).reshape(B, T, d) @ W["W_o"] + W["b_o"]
        y.backward(R)

    return run


def case_attention(batch: int = 32, T: int = 64, d_model: int = 128, n_heads: int = 4,
                   repeats: int = 20) -> dict[str, Any]:
    """Forward + backward of causal multi-head self-attention in float32."""
    from nnbook import MultiHeadAttention

    rng = np.random.default_rng(0)
    mha = MultiHeadAttention(d_model, n_heads, rng, causal=True, dtype=np.float32)
    X = rng.standard_normal((batch, T, d_model)).astype(np.float32)
    R = rng.standard_normal((batch, T, d_model)).astype(np.float32)

    def nnbook_step() -> None:
        mha.zero_grad()
        mha(X)
        mha.backward(R)

    fns = {"nnbook": nnbook_step}
    notes = []
    torch = _set_torch_threads()
    if torch is not None:
        xt = torch.tensor(X, requires_grad=True)
        Rt = torch.tensor(R)
        plain = _torch_mha(torch, mha.params, n_heads, use_sdpa=False)
        sdpa = _torch_mha(torch, mha.params, n_heads, use_sdpa=True)
        fns["pytorch plain ops"] = lambda: plain(xt, Rt)
        fns["pytorch sdpa"] = lambda: sdpa(xt, Rt)
    else:
        notes.append("PyTorch is not installed: only nnbook was timed")
    times = time_interleaved(fns, repeats=repeats, warmup=2)
    rows = [{"contender": k, **summarize(v)} for k, v in times.items()]
    med = {r["contender"]: r["time_median_s"] for r in rows}
    targets = []
    if torch is not None:
        targets = [
            make_target("nnbook / pytorch plain ops", med["nnbook"]
                        / med["pytorch plain ops"], 1.1, "<="),
            make_target("nnbook / pytorch sdpa", med["nnbook"] / med["pytorch sdpa"],
                        1.3, "<="),
        ]
    return {"title": f"Causal multi-head attention fwd+bwd, batch {batch}, T {T}, "
                     f"d {d_model}, {n_heads} heads, float32, 1 thread",
            "rows": rows, "targets": targets, "notes": notes}


def _gpt_config() -> dict[str, int]:
    """The model of the GPT chapter (kept in step with book/transformers/gpt.md)."""
    return {"n_vocab": 512, "d_model": 96, "n_heads": 4, "n_layers": 2, "d_ff": 384,
            "max_len": 64, "batch": 32}


def _torch_gpt(torch: Any, cfg: dict[str, int]) -> Any:
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            d, h = cfg["d_model"], cfg["n_heads"]
            self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.qkv, self.o = nn.Linear(d, 3 * d), nn.Linear(d, d)
            self.ff = nn.Sequential(nn.Linear(d, cfg["d_ff"]), nn.GELU(),
                                    nn.Linear(cfg["d_ff"], d))
            self.h = h

        def forward(self, x: Any) -> Any:
            B, T, d = x.shape
            q, k, v = self.qkv(self.ln1(x)).view(B, T, 3, self.h, d // self.h
                                                 ).permute(2, 0, 3, 1, 4).unbind(0)
            a = nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + self.o(a.transpose(1, 2).reshape(B, T, d))
            return x + self.ff(self.ln2(x))

    class TorchGPT(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.tok = nn.Embedding(cfg["n_vocab"], cfg["d_model"])
            self.pos = nn.Embedding(cfg["max_len"], cfg["d_model"])
            self.blocks = nn.Sequential(*[Block() for _ in range(cfg["n_layers"])])
            self.ln_f = nn.LayerNorm(cfg["d_model"])

        def forward(self, ids: Any) -> Any:
            T = ids.shape[1]
            x = self.tok(ids) + self.pos(torch.arange(T))
            return self.ln_f(self.blocks(x)) @ self.tok.weight.T   # tied output

    return TorchGPT()


def case_gpt_throughput(steps: int = 5, repeats: int = 3) -> dict[str, Any]:
    """Training tokens per second of the chapter's GPT, nnbook vs PyTorch, float32."""
    from nnbook import GPT, Adam, TokenCrossEntropyLoss, train_step

    cfg = _gpt_config()
    rng = np.random.default_rng(0)
    model = GPT(cfg["n_vocab"], cfg["d_model"], cfg["n_heads"], cfg["n_layers"],
                cfg["d_ff"], cfg["max_len"], rng, dtype=np.float32)
    opt, loss = Adam(1e-3), TokenCrossEntropyLoss()
    ids = rng.integers(0, cfg["n_vocab"], (cfg["batch"], cfg["max_len"] + 1))
    x, y = ids[:, :-1], ids[:, 1:]

    def nnbook_steps() -> None:
        for _ in range(steps):
            train_step(model, x, y, loss, opt)

    fns = {"nnbook": nnbook_steps}
    notes = []
    torch = _set_torch_threads()
    if torch is not None:
        tmodel = _torch_gpt(torch, cfg)
        topt = torch.optim.Adam(tmodel.parameters(), lr=1e-3)
        xt, yt = torch.tensor(x), torch.tensor(y)

        def torch_steps() -> None:
            for _ in range(steps):
                topt.zero_grad()
                z = tmodel(xt)
                lt = torch.nn.functional.cross_entropy(z.reshape(-1, z.shape[-1]),
                                                       yt.reshape(-1))
                lt.backward()
                topt.step()

        fns["pytorch"] = torch_steps
    else:
        notes.append("PyTorch is not installed: only nnbook was timed")
    times = time_interleaved(fns, repeats=repeats, warmup=1)
    tokens = steps * cfg["batch"] * cfg["max_len"]
    rows = []
    for k, v in times.items():
        s = summarize(v)
        rows.append({"contender": k, **s, "tokens_per_s": tokens / s["time_median_s"]})
    targets = []
    if torch is not None:
        ratio = rows[0]["tokens_per_s"] / rows[1]["tokens_per_s"]
        notes.append(f"nnbook reaches {ratio:.2f} of PyTorch's tokens/s (reported, "
                     "no target)")
    return {"title": f"GPT training throughput (tokens/s), {cfg}, float32, 1 thread",
            "rows": rows, "targets": targets, "notes": notes}


#: Entries for ``benchmarks.cases.CASES``: (function, full kwargs, --quick kwargs).
CASES_ATTENTION = {
    "attention": (case_attention, {"repeats": 20},
                  {"batch": 2, "T": 8, "d_model": 16, "n_heads": 2, "repeats": 1}),
    "gpt": (case_gpt_throughput, {"steps": 5, "repeats": 3},
            {"steps": 1, "repeats": 1}),
}
