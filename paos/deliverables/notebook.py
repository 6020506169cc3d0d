"""The engagement's own notebook: written from the package's template into the
engagement folder (`paos notebook`, `paos new`), found again by `paos run`, and,
inside a kernel, the place its relative paths start from.

The package's templates are only ever read. An engagement notebook is never
overwritten: `force` keeps the old one beside it, renamed with a timestamp.

Where a notebook is, from inside its kernel, without changing the working folder:
JupyterLab (any Jupyter server) tells the kernel its notebook's path
(`JPY_SESSION_NAME`) and starts it in that notebook's folder; elsewhere (plain
`papermill` from any folder) the notebook's `notebook` parameter says it: the
path `paos notebook` wrote it to, or, for a delivered notebook, its own name,
relative to the kernel's working folder, which `paos run` sets.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from paos._defaults import ID_PATTERN
from paos._files import fault
from paos.bundled import NOTEBOOKS
from paos.errors import FaultError, PaosError
from paos.evidence.intake import read_meta

MAX_NOTEBOOK_BYTES = 64 << 20  # a notebook with its outputs (charts) is a few MiB

NOTEBOOK = "diagnostic.ipynb"  # the engagement's notebook, in the engagement folder
TEMPLATE_KEY = "paos"  # notebook metadata: {"template": ..., "template_version": ...}


class NotebookTemplateError(PaosError):
    """An engagement notebook that this paos cannot run or write as asked."""


def template(name: str = NOTEBOOK) -> Path:
    """The template shipped in the package (`paos/notebooks/`; the PAOS_NOTEBOOKS
    environment variable overrides the folder)."""

    path = Path(os.environ.get("PAOS_NOTEBOOKS", NOTEBOOKS)) / name
    if not path.is_file():
        raise PaosError(f"notebook template {path} is missing")
    return path


def template_version(nb: dict) -> int | None:
    """The template version a notebook records in its metadata (None: none)."""
    version = (nb.get("metadata", {}).get(TEMPLATE_KEY) or {}).get("template_version")
    return version if isinstance(version, int) else None


def _read(path: Path) -> dict:

    try:
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            raise NotebookTemplateError(f"{path}: larger than {MAX_NOTEBOOK_BYTES >> 20} MiB")
        nb = json.loads(path.read_bytes())
    except OSError as exc:
        raise fault(exc, path) from None
    except ValueError:
        raise NotebookTemplateError(f"{path}: not a notebook (not JSON)") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotebookTemplateError(f"{path}: not a notebook (no cells)")
    return nb


def _parameters_source(notebook: Path) -> str:
    return (
        "# Parameters (papermill injects the real values after this cell)\n"
        f"notebook = {json.dumps(str(notebook))}  # this notebook where `paos notebook` "
        "wrote it; in JupyterLab the notebook's own place counts\n"
        'engagement = "."    # relative paths start in this notebook\'s folder: "." is '
        "this engagement\n"
        'output_dir = ""     # where results.json and gaps.csv go; empty: write nothing\n'
        'rulebook = ""       # rulebook id or path; empty: the one engagement.yaml names\n'
        'run_date = ""       # date on the reproducibility stamp; empty: today\n'
        'store = ""          # results store for the benchmark section; empty: no benchmark'
    )


_INTRO = (
    "# {eid} — engagement notebook\n\n"
    "This notebook is this engagement's own: edit it, add cells to explore "
    "(`d.contract` is the results contract, `d.results` its frames), save it; `paos run` "
    "executes it and delivers its outputs. Relative paths start in this folder.\n\n"
    "**Commentary**: a markdown cell tagged `commentary` goes on the summary page of the "
    "deliverable, one tagged `commentary:FIT` (any dimension id) on that dimension's page, "
    "marked as the analyst's commentary. Name figures by placeholders of the results "
    "contract so they never go stale: `{{{{ pai }}}}`, `{{{{ dimensions.FIT.score }}}}`, "
    "`{{{{ gaps | length }}}}`. Re-run all cells to see it."
)


def engagement_notebook(folder: Path, engagement_id: str) -> str:
    """The text of `folder`'s own notebook: the template with parameters that work
    from `folder` and an introduction for the analyst (tagged `notes`, so it is not
    delivered)."""
    nb = _read(template())
    notebook = Path(folder).absolute() / NOTEBOOK
    for cell in nb["cells"]:
        tags = cell.get("metadata", {}).get("tags", [])
        if "parameters" in tags:
            cell["source"] = _parameters_source(notebook).splitlines(True)
        elif "notes" in tags and cell.get("cell_type") == "markdown":
            cell["source"] = _INTRO.format(eid=engagement_id).splitlines(True)
    nb.setdefault("metadata", {})[TEMPLATE_KEY] = {
        **nb["metadata"].get(TEMPLATE_KEY, {}),
        "engagement_id": engagement_id,
    }
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def _kept_name(path: Path) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    for n in range(1000):
        cand = path.with_name(f"{path.stem}.{stamp}{f'-{n}' if n else ''}{path.suffix}")
        if not os.path.lexists(cand):
            return cand
    raise FaultError(f"{path.parent}: no free name to keep the old notebook under")


def _engagement_id(folder: Path) -> str:
    """The id engagement.yaml gives (checked as every id is: it may become a name)."""
    import re

    eid = read_meta(folder).meta.get("id")
    if not isinstance(eid, str) or not re.fullmatch(ID_PATTERN, eid):
        raise NotebookTemplateError(
            f"{folder / 'engagement.yaml'}: no valid engagement id; `paos validate "
            f"{folder}` says what is wrong"
        )
    return eid


def write_notebook(folder: str | Path, force: bool = False) -> list[Path]:
    """Write `folder`'s own notebook (`diagnostic.ipynb`) from the template and
    return the paths written: the notebook, and with `force` the old one kept beside
    it under a timestamped name. Without `force` an existing notebook is refused."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NotebookTemplateError(
            f"{folder}: not an engagement folder (a notebook goes in the engagement's "
            "folder; a workbook engagement runs with the template)"
        )
    eid = _engagement_id(folder)
    text = engagement_notebook(folder, eid)
    path = folder / NOTEBOOK
    written: list[Path] = []
    if os.path.lexists(path):
        if not force:
            raise NotebookTemplateError(
                f"{path} already exists; use --force to write a new one "
                "(the old one is kept beside it, renamed)"
            )
        kept = _kept_name(path)
        try:  # link then unlink: never replaces a file of that name
            os.link(path, kept)
            os.unlink(path)
        except OSError as exc:
            raise fault(exc, path) from None
        written.append(kept)
    try:
        with open(path, "x", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        raise fault(exc, path) from None
    return [path, *written]


def for_run(engagement: Path) -> Path | None:
    """The engagement's own notebook that `paos run` executes, or None (a workbook,
    or a folder without one: the template runs). One made from another template
    version is refused with what to do."""
    path = engagement / NOTEBOOK
    if not engagement.is_dir() or not path.is_file():
        return None
    nb = _read(path)
    have, want = template_version(nb), template_version(_read(template()))
    if have != want:
        raise NotebookTemplateError(
            f"{path} was made from diagnostic template version {'unknown' if have is None else have}, this "
            f"paos has version {want}: run `paos notebook {engagement} --force` (your "
            "notebook is kept beside it, renamed) and copy your cells into the new one"
        )
    return path


def here(notebook: str | Path = "") -> Path | None:
    """The running notebook's path, from inside its kernel: the one a Jupyter server
    started this kernel for (JupyterLab), else `notebook` (relative to the working
    folder), else None. Reads only; changes nothing."""
    session = os.environ.get("JPY_SESSION_NAME", "")
    cwd = Path.cwd()
    # A kernel that Jupyter started for a notebook works in that notebook's folder; an
    # inherited variable (a kernel started by a kernel) does not match its folder.
    if session.endswith(".ipynb") and Path(session).parent.absolute() == cwd:
        return Path(session).absolute()
    return (cwd / notebook) if str(notebook) else None


def resolve(path: str | Path, notebook: Path | None) -> Path:
    """`path` as the notebook means it: relative to the notebook's folder (the
    working folder when there is no notebook)."""
    base = notebook.parent if notebook else Path.cwd()
    return base / path
