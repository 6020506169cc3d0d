#!/usr/bin/env python3
"""Benchmark of the robustness pass (robustness-v1.md) on the engine bench's portfolio
(run on demand, not a test).

Builds the same synthetic portfolio as bench/bench_engine.py (default 10,000
engagements x 20 stakeholders x 24 signals: 4.8M ratings, 200,000 variants),
then times in one process, interleaved, best of `--repeat` after a warm-up:

  (a) `paos.score(...)` end to end on those frames
  (b) `paos.method.robustness.robustness(evidence, rulebook, results)` on the same
      frames and that score's results: every leave-one-rater-out variant

Targets: (b) within 3x of (a), peak RSS under 3 GiB (RSS sampled every 10 ms, and
ru_maxrss, as bench_engine measures). Writes bench/results/robustness.json.

    .venv/bin/python bench/bench_robustness.py [--engagements 10000] [--stakeholders 20]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import best_of, build_portfolio, fmt_b, fmt_s, full_score, maxrss, rss

from paos import load_rulebook, score
from paos.method.robustness import robustness

GIB = 1024**3
TARGET_RATIO = 3.0
TARGET_PEAK = 3 * GIB
OUT = Path(__file__).parent / "results" / "robustness.json"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--engagements", type=int, default=10_000)
    ap.add_argument("--stakeholders", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=20260901)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)

    rb = load_rulebook("paos-v1")
    ev = build_portfolio(args.engagements, args.stakeholders, rb, args.seed)
    results = score(ev, rb)
    gc.collect()
    rss_input = rss()
    print(
        f"portfolio: {args.engagements:,} engagements x {args.stakeholders} stakeholders = "
        f"{ev.ratings.height:,} ratings; polars {pl.__version__}, "
        f"{pl.thread_pool_size()} threads, {os.cpu_count()} cpus, "
        f"python {platform.python_version()}; RSS with input and results {fmt_b(rss_input)}",
        flush=True,
    )
    maxrss_before = maxrss()
    runs = best_of(
        {
            "score": lambda: full_score(ev, rb),
            "robustness": lambda: robustness(ev, rb, results),
        },
        args.repeat,
    )
    maxrss_after = maxrss()
    sc, ro = runs["score"], runs["robustness"]
    ratio = ro["best"] / sc["best"]
    cpu_ratio = ro["best_cpu"] / sc["best_cpu"]
    peak = max(ro["mem"]["rss_peak"], sc["mem"]["rss_peak"])
    if maxrss_after > maxrss_before:  # a spike between two samples
        peak = max(peak, maxrss_after)
    rob = ro["out"].robustness
    variants = int(rob["variants"].sum())
    ok_ratio, ok_peak = ratio <= TARGET_RATIO, peak < TARGET_PEAK
    lines = [
        "| measure | value |",
        "|---|---|",
        f"| full `score()` (best of {args.repeat}) | {fmt_s(sc['best'])} |",
        f"| `robustness()` over {variants:,} variants (best of {args.repeat}) "
        f"| {fmt_s(ro['best'])} |",
        f"| ratio robustness / score, wall (target ≤ {TARGET_RATIO:g}×) | **{ratio:.2f}×** "
        f"{'PASS' if ok_ratio else 'FAIL'} |",
        f"| ratio robustness / score, CPU time of all threads | {cpu_ratio:.2f}× |",
        f"| peak RSS (target < 3 GiB) | **{fmt_b(peak)}** {'PASS' if ok_peak else 'FAIL'} |",
        f"| peak RSS increase during the robustness pass | {fmt_b(ro['mem']['rss_increase'])} |",
        f"| robustness wall times | {', '.join(fmt_s(t) for t in ro['times'])} |",
        f"| score wall times | {', '.join(fmt_s(t) for t in sc['times'])} |",
    ]
    print("\n".join(lines), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "engagements": args.engagements,
                "stakeholders": args.stakeholders,
                "ratings": ev.ratings.height,
                "variants": variants,
                "score_s": sc["times"],
                "robustness_s": ro["times"],
                "ratio": ratio,
                "cpu_ratio": cpu_ratio,
                "peak_rss": peak,
                "rss_increase": ro["mem"]["rss_increase"],
                "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
            },
            indent=2,
        )
    )
    return 0 if ok_ratio and ok_peak else 1


if __name__ == "__main__":
    sys.exit(main())
