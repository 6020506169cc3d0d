#!/usr/bin/env python3
"""Benchmark of the scoring engine on a synthetic portfolio (run on demand, not a test).

Builds, deterministically, N engagements x S stakeholders x every signal of the
rulebook as the engine's validated input frames (plus 0-8 metrics per
engagement), then times in one process:

  (a) the bare baseline: ratings.group_by(engagement, signal, perspective).mean()
  (b) full scoring: paos.score(...) end to end, validated frames in, every
      result frame out
  (c) the engine's stages one by one, in `paos.method.engine.score` order

and records peak memory (ru_maxrss, and the RSS increase during scoring sampled
every 10 ms by a background thread). Prints a markdown table and writes it as
JSON to bench/results/engine.json (git-ignored).

    .venv/bin/python bench/bench_engine.py [--engagements 10000] [--stakeholders 20]
                                           [--repeat 3] [--seed 20260901]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import resource
import sys
import threading
import time
from pathlib import Path

import numpy as np
import polars as pl

# Run as a script, bench/ is on sys.path but not the repository root: put it
# there so `paos` resolves to the source tree even when the editable install's
# finder does not (an install made before paos/__init__.py existed treats
# paos as a namespace package).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from paos import load_rulebook, score
from paos._types import ENG, Evidence

GIB = 1024**3
MIB = 1024**2
TARGET_RATIO = 2.0  # issue 21: within 2x of the bare group-by
TARGET_PEAK = 2 * GIB
OUT = Path(__file__).parent / "results" / "engine.json"

# The roles a stakeholder of each perspective may hold, from the rulebook (in its order).
_ROLES = load_rulebook("paos-v1")["perspectives"]
STRATEGIC_ROLES = list(_ROLES["strategic"]["roles"])
OPERATIONAL_ROLES = list(_ROLES["operational"]["roles"])
QUOTES = [
    "No one owns this; it depends on who asks.",
    "We have a slide, but nobody uses it.",
    "Partners are signed when they show interest.",
    "It is handled case by case.",
    "  We track it in a spreadsheet, sometimes.  ",
    "There is a documented process and it is followed.",
    "Only the founder knows.",
    "Measured quarterly and reviewed with partners.",
    "Not that I know of.",
    "We tried once in 2024 and stopped.",
    "",  # a blank quote: not evidence
    "Depends on the region; EMEA does it, US does not.",
]


# ---------------------------------------------------------------------------
# Memory


def rss() -> int:
    """Current resident set size in bytes (VmRSS of /proc/self/status)."""
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import psutil

    return psutil.Process().memory_info().rss


def maxrss() -> int:
    """Peak RSS of the process so far in bytes (ru_maxrss: KiB on Linux, bytes on macOS)."""
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r if sys.platform == "darwin" else r * 1024


class RssSampler:
    """Samples RSS every `interval` s in a background thread while active."""

    def __init__(self, interval: float = 0.01):
        self.interval = interval
        self.before = self.peak = 0

    def __enter__(self):
        gc.collect()
        self.before = self.peak = rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss())
            self._stop.wait(self.interval)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss())

    @property
    def increase(self) -> int:
        return self.peak - self.before


# ---------------------------------------------------------------------------
# Synthetic portfolio


def _take(pool: list[str], idx: np.ndarray) -> pl.Series:
    """pool[idx] as a String series; negative idx gives null."""
    idx = (
        pl.Series(idx.astype(np.int64)).set(pl.Series(idx < 0), None)
        if (idx < 0).any()
        else pl.Series(idx.astype(np.int64))
    )
    return pl.Series(pool, dtype=pl.String).gather(idx)


def perspective_counts(s: int) -> tuple[int, int, int]:
    """Strategic, operational, partner stakeholders per engagement (4/12/4 of 20)."""
    strategic = max(1, round(s * 0.2)) if s >= 2 else s
    partner = max(1, round(s * 0.2)) if s >= 3 else 0
    return strategic, s - strategic - partner, partner


def build_portfolio(n: int, s: int, rulebook, seed: int) -> Evidence:
    """N engagements x S stakeholders x every signal, as validated frames.

    Deterministic for a given seed. Per engagement ~20% strategic, ~60%
    operational, ~20% partner stakeholders (4/12/4 of 20); ratings from a latent
    maturity per engagement and signal (mean 2.9, so about half the signals are
    gaps), leadership over-rating 15% of signals by 1.5 (blind spots) and
    under-rating 10% by 1.3 (hidden strengths); 5% blank ratings; 30% of rows
    carry a short quote (some padded, some blank).
    """
    rng = np.random.default_rng(seed)
    signal_ids = [sg.id for sg in rulebook.signals]
    metrics = rulebook.metrics
    k = len(signal_ids)
    eng_ids = [f"ENG-{i:06d}" for i in range(n)]
    eng_s = pl.Series(ENG, eng_ids, dtype=pl.String)

    engagements = pl.DataFrame(
        {
            ENG: eng_s,
            "client": pl.Series([f"Client {i:06d} AG" for i in range(n)], dtype=pl.String),
            "assessed_on": pl.Series(
                np.datetime64("2026-01-01") + rng.integers(0, 365, n).astype("timedelta64[D]")
            ).cast(pl.Date),
            "rulebook": pl.Series([rulebook.id] * n, dtype=pl.String),
            "industry": _take(
                ["saas", "it-services", "manufacturing-tech", "fintech"], rng.integers(0, 4, n)
            ),
            "stage": _take(["startup", "scale-up", "enterprise"], rng.integers(0, 3, n)),
            "baseline": pl.Series([None] * n, dtype=pl.String),
        }
    )

    # Stakeholders: fixed perspective mix per engagement, roles drawn at random.
    n_s, n_o, n_p = perspective_counts(s)
    persp_of = np.array([0] * n_s + [1] * n_o + [2] * n_p)  # per stakeholder slot
    persp_names = ["strategic", "operational", "partner"]
    e_idx = np.repeat(np.arange(n), s)
    slot = np.tile(np.arange(s), n)
    p_idx = persp_of[slot]
    role_pool = STRATEGIC_ROLES + OPERATIONAL_ROLES + ["partner"]
    role_idx = np.where(
        p_idx == 0,
        rng.integers(0, len(STRATEGIC_ROLES), n * s),
        np.where(
            p_idx == 1,
            len(STRATEGIC_ROLES) + rng.integers(0, len(OPERATIONAL_ROLES), n * s),
            len(role_pool) - 1,
        ),
    )
    sh_ids = [f"SH-{j:02d}" for j in range(s)]
    stakeholders = pl.DataFrame(
        {
            ENG: eng_s.gather(e_idx),
            "stakeholder_id": _take(sh_ids, slot),
            "role": _take(role_pool, role_idx),
            "perspective": _take(persp_names, p_idx),
        }
    )

    # Ratings: a latent maturity per engagement and signal, a leadership bias on
    # some signals (blind spots: +1.5; hidden strengths: -1.3), per-stakeholder noise.
    truth = np.clip(rng.normal(2.9, 0.7, (n, k)), 1.0, 4.0)
    u = rng.random((n, k))
    bias = np.where(u < 0.15, 1.5, np.where(u < 0.25, -1.3, 0.0))
    rows = n * s * k
    r_e = np.repeat(np.arange(n), s * k)  # engagement of each rating row
    r_slot = np.tile(np.repeat(np.arange(s), k), n)  # stakeholder slot
    r_sig = np.tile(np.arange(k), n * s)  # signal
    r_p = persp_of[r_slot]
    latent = (
        truth[r_e, r_sig]
        + np.where(r_p == 0, bias[r_e, r_sig], 0.0)
        + np.where(r_p == 2, -0.3, 0.0)
        + rng.normal(0.0, 0.6, rows)
    )
    rating = np.clip(np.rint(latent), 1, 4).astype(np.int8)
    blank = rng.random(rows) < 0.05
    ev_idx = np.where(rng.random(rows) < 0.30, rng.integers(0, len(QUOTES), rows), -1)
    ratings = pl.DataFrame(
        {
            ENG: eng_s.gather(r_e),
            "stakeholder_id": _take(sh_ids, r_slot),
            "signal_id": _take(signal_ids, r_sig),
            "rating": pl.Series(rating).set(pl.Series(blank), None).cast(pl.Int8),
            "perspective": _take(persp_names, r_p),
            "role": stakeholders["role"].gather(r_e * s + r_slot),
            "evidence": _take(QUOTES, ev_idx),
            "line": pl.Series(2 + r_slot * k + r_sig, dtype=pl.Int32),
        }
    )

    # Metrics: 0-8 per engagement, a random subset, values spread around the cuts.
    m = len(metrics)
    n_m = rng.integers(0, m + 1, n)
    order = np.argsort(rng.random((n, m)), axis=1)
    keep = np.arange(m)[None, :] < n_m[:, None]
    m_e = np.nonzero(keep)[0]
    m_id = order[keep]
    top = np.array([mt.cuts[2] * 1.4 for mt in metrics])
    value = np.round(rng.random(m_e.size) * top[m_id], 1)
    metrics_df = pl.DataFrame(
        {
            ENG: eng_s.gather(m_e),
            "metric_id": _take([mt.id for mt in metrics], m_id),
            "value": pl.Series(value, dtype=pl.Float64),
        }
    )
    return Evidence(engagements, stakeholders, ratings.rechunk(), metrics_df)


# ---------------------------------------------------------------------------
# Timing


def best_of(fns: dict, repeat: int) -> dict:
    """Warm up each function once, then `repeat` rounds, the functions interleaved
    within a round (so that both see the same machine load).

    Per function: best and all wall times, best CPU time (all threads), memory
    (RSS sampled every 10 ms in every run, warm-up included: the run with the
    largest increase, and the highest peak) and the last output.
    """
    res = {
        name: {
            "times": [],
            "cpu": [],
            "out": None,
            "mem": {"rss_before": 0, "rss_peak": 0, "rss_increase": 0},
        }
        for name in fns
    }
    for i in range(repeat + 1):
        for name, fn in fns.items():
            r = res[name]
            r["out"] = None
            gc.collect()
            with RssSampler() as sampler:
                c0, t0 = time.process_time(), time.perf_counter()
                r["out"] = fn()
                wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            mem = r["mem"]
            if sampler.increase >= mem["rss_increase"]:
                r["mem"] = mem = {
                    "rss_before": sampler.before,
                    "rss_peak": mem["rss_peak"],
                    "rss_increase": sampler.increase,
                }
            mem["rss_peak"] = max(mem["rss_peak"], sampler.peak)
            if i > 0:
                r["times"].append(wall)
                r["cpu"].append(cpu)
    for r in res.values():
        r["best"], r["best_cpu"] = min(r["times"]), min(r["cpu"])
    return res


def baseline(ratings: pl.DataFrame) -> pl.DataFrame:
    return ratings.group_by("engagement_id", "signal_id", "perspective").agg(
        pl.col("rating").mean()
    )


def full_score(ev: Evidence, rb):
    res = score(ev, rb)
    # Every result frame is an eager DataFrame already; touch them all anyway.
    frames = [
        res.engagements,
        res.dimensions,
        res.signals,
        res.gaps,
        res.evidence,
        res.modules,
        res.metrics,
    ]
    return res, [f.height for f in frames]


# The stage functions `paos.method.engine.score` calls, by their names in paos.method.engine.
STAGES = (
    "metric_ratings",
    "score_signals",
    "classify_divergence",
    "detect_gaps",
    "score_dimensions",
    "score_index",
    "rated_stakeholders",
    "gap_evidence",
    "installation_modules",
)
INLINE = "rest of score(): inline joins and sorts"


def stages(ev: Evidence, rb) -> list[tuple[str, float, int | None]]:
    """One run of `paos.method.engine.score` with every stage function timed.

    The stage functions are wrapped in paos.method.engine's namespace for the call (and
    restored after), so they run exactly as, and in the order, `score` calls
    them, whatever that code becomes. What `score` does inline (the engagements
    join and the final sorts) is the remainder.
    """
    import paos.method.engine as engine

    out: list[tuple[str, float, int | None]] = []
    saved = {name: getattr(engine, name) for name in STAGES if hasattr(engine, name)}

    def timed(name, fn):
        def run(*args, **kwargs):
            t0 = time.perf_counter()
            r = fn(*args, **kwargs)
            out.append((name, time.perf_counter() - t0, getattr(r, "height", None)))
            return r

        return run

    for name, fn in saved.items():
        setattr(engine, name, timed(name, fn))
    try:
        t0 = time.perf_counter()
        engine.score(ev, rb)
        total = time.perf_counter() - t0
    finally:
        for name, fn in saved.items():
            setattr(engine, name, fn)
    out.append((INLINE, total - sum(t for _, t, _ in out), None))
    return out


# ---------------------------------------------------------------------------


def fmt_s(x: float) -> str:
    if x < 0.1:
        return f"{x * 1000:.1f} ms"
    return f"{x * 1000:,.0f} ms" if x < 10 else f"{x:,.2f} s"


def fmt_b(x: int) -> str:
    return f"{x / GIB:.2f} GiB" if x >= GIB else f"{x / MIB:,.0f} MiB"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--engagements", type=int, default=10_000)
    ap.add_argument("--stakeholders", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=20260901)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)

    rb = load_rulebook("paos-v1")
    rss_start = rss()
    t0 = time.perf_counter()
    ev = build_portfolio(args.engagements, args.stakeholders, rb, args.seed)
    build_s = time.perf_counter() - t0
    gc.collect()
    rss_input = rss()
    maxrss_input = maxrss()
    rows = ev.ratings.height
    input_bytes = sum(
        f.estimated_size() for f in (ev.engagements, ev.stakeholders, ev.ratings, ev.metrics)
    )
    print(
        f"portfolio: {args.engagements:,} engagements x {args.stakeholders} stakeholders x "
        f"{len(rb.signals)} signals = {rows:,} ratings, {ev.metrics.height:,} metrics "
        f"(built in {build_s:.1f} s, frames {fmt_b(input_bytes)}, RSS {fmt_b(rss_input)})",
        flush=True,
    )
    print(
        f"polars {pl.__version__}, {pl.thread_pool_size()} threads, "
        f"{os.cpu_count()} cpus, python {platform.python_version()}",
        flush=True,
    )

    load_start = os.getloadavg()
    maxrss_before_timing = maxrss()
    runs = best_of(
        {"baseline": lambda: baseline(ev.ratings), "score": lambda: full_score(ev, rb)}, args.repeat
    )
    maxrss_after_scoring = maxrss()
    base, scored = runs["baseline"], runs["score"]
    base_s, base_all, base_cpu, base_mem = (
        base["best"],
        base["times"],
        base["best_cpu"],
        base["mem"],
    )
    score_s, score_all, score_cpu, score_mem = (
        scored["best"],
        scored["times"],
        scored["best_cpu"],
        scored["mem"],
    )
    heights = scored["out"][1]
    del runs
    print(
        f"baseline group-by: best {fmt_s(base_s)}  ({', '.join(fmt_s(x) for x in base_all)}; "
        f"CPU {fmt_s(base_cpu)})",
        flush=True,
    )
    print(
        f"full score():      best {fmt_s(score_s)}  ({', '.join(fmt_s(x) for x in score_all)}; "
        f"CPU {fmt_s(score_cpu)})",
        flush=True,
    )
    out_rows = dict(
        zip(
            ["engagements", "dimensions", "signals", "gaps", "evidence", "modules", "metrics"],
            heights,
        )
    )

    # Per-stage breakdown: warm-up, then the best of `repeat` per stage (the sum
    # of per-stage bests can be a little under the best end-to-end time).
    stages(ev, rb)
    stage_runs = [stages(ev, rb) for _ in range(args.repeat)]
    stage_rows = [
        {"stage": name, "seconds": min(r[i][1] for r in stage_runs), "rows_out": rows_out}
        for i, (name, _, rows_out) in enumerate(stage_runs[0])
    ]
    stage_total = sum(r["seconds"] for r in stage_rows)

    load_end = os.getloadavg()
    ratio = score_s / base_s
    cpu_ratio = score_cpu / base_cpu
    busy = max(load_start[0], load_end[0]) > (os.cpu_count() or 1)
    # The memory target is the process's peak while scoring, input frames included:
    # the sampled peak, or ru_maxrss if that rose during the timed runs (a spike
    # shorter than the 10 ms sampling interval).
    peak = score_mem["rss_peak"]
    if maxrss_after_scoring > maxrss_before_timing:
        peak = max(peak, maxrss_after_scoring)
    ok_time = ratio <= TARGET_RATIO
    ok_mem = peak <= TARGET_PEAK
    result = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "config": {
            "engagements": args.engagements,
            "stakeholders": args.stakeholders,
            "signals": len(rb.signals),
            "repeat": args.repeat,
            "seed": args.seed,
            "rulebook": rb.id,
        },
        "env": {
            "polars": pl.__version__,
            "threads": pl.thread_pool_size(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "input": {
            "ratings": rows,
            "metrics": ev.metrics.height,
            "stakeholders": ev.stakeholders.height,
            "frames_bytes": input_bytes,
            "build_seconds": build_s,
            "rss_before_build": rss_start,
            "rss_with_input": rss_input,
        },
        "load_average": {"start": load_start, "end": load_end, "busy": busy},
        "baseline": {
            "seconds": base_s,
            "all": base_all,
            "cpu_seconds": base_cpu,
            "rows_per_s": rows / base_s,
            "rss_increase": base_mem["rss_increase"],
            "rss_peak": base_mem["rss_peak"],
        },
        "score": {
            "seconds": score_s,
            "all": score_all,
            "cpu_seconds": score_cpu,
            "rows_per_s": rows / score_s,
            "rss_before": score_mem["rss_before"],
            "rss_peak": score_mem["rss_peak"],
            "rss_increase": score_mem["rss_increase"],
            "rss_peak_over_input": score_mem["rss_peak"] - rss_input,
            "peak_judged": peak,
            "output_rows": out_rows,
        },
        "ratio": ratio,
        "cpu_ratio": cpu_ratio,
        "maxrss": {
            "after_input": maxrss_input,
            "before_timing": maxrss_before_timing,
            "after_scoring": maxrss_after_scoring,
        },
        "stages": stage_rows,
        "stages_total_seconds": stage_total,
        "targets": {
            "ratio_max": TARGET_RATIO,
            "peak_bytes_max": TARGET_PEAK,
            "ratio": "PASS" if ok_time else "MISS",
            "peak_memory": "PASS" if ok_mem else "MISS",
        },
    }

    n, s = args.engagements, args.stakeholders
    md = [
        f"Engine benchmark: {n:,} engagements x {s} stakeholders x {len(rb.signals)} signals "
        f"= {rows:,} ratings, {ev.metrics.height:,} metrics "
        f"(polars {pl.__version__}, {pl.thread_pool_size()} threads; best of {args.repeat} "
        "after one warm-up)",
        "",
        "| measure | value |",
        "|---|---|",
        f"| bare group-by (engagement, signal, perspective) mean | {fmt_s(base_s)} "
        f"({rows / base_s / 1e6:,.1f} M rows/s) |",
        f"| full `score()` (validated frames in, all result frames out) | {fmt_s(score_s)} "
        f"({rows / score_s / 1e6:,.1f} M rows/s) |",
        f"| ratio score / group-by, wall (target <= {TARGET_RATIO:g}x) | {ratio:.2f}x "
        f"**{result['targets']['ratio']}** |",
        f"| ratio score / group-by, CPU time of all threads | {cpu_ratio:.2f}x |",
        f"| input frames (estimated size / RSS with input loaded) | {fmt_b(input_bytes)} / "
        f"{fmt_b(rss_input)} |",
        f"| peak RSS during scoring (target < 2 GiB) | {fmt_b(peak)} "
        f"**{result['targets']['peak_memory']}** |",
        f"| peak RSS increase during scoring (peak - RSS just before) | "
        f"{fmt_b(score_mem['rss_increase'])} |",
        f"| peak RSS during scoring - RSS with only the input loaded | "
        f"{fmt_b(score_mem['rss_peak'] - rss_input)} |",
        f"| process peak, ru_maxrss (after scoring) | {fmt_b(maxrss_after_scoring)} |",
        "",
        "| stage | time | share | rows out |",
        "|---|---:|---:|---:|",
    ]
    md += [
        f"| {r['stage']} | {fmt_s(r['seconds'])} | {r['seconds'] / stage_total:.0%} | "
        f"{'' if r['rows_out'] is None else format(r['rows_out'], ',')} |"
        for r in stage_rows
    ]
    md.append(f"| **sum of stages** | {fmt_s(stage_total)} | 100% | |")
    if busy:
        md += [
            "",
            f"(load average {max(load_start[0], load_end[0]):.1f} on "
            f"{os.cpu_count()} cpus during the run: wall times are inflated by other processes)",
        ]
    text = "\n".join(md)
    print()
    print(text)
    print()
    print(
        f"scoring within {TARGET_RATIO:g}x of the bare group-by: "
        f"{result['targets']['ratio']} ({ratio:.2f}x)"
    )
    if busy:
        print(
            f"WARNING: load average {max(load_start[0], load_end[0]):.1f} on "
            f"{os.cpu_count()} cpus: other processes competed, wall times are noisy"
        )
    print(
        f"peak memory under 2 GiB: {result['targets']['peak_memory']} "
        f"(peak RSS while scoring {fmt_b(peak)}; ru_maxrss "
        f"{fmt_b(maxrss_after_scoring)})"
    )

    result["markdown"] = text
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
