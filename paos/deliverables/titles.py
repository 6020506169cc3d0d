"""The action title of every page of the deliverable: a full sentence stating what
the page proves, derived by rule from the results. No analyst text, no judgement:
the same results always give the same titles.

The rules (one function each, in page order):

- `headline` (page 1): the PAI with its maturity band, and the constraint that
  matters most: the dimension holding the most gaps of the earliest roadmap phase
  that has any (ties: the lower tier, then the lower score). Without a gap: that
  every signal meets its threshold. Without a PAI: where evidence is missing.
- `progress_headline` (page 1 of a re-assessment): how the PAI moved since the
  baseline's date and how many of its gaps closed.
- `priorities`: how many gaps the first phase holds, and how many of them are of
  the most severe band; without any, the earliest phase that has gaps.
- `roadmap`: how many gaps the roadmap closes, in how many phases, over how many
  days, through how many installation modules.
- `dimensions`: the fewest dimensions that together hold more than half of the
  gaps of the most severe band present (most such gaps first; ties in dimension
  order).
- `divergence`: how many signals leadership rates at least the blind-spot
  distance above operational reality; without blind spots, the hidden strengths;
  without either, that both views agree.
- `progress`: gaps closed of the baseline's, and regressions (persisting gaps whose
  severity worsened) and new gaps.
- `benchmark`: the PAI's percentile among its peers, with their number; too few
  peers: how many there are and how many are needed.
- appendix pages: what the page holds, counted (`evidence`, `method_terms`,
  `methodology`, `reproducibility`).

Counts are written with `count()`: "1 gap", "2 gaps", never "gap(s)".
"""

from __future__ import annotations

from paos.deliverables.deliverable import Deliverable, earliest_phase

_PLURALS = {"is": "are", "holds": "hold", "was": "were", "has": "have"}


def count(n: int, word: str, plural: str | None = None) -> str:
    """'1 gap', '2 gaps', '0 gaps'; `plural` for irregular words."""
    return f"{n} {word if n == 1 else plural or word + 's'}"


def verb(n: int, singular: str) -> str:
    """The verb agreeing with a count: verb(1, 'holds') -> 'holds', verb(2, ...) -> 'hold'."""
    return singular if n == 1 else _PLURALS.get(singular, singular.removesuffix("s"))


def joined(items: list[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _most_severe(d: Deliverable) -> str:
    return d.rulebook["severity"][0]["name"]


def _first_phase(d: Deliverable) -> dict:
    return min(d.rulebook["phases"], key=lambda p: p["phase"])


def constraint(d: Deliverable) -> dict | None:
    """The dimension (contract entry) that holds the most gaps of the earliest
    phase that has any; ties go to the lower tier, then the lower score. None
    without a gap."""
    if not d.contract["gaps"]:
        return None
    first = min(g["phase"] for g in d.contract["gaps"])
    held: dict[str, int] = {}
    for g in d.contract["gaps"]:
        if g["phase"] == first:
            held[g["dimension"]] = held.get(g["dimension"], 0) + 1
    if not held:
        return None
    dims = [x for x in d.contract["dimensions"] if x["id"] in held]
    best = min(dims, key=lambda x: (-held[x["id"]], d.tier(x["id"]), x["score"] or 0))
    return {**best, "phase_gaps": held[best["id"]], "phase": first}


def headline(d: Deliverable) -> str:
    c = d.contract
    if c["status"] != "complete":
        missing = [x["name"] for x in c["dimensions"] if x["score"] is None]
        return (
            "The Partner Architecture Index cannot be computed: too little evidence in "
            + joined(missing)
        )
    pai = f"{d.figures.score(c['pai'])} of {d.scale[1]}"
    head = f"The partner architecture is {c['maturity']} (PAI {pai})"
    top = constraint(d)
    if top is not None:
        n = top["phase_gaps"]
        held = (
            count(n, "first-phase gap")
            if top["phase"] == _first_phase(d)["phase"]
            else f"{count(n, 'gap')} in phase {top['phase']}"
        )
        return f"{head}; {top['name']}, with {held}, is the constraint that matters most"
    return f"{head}, with every signal at or above its threshold"


def _moved(before: float | None, after: float | None, fmt) -> str:
    if before is None or after is None:
        return "could not be compared (a PAI is incomplete)"
    b, a = fmt(before, after)
    if a == b:
        return f"held at {a}"
    return f"{'rose' if after > before else 'fell'} from {b} to {a}"


def progress_headline(d: Deliverable) -> str:
    c = d.reassessment
    assert c is not None
    since = c.get("assessed_on", {}).get("baseline") or c["baseline"]
    closed = len(c["gaps_closed"])
    total = closed + len(c["gaps_persisting"]) + len(c.get("no_longer_assessed", []))
    share = (
        f"{closed} of {count(total, 'baseline gap')}"
        if closed < total
        else ("the baseline's gap" if total == 1 else f"all {total} baseline gaps")
    )
    moved = _moved(c["pai"]["baseline"], c["pai"]["follow_up"], d.figures.scores)
    return f"Since {since} the PAI {moved} and {share} closed"


def priorities(d: Deliverable) -> str:
    first = _first_phase(d)
    days = f"the first {first['end_day'] - first['start_day']} days"
    phase, gaps = earliest_phase(d)
    if not gaps:
        return "No gap needs action: every signal meets its threshold"
    if phase["phase"] != first["phase"]:
        n = len(gaps)
        return (
            f"No gap needs action in {days}; {count(n, 'gap')} {verb(n, 'needs')} it by day "
            f"{phase['end_day']}"
        )
    worst = _most_severe(d)
    k = sum(g["severity"] == worst for g in gaps)
    n = len(gaps)
    if k == n:
        return f"{count(n, worst + ' gap')} {verb(n, 'needs')} action in {days}"
    tail = f", {k} of them {worst}" if k else ""
    return f"{count(n, 'gap')} {verb(n, 'needs')} action in {days}{tail}"


def roadmap(d: Deliverable) -> str:
    gaps = d.contract["gaps"]
    plan = d.rulebook["phases"]
    if not gaps:
        return "No gap is open: the roadmap has nothing to schedule"
    used = sorted({g["phase"] for g in gaps})
    span = max(p["end_day"] for p in plan if p["phase"] in used)
    mods = len(d.contract["installation_modules"])
    return (
        f"The roadmap closes {count(len(gaps), 'gap')} in {count(len(used), 'phase')} over "
        f"{span} days through {count(mods, 'installation module')}"
    )


def dimensions(d: Deliverable) -> str:
    gaps = d.contract["gaps"]
    dims = d.contract["dimensions"]
    if not gaps:
        scored = [x for x in dims if x["score"] is not None]
        return f"All {count(len(scored), 'scored dimension')} meet their signals' thresholds"
    order = [s["name"] for s in d.rulebook["severity"]]
    worst = next(s for s in order if any(g["severity"] == s for g in gaps))
    held = {
        x["id"]: sum(g["dimension"] == x["id"] and g["severity"] == worst for g in gaps)
        for x in dims
    }
    total = sum(held.values())
    ranked = sorted(dims, key=lambda x: -held[x["id"]])
    chosen, acc = [], 0
    for x in ranked:
        chosen.append(x)
        acc += held[x["id"]]
        if acc * 2 > total:
            break
    names = joined([x["name"] for x in chosen])
    if acc == total:
        share = f"the {worst} gap" if total == 1 else f"all {total} {worst} gaps"
    else:
        share = f"{acc} of the {total} {worst} gaps"
    return f"{names} {verb(len(chosen), 'holds')} {share}"


def views(d: Deliverable) -> tuple[str, str]:
    """How the deck names the two views a divergence compares, in lower case: the
    rulebook's `view_labels`, or without them the perspectives' own names (the
    strategic one, and every other one)."""
    labels = d.rulebook.raw.get("view_labels")
    if labels:
        return labels["strategic"], labels["reality"]
    strategic = d.rulebook["strategic_perspective"]
    others = [p for p in d.rulebook["perspectives"] if p != strategic]
    return f"the {strategic} perspective", f"the {joined(others)} perspectives"


def cap(text: str) -> str:
    """`text` with its first letter upper case (a label at the start of a sentence)."""
    return text[:1].upper() + text[1:]


def divergence(d: Deliverable) -> str:
    sigs = d.contract["signals"]
    dv = d.rulebook["divergence"]
    lead, real = views(d)
    blind = sum(s["divergence_class"] == "blind_spot" for s in sigs)
    hidden = sum(s["divergence_class"] == "hidden_strength" for s in sigs)
    up = d.figures.plain(dv["blind_spot_at_or_above"])
    down = d.figures.plain(-dv["hidden_strength_at_or_below"])
    if blind:
        return (
            f"{cap(lead)} {verb(1, 'rates')} {count(blind, 'signal')} at least "
            f"{count_points(up)} above {real}"
        )
    if hidden:
        return (
            f"{cap(real)} {verb(1, 'is')} at least {count_points(down)} ahead of {lead} "
            f"on {count(hidden, 'signal')}"
        )
    testable = sum(s["divergence_class"] != "not_testable" for s in sigs)
    if not testable:
        return f"No signal was rated by both {lead} and {real}"
    return (
        f"{cap(lead)} and {real} agree within {count_points(up)} on "
        f"{'the' if testable == 1 else 'all'} {count(testable, 'signal')} both rated"
    )


def count_points(shown: str) -> str:
    return f"{shown} point" + ("" if shown in ("1", "1.0") else "s")


def progress(d: Deliverable) -> str:
    c = d.reassessment
    if c is None:
        return "No comparison with the baseline is possible"
    closed, new = len(c["gaps_closed"]), len(c["gaps_new"])
    worse = sum(g["change"] == "worsened" for g in c["gaps_persisting"])
    parts = [f"{count(closed, 'gap')} closed"]
    parts.append(f"{count(new, 'new gap')} appeared" if new else "no new gap")
    if worse:
        parts.append(f"{count(worse, 'gap')} got worse")
    since = c.get("assessed_on", {}).get("baseline") or c["baseline"]
    return f"Since {since}: " + joined(parts)


def benchmark(d: Deliverable) -> str:
    b = d.benchmark
    assert b is not None
    size = b["peer_group"]["size"]
    if b["status"] != "ok":
        return (
            f"Too few peers to benchmark: {count(size, 'other client')} with a past "
            f"engagement under this rulebook, {b['min_peers']} needed"
        )
    pct = b["pai"].get("percentile")
    if pct is None:
        return f"The PAI has no place among {count(b['pai']['n'], 'peer')} (PAI incomplete)"
    return (
        f"The PAI of {d.figures.score(b['pai']['value'])} ranks at the "
        f"{ordinal(round(pct))} percentile of {count(b['pai']['n'], 'peer')}"
    )


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def evidence(d: Deliverable) -> str:
    gaps = d.contract["gaps"]
    quotes = sum(len(g["evidence"]) for g in gaps)
    if not gaps:
        return "No gap needs supporting evidence"
    which = "the gap" if len(gaps) == 1 else f"the {len(gaps)} gaps"
    return f"{count(quotes, 'documented rating')} {verb(quotes, 'supports')} {which}"


def dimension_page(d: Deliverable, dim: dict) -> str:
    """The title of a page that holds one dimension's table (or the rest of it): its
    score and level, and its gaps with how many of them are of the most severe band
    present."""
    if dim["score"] is None:
        return f"{dim['name']} cannot be scored: too little evidence"
    head = f"{dim['name']} scores {d.figures.score(dim['score'])} ({dim['maturity']})"
    return f"{head} {_with_gaps(d, [dim])}"


def dimension_pages(d: Deliverable, dims: list[dict]) -> str:
    """The title of a page that holds the tables of several dimensions (`dims`, two or
    more, in the deck's order; the first may be the rest of one): their names, the
    range of their scores and levels, and their gaps as dimension_page counts them;
    a dimension without a score named apart."""
    scored = [x for x in dims if x["score"] is not None]
    unscored = [x["name"] for x in dims if x["score"] is None]
    gone = f"{joined(unscored)} cannot be scored: too little evidence"
    if not scored:
        return gone
    low = min(scored, key=lambda x: x["score"])
    high = max(scored, key=lambda x: x["score"])
    f = d.figures
    scores = f.score(low["score"])
    if f.score(high["score"]) != scores:
        scores += f" to {f.score(high['score'])}"
    levels = low["maturity"]
    if high["maturity"] != levels:
        levels += f" to {high['maturity']}"
    names = joined([x["name"] for x in scored])
    head = f"{names} {verb(len(scored), 'scores')} {scores} ({levels}) {_with_gaps(d, scored)}"
    return f"{head}; {gone}" if unscored else head


def _with_gaps(d: Deliverable, dims: list[dict]) -> str:
    """'with 3 gaps, 2 of them critical' for the gaps of `dims`."""
    ids = {x["id"] for x in dims}
    mine = [g for g in d.contract["gaps"] if g["dimension"] in ids]
    if not mine:
        return "with every signal at or above its threshold"
    order = [s["name"] for s in d.rulebook["severity"]]
    worst = next(s for s in order if any(g["severity"] == s for g in mine))
    k = sum(g["severity"] == worst for g in mine)
    if k == len(mine):
        return f"with {count(k, worst + ' gap')}"
    return f"with {count(len(mine), 'gap')}, {k} of them {worst}"


def method_terms(d: Deliverable) -> str:
    return "The method's terms in plain words"


def methodology(d: Deliverable) -> str:
    n = len(d.rulebook.signals)
    return f"The {count(n, 'signal')} are scored by the rules of {d.rulebook['title']}"


def reproducibility(d: Deliverable) -> str:
    return f"The same evidence and rulebook reproduce every number ({count(len(d.files), 'evidence file')})"
