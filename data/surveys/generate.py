#!/usr/bin/env python3
"""Generate synthetic survey-tool exports of the demo engagement northwind-2026-09.

Writes the stakeholders' answers (engagements/northwind-2026-09/stakeholders.csv and
ratings.csv, rulebook paos-v1) as four survey tools export them:

    northwind-qualtrics.csv       Qualtrics "CSV, choice text": three header rows
    northwind-google-forms.csv    Google Forms responses CSV (grid rows per dimension)
    northwind-ms-forms.xlsx       Microsoft Forms responses workbook (sheet Sheet1)
    northwind-surveymonkey.csv    SurveyMonkey "All responses, expanded": two header rows
    northwind-surveymonkey-legacy.csv   the same in SurveyMonkey's older header spelling

Every file holds exactly the demo's ratings and evidence comments, one response per
stakeholder in the demo's order; answer texts and role labels come from
`paos.evidence.vocabulary`, so `paos import` reads them back into evidence that scores
as the demo does. The respondent metadata (names, e-mails, IP addresses, times) is
invented from a seeded random and must never reach an engagement. Deterministic: no
clock, fixed seed; running it twice gives byte-identical files.

    PYTHONPATH=. .venv/bin/python data/surveys/generate.py [--out DIR]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere in the checkout
    sys.path.insert(0, str(ROOT))

import openpyxl  # noqa: E402

from paos._files import workbook_bytes  # noqa: E402
from paos.base.rulebook import Signal, load_rulebook  # noqa: E402
from paos.evidence.vocabulary import CANNOT_JUDGE, choice_text, role_label  # noqa: E402

SEED = "paos-surveys-v1"
RULEBOOK = "paos-v1"
DEMO = ROOT / "data" / "engagements" / "northwind-2026-09"
FIXED_TIME = dt.datetime(2026, 9, 14, 17, 0, 0)  # the workbook's properties and zip entries
FIRST_START = dt.datetime(2026, 9, 8, 9, 12, 0)  # the first response; the others follow
ROLE_QUESTION = "What is your role?"
# A stakeholder whose perspective is given explicitly (role `other`) answers one more
# question, headed `perspective`, in every format; blank for everybody else.
PERSPECTIVE_QUESTION = "perspective"
DONT_KNOW = "Don't know"  # SurveyMonkey's "no rating" choice

FIRST_NAMES = ["Alex", "Robin", "Sam", "Kim", "Jo", "Charlie", "Noa", "Elia", "Mika", "Toni"]
LAST_NAMES = ["Example", "Sample", "Muster", "Placeholder", "Fictive", "Testwell", "Dummy"]


@dataclass(frozen=True)
class Respondent:
    """One stakeholder of the demo as a survey respondent (fake metadata)."""

    stakeholder_id: str
    role: str
    perspective: str
    first: str
    last: str
    email: str
    ip: str
    start: dt.datetime
    seconds: int


def demo() -> tuple[list[dict[str, str]], dict[tuple[str, str], tuple[str, str]]]:
    """The demo's stakeholders (in file order) and its (rating, evidence) by
    (stakeholder, signal), as the text the CSV files hold."""
    with open(DEMO / "stakeholders.csv", newline="", encoding="utf-8") as fh:
        people = list(csv.DictReader(fh))
    with open(DEMO / "ratings.csv", newline="", encoding="utf-8") as fh:
        answers = {
            (r["stakeholder_id"], r["signal_id"]): (r["rating"], r["evidence"])
            for r in csv.DictReader(fh)
        }
    return people, answers


def respondents(people: list[dict[str, str]]) -> list[Respondent]:
    rng = random.Random(SEED)
    out, start = [], FIRST_START
    for person in people:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        out.append(
            Respondent(
                stakeholder_id=person["stakeholder_id"],
                role=person["role"],
                perspective=person.get("perspective") or "",
                first=first,
                last=last,
                email=f"{first.lower()}.{last.lower()}{rng.randint(10, 99)}@respondents.example",
                ip=f"198.51.100.{rng.randint(2, 254)}",  # TEST-NET-2, never routed
                start=start,
                seconds=rng.randint(420, 1500),
            )
        )
        start += dt.timedelta(hours=rng.randint(2, 30), minutes=rng.randint(0, 59))
    return out


def rating_choice(signal: Signal, rating: str) -> str:
    """The choice text of a rating (Qualtrics, Google Forms); "Cannot judge" for none."""
    return choice_text(int(rating), signal.rubric[int(rating)]) if rating else CANNOT_JUDGE


def with_perspective(people: list[Respondent]) -> bool:
    return any(p.perspective for p in people)


def csv_bytes(rows: list[list[object]], bom: bool) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(
        [["" if v is None else v for v in row] for row in rows]
    )
    return buf.getvalue().encode("utf-8-sig" if bom else "utf-8")


# --- Qualtrics ------------------------------------------------------------------------

QUALTRICS_META = [  # column id, question text (row 2), ImportId (row 3)
    ("StartDate", "Start Date", "startDate"),
    ("EndDate", "End Date", "endDate"),
    ("Status", "Response Type", "status"),
    ("IPAddress", "IP Address", "ipAddress"),
    ("Progress", "Progress", "progress"),
    ("Duration (in seconds)", "Duration (in seconds)", "duration"),
    ("Finished", "Finished", "finished"),
    ("RecordedDate", "Recorded Date", "recordedDate"),
    ("ResponseId", "Response ID", "_recordId"),
    ("RecipientLastName", "Recipient Last Name", "recipientLastName"),
    ("RecipientFirstName", "Recipient First Name", "recipientFirstName"),
    ("RecipientEmail", "Recipient Email", "recipientEmail"),
    ("ExternalReference", "External Data Reference", "externalDataReference"),
    ("LocationLatitude", "Location Latitude", "locationLatitude"),
    ("LocationLongitude", "Location Longitude", "locationLongitude"),
    ("DistributionChannel", "Distribution Channel", "distributionChannel"),
    ("UserLanguage", "User Language", "userLanguage"),
]


def qualtrics(people, answers, signals) -> bytes:
    ids = [m[0] for m in QUALTRICS_META] + ["role"]
    texts = [m[1] for m in QUALTRICS_META] + [ROLE_QUESTION]
    imports = [m[2] for m in QUALTRICS_META] + ["QID1"]
    if with_perspective(people):
        ids.append("perspective")
        texts.append(PERSPECTIVE_QUESTION)
        imports.append("QID2_TEXT")
    for n, s in enumerate(signals, start=3):
        ids += [s.id, f"{s.id}_why"]
        texts += [s.question, "Why?"]
        imports += [f"QID{2 * n}", f"QID{2 * n + 1}_TEXT"]
    rows: list[list[object]] = [
        ids,
        texts,
        [json.dumps({"ImportId": i}, separators=(",", ":")) for i in imports],
    ]
    rng = random.Random(SEED + "/qualtrics")
    for p in people:
        end = p.start + dt.timedelta(seconds=p.seconds)
        stamp = "%Y-%m-%d %H:%M:%S"
        row: list[object] = [
            p.start.strftime(stamp),
            end.strftime(stamp),
            "IP Address",
            p.ip,
            "100",
            str(p.seconds),
            "True",
            end.strftime(stamp),
            "R_"
            + "".join(
                rng.choice("0123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ")
                for _ in range(15)
            ),
            p.last,
            p.first,
            p.email,
            p.stakeholder_id,
            f"{rng.uniform(47.0, 54.0):.4f}",
            f"{rng.uniform(6.0, 14.0):.4f}",
            "email",
            "EN",
            role_label(p.role),
        ]
        if with_perspective(people):
            row.append(p.perspective)
        for s in signals:
            rating, evidence = answers.get((p.stakeholder_id, s.id), (None, ""))
            row += ["" if rating is None else rating_choice(s, rating), evidence]
        rows.append(row)
    return csv_bytes(rows, bom=True)


# --- Google Forms ----------------------------------------------------------------------


def google_forms(people, answers, signals, dimensions) -> bytes:
    head = ["Timestamp", "Email Address", ROLE_QUESTION]
    if with_perspective(people):
        head.append(PERSPECTIVE_QUESTION)
    for s in signals:
        head += [f"{dimensions[s.dimension]} [{s.question}]", f"Why? {s.question}"]
    rows: list[list[object]] = [head]
    for p in people:
        end = p.start + dt.timedelta(seconds=p.seconds)
        row: list[object] = [
            end.strftime("%Y/%m/%d %-I:%M:%S %p GMT+2"),
            p.email,
            role_label(p.role),
        ]
        if with_perspective(people):
            row.append(p.perspective)
        for s in signals:
            rating, evidence = answers.get((p.stakeholder_id, s.id), (None, ""))
            row += ["" if rating is None else rating_choice(s, rating), evidence]
        rows.append(row)
    return csv_bytes(rows, bom=False)


# --- Microsoft Forms -------------------------------------------------------------------


def ms_forms(people, answers, signals) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    head = ["ID", "Start time", "Completion time", "Email", "Name", "Last modified time"]
    head.append(ROLE_QUESTION)
    if with_perspective(people):
        head.append(PERSPECTIVE_QUESTION)
    for n, s in enumerate(signals, start=1):
        head += [f"{n}. {s.question}", f"Comment: {s.question}"]
    ws.append(head)
    for i, p in enumerate(people, start=1):
        end = p.start + dt.timedelta(seconds=p.seconds)
        row: list[object] = [i, p.start, end, p.email, f"{p.first} {p.last}", None]
        row.append(role_label(p.role))
        if with_perspective(people):
            row.append(p.perspective or None)
        for s in signals:
            rating, evidence = answers.get((p.stakeholder_id, s.id), (None, ""))
            row += [int(rating) if rating else None, evidence or None]
        ws.append(row)
    for cells in ws.iter_cols(min_col=2, max_col=3, min_row=2):
        for c in cells:
            c.number_format = "m/d/yy h:mm:ss"
    wb.properties.creator = "Microsoft Forms"
    wb.properties.lastModifiedBy = "PAOS survey generator"
    # openpyxl's save stamps the clock into the properties and the zip entries: write
    # through ExcelWriter, then re-pack with fixed entry times (as data/generate_demo.py).
    return workbook_bytes(wb, FIXED_TIME)


# --- SurveyMonkey ----------------------------------------------------------------------

SURVEYMONKEY_META = [
    "Respondent ID",
    "Collector ID",
    "Start Date",
    "End Date",
    "IP Address",
    "Email Address",
    "First Name",
    "Last Name",
    "Custom Data 1",
]
# The older spelling of the same columns (exports from before SurveyMonkey's redesign).
SURVEYMONKEY_LEGACY_META = [
    "RespondentID",
    "CollectorID",
    "StartDate",
    "EndDate",
    "IPAddress",
    "Email",
    "FirstName",
    "LastName",
    "CustomData",
]


def surveymonkey(people, answers, signals, levels, meta=SURVEYMONKEY_META) -> bytes:
    first = [*meta, ROLE_QUESTION]
    second: list[object] = [None] * len(meta) + ["Response"]
    if with_perspective(people):
        first.append(PERSPECTIVE_QUESTION)
        second.append("Open-Ended Response")
    for n, s in enumerate(signals, start=1):
        first += [f"Q{n}. {s.question}", "Why?"]
        second += ["Response", "Open-Ended Response"]
    rows: list[list[object]] = [first, second]
    rng = random.Random(SEED + "/surveymonkey")
    respondent = 118_400_000_000 + rng.randint(0, 9_999_999)
    for p in people:
        respondent += rng.randint(1, 40)
        end = p.start + dt.timedelta(seconds=p.seconds)
        stamp = "%m/%d/%Y %I:%M:%S %p"
        row: list[object] = [
            str(respondent),
            "431977205",
            p.start.strftime(stamp),
            end.strftime(stamp),
            p.ip,
            p.email,
            p.first,
            p.last,
            p.stakeholder_id,
            role_label(p.role),
        ]
        if with_perspective(people):
            row.append(p.perspective)
        for s in signals:
            rating, evidence = answers.get((p.stakeholder_id, s.id), (None, ""))
            answer = "" if rating is None else (levels[int(rating)] if rating else DONT_KNOW)
            row += [answer, evidence]
        rows.append(row)
    return csv_bytes(rows, bom=True)


def files() -> dict[str, bytes]:
    """Each export's file name and bytes."""
    rulebook = load_rulebook(RULEBOOK)
    signals = list(rulebook.signals)
    dimensions = {d.id: d.name for d in rulebook.dimensions}
    levels = {int(k): v["name"] for k, v in rulebook["rating_scale"]["levels"].items()}
    people_rows, answers = demo()
    people = respondents(people_rows)
    return {
        "northwind-qualtrics.csv": qualtrics(people, answers, signals),
        "northwind-google-forms.csv": google_forms(people, answers, signals, dimensions),
        "northwind-ms-forms.xlsx": ms_forms(people, answers, signals),
        "northwind-surveymonkey.csv": surveymonkey(people, answers, signals, levels),
        "northwind-surveymonkey-legacy.csv": surveymonkey(
            people, answers, signals, levels, SURVEYMONKEY_LEGACY_META
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=HERE, help="output folder (default: data/surveys)"
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in files().items():
        (args.out / name).write_bytes(data)
        print(args.out / name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
