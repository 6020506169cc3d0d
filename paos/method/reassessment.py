"""Re-assessment: what changed between a baseline engagement and its follow-up.

Pure functions on two results contracts (evidence-and-results.md). `compare`
gives the progress object (PAI and dimension deltas, gaps closed, new and
persisting, gaps no longer assessed); `compare_text` prints it; `check_pair`
refuses pairs that are not a baseline and its follow-up; `compare_paths` reads,
scores and compares two engagements on disk; `attach_actions` adds what the
client recorded in the baseline's action plan (actions.xlsx, see
`paos.deliverables.actions`).

Deltas are stored at full precision (follow-up minus baseline) and shown with
`signed`: a sign and one decimal, half up on the magnitude, as the methodology
shows scores (so +0.25 shows as +0.3 and -0.25 as -0.3).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from paos.base.rulebook import Rulebook, known_rulebooks, load_rulebook
from paos.base.workbook import WORKBOOK_SUFFIXES
from paos.errors import EvidenceError, FaultError, PaosError, Problem, printable
from paos.evidence.plan import ACTIONS_FILE, read_actions
from paos.method._numbers import display, signed
from paos.method.diagnostic import diagnose
from paos.method.results import contract


def _delta(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before


def _severity_rank(severities: Sequence[str]) -> dict[str, int]:
    """0 for the most severe level, then 1, 2, ...; first listed wins."""
    rank: dict[str, int] = {}
    for name in severities:
        rank.setdefault(name, len(rank))
    return rank


def _severities(c: dict) -> list[str]:
    """The severity names of a contract's rulebook, most severe first: the order the
    contract carries (`rulebook.severity`), or, for a contract written before paos
    recorded it (a stored run), the order of the bundled rulebook with that id."""
    rb = c["rulebook"]
    if rb.get("severity"):
        return list(rb["severity"])
    if rb["id"] not in known_rulebooks():
        raise PaosError(
            f"the results of {c['engagement_id']} do not carry their severity order "
            f"(written before paos recorded it) and rulebook {rb['id']} is not bundled; "
            "score the engagement again, or pass severities="
        )
    return [s["name"] for s in load_rulebook(rb["id"])["severity"]]


def compare(baseline: dict, follow_up: dict, *, severities: Sequence[str] | None = None) -> dict:
    """The progress from `baseline` to `follow_up` (two results contracts).

    - `pai` and `dimensions` (in the follow-up's dimension order): both values,
      `delta` = follow-up - baseline, null when either value is null.
    - `gaps_closed`: gaps of the baseline that are scored and not a gap in the
      follow-up (baseline severity and priority), in the baseline's roadmap order.
    - `gaps_new`: gaps of the follow-up only (its severity and priority), in its
      roadmap order.
    - `gaps_persisting`: gaps in both, in the follow-up's roadmap order, with the
      severity change (`improved`, `worsened`, `unchanged`) and both shortfalls.
    - `no_longer_assessed`: baseline gaps with no evidence in the follow-up:
      neither closed nor persisting, the follow-up cannot tell.

    `severities` lists severity names, most severe first; by default the order
    each contract carries (`rulebook.severity`): the follow-up's, then the
    baseline's for names it lacks. `rulebook.same` is true only for the same
    rulebook id and file hash. Raises `PaosError` when a gap's severity is not
    in the order.
    """
    if severities is None:
        severities = [*_severities(follow_up), *_severities(baseline)]
    rank = _severity_rank(severities)
    unknown = sorted({g["severity"] for g in (*baseline["gaps"], *follow_up["gaps"])} - set(rank))
    if unknown:
        raise PaosError(
            f"severity {', '.join(map(repr, unknown))} is not in the severity order "
            f"({', '.join(rank)}); compare contracts scored under these rulebooks"
        )
    rb_b, rb_f = baseline["rulebook"], follow_up["rulebook"]

    dims_b = {d["id"]: d for d in baseline["dimensions"]}
    dimensions = []
    for d in follow_up["dimensions"]:
        b = dims_b.get(d["id"], {})
        dimensions.append(
            {
                "id": d["id"],
                "name": d["name"],
                "baseline": b.get("score"),
                "follow_up": d["score"],
                "delta": _delta(b.get("score"), d["score"]),
                "maturity_baseline": b.get("maturity"),
                "maturity_follow_up": d["maturity"],
            }
        )

    gaps_b = {g["signal_id"]: g for g in baseline["gaps"]}
    gaps_f = {g["signal_id"]: g for g in follow_up["gaps"]}
    scored_f = {s["id"] for s in follow_up["signals"] if s["status"] == "scored"}

    closed, gone = [], []
    for g in baseline["gaps"]:
        sid = g["signal_id"]
        if sid in gaps_f:
            continue
        if sid in scored_f:
            closed.append({"signal_id": sid, "severity": g["severity"], "priority": g["priority"]})
        else:
            gone.append(sid)

    new, persisting = [], []
    for g in follow_up["gaps"]:
        sid = g["signal_id"]
        b = gaps_b.get(sid)
        if b is None:
            new.append({"signal_id": sid, "severity": g["severity"], "priority": g["priority"]})
            continue
        before, after = rank[b["severity"]], rank[g["severity"]]
        change = "improved" if after > before else "worsened" if after < before else "unchanged"
        persisting.append(
            {
                "signal_id": sid,
                "severity_baseline": b["severity"],
                "severity_follow_up": g["severity"],
                "change": change,
                "shortfall_baseline": b["shortfall"],
                "shortfall_follow_up": g["shortfall"],
            }
        )

    return {
        "baseline": baseline["engagement_id"],
        "follow_up": follow_up["engagement_id"],
        "rulebook": {
            "baseline": rb_b["id"],
            "follow_up": rb_f["id"],
            "same": rb_b["id"] == rb_f["id"] and rb_b["sha256"] == rb_f["sha256"],
        },
        "pai": {
            "baseline": baseline["pai"],
            "follow_up": follow_up["pai"],
            "delta": _delta(baseline["pai"], follow_up["pai"]),
            "maturity_baseline": baseline["maturity"],
            "maturity_follow_up": follow_up["maturity"],
        },
        "dimensions": dimensions,
        "gaps_closed": closed,
        "gaps_new": new,
        "gaps_persisting": persisting,
        "no_longer_assessed": gone,
    }


def check_pair(baseline_meta: dict, follow_up_meta: dict) -> None:
    """Refuse (`PaosError`) a pair that is not an engagement and its follow-up.

    Metas are engagement rows (engagement_id, client, assessed_on, baseline).
    Refused: the same engagement twice, a follow-up naming another baseline,
    a baseline assessed after the follow-up, different clients (compared
    case-insensitively, trimmed). A follow-up naming no baseline is accepted.
    """
    b_id, f_id = baseline_meta["engagement_id"], follow_up_meta["engagement_id"]
    if b_id == f_id:
        raise PaosError(f"cannot compare engagement {b_id} with itself")
    named = follow_up_meta.get("baseline")
    if named and named != b_id:
        raise PaosError(f"engagement {f_id} names baseline {named}, not {b_id}")
    if baseline_meta["assessed_on"] > follow_up_meta["assessed_on"]:
        raise PaosError(
            f"baseline {b_id} was assessed on {baseline_meta['assessed_on']}, "
            f"after follow-up {f_id} ({follow_up_meta['assessed_on']}); "
            "give the earlier engagement first"
        )
    clients = [str(m["client"] or "").strip() for m in (baseline_meta, follow_up_meta)]
    if clients[0].casefold() != clients[1].casefold():
        raise PaosError(
            f"engagements {b_id} and {f_id} are of different clients "
            f"({clients[0]!r} and {clients[1]!r})"
        )


def default_actions(baseline_path: str | Path) -> Path | None:
    """Where the client's action plan of a baseline is looked for by default: the
    workbook named `actions` inside the baseline engagement folder (where the analyst
    drops the file the client returned) in any format paos reads (actions.xlsx as paos
    wrote it, or saved again as .xlsm, .ods or .xls; the name's case ignored), if it
    is there. None for a workbook baseline or a folder without one. Two such files
    are refused (`EvidenceError`, one line naming both): paos would not know which
    one the client meant; a folder that cannot be listed is a `FaultError`."""
    folder = Path(baseline_path)
    if not folder.is_dir():
        return None
    try:
        names = sorted(os.listdir(folder))
    except OSError as exc:
        raise FaultError(
            f"{folder}: cannot be listed ({exc.strerror or exc}); check its permissions"
        ) from None
    stem = Path(ACTIONS_FILE).stem.casefold()
    found = [
        n
        for n in names
        if Path(n).stem.casefold() == stem and Path(n).suffix.lower() in WORKBOOK_SUFFIXES
    ]
    if len(found) > 1:
        raise EvidenceError(
            [
                Problem(
                    str(folder),
                    f"holds {len(found)} action plans ({', '.join(found)}); keep the one "
                    "the client returned and move the others away, or name it with --actions",
                )
            ]
        )
    return folder / found[0] if found else None


def attach_actions(c: dict, path: str | Path, folder: str | Path | None = None) -> dict:
    """Add to a `compare` object what the client recorded in the baseline's action
    plan at `path` (`paos.evidence.plan.read_actions`), in place. With
    `folder` (the baseline folder, where the plan was found rather than named), a
    symbolic link resolving outside that folder is not read (a note says so).

    - `actions`: {"file": path, "read": whether statuses were read, "notes": one
      line per problem (a formula or damage in the file: nothing read; an unknown
      status, a row for a signal that is not a baseline gap, a repeated row)};
    - when read, each entry of `gaps_closed` and `gaps_persisting` gains `action`:
      {"status": "open" | "in progress" | "done" | None, "owner": text | None},
      or None when the plan has no row for that gap.
    """
    gaps = [g["signal_id"] for g in (*c["gaps_closed"], *c["gaps_persisting"])]
    found, notes = read_actions(path, {*gaps, *c["no_longer_assessed"]}, c["baseline"], folder)
    c["actions"] = {"file": str(path), "read": found is not None, "notes": notes}
    if found is not None:
        for g in (*c["gaps_closed"], *c["gaps_persisting"]):
            g["action"] = found.get(g["signal_id"])
    return c


def compare_paths(
    baseline_path: str | Path,
    follow_up_path: str | Path,
    rulebook: str | Path | Rulebook | None = None,
    actions: str | Path | None = None,
) -> dict:
    """Read, validate, check and compare two engagements on disk.

    With `rulebook` both are scored under it; without, each under the rulebook
    its engagement.yaml names (`rulebook.same` then says whether they differ).
    Adds `assessed_on` (ISO dates of both) to the `compare` object, and the
    client's statuses (`attach_actions`) from the action plan `actions`, by default
    the baseline folder's actions workbook when there is one (`default_actions`); a
    named `actions` file that does not exist is refused (`PaosError`).

    >>> progress = compare_paths("engagements/acme-2025", "engagements/acme-2026")
    """
    if actions is not None and not os.path.lexists(actions):
        raise PaosError(f"action plan {actions}: no such file; check the path")
    book = load_rulebook(rulebook) if isinstance(rulebook, (str, Path)) else rulebook
    res_b, res_f = diagnose(baseline_path, book), diagnose(follow_up_path, book)
    meta_b, meta_f = res_b.engagements.to_dicts()[0], res_f.engagements.to_dicts()[0]
    check_pair(meta_b, meta_f)
    order = [s["name"] for s in res_f.rulebook["severity"]] + [
        s["name"] for s in res_b.rulebook["severity"]
    ]
    out = compare(contract(res_b), contract(res_f), severities=order)
    out["assessed_on"] = {
        "baseline": meta_b["assessed_on"].isoformat(),
        "follow_up": meta_f["assessed_on"].isoformat(),
    }
    if actions is not None:  # named by the analyst: read wherever it is
        attach_actions(out, actions)
    elif (plan := default_actions(baseline_path)) is not None:  # found in the folder
        attach_actions(out, plan, baseline_path)
    return out


def _value(v: float | None) -> str:
    return display(v) if v is not None else "-"


def compare_text(c: dict) -> str:
    """A readable terminal summary of a `compare` object."""
    dates = c.get("assessed_on")
    head = f"Progress {c['baseline']} -> {c['follow_up']}"
    if dates:
        head += f"  ({dates['baseline']} -> {dates['follow_up']})"
    out = [head]
    rb = c["rulebook"]
    if not rb["same"]:
        out.append(
            f"Note: scored under different rulebooks ({rb['baseline']} and "
            f"{rb['follow_up']}); deltas mix methodology and progress."
        )
    p = c["pai"]
    if p["delta"] is None:
        out.append(
            f"Partner Architecture Index: {_value(p['baseline'])} -> "
            f"{_value(p['follow_up'])}  (no delta: PAI incomplete)"
        )
    else:
        out.append(
            f"Partner Architecture Index: {_value(p['baseline'])} -> "
            f"{_value(p['follow_up'])}  ({signed(p['delta'])}; "
            f"{p['maturity_baseline']} -> {p['maturity_follow_up']})"
        )
    out += ["", f"{'dimension':<34}{'before':>7}{'after':>7}{'delta':>7}  maturity"]
    for d in c["dimensions"]:
        label = f"{d['id']:<5}{d['name']}"[:33]
        mat = (
            f"{d['maturity_baseline'] or 'insufficient'} -> "
            f"{d['maturity_follow_up'] or 'insufficient'}"
        )
        out.append(
            f"{label:<34}{_value(d['baseline']):>7}{_value(d['follow_up']):>7}"
            f"{signed(d['delta']) or '-':>7}  {mat}"
        )
    out.append("")
    out.append(f"Gaps closed ({len(c['gaps_closed'])}):" + ("" if c["gaps_closed"] else " none"))
    for g in c["gaps_closed"]:
        out.append(f"  {g['signal_id']:<8}was {g['severity']} ({g['priority']})" + _client(g))
    out.append(f"Gaps new ({len(c['gaps_new'])}):" + ("" if c["gaps_new"] else " none"))
    for g in c["gaps_new"]:
        out.append(f"  {g['signal_id']:<8}{g['severity']} ({g['priority']})")
    out.append(
        f"Gaps persisting ({len(c['gaps_persisting'])}):"
        + ("" if c["gaps_persisting"] else " none")
    )
    for g in c["gaps_persisting"]:
        severity = f"{g['severity_baseline']} -> {g['severity_follow_up']}"
        out.append(
            f"  {g['signal_id']:<8}{severity:<22}{g['change']:<11}shortfall "
            f"{display(g['shortfall_baseline'], 2)} -> "
            f"{display(g['shortfall_follow_up'], 2)}" + _client(g)
        )
    if c["no_longer_assessed"]:
        out.append(
            "No longer assessed (baseline gaps without evidence in the follow-up, "
            f"neither closed nor persisting): {', '.join(c['no_longer_assessed'])}"
        )
    plan = c.get("actions")
    if plan:
        state = "statuses read" if plan["read"] else "no statuses read"
        out += ["", f"Client action plan: {plan['file']} ({state})"]
        out += [f"  note: {printable(n)}" for n in plan["notes"]]
    return "\n".join(out)


def _client(g: dict) -> str:
    """What the client recorded for a gap, when an action plan was read."""
    if "action" not in g:
        return ""
    a = g["action"]
    if a is None:
        return "  client: not in the plan"
    said = a["status"] or "no status"
    return f"  client: {said}" + (f", owner {printable(a['owner'])}" if a["owner"] else "")
