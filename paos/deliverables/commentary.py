"""The analyst's commentary: markdown cells of the engagement notebook tagged
`commentary` (the summary page) or `commentary:<dimension id>` (that dimension's
page), rendered for the deliverable apart from the rule-derived findings.

Commentary names figures by placeholders of the results contract (`{{ pai }}`,
`{{ dimensions.FIT.score }}`, `{{ gaps | length }}`), filled in from the results at
every run with the rulebook's display decimals, so the text never goes stale. Each
placeholder is one expression evaluated in Jinja's sandbox (no attribute of Python
objects, no unbounded arithmetic); an unknown one fails the run in one line naming
it and the cell. The Markdown is rendered inert, as the methodology card is: no
HTML passes, no link or image is made, so commentary is as escaped as evidence text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from jinja2 import StrictUndefined, TemplateError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment
from markdown_it import MarkdownIt

from paos._files import fault
from paos.deliverables.notebook import MAX_NOTEBOOK_BYTES
from paos.errors import PaosError
from paos.method.figures import Figures

TAG = "commentary"
SUMMARY = "summary"  # the placement of a cell tagged plain `commentary`
MAX_CELLS = 200  # bounded work on a hostile notebook
MAX_CHARS = 20_000  # per cell
MAX_VALUE_CHARS = 200  # what one placeholder may render to
_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.S)
_MD = MarkdownIt("commonmark", {"html": False}).disable(["link", "image", "autolink"])


class CommentaryError(PaosError):
    """A commentary cell that cannot be rendered (names the cell and the placeholder)."""


@dataclass(frozen=True)
class Cell:
    placement: str  # SUMMARY or a dimension id
    source: str
    label: str  # how the analyst finds the cell: its number and id


def _tags(cell: Mapping) -> list[str]:
    tags = (cell.get("metadata") or {}).get("tags") or []
    return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []


def _source(cell: Mapping) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def cells(nb: Mapping) -> list[Cell]:
    """The commentary cells of a notebook (its JSON as a mapping), in order."""
    found: list[Cell] = []
    for i, cell in enumerate(nb.get("cells") or [], start=1):
        if not isinstance(cell, Mapping) or cell.get("cell_type") != "markdown":
            continue
        for tag in _tags(cell):
            if tag != TAG and not tag.startswith(f"{TAG}:"):
                continue
            label = f"cell {i}" + (f" (id {cell['id']})" if isinstance(cell.get("id"), str) else "")
            if len(found) >= MAX_CELLS:
                raise CommentaryError(f"more than {MAX_CELLS} commentary cells (at {label})")
            source = _source(cell)
            if len(source) > MAX_CHARS:
                raise CommentaryError(f"commentary {label}: longer than {MAX_CHARS} characters")
            placement = tag.partition(":")[2].strip() or SUMMARY
            found.append(Cell(placement, source, label))
    return found


def read(path: str | Path) -> list[Cell]:
    """The commentary cells of the notebook file at `path`."""
    try:
        if Path(path).stat().st_size > MAX_NOTEBOOK_BYTES:
            raise CommentaryError(f"{path}: larger than {MAX_NOTEBOOK_BYTES >> 20} MiB")
        nb = json.loads(Path(path).read_bytes())
    except OSError as exc:
        raise fault(exc, path) from None
    except ValueError:
        raise CommentaryError(f"{path}: not a notebook (not JSON)") from None
    if not isinstance(nb, Mapping):
        raise CommentaryError(f"{path}: not a notebook")
    return cells(nb)


class _ById(list):
    """A list of records that a placeholder may also index by id:
    `dimensions.FIT` or `gaps["FIT-01"]` (gaps are keyed by their signal)."""

    def __getitem__(self, key):
        if isinstance(key, str):
            for item in self:
                if isinstance(item, dict) and key in (item.get("id"), item.get("signal_id")):
                    return item
            raise KeyError(key)
        return super().__getitem__(key)


def _view(value: object) -> object:
    if isinstance(value, dict):
        return {k: _view(v) for k, v in value.items()}
    if isinstance(value, list):
        return _ById(_view(v) for v in value)
    return value


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's sandbox with the operators that can cost unbounded time or memory
    (`**`, `*`, `%`, and `~`-free repetition) refused, and only a few filters."""

    intercepted_binops = frozenset({"**", "*", "%", "//"})

    def call_binop(self, context, operator, left, right):
        raise TemplateError(f"operator {operator} is not allowed")


_FILTERS = (
    "abs", "count", "default", "first", "float", "int", "join", "last", "length",
    "list", "lower", "map", "max", "min", "reject", "rejectattr", "round", "select",
    "selectattr", "sort", "sum", "title", "upper",
)  # fmt: skip


def _environment() -> SandboxedEnvironment:
    env = _Sandbox(undefined=StrictUndefined, autoescape=False)
    env.filters = {k: v for k, v in env.filters.items() if k in _FILTERS}
    env.globals = {}
    return env


def _shown(value: object, figures: Figures) -> str:
    if isinstance(value, bool) or value is None:
        return {True: "yes", False: "no", None: "–"}[value]
    if isinstance(value, float):
        return figures.score(value)
    return str(value)


def render(found: list[Cell], contract: dict, figures: Figures, dimensions: list[str]) -> dict:
    """{placement: [safe HTML, ...]}: each cell's placeholders filled in from the
    results `contract` (a float as the deck writes a score: the rulebook's display
    decimals, more where fewer would round it across a cut, `paos.method.figures`),
    its Markdown rendered inert. A
    placement that is no dimension of the rulebook, or a placeholder that names
    nothing in the contract, is refused naming the cell."""
    env, context = _environment(), _view(contract)
    assert isinstance(context, dict)
    out: dict[str, list[str]] = {}
    for cell in found:
        if cell.placement != SUMMARY and cell.placement not in dimensions:
            raise CommentaryError(
                f"commentary {cell.label}: tag commentary:{cell.placement} names no "
                f"dimension (one of {', '.join(dimensions)})"
            )

        def fill(m: re.Match, cell: Cell = cell) -> str:
            expr = m.group(1).strip()
            try:
                value = env.compile_expression(expr, undefined_to_none=False)(**context)
                text = _shown(value, figures)
            except (UndefinedError, LookupError):
                raise CommentaryError(
                    f"commentary {cell.label}: unknown placeholder {{{{ {expr} }}}}: it names "
                    "nothing in the results contract (`paos score --json` shows its names)"
                ) from None
            except (TemplateError, TypeError, ValueError, ArithmeticError) as exc:
                raise CommentaryError(
                    f"commentary {cell.label}: placeholder {{{{ {expr} }}}} cannot be "
                    f"shown ({exc})".replace("\n", " ")
                ) from None
            if len(text) > MAX_VALUE_CHARS:
                raise CommentaryError(
                    f"commentary {cell.label}: placeholder {{{{ {expr} }}}} is not a figure "
                    f"(it renders to {len(text)} characters)"
                )
            return text

        out.setdefault(cell.placement, []).append(_MD.render(_PLACEHOLDER.sub(fill, cell.source)))
    return out
