"""Benchmark of issue 22's two scoring goals, each against its reference in the same run.
Run on demand (part of `make bench`), not a test:

    .venv/bin/python bench/bench_score_start.py [--rounds 7] [--engagements 1000]

1. `paos score` on the demo, a fresh process each time, against
   `python -c "import polars, pandera, yaml"` alone; interleaved round by round, best
   of N of each, wall and CPU seconds (the child's user + system time). Goal: within
   1.2x. Measured three ways, the reference each time in the same conditions:
   - *as is*: this shell's environment (here PYTHONDONTWRITEBYTECODE=1 and the dev
     extras installed, so paos's own modules are compiled at every start and pandera
     imports hypothesis, a test-only dependency, when it first validates);
   - *bytecode cached*: both sides with a bytecode cache (PYTHONPYCACHEPREFIX in a
     temporary folder, filled by a warm-up), as `pip install` leaves a package;
   - *as installed*: bytecode cached and hypothesis not importable, as in a user's
     `pip install paos` (hypothesis is in the `dev` extra only).
2. `paos batch FOLDER --scores-only` over N engagement folders (copies of the bundled
   portfolio with their own ids, `bench_batch.make_portfolio`) into an empty store, a
   fresh process: wall and CPU seconds end to end, imports included. Goal: under 10 s.
   Then the same in this process with `score_sources`, for where the time goes.

The machine is shared: the load average and the share of the two cores that other
processes kept busy during each part (from /proc/stat, less our own CPU) are printed
beside the figures; read the CPU seconds and the ratios first. Figures also go to
bench/results/score_start.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_batch import make_portfolio  # noqa: E402

DEMO = ROOT / "data" / "engagements" / "northwind-2026-09"
PY = sys.executable
PAOS = str(Path(PY).parent / "paos")
REFERENCE = [PY, "-c", "import polars, pandera, yaml"]
SCORE = [PAOS, "score", str(DEMO)]
# A user's install has no hypothesis (the `dev` extra): pandera then skips its import.
NO_HYPOTHESIS = [
    PY,
    "-c",
    "import sys; sys.modules['hypothesis'] = None; "
    f"sys.argv = ['paos', 'score', {str(DEMO)!r}]; from paos.cli import app; app()",
]


def _cpu_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    fields = [float(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


class Machine:
    """The load average and how busy the machine was while a part ran, others' share."""

    def __init__(self) -> None:
        self.load = os.getloadavg()[0]
        self.busy = _cpu_busy()
        self.ours = _own_cpu()

    def report(self) -> dict:
        busy, total = _cpu_busy()
        tick = os.sysconf("SC_CLK_TCK")
        cores = os.cpu_count() or 1
        all_busy = (busy - self.busy[0]) / max(1.0, total - self.busy[1])
        ours = (_own_cpu() - self.ours) * tick / max(1.0, total - self.busy[1])
        return {
            "load_average": [round(self.load, 2), round(os.getloadavg()[0], 2)],
            "others_cores_busy": round(max(0.0, all_busy - ours) * cores, 2),
        }


def _own_cpu() -> float:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def timed(cmd: list[str], env: dict[str, str], cwd: Path = ROOT) -> tuple[float, float]:
    """(wall, CPU) seconds of one command in a fresh process (and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd[:3])} failed:\n{proc.stderr[-2000:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu


def score_start(rounds: int, work: Path) -> dict:
    """`paos score` against the reference imports, in the three environments."""
    plain = dict(os.environ)
    cached = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE",)} | {
        "PYTHONPYCACHEPREFIX": str(work / "pycache")
    }
    ways = {
        "as is": (plain, SCORE),
        "bytecode cached": (cached, SCORE),
        "as installed": (cached, NO_HYPOTHESIS),
    }
    out = {}
    for name, (env, score_cmd) in ways.items():
        machine = Machine()
        timed(REFERENCE, env)  # warm-up: the file cache, and the bytecode cache if any
        timed(score_cmd, env)
        ref, score = [], []
        for _ in range(rounds):
            ref.append(timed(REFERENCE, env))
            score.append(timed(score_cmd, env))
        best = {
            "reference_wall": min(w for w, _ in ref),
            "reference_cpu": min(c for _, c in ref),
            "score_wall": min(w for w, _ in score),
            "score_cpu": min(c for _, c in score),
        }
        best["ratio_wall"] = best["score_wall"] / best["reference_wall"]
        best["ratio_cpu"] = best["score_cpu"] / best["reference_cpu"]
        out[name] = best | machine.report()
    return out


def scores_only(n: int, work: Path) -> dict:
    """`paos batch --scores-only` over n folders in a fresh process, then in this one."""
    from paos.portfolio.batch import discover, score_sources

    folders = make_portfolio(work / "portfolio", n)
    machine = Machine()
    wall, cpu = timed(
        [PAOS, "batch", str(folders), "--scores-only", "--store", str(work / "store-cli")],
        dict(os.environ),
    )
    cli = {"wall": wall, "cpu": cpu} | machine.report()
    import pandera.polars  # noqa: F401 - imported before the clock, as the CLI has

    machine = Machine()
    timings: dict[str, float] = {}
    start, cpu0 = time.perf_counter(), time.process_time()
    outcomes = score_sources(discover(folders), work / "store-lib", timings=timings)
    lib = {
        "wall": time.perf_counter() - start,
        "cpu": time.process_time() - cpu0,
        "stages_wall": timings,
    } | machine.report()
    assert all(o.status == "done" for o in outcomes)
    return {"engagements": n, "cli": cli, "in_process": lib}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--engagements", type=int, default=1000)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="paos-bench-score-"))
    try:
        start = score_start(args.rounds, work)
        batch = scores_only(args.engagements, work) if args.engagements else None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"## `paos score` against `import polars, pandera, yaml` (best of {args.rounds})\n")
    print(
        "| environment | reference wall / CPU | paos score wall / CPU | ratio wall | ratio CPU "
        "(goal <= 1.2x) | load | others' cores busy |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, r in start.items():
        print(
            f"| {name} | {r['reference_wall']:.2f} s / {r['reference_cpu']:.2f} s | "
            f"{r['score_wall']:.2f} s / {r['score_cpu']:.2f} s | {r['ratio_wall']:.2f}x | "
            f"**{r['ratio_cpu']:.2f}x** {'PASS' if r['ratio_cpu'] <= 1.2 else 'MISS'} | "
            f"{r['load_average'][0]:.1f}-{r['load_average'][1]:.1f} | {r['others_cores_busy']:.1f} |"
        )
    if batch:
        cli, lib = batch["cli"], batch["in_process"]
        stages = ", ".join(f"{k} {v:.2f} s" for k, v in lib["stages_wall"].items())
        print(f"\n## `paos batch --scores-only`, {batch['engagements']} folders (goal < 10 s)\n")
        print("| measure | wall | CPU | load | others' cores busy |\n|---|---:|---:|---:|---:|")
        print(
            f"| `paos batch` CLI, fresh process | **{cli['wall']:.2f} s** "
            f"{'PASS' if cli['wall'] < 10 else 'MISS'} | {cli['cpu']:.2f} s | "
            f"{cli['load_average'][0]:.1f}-{cli['load_average'][1]:.1f} | "
            f"{cli['others_cores_busy']:.1f} |"
        )
        print(
            f"| `score_sources` in process ({stages}) | {lib['wall']:.2f} s | {lib['cpu']:.2f} s | "
            f"{lib['load_average'][0]:.1f}-{lib['load_average'][1]:.1f} | "
            f"{lib['others_cores_busy']:.1f} |"
        )
    res = ROOT / "bench" / "results"
    res.mkdir(parents=True, exist_ok=True)
    (res / "score_start.json").write_text(
        json.dumps({"score": start, "scores_only": batch}, indent=2)
    )


if __name__ == "__main__":
    main()
