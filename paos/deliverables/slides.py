"""Stage 9b: the deck as an editable PowerPoint file, from an executed notebook.

Each deck page travels in the executed notebook beside its HTML as the data
mapping its template got (`sections.PAGE_MIME`); the slides are built from those
mappings alone, so a slide shows the titles and numbers of the HTML, never a
second derivation of them. Charts are native charts of the results' numbers;
tables are native tables; the evidence behind a finding is in the speaker notes
of its slide, attributed as the evidence appendix attributes it. A page with
HTML only (the Architecture Check, the portfolio report) becomes slides by its
headings, text and tables (`paos.deliverables._html_slides`).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION
from pptx.enum.dml import MSO_THEME_COLOR
from pptx.util import Emu, Inches, Pt

from paos._files import atomic_write_bytes
from paos.deliverables._html_slides import html_slides
from paos.deliverables._pptx import CONTINUED, Deck, continued, inert
from paos.deliverables.sections import PAGE_MIME
from paos.errors import PaosError

THRESHOLD_GREY = RGBColor(0xB4, 0xBC, 0xC6)
# Rows of a table on one slide; more go on a continued slide.
ROWS = 9


def notebook_pages(nb: nbformat.NotebookNode) -> list[tuple[str, object]]:
    """The pages an executed notebook shows, in order: ("page", {page, data}) for a
    deck page, ("html", text) for any other HTML output (the check's and the portfolio
    report's pages carry their data too; their slides come from their HTML)."""
    out: list[tuple[str, object]] = []
    for cell in nb.cells:
        for o in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = o.get("data") or {}
            if (data.get(PAGE_MIME) or {}).get("page") in PAGES:
                out.append(("page", data[PAGE_MIME]))
            elif data.get("text/html"):
                out.append(("html", data["text/html"]))
    return out


def run_date_of(nb: nbformat.NotebookNode, pages: list[tuple[str, object]]) -> str:
    """The run date: the reproducibility page's, else the notebook's parameter."""
    for kind, page in pages:
        if kind == "page" and page["page"] == "reproducibility":  # type: ignore[index]
            rows = dict((k, v) for k, v in page["data"]["rows"])  # type: ignore[index]
            if rows.get("run date"):
                return rows["run date"]
    params = (nb.metadata.get("papermill") or {}).get("parameters") or {}
    return str(params.get("run_date") or "")


def deck_bytes(nb: nbformat.NotebookNode, master: str | Path | None = None) -> bytes:
    """The deck of an executed notebook, as a .pptx file's bytes."""
    pages = notebook_pages(nb)
    if not pages:
        raise PaosError("the notebook shows no page: execute it first (paos run, papermill)")
    title = str(nb.metadata.get("title") or "")
    return build(pages, master).to_bytes(run_date_of(nb, pages), title)


def notebook_deck(
    nb: nbformat.NotebookNode | str | Path, out: Path, master: str | Path | None = None
) -> None:
    """Write the deck of an executed notebook to `out`."""
    node = nb if isinstance(nb, nbformat.NotebookNode) else nbformat.read(str(nb), as_version=4)
    atomic_write_bytes(out, deck_bytes(node, master))


def build(pages: list[tuple[str, object]], master: str | Path | None = None) -> Deck:
    """The slides of the pages, in their order."""
    deck = Deck(master)
    mapped = {p["page"]: p["data"] for k, p in pages if k == "page"}  # type: ignore[index]
    quotes = _quotes(mapped.get("evidence"))
    for kind, page in pages:
        if kind == "html":
            html_slides(deck, str(page))
            continue
        name, data = page["page"], page["data"]  # type: ignore[index]
        if data.get("oneliner"):
            _oneliner(deck, data["oneliner"])
        elif name in PAGES:
            PAGES[name](deck, data, quotes)
    return deck


def _oneliner(deck: Deck, text: str) -> None:
    """A page reduced to one line in the HTML: a line in the last slide's notes."""
    slides = deck.prs.slides
    if len(slides):
        tf = slides[len(slides) - 1].notes_slide.notes_text_frame
        tf.text = inert((tf.text + "\n\n" if tf.text else "") + text)


def _quotes(evidence: dict | None) -> dict[str, list[dict]]:
    """Per gap's signal id, its quotes as the evidence appendix attributes them."""
    if not evidence:
        return {}
    return {g["signal"]["id"]: g["quotes"] for g in evidence["gaps"]}


def _notes(quotes: dict[str, list[dict]], signals: list[dict], lead: str = "") -> str:
    """Speaker notes: each finding's quotes, the attribution on its own line (a quote
    ending in a direction mark cannot reorder it)."""
    parts = [lead] if lead else []
    for s in signals:
        qs = quotes.get(s["id"])
        if qs is None:
            continue
        parts.append(f"Evidence · {s['name']} ({s['id']})")
        parts += [f"“{q['text']}”\n— {q['by']}" for q in qs] or ["No documented quote."]
    return "\n\n".join(parts)


def _sig(s: dict) -> str:
    return f"{s['name']} ({s['id']})"


GUTTER = Inches(0.25)


def _split(box, share: float, gap=GUTTER):
    left, top, width, height = box
    first = Emu(int((width - gap) * share))
    return (left, top, first, height), (left + first + gap, top, width - first - gap, height)


def _below(box, used):
    left, top, width, height = box
    return (left, top + used, width, height - used)


def _chunks(rows: list, n: int = ROWS) -> list[list]:
    return [rows[i : i + n] for i in range(0, len(rows), n)] or [[]]


def _tabled(
    deck: Deck,
    title: str,
    notes,
    header,
    rows,
    widths=None,
    before=(),
    size=11,
    more=False,
):
    """A table over as many slides as its rows need; text lines above it on the first.
    `notes`: a text, or a function giving the notes of rows [start, end).
    `more`: the table continues a page whose first slide is already there. A slide
    that continues the table carries the title, marked continued (and numbered when it
    continues more than once): its rows prove the page's title, not their first row's."""
    chunks = _chunks(rows)
    for i, chunk in enumerate(chunks):
        said = notes(i * ROWS, i * ROWS + len(chunk)) if callable(notes) else notes
        s = deck.slide(title + continued(i + more, len(chunks) + more), said)
        box = s.area
        if before and not i:
            deck.text(s, (*box[:3], Inches(0.9)), list(before), size=12)
            box = _below(box, Inches(1.0))
        deck.table(s, box, header, chunk, widths, size=size)


def summary(deck: Deck, d: dict, quotes: dict) -> None:
    decisions = d["decisions"]
    s = deck.slide(
        d["title"], _notes(quotes, [g["signal"] for g in decisions], "Decisions for the board.")
    )
    left, right = _split(s.area, 0.36)
    pai = d["pai"]
    lines: list = [(d["client"], True), d["meta_line"]]
    if d["rulebook_note"]:
        lines.append(d["rulebook_note"])
    lines += ["", (f"Partner Architecture Index {pai['value']} (scale {pai['scale']})", True)]
    lines += [x for x in (pai["level"], pai["range"]) if x]
    lines += ["", ("What is at stake", True)]
    lines.append(" · ".join(f"{t['n']} {t['label']}" for t in d["tiles"]))
    lines += d["stakes"]
    if d["progress"]:
        lines += ["", (f"Progress since {d['progress']['since']}", True), *d["progress"]["lines"]]
    lines += [f"Analyst's commentary: {c}" for c in d["commentary"]]
    deck.text(s, left, lines, size=12)
    deck.text(s, (*right[:3], Inches(0.4)), [(d["decisions_head"], True)], size=14)
    rows = [
        [
            f"Build {g['module']} to fix {_sig(g['signal'])} by day {g['deadline']} "
            f"(phase {g['phase']}, {g['priority']})",
            g["target"],
            f"{g['severity']}: scores {g['score']} against {g['threshold']}"
            + (f"; {g['reason']}" if g["reason"] else "")
            + (f". {g['raised']}" if g["raised"] else "")
            + (f". † {g['without_one']}" if g["without_one"] else ""),
        ]
        for g in decisions
    ]
    if rows:
        deck.table(
            s, _below(right, Inches(0.5)), ["decision", "target", "why"], rows, [4, 4, 3], 10
        )
    else:
        deck.text(s, _below(right, Inches(0.5)), [d["no_decision"]])


def priorities(deck: Deck, d: dict, quotes: dict) -> None:
    rows = d["rows"]
    chunks = _chunks(rows, 6)
    for i, chunk in enumerate(chunks):
        notes = _notes(quotes, [g["signal"] for g in chunk], d["lead"])
        s = deck.slide(d["page"]["title"] + continued(i, len(chunks)), notes)
        box = s.area
        if not i:
            deck.text(s, (*box[:3], Inches(0.9)), [d["lead"]], size=11)
            box = _below(box, Inches(1.0))
        deck.table(
            s,
            box,
            ["#", "signal", "now / threshold", "what to build"],
            [
                [
                    str(rows.index(g) + 1),
                    f"{_sig(g['signal'])}\n{g['dimension']}",
                    f"{g['severity']} {g['score']} / {g['threshold']}"
                    + (f"\n{g['raised']}" if g["raised"] else ""),
                    f"{g['module']}: {g['target']}"
                    + (f" † {g['without_one']}" if g["without_one"] else ""),
                ]
                for g in chunk
            ],
            [1, 5, 4, 11],
            size=10,
        )


def _cell(c: dict) -> str:
    """A matrix cell: its gaps and their priority, and how many were raised (*)."""
    if not c["n"]:
        return "–"
    return f"{c['n']} · {c['priority']}" + (f" ({c['raised']} raised *)" if c["raised"] else "")


def _gantt(deck: Deck, s, box, n: dict, caption: str) -> None:
    """The phases on a day scale: a stacked bar whose first segment (the start day)
    is invisible, labelled with the number of gaps each phase closes."""
    chart = deck.chart(
        s,
        box,
        XL_CHART_TYPE.BAR_STACKED,
        n["categories"],
        [("start day", n["start"]), ("days", n["days"])],
        title=caption,
        labels={1: n["labels"]},
    )
    if chart is None:
        return
    chart.has_legend = False
    plot = chart.plots[0]
    plot.series[0].format.fill.background()
    plot.series[1].format.fill.solid()
    plot.series[1].format.fill.fore_color.theme_color = MSO_THEME_COLOR.ACCENT_1
    plot.series[1].data_labels.position = XL_LABEL_POSITION.CENTER
    chart.category_axis.reverse_order = True


def roadmap(deck: Deck, d: dict, quotes: dict) -> None:
    """As the HTML: the timeline, the phases with their gaps under the modules that
    build them, the matrix (a table here); a short roadmap shows neither chart."""
    s = deck.slide(d["page"]["title"], d["order_rule"])
    rest = s.area
    if not d["shared"]:
        top, rest = _split_h(s.area, Inches(2.4))
        _gantt(deck, s, top, d["native"], d["caption"])
    rows = [
        [
            f"Phase {p['phase']}: {p['name']}",
            f"days {p['start']}–{p['end']} · {p['priority']} · {p['count']}",
            "\n".join(
                f"{mod['name']}: "
                + ", ".join(_sig(g["signal"]) + (" †" if g["mark"] else "") for g in mod["gaps"])
                for mod in p["modules"]
            )
            or "No gap in this phase.",
        ]
        for p in d["phases"]
        if p["modules"] or not d["shared"]
    ]
    deck.table(s, rest, ["phase", "when", "gaps by installation module"], rows, [3, 3, 10], 10)
    if d["shared"]:
        return
    m = d["matrix_native"]
    s = deck.slide(d["page"]["title"] + CONTINUED, d["order_rule"])
    deck.table(
        s,
        (*s.area[:3], Inches(0.4) * (len(m["rows"]) + 1)),
        ["severity", *m["columns"]],
        [[r["severity"], *(_cell(c) for c in r["cells"])] for r in m["rows"]],
        [3] + [2] * len(m["columns"]),
        size=12,
    )
    deck.text(s, _below(s.area, Inches(0.5) * (len(m["rows"]) + 2)), [d["matrix_caption"]], 11)


def _split_h(box, first):
    left, top, width, height = box
    return (left, top, width, first), (
        left,
        top + first + Inches(0.15),
        width,
        height - first - Inches(0.15),
    )


def dimensions(deck: Deck, d: dict, quotes: dict) -> None:
    n = d["native"]
    s = deck.slide(d["page"]["title"], d["caption"])
    same = n["threshold_low"] == n["threshold_high"]
    series = [("score", n["score"])]
    series += (
        [("threshold", n["threshold_low"])]
        if same
        else [
            ("lowest signal threshold", n["threshold_low"]),
            ("highest signal threshold", n["threshold_high"]),
        ]
    )
    # the HTML draws thresholds as a line or ticks; here they are the grey bars
    caption = d["caption"].replace("(line)", "(grey bar)").replace("(ticks)", "(grey bars)")
    chart = deck.chart(
        s, s.area, XL_CHART_TYPE.BAR_CLUSTERED, n["categories"], series, caption, {0: n["labels"]}
    )
    if chart is not None:
        axis = chart.value_axis  # from the scale's minimum, as the HTML draws it
        axis.minimum_scale, axis.maximum_scale = n["scale"][0], n["scale"][1]
        chart.category_axis.reverse_order = True
        chart.plots[0].gap_width = 60
        for line in list(chart.plots[0].series)[1:]:  # thresholds: the bars to reach, grey
            line.format.fill.solid()
            line.format.fill.fore_color.rgb = THRESHOLD_GREY
    for dim in d["dims"]:
        head = f"{dim['name']} {dim['id']} {dim['score']}" + (
            f" · {dim['level']}" if dim["level"] else ""
        )
        header = [
            "signal",
            "score",
            *(["threshold"] if d["show_thresholds"] else []),
            d["views"]["strategic"],
            d["views"]["reality"],
            "views",
            "gap",
        ]
        rows = [
            [
                _sig(r["signal"]),
                r["score"],
                *([r["threshold"]] if d["show_thresholds"] else []),
                r["strategic"],
                r["reality"],
                r["views"],
                (
                    f"{r['gap']['severity']} {r['gap']['priority']}"
                    + (f" † {r['gap']['without_one']}" if r["gap"]["without_one"] else "")
                )
                if r["gap"]
                else "",
            ]
            for r in dim["rows"]
        ]
        gaps = [r["signal"] if r["gap"] else {"id": ""} for r in dim["rows"]]
        before = [head, dim["line"]]
        if dim["near"]:
            before.append(f"Near miss: {dim['near']}.")
        before += [f"Analyst's commentary: {c}" for c in dim["commentary"]]
        widths = [5, 1, *([1] if d["show_thresholds"] else []), 1, 1, 3, 4]
        _tabled(
            deck,
            dim["continued"],
            lambda a, b, gaps=gaps: _notes(quotes, gaps[a:b]),
            header,
            rows,
            widths,
            before,
            size=10,
        )


def divergence(deck: Deck, d: dict, quotes: dict) -> None:
    n = d["native"]
    s = deck.slide(d["page"]["title"], d["lead"])
    left, right = _split(s.area, 0.55)
    chart = deck.chart(
        s,
        left,
        XL_CHART_TYPE.BAR_CLUSTERED,
        n["categories"],
        [(d["views"]["strategic"], n["strategic"]), (d["views"]["reality"], n["reality"])],
        d["caption"],
    )
    if chart is not None:  # from the scale's minimum, as the HTML draws it
        chart.value_axis.minimum_scale = n["scale"][0]
        chart.value_axis.maximum_scale = n["scale"][1]
        chart.category_axis.reverse_order = True
        chart.category_axis.tick_labels.font.size = Pt(8)
    lines: list = []
    for g in d["groups"]:
        lines.append((f"{g['head']}", True))
        lines.append(g["explain"])
        lines += [
            f"{_sig(e['signal'])}: {d['views']['strategic']} {e['strategic']}, "
            f"{d['views']['reality']} {e['reality']} ({e['delta']})"
            for e in g["entries"]
        ] or ["none"]
        lines.append("")
    if d["low"]:
        lines.append(d["low"])
    deck.text(s, right, lines, size=11)


def progress(deck: Deck, d: dict, quotes: dict) -> None:
    before = [d["lead"], *d["notes"]]
    before += [f"{_sig(f['signal'])}: {f['text']}" for f in d["disagreements"]]
    rows = [[f"{x['name']} ({x['id']})", x["baseline"], x["now"], x["delta"]] for x in d["dims"]]
    _tabled(
        deck,
        d["page"]["title"],
        "",
        ["dimension", d["base_date"], d["now_date"], "change"],
        rows,
        [5, 2, 2, 2],
        before,
    )
    rows = [
        [g["head"], _sig(e["signal"]), e["text"], e["client"]]
        for g in d["groups"]
        for e in g["entries"]
    ]
    gone = [f"No longer assessed (no evidence now): {d['gone']}."] if d["gone"] else []
    _tabled(
        deck,
        d["page"]["title"],
        "",
        ["", "signal", "status", "client"],
        rows,
        [2, 5, 4, 3],
        gone,
        more=True,
    )


def benchmark(deck: Deck, d: dict, quotes: dict) -> None:
    header = [
        "",
        "this engagement",
        "percentile",
        "lower quartile",
        "median",
        "upper quartile",
        "peers (n)",
    ]
    rows = [
        [r["label"], r["value"], r["pct"], r["q1"], r["median"], r["q3"], str(r["n"])]
        for r in d["rows"]
    ]
    before = [d["lead"], *([d["left"]] if d["left"] else [])]
    _tabled(deck, d["page"]["title"], "", header, rows, [4, 2, 2, 2, 2, 2, 2], before)


def evidence(deck: Deck, d: dict, quotes: dict) -> None:
    rows = [
        [
            _sig(g["signal"]),
            f"{g['severity']} {g['priority']}",
            g["question"],
            f"{len(g['quotes'])} in the notes",
        ]
        for g in d["gaps"]
    ]
    signals = [g["signal"] for g in d["gaps"]]
    before = [d["lead"], f"Signals nobody could rate: {d['unrated']}"]
    _tabled(
        deck,
        d["page"]["title"],
        lambda a, b: _notes(quotes, signals[a:b], d["lead"]),
        ["gap", "severity", "question", "quotes"],
        rows,
        [4, 2, 7, 2],
        before,
        10,
    )


def methodology(deck: Deck, d: dict, quotes: dict) -> None:
    rows = [[t["term"], t["text"]] for t in d["terms"]]
    card = "\n\n".join(part["html"] for part in d["card"])
    _tabled(deck, d["page"]["title"], card, ["term", "meaning"], rows, [2, 7])


def reproducibility(deck: Deck, d: dict, quotes: dict) -> None:
    _tabled(deck, d["page"]["title"], "", ["", ""], [list(r) for r in d["rows"]], [2, 5])


# The deck's pages (sections.PAGES' templates) and how each becomes slides.
PAGES = {
    "summary": summary,
    "priorities": priorities,
    "roadmap": roadmap,
    "dimensions": dimensions,
    "divergence": divergence,
    "progress": progress,
    "benchmark": benchmark,
    "evidence": evidence,
    "methodology": methodology,
    "reproducibility": reproducibility,
}
