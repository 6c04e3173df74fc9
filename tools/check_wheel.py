"""The package as a user installs it: build the wheel, install it into an empty virtual
environment with only its declared dependencies, import it, and time the import.

    python tools/check_wheel.py [--extra data] [--keep DIR]

Fails if the wheel does not build, does not install, misses a file the package needs
(the import runs outside the repository, so the source tree cannot stand in), pulls in
anything of the book stack (jupyter-book, myst-nb, sphinx), or if ``pip check`` finds a
conflict. Prints the wheel's size, the install time and the median import time of
``import nnbook`` in a fresh interpreter (issue 12).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("jupyter-book", "jupyter_book", "myst-nb", "myst_nb", "sphinx")
IMPORT = (
    "import time; t = time.perf_counter(); import nnbook; "
    "print(time.perf_counter() - t); assert nnbook.__file__"
)


def run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    print("+", " ".join(cmd), flush=True)
    # type: ignore[call-overload]
    return subprocess.run(cmd, check=True, text=True, **kw)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--extra", default="", help="install nnbook[EXTRA] (e.g. data)")
    ap.add_argument("--keep", type=Path, default=None, help="build in DIR and keep it")
    args = ap.parse_args()
    tmp = args.keep or Path(tempfile.mkdtemp(prefix="nnbook-wheel-"))
    tmp.mkdir(parents=True, exist_ok=True)
    dist = tmp / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    t0 = time.perf_counter()
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(dist),
            str(ROOT),
        ]
    )
    wheels = sorted(dist.glob("nnbook-*.whl"))
    assert wheels, "no wheel was built"
    wheel = wheels[-1]
    print(
        f"wheel: {wheel.name}, {wheel.stat().st_size / 1e6:.2f} MB, "
        f"built in {time.perf_counter() - t0:.1f} s"
    )

    env_dir = tmp / "venv"
    shutil.rmtree(env_dir, ignore_errors=True)
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    py = str(env_dir / "bin" / "python")
    t0 = time.perf_counter()
    target = f"{wheel}[{args.extra}]" if args.extra else str(wheel)
    run([py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", target])
    print(
        f"installed with its declared dependencies in {time.perf_counter() - t0:.1f} s"
    )
    run([py, "-m", "pip", "check"])
    listed = run(
        [py, "-m", "pip", "list", "--format=freeze"], capture_output=True
    ).stdout
    print("environment: " + ", ".join(line for line in listed.split()))
    bad = [line for line in listed.lower().split() if line.startswith(FORBIDDEN)]
    assert not bad, f"the wheel pulls in the book stack: {bad}"

    times = []
    for _ in range(5):
        out = run([py, "-c", IMPORT], capture_output=True, cwd=tmp).stdout
        times.append(float(out.strip().splitlines()[-1]))
    where = run(
        [py, "-c", "import nnbook; print(nnbook.__file__)"],
        capture_output=True,
        cwd=tmp,
    ).stdout.strip()
    assert str(env_dir) in where, (
        f"imported nnbook from {where}, not from the installed wheel"
    )
    print(
        f"import nnbook: median {statistics.median(times) * 1000:.0f} ms over 5 fresh "
        f"interpreters (min {min(times) * 1000:.0f} ms)"
    )
    if args.keep is None:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
