"""Benchmark (issue 22): the floor of one engagement's deliverable against what a
batch pays for it. Run on demand, not a test:

    .venv/bin/python bench/bench_floor.py [--engagements 64] [--repeat 3] [--no-batch]

1. **The floor**: in one process with everything imported, the chart engine warm
   and the browser running, one engagement's whole deliverable: read + validate +
   score + robustness + charts + every section's HTML (the notebook's own cells,
   executed in this process in order, as the kernel executes them) + the executed
   notebook, results.json, gaps.csv, actions.xlsx, the board HTML (nbconvert, the
   board template), the deck (executive_summary.pptx), the PDF (printed by the
   already-running browser) and the store record (from results.json, as a run).
2. **The batch**: `paos batch --jobs 2` over the same engagements (the bundled
   portfolio, data/portfolio/engagements).
3. **`paos run` against the hand route** (papermill CLI, `jupyter nbconvert
   --template paos`, `chromium --print-to-pdf`), with bench/bench_cli.py's own
   functions, alternating round by round.

How CPU is counted: every measured command runs as a child of this process, which
makes itself a *child subreaper* (Linux `prctl(PR_SET_CHILD_SUBREAPER)`), so a
descendant orphaned on the way (Chromium's helper processes are not children of
the process that asked for the browser; a process may exit before its children)
is reparented to this process, not to init, and is reaped here. After each command
this process waits for every remaining descendant, then reads
`resource.getrusage(RUSAGE_CHILDREN)`: the CPU time of every process of the
command's tree (workers, kernels, Chromium's processes, Playwright's driver), each
counted once when it was reaped. The floor is one child process that imports,
starts the chart engine and the browser, makes one warm-up deliverable, then makes
N; a second child does the same with N = 0; the difference divided by N is the
floor's CPU-s per engagement, browser included, start-up excluded.

The machine is shared: for each phase the script also reads the machine's busy
CPU time from /proc/stat and prints how many cores *other* processes used
meanwhile (machine busy minus this command's CPU), and the load average.
Figures go to stdout and bench/results/floor.json.
"""

from __future__ import annotations

import argparse
import ast
import ctypes
import errno
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
BIN = Path(sys.executable).parent
PORTFOLIO = ROOT / "data" / "portfolio" / "engagements"
DEMO = ROOT / "data" / "engagements" / "northwind-2026-09"
PR_SET_CHILD_SUBREAPER = 36
GOAL = 1.3  # the goal: batch CPU-s per engagement <= 1.3x the floor's


# -- the floor (runs in a child process: `--inner N`) --------------------------------


def _cells(template: Path) -> list[tuple[str, list[str], str]]:
    import nbformat

    nb = nbformat.read(str(template), as_version=4)
    return [(c.cell_type, list(c.get("metadata", {}).get("tags", [])), c.source) for c in nb.cells]


def _run_cell(source: str, ns: dict):
    """Execute a cell as the kernel does: its statements, then the value of its last
    expression (none when the cell ends with `;`)."""
    tree = ast.parse(source)
    last = None
    tail = tree.body[-1] if tree.body else None
    if isinstance(tail, ast.Expr) and not source.rstrip().endswith(";"):
        tree.body.pop()
        last = ast.Expression(tail.value)
    exec(compile(tree, "<cell>", "exec"), ns)  # noqa: S102 - the bundled notebook's cells
    return eval(compile(last, "<cell>", "eval"), ns) if last else None  # noqa: S307


def one_deliverable(engagement: Path, out: Path, store: Path, browser, template: Path) -> dict:
    """One engagement's deliverable, in this process: the notebook's cells, then the
    files `paos run` publishes and the store record. Returns seconds per stage."""
    import nbformat

    from paos._files import atomic_write_text
    from paos.deliverables._render import html_to_pdf, notebook_html
    from paos.deliverables.slides import notebook_deck
    from paos.errors import plain
    from paos.method.store import contract_rows, write_runs

    times: dict[str, float] = {}

    def lap(stage: str, t: float) -> float:
        now = time.process_time()
        times[stage] = times.get(stage, 0.0) + now - t
        return now

    t = time.process_time()
    nb = nbformat.read(str(template), as_version=4)
    ns: dict = {}
    folder = out / engagement.name
    folder.mkdir(parents=True, exist_ok=True)
    params = {
        "engagement": str(engagement),
        "output_dir": str(folder),
        "rulebook": "",
        "run_date": "",
        "store": str(store),
    }
    first = True
    for n, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        value = _run_cell(cell.source, ns)
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            ns.update(params)
        cell.outputs = []
        if value is not None:
            data = {"text/plain": repr(value)}
            if hasattr(value, "_repr_html_"):
                data["text/html"] = value._repr_html_()
            cell.outputs = [
                nbformat.v4.new_output("execute_result", data=data, execution_count=n + 1)
            ]
        t = lap("notebook: read, validate, score, charts sent, files" if first else "sections", t)
        first = first and "parameters" in cell.get("metadata", {}).get("tags", [])
    d = ns["d"]
    title = f"{d.meta['client']} · Partner Architecture Diagnostic"
    nb.metadata["title"] = plain(title)
    atomic_write_text(folder / "diagnostic.ipynb", nbformat.writes(nb))
    t = lap("notebook written", t)
    html = folder / "executive_summary.html"
    atomic_write_text(html, notebook_html(nb, title))
    t = lap("html", t)
    notebook_deck(nb, html.with_suffix(".pptx"), None)  # executive_summary.pptx, as a run
    t = lap("deck (pptx)", t)
    html_to_pdf(html, html.with_suffix(".pdf"), browser=browser)
    t = lap("pdf (this process's part)", t)
    # as a run records it: the notebook's results.json and the validated evidence
    contract = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    write_runs(contract_rows(contract, d.evidence), store)
    lap("store record", t)
    return times


def unit_costs(engagements: list[Path]) -> dict:
    """CPU-s of one read, one read + validate, one read + validate + score +
    robustness, averaged over `engagements` (warm)."""
    from paos.evidence.intake import read_engagement
    from paos.evidence.validate import load_evidence
    from paos.method.diagnostic import diagnose

    costs = {}
    for name, fn in (
        ("read", read_engagement),
        ("read + validate", lambda e: load_evidence([e])),
        ("read + validate + score + robustness", diagnose),
    ):
        fn(engagements[0])
        t = time.process_time()
        for e in engagements:
            fn(e)
        costs[name] = (time.process_time() - t) / len(engagements)
    return costs


def inner(n: int, report: Path) -> None:
    t0 = time.process_time()
    from paos.deliverables import _browser, chart_engine, sections  # noqa: F401
    from paos.deliverables._render import notebook_html  # noqa: F401
    from paos.deliverables.run import notebook_path
    from paos.deliverables.slides import notebook_deck  # noqa: F401
    from paos.method.store import write_runs  # noqa: F401

    chart_engine.start()
    browser = _browser.Browser()
    template = notebook_path()
    engagements = sorted(p for p in PORTFOLIO.iterdir() if p.is_dir())[:n]
    with tempfile.TemporaryDirectory(prefix="paos-bench-floor-") as tmp:
        work = Path(tmp)
        one_deliverable(DEMO, work / "warm-up", work / "warm-up-store", browser, template)
        startup = time.process_time() - t0
        stages: dict[str, float] = {}
        walls = []
        for e in engagements:
            w = time.perf_counter()
            for k, v in one_deliverable(e, work / "out", work / "store", browser, template).items():
                stages[k] = stages.get(k, 0.0) + v
            walls.append(time.perf_counter() - w)
        units = unit_costs(engagements[:8]) if n else {}
        browser.close()
    _browser.wait_closed()
    chart_engine.stop()
    report.write_text(
        json.dumps(
            {
                "engagements": n,
                "startup_cpu_self": startup,
                "stages_cpu_self": stages,
                "wall": walls,
                "unit_costs": units,
            }
        )
    )


# -- measuring children ----------------------------------------------------------------


def _subreaper() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise SystemExit(f"prctl(PR_SET_CHILD_SUBREAPER) failed: errno {ctypes.get_errno()}")


def _reap(limit: float = 60.0) -> tuple[int, float]:
    """Wait for every remaining descendant (orphans reparented here): how many, and
    their CPU-s (which init would have collected without the subreaper)."""
    n, cpu, end = 0, 0.0, time.monotonic() + limit
    while time.monotonic() < end:
        try:
            pid, _, ru = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return n, cpu
        if pid == 0:
            time.sleep(0.05)
        else:
            n, cpu = n + 1, cpu + ru.ru_utime + ru.ru_stime
    raise SystemExit("descendants still running after the command ended")


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _machine_busy() -> float:
    """CPU-s the whole machine has spent busy since boot (/proc/stat)."""
    f = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = f[3] + f[4]
    return (sum(f[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class Measured:
    """A block's wall time, CPU of every descendant that ended in it, and what the
    rest of the machine did meanwhile."""

    def __enter__(self) -> Measured:
        self.wall0, self.cpu0 = time.perf_counter(), _children_cpu()
        self.self0, self.busy0 = time.process_time(), _machine_busy()
        self.load0 = os.getloadavg()[0]
        return self

    def __exit__(self, *exc) -> None:
        self.orphans, self.orphans_cpu = _reap()
        self.wall = time.perf_counter() - self.wall0
        self.cpu = _children_cpu() - self.cpu0
        ours = self.cpu + time.process_time() - self.self0
        self.others_cores = max(0.0, (_machine_busy() - self.busy0 - ours) / self.wall)
        self.load = (self.load0 + os.getloadavg()[0]) / 2

    def row(self) -> dict:
        return {
            "wall": self.wall,
            "cpu": self.cpu,
            "others_cores": self.others_cores,
            "load": self.load,
            "orphans_reaped": self.orphans,
            "orphans_cpu": self.orphans_cpu,
        }


def run(cmd: list[str], cwd: Path) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd[:3])} failed:\n{proc.stderr[-2000:]}")


def floor_child(n: int, tmp: Path) -> tuple[dict, dict]:
    report = tmp / f"floor-{n}.json"
    with Measured() as m:
        run([sys.executable, __file__, "--inner", str(n), "--report", str(report)], tmp)
    return m.row(), json.loads(report.read_text())


def batch(tmp: Path, n: int) -> dict:
    portfolio = PORTFOLIO
    if n < len(list(PORTFOLIO.iterdir())):
        portfolio = tmp / "portfolio"
        for e in sorted(p for p in PORTFOLIO.iterdir() if p.is_dir())[:n]:
            shutil.copytree(e, portfolio / e.name)
    with Measured() as m:
        run(
            [
                str(BIN / "paos"),
                "batch",
                str(portfolio),
                "--jobs",
                "2",
                "--out",
                str(tmp / "batch-out"),
                "--store",
                str(tmp / "batch-store"),
            ],
            tmp,
        )
    done = len(
        [p for p in (tmp / "batch-out").iterdir() if (p / "executive_summary.pdf").is_file()]
    )
    if done != n:
        raise SystemExit(f"paos batch delivered {done} of {n} engagements")
    return m.row()


def cli_ratio(tmp: Path, repeat: int) -> dict:
    """`paos run` against the hand route, bench_cli's own functions, alternating."""
    import bench_cli

    rows: dict[str, list[dict]] = {"paos run": [], "by hand": []}
    fns = {"paos run": bench_cli.paos_run, "by hand": bench_cli.by_hand}
    bench_cli.paos_run(DEMO, tmp), bench_cli.by_hand(DEMO, tmp)  # warm the file cache
    _reap()
    for i in range(repeat):
        order = list(fns) if i % 2 == 0 else list(fns)[::-1]
        for name in order:
            with Measured() as m:
                fns[name](DEMO, tmp)
            rows[name].append(m.row())
    med = {
        k: {f: statistics.median(r[f] for r in v) for f in ("wall", "cpu")} for k, v in rows.items()
    }
    return {
        "rounds": rows,
        "median": med,
        "ratio_wall": med["paos run"]["wall"] / med["by hand"]["wall"],
        "ratio_cpu": med["paos run"]["cpu"] / med["by hand"]["cpu"],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engagements", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=3, help="paos run / hand-route rounds")
    ap.add_argument("--no-batch", action="store_true", help="the floor alone")
    ap.add_argument("--inner", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--report", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inner is not None:
        inner(args.inner, args.report)
        return 0
    _subreaper()
    n = args.engagements
    res: dict = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "engagements": n}
    with tempfile.TemporaryDirectory(prefix="paos-bench-floor-") as t:
        tmp = Path(t)
        res["floor_startup"], _ = floor_child(0, tmp)
        res["floor"], res["floor_inner"] = floor_child(n, tmp)
        per_floor = (res["floor"]["cpu"] - res["floor_startup"]["cpu"]) / n
        res["floor_cpu_per_engagement"] = per_floor
        print(
            f"floor: start-up {res['floor_startup']['cpu']:.1f} CPU-s; {n} engagements "
            f"{res['floor']['cpu']:.1f} CPU-s -> {per_floor:.2f} CPU-s per engagement "
            f"(others used {res['floor']['others_cores']:.1f} cores meanwhile; "
            f"{res['floor']['orphans_reaped']} orphans reaped here, "
            f"{res['floor']['orphans_cpu']:.2f} CPU-s)"
        )
        inner_stages = res["floor_inner"]["stages_cpu_self"]
        for k, v in inner_stages.items():
            print(f"  {k:55} {v / n:.3f} CPU-s per engagement (this process)")
        rest = per_floor - sum(inner_stages.values()) / n
        print(f"  {'browser processes (pdf), by difference':55} {rest:.3f} CPU-s per engagement")
        for k, v in res["floor_inner"]["unit_costs"].items():
            print(f"  unit: {k:49} {v:.3f} CPU-s")
        if not args.no_batch:
            res["batch"] = batch(tmp, n)
            per_batch = res["batch"]["cpu"] / n
            res["batch_cpu_per_engagement"] = per_batch
            res["ratio_batch_floor"] = per_batch / per_floor
            print(
                f"paos batch --jobs 2, {n} engagements: {res['batch']['wall']:.1f} s wall, "
                f"{res['batch']['cpu']:.1f} CPU-s -> {per_batch:.2f} CPU-s per engagement "
                f"(others used {res['batch']['others_cores']:.1f} cores meanwhile; "
                f"{res['batch']['orphans_reaped']} orphans reaped here, "
                f"{res['batch']['orphans_cpu']:.2f} CPU-s)"
            )
            print(
                f"ratio batch / floor, CPU-s per engagement: {res['ratio_batch_floor']:.2f}x "
                f"(goal <= {GOAL}x: {'PASS' if res['ratio_batch_floor'] <= GOAL else 'MISS'})"
            )
        if args.repeat:
            res["cli"] = c = cli_ratio(tmp, args.repeat)
            for k, v in c["median"].items():
                print(f"{k:9} median {v['wall']:.2f} s wall, {v['cpu']:.2f} CPU-s")
            print(
                f"ratio paos run / by hand: {c['ratio_wall']:.2f} wall, "
                f"{c['ratio_cpu']:.2f} CPU (goal <= 0.5 wall)"
            )
    print(f"load average after: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cpus")
    out = ROOT / "bench" / "results" / "floor.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(res, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except OSError as exc:
        if exc.errno == errno.EPIPE:
            sys.exit(1)
        raise
