"""Issue 16, `paos import`: every respondent counts once (an overlapping or repeated
export is recognised, never renamed and counted again), two respondents never become
one, personal data stays out whatever its header says, and evidence keeps what the
respondent wrote (formula safety belongs to the files made for a spreadsheet)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paos.cli import app
from paos.deliverables.report import deliverable, save_results
from paos.evidence.surveys import import_export, summary_text
from tests.test_import import RB, SIG, csv_file, files, imported, qualtrics, refused

ANSWERS = [
    {"Q1": role, "Q2": str(n % 4 + 1), "Q3_1": "Defined", "FIT-03": str((n + 1) % 4 + 1)}
    for n, role in enumerate(
        ["CEO", "Sales", "Sales", "Partner", "RevOps", "Partner Manager", "CFO", "Partner"]
    )
]


def _ids(folder) -> list[str]:
    return sorted(imported(folder)[0])


# --- every respondent counts once ---------------------------------------------------


def test_respondents_counted_once_when_an_overlapping_export_is_appended(eng, tmp_path):
    """The first 3 responses imported, then the whole export appended: the 3 are
    recognised (same response ids, same answers) and skipped with a line saying so;
    only the 5 new ones are added. Appending the same export again adds nothing."""
    import_export(qualtrics(tmp_path / "first.csv", ANSWERS[:3]), eng)
    whole = qualtrics(tmp_path / "whole.csv", ANSWERS)
    result = import_export(whole, eng, append=True)
    assert result.invalid == []
    assert _ids(eng) == [f"qx-R_{n:04d}xYz" for n in range(1, 9)]
    text = summary_text(result)
    assert "5 respondents imported" in text
    assert (
        "  already imported, skipped: 3 responses with the same answers "
        "(qx-R_0001xYz .. qx-R_0003xYz)"
    ) in text
    before = files(eng)
    again = import_export(whole, eng, append=True)
    assert files(eng) == before, "appending the same export twice changed the evidence"
    assert len(again.responses.people) == 0
    assert "already imported, skipped: 8 responses" in summary_text(again)
    people, ratings = imported(eng)
    assert len(people) == 8 and len(ratings) == 8 * 3


def test_the_cli_says_what_it_skipped(eng, tmp_path):
    export = qualtrics(tmp_path / "whole.csv", ANSWERS[:2])
    import_export(export, eng)
    r = CliRunner().invoke(app, ["import", str(export), "--into", str(eng), "--append"])
    assert r.exit_code == 0, r.output
    assert "nothing new: every response of this export was imported before" in r.output
    assert "already imported, skipped: 2 responses with the same answers" in r.output


def test_a_respondent_already_imported_with_other_answers_is_refused(eng, tmp_path):
    import_export(qualtrics(tmp_path / "first.csv", ANSWERS[:3]), eng)
    changed = [dict(a) for a in ANSWERS]
    changed[1]["Q2"] = "1"  # R_0002 answered FIT-01 with 2 then; this export says 1
    text = refused(eng, qualtrics(tmp_path / "later.csv", changed), append=True)
    assert (
        "line 5, column ResponseId: 'R_0002xYz' was imported before as stakeholder "
        "qx-R_0002xYz with other answers (FIT-01: 2 there, 1 here); a respondent counts "
        "once: remove the response from this export, or, if these are the newer answers, "
        "delete the rows of stakeholder qx-R_0002xYz from stakeholders.csv and "
        "ratings.csv first"
    ) in text


def test_a_second_form_numbering_its_responses_alike_needs_a_prefix_of_its_own(eng, tmp_path):
    """Microsoft Forms numbers each form's responses 1, 2, ...: a second form's
    response 1 is not the first form's, and paos cannot tell that from an edited
    response; refused, then imported with a prefix of its own."""
    head = ["ID", "Start time", "Completion time", "What is your role?", "FIT-01"]
    internal = csv_file(tmp_path / "internal.csv", [head, ["1", "t", "t", "CEO", "3"]])
    partners = csv_file(tmp_path / "partners.csv", [head, ["1", "t", "t", "Partner", "2"]])
    import_export(internal, eng)
    refused(eng, partners, "give it a --prefix of its own", append=True)
    import_export(partners, eng, append=True, prefix="partner")
    assert _ids(eng) == ["ms-1", "partner-1"]


def test_a_respondent_imported_under_another_prefix_is_recognised(eng, tmp_path):
    """A response id is the respondent's whatever the prefix: the same export again
    without the prefix used then adds nothing."""
    export = qualtrics(tmp_path / "whole.csv", ANSWERS[:2])
    import_export(export, eng, prefix="internal")
    result = import_export(export, eng, append=True)
    assert result.responses.skipped == ["internal-R_0001xYz", "internal-R_0002xYz"]
    assert _ids(eng) == ["internal-R_0001xYz", "internal-R_0002xYz"]


def test_an_identical_response_without_a_response_id_is_refused_on_append(eng, tmp_path):
    """Google Forms has no response id: a row number is no identity, so a second
    export's rows get ids of their own (gf2-1); a response that answers exactly as one
    already imported (the same export appended again) is refused, not counted twice."""
    header = ["Timestamp", "Role", f"FIT-01 {SIG['FIT-01'].question}", "FIT-01 why"]
    rows = [["2026/02/01 10:00:00", "CEO", "3", "we have a profile"]]
    rows.append(["2026/02/01 11:00:00", "Sales", "2", ""])
    export = csv_file(tmp_path / "forms.csv", [header, *rows])
    import_export(export, eng)
    text = refused(eng, export, append=True)
    assert (
        "line 2: answers exactly as stakeholder gf-1 already in the engagement (role, "
        "ratings and comments), whose response is not in this export under its id: paos "
        "cannot tell another respondent who answered alike from the same response "
        "imported again under another id or row number; remove the response from this "
        "export, or, if you know it is another respondent, import with --allow-identical"
    ) in text
    other = csv_file(tmp_path / "other.csv", [header, ["2026/03/01 10:00:00", "CEO", "4", ""]])
    import_export(other, eng, append=True)
    assert _ids(eng) == ["gf-1", "gf-2", "gf2-1"]


# --- two respondents never become one -------------------------------------------------


def test_response_ids_differing_after_64_characters_stay_two_respondents(eng, tmp_path):
    long = "R_" + "a" * 70
    export = qualtrics(tmp_path / "long.csv", ANSWERS[:3])
    text = export.read_text(encoding="utf-8-sig")
    text = text.replace("R_0001xYz", long + "X").replace("R_0002xYz", long + "Y")
    export.write_text(text, encoding="utf-8-sig")
    result = import_export(export, eng)
    assert result.invalid == []
    ids = _ids(eng)
    assert len(ids) == 3 and all(len(i) <= 64 for i in ids)
    # the same export again is recognised: its ids are the same
    assert len(import_export(export, eng, append=True).responses.people) == 0


def test_response_ids_that_read_alike_once_cleaned_stay_two_respondents(eng, tmp_path):
    export = qualtrics(tmp_path / "odd.csv", ANSWERS[:2])
    text = export.read_text(encoding="utf-8-sig")
    text = text.replace("R_0001xYz", "R 7").replace("R_0002xYz", "R-7")
    export.write_text(text, encoding="utf-8-sig")
    assert import_export(export, eng).invalid == []
    assert len(_ids(eng)) == 2


def test_a_prefix_that_is_no_id_is_refused(eng, tmp_path):
    """The stakeholders.csv import writes holds ids as made: a --prefix that would
    start them like a formula, or hold spaces, is refused before anything is read."""
    export = qualtrics(tmp_path / "q.csv", ANSWERS[:1])
    for bad in ("=1+1", "a b", "x" * 25):
        refused(eng, export, f"--prefix {bad!r} is not a usable id prefix", prefix=bad)


# --- personal data, whatever the header ---------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "E-Mail-Adresse",
        "Mail",
        "Courriel",
        "Correo electrónico",
        "Name",
        "Vorname",
        "Nachname",
        "Nom",
        "Prénom",
        "Phone number",
        "Telefon",
        "IP",
    ],
)
def test_a_personal_column_mapped_to_the_id_is_refused(eng, tmp_path, header):
    export = csv_file(
        tmp_path / "forms.csv",
        [["Timestamp", header, "Role", "FIT-01"], ["2026/02/01", "p-17", "CEO", "3"]],
    )
    mapping = tmp_path / "map.yaml"
    mapping.write_text(f'columns:\n  "{header}": stakeholder_id\n', encoding="utf-8")
    refused(eng, export, f"column {header}: holds personal data", mapping=mapping)


@pytest.mark.parametrize(
    ("value", "what"),
    [
        ("person0@northwind-analytics.de", "an e-mail address"),
        ("198.51.100.23", "an IP address"),
        ("2001:db8::17", "an IP address"),
    ],
)
def test_a_column_whose_values_are_addresses_is_refused_whatever_its_header(
    eng, tmp_path, value, what
):
    export = csv_file(
        tmp_path / "forms.csv",
        [
            ["Timestamp", "Teilnehmer", "Role", "FIT-01", "Why?"],
            ["2026/02/01", "t-1", "CEO", "3", ""],
            ["2026/02/02", value, "CEO", "2", "ok"],
        ],
    )
    mapping = tmp_path / "map.yaml"
    mapping.write_text("columns:\n  Teilnehmer: stakeholder_id\n", encoding="utf-8")
    text = refused(
        eng, export, f"line 3, column Teilnehmer: holds {what}, personal data", mapping=mapping
    )
    assert value not in text  # the message does not repeat the address
    comment = csv_file(
        tmp_path / "comment.csv",
        [["Timestamp", "Role", "FIT-01", "Why?"], ["2026/02/01", "CEO", "3", value]],
    )
    refused(eng, comment, f"line 2, column Why?: holds {what}, personal data")


def test_a_wide_layout_keyed_by_e_mail_is_refused(eng, tmp_path):
    export = csv_file(
        tmp_path / "wide.csv",
        [["stakeholder_id", "role", "FIT-01"], ["ann@client.example", "ceo", "3"]],
    )
    refused(eng, export, "line 2, column stakeholder_id: holds an e-mail address")


# --- evidence keeps what the respondent wrote ------------------------------------------

FORMULA = "=HYPERLINK(1)"
BULLETS = "- first point\n- second point"


def test_imported_evidence_keeps_the_respondents_text(eng, tmp_path):
    """Issue 16 item 14: ratings.csv is evidence, read back by paos: it holds the
    text as written (no apostrophe to show in HTML and PDF); the deliverable's CSV
    output, made for a spreadsheet, is formula-safe."""
    answers = [
        {"Q1": "CEO", "Q2": "1", "Q2_TEXT": FORMULA, "FIT-03": "1", "FIT-03_why": BULLETS},
        {"Q1": "Sales", "Q2": "1", "FIT-03": "1"},
    ]
    import_export(qualtrics(tmp_path / "q.csv", answers), eng)
    _, ratings = imported(eng)
    assert ratings[("qx-R_0001xYz", "FIT-01")] == (1, FORMULA)
    assert ratings[("qx-R_0001xYz", "FIT-03")] == (1, BULLETS)
    rows = list(csv.reader(io.StringIO((eng / "ratings.csv").read_text(encoding="utf-8"))))
    assert [r[3] for r in rows if r[0] == "qx-R_0001xYz"] == [FORMULA, BULLETS]
    d = deliverable(eng)
    save_results(d, tmp_path / "out")
    gaps = list(csv.DictReader(io.StringIO((tmp_path / "out" / "gaps.csv").read_text())))
    shown = {g["evidence"] for g in gaps if g["evidence"]}
    assert "'" + FORMULA in shown
    assert "'- first point\n'- second point" in shown


def test_appending_keeps_the_rows_already_there_as_written(eng, tmp_path):
    """A row the analyst added for a respondent from another source (an interview)
    stays as typed; the respondent's survey answers are what is compared."""
    import_export(qualtrics(tmp_path / "q.csv", ANSWERS[:1]), eng)
    with (eng / "ratings.csv").open("a", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\r\n").writerow(
            ["qx-R_0001xYz", "REC-01", "2", "'=typed by hand", "interview"]
        )
    result = import_export(qualtrics(tmp_path / "q2.csv", ANSWERS[:2]), eng, append=True)
    assert [p.stakeholder_id for p in result.responses.people] == ["qx-R_0002xYz"]
    _, ratings = imported(eng)
    assert ratings[("qx-R_0001xYz", "REC-01")] == (2, "'=typed by hand")


# --- the re-attack on issue 16 (D1a-D1d, D10) -------------------------------------------

SURVEYS = Path(__file__).resolve().parents[2] / "data" / "surveys"


def _head(src: Path, dest: Path, lines: int) -> Path:
    text = src.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    dest.write_text("".join(text[:lines]), encoding="utf-8")
    return dest


def _count(folder) -> int:
    return len(imported(folder)[0])


def test_an_empty_prefix_first_does_not_defeat_recognition(eng, tmp_path):
    """D1a: the first 6 responses imported with `--prefix ""` (ids `R_...`), then the
    whole export with the default prefix: the 6 are the same respondents (skipped),
    not counted again as `qx-R_...`."""
    whole = SURVEYS / "northwind-qualtrics.csv"
    import_export(_head(whole, tmp_path / "q6.csv", 9), eng, prefix="")
    result = import_export(whole, eng, append=True)
    assert _count(eng) == 13
    assert len(result.responses.skipped) == 6
    assert not any(i.startswith("qx-") for i in result.responses.skipped)


def test_an_overlapping_re_download_with_mapped_ids_is_refused(eng, tmp_path):
    """D1b: Google Forms' first 6 responses imported (row numbers), then the whole
    export with Timestamp mapped to stakeholder_id (what the refusal used to advise):
    the 6 answer exactly as stakeholders already there and are refused."""
    whole = SURVEYS / "northwind-google-forms.csv"
    import_export(_head(whole, tmp_path / "g6.csv", 7), eng)
    before = files(eng)
    mapping = tmp_path / "ts.yaml"
    mapping.write_text("columns:\n  Timestamp: stakeholder_id\n", encoding="utf-8")
    text = refused(
        eng, whole, "answers exactly as stakeholder gf-1 already", mapping=mapping, append=True
    )
    assert "stakeholder_id` in a mapping file" not in text  # advice that led here
    assert files(eng) == before


def test_an_edited_response_under_a_new_prefix_is_the_same_respondent(eng, tmp_path):
    """D1c: a Qualtrics response id is the respondent's whatever the prefix: an edited
    answer under `--prefix qx2` is refused, never counted as `qx2-R_...` too."""
    whole = SURVEYS / "northwind-qualtrics.csv"
    rows = list(csv.reader(io.StringIO(whole.read_text(encoding="utf-8-sig"))))
    j = rows[0].index("FIT-01_why")
    rows[3][j] = (rows[3][j] or "") + " (edited)"
    edited = tmp_path / "qedit.csv"
    with edited.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows[:4] + rows[9:])
    import_export(_head(whole, tmp_path / "q6.csv", 9), eng)
    rid = rows[3][rows[0].index("ResponseId")]
    text = refused(eng, edited, append=True, prefix="qx2")
    assert (
        f"{rid!r} was imported before as stakeholder qx-{rid} with other answers "
        "(FIT-01: another comment)"
    ) in text
    assert "--force" not in text  # the advice loses no other evidence
    assert f"delete the rows of stakeholder qx-{rid}" in text


def test_a_mapped_column_of_counters_numbers_rows_like_microsoft_forms(eng, tmp_path):
    """A column mapped to stakeholder_id holding 1, 2, ... numbers one form's rows:
    another form's `1` under a prefix of its own is another respondent, not
    `gf-1` (whose id ends in 1) answered again."""
    head = ["Timestamp", "Nr", "Role", "FIT-01"]
    mapping = tmp_path / "map.yaml"
    mapping.write_text("columns:\n  Nr: stakeholder_id\n", encoding="utf-8")
    first = csv_file(tmp_path / "a.csv", [head, ["t", "1", "CEO", "3"]])
    second = csv_file(tmp_path / "b.csv", [head, ["t", "1", "Partner", "2"]])
    import_export(first, eng, mapping=mapping)
    import_export(second, eng, mapping=mapping, append=True, prefix="partners")
    assert _ids(eng) == ["gf-1", "partners-1"]


def test_the_same_response_under_another_prefix_is_skipped(eng, tmp_path):
    """D1c: the same answers under another prefix: skipped, whatever the prefix."""
    export = qualtrics(tmp_path / "whole.csv", ANSWERS[:4])
    import_export(qualtrics(tmp_path / "two.csv", ANSWERS[:2]), eng, prefix="internal")
    result = import_export(export, eng, prefix="other", append=True)
    assert _ids(eng) == [
        "internal-R_0001xYz",
        "internal-R_0002xYz",
        "other-R_0003xYz",
        "other-R_0004xYz",
    ]
    assert result.responses.skipped == ["internal-R_0001xYz", "internal-R_0002xYz"]


def test_a_long_response_id_is_recognised_under_another_prefix(eng, tmp_path):
    """An id paos had to shorten (it ends in a hash) is recognised too."""
    export = qualtrics(tmp_path / "long.csv", ANSWERS[:2])
    text = export.read_text(encoding="utf-8-sig").replace("R_0001xYz", "R_" + "b" * 70)
    export.write_text(text, encoding="utf-8-sig")
    import_export(export, eng, prefix="a")
    result = import_export(export, eng, prefix="partners", append=True)
    assert len(result.responses.people) == 0 and len(_ids(eng)) == 2


def test_identical_answers_of_another_respondent_need_a_word_from_the_analyst(eng, tmp_path):
    """Two respondents may answer alike (ANSWERS[3] and ANSWERS[7]): a new response
    id answering exactly as a stakeholder already there is refused, unless the
    analyst says they are other respondents (--allow-identical). A twin that this
    export holds under its own id is that respondent: no refusal then."""
    import_export(qualtrics(tmp_path / "four.csv", ANSWERS[:4]), eng)
    whole = qualtrics(tmp_path / "whole.csv", ANSWERS)
    assert len(import_export(whole, eng, append=True).responses.people) == 4
    later = qualtrics(tmp_path / "later.csv", ANSWERS)
    text = later.read_text(encoding="utf-8-sig").replace("R_0008xYz", "R_0009xYz")
    later.write_text(text.replace("R_0004xYz", "R_0010xYz"), encoding="utf-8-sig")
    refused(eng, later, "answers exactly as stakeholder qx-R_0004xYz", append=True)
    refused(eng, later, "--allow-identical", append=True)
    import_export(later, eng, append=True, allow_identical=True)
    assert "qx-R_0009xYz" in _ids(eng) and "qx-R_0010xYz" in _ids(eng)


def test_force_says_what_it_replaces(eng, tmp_path):
    """D1d: --force replaces every stakeholder and rating there, other exports' too;
    its help and its output say so, counting what came from no response of this
    export."""
    import_export(qualtrics(tmp_path / "q.csv", ANSWERS[:2]), eng)
    partners = csv_file(
        tmp_path / "partners.csv",
        [["Timestamp", "Role", "FIT-01"], ["2026/02/01", "Partner", "3"], ["t2", "CEO", "2"]],
    )
    import_export(partners, eng, append=True, prefix="partners")
    with (eng / "ratings.csv").open("a", encoding="utf-8", newline="") as fh:
        fh.write("qx-R_0001xYz,REC-01,2,from the interview,interview\r\n")
    again = qualtrics(tmp_path / "q2.csv", ANSWERS[:2])
    r = CliRunner().invoke(app, ["import", str(again), "--into", str(eng), "--force"])
    assert r.exit_code == 0, r.output
    assert (
        "  --force replaced all the engagement held: 4 stakeholders, 9 ratings; 2 "
        "stakeholders and 3 ratings of them came from no response of this export and "
        "are gone (partners-1 .. partners-2)"
    ) in r.output
    assert _ids(eng) == ["qx-R_0001xYz", "qx-R_0002xYz"]
    help_text = CliRunner().invoke(app, ["import", "--help"]).output
    assert "other exports" in help_text


# --- personal data inside a value ----------------------------------------------------


@pytest.mark.parametrize(
    ("value", "what"),
    [
        ("Jo Fictive0 <jo.fictive0@northwind-analytics.de>", "an e-mail address"),
        ("a@x.com; b@y.com", "an e-mail address"),
        ("jo＠northwind-analytics.de", "an e-mail address"),
        ("198.51.100.7:443", "an IP address"),
        ("[2001:db8::1]", "an IP address"),
        ("from 203.0.113.9 at home", "an IP address"),
    ],
)
def test_an_id_or_comment_holding_an_address_is_refused(eng, tmp_path, value, what):
    """D10: a cell that holds an address anywhere (a display-form address, a list,
    a full-width @, an address with a port or in brackets) is refused."""
    export = csv_file(
        tmp_path / "forms.csv",
        [
            ["Timestamp", "Respondent", "Role", "FIT-01", "Why?"],
            ["2026/02/01 10:00:00", "t-1", "CEO", "3", ""],
            ["2026/02/02 10:00:00", value, "CEO", "2", "ok"],
        ],
    )
    mapping = tmp_path / "map.yaml"
    mapping.write_text("columns:\n  Respondent: stakeholder_id\n", encoding="utf-8")
    text = refused(
        eng, export, f"line 3, column Respondent: holds {what}, personal data", mapping=mapping
    )
    assert value not in text
    comment = csv_file(
        tmp_path / "comment.csv",
        [["Timestamp", "Role", "FIT-01", "Why?"], ["2026/02/01", "CEO", "3", f"ask {value}"]],
    )
    refused(eng, comment, f"line 2, column Why?: holds {what}, personal data")


def test_timestamps_and_times_are_no_addresses(eng, tmp_path):
    """The guard reads addresses, not every colon or dot: a timestamp as id and a
    comment with a time and a version number are imported."""
    export = csv_file(
        tmp_path / "forms.csv",
        [
            ["Timestamp", "Role", "FIT-01", "Why?"],
            ["2026/09/08 9:33:09 AM GMT+2", "CEO", "3", "met 10:30:00 about release 2.1"],
            ["2026/09/08 9:34:09 AM GMT+2", "CEO", "2", "Partner :: reseller, ratio 1:2:3"],
        ],
    )
    mapping = tmp_path / "map.yaml"
    mapping.write_text("columns:\n  Timestamp: stakeholder_id\n", encoding="utf-8")
    assert import_export(export, eng, mapping=mapping).invalid == []


@pytest.mark.parametrize(
    "header",
    [
        "Adresse électronique",
        "Courrier électronique",
        "Portable",
        "Mobiltelefon",
        "Handynummer",
        "IPv4",
        "IPv6",
    ],
)
def test_more_personal_headers_are_recognised(header):
    from paos.evidence.surveys.matching import personal_header

    assert personal_header(header)


def test_a_comment_with_addresses_is_one_line_per_cell_capped(eng, tmp_path):
    rows = [["Timestamp", "Role", "FIT-01", "Why?"]]
    rows += [[f"t{n}", "CEO", "3", f"write to p{n}@client.example"] for n in range(40)]
    text = refused(eng, csv_file(tmp_path / "many.csv", rows))
    assert text.count("holds an e-mail address") < 40
    assert "personal data" in text.splitlines()[-1]


# --- the kind of a column never follows the rulebook's own words ---------------------------


def test_a_dimension_named_why_keeps_its_grid_rows_ratings(eng, tmp_path):
    """Low: a custom rulebook whose dimension is named 'Why Partners Join': its
    Google Forms grid rows `Why Partners Join [question]` are ratings."""
    from paos.base.rulebook import load_rulebook

    text = (Path(RB.path).read_text(encoding="utf-8")).replace(
        "name: Partner Fit", "name: Why Partners Join", 1
    )
    assert "Why Partners Join" in text
    custom = tmp_path / "acme-why.yaml"
    custom.write_text(text.replace("id: paos-v1", "id: acme-why", 1), encoding="utf-8")
    rb = load_rulebook(str(custom))
    sig = {s.id: s for s in rb.signals}
    export = csv_file(
        tmp_path / "forms.csv",
        [
            ["Timestamp", "Role", f"Why Partners Join [{sig['FIT-01'].question}]", "Why?"],
            ["2026/02/01", "CEO", "3 - x", "because"],
            ["2026/02/02", "Sales", "Cannot judge", ""],
        ],
    )
    result = import_export(export, eng, rulebook=str(custom))
    assert result.plan.targets[2].kind == "rating"
    assert result.plan.targets[3].kind == "comment"


def test_a_signal_answered_only_cannot_judge_is_read_as_ratings(eng, tmp_path):
    """Low: every answer to a signal 'Cannot judge', under a header that says comment,
    with a Why? column after it: the column of answers is the rating (no rating)."""
    export = csv_file(
        tmp_path / "forms.csv",
        [
            ["Timestamp", "Role", "FIT-01 explanation", "Why?", "FIT-02"],
            ["2026/02/01", "CEO", "Cannot judge", "no idea", "3"],
            ["2026/02/02", "Sales", "Cannot judge", "", "2"],
        ],
    )
    result = import_export(export, eng)
    assert result.plan.targets[2].kind == "rating"
    _, ratings = imported(eng)
    assert ratings[("gf-1", "FIT-01")] == (None, "no idea")
