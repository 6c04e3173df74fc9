"""Smoke tests for the benchmark suite: every case runs at a tiny size and returns well-formed
records. Nothing here looks at a time: speed is measured by ``make bench``, never asserted."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from benchmarks import cases as B
from benchmarks.__main__ import main


def _check_case(case: dict) -> None:
    assert isinstance(case["title"], str) and case["title"]
    assert isinstance(case["rows"], list) and case["rows"]
    for row in case["rows"]:
        assert isinstance(row["contender"], str)
        for key, value in row.items():
            if key.endswith("_s"):
                assert math.isfinite(value) and value >= 0, (key, value)
    for t in case["targets"]:
        assert set(t) == {"name", "value", "target", "op", "met"}
        assert t["op"] in ("<=", ">=")
        assert t["met"] == (t["value"] <= t["target"] if t["op"] == "<=" else t["value"] >= t["target"])
    assert isinstance(case["notes"], list)
    json.dumps(case)  # JSON-ready


def test_case_mlp_runs_tiny() -> None:
    case = B.case_mlp_mnist1d(epochs=1, repeats=1, contenders=("nnbook", "scikit-learn"), n_train=300)
    _check_case(case)
    assert [r["contender"] for r in case["rows"]] == ["nnbook", "scikit-learn"]
    for row in case["rows"]:
        assert 0.0 <= row["test_acc"] <= 1.0
    assert {t["name"] for t in case["targets"]} == {"MLP epoch time nnbook / scikit-learn",
                                                    "MLP test-accuracy gap, nnbook vs scikit-learn"}


def test_case_mlp_is_deterministic_for_nnbook() -> None:
    a = B.case_mlp_mnist1d(epochs=1, repeats=1, contenders=("nnbook",), n_train=200)
    b = B.case_mlp_mnist1d(epochs=1, repeats=1, contenders=("nnbook",), n_train=200)
    assert a["rows"][0]["test_acc"] == b["rows"][0]["test_acc"]


def test_case_mlp_rejects_unknown_contender() -> None:
    with pytest.raises(ValueError, match="contenders must be among"):
        B.case_mlp_mnist1d(epochs=1, repeats=1, contenders=("nnbook", "keras"), n_train=100)


def test_case_large_batch_step_runs_tiny() -> None:
    case = B.case_large_batch_step(batch=16, sizes=(8, 12, 6), repeats=1)
    _check_case(case)
    names = [r["contender"] for r in case["rows"]]
    assert names[:2] == ["nnbook", "bare np.matmul"]
    assert all(r["gflops"] > 0 for r in case["rows"])
    assert case["settings"]["flops_per_step"] == B.dense_step_flops(16, (8, 12, 6))


def test_dense_step_flops_by_hand() -> None:
    # two layers 3->4->2, batch 5: forward 2*5*(12+8) = 200, dW 200, dX of the second layer only 2*5*8 = 80
    assert B.dense_step_flops(5, (3, 4, 2)) == 480
    with pytest.raises(ValueError, match="at least two layer widths"):
        B.dense_step_flops(5, (3,))


def test_case_softmax_numerics_runs_tiny() -> None:
    case = B.case_softmax_numerics(shape=(8, 5), repeats=1)
    _check_case(case)
    ops = {r["op"] for r in case["rows"]}
    assert ops == {"softmax", "log_softmax", "cross_entropy", "cross_entropy_backward"}
    for row in case["rows"]:
        assert row["stable_at_1e4"] is True
        assert row["max_abs_diff_vs_numpy"] < 1e-12


def test_make_target_and_summary() -> None:
    assert B.make_target("t", 0.5, 1.0, "<=")["met"] is True
    assert B.make_target("t", 0.5, 0.7, ">=")["met"] is False
    with pytest.raises(ValueError, match="op must be"):
        B.make_target("t", 0.5, 0.7, "<")
    s = B.summarize([3.0, 1.0, 2.0], "step")
    assert s == {"step_median_s": 2.0, "step_min_s": 1.0, "step_max_s": 3.0, "repeats": 3}
    with pytest.raises(ValueError, match="repeats must be a positive integer"):
        B.time_interleaved({"f": lambda: None}, repeats=0)


def test_machine_info_records_what_the_results_need() -> None:
    m = B.machine_info()
    for key in ("cpu", "cores", "python", "numpy", "blas", "sklearn", "torch", "blas_threads", "date"):
        assert key in m
    assert m["numpy"] == np.__version__


def test_main_quick_writes_json(tmp_path, capsys) -> None:
    out = tmp_path / "r.json"
    assert main(["--quick", "--cases", "3", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert set(data) >= {"machine", "settings", "cases"}
    assert list(data["cases"]) == ["3"]
    _check_case(data["cases"]["3"])
    assert "case 3" in capsys.readouterr().out
    assert main(["--cases", "99", "--out", str(out)]) == 2


@pytest.mark.slow
def test_case_book_build_one_page() -> None:
    case = B.case_book_build(toc="format: jb-book\nroot: book/intro\n")
    _check_case(case)
    assert isinstance(case["rows"][0]["returncode"], int)  # a one-page book warns about links to absent pages
    assert case["build"]["peak_rss_mb"] > 0


def test_target_score_orients_goals() -> None:
    assert B.target_score(B.make_target("t", 0.5, 1.0, "<=")) == 0.5
    assert B.target_score(B.make_target("t", 0.35, 0.7, ">=")) == 2.0  # half the required efficiency


def test_results_markdown_and_merge(tmp_path) -> None:
    out = tmp_path / "r.json"
    assert main(["--quick", "--cases", "2", "--out", str(out)]) == 0
    assert main(["--quick", "--cases", "3", "--out", str(out), "--merge"]) == 0
    data = B.load_results(out)
    assert list(data["cases"]) == ["2", "3"]  # --merge kept case 2
    tables = B.results_markdown(data)
    assert set(tables) == {"targets", "2", "3"}
    for text in tables.values():
        lines = text.splitlines()
        assert lines[1].startswith("|---")
        assert len({line.count("|") for line in lines}) == 1  # every row has the header's columns


# --- cases 5-13: Parts IV-VI against PyTorch ---------------------------------------------------

NEW_CASES = range(5, 14)
#: quick runs that take more than a few seconds on a loaded two-core machine (full-size
#: convolutions with one repetition, the MNIST-1D data, the GPT)
SLOW_QUICK = {6, 7, 9, 13}


def test_new_cases_are_registered_with_quick_settings() -> None:
    import importlib

    for n in NEW_CASES:
        fn, full, quick = B.CASES[n]
        assert callable(fn) and isinstance(full, dict) and isinstance(quick, dict)
        assert quick.get("repeats") == 1, n  # one repetition: a smoke test, not a measurement
        assert n in B.CASE_PARTS
    # the lazily imported functions exist in the helpers' modules under the registered names
    for mod, names in {"benchmarks.cases_cnn": [5, 6, 7, 8, 9], "benchmarks.cases_rnn": [10, 11],
                       "benchmarks.cases_attention": [12, 13]}.items():
        module = importlib.import_module(mod)
        for n in names:
            assert callable(getattr(module, B.CASES[n][0].__name__)), (mod, n)


@pytest.mark.parametrize(
    "n", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW_QUICK else n for n in NEW_CASES])
def test_new_case_runs_quick(n: int) -> None:
    pytest.importorskip("torch")
    fn, _, quick = B.CASES[n]
    case = fn(**quick)
    _check_case(case)
    names = [r["contender"] for r in case["rows"]]
    assert names[0] == "nnbook" and any(c.startswith("pytorch") for c in names)
    if n == 13:  # throughput: reported, no target
        assert case["targets"] == [] and all(r["tokens_per_s"] > 0 for r in case["rows"])
    else:
        assert case["targets"] and all(math.isfinite(t["value"]) and t["value"] > 0
                                       for t in case["targets"])
    tables = B.results_markdown({"cases": {str(n): case}})
    assert set(tables) == {"targets", str(n)}
    _check_table(tables[str(n)], len(case["rows"]))
    assert f"case {n}:" in B.format_results({"cases": {str(n): case}})


def _check_table(text: str, n_rows: int) -> None:
    lines = text.splitlines()
    assert lines[1].startswith("|---") and len(lines) == n_rows + 2
    assert len({line.count("|") for line in lines}) == 1  # every row has the header's columns


def _rows(prefix: str, names: list[str], **extra: object) -> list[dict]:
    return [{"contender": c, f"{prefix}_median_s": 0.002, f"{prefix}_min_s": 0.001,
             f"{prefix}_max_s": 0.003, "repeats": 3, **extra} for c in names]


def test_results_markdown_renders_every_new_row_shape() -> None:
    target = B.make_target("x, nnbook / PyTorch", 1.2, 1.0, "<=")
    cases = {
        "6": _rows("step", ["nnbook", "pytorch"]) + _rows("gemm", ["layer GEMM", "bare np.matmul"]),
        "10": _rows("pass", ["nnbook", "pytorch"], hidden=6) + _rows("pass", ["nnbook"], hidden=128),
        "12": _rows("time", ["nnbook", "pytorch plain ops", "pytorch sdpa"]),
        "13": _rows("time", ["nnbook", "pytorch"], tokens_per_s=12345.6),
    }
    results = {"cases": {k: {"title": f"case {k}", "rows": r, "targets": [target], "notes": []}
                         for k, r in cases.items()}}
    tables = B.results_markdown(results)
    assert set(tables) == {"targets", *cases}
    for k, rows in cases.items():
        _check_table(tables[k], len(rows))
        assert "2.00 [1.00, 3.00]" in tables[k]  # milliseconds, median [min, max]
    assert "main GEMM only" in tables["6"] and "Timed" in tables["6"]
    assert "Hidden" in tables["10"] and "| 128 |" in tables["10"]
    assert "Timed" not in tables["12"]
    assert "12,346" in tables["13"]
    _check_table(tables["targets"], len(cases))
    assert tables["targets"].count("**missed**") == len(cases)
    text = B.format_results(results)  # the plain-text table takes the union of the row keys
    assert "gemm_median_s" in text and "hidden" in text


def test_case_number_ranges(tmp_path) -> None:
    from benchmarks.__main__ import _case_numbers

    assert _case_numbers("1,3") == [1, 3]
    assert _case_numbers("5-7, 10-11,6") == [5, 6, 7, 10, 11]
    assert main(["--cases", "a-b", "--out", str(tmp_path / "r.json")]) == 2
    assert main(["--cases", "14", "--out", str(tmp_path / "r.json")]) == 2
    assert main(["--cases", "7-5", "--out", str(tmp_path / "r.json")]) == 2  # empty range


def test_main_records_the_conditions_of_each_case(tmp_path) -> None:
    pytest.importorskip("torch")
    out = tmp_path / "r.json"
    assert main(["--quick", "--cases", "3", "--out", str(out)]) == 0
    first = B.load_results(out)["machine"]
    assert main(["--quick", "--cases", "12", "--out", str(out), "--merge"]) == 0
    data = B.load_results(out)
    assert data["machine"] == first  # the kept case 3 was measured there
    assert list(data["cases"]) == ["3", "12"]
    for case in data["cases"].values():
        assert set(case["measured"]) == {"date", "cpu", "load_average_1min_start",
                                         "load_average_1min_end"}
    assert set(B.results_markdown(data)) == {"targets", "3", "12"}
