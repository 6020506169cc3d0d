"""Where the files that ship with paos are, found from the package itself (never from
the working folder), so they are found alike in a checkout, an editable install and
an installed wheel:

- the notebook templates, `paos/notebooks/*.ipynb` (read only: each engagement
  gets its own copy, `paos.deliverables.notebook`);
- the board template, `paos/deliverables/templates/board/` (the wheel also installs
  it as nbconvert's template `paos`, see pyproject.toml);
- the checkout's `data/` folder (demo engagements, the results store), for the
  notebooks' default parameters: `data_path()` gives the same absolute path whether
  the kernel was started in the repository root, in `notebooks/` or anywhere else.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
NOTEBOOKS = PACKAGE / "notebooks"
TEMPLATES = PACKAGE / "deliverables" / "templates"
BOARD_TEMPLATE = "board"
# The repository this package is imported from, when it is (a checkout or an
# editable install; an installed wheel has none), and its data/ folder.
CHECKOUT = PACKAGE.parent
CHECKOUT_DATA = CHECKOUT / "data"


def in_checkout() -> bool:
    """Whether paos is imported from its repository (not from an installed wheel)."""
    return (CHECKOUT / "pyproject.toml").is_file() and CHECKOUT_DATA.is_dir()


def data_path(name: str) -> str:
    """The absolute path of `name` under the checkout's `data/` folder (e.g.
    "engagements/northwind-2026-09"), for a notebook's default parameter. Outside a
    checkout (an installed wheel) it is `data/<name>` under the working folder, as
    the command line's default results store is. Cheap and never raises: a notebook's
    parameters cell runs even when papermill overrides its values, and a path that
    does not exist is refused, in one line, by whatever reads it."""
    base = CHECKOUT_DATA if in_checkout() else Path("data").absolute()
    return str(base / name)
