"""Which client a name stands for: one rule for the benchmark and the portfolio report.

A benchmark peer is another client, and no portfolio aggregate may be made from
fewer clients than the rulebook's minimum, so two spellings of one client must
never count as two. The rule errs toward "same client" (that protects
confidentiality: a client's scores are never taken for another's), see
docs/methodology.md, "Which client a name stands for":

1. Unicode NFKC (fullwidth letters, ligatures, compatibility spaces), then
   canonical decomposition with the combining marks dropped (`Müller` written
   precomposed or decomposed, and `Muller`, are one name), then casefold
   (`ß` is `ss`).
2. The name is cut into its runs of letters and digits: every space (also
   no-break and other Unicode spaces), punctuation, symbol and format character
   separates (`Globex  GmbH.`, `Globex, GmbH`, `A.B.C.`).
3. Legal-form words at the end are dropped (`GmbH`, `AG`, `Inc`, `Ltd`,
   `S.A.`, `GmbH & Co. KG`...), never the first word: `Globex GmbH` and `Globex`
   are one client.
4. The remaining runs are joined without separator (`A.B.C.` is `ABC`).

A name with nothing left (blank, only punctuation) has no key: such a row is
never counted as another client.
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl

# Legal forms, as their letters run together (so `S.A.`, `S A` and `SA` all match).
LEGAL_FORMS = frozenset(
    """
    ab ag aps as asa bv bvba co company corp corporation cv gbr gmbh gmbhco inc
    incorporated kg kgaa kft limited llc llp lp ltd mbh nv oy oyj plc pte pty sa
    saa sarl sas sasu se sl spa sprl srl sro ug ohg ev eg holding holdings group
    """.split()
)
_RUN = re.compile(r"[^\W_]+")  # letters and digits, in any script


def client_key(name: object) -> str | None:
    """The key under which `name` counts as a client; None when it names nobody.

    >>> client_key("Globex\\u00a0GmbH.") == client_key("GLOBEX") == "globex"
    True
    """
    if not isinstance(name, str):
        return None
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", name))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    runs = _RUN.findall(text)
    while len(runs) > 1:
        for k in (3, 2, 1):  # the longest legal form at the end first
            if len(runs) > k and "".join(runs[-k:]) in LEGAL_FORMS:
                del runs[-k:]
                break
        else:
            break
    return "".join(runs) or None


def client_key_expr(column: str = "client") -> pl.Expr:
    """`client_key` of a string column, null where the name names nobody."""
    return pl.col(column).map_elements(client_key, return_dtype=pl.String, skip_nulls=True)
