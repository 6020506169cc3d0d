"""Benchmarking (methodology §10): percentile rank, peer groups, exclusions, anonymity.

Portfolios are store-shaped frames built by hand so every expected figure can
be checked on paper; one end-to-end case goes through the engine and the store.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import unicodedata

import polars as pl
import pytest

from paos import score
from paos.method.clients import client_key
from paos.method.peers import (
    INSUFFICIENT,
    benchmark,
    benchmark_text,
    peers,
    percentile_rank,
    subject_from_results,
    subject_from_row,
)
from paos.method.store import STORE_SCHEMA, read_store, store_rows, write_runs
from tests.builders import RB, everywhere, evidence

DAY = dt.date(2026, 6, 1)
SUBJECT = {
    "engagement_id": "acme-2026",
    "client": "Acme",
    "industry": "saas",
    "stage": "scale-up",
    "assessed_on": DAY,
    "rulebook_id": "paos-v1",
    "rulebook_sha256": "0" * 64,
    "min_peers": 5,
    "pai": 3.0,
    "dimensions": {"FIT": 3.0, "REC": 1.0},
}


def row(
    eid: str,
    client: str | None = None,
    pai: float | None = 2.0,
    industry: str | None = "saas",
    stage: str | None = "scale-up",
    on: dt.date = dt.date(2026, 1, 1),
    rulebook: str = "paos-v1",
    dims: dict | None = None,
    run_at: dt.datetime | None = None,
) -> dict:
    """One store row; dimensions default to FIT = REC = the PAI."""
    dims = {"FIT": pai, "REC": pai} if dims is None else dims
    r = dict.fromkeys(STORE_SCHEMA)
    r.update(
        engagement_id=eid,
        client=client if client is not None else f"Client {eid}",
        industry=industry,
        stage=stage,
        assessed_on=on,
        rulebook_id=rulebook,
        rulebook_sha256="0" * 64,
        pai=pai,
        status="complete" if pai is not None else "incomplete",
        run_at=run_at or dt.datetime(2026, 7, 1, tzinfo=dt.UTC),
        dimensions=[{"id": k, "score": v} for k, v in dims.items()],
    )
    return r


def store(*rows: dict) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=STORE_SCHEMA)


def group(n: int, prefix: str = "p", **kw) -> list[dict]:
    return [row(f"{prefix}{i}", **kw) for i in range(n)]


# --- percentile rank ---------------------------------------------------------


@pytest.mark.parametrize(
    "value, values, expected",
    [
        (3, [1, 2, 3, 3, 4], 60.0),  # 100 * (2 + 0.5 * 2) / 5
        (0.5, [1, 2, 3], 0.0),  # below all, no tie
        (1, [1, 1, 2, 3], 25.0),  # lowest but tied: 0.5 * 2 / 4
        (5, [1, 2, 3], 100.0),  # above all
        (4, [1, 2, 4], 100 * 2.5 / 3),  # tied with the highest
        (2, [2, 2, 2, 2], 50.0),  # all equal
        (0.1 + 0.2, [0.3], 50.0),  # compared on 6 decimals
        (2.0000001, [2.0, 1.0], 75.0),  # 2.0000001 rounds to 2.0: a tie
        (2, [1, None, 3], 50.0),  # nulls are not values
    ],
)
def test_percentile_rank(value, values, expected):
    assert percentile_rank(value, values) == pytest.approx(expected)


def test_percentile_rank_of_nothing_is_refused():
    with pytest.raises(ValueError):
        percentile_rank(1, [])


# --- peer groups -------------------------------------------------------------


@pytest.mark.parametrize(
    "portfolio, key, size",
    [
        (group(5), "industry_stage", 5),
        (group(5) + group(3, "q", stage="seed"), "industry_stage", 5),  # most specific wins
        (group(4) + [row("x", stage="seed")], "industry", 5),
        (group(4) + [row("x", industry="fintech")], "stage", 5),
        (group(4) + [row("x", industry="fintech", stage="seed")], "portfolio", 5),
        (group(4), None, 4),
        ([], None, 0),
        (group(5, industry=" SaaS ", stage="Scale-Up"), "industry_stage", 5),  # trimmed, any case
        (group(5, industry=None), "stage", 5),  # unknown industry is not the same industry
    ],
)
def test_peer_group_fallback(portfolio, key, size):
    got, rows = peers(store(*portfolio), SUBJECT)
    assert (got["key"], got["size"], rows.height) == (key, size, size)


@pytest.mark.parametrize(
    "key, label",
    [
        ("industry_stage", "same industry and stage: saas / scale-up"),
        ("industry", "same industry: saas"),
        ("stage", "same stage: scale-up"),
    ],
)
def test_peer_group_labels(key, label):
    portfolio = {
        "industry_stage": group(5),
        "industry": group(4) + [row("x", stage="seed")],
        "stage": group(4) + [row("x", industry="fintech")],
    }[key]
    assert peers(store(*portfolio), SUBJECT)[0]["label"] == label


def test_portfolio_fallback_says_so():
    got, _ = peers(store(*group(5, industry="fintech", stage="seed")), SUBJECT)
    assert got["key"] == "portfolio" and "no industry or stage peer group" in got["label"]
    bare = {**SUBJECT, "industry": None, "stage": None}
    assert peers(store(*group(5)), bare)[0]["label"] == "whole portfolio"


# Four valid peers plus one candidate: it counts iff the group reaches five.
@pytest.mark.parametrize(
    "candidate, counted",
    [
        (row("x", client="Globex"), True),
        (row("x", client="acme"), False),  # same client, other case
        (row("x", client="  ACME "), False),  # same client, whitespace
        (row("x", client="Acme", on=dt.date(2025, 1, 1)), False),  # the client's earlier diagnostic
        (row("x", client="Acme Corp"), False),  # same client, legal form
        (row("x", client="Acme Partners"), True),  # a different client
        (row("x", on=DAY), True),  # same day counts as past
        (row("x", on=DAY + dt.timedelta(days=1)), False),  # later engagement
        (row("x", rulebook="paos-v2"), False),  # other rulebook version
        (row("acme-2026", client="Renamed"), False),  # the subject itself
        (row("x", pai=None), True),  # incomplete still belongs to the group
    ],
)
def test_past_engagements(candidate, counted):
    got, _ = peers(store(*group(4), candidate), SUBJECT)
    assert got["key"] == ("industry_stage" if counted else None)


def test_a_store_row_without_client_is_not_counted_as_another_client():
    got, _ = peers(store(*group(4), {**row("x"), "client": None}), SUBJECT)
    assert got["key"] is None


def test_only_the_latest_run_of_an_engagement_counts():
    old = row("p9", pai=1.0, run_at=dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
    new = row("p9", pai=4.0, run_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    b = benchmark(store(*group(4), new, old), SUBJECT)
    assert b["peer_group"]["size"] == 5
    assert b["pai"]["q3"] == 2.0 and b["pai"]["percentile"] == 80.0  # [2, 2, 2, 2, 4]


def test_five_assessments_of_one_other_client_are_one_peer():
    """Issue 16 #11: peers are counted in clients, not engagements."""
    one = [
        row(f"g{i}", client="Globex", pai=1.0 + i / 2, on=dt.date(2021 + i, 1, 1)) for i in range(5)
    ]
    b = benchmark(store(*one), SUBJECT)
    assert b["status"] == INSUFFICIENT and b["peer_group"]["size"] == 1
    assert (b["pai"]["q1"], b["pai"]["median"], b["pai"]["q3"]) == (None, None, None)
    assert "1 other client(s) with a past engagement" in benchmark_text(b)
    # with four more clients the group opens, and Globex counts once, by its latest
    b = benchmark(store(*one, *group(4, pai=3.0)), SUBJECT)
    assert b["status"] == "ok" and b["peer_group"]["size"] == 5
    assert b["pai"]["n"] == 5 and b["pai"]["median"] == 3.0  # [3.0 (Globex g4), 3, 3, 3, 3]
    assert b["pai"]["q1"] == 3.0


def test_a_client_counts_once_whatever_the_spelling_and_the_latest_engagement_is_used():
    portfolio = [
        *group(3, pai=3.0),
        row("g-old", client="Globex", pai=1.0, on=dt.date(2025, 1, 1)),
        row("g-new", client=" GLOBEX ", pai=4.0, on=dt.date(2026, 2, 1)),
        row("g-later", client="globex", pai=1.0, on=DAY + dt.timedelta(days=1)),  # after
    ]
    got, rows = peers(store(*portfolio), SUBJECT)
    assert got["key"] is None and got["size"] == 4  # 3 + Globex once: insufficient
    assert sorted(rows["engagement_id"]) == ["g-new", "p0", "p1", "p2"]
    b = benchmark(store(*portfolio, row("x", pai=3.0)), SUBJECT)
    assert b["peer_group"]["size"] == 5 and b["pai"]["q3"] == 3.0 and b["pai"]["percentile"] == 40


def test_left_out_counts_clients():
    portfolio = [
        *group(5),
        row("o1", client="Other", rulebook="paos-v2"),
        row("o2", client="Other", rulebook="paos-v2", on=dt.date(2025, 6, 1)),
        row("p0-v2", client="Client p0", rulebook="paos-v2"),  # p0 is a peer already
    ]
    b = benchmark(store(*portfolio), SUBJECT)
    assert b["left_out"] == 1
    assert "Left out: 1 other client(s)" in benchmark_text(b)


# --- figures -----------------------------------------------------------------


def test_figures_hand_checked():
    portfolio = [
        row(f"p{i}", pai=p, dims={"FIT": f, "REC": r})
        for i, (p, f, r) in enumerate(
            [(1, 1, 1), (2, 1, 2), (3, 2, 3), (4, 2, 4), (5, 4, 5), (6, 4, 6)]
        )
    ]
    b = benchmark(store(*portfolio), SUBJECT)
    assert b["status"] == "ok"
    assert b["peer_group"] == {
        "key": "industry_stage",
        "size": 6,
        "label": "same industry and stage: saas / scale-up",
    }
    # PAI 3 among [1..6]: (2 + 0.5) / 6; linear quartiles of 1..6: 2.25, 3.5, 4.75
    assert b["pai"] == {
        "value": 3.0,
        "percentile": pytest.approx(100 * 2.5 / 6),
        "median": 3.5,
        "q1": 2.25,
        "q3": 4.75,
        "n": 6,
    }
    fit, rec = b["dimensions"]
    # FIT 3 among [1, 1, 2, 2, 4, 4]: 4 below; REC 1 among [1..6]: one tie
    assert fit == {
        "id": "FIT",
        "value": 3.0,
        "percentile": pytest.approx(100 * 4 / 6),
        "median": 2.0,
        "q1": 1.25,
        "q3": 3.5,
        "n": 6,
    }
    assert rec["id"] == "REC" and rec["percentile"] == pytest.approx(100 * 0.5 / 6)


def test_dimensions_follow_the_subject_order():
    subject = {**SUBJECT, "dimensions": {"REC": 2.0, "ORG": None, "FIT": 2.0}}
    b = benchmark(store(*group(5)), subject)
    assert [d["id"] for d in b["dimensions"]] == ["REC", "ORG", "FIT"]
    org = b["dimensions"][1]
    assert org["n"] == 0 and org["percentile"] is None and org["median"] is None


def test_incomplete_pais_are_left_out_of_the_pai_figure():
    portfolio = group(5, pai=2.0) + [row("x", pai=None, dims={"FIT": 1.0, "REC": 1.0})]
    b = benchmark(store(*portfolio), SUBJECT)
    assert b["peer_group"]["size"] == 6
    assert (b["pai"]["n"], b["pai"]["percentile"], b["pai"]["median"]) == (5, 100.0, 2.0)
    assert [d["n"] for d in b["dimensions"]] == [6, 6]


def test_a_figure_with_fewer_than_five_values_shows_its_count_only():
    portfolio = group(4) + [row("x", pai=None, dims={"FIT": 2.0, "REC": None})]
    b = benchmark(store(*portfolio), SUBJECT)
    assert b["status"] == "ok"
    assert b["pai"] == {
        "value": 3.0,
        "percentile": None,
        "median": None,
        "q1": None,
        "q3": None,
        "n": 4,
    }
    fit, rec = b["dimensions"]
    assert fit["n"] == 5 and fit["percentile"] == 100.0
    assert rec["n"] == 4 and rec["percentile"] is None


def test_subject_without_a_pai_has_no_pai_percentile():
    b = benchmark(store(*group(5)), {**SUBJECT, "pai": None})
    assert b["pai"]["percentile"] is None and b["pai"]["median"] == 2.0


def test_insufficient_portfolio_gives_no_figures():
    b = benchmark(store(*group(4)), SUBJECT)
    assert b["status"] == INSUFFICIENT
    assert b["peer_group"]["key"] is None and b["peer_group"]["size"] == 4
    for f in [b["pai"], *b["dimensions"]]:
        assert (f["percentile"], f["median"], f["q1"], f["q3"]) == (None,) * 4
    assert INSUFFICIENT in benchmark_text(b)


# --- anonymity ---------------------------------------------------------------


@pytest.mark.parametrize("n", [3, 5, 8])
def test_output_never_names_another_client(n):
    names = ["Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Wonka", "Stark", "Wayne"]
    portfolio = [
        row(f"peer-{nm.lower()}-2025", client=nm, pai=1.0 + i / 4) for i, nm in enumerate(names[:n])
    ]
    b = benchmark(store(*portfolio), SUBJECT)
    out = json.dumps(b) + benchmark_text(b)
    for r in portfolio:
        assert r["client"] not in out and r["engagement_id"] not in out


# --- subjects and the real store ---------------------------------------------


def _scored(eid: str, client: str, op: list[int], on: dt.date):
    ev = evidence(everywhere(op), eid=eid)
    eng = ev.engagements.with_columns(
        client=pl.lit(client), assessed_on=pl.lit(on), industry=pl.lit("saas"), stage=pl.lit("seed")
    )
    return score(dataclasses.replace(ev, engagements=eng), RB)


def test_end_to_end_through_the_store(tmp_path):
    peers_ = [
        _scored(f"e{i}", f"Client {i}", op, dt.date(2025, 1 + i, 1))
        for i, op in enumerate([[1], [2], [3], [4], [2, 3]])
    ]
    mine = _scored("acme-2026", "Acme", [3, 4], DAY)
    write_runs(pl.concat([store_rows(r) for r in [*peers_, mine]]), tmp_path)
    frame = read_store(tmp_path)
    subject = subject_from_results(mine)
    assert subject == subject_from_row(frame.filter(pl.col("engagement_id") == "acme-2026"))
    b = benchmark(frame, subject)
    assert b["peer_group"]["key"] == "industry_stage" and b["peer_group"]["size"] == 5
    pais = [r.engagements["pai"][0] for r in peers_]
    assert b["pai"]["percentile"] == pytest.approx(percentile_rank(subject["pai"], pais))
    assert [d["id"] for d in b["dimensions"]] == [d.id for d in RB.dimensions]
    assert (
        "Peer group: same industry and stage: saas / seed; 5 other clients (the latest "
        "engagement of each)"
    ) in benchmark_text(b)


def test_subject_from_results_needs_one_engagement():
    from paos import PaosError

    mine = _scored("acme-2026", "Acme", [3], DAY)
    assert subject_from_results(mine, "acme-2026")["client"] == "Acme"
    with pytest.raises(PaosError):
        subject_from_results(mine, "nope")


# Fix D11: one client, however its name is written, is one client (paos.method.clients).
GLOBEX_SPELLINGS = [
    "Globex GmbH",
    "Globex GmbH.",
    "Globex  GmbH",
    "Globex  GmbH.",
    "Globex\u00a0GmbH",
    "GLOBEX",
    "Globex, GmbH",
    "Globex GmbH & Co. KG",
    "Globex Inc.",
    "Ｇｌｏｂｅｘ",  # fullwidth: NFKC
]


def test_spellings_of_one_other_client_are_one_peer():
    one = [
        row(f"g{i}", client=name, pai=1.0 + i / 4, on=dt.date(2020, 1, 1) + dt.timedelta(days=i))
        for i, name in enumerate(GLOBEX_SPELLINGS)
    ]
    b = benchmark(store(*one), SUBJECT)
    assert b["status"] == INSUFFICIENT and b["peer_group"]["size"] == 1
    assert (b["pai"]["q1"], b["pai"]["median"], b["pai"]["q3"]) == (None, None, None)


@pytest.mark.parametrize(
    "subject_client, past_client",
    [
        ("Müller AG", unicodedata.normalize("NFD", "Müller AG")),
        ("Straße GmbH", "STRASSE GMBH"),
        ("Acme", "Acme Corp."),
        ("Acme", "ACME\u2003Inc"),  # em space
        ("Acme", "Acme\u00ad"),  # soft hyphen
        ("A.B.C. Ltd", "ABC Limited"),
    ],
)
def test_the_subjects_own_past_engagement_is_never_a_peer_whatever_its_spelling(
    subject_client, past_client
):
    subject = {**SUBJECT, "client": subject_client}
    got, _ = peers(store(*group(4), row("x", client=past_client)), subject)
    assert got["key"] is None and got["size"] == 4


@pytest.mark.parametrize(
    "a, b",
    [("Globex", "Globe"), ("Acme", "Acme Partners"), ("Müller", "Miller"), ("AG", "SE")],
)
def test_different_clients_stay_different(a, b):
    assert client_key(a) != client_key(b)


def test_client_key_of_nothing_is_none():
    assert client_key(None) is None and client_key("  \u00a0 ") is None and client_key("..") is None
