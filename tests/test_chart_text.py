"""The deck task's item 1: the priority matrix is legible on paper. Every text of
the chart prints at least MIN_PT (its labels once printed at about 6 pt in the
finmark deck: 10 px text, the chart shrunk to a fixed height, the deck zoomed), and
no two labels collide: a long name wraps by rule, a very long one is shortened and
still names its signal. Checked over the Vega-Lite specification and the SVG
vl-convert draws from it, sized as board.css prints it, for the finmark engagement
and a hostile case (many gaps with long names in one cell).

Deck task 2, item 2: every chart of the deck (the dimensions, the roadmap, the
matrix, the divergence), for northwind (with one threshold and with a threshold a
dimension) and finmark: every text prints at least MIN_PT, no chart is wider than
the printed column (it would be shrunk, its text with it) or taller than a page,
and no two texts overlap (`check_chart`)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html import unescape
from pathlib import Path

import altair as alt
import pytest

from paos.deliverables import _deck_charts, chart_engine, charts, report

ROOT = Path(__file__).resolve().parents[1]
FINMARK = ROOT / "data" / "portfolio" / "engagements" / "finmark-2024-09"
NORTHWIND = ROOT / "data" / "engagements" / "northwind-2026-09"
STRICT = ROOT / "data" / "rulebooks" / "paos-strict.yaml"
CSS = ROOT / "paos" / "deliverables" / "templates" / "board" / "board.css"
MIN_PT = 9  # printed: a floor for text read on paper or a projected page
PX = 96 / 25.4  # CSS px per mm


def _print_geometry() -> tuple[float, float, float]:
    """(zoom, widest, tallest) of the matrix as board.css prints it: the deck's print
    zoom, and the largest width and height (CSS px) its SVG keeps at full size."""
    css = CSS.read_text(encoding="utf-8")
    media = re.search(r"@media print \{(.*?)\}\s*\}", css, re.S)[1]
    zoom = float(re.search(r"zoom:\s*([\d.]+)", media)[1])
    # the column: main.report's print width, or the A4 page within its margins at the
    # zoom, whichever is narrower (a wider SVG is shrunk to it: svg.marks max-width)
    margins = [float(x) for x in re.search(r"@page \{[^}]*margin:([^;]*)mm;", css)[1].split("mm")]
    page = (210 - margins[1] - margins[3]) / zoom
    widest = min(float(re.search(r"max-width:\s*([\d.]+)mm", media)[1]), page) * PX
    rule = re.search(r"^figure\.matrix svg \{([^}]*)\}", css, re.M)
    tall = re.search(r"max-height:\s*([\d.]+)mm", rule[1]) if rule else None
    return zoom, widest, float(tall[1]) * PX if tall else float("inf")


def _leaves(spec: dict, data=None) -> list[dict]:
    here = spec.get("data", data)
    if "layer" in spec:
        return [leaf for sub in spec["layer"] for leaf in _leaves(sub, here)]
    return [{**spec, "rows": here}]


def _mark(leaf: dict) -> dict:
    m = leaf["mark"]
    return {"type": m} if isinstance(m, str) else m


def _rows(top: dict, leaf: dict) -> list[dict]:
    data = leaf["rows"] or {}
    return top["datasets"][data["name"]] if "name" in data else data.get("values", [])


def _svg_texts(svg: str) -> list[tuple[float, str]]:
    """(font size in px, its text with lines joined by a space) of every text."""
    out = []
    for attrs, body in re.findall(r"<text([^>]*)>(.*?)</text>", svg, re.S):
        size = float(re.search(r'font-size="([\d.]+)px"', attrs)[1])
        lines = re.findall(r"<tspan[^>]*>(.*?)</tspan>", body, re.S) or [body]
        out.append((size, " ".join(unescape(x) for x in lines)))
    return out


def check_matrix(chart) -> list[str]:
    """What keeps the matrix from being read on paper: a text printed below MIN_PT, a
    label cut by the renderer, a label that runs into another or out of its cell."""
    spec = charts.spec(chart, validate=True)
    svg = chart_engine.to_svg(spec)
    zoom, widest, tallest = _print_geometry()
    w, h = (float(re.search(rf'<svg[^>]*\b{a}="([\d.]+)"', svg)[1]) for a in ("width", "height"))
    scale = 0.75 * zoom * min(1.0, widest / w, tallest / h)  # pt on paper per SVG px
    problems = []
    default = spec.get("config", {}).get("text", {}).get("fontSize", 11)
    for leaf in _leaves(spec):
        if _mark(leaf)["type"] == "text":
            size = _mark(leaf).get("fontSize", default)
            if size * scale < MIN_PT:
                problems.append(f"a text layer of {size} px prints at {size * scale:.1f} pt")
    texts = _svg_texts(svg)
    for size, text in texts:
        if size * scale < MIN_PT:
            problems.append(f"{text!r} prints at {size * scale:.1f} pt")
    # the gaps' labels: the text layer hung from the top of its rows that are not cells
    names = next(
        x
        for x in _leaves(spec)
        if _mark(x)["type"] == "text"
        and _mark(x).get("baseline") == "top"
        and "priority" not in _rows(spec, x)[0]
    )
    mark, points = _mark(names), _rows(spec, names)
    size, leading = mark.get("fontSize", default), mark.get("lineHeight", 0)
    cells = next(_rows(spec, x) for x in _leaves(spec) if _mark(x)["type"] == "rect")
    tag = next(
        _mark(x)
        for x in _leaves(spec)
        if "priority" in _rows(spec, x)[0] and _mark(x)["type"] == "text"
    )
    y_dom = names["encoding"]["y"]["scale"]["domain"]
    x_dom = names["encoding"]["x"]["scale"]["domain"]
    per_y = spec["height"] / (y_dom[1] - y_dom[0])  # px per unit of the y scale
    per_x = spec["width"] / (x_dom[1] - x_dom[0])
    shown = {text for _, text in texts}

    def depth(p: dict) -> float:  # how far down from its y a label's lines reach
        return ((p.get("lines", 1) - 1) * leading + size) / per_y

    for p in points:
        label = p["label"]
        if " ".join(label.split("\n")) not in shown:
            problems.append(f"{label!r} is cut by the renderer")
        if label.count("\n") + 1 != p.get("lines", 1):
            problems.append(f"{label!r}: its lines are miscounted")
        cell = next(c for c in cells if c["x"] <= p["x"] < c["x2"] and c["y"] < p["y"] <= c["y2"])
        if p["y"] > cell["ty"] - tag["fontSize"] / per_y or p["y"] - depth(p) < cell["y"]:
            problems.append(f"{label!r} leaves its cell or meets the priority tag")
        if mark.get("limit", float("inf")) > (cell["x2"] - p["x"]) * per_x:
            problems.append(f"{label!r} may run past its cell's right edge")
    by_column: dict[float, list[dict]] = {}
    for p in points:
        by_column.setdefault(p["x"], []).append(p)
    for column in by_column.values():
        column.sort(key=lambda p: -p["y"])
        for upper, lower in zip(column, column[1:]):
            if upper["y"] - depth(upper) < lower["y"]:
                problems.append(f"{upper['label']!r} runs into {lower['label']!r}")
            # two names further apart than two lines of one name: a wrapped name reads as one
            elif upper["y"] - upper.get("lines", 1) - lower["y"] < 0.2:
                problems.append(f"{upper['label']!r} and {lower['label']!r} read as one")
    return problems


@pytest.fixture(scope="module")
def finmark():
    return report.deliverable(FINMARK, run_date="2026-11-24")


def test_finmark_matrix_is_legible_in_print(finmark):
    assert check_matrix(_deck_charts.CHARTS["matrix"](finmark)) == []


def test_every_finmark_gap_is_named_in_full(finmark):
    spec = charts.spec(_deck_charts.CHARTS["matrix"](finmark))
    svg = " ".join(text for _, text in _svg_texts(chart_engine.to_svg(spec)))
    for g in finmark.contract["gaps"]:
        assert finmark.names[g["signal_id"]] in svg, g["signal_id"]


LONG = (
    "Partner economics and incentive structure alignment across every regional channel "
    "programme and its co-selling motions"
)


def _hostile():
    """Twelve gaps in one cell (most severe, first tier), with long names, a name
    without a space, a name with line breaks and markup; two more elsewhere."""
    names = {f"S{i:02d}": f"{LONG} {i}" for i in range(12)}
    names["S03"] = "Unbreakable" * 9
    names["S04"] = "<b>Line\nbreak</b>\r\nin a   name"
    names["S05"] = "Short"
    gaps = [
        {
            "signal_id": sid,
            "severity": "critical",
            "tier": 1,
            "escalated": i % 2 == 0,
            "robust": i % 3 != 0,
        }
        for i, sid in enumerate(names)
    ]
    gaps += [
        {"signal_id": "S00", "severity": "medium", "tier": 3, "escalated": False},
        {"signal_id": "S05", "severity": "high", "tier": 2, "escalated": True},
    ]
    severities = ["critical", "high", "medium"]
    tiers = {1: "foundation", 2: "engine", 3: "scale"}
    prio = {(s, t): f"P{min(3, i + t)}" for i, s in enumerate(severities) for t in tiers}
    return charts.priority_matrix(gaps, prio, tiers, severities, ["P1", "P2", "P3"], names)


def test_many_long_names_in_one_cell_stay_legible_and_apart():
    assert check_matrix(_hostile()) == []


def test_a_shortened_name_still_names_its_signal():
    spec = charts.spec(_hostile())
    (leaf,) = [x for x in _leaves(spec) if "lines" in _rows(spec, x)[0]]
    labels = [" ".join(p["label"].split("\n")) for p in _rows(spec, leaf)]
    assert any(x.startswith("Partner economics and incentive") for x in labels)
    assert any(x.startswith("UnbreakableUnbreakable") for x in labels)
    assert "<b>Line break</b> in a name*" in labels  # its own breaks gone, its text kept
    assert "Short*" in labels  # the marks stay on a shortened name too
    assert all(
        x.rstrip("*†").endswith(("…", *map(str, range(12)), "name", "Short")) for x in labels
    )


def test_the_check_can_fail(finmark):
    """The legibility check finds the defect it was written for: the matrix as it was
    (10 px names shrunk to 80 mm and zoomed to print) fails it."""
    chart = _deck_charts.CHARTS["matrix"](finmark)
    spec = charts.spec(chart)
    for layer in spec["layer"]:
        if isinstance(layer["mark"], dict) and layer["mark"]["type"] == "text":
            layer["mark"]["fontSize"] = 10
    small = type(chart).from_dict(spec)
    assert any("prints at" in p for p in check_matrix(small))


def test_every_signal_name_of_the_rulebook_fits_uncut(finmark):
    """Every signal of the rulebook a gap, marked raised and fragile, in its tier's
    column of one row: each name wraps and none is cut by the renderer."""
    rb = finmark.rulebook
    gaps = [
        {
            "signal_id": s.id,
            "severity": rb["severity"][0]["name"],
            "tier": finmark.tier(s.dimension),
            "escalated": True,
            "robust": False,
        }
        for s in rb.signals
    ]
    prio = {(r["severity"], t): r["priority"] for r in rb["priority"] for t in r["tiers"]}
    severities = [s["name"] for s in rb["severity"]]
    priorities = sorted({r["priority"] for r in rb["priority"]})
    chart = charts.priority_matrix(gaps, prio, rb["tiers"], severities, priorities, finmark.names)
    assert check_matrix(chart) == []
    spec = charts.spec(chart)
    (leaf,) = [x for x in _leaves(spec) if "lines" in _rows(spec, x)[0]]
    labels = [" ".join(p["label"].split("\n")) for p in _rows(spec, leaf)]
    assert labels == [finmark.names[s.id] + "*†" for s in rb.signals]


# Deck task 2, item 2: every chart of the deck.

SVG = "{http://www.w3.org/2000/svg}"
PAGE_MM = 297 - 14 - 16  # A4 less board.css's @page margins


def _text_boxes(svg: str) -> list[tuple[str, float, tuple[float, float, float, float]]]:
    """(text, font size px, its box (x0, y0, x1, y1) in SVG px) of every text, from
    the translations of its groups; the width at EM (EM_BOLD bold) a character, the
    height from the ascent of its first line to the descent of its last."""
    out = []

    def walk(el, x: float, y: float) -> None:
        for m in re.finditer(r"translate\(([-\d.e]+)[ ,]+([-\d.e]+)\)", el.get("transform", "")):
            x, y = x + float(m[1]), y + float(m[2])
        if el.tag == SVG + "text":
            size = float(el.get("font-size", "11px").removesuffix("px"))
            spans = el.findall(SVG + "tspan") or [el]
            lines = [unescape("".join(t.itertext())) for t in spans]
            down = sum(float(t.get("dy", 0)) for t in spans[1:])
            em = charts.EM_BOLD if el.get("font-weight") == "bold" else charts.EM
            w = max(len(t) for t in lines) * em * size
            x0 = {"middle": x - w / 2, "end": x - w}.get(el.get("text-anchor", "start"), x)
            out.append(
                (" / ".join(lines), size, (x0, y - 0.75 * size, x0 + w, y + down + 0.2 * size))
            )
            return
        for kid in el:
            walk(kid, x, y)

    walk(ET.fromstring(svg), 0.0, 0.0)
    return out


def check_chart(chart, tallest: float = float("inf")) -> list[str]:
    """What keeps a chart of the deck from being read on paper: a text printed below
    MIN_PT, a chart wider than the printed column or taller than a page (`tallest`,
    px: a height board.css shrinks it to), two texts that overlap."""
    svg = chart_engine.to_svg(charts.spec(chart, validate=True))
    zoom, widest, _ = _print_geometry()
    w, h = (float(re.search(rf'<svg[^>]*\b{a}="([\d.]+)"', svg)[1]) for a in ("width", "height"))
    problems = []
    if w > widest:
        problems.append(f"{w:.0f} px wide: shrunk to the printed column's {widest:.0f}")
    if h * zoom > PAGE_MM * PX:
        problems.append(f"{h:.0f} px high: more than a page")
    scale = 0.75 * zoom * min(1.0, widest / w, tallest / h)
    boxes = _text_boxes(svg)
    for text, size, _ in boxes:
        if size * scale < MIN_PT:
            problems.append(f"{text!r} prints at {size * scale:.1f} pt")
    for i, (a, _, p) in enumerate(boxes):
        for b, _, q in boxes[i + 1 :]:
            if p[0] < q[2] - 1 and q[0] < p[2] - 1 and p[1] < q[3] - 1 and q[1] < p[3] - 1:
                problems.append(f"{a!r} overlaps {b!r}")
    return problems


def _deliverables():
    return {
        "northwind": report.deliverable(NORTHWIND, run_date="2026-11-24"),
        "northwind-strict": report.deliverable(NORTHWIND, STRICT, run_date="2026-11-24"),
        "finmark": report.deliverable(FINMARK, run_date="2026-11-24"),
    }


@pytest.fixture(scope="module")
def decks():
    return _deliverables()


@pytest.mark.parametrize("name", list(_deck_charts.CHARTS))
@pytest.mark.parametrize("which", ["northwind", "northwind-strict", "finmark"])
def test_every_chart_of_the_deck_is_legible_in_print(decks, which, name):
    tallest = _print_geometry()[2] if name == "matrix" else float("inf")
    assert check_chart(_deck_charts.CHARTS[name](decks[which]), tallest) == []


def _close_ticks():
    """A dimension with three close thresholds and a score just below one of them."""
    dims = [
        {
            "id": "A",
            "name": "Partner Performance Management",
            "score": 2.45,
            "maturity": "Emerging",
        },
        {"id": "B", "name": "Fit", "score": 3.9, "maturity": "Scalable"},
        {"id": "C", "name": "Readiness", "score": None, "maturity": None},
    ]
    thresholds = {"A": [2.5, 2.6, 2.75, 3.5], "B": [1.5, 3.0], "C": [2.0]}
    levels = ["Ad hoc", "Emerging", "Structured", "Scalable"]
    return charts.dimension_bars(dims, thresholds, levels, (1, 4), shown=lambda v: f"{v:.2f}")


def test_threshold_ticks_that_would_meet_share_a_label_and_a_value_clears_them():
    """The ticks' labels do not meet, nor the value its tick, and every value is shown."""
    chart = _close_ticks()
    assert check_chart(chart) == []
    texts = " ".join(t for t, _, _ in _text_boxes(chart_engine.to_svg(charts.spec(chart))))
    for t in ("2.5", "2.6", "2.75", "3.5", "1.5", "3", "2.45", "3.90"):
        assert t in texts.split() or f"{t} ·" in texts, t


def test_a_short_phase_has_its_count_after_its_bar():
    phases = [
        {
            "phase": 1,
            "name": "Stabilise the foundation",
            "start_day": 0,
            "end_day": 14,
            "priority": "P1",
        },
        {"phase": 2, "name": "Build the engine", "start_day": 14, "end_day": 365, "priority": "P2"},
    ]
    chart = charts.roadmap_timeline(phases, {1: 13, 2: 1})
    assert check_chart(chart) == []
    svg = chart_engine.to_svg(charts.spec(chart))
    (first,) = re.findall(r'<text[^>]*fill="([^"]+)"[^>]*>13 gaps</text>', svg)
    assert first == charts.INK  # not white on the page's white


def test_the_chart_check_can_fail():
    """The chart check finds the defects it was written for: the dimension chart's
    texts as they were (9 px ticks' labels, 11 px values) and a value drawn over its
    ticks' label (at its bar's end, the label on the ticks' row)."""
    spec = charts.spec(_close_ticks())
    for leaf in _layers(spec):
        if isinstance(leaf["mark"], dict) and leaf["mark"]["type"] == "text":
            leaf["mark"]["fontSize"] = 9
            leaf["mark"].update(dy=0, baseline="middle")
            if leaf["encoding"]["x"]["field"] == "at":
                leaf["encoding"]["x"]["field"] = "score"
    problems = check_chart(alt.LayerChart.from_dict(spec))
    assert any("prints at" in p for p in problems)
    assert any("overlaps" in p for p in problems)


def _layers(spec: dict) -> list[dict]:
    """The leaf layers of a specification, themselves (not copies)."""
    if "layer" in spec:
        return [leaf for sub in spec["layer"] for leaf in _layers(sub)]
    return [spec]
