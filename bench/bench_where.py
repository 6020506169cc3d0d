"""Benchmark (issue 22): where a batch engagement's cost beyond the floor goes.
Run on demand, not a test:

    .venv/bin/python bench/bench_where.py [--repeat 3] [--skip-count]

1. **The kernel's imports**: `python -X importtime -c "<the notebook's first cell's
   imports>"` in a fresh process: the import time of each top-level package, and
   the CPU of that process against a bare `python -c pass`.
2. **A kernel through papermill**, with paos's own papermill engine
   (`paos.deliverables.run.execute_notebook`, as `paos run` uses it), in this
   process, warm, median of --repeat rounds, CPU of this process and of the kernel
   (a child of this process, reaped by jupyter_client):
   - the diagnostic notebook's parameters cell alone: kernel start, papermill,
     shutdown;
   - plus the first cell's imports and the chart engine's warm-up;
   - the whole diagnostic notebook on the demo.
3. **What `paos run` and `paos batch` read, validate and score** (unless
   --skip-count): one `paos run` of the demo with a store, and `paos batch
   --jobs 1` of one engagement, with a counter installed in every Python process
   they start (a `sitecustomize` module on PYTHONPATH, in a temporary folder,
   that records each call of the functions that read, validate, score, score
   robustness, load a rulebook or read the store, with the paos frames that
   called it). Nothing in paos is changed.
Figures go to stdout and bench/results/where.json.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
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
DEMO = ROOT / "data" / "engagements" / "northwind-2026-09"
PORTFOLIO = ROOT / "data" / "portfolio" / "engagements"
KERNEL_IMPORTS = (
    "from paos.deliverables import chart_engine; from paos.deliverables import report, sections"
)


def _cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


# -- 1. imports ------------------------------------------------------------------------


def child_cpu(cmd: list[str]) -> tuple[float, str]:
    c = _cpu_children()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd[:3])} failed:\n{proc.stderr[-2000:]}")
    return _cpu_children() - c, proc.stderr


def imports(repeat: int) -> dict:
    py = sys.executable
    bare = statistics.median(child_cpu([py, "-c", "pass"])[0] for _ in range(repeat))
    cpu = statistics.median(child_cpu([py, "-c", KERNEL_IMPORTS])[0] for _ in range(repeat))
    _, log = child_cpu([py, "-X", "importtime", "-c", KERNEL_IMPORTS])
    top: dict[str, int] = {}
    total = 0
    for line in log.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+\d+ \| \s*(\S+)", line)
        if m:  # a module's own import time, summed per top-level package
            pkg = m[2].split(".")[0]
            top[pkg] = top.get(pkg, 0) + int(m[1])
            total += int(m[1])
    ranked = sorted(top.items(), key=lambda kv: -kv[1])
    return {
        "python_bare_cpu": bare,
        "kernel_imports_cpu": cpu,
        "importtime_total_s": total / 1e6,
        "importtime_self_by_package_s": {k: v / 1e6 for k, v in ranked},
    }


# -- 2. kernels through papermill ------------------------------------------------------


def _notebook(tmp: Path, name: str, code_cells: list[str]) -> Path:
    """The diagnostic notebook's parameters cell followed by `code_cells`."""
    import nbformat

    from paos.deliverables.run import notebook_path

    nb = nbformat.read(str(notebook_path()), as_version=4)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    nb.cells = [params] + [nbformat.v4.new_code_cell(src) for src in code_cells]
    path = tmp / name
    nbformat.write(nb, str(path))
    return path


def _bare_kernel(folder: Path) -> None:
    """Start a kernel with jupyter_client and shut it down: no papermill, no cell."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", cwd=str(folder), stderr=subprocess.DEVNULL)
    kc.stop_channels()
    km.shutdown_kernel()


def kernels(tmp: Path, repeat: int) -> dict:
    from paos.deliverables.run import execute_notebook, notebook_path

    params = {"engagement": str(DEMO), "rulebook": "", "run_date": "", "store": ""}

    def papermill(nb: Path):
        def go(folder: Path) -> None:
            execute_notebook(
                nb, folder / "out.ipynb", {**params, "output_dir": str(folder)}, folder
            )

        return go

    cases = {
        "kernel start + shutdown (jupyter_client alone)": _bare_kernel,
        "kernel start + papermill + shutdown (parameters cell only)": papermill(
            _notebook(tmp, "params.ipynb", [])
        ),
        "+ the first cell's imports and the chart engine's warm-up": papermill(
            _notebook(
                tmp,
                "imports.ipynb",
                [
                    "from paos.deliverables import chart_engine\nchart_engine.start()\n"
                    "from paos.deliverables import report, sections\n"
                    "chart_engine.stop()  # waits for the warm-up"
                ],
            )
        ),
        "the diagnostic notebook on the demo": papermill(notebook_path()),
    }
    out: dict[str, dict] = {}
    for i in range(repeat + 1):  # the first round warms this process up
        for j, (name, fn) in enumerate(cases.items()):
            folder = tmp / f"k{i}-{j}"
            folder.mkdir()
            t, s, c = time.perf_counter(), time.process_time(), _cpu_children()
            fn(folder)
            row = {
                "wall": time.perf_counter() - t,
                "cpu_driver": time.process_time() - s,
                "cpu_kernel": _cpu_children() - c,
            }
            if i:
                out.setdefault(name, {"rounds": []})["rounds"].append(row)
    for v in out.values():
        for f in ("wall", "cpu_driver", "cpu_kernel"):
            v[f] = statistics.median(r[f] for r in v["rounds"])
    return out


# -- 4. a kernel forked from a process that has done the imports ---------------------


def fork_probe(repeat: int, report: Path) -> None:
    """In this (fresh) process: the kernel's imports (ipykernel's too, as a forking
    provisioner's template would hold them), then `repeat` children forked from it,
    each executing the diagnostic notebook's cells on the demo in the way
    bench_floor does (no kernel protocol), then the same cells twice in this process
    (the second is the warm floor of that work). CPU of each child from wait4."""
    import ipykernel.kernelapp  # noqa: F401
    from bench_floor import _run_cell

    from paos.deliverables import chart_engine, sections  # noqa: F401
    from paos.deliverables.run import notebook_path

    cells = [c for c in __import__("nbformat").read(str(notebook_path()), 4).cells]
    code = [c for c in cells if c.cell_type == "code"]

    def notebook(folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        ns: dict = {}
        for c in code:
            _run_cell(c.source, ns)
            if "parameters" in c.metadata.get("tags", []):
                ns.update(engagement=str(DEMO), output_dir=str(folder), store="")

    imports = time.process_time()
    forked: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="paos-bench-fork-") as t:
        for variant in ("template as the kernel imports", "vl_convert imported too"):
            if variant == "vl_convert imported too":
                import vl_convert  # noqa: F401 - imported, never run: its threads start later
            for i in range(repeat):
                pid = os.fork()
                if pid == 0:
                    try:
                        notebook(Path(t) / f"f{len(forked)}-{i}")
                        chart_engine.stop()
                    finally:
                        os._exit(0)
                _, status, ru = os.wait4(pid, 0)
                if status:
                    raise SystemExit(f"forked child failed (status {status})")
                forked.setdefault(variant, []).append(ru.ru_utime + ru.ru_stime)
        warm = []
        for i in range(2):
            c = time.process_time()
            notebook(Path(t) / f"w{i}")
            warm.append(time.process_time() - c)
    report.write_text(
        json.dumps({"template_imports_cpu": imports, "forked_cpu": forked, "in_process_cpu": warm})
    )


def fork(tmp: Path, repeat: int) -> dict:
    report = tmp / "fork.json"
    cmd = [sys.executable, __file__, "--fork-probe", str(repeat), "--report", str(report)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode:
        raise SystemExit(f"fork probe failed:\n{proc.stderr[-2000:]}")
    r = json.loads(report.read_text())
    r["forked_median"] = {k: statistics.median(v) for k, v in r["forked_cpu"].items()}
    return r


# -- 3. counting reads, validations and scorings ---------------------------------------

COUNTER = r"""
import json, os, sys, threading

_TARGETS = {
    "read_engagement": "paos/evidence/intake.py",
    "check_engagements": "paos/evidence/validate.py",
    "score": "paos/method/engine.py",
    "robustness": "paos/method/robustness.py",
    "load_rulebook": "paos/base/rulebook.py",
    "read_store": "paos/method/store.py",
    "write_runs": "paos/method/store.py",
}
_LOG = os.environ["PAOS_BENCH_COUNT"]
_ARGV = getattr(sys, "orig_argv", sys.argv)
_ROLE = "kernel" if any("ipykernel" in a for a in _ARGV) else (
    "worker" if any("multiprocessing" in a for a in _ARGV) else
    next((os.path.basename(a) for a in _ARGV[1:2]), "python")
)


def _where(f):
    out = []
    while f is not None and len(out) < 5:
        name = f.f_code.co_filename
        cell = "/ipykernel_" in name
        if "/paos/" in name or cell or name.startswith("<"):
            short = "notebook cell" if cell else (
                name[name.rindex("/paos/") + 1:] if "/paos/" in name else name)
            out.append(f"{short}:{f.f_code.co_name}")
        f = f.f_back
    return out


def _prof(frame, event, arg):
    if event != "call":
        return
    code = frame.f_code
    path = _TARGETS.get(code.co_name)
    if path and code.co_filename.endswith(path):
        with open(_LOG, "a") as fh:
            fh.write(json.dumps({"pid": os.getpid(), "role": _ROLE, "fn": code.co_name,
                                 "by": _where(frame.f_back)}) + "\n")


if "PAOS_BENCH_COUNT" in os.environ:
    sys.setprofile(_prof)
    threading.setprofile(_prof)
"""


def count(tmp: Path) -> dict:
    hook = tmp / "counter"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(COUNTER)
    out: dict = {}
    single = tmp / "one"
    single.mkdir()
    src = sorted(p for p in PORTFOLIO.iterdir() if p.is_dir())[0]
    shutil.copytree(src, single / src.name)
    cmds = {
        "paos run (demo, with a store)": [
            str(BIN / "paos"),
            "run",
            str(DEMO),
            "--out",
            str(tmp / "run-out"),
            "--store",
            str(tmp / "run-store"),
        ],
        "paos batch --jobs 1 (one engagement)": [
            str(BIN / "paos"),
            "batch",
            str(single),
            "--jobs",
            "1",
            "--out",
            str(tmp / "batch-out"),
            "--store",
            str(tmp / "batch-store"),
        ],
    }
    for name, cmd in cmds.items():
        log = tmp / f"count-{len(out)}.jsonl"
        env = {
            **os.environ,
            "PAOS_BENCH_COUNT": str(log),
            "PYTHONPATH": os.pathsep.join([str(hook), str(ROOT)]),
        }
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp, env=env)
        if proc.returncode or not log.is_file():
            raise SystemExit(f"{name} failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        calls = [json.loads(line) for line in log.read_text().splitlines()]
        tally = collections.Counter((c["role"], c["fn"], " <- ".join(c["by"][:3])) for c in calls)
        out[name] = [
            {"process": r, "function": f, "called from": by, "times": n}
            for (r, f, by), n in sorted(tally.items())
        ]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-count", action="store_true")
    ap.add_argument(
        "--only", choices=("imports", "kernels", "fork", "count"), help="one part alone"
    )
    ap.add_argument("--fork-probe", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--report", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.fork_probe:
        fork_probe(args.fork_probe, args.report)
        return 0
    want = lambda part: args.only in (None, part)  # noqa: E731
    res: dict = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_at_start": os.getloadavg()[0],
    }
    if want("imports"):
        res["imports"] = imp = imports(args.repeat)
        _print_imports(imp)
    with tempfile.TemporaryDirectory(prefix="paos-bench-where-") as t:
        tmp = Path(t)
        if want("kernels"):
            res["kernels"] = kern = kernels(tmp, args.repeat)
            for k, v in kern.items():
                print(
                    f"{k:60} {v['wall']:.2f} s wall, {v['cpu_kernel']:.2f} CPU-s kernel, "
                    f"{v['cpu_driver']:.2f} CPU-s driver"
                )
        if want("fork"):
            res["fork"] = fk = fork(tmp, args.repeat)
            print(
                f"the notebook's cells in a child forked from a process with the kernel's "
                f"imports ({fk['template_imports_cpu']:.2f} CPU-s to import), median CPU-s:"
            )
            for k, v in fk["forked_median"].items():
                print(f"  {k:58} {v:.2f}")
            print(f"  {'warm, in the template process itself':58} {fk['in_process_cpu'][-1]:.2f}")
        if want("count") and not args.skip_count:
            res["count"] = cnt = count(tmp)
            for name, rows in cnt.items():
                print(f"{name}:")
                for r in rows:
                    print(
                        f"  {r['times']} x {r['function']:18} in {r['process']:7} "
                        f"from {r['called from']}"
                    )
    res["load_at_end"] = os.getloadavg()[0]
    print(f"load average: {res['load_at_start']:.1f} at start, {res['load_at_end']:.1f} at end")
    out = ROOT / "bench" / "results" / f"where{'-' + args.only if args.only else ''}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(res, indent=2) + "\n")
    return 0


def _print_imports(imp: dict) -> None:
    print(
        f"kernel's imports in a fresh python: {imp['kernel_imports_cpu']:.2f} CPU-s "
        f"(bare python {imp['python_bare_cpu']:.2f}); -X importtime "
        f"{imp['importtime_total_s']:.2f} s:"
    )
    for k, v in list(imp["importtime_self_by_package_s"].items())[:10]:
        print(f"  {k:24} {v:.3f} s")


if __name__ == "__main__":
    sys.exit(main())
