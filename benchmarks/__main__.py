"""``python -m benchmarks [--cases 1,2,3] [--all] [--quick] [--repeats N] [--out PATH]``.

Cases 1-3 (the default) are the MLP, the large step and the softmax family; 4 is the
book build; 5-9 convolutions (Part IV), 10-11 the LSTM and GRU (Part V), 12-13
attention and the GPT (Part VI). ``--cases`` takes numbers and ranges: ``5-13`` or
``5,7,10-11``.

Fixes the BLAS thread count to 1 *before* NumPy is imported (the variables are read once, when
the BLAS library loads), so every contender runs on one core; the setting is recorded with the
results. Prints a table and writes JSON.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before any import that could load NumPy

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's nnbook first

from benchmarks.cases import CASES, format_results, machine_info


def _parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", default="1,2,3",
                   help="comma-separated case numbers or ranges, e.g. 1,3 or 5-13 "
                        "(default 1,2,3; 4 is the book build; 5-9 CNN, 10-11 RNN, "
                        "12-13 attention)")
    p.add_argument("--all", action="store_true", help="run every case, the ten-minute book build (4) included")
    p.add_argument("--quick", action="store_true", help="tiny sizes: checks that the cases run, measures nothing")
    p.add_argument("--repeats", type=int, default=None, help="repetitions per contender (default: per case)")
    p.add_argument("--out", default=str(Path(__file__).with_name("results.json")),
                   help="where to write the JSON results (default benchmarks/results.json)")
    p.add_argument("--merge", action="store_true",
                   help="keep the cases already in --out that this run does not repeat (e.g. add case 4 alone)")
    return p.parse_args(argv)


def _case_numbers(spec: str) -> list[int]:
    """``"1,3,5-7"`` -> ``[1, 3, 5, 6, 7]`` (in the order given, without repeats)."""
    out: list[int] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        lo, sep, hi = part.partition("-")
        nums = range(int(lo), int(hi) + 1) if sep else [int(lo)]
        out += [n for n in nums if n not in out]
    return out


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    try:
        wanted = sorted(CASES) if args.all else _case_numbers(args.cases)
    except ValueError:
        print("--cases wants numbers and ranges such as 1,3 or 5-13; "
              f"got {args.cases!r}", file=sys.stderr)
        return 2
    bad = [c for c in wanted if c not in CASES]
    if bad or not wanted:
        print(f"unknown case(s) {bad}; the cases are {sorted(CASES)}", file=sys.stderr)
        return 2
    results: dict = {"machine": machine_info(), "settings": {"quick": args.quick, "repeats": args.repeats,
                                                             "command": "python -m benchmarks " + " ".join(sys.argv[1:] if argv is None else argv)},
                     "cases": {}}
    out = Path(args.out)
    if args.merge and out.exists():
        old = json.loads(out.read_text())
        results["cases"] = {k: v for k, v in old.get("cases", {}).items() if int(k) not in wanted}
        if results["cases"] and old.get("machine"):  # the kept cases ran there
            results["machine"] = old["machine"]
            results["previous_machine"] = old.get("previous_machine")
    for c in wanted:
        fn, full, quick = CASES[c]
        kwargs = dict(quick if args.quick else full)
        if args.repeats is not None and "repeats" in kwargs:
            kwargs["repeats"] = args.repeats
        here = machine_info()  # per case, because --merge keeps cases of earlier runs
        measured = {"date": here["date"], "cpu": here["cpu"],
                    "load_average_1min_start": here["load_average_1min"]}
        t0 = time.perf_counter()
        print(f"case {c}: running {fn.__name__}({', '.join(f'{k}={v!r}' for k, v in kwargs.items() if k != 'toc')}) ...",
              flush=True)
        record = fn(**kwargs)
        measured["load_average_1min_end"] = round(os.getloadavg()[0], 2)
        results["cases"][str(c)] = {**record, "quick": args.quick,
                                    "case_wall_s": time.perf_counter() - t0,
                                    "measured": measured}  # --merge mixes runs
    results["cases"] = dict(sorted(results["cases"].items(), key=lambda kv: int(kv[0])))
    print(format_results(results))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
