#!/usr/bin/env python3
"""Stress test of kernel start-up under concurrency (run on demand, not a test).

Issue 19 item 10: two `paos run` started together, one died with "Kernel died
before replying to kernel_info" (jupyter_client picks TCP ports by binding and
closing them; another process could take one before the kernel bound it). Kernels
now talk over Unix sockets in a private folder (`paos.deliverables.run`).

Each round starts `--procs` fresh processes at once; each runs a notebook through
`paos.deliverables.run.execute_notebook` (the same kernel start as `paos run` and
batch workers), a minimal one-cell notebook by default, or with `--run` a whole
`paos run` of a demo engagement. Prints the failures (there must be none) and the
times.

    .venv/bin/python bench/bench_kernels.py [--procs 6] [--rounds 10] [--run]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "engagements"

MINIMAL = """
import sys
from pathlib import Path
import nbformat
from nbformat.v4 import new_code_cell, new_notebook
from paos.deliverables.run import execute_notebook
folder = Path(sys.argv[1])
nbformat.write(new_notebook(cells=[new_code_cell("print(6 * 7)")]), str(folder / "t.ipynb"))
execute_notebook(folder / "t.ipynb", folder / "o.ipynb", {}, cwd=folder)
out = nbformat.read(str(folder / "o.ipynb"), as_version=4).cells[-1].outputs[0]["text"]
assert out.strip() == "42", out
"""


def _start(i: int, work: Path, run: bool) -> subprocess.Popen:
    folder = work / f"p{i}"
    folder.mkdir()
    if run:
        engagements = sorted(p for p in DEMO.iterdir() if (p / "engagement.yaml").is_file())
        args = ["-m", "paos", "run", str(engagements[i % len(engagements)]), "--out", str(folder)]
    else:
        args = ["-c", MINIMAL, str(folder)]
    return subprocess.Popen(
        [sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--procs", type=int, default=6)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--run", action="store_true", help="whole `paos run`s, not a minimal notebook")
    args = ap.parse_args()
    failures, times = [], []
    for r in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="paos-bench-kernels-") as tmp:
            t = time.perf_counter()
            procs = [_start(i, Path(tmp), args.run) for i in range(args.procs)]
            for i, proc in enumerate(procs):
                _, err = proc.communicate(timeout=600)
                if proc.returncode != 0:
                    failures.append(f"round {r + 1} process {i + 1}: {err.strip()[-300:]}")
            times.append(time.perf_counter() - t)
        print(f"round {r + 1}/{args.rounds}: {time.perf_counter() - t:.1f} s", flush=True)
    runs = args.procs * args.rounds
    what = "paos run" if args.run else "minimal notebook"
    print(
        f"{runs} {what} executions ({args.procs} at once x {args.rounds} rounds): "
        f"{len(failures)} failed; round wall time min {min(times):.1f} s, "
        f"max {max(times):.1f} s, total {sum(times):.1f} s"
    )
    for failure in failures:
        print(" ", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
