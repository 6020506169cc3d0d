"""Custom rulebooks: a tailored copy of a rulebook, checked against the one it came from.

`new_rulebook("acme-v1", "paos-v1", "rulebooks")` writes `rulebooks/acme-v1.yaml`: the
parent's text (its comments kept) with the new id, a comment header, and a
top-level key naming the parent exactly:

    parent: {id: paos-v1, sha256: <sha256 of the parent file's bytes>}

`check_rulebook(path)` validates the file (every problem, one line each, as
`RulebookError`) and lists what differs from that parent in methodology terms
("FIT-01 threshold 2.75 → 3.0"). The parent is found by its id (a bundled
rulebook, or `<id>.yaml` next to the file) and must have the recorded sha256,
or be named with `against`: a parent is never guessed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from paos._defaults import ID_PATTERN
from paos.base.readonly import thaw
from paos.base.rulebook import (
    RULEBOOK_DIR,
    Rulebook,
    bundled_id,
    known_rulebooks,
    load_rulebook,
    same_id,
)
from paos.base.rulebook_rules import metric_perspectives
from paos.errors import FaultError, PaosError, RulebookError, printable


def _valid_id(new_id: str) -> None:
    if not re.fullmatch(ID_PATTERN, new_id):
        raise PaosError(
            f"rulebook id {printable(new_id)!r} is not valid: letters, digits, '.', '_' "
            "and '-', starting with a letter or digit, at most 64 characters"
        )
    if (bundled := bundled_id(new_id)) == new_id:
        raise PaosError(f"rulebook id {new_id!r} is a bundled rulebook; choose another id")
    if bundled:
        raise PaosError(
            f"rulebook id {new_id!r} is the bundled rulebook {bundled} (ids are compared "
            "case-insensitively); choose another id"
        )


def _header(new_id: str, parent: Rulebook, ref: str, target: Path) -> list[str]:
    return [
        f"# PAOS rulebook {new_id}: a tailored copy of rulebook {parent.id}.",
        "#",
        f"# Made by `paos rulebook new {new_id} --from {ref}` on {dt.date.today().isoformat()}",
        f"# from {parent.id}, sha256 {parent.sha256}.",
        "# Edit thresholds, weights, phases, severity names and texts below. Keep `id`",
        "# unique to this methodology and leave `parent` as it is: it names the exact",
        "# file this copy started from, so the check below can list what you changed.",
        "#",
        "# Check it (every problem at once, then what differs from the parent):",
        f"#   paos rulebook check {target}",
        "# Score with it:",
        f"#   paos score ENGAGEMENT --rulebook {target}",
        "# Results record this file's id and sha256: after an edit, check and rescore.",
    ]


def _derived_text(parent: Rulebook, text: str, new_id: str, header: list[str]) -> str:
    """The parent's text with the new header, id and parent line; its other comments
    stay. Falls back to a plain dump of the data if the text cannot be edited safely."""
    lines = text.splitlines()
    start = 0
    while start < len(lines) and (not lines[start].strip() or lines[start].startswith("#")):
        start += 1
    body = "\n".join(lines[start:]) + "\n"
    body = re.sub(r"^parent:[^\n]*\n(?:[ \t]+[^\n]*\n)*", "", body, flags=re.M)
    parent_line = f"parent: {{id: {parent.id}, sha256: {parent.sha256}}}"
    body, n = re.subn(
        r"^id:[^\n]*$", lambda _: f"id: {new_id}\n{parent_line}", body, count=2, flags=re.M
    )
    want = {**parent.to_dict(), "id": new_id, "parent": {"id": parent.id, "sha256": parent.sha256}}
    out = "\n".join(header) + "\n" + body
    try:
        ok = n == 1 and yaml.safe_load(out) == want
    except yaml.YAMLError:
        ok = False
    if not ok:
        out = "\n".join(header) + "\n" + yaml.safe_dump(want, sort_keys=False, allow_unicode=True)
    return out


def new_rulebook(new_id: str, parent_ref: str | Path, out_dir: str | Path = ".") -> Path:
    """Write `<out_dir>/<new_id>.yaml`, an editable copy of rulebook `parent_ref` (id or
    path) with the new id and its parent recorded; returns the path. Refuses a bad id
    and an existing file (nothing is overwritten)."""
    _valid_id(new_id)
    parent = load_rulebook(parent_ref)
    if same_id(new_id, parent.id):
        raise PaosError(f"rulebook id {new_id!r} is the parent's id; choose another id")
    target = Path(out_dir) / f"{new_id}.yaml"
    if target.exists() or target.is_symlink():
        raise PaosError(
            f"{target}: already exists; paos never overwrites a file: choose another id "
            "or --out folder"
        )
    try:
        data = parent.path.read_bytes()
    except OSError as exc:
        raise FaultError(f"{parent.path}: cannot read the parent rulebook ({exc})") from None
    if hashlib.sha256(data).hexdigest() != parent.sha256:
        raise FaultError(f"{parent.path}: changed while it was read; run the command again")
    text = _derived_text(
        parent, data.decode("utf-8"), new_id, _header(new_id, parent, str(parent_ref), target)
    )
    try:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        with open(target, "x", encoding="utf-8", newline="\n") as fh:
            try:
                fh.write(text)
            except BaseException:
                target.unlink(missing_ok=True)  # the partial file this call created
                raise
    except FileExistsError:
        raise PaosError(
            f"{target}: already exists; paos never overwrites a file: choose another id "
            "or --out folder"
        ) from None
    except OSError as exc:
        raise FaultError(f"{target}: cannot write the rulebook ({exc.strerror or exc})") from None
    load_rulebook(target)  # what was written loads, or this is a bug worth a clear error
    return target


# --- check: what differs, in methodology terms ----------------------------------


@dataclass
class RulebookCheck:
    book: Rulebook
    parent: Rulebook | None = None
    parent_from: str = ""  # how the parent was found: "bundled", a path, "--against"
    differences: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _find_parent(book: Rulebook) -> tuple[Rulebook, str]:
    rec = book.parent
    assert rec is not None
    candidates = []
    if rec["id"] in known_rulebooks():
        candidates.append(RULEBOOK_DIR / f"{rec['id']}.yaml")
    sibling = book.path.parent / f"{rec['id']}.yaml"
    if sibling.exists() and sibling.resolve() != book.path.resolve():
        candidates.append(sibling)
    if not candidates:
        raise RulebookError(
            f"rulebook {book.path.name}: parent {rec['id']!r} not found (not bundled, no "
            f"{rec['id']}.yaml next to this file); pass --against PATH"
        )
    seen = []
    for cand in candidates:
        par = load_rulebook(cand)
        if par.sha256 == rec["sha256"] and par.id == rec["id"]:
            where = "bundled" if cand.parent == RULEBOOK_DIR else str(cand)
            return par, where
        seen.append(f"{cand} has sha256 {par.sha256[:12]}…")
    raise RulebookError(
        f"rulebook {book.path.name}: parent {rec['id']} sha256 {rec['sha256'][:12]}… not "
        f"found: {'; '.join(seen)}, so it changed since this copy was made; pass --against "
        "the original file"
    )


def check_rulebook(ref: str | Path, against: str | Path | None = None) -> RulebookCheck:
    """Validate rulebook `ref` (raises `RulebookError` with every problem, one line
    each) and list what differs from its recorded parent, or from `against`."""
    book = load_rulebook(ref)
    out = RulebookCheck(book)
    if against is not None:
        out.parent, out.parent_from = load_rulebook(against), "--against"
        rec = book.parent
        if rec and (rec["id"], rec["sha256"]) != (out.parent.id, out.parent.sha256):
            out.notes.append(
                f"note: compared with {out.parent.id} sha256 {out.parent.sha256[:12]}…, "
                f"not the recorded parent {rec['id']} sha256 {rec['sha256'][:12]}…"
            )
    elif book.parent:
        out.parent, out.parent_from = _find_parent(book)
    else:
        out.notes.append(
            "no parent recorded (not made by `paos rulebook new`); pass --against ID|PATH "
            "to list what differs"
        )
    if out.parent is not None:
        out.differences = differences(out.parent.raw, book.raw)
    return out


def check_text(c: RulebookCheck) -> str:
    lines = [f"{c.book.path}: valid rulebook {c.book.id} (sha256 {c.book.sha256[:12]}…)"]
    lines += c.notes
    if c.parent is not None:
        where = f", {c.parent_from}" if c.parent_from else ""
        head = f"{c.parent.id} (sha256 {c.parent.sha256[:12]}…{where})"
        if c.differences:
            lines.append(f"Differs from {head} in {len(c.differences)} way(s):")
            lines += [f"  {d}" for d in c.differences]
        else:
            lines.append(f"No methodology difference from {head}.")
    return "\n".join(printable(line) for line in lines)


def _v(x: object) -> str:
    if isinstance(x, list):
        return ", ".join(_v(i) for i in x) if x else "(none)"
    return str(x)


def _by(items: list[dict], key: str) -> dict:
    return {i[key]: i for i in items}


def _text(what: str, a: object, b: object) -> str:
    short = all(isinstance(x, str) and len(x) <= 80 for x in (a, b))
    return f"{what} {a!r} → {b!r}" if short else f"{what} changed"


def differences(old: Mapping, new: Mapping) -> list[str]:
    """What differs from `old` to `new` (parsed rulebooks), one line per change in
    methodology terms, in the order of the rulebook. Either may be a loaded rulebook's
    read-only `raw`: both are compared as plain copies (a tuple never equals a list)."""
    old, new = thaw(old), thaw(new)
    out: list[str] = []
    add = out.append

    def num(what: str, a, b) -> None:
        if a != b:
            add(f"{what} {_v(a)} → {_v(b)}")

    def text(what: str, a, b) -> None:
        if a != b:
            add(_text(what, a, b))

    text("title", old["title"], new["title"])
    num("version", old["version"], new["version"])
    num("comparison decimals", old["comparison_decimals"], new["comparison_decimals"])
    num("display decimals", old["display_decimals"], new["display_decimals"])
    so, sn = old["rating_scale"], new["rating_scale"]
    if (so["min"], so["max"]) != (sn["min"], sn["max"]):
        add(f"rating scale {so['min']}..{so['max']} → {sn['min']}..{sn['max']}")
    for lvl in sorted(set(so["levels"]) | set(sn["levels"])):
        a, b = so["levels"].get(lvl), sn["levels"].get(lvl)
        if a and b:
            if a["name"] != b["name"]:
                add(f"rating level {lvl} renamed {b['name']} (was {a['name']})")
            text(f"rating level {lvl} meaning", a["meaning"], b["meaning"])
    for t in sorted(set(old["tiers"]) | set(new["tiers"])):
        a, b = old["tiers"].get(t), new["tiers"].get(t)
        if a is None or b is None:
            add(f"tier {t} {b} added" if a is None else f"tier {t} {a} removed")
        elif a != b:
            add(f"tier {t} renamed {b} (was {a})")
    _perspectives(old, new, add, num, text)
    dvo, dvn = old["divergence"], new["divergence"]
    bs, hs = "blind_spot_at_or_above", "hidden_strength_at_or_below"
    num("blind spot at divergence >=", dvo[bs], dvn[bs])
    num("hidden strength at divergence <=", dvo[hs], dvn[hs])
    ag = {"null_variance": "null variance", "min_ratings": "minimum ratings"}
    for k, name in ag.items():
        num(f"agreement {name}", old["agreement"][k], new["agreement"][k])
    lc = "low_consensus_below"
    num("low consensus below agreement", old["agreement"][lc], new["agreement"][lc])
    vm = "validated_min_perspectives"
    num("validated from perspectives", old[vm], new[vm])
    num("minimum dimension coverage", old["min_coverage"], new["min_coverage"])
    rename = _severity(old, new, add)
    esc_o, esc_n = old["escalation"], new["escalation"]
    text("escalation of", esc_o["divergence_class"], esc_n["divergence_class"])
    num("escalation levels", esc_o["levels"], new["escalation"]["levels"])
    prio = _phases(old, new, add)
    _priority(old, new, add, rename, prio)
    _bands(old["maturity"], new["maturity"], "maturity band", "min", add)
    _metrics(old, new, add, text)
    sc_o, sc_n = old["screening"], new["screening"]
    cab = "constraint_at_or_below"
    num("screening constraint at or below", sc_o[cab], sc_n[cab])
    for k in ("recommendation_if_constraint", "recommendation_otherwise"):
        text(f"screening {k.replace('_', ' ')}", sc_o[k], sc_n[k])
    am = "anonymity_min_role_group"
    num("quotes attributed by role from stakeholders sharing it", old[am], new[am])
    gm = "gap_evidence_max_rating"
    num("gap evidence: ratings at or below", old[gm], new[gm])
    bm = "benchmark_min_peers"
    num("benchmark minimum peers", old[bm], new[bm])
    if old["company_stages"] != new["company_stages"]:
        add(f"company stages {_v(old['company_stages'])} → {_v(new['company_stages'])}")
    _dimensions(old, new, add, num, text)
    return out


def _perspectives(old, new, add, num, text) -> None:
    po, pn = old["perspectives"], new["perspectives"]
    for name in [*po, *[n for n in pn if n not in po]]:
        if name not in pn or name not in po:
            add(f"perspective {name} {'removed' if name not in pn else 'added'}")
            continue
        num(f"{name} weight", po[name]["weight"], pn[name]["weight"])
    where_o = {r.lower(): n for n, p in po.items() for r in p["roles"]}
    where_n = {r.lower(): n for n, p in pn.items() for r in p["roles"]}
    for role in [*where_o, *[r for r in where_n if r not in where_o]]:
        a, b = where_o.get(role), where_n.get(role)
        if a != b:
            if a is None:
                add(f"role {role} added to {b}")
            elif b is None:
                add(f"role {role} removed (was {a})")
            else:
                add(f"role {role} moved from {a} to {b}")
    text("strategic perspective", old["strategic_perspective"], new["strategic_perspective"])
    text("metric perspective", _metric(old), _metric(new))
    for k in ("stakeholder_perspectives", "roles_requiring_perspective"):
        if old[k] != new[k]:
            add(f"{k.replace('_', ' ')} {_v(old[k])} → {_v(new[k])}")


def _metric(raw: dict) -> str:
    """The metric perspective of a valid parsed rulebook (named, or its one candidate)."""
    return raw.get("metric_perspective") or metric_perspectives(raw)[0]


def _severity(old, new, add) -> dict[str, str]:
    """Severity bands by position (they are ordered): renames and shortfalls. Returns
    the rename map old name -> new name."""
    rename = {}
    bo, bn = old["severity"], new["severity"]
    for a, b in zip(bo, bn):
        rename[a["name"]] = b["name"]
        if a["name"] != b["name"]:
            add(f"severity {a['name']} renamed {b['name']}")
        if a["min_shortfall"] != b["min_shortfall"]:
            add(f"severity {b['name']} from shortfall {a['min_shortfall']} → {b['min_shortfall']}")
    for b in bn[len(bo) :]:
        add(f"severity band {b['name']} added (from shortfall {b['min_shortfall']})")
    for a in bo[len(bn) :]:
        add(f"severity band {a['name']} removed")
    return rename


def _phases(old, new, add) -> dict[str, str]:
    """Phases by number. Returns the priority rename map (old name -> new name)."""
    po, pn = _by(old["phases"], "phase"), _by(new["phases"], "phase")
    prio = {}
    for n in sorted(set(po) | set(pn)):
        a, b = po.get(n), pn.get(n)
        if a is None:
            add(f"phase {n} added ({pn[n]['name']})")
            continue
        if b is None:
            add(f"phase {n} removed")
            continue
        prio[a["priority"]] = b["priority"]
        if a["priority"] != b["priority"]:
            add(f"phase {n} holds priority {b['priority']} (was {a['priority']})")
        if a["name"] != b["name"]:
            add(f"phase {n} named {b['name']} (was {a['name']})")
        if a["start_day"] != b["start_day"]:
            add(f"phase {n} starts on day {b['start_day']} (was {a['start_day']})")
        if a["end_day"] != b["end_day"]:
            add(f"phase {n} ends on day {b['end_day']} (was {a['end_day']})")
    return prio


def _priority(old, new, add, rename, prio) -> None:
    """Priority of each (severity, tier), old names mapped through the renames."""

    def table(rules, sev=None, pr=None):
        return {
            ((sev or {}).get(r["severity"], r["severity"]), t): (pr or {}).get(
                r["priority"], r["priority"]
            )
            for r in rules
            for t in r["tiers"]
        }

    a, b = table(old["priority"], rename, prio), table(new["priority"])
    for key in [*a, *[k for k in b if k not in a]]:
        if a.get(key) != b.get(key):
            sev, tier = key
            add(f"priority of {sev} gaps in tier {tier} {a.get(key, '(none)')} → {b.get(key)}")


def _bands(bo, bn, what, key, add) -> None:
    for a, b in zip(bo, bn):
        if a["name"] != b["name"]:
            add(f"{what} {a['name']} renamed {b['name']}")
        if a[key] != b[key]:
            add(f"{what} {b['name']} from {a[key]} → {b[key]}")
    for b in bn[len(bo) :]:
        add(f"{what} {b['name']} added (from {b[key]})")
    for a in bo[len(bn) :]:
        add(f"{what} {a['name']} removed")


def _metrics(old, new, add, text) -> None:
    mo, mn = _by(old["metrics"], "id"), _by(new["metrics"], "id")
    for mid in [*mo, *[m for m in mn if m not in mo]]:
        a, b = mo.get(mid), mn.get(mid)
        if a is None or b is None:
            add(f"metric {mid} {'added' if a is None else 'removed'}")
            continue
        for k, name in (("signal", "signal"), ("unit", "unit"), ("direction", "direction")):
            text(f"metric {mid} {name}", a[k], b[k])
        if a["cuts"] != b["cuts"]:
            add(f"metric {mid} cut points {_v(a['cuts'])} → {_v(b['cuts'])}")


def _dimensions(old, new, add, num, text) -> None:
    do, dn = _by(old["dimensions"], "id"), _by(new["dimensions"], "id")
    for did in [*do, *[d for d in dn if d not in do]]:
        a, b = do.get(did), dn.get(did)
        if a is None or b is None:
            add(f"dimension {did} {'added' if a is None else 'removed'}")
            continue
        text(f"{did} name", a["name"], b["name"])
        text(f"{did} decides", a["decides"], b["decides"])
        num(f"{did} tier", a["tier"], b["tier"])
        num(f"{did} weight", a["weight"], b["weight"])
        text(f"{did} module", a["module"], b["module"])
        text(f"{did} screening question", a["screening_question"], b["screening_question"])
    if [d for d in do if d in dn] != [d for d in dn if d in do]:
        add(f"dimension order {_v(list(do))} → {_v(list(dn))}")
    so = {s["id"]: (d["id"], s) for d in old["dimensions"] for s in d["signals"]}
    sn = {s["id"]: (d["id"], s) for d in new["dimensions"] for s in d["signals"]}
    for sid in [*so, *[s for s in sn if s not in so]]:
        if sid not in sn or sid not in so:
            add(f"signal {sid} {'added' if sid not in so else 'removed'}")
            continue
        (da, a), (db, b) = so[sid], sn[sid]
        if da != db:
            add(f"{sid} moved from {da} to {db}")
        text(f"{sid} name", a["name"], b["name"])
        num(f"{sid} threshold", a["threshold"], b["threshold"])
        num(f"{sid} weight", a["weight"], b["weight"])
        text(f"{sid} question", a["question"], b["question"])
        for lvl in sorted(set(a["rubric"]) | set(b["rubric"])):
            if a["rubric"].get(lvl) != b["rubric"].get(lvl):
                add(f"{sid} rubric level {lvl} changed")
