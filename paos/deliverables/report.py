"""Stage 8 (data side): everything a deliverable shows, prepared from the results.

`deliverable()` runs the diagnostic of one engagement and gathers what the report
sections need; `save_results()` writes the results contract and a gap table.
The HTML of each section is in `paos.deliverables.sections`.
"""

from __future__ import annotations

import datetime as dt
import platform
from pathlib import Path

import polars as pl
from markupsafe import Markup

from paos._files import atomic_write_bytes, atomic_write_text, csv_text
from paos._types import Evidence, Results
from paos._version import __version__
from paos.base.rulebook import load_rulebook
from paos.deliverables import commentary
from paos.deliverables.actions import actions_workbook
from paos.deliverables.deliverable import Deliverable, severities
from paos.deliverables.notebook import here, resolve
from paos.deliverables.titles import views
from paos.errors import PaosError, isolate
from paos.evidence.plan import ACTIONS_FILE
from paos.evidence.validate import load_evidence
from paos.method._numbers import display
from paos.method.diagnostic import diagnose, score_evidence
from paos.method.engine import score
from paos.method.peers import benchmark, subject_from_results
from paos.method.reassessment import attach_actions, check_pair, compare, default_actions
from paos.method.results import contract, to_json
from paos.method.store import contract_from_row, find_run, read_store


def deliverable(
    engagement: str | Path,
    rulebook: str | Path | None = None,
    run_date: str | None = None,
    store: str | Path | None = None,
    notebook: str | Path = "",
) -> Deliverable:
    """Read, validate and score one engagement and gather its deliverable data:
    with a results `store`, its benchmark against past engagements; when its
    engagement.yaml names a `baseline`, the comparison with that diagnostic.
    Called from a `notebook` (its path; JupyterLab's own counts, see
    `paos.deliverables.notebook.here`), relative paths start in its folder and its
    commentary cells are rendered (`paos.deliverables.commentary`)."""

    nb = here(notebook)
    if nb is not None and not nb.is_file():
        raise PaosError(
            f"this notebook says it is {nb}, which does not exist (moved?): run it in "
            "JupyterLab or with `paos run`, or write a new one with `paos notebook`"
        )
    engagement = resolve(engagement, nb)
    store = resolve(store, nb) if store else None
    if rulebook and Path(rulebook).suffix in (".yaml", ".yml"):
        rulebook = resolve(rulebook, nb)
    book = load_rulebook(rulebook) if rulebook else None
    evidence = load_evidence([engagement], book)
    results = score_evidence(evidence, book)
    rb = results.rulebook
    c = contract(results)
    meta = results.engagements.to_dicts()[0]
    d = Deliverable(
        contract=c,
        results=results,
        rulebook=rb,
        meta=meta,
        files=results_files(results),
        run_date=run_date or dt.date.today().isoformat(),
        names={s.id: s.name for s in rb.signals},
        questions={s.id: s.question for s in rb.signals},
        base=nb.parent if nb else Path.cwd(),
        evidence=evidence,
    )
    if nb is not None:
        rendered = commentary.render(
            commentary.read(nb), c, d.figures, [x.id for x in rb.dimensions]
        )
        d.commentary = {  # safe HTML already: Markup, so the templates do not escape it twice
            (k if k == "summary" else f"dimension:{k}"): [Markup(x) for x in v]
            for k, v in rendered.items()
        }
    if store:
        past = read_store(store)
        if past.filter(past["engagement_id"] != d.engagement_id).height:
            d.benchmark = benchmark(past, subject_from_results(results))
    if meta.get("baseline"):
        d.reassessment, d.reassessment_note = baseline_comparison(d, Path(engagement), store)
    return d


def baseline_comparison(
    d: Deliverable, engagement: Path, store: str | Path | None
) -> tuple[dict | None, str]:
    """Compare with the baseline: its evidence next to this engagement (scored under
    the same rulebook), else its latest run in the store."""

    base_id = d.meta["baseline"]
    for cand in (engagement.parent / base_id, engagement.parent / f"{base_id}.xlsx"):
        if cand.exists():
            base = diagnose(cand, d.rulebook)
            check_pair(base.engagements.to_dicts()[0], d.meta)
            c = compare(contract(base), d.contract, severities=severities(d.rulebook))
            c["assessed_on"] = {
                "baseline": str(base.engagements["assessed_on"][0]),
                "follow_up": str(d.meta["assessed_on"]),
            }
            plan = default_actions(cand)  # the plan the client returned, if dropped there
            return (attach_actions(c, plan, cand) if plan else c), ""
    row = find_run(store, base_id, d.rulebook.id) if store else None
    if row is not None:  # another client's run must never reach this report
        check_pair(row, d.meta)
        base_c = contract_from_row(row, d.rulebook)
        c = compare(base_c, d.contract, severities=severities(d.rulebook))
        c["assessed_on"] = {
            "baseline": str(row["assessed_on"]),
            "follow_up": str(d.meta["assessed_on"]),
        }
        return c, ""
    return None, (
        f"The baseline diagnostic {isolate(base_id)} was not found next to this engagement"
        + (" nor in the results store." if store else " (no results store given).")
    )


def without_one(d: Deliverable) -> dict[str, list[str | None]]:
    """For each gap that some one stakeholder's answers decide (robust false), what
    it becomes without them: the distinct severities it takes in those variants
    (None: no gap), over every stakeholder who rated it. Each variant is the
    engagement scored again by the engine without one rater's ratings (the
    variants of robustness-v1), all in one pass."""

    fragile = {g["signal_id"]: g for g in d.contract["gaps"] if g.get("robust") is False}
    ev = d.evidence
    if not fragile or ev is None:
        return {}
    raters = ev.ratings["stakeholder_id"].unique().sort().to_list()
    tag = "_paos_variant"

    def variant(df: pl.DataFrame, k: object, drop: bool) -> pl.DataFrame:
        kept = df.filter(pl.col("stakeholder_id") != k) if drop else df
        return kept.with_columns(pl.lit(f"{d.engagement_id}{tag}{k}").alias("engagement_id"))

    runs = Evidence(
        engagements=pl.concat([variant(ev.engagements, k, False) for k in raters]),
        stakeholders=pl.concat([variant(ev.stakeholders, k, True) for k in raters]),
        ratings=pl.concat([variant(ev.ratings, k, True) for k in raters]),
        metrics=pl.concat([variant(ev.metrics, k, False) for k in raters]),
    )
    found = score(runs, d.rulebook).gaps.select("engagement_id", "signal_id", "severity")
    out: dict[str, list[str | None]] = {}
    for k in raters:
        eid = f"{d.engagement_id}{tag}{k}"
        rows = {r["signal_id"]: r["severity"] for r in found.filter(engagement_id=eid).to_dicts()}
        rated = set(ev.ratings.filter(stakeholder_id=k)["signal_id"].to_list())
        for sid, g in fragile.items():
            if sid in rated and rows.get(sid) != g["severity"]:
                seen = out.setdefault(sid, [])
                if rows.get(sid) not in seen:
                    seen.append(rows.get(sid))
    order = severities(d.rulebook)
    for seen in out.values():
        seen.sort(key=lambda s: order.index(s) if s in order else len(order))
    return out


def results_files(results: Results) -> list[dict]:
    """The evidence files the results were computed from, with their sha256."""
    return results.files.to_dicts() if results.files is not None else []


def fmt(value: float | None, decimals: int = 1) -> str:
    """A score as shown in deliverables (half up); a dash when there is none."""
    return display(value, decimals) if value is not None else "–"


def severity_counts(d: Deliverable) -> dict[str, int]:
    """Gaps per severity, every severity of the rulebook listed (most severe first)."""
    counts = {s: 0 for s in severities(d.rulebook)}
    for g in d.contract["gaps"]:
        counts[g["severity"]] = counts.get(g["severity"], 0) + 1
    return counts


def gap_sentence(d: Deliverable, g: dict) -> str:
    """One plain sentence about a gap (text, to be escaped by the caller)."""
    s = d.signal(g["signal_id"])
    flags = (
        [g["severity"]]
        + (["escalated"] if g["escalated"] else [])
        + (["provisional"] if g["provisional"] else [])
    )
    out = (
        f"{g['signal_id']} {d.names[g['signal_id']]} scores {d.fine(g['score'])} against a "
        f"threshold of {g['threshold']:g} ({', '.join(flags)})"
    )
    if s["divergence_class"] == "blind_spot":
        lead, real = views(d)
        out += (
            f": {lead} rates it {d.score(s['strategic'])} while {real} "
            f"shows {d.score(s['reality'])}"
        )
    return out + "."


def stakeholder_counts(d: Deliverable) -> dict[str, int]:
    """How many stakeholders gave evidence, per perspective (rulebook order): those
    with at least one non-blank rating (a stakeholder listed but rating nothing gave
    none)."""
    st = d.results.stakeholders
    counts = {p: 0 for p in d.rulebook["stakeholder_perspectives"]}
    if st is not None:
        mine = st.filter(pl.col("engagement_id") == d.engagement_id, pl.col("rated"))
        for p in mine["perspective"].to_list():
            counts[p] = counts.get(p, 0) + 1
    return counts


def pai_range(d: Deliverable) -> str:
    """The PAI's range without any one stakeholder (robustness-v1), as every
    client-facing file shows it: '2.1–2.3 without any one stakeholder', or one line
    saying it is withheld when fewer than twice the rulebook's
    `anonymity_min_role_group` stakeholders rated (with few raters each end is close
    to one person's own result, and the full PAI beside a leave-one-out PAI gives away
    the left-out person's share); '' when there is no range. Each end is written as
    the deck writes scores (`paos.method.figures`: never rounded across a cut)."""
    r = d.contract.get("robustness") or {}
    if r.get("pai_min") is None or r.get("pai_max") is None:
        return ""
    raters, least = r["variants"], 2 * d.rulebook["anonymity_min_role_group"]
    if raters < least:
        return (
            "The range without any one stakeholder is withheld to protect anonymity "
            f"({raters} stakeholders rated; it is shown from {least})"
        )
    lo, hi = d.figures.score(r["pai_min"]), d.figures.score(r["pai_max"])
    if lo == hi:
        return f"stays {lo} without any one stakeholder"
    return f"{lo}–{hi} without any one stakeholder"


def stamp(d: Deliverable) -> dict:
    """The reproducibility stamp: what produced these numbers."""
    return {
        "engagement_id": d.engagement_id,
        "rulebook": d.contract["rulebook"]["id"],
        "rulebook_sha256": d.contract["rulebook"]["sha256"],
        "paos_version": __version__,
        "python": platform.python_version(),
        "run_date": d.run_date,
        "evidence_files": [{"file": f["file"], "sha256": f["sha256"]} for f in d.files],
    }


def gap_rows(d: Deliverable) -> tuple[list[str], list[list]]:
    """The gap table (one row per piece of evidence) for gaps.csv."""
    header = [
        "engagement_id",
        "signal_id",
        "signal",
        "dimension",
        "score",
        "threshold",
        "shortfall",
        "severity",
        "escalated",
        "provisional",
        "priority",
        "phase",
        "perspective",
        "role",
        "rating",
        "evidence",
    ]
    rows = []
    for g in d.contract["gaps"]:
        base = [
            d.engagement_id,
            g["signal_id"],
            d.names[g["signal_id"]],
            g["dimension"],
            g["score"],
            g["threshold"],
            g["shortfall"],
            g["severity"],
            g["escalated"],
            g["provisional"],
            g["priority"],
            g["phase"],
        ]
        for e in g["evidence"] or [
            {"perspective": None, "role": None, "rating": None, "text": None}
        ]:
            rows.append(base + [e["perspective"], e["role"], e["rating"], e["text"]])
    return header, rows


def save_results(d: Deliverable, output_dir: str | Path | None) -> list[Path]:
    """Write results.json (the results contract), gaps.csv (formula-safe) and
    actions.xlsx (the action plan, `paos.deliverables.actions`) to `output_dir`,
    atomically; nothing when no folder is given."""

    if not output_dir:
        return []
    out = d.base / output_dir  # relative to the notebook's folder
    header, rows = gap_rows(d)
    return [
        atomic_write_text(out / "results.json", to_json(d.contract) + "\n"),
        atomic_write_text(out / "gaps.csv", csv_text(header, rows)),
        atomic_write_bytes(out / ACTIONS_FILE, actions_workbook(d)),
    ]
