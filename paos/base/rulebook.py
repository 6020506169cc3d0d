"""The rulebook: the methodology as a versioned data file.

`load_rulebook("paos-v1")` reads `paos/rulebooks/paos-v1.yaml` (or any path),
checks it against `SCHEMA` (every key present, no unknown key, right types,
consistent rules) and returns a frozen `Rulebook`. Results carry its id and
the sha256 of the file's bytes.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

import polars as pl
import yaml

from paos._defaults import DEFAULT_RULEBOOK
from paos.base.files import Refused, read_file
from paos.base.limits import MAX_META_BYTES
from paos.base.readonly import freeze, thaw
from paos.base.rulebook_rules import metric_perspectives, rulebook_problems
from paos.base.yaml_events import read_yaml
from paos.errors import FaultError, RulebookError

RULEBOOK_DIR = Path(__file__).parent.parent / "rulebooks"


@dataclass(frozen=True)
class Signal:
    id: str
    dimension: str
    name: str
    question: str
    threshold: float
    weight: float
    rubric: Mapping[int, str]  # read-only


@dataclass(frozen=True)
class Dimension:
    id: str
    name: str
    decides: str
    tier: int
    weight: float
    module: str
    screening_question: str
    signals: tuple[Signal, ...]


@dataclass(frozen=True)
class Metric:
    id: str
    unit: str
    signal: str
    direction: str
    cuts: tuple[float, ...]


@dataclass(frozen=True)
class Rulebook:
    """A loaded, validated rulebook. `raw` is the parsed file, read-only all the way
    down (mappings are `MappingProxyType`, lists are tuples: `paos.base.readonly`), as
    is everything derived from it, because `load_rulebook` hands one cached object to
    every caller; `to_dict()` is a plain copy to serialise or edit. `sha256` is the
    hash of the file's bytes."""

    id: str
    path: Path
    sha256: str
    raw: Mapping[str, Any] = field(repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "raw", freeze(self.raw))

    def __getitem__(self, key: str) -> Any:
        return self.raw[key]

    def __reduce__(self):
        # A read-only view cannot be pickled; a copy for a worker is built again from
        # the plain data (and is read-only there too).
        return (Rulebook, (self.id, self.path, self.sha256, self.to_dict()))

    def to_dict(self) -> dict[str, Any]:
        """The parsed file as a fresh plain dict (lists, dicts) that the caller owns."""
        return thaw(self.raw)

    @property
    def decimals(self) -> int:
        return self.raw["comparison_decimals"]

    @property
    def parent(self) -> dict[str, str] | None:
        """{"id", "sha256"} of the rulebook this one was made from (`paos rulebook new`),
        or None for a rulebook made by hand (the bundled ones)."""
        par = self.raw.get("parent")
        return {"id": par["id"], "sha256": par["sha256"]} if par else None

    @cached_property
    def dimensions(self) -> tuple[Dimension, ...]:
        return tuple(
            Dimension(
                d["id"],
                d["name"],
                d["decides"],
                d["tier"],
                float(d["weight"]),
                d["module"],
                d["screening_question"],
                tuple(
                    Signal(
                        s["id"],
                        d["id"],
                        s["name"],
                        s["question"],
                        float(s["threshold"]),
                        float(s["weight"]),
                        s["rubric"],
                    )
                    for s in d["signals"]
                ),
            )
            for d in self.raw["dimensions"]
        )

    @cached_property
    def signals(self) -> tuple[Signal, ...]:
        return tuple(s for d in self.dimensions for s in d.signals)

    @cached_property
    def metrics(self) -> tuple[Metric, ...]:
        return tuple(
            Metric(
                m["id"], m["unit"], m["signal"], m["direction"], tuple(float(c) for c in m["cuts"])
            )
            for m in self.raw["metrics"]
        )

    @cached_property
    def role_perspectives(self) -> Mapping[str, str]:
        """Default perspective of each known role (lower case); read-only."""
        return MappingProxyType(
            {
                role.strip().lower(): name
                for name, p in self.raw["perspectives"].items()
                for role in p["roles"]
            }
        )

    @cached_property
    def perspective_weights(self) -> Mapping[str, float]:
        """Every perspective's weight, the metric perspective included, in file order;
        read-only."""
        return MappingProxyType(
            {name: float(p["weight"]) for name, p in self.raw["perspectives"].items()}
        )

    @cached_property
    def metric_perspective(self) -> str:
        """The perspective of metric-derived ratings: `metric_perspective` when the file
        names it, else the one perspective with no roles that stakeholders cannot
        declare (loading refuses a rulebook where that is not exactly one)."""
        return self.raw.get("metric_perspective") or metric_perspectives(self.raw)[0]

    @cached_property
    def people_perspectives(self) -> tuple[str, ...]:
        """The perspectives stakeholders rate from (every one but the metric one)."""
        return tuple(p for p in self.perspective_weights if p != self.metric_perspective)

    def signal_table(self) -> pl.DataFrame:
        """One row per signal in catalogue order, with its dimension's tier and order."""
        dim_order = {d.id: i for i, d in enumerate(self.dimensions)}
        tiers = {d.id: d.tier for d in self.dimensions}
        return pl.DataFrame(
            {
                "signal_id": [s.id for s in self.signals],
                "dimension": [s.dimension for s in self.signals],
                "tier": [tiers[s.dimension] for s in self.signals],
                "threshold": [s.threshold for s in self.signals],
                "signal_weight": [s.weight for s in self.signals],
                "signal_order": list(range(len(self.signals))),
                "dimension_order": [dim_order[s.dimension] for s in self.signals],
            },
            schema_overrides={
                "tier": pl.Int8,
                "signal_order": pl.Int32,
                "dimension_order": pl.Int32,
            },
        )

    def dimension_table(self) -> pl.DataFrame:
        """One row per dimension in display order."""
        return pl.DataFrame(
            {
                "dimension": [d.id for d in self.dimensions],
                "name": [d.name for d in self.dimensions],
                "tier": [d.tier for d in self.dimensions],
                "dimension_weight": [d.weight for d in self.dimensions],
                "module": [d.module for d in self.dimensions],
                "n_signals": [len(d.signals) for d in self.dimensions],
                "dimension_order": list(range(len(self.dimensions))),
            },
            schema_overrides={"tier": pl.Int8, "n_signals": pl.Int32, "dimension_order": pl.Int32},
        )


def resolve_rulebook_path(ref: str | Path) -> Path:
    """A rulebook id (`paos-v1`) names a bundled file; anything else is a path."""
    path = Path(ref)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    return RULEBOOK_DIR / f"{ref}.yaml"


def absolute_rulebook(rulebook: str | None) -> str | None:
    """A rulebook path made absolute (an id such as paos-v1 stays an id), so that it
    names the same file in a worker or kernel whose working folder is another."""
    if not rulebook:
        return rulebook
    path = resolve_rulebook_path(rulebook)
    return os.path.abspath(path) if path == Path(rulebook) else rulebook


def known_rulebooks() -> list[str]:
    return sorted(p.stem for p in RULEBOOK_DIR.glob("*.yaml"))


def same_id(a: object, b: object) -> bool:
    """Whether two rulebook ids are one, as paos compares ids: after NFKC and casefold."""
    return (
        unicodedata.normalize("NFKC", str(a)).casefold()
        == unicodedata.normalize("NFKC", str(b)).casefold()
    )


def bundled_id(book_id: object) -> str | None:
    """The bundled rulebook id that `book_id` is (`PAOS-V1` is `paos-v1`), or None."""
    return next((k for k in known_rulebooks() if same_id(k, book_id)), None)


def _bundled_id_taken(path: Path, book_id: str, sha: str) -> str | None:
    """Why a file that is not the bundled rulebook `book_id` may not carry its id, or
    None: a bundled id names that file's exact bytes, so a results file, a store run
    and a deliverable naming it always mean the same methodology. Ids are compared
    as paos compares them everywhere, after NFKC and casefold (`PAOS-V1` is
    `paos-v1`)."""
    match = bundled_id(book_id)
    if match is None:
        return None
    bundled = RULEBOOK_DIR / f"{match}.yaml"
    try:
        if path.resolve() == bundled.resolve():
            return None
        same = hashlib.sha256(bundled.read_bytes()).hexdigest() == sha
    except OSError as exc:
        raise FaultError(f"{bundled}: cannot read the bundled rulebook ({exc})") from None
    if same:
        return None
    return (
        f"key id: {book_id!r} is the id of a bundled rulebook and this file differs from "
        f"it; give it its own id (paos rulebook new ID --from {match})"
    )


_CACHE: dict[tuple[str, str], Rulebook] = {}
# libyaml's safe loader when PyYAML has it (about 10x faster; same result), else Python's.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_rulebook(ref: str | Path = DEFAULT_RULEBOOK) -> Rulebook:
    """Load and validate a rulebook by id or path; raises `RulebookError` naming the key.

    A rulebook from a path is user input: it is read as evidence is (a regular file
    of at most `MAX_META_BYTES`; no YAML anchor, alias or tag, no key twice, bounded
    nesting, checked on the parser's events) before PyYAML builds its values."""
    path = resolve_rulebook_path(ref)
    if not os.path.lexists(path):
        raise RulebookError(
            f"unknown rulebook {str(ref)!r} (known: {', '.join(known_rulebooks())})"
        )
    try:
        data = read_file(path, str(path), MAX_META_BYTES)
    except Refused as err:
        if err.fault:
            raise FaultError(str(err.problem)) from None
        raise RulebookError(f"rulebook {err.problem}") from None
    sha = hashlib.sha256(data).hexdigest()
    if (str(path), sha) in _CACHE:
        return _CACHE[(str(path), sha)]
    try:
        text = data.decode("utf-8")
        _, _, refused = read_yaml(text, path.name)
        if refused:
            raise RulebookError("\n".join(f"rulebook {p}" for p in refused))
        raw = yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 - safe, and checked above
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RulebookError(
            f"rulebook {path.name}: not readable YAML ({exc})".replace("\n", " ")
        ) from exc
    errors = rulebook_problems(raw)
    if not errors and (taken := _bundled_id_taken(path, raw["id"], sha)):
        errors.append(taken)
    if errors:
        raise RulebookError("\n".join(f"rulebook {path.name}: {e}" for e in errors))
    book = Rulebook(raw["id"], path, sha, raw)
    _CACHE[(str(path), sha)] = book
    return book
