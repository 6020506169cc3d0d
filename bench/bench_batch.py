"""Benchmark of `paos batch` (issue: portfolio). Run on demand, not a test:

    .venv/bin/python bench/bench_batch.py [--engagements 1000] [--deliverables 20]

1. --scores-only over N engagement folders on disk (copies of the bundled
   portfolio with fresh ids): end-to-end wall time, engagements per second, and
   where the time goes (reading files, validating, scoring, writing the store).
   Target: under 10 s for 1,000 folders on this 2-core machine.
2. Full deliverables for M engagements with --jobs 2 against --jobs 1.
   Target: jobs-2 wall time at most 0.6x of jobs-1.
Figures go to stdout (a markdown table) and bench/results/batch.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from paos.portfolio.batch import discover, run_batch, score_sources  # noqa: E402

PORTFOLIO = ROOT / "data" / "portfolio" / "engagements"


def make_portfolio(dest: Path, n: int) -> Path:
    """n engagement folders: the bundled portfolio cycled, each with its own id."""
    sources = sorted(p for p in PORTFOLIO.iterdir() if p.is_dir())
    for i in range(n):
        src = sources[i % len(sources)]
        eid = f"bench-{i:05d}"
        out = dest / eid
        shutil.copytree(src, out)
        meta = (out / "engagement.yaml").read_text().splitlines()
        meta = [
            f"id: {eid}" if line.startswith("id:") else line
            for line in meta
            if not line.startswith("baseline:")
        ]
        meta = [
            f"client: Bench Client {i}" if line.startswith("client:") else line for line in meta
        ]
        (out / "engagement.yaml").write_text("\n".join(meta) + "\n")
    return dest


def bench_scores(n: int, work: Path) -> dict:
    folders = make_portfolio(work / "portfolio", n)
    store = work / "store"
    sources = discover(folders)
    timings: dict[str, float] = {}
    t = time.perf_counter()
    outcomes = score_sources(sources, store, timings=timings)
    wall = time.perf_counter() - t
    assert all(o.status == "done" for o in outcomes), [o for o in outcomes if o.status != "done"][
        :3
    ]
    t = time.perf_counter()
    resumed = run_batch(folders, store=store, scores_only=True)
    resume = time.perf_counter() - t
    assert all(o.status == "skipped" for o in resumed)
    return {
        "engagements": n,
        "wall_seconds": wall,
        "per_second": n / wall,
        "breakdown": timings,
        "resume_all_skipped_seconds": resume,
        "target_seconds": 10.0,
        "pass": wall < 10.0,
    }


def bench_deliverables(m: int, work: Path) -> dict:
    folders = make_portfolio(work / "deliv", m)
    out = {}
    for jobs in (1, 2):
        t = time.perf_counter()
        outcomes = run_batch(
            folders, out=work / f"reports-{jobs}", store=work / f"s-{jobs}", jobs=jobs
        )
        out[jobs] = time.perf_counter() - t
        assert all(o.status == "done" for o in outcomes), [o.reason for o in outcomes][:3]
    ratio = out[2] / out[1]
    return {
        "engagements": m,
        "jobs1_seconds": out[1],
        "jobs2_seconds": out[2],
        "ratio": ratio,
        "target_ratio": 0.6,
        "pass": ratio <= 0.6,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engagements", type=int, default=1000)
    ap.add_argument("--deliverables", type=int, default=20)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="paos-bench-"))
    try:
        load = os.getloadavg()
        scores = bench_scores(args.engagements, work)
        deliv = bench_deliverables(args.deliverables, work) if args.deliverables else None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    b = scores["breakdown"]
    print("| measure | value |\n|---|---|")
    print(
        f"| --scores-only, {scores['engagements']} folders, end to end | "
        f"{scores['wall_seconds']:.2f} s ({scores['per_second']:.0f} engagements/s) — "
        f"{'PASS' if scores['pass'] else 'MISS'} (< 10 s) |"
    )
    print(
        f"| where the time goes | reading {b.get('read', 0):.2f} s, validating "
        f"{b.get('validate', 0):.2f} s, scoring {b.get('score', 0):.2f} s, writing the store "
        f"{b.get('write', 0):.2f} s |"
    )
    print(f"| rerun, all unchanged (skipped) | {scores['resume_all_skipped_seconds']:.2f} s |")
    if deliv:
        print(
            f"| full deliverables, {deliv['engagements']} engagements, --jobs 1 | "
            f"{deliv['jobs1_seconds']:.1f} s |"
        )
        print(
            f"| full deliverables, --jobs 2 | {deliv['jobs2_seconds']:.1f} s: "
            f"{deliv['ratio']:.2f}x of --jobs 1 — {'PASS' if deliv['pass'] else 'MISS'} "
            f"(<= 0.6x) |"
        )
    res = ROOT / "bench" / "results"
    res.mkdir(parents=True, exist_ok=True)
    (res / "batch.json").write_text(
        json.dumps(
            {"load_average_at_start": load, "scores_only": scores, "deliverables": deliv}, indent=2
        )
    )


if __name__ == "__main__":
    main()
