"""``python -m benchmarks [--cases 1,2,3] [--all] [--quick] [--repeats N] [--out PATH]``.

Fixes the BLAS thread count to 1 *before* NumPy is imported (the variables are read once, when
the BLAS library loads), so every contender runs on one core; the setting is recorded with the
results. Prints a table and writes JSON.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before any import that could load NumPy

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's nnbook first

from benchmarks.cases import CASES, format_results, machine_info  # noqa: E402


def _parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", default="1,2,3", help="comma-separated case numbers (default 1,2,3; 4 is the book build)")
    p.add_argument("--all", action="store_true", help="run every case, the ten-minute book build (4) included")
    p.add_argument("--quick", action="store_true", help="tiny sizes: checks that the cases run, measures nothing")
    p.add_argument("--repeats", type=int, default=None, help="repetitions per contender (default: per case)")
    p.add_argument("--out", default=str(Path(__file__).with_name("results.json")),
                   help="where to write the JSON results (default benchmarks/results.json)")
    p.add_argument("--merge", action="store_true",
                   help="keep the cases already in --out that this run does not repeat (e.g. add case 4 alone)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    wanted = sorted(CASES) if args.all else [int(c) for c in args.cases.split(",") if c.strip()]
    bad = [c for c in wanted if c not in CASES]
    if bad:
        print(f"unknown case(s) {bad}; the cases are {sorted(CASES)}", file=sys.stderr)
        return 2
    results: dict = {"machine": machine_info(), "settings": {"quick": args.quick, "repeats": args.repeats,
                                                             "command": "python -m benchmarks " + " ".join(sys.argv[1:] if argv is None else argv)},
                     "cases": {}}
    out = Path(args.out)
    if args.merge and out.exists():
        old = json.loads(out.read_text())
        results["cases"] = {k: v for k, v in old.get("cases", {}).items() if int(k) not in wanted}
        results["previous_machine"] = old.get("machine")
    for c in wanted:
        fn, full, quick = CASES[c]
        kwargs = dict(quick if args.quick else full)
        if args.repeats is not None and "repeats" in kwargs:
            kwargs["repeats"] = args.repeats
        t0 = time.perf_counter()
        print(f"case {c}: running {fn.__name__}({', '.join(f'{k}={v!r}' for k, v in kwargs.items() if k != 'toc')}) ...",
              flush=True)
        results["cases"][str(c)] = {**fn(**kwargs), "quick": args.quick, "case_wall_s": time.perf_counter() - t0}
    results["cases"] = dict(sorted(results["cases"].items(), key=lambda kv: int(kv[0])))
    print(format_results(results))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
