"""Issue 17, item 9: every chart of the deck (demo, strict rulebook, a follow-up),
of the Architecture Check and of the portfolio report, held to one rule per test
over the Vega-Lite specification its chart function builds (and, for the axes, the
SVG vl-convert draws from it):

- a quantitative axis on the rating scale runs from the scale's minimum to its
  maximum (a count axis from 0);
- every mark and colour is explained: a legend entry, or a direct label;
- palettes are colour-blind safe (no two colours of one scale run together for a
  protanope or deuteranope; no red beside a green; schemes only cividis/viridis);
- severity colours appear only where severity is encoded;
- every bar carries its value;
- every aggregate carries its n.
"""

from __future__ import annotations

import colorsys
import itertools
import json
import re
import shutil
from pathlib import Path

import pytest

from paos import load_rulebook
from paos.deliverables import _deck_charts, chart_engine, charts, report
from paos.deliverables.check_page import screening_chart
from paos.method.check import assess
from paos.portfolio import figures
from paos.portfolio import report as portfolio
from paos.portfolio.batch import run_batch

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "engagements" / "northwind-2026-09"
STRICT = ROOT / "data" / "rulebooks" / "paos-strict.yaml"
PORTFOLIO = ROOT / "data" / "portfolio" / "engagements"
CHECK = ROOT / "data" / "checks" / "globex-2026-11.yaml"

# Axes that count (days, engagements, a share of engagements) start at 0.
COUNT_AXES = {"days", "engagements", "share of engagements with the gap"}
# Fields that hold an aggregate of ratings, when a mark is placed by them.
AGGREGATES = {"score", "strategic", "reality", "value", "median", "q1", "q3", "low", "high"}
AGGREGATES |= {"share"}
N_SHOWN = re.compile(r"\bn\s*(=|<|&lt;)\s*\d")
COLOUR_CHANNELS = ("color", "fill", "stroke", "shape")


def _deck_specs(d, label: str) -> dict[str, tuple[dict, tuple]]:
    return {
        f"{label}:{name}": (charts.spec(build(d), validate=True), tuple(d.scale))
        for name, build in _deck_charts.CHARTS.items()
    }


def _portfolio_specs(store: Path, monkeypatch) -> dict[str, tuple[dict, tuple]]:
    p = portfolio.collect(store, run_date="2026-12-04")
    drawn: dict[str, tuple[dict, tuple]] = {}
    for page in portfolio.PAGES:
        made: list = []
        monkeypatch.setattr(portfolio, "to_svg", lambda chart, made=made: made.append(chart) or "")
        getattr(portfolio, page)(p)
        for i, chart in enumerate(made):
            drawn[f"portfolio:{page}:{i}"] = (charts.spec(chart, validate=True), figures.scale(p))
    return drawn


@pytest.fixture(scope="module")
def drawn(tmp_path_factory) -> dict[str, tuple[dict, tuple]]:
    """Every chart's specification and its rating scale, by name."""
    tmp = tmp_path_factory.mktemp("charts")
    out = _deck_specs(report.deliverable(DEMO, run_date="2026-11-24"), "demo")
    out |= _deck_specs(report.deliverable(DEMO, STRICT, run_date="2026-11-24"), "strict")
    for name in ("bluefjord-2025-04", "bluefjord-2026-02"):
        shutil.copytree(PORTFOLIO / name, tmp / name)
    out |= _deck_specs(report.deliverable(tmp / "bluefjord-2026-02", run_date="2026-11-24"), "f")
    check = assess(CHECK, run_date="2026-11-24")
    out["check"] = (
        charts.spec(screening_chart(check), validate=True),
        tuple(check["rating_scale"]),
    )
    store = tmp / "store"
    assert {o.status for o in run_batch(PORTFOLIO, store=store, scores_only=True)} == {"done"}
    with pytest.MonkeyPatch.context() as mp:
        out |= _portfolio_specs(store, mp)
    assert len([k for k in out if k.startswith("portfolio:")]) == 5
    return out


def _leaves(spec: dict, data=None) -> list[dict]:
    """The single-mark charts of a (layered) specification, each with its rows."""
    here = spec.get("data", data)
    if "layer" in spec:
        return [leaf for sub in spec["layer"] for leaf in _leaves(sub, here)]
    return [{**spec, "rows": here}]


def _rows(top: dict, leaf: dict) -> list[dict]:
    data = leaf["rows"] or {}
    if "name" in data:
        return top["datasets"][data["name"]]
    return data.get("values", [])


def _mark(leaf: dict) -> dict:
    m = leaf["mark"]
    return {"type": m} if isinstance(m, str) else m


def _field(enc: dict, channel: str):
    c = enc.get(channel)
    return c.get("field") if isinstance(c, dict) else None


NAMES = [
    *(f"{d}:{c}" for d in ("demo", "strict", "f") for c in _deck_charts.CHARTS),
    "check",
    *(f"portfolio:{p}:0" for p in portfolio.PAGES if p != "overview"),
]


def test_every_chart_of_the_five_documents_is_inspected(drawn):
    assert sorted(drawn) == sorted(NAMES)


# --- axes ---------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_rating_axes_run_from_the_scale_minimum(drawn, name):
    spec, (lo, hi) = drawn[name]
    svg = chart_engine.to_svg(spec)
    axes = re.findall(r"aria-label=\"([XY]-axis[^\"]*linear scale[^\"]*)\"", svg)
    for axis in axes:
        title = re.search(r"titled '([^']*)'", axis)
        assert title, f"{name}: an untitled quantitative axis: {axis}"
        start, end = (
            float(v.rstrip("%")) for v in re.search(r"values from (\S+) to (\S+)$", axis).groups()
        )
        if title[1] in COUNT_AXES:
            assert start == 0, axis
        else:
            assert (start, end) == (lo, hi), f"{name}: {axis}"
    for leaf in _leaves(spec):  # a colour scale of ratings spans the scale as well
        color = leaf.get("encoding", {}).get("color", {})
        if color.get("type") == "quantitative":
            assert color["scale"]["domain"] == [lo, hi], name


# --- legends ------------------------------------------------------------------


def _shares_position(mark: dict, text: dict) -> bool:
    """Whether a text layer sits where the mark does (same fields, or a fixed value on
    a channel the mark does not use)."""
    me, it = mark.get("encoding", {}), text.get("encoding", {})
    for channel in ("x", "y"):
        mine, its = _field(me, channel), _field(it, channel)
        fixed = channel in it and "field" not in it[channel]
        if not (mine == its or (mine is None and fixed)):
            return False
    return True


@pytest.mark.parametrize("name", NAMES)
def test_every_mark_and_colour_has_a_legend_entry_or_a_direct_label(drawn, name):
    spec, _ = drawn[name]
    leaves = _leaves(spec)
    texts = [x for x in leaves if _mark(x)["type"] == "text"]
    for leaf in leaves:
        if _mark(leaf)["type"] == "text":
            continue
        enc = leaf.get("encoding", {})
        coloured = [enc[c] for c in COLOUR_CHANNELS if "field" in enc.get(c, {})]
        what = f"{name}: a {_mark(leaf)['type']} mark"
        if coloured:
            for c in coloured:
                if c.get("legend", {}) is None:  # no legend: its value written on the mark
                    assert any(_field(t["encoding"], "text") == c["field"] for t in texts), what
        else:  # one colour: labelled where it is drawn
            assert any(_shares_position(leaf, t) for t in texts), f"{what} with no label"


# --- palettes -----------------------------------------------------------------

# Machado, Oliveira & Fernandes (2009), severity 1, on linear RGB.
CVD = {
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
}  # fmt: skip


def _linear(c: str) -> tuple[float, ...]:
    v = [int(c[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    return tuple(x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4 for x in v)


def _lab(rgb: tuple[float, ...]) -> tuple[float, float, float]:
    r, g, b = (min(max(x, 0.0), 1.0) for x in rgb)
    xyz = (
        (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047,
        0.2126 * r + 0.7152 * g + 0.0722 * b,
        (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883,
    )
    f = [t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in xyz]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def _seen(c: str, matrix) -> tuple[float, float, float]:
    rgb = _linear(c)
    return _lab(tuple(sum(m * v for m, v in zip(row, rgb)) for row in matrix))


def _hue(c: str) -> tuple[float, float, float]:
    h, lightness, s = colorsys.rgb_to_hls(*(int(c[i : i + 2], 16) / 255 for i in (1, 3, 5)))
    return h * 360, lightness, s


def _red(c: str) -> bool:
    h, _, s = _hue(c)
    return s > 0.45 and (h < 15 or h > 340)


def _green(c: str) -> bool:
    h, _, s = _hue(c)
    return s > 0.3 and 75 <= h <= 165


def _colours(spec: dict) -> set[str]:
    return {c.lower() for c in re.findall(r"#[0-9a-fA-F]{6}\b", json.dumps(spec))}


def _ranges(spec: dict) -> list[list[str]]:
    out = []
    for leaf in _leaves(spec):
        for channel in ("color", "fill", "stroke"):
            rng = leaf.get("encoding", {}).get(channel, {}).get("scale", {}).get("range")
            if isinstance(rng, list) and all(str(c).startswith("#") for c in rng):
                out.append([c.lower() for c in rng])
    return out


@pytest.mark.parametrize("name", NAMES)
def test_palettes_are_colour_blind_safe(drawn, name):
    spec, _ = drawn[name]
    for rng in _ranges(spec):  # every pair of one scale stays apart for red-green blindness
        for a, b in itertools.combinations(sorted(set(rng)), 2):
            for kind, matrix in CVD.items():
                gap = sum((x - y) ** 2 for x, y in zip(_seen(a, matrix), _seen(b, matrix))) ** 0.5
                assert gap >= 8, f"{name}: {a} and {b} run together for {kind} (ΔE {gap:.1f})"
    used = _colours(spec)
    reds, greens = {c for c in used if _red(c)}, {c for c in used if _green(c)}
    assert not (reds and greens), f"{name}: a red {reds} beside a green {greens}"
    schemes = set(re.findall(r'"scheme": "([^"]+)"', json.dumps(spec)))
    assert schemes <= {"cividis", "viridis"}, name


def test_the_colour_rules_can_fail():
    red_green = {"encoding": {"color": {"field": "k", "scale": {"range": ["#d7191c", "#1a9641"]}}}}
    assert _red("#d7191c") and _green("#1a9641")
    close = [_seen(c, CVD["deuteranopia"]) for c in ("#d62728", "#2ca02c")]  # d3's category10
    assert sum((x - y) ** 2 for x, y in zip(*close)) ** 0.5 < 8
    assert _ranges({"layer": [red_green]}) == [["#d7191c", "#1a9641"]]


@pytest.mark.parametrize("name", NAMES)
def test_severity_colours_only_where_severity_is_encoded(drawn, name):
    spec, _ = drawn[name]
    severity = {c.lower() for c in charts.SEVERITY_RAMP}
    for rulebook in (load_rulebook(), load_rulebook(STRICT)):
        severity |= set(charts.ramp(len(rulebook["severity"]), charts.SEVERITY_RAMP))
    if _colours(spec) & severity:
        fields = {
            _field(leaf.get("encoding", {}), c) or ""
            for leaf in _leaves(spec)
            for c in COLOUR_CHANNELS
        }
        assert any("severity" in f for f in fields), f"{name}: severity colour on {fields}"


# --- values and n -------------------------------------------------------------


def _length_channel(leaf: dict) -> str | None:
    """The channel a bar's length runs along (quantitative, with an axis), if any."""
    enc = leaf.get("encoding", {})
    for channel in ("x", "y"):
        c = enc.get(channel, {})
        if c.get("type") == "quantitative" and c.get("axis", {}) is not None:
            if f"{channel}2" in enc:
                return channel
    return None


@pytest.mark.parametrize("name", NAMES)
def test_values_on_bars(drawn, name):
    spec, _ = drawn[name]
    leaves = _leaves(spec)
    for leaf in leaves:
        channel = _length_channel(leaf)
        if _mark(leaf)["type"] not in ("bar", "rect") or channel is None:
            continue
        valued = [
            t
            for t in leaves
            if _mark(t)["type"] == "text"
            and t["encoding"].get(channel, {}).get("type") == "quantitative"
            and "field" in t["encoding"].get("text", {})
        ]
        assert valued, f"{name}: bars along {channel} without their values"
        assert len({r[valued[0]["encoding"]["text"]["field"]] for r in _rows(spec, valued[0])}) > 0


@pytest.mark.parametrize("name", NAMES)
def test_every_aggregate_shows_its_n(drawn, name):
    spec, _ = drawn[name]
    for leaf in _leaves(spec):
        enc = leaf.get("encoding", {})
        placed = {_field(enc, c) for c in ("x", "x2", "y", "y2")} & AGGREGATES
        if not placed:
            continue
        for row in _rows(spec, leaf):
            if all(row.get(f) is None for f in placed):
                continue
            strings = " ".join(str(v) for v in row.values() if isinstance(v, str))
            assert N_SHOWN.search(strings), f"{name}: {placed} of {row} without its n"
