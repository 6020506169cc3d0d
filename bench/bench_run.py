#!/usr/bin/env python3
"""Benchmark of `paos run` against the floor of its own machinery (run on demand, not a test).

Times in one process, interleaved, after one warm-up round of each:

  (a) `paos run`: `run_engagement(engagement, tmpdir, force=True, progress=None)`
      end to end and per stage (validate, execute, html, pdf, publish);
  (b) the floor: the same machinery doing nothing of its own -
        execute  papermill (paos.deliverables.run.execute_notebook: same kernel, same options)
                 on a minimal notebook: a parameters cell and one code cell that
                 imports, in order, every module the real notebook's kernel holds
                 once it has run (recorded first by running the real notebook with
                 one cell added). So the libraries' own lazy imports count as
                 machinery (pandera's polars backend and the hypothesis it pulls
                 in when installed, ...), and what remains is paos's work;
        html     paos.deliverables._render.notebook_html of that executed notebook (same
                 template, same title), written the same way;
        pdf      paos.deliverables._render.html_to_pdf of that HTML (same headless Chromium),
                 launched for it: the three stages one after another, as the
                 issue defines the floor;
      and the same floor with its browser launched before execute, the way
      `paos run` launches its own (a stricter floor: it gets the same head start).
  (c) for comparison, the first floor: one import line of the libraries the
      notebook names (paos, paos.deliverables.report, paos.deliverables.sections, polars, pandas, pandera,
      altair, vl_convert), without their lazy imports.

Reports best and median of --repeat rounds, the ratio paos run / floor in all
and per stage against the target (within 1.5x; the verdict uses the best
round), the median of the round-by-round ratios (less sensitive to the VM's
slow and fast spells), CPU seconds per stage, machine-wide from /proc/stat (the kernel, the
chart engine helper and every Chromium process: most of Chromium's are not our
children to reap, so getrusage would miss them) and their ratio, the machine's
CPU use at rest before the rounds (the machine has 2 cores: a busy one is
flagged), where the execute time goes (outside the
cells, then each cell, from papermill's `papermill.duration` cell metadata) and
the size of what html and pdf handle. Then one `paos run` of the CLI in a fresh
process (what an analyst waits for: it also pays the imports the warm rounds
do not). `--profile` adds a cold, fresh-process breakdown of the notebook's
work (imports, report.deliverable, each section, every charts.to_svg call) like
the kernel sees it.

Prints a markdown table (for the README) and writes JSON to
bench/results/run.json (git-ignored).

    .venv/bin/python bench/bench_run.py [--engagement data/engagements/northwind-2026-09]
                                        [--repeat 3] [--profile] [--no-cli]
                                        [--out bench/results/run.json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# As in bench_engine.py: make `paos` resolve to the source tree when run as a script.
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402

import paos.deliverables._browser  # noqa: E402
import paos.deliverables._render  # noqa: E402
import paos.deliverables.run  # noqa: E402
from paos._files import atomic_write_text  # noqa: E402
from paos.deliverables._browser import Browser  # noqa: E402
from paos.deliverables.run import STAGES, notebook_path, run_engagement  # noqa: E402

TARGET_RATIO = 1.5
OUT = Path(__file__).parent / "results" / "run.json"
DEFAULT_ENGAGEMENT = ROOT / "data" / "engagements" / "northwind-2026-09"
FLOOR_IMPORTS = "import paos, paos.deliverables.report, paos.deliverables.sections, polars, pandas, pandera, altair, vl_convert"
FLOOR_STAGES = ("execute", "html", "pdf")

# ---------------------------------------------------------------------------
# CPU time, machine-wide (/proc/stat): the runs are the only work on the machine
# (its use at rest is measured first), and that way every process of a run counts:
# the kernel, the chart engine helper (a session of its own) and Chromium's
# processes, most of which are not our children.

CPU = {}  # stage -> CPU seconds of its last call


def machine_busy() -> float:
    """CPU seconds all processes used since boot (user, nice, system, irq, softirq)."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:8]]
    except OSError:
        return float("nan")
    return (v[0] + v[1] + v[2] + v[5] + v[6]) / os.sysconf("SC_CLK_TCK")


def at_rest(seconds: float = 3.0) -> float:
    """Share of the machine's CPUs busy while we do nothing."""
    b = machine_busy()
    time.sleep(seconds)
    return (machine_busy() - b) / (seconds * (os.cpu_count() or 1))


class HelperMeter:
    """CPU time of the chart engine helpers (`python -m paos.deliverables.chart_engine`), for
    information (machine-wide CPU already holds it): /proc is sampled every 100 ms
    and each helper's last reading is kept."""

    def __init__(self) -> None:
        self.seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        while not self._stop.wait(0.1):
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    if (
                        b"paos.deliverables.chart_engine"
                        not in Path(f"/proc/{pid}/cmdline").read_bytes()
                    ):
                        continue
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                self.seen[int(pid)] = (int(fields[11]) + int(fields[12])) / tick

    def total(self) -> float:
        return sum(self.seen.values())

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


HELPERS: HelperMeter | None = None


def metered(stage: str, fn):
    """`fn`, recording the machine's CPU time meanwhile in CPU[stage]; the wrapper
    costs microseconds, so paos run is timed as it is."""

    def call(*a, **k):
        c = machine_busy()
        try:
            return fn(*a, **k)
        finally:
            CPU[stage] = machine_busy() - c

    return call


# `deliver` looks these up at call time: the paos run and the floor both go through them.
execute_notebook = paos.deliverables.run.execute_notebook = metered(
    "execute", paos.deliverables.run.execute_notebook
)
notebook_html = paos.deliverables._render.notebook_html = metered(
    "html", paos.deliverables._render.notebook_html
)
html_to_pdf = paos.deliverables._render.html_to_pdf = metered(
    "pdf", paos.deliverables._render.html_to_pdf
)

# ---------------------------------------------------------------------------
# The floor


def _notebook_like_real(path: Path, code: str) -> Path:
    """A notebook with the real notebook's parameters cell and metadata (kernelspec,
    language) and one code cell."""
    real = nbformat.read(str(notebook_path()), as_version=4)
    params = next(c for c in real.cells if "parameters" in c.metadata.get("tags", []))
    nb = nbformat.v4.new_notebook(metadata=real.metadata)
    nb.cells = [
        nbformat.v4.new_code_cell(params.source, metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(code),
    ]
    nbformat.write(nb, str(path))
    return path


def kernel_modules(parameters: dict) -> list[str]:
    """The modules the real notebook's kernel holds once it has run, in import order:
    the real notebook with one cell added that writes `sys.modules` out. Names a
    module blocks (None, as paos does for rfc3987_syntax) are left out."""
    real = nbformat.read(str(notebook_path()), as_version=4)
    real.cells.append(
        nbformat.v4.new_code_cell(
            "import json, sys, pathlib\n"
            "pathlib.Path(output_dir, 'modules.json').write_text(json.dumps(\n"
            "    [n for n, m in list(sys.modules.items()) if m is not None]))"
        )
    )
    with tempfile.TemporaryDirectory(prefix="paos-bench-modules-") as tmp:
        nb = Path(tmp) / "modules.ipynb"
        nbformat.write(real, str(nb))
        paos.deliverables.run.execute_notebook(
            nb, Path(tmp) / "out.ipynb", {**parameters, "output_dir": tmp}, cwd=Path(tmp)
        )
        names = json.loads((Path(tmp) / "modules.json").read_text())
    return [n for n in names if n not in ("__main__", "__mp_main__")]


def floor_notebook(path: Path, modules: list[str]) -> Path:
    """The floor: a parameters cell and one cell importing, in order, every module
    the real notebook's kernel ends up holding, the libraries' own lazy imports
    included (pandera's polars backend, the hypothesis it pulls in when installed,
    ...). Modules the kernel starts with cost nothing to import again."""
    code = (
        "import importlib\n"
        f"for _name in {modules!r}:\n"
        "    try:\n"
        "        importlib.import_module(_name)\n"
        "    except Exception:\n"
        "        pass\n"
    )
    return _notebook_like_real(path, code)


def import_line_notebook(path: Path) -> Path:
    """The first floor, kept for comparison: one import line of the libraries the
    notebook names (their lazy imports are not in it)."""
    return _notebook_like_real(path, FLOOR_IMPORTS)


def _settle() -> float:
    """Wait for the browsers closing in the background and for the run's last
    processes to go; the machine's CPU meanwhile."""
    b = machine_busy()
    paos.deliverables._browser.wait_closed()
    time.sleep(0.1)  # the helper ends with its kernel
    return machine_busy() - b


def run_floor(
    template: Path, parameters: dict, title: str, ahead: bool = False
) -> tuple[dict, dict, dict]:
    """The floor, stage by stage, in a fresh folder (as `deliver` builds in one);
    `ahead`: its browser launched before execute, as `deliver` launches its own."""
    seconds, info = {}, {}
    CPU.clear()
    with tempfile.TemporaryDirectory(prefix="paos-bench-floor-") as tmp:
        staging = Path(tmp)
        nb_out = staging / template.name
        c0 = machine_busy()
        browser = Browser() if ahead else None
        t = time.perf_counter()
        execute_notebook(template, nb_out, {**parameters, "output_dir": str(staging)}, cwd=staging)
        seconds["execute"] = time.perf_counter() - t

        t = time.perf_counter()
        html = staging / "floor.html"
        atomic_write_text(html, notebook_html(nb_out, title))
        seconds["html"] = time.perf_counter() - t

        t = time.perf_counter()
        pdf = html_to_pdf(html, html.with_suffix(".pdf"), browser=browser)
        seconds["pdf"] = time.perf_counter() - t
        if browser:
            browser.close()
        CPU["pdf"] = CPU.get("pdf", 0.0) + _settle()  # the browser closing counts as pdf
        total = machine_busy() - c0

        info = artefacts(nb_out, html, pdf)
    return seconds, info, {**{s: CPU.get(s, 0.0) for s in FLOOR_STAGES}, "total": total}


# ---------------------------------------------------------------------------
# paos run


def run_paos(engagement: Path) -> tuple[dict, dict, dict]:
    CPU.clear()
    with tempfile.TemporaryDirectory(prefix="paos-bench-run-") as tmp:
        h = HELPERS.total() if HELPERS else 0.0
        c, t = machine_busy(), time.perf_counter()
        res = run_engagement(engagement, tmp, force=True, progress=None)
        wall = time.perf_counter() - t
        closing = _settle()  # its browser closes in the background
        total = machine_busy() - c
        helper = (HELPERS.total() if HELPERS else 0.0) - h
        seconds = {s: res.seconds.get(s, 0.0) for s in STAGES}
        seconds["wall"] = wall
        html = next(p for n, p in res.files.items() if n.endswith(".html"))
        info = artefacts(res.files[notebook_path().name], html, html.with_suffix(".pdf"))
    cpu = {s: CPU.get(s, 0.0) for s in FLOOR_STAGES}
    cpu["pdf"] += closing
    cpu["helper"] = helper
    cpu["total"] = total
    return seconds, info, cpu


def artefacts(nb_path: Path, html: Path, pdf: Path) -> dict:
    """What the stages produced: per-cell execution times, sizes, pages."""
    nb = nbformat.read(str(nb_path), as_version=4)
    cells = []
    for c in nb.cells:
        if c.cell_type != "code":
            continue
        pm = c.metadata.get("papermill", {})
        first = next(
            (ln for ln in c.source.splitlines() if ln.strip() and not ln.lstrip().startswith("#")),
            c.source.splitlines()[0] if c.source else "",
        )
        tags = c.metadata.get("tags", [])
        cells.append(
            {
                "cell": "injected-parameters"
                if "injected-parameters" in tags
                else "parameters"
                if "parameters" in tags
                else first[:60],
                "seconds": pm.get("duration") or 0.0,
            }
        )
    return {
        "cells": cells,
        "notebook_seconds": nb.metadata.get("papermill", {}).get("duration"),
        "notebook_bytes": nb_path.stat().st_size,
        "html_bytes": html.stat().st_size,
        "html_svgs": html.read_text(encoding="utf-8").count("<svg"),
        "pdf_bytes": pdf.stat().st_size,
        "pdf_pages": pdf_pages(pdf),
    }


def pdf_pages(pdf: Path) -> int | None:
    if not shutil.which("pdfinfo"):
        return None
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    return None


# ---------------------------------------------------------------------------
# Cold profile: what the kernel does, in a fresh process (its own imports first,
# so each library's import time is its own)

PROFILE = textwrap.dedent(r"""
    import json, sys, time
    out = {"steps": [], "charts": []}
    def step(name, t): out["steps"].append([name, time.perf_counter() - t])
    t0 = time.perf_counter()
    t = time.perf_counter(); from paos.deliverables import chart_engine; chart_engine.start()
    step("chart_engine.start()", t)
    t = time.perf_counter(); from paos.deliverables import report, sections; step("from paos import report, sections", t)
    from paos.deliverables import charts
    eng, out_dir = sys.argv[1], sys.argv[2]
    names = ["executive_summary", "priority_matrix", "roadmap", "dimension_pages",
             "divergence", "evidence_appendix", "reproducibility"]
    for phase in ("cold", "warm, 2nd run"):
        t = time.perf_counter(); d = report.deliverable(eng, "", ""); step(f"report.deliverable ({phase})", t)
        t = time.perf_counter(); sections.draw_charts(d)
        step(f"sections.draw_charts ({phase}: builds the specs, sends them)", t)
        t = time.perf_counter(); report.save_results(d, out_dir); step(f"report.save_results ({phase})", t)
        for n in names:
            t = time.perf_counter(); getattr(sections, n)(d)._repr_html_()
            step(f"sections.{n} ({phase}; waits for its chart)", t)
        if phase == "cold":
            out["cold_total"] = time.perf_counter() - t0
    for name, build in sections.CHARTS.items():          # each chart alone, engine warm
        t = time.perf_counter(); spec = charts.spec(build(d)); built = time.perf_counter() - t
        t = time.perf_counter(); chart_engine.to_svg(spec); drawn = time.perf_counter() - t
        out["charts"].append([name, built, drawn])
    out["helper"] = chart_engine.running()
    print(json.dumps(out))
""")


def cli_run(engagement: Path) -> dict:
    """`python -m paos run` once in a fresh process, on this source tree. It runs in a
    temporary folder, so the CLI's default results store (data/results, relative)
    is a fresh one there, beside the reports: the run is recorded as an analyst's
    would be, and the repository's store is left alone."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])
        ),
    }
    with tempfile.TemporaryDirectory(prefix="paos-bench-cli-") as tmp:
        t = time.perf_counter()
        proc = subprocess.run(  # reports and store apart: paos refuses overlapping ones
            [
                sys.executable,
                "-m",
                "paos",
                "run",
                str(engagement),
                "--out",
                str(Path(tmp) / "reports"),
                "--force",
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp,
        )
        wall = time.perf_counter() - t
    stages = [
        " ".join(ln.split("]", 1)[1].split())
        for ln in proc.stderr.splitlines()
        if ln.startswith("[")
    ]  # progress goes to stderr
    return {"seconds": wall, "returncode": proc.returncode, "stages": stages}


def cold_profile(engagement: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="paos-bench-prof-") as tmp:
        script = Path(tmp) / "profile.py"
        script.write_text(PROFILE)
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", str(script), str(engagement), tmp],
            capture_output=True,
            text=True,
            cwd=tmp,
            check=True,
        )
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    mods = []  # -X importtime: "import time: self | cumulative | name"
    for ln in proc.stderr.splitlines():
        parts = ln.split("|")
        if ln.startswith("import time:") and len(parts) == 3 and parts[0].split()[-1].isdigit():
            mods.append((int(parts[0].split()[-1]) / 1e6, parts[2].strip()))
    out["slowest_imports"] = sorted(mods, reverse=True)[:6]
    return out


# ---------------------------------------------------------------------------
# Report


def summary(xs: list[float]) -> dict:
    return {"best": min(xs), "median": statistics.median(xs), "all": xs}


def fmt_s(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f} s"


def fmt_r(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}x"


def table(paos_s: dict, floor_s: dict, ratios: dict, cpu_ratios: dict) -> str:
    rows = [
        "| stage | paos run best | paos run median | floor best | floor median "
        "| ratio best | ratio median | CPU ratio (median) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for st in (*STAGES, "total"):
        p, f = paos_s[st], floor_s.get(st)
        r, c = ratios.get(st), cpu_ratios.get(st)
        name = f"**{st}**" if st == "total" else st
        rows.append(
            f"| {name} | {fmt_s(p['best'])} | {fmt_s(p['median'])} | "
            f"{fmt_s(f and f['best'])} | {fmt_s(f and f['median'])} | "
            f"{fmt_r(r and r['best'])} | {fmt_r(r and r['median'])} | {fmt_r(c)} |"
        )
    return "\n".join(rows)


def cells_median(infos: list[dict], runs: list[dict]) -> list[dict]:
    """Median seconds per executed cell; what execute took outside the cells
    (kernel start and shutdown, papermill's notebook writes) first."""
    names = [c["cell"] for c in infos[0]["cells"]]
    rows = [
        {"cell": n, "seconds": statistics.median(i["cells"][j]["seconds"] for i in infos)}
        for j, n in enumerate(names)
    ]
    outside = statistics.median(
        r["execute"] - sum(c["seconds"] for c in i["cells"]) for r, i in zip(runs, infos)
    )
    return [
        {"cell": "(outside cells: kernel start/stop, notebook writes)", "seconds": outside}
    ] + rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--engagement", type=Path, default=DEFAULT_ENGAGEMENT)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--profile",
        action="store_true",
        help="add a cold, fresh-process breakdown of the notebook's work",
    )
    ap.add_argument(
        "--no-cli",
        dest="cli",
        action="store_false",
        help="skip the one `paos run` in a fresh process",
    )
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    engagement = args.engagement.resolve()
    ncpu = os.cpu_count() or 1
    global HELPERS
    HELPERS = HelperMeter()

    from paos.evidence.validate import load_evidence

    ev = load_evidence([engagement])
    title = f"{ev.engagements['client'][0]} · Partner Architecture Diagnostic"
    parameters = {"engagement": str(engagement), "rulebook": "", "run_date": ""}

    load_start = os.getloadavg()
    rest = at_rest()
    print(
        f"engagement {ev.engagement_ids()[0]} ({engagement}), {args.repeat} rounds after "
        f"one warm-up; {ncpu} cpus, load average {load_start[0]:.2f} "
        f"{load_start[1]:.2f} {load_start[2]:.2f}; at rest {rest:.0%} busy",
        flush=True,
    )

    paos_runs, floor_runs, paos_info, floor_info, paos_cpu, floor_cpu = [], [], [], [], [], []
    line_runs, ahead_runs = [], []
    modules = kernel_modules(parameters)
    print(
        f"the real notebook's kernel holds {len(modules)} modules: the floor imports them",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="paos-bench-tpl-") as tpl_dir:
        template = floor_notebook(Path(tpl_dir) / "floor.ipynb", modules)
        line_template = import_line_notebook(Path(tpl_dir) / "floor_import_line.ipynb")
        for i in range(args.repeat + 1):
            if i == 1:  # timed rounds start
                t0, helpers0 = time.perf_counter(), HELPERS.total()
            ps, pi, pc = run_paos(engagement)
            fs, fi, fc = run_floor(template, parameters, title)
            hs, _, _ = run_floor(template, parameters, title, ahead=True)
            ls, _, _ = run_floor(line_template, parameters, title)
            ps["total"] = sum(ps[s] for s in STAGES)
            for f in (fs, hs, ls):
                f["total"] = sum(f[s] for s in FLOOR_STAGES)
            tag = "warm-up" if i == 0 else f"round {i}"
            print(
                f"  {tag:<8} paos run {ps['total']:5.2f} s ("
                + ", ".join(f"{s} {ps[s]:.2f}" for s in STAGES)
                + f")  floor {fs['total']:5.2f} s ("
                + ", ".join(f"{s} {fs[s]:.2f}" for s in FLOOR_STAGES)
                + f")  browser ahead {hs['total']:5.2f} s"
                + f"  import-line {ls['total']:5.2f} s",
                flush=True,
            )
            if i:
                paos_runs.append(ps)
                floor_runs.append(fs)
                line_runs.append(ls)
                ahead_runs.append(hs)
                paos_info.append(pi)
                floor_info.append(fi)
                paos_cpu.append(pc)
                floor_cpu.append(fc)
        span = time.perf_counter() - t0
        helpers_cpu = HELPERS.total() - helpers0
    load_end = os.getloadavg()
    busy = rest > 0.05

    paos_s = {k: summary([r[k] for r in paos_runs]) for k in (*STAGES, "total", "wall")}
    floor_s = {k: summary([r[k] for r in floor_runs]) for k in (*FLOOR_STAGES, "total")}
    ratios = {k: {m: paos_s[k][m] / floor_s[k][m] for m in ("best", "median")} for k in floor_s}
    cpu = {
        "paos_run": {k: summary([c[k] for c in paos_cpu]) for k in paos_cpu[0]},
        "floor": {k: summary([c[k] for c in floor_cpu]) for k in floor_cpu[0]},
    }
    cpu_ratios = {k: cpu["paos_run"][k]["median"] / cpu["floor"][k]["median"] for k in cpu["floor"]}
    verdict = "PASS" if ratios["total"]["best"] <= TARGET_RATIO else "MISS"
    line_s = {k: summary([r[k] for r in line_runs]) for k in (*FLOOR_STAGES, "total")}
    line_ratio = {m: paos_s["total"][m] / line_s["total"][m] for m in ("best", "median")}
    paired = statistics.median(p["total"] / f["total"] for p, f in zip(paos_runs, floor_runs))
    ahead_s = {k: summary([r[k] for r in ahead_runs]) for k in (*FLOOR_STAGES, "total")}
    ahead_ratio = {m: paos_s["total"][m] / ahead_s["total"][m] for m in ("best", "median")}

    paos_cells = cells_median(paos_info, paos_runs)
    floor_cells = cells_median(floor_info, floor_runs)
    sizes = {
        k: {"paos_run": paos_info[-1][k], "floor": floor_info[-1][k]}
        for k in ("notebook_bytes", "html_bytes", "html_svgs", "pdf_bytes", "pdf_pages")
    }

    md = table(paos_s, floor_s, ratios, cpu_ratios)
    print()
    print(md)
    print()
    print(
        f"paos run / floor: {ratios['total']['best']:.2f}x best, "
        f"{ratios['total']['median']:.2f}x median (CPU {cpu_ratios['total']:.2f}x); "
        f"target within {TARGET_RATIO:g}x: {verdict}"
    )
    print(
        f"round by round (each paos run against the floor run right after it): median {paired:.2f}x"
    )
    print(
        f"against the import-line floor ({line_s['total']['best']:.2f} s best, "
        f"{line_s['total']['median']:.2f} s median; without the libraries' lazy imports): "
        f"{line_ratio['best']:.2f}x best, {line_ratio['median']:.2f}x median"
    )
    print(
        f"against the floor whose browser is launched ahead too ({ahead_s['total']['best']:.2f} s "
        f"best, {ahead_s['total']['median']:.2f} s median): {ahead_ratio['best']:.2f}x best, "
        f"{ahead_ratio['median']:.2f}x median"
    )
    print(
        f"machine: {rest:.0%} of {ncpu} cpus busy at rest before the rounds; load average "
        f"{load_start[0]:.2f} -> {load_end[0]:.2f}; the chart engine helpers used "
        f"{helpers_cpu:.1f} CPU-s over {span:.0f} s of rounds (in paos run's CPU)"
        + (
            "  BUSY: figures are pessimistic and noisy; rerun on a quiet machine"
            if busy
            else "  (quiet)"
        )
    )
    print("\nexecute, median per cell (papermill.duration):\n")
    print("| cell | paos run | floor |\n|---|---:|---:|")
    fl = {c["cell"]: c["seconds"] for c in floor_cells}
    for c in paos_cells:
        print(f"| `{c['cell']}` | {c['seconds']:.2f} s | {fmt_s(fl.pop(c['cell'], None))} |")
    for name, sec in fl.items():
        print(f"| `{name}` | – | {sec:.2f} s |")
    print(
        "\nsizes (paos run vs floor): "
        + "; ".join(f"{k} {v['paos_run']} vs {v['floor']}" for k, v in sizes.items())
    )

    cli = None
    if args.cli:
        cli = cli_run(engagement)
        print(
            f"\n`paos run` in a fresh process (CLI, first run): {cli['seconds']:.2f} s"
            + (f" (exit {cli['returncode']})" if cli["returncode"] else "")
            + "; "
            + "; ".join(cli["stages"][:4])
        )

    prof = None
    if args.profile:
        prof = cold_profile(engagement)
        print("\ncold profile (fresh process, as the kernel sees it):")
        for name, s in prof["steps"]:
            print(f"  {s:7.3f} s  {name}")
            if name.startswith("from paos import"):
                for sec, mod in prof["slowest_imports"]:
                    print(f"      {sec:7.3f} s  of which module {mod} (own time)")
        print(
            f"  charts alone, engine warm ({'in the helper' if prof['helper'] else 'in process'}):"
        )
        for name, built, drawn in prof["charts"]:
            print(f"    {name:<11} spec built in {built:.3f} s, drawn in {drawn:.3f} s")

    result = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "config": {
            "engagement": str(engagement),
            "repeat": args.repeat,
            "floor_modules": len(modules),
            "import_line_floor": FLOOR_IMPORTS,
            "kernel": "python3",
        },
        "env": {"python": platform.python_version(), "platform": platform.platform(), "cpus": ncpu},
        "machine": {
            "load_average_start": load_start,
            "load_average_end": load_end,
            "busy_at_rest": rest,
            "timed_seconds": span,
            "busy": busy,
            "chart_engine_helpers_cpu_seconds": helpers_cpu,
        },
        "paos_run": paos_s,
        "floor": floor_s,
        "ratio": ratios,
        "import_line_floor": line_s,
        "import_line_ratio": line_ratio,
        "paired_ratio_median": paired,
        "floor_browser_ahead": ahead_s,
        "floor_browser_ahead_ratio": ahead_ratio,
        "cpu_seconds": cpu,
        "cpu_ratio_median": cpu_ratios,
        "target_ratio": TARGET_RATIO,
        "verdict": verdict,
        "execute_cells": {"paos_run": paos_cells, "floor": floor_cells},
        "sizes": sizes,
        "cli_fresh_process": cli,
        "cold_profile": prof,
        "table_markdown": md,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
