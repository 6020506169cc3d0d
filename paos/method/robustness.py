"""Robustness of findings (spec robustness-v1.md): how much each finding hinges on
one stakeholder's answers.

For every rater k of an engagement, *variant k* is the engagement scored again
without k's ratings. Nothing is rescored from scratch: leaving k out changes only
the counts and sums of the signals k rated, so each variant's signal aggregates
are the full aggregates minus k's own part (integer sums: exact). The variants
are laid out as dense arrays of (variant x signal) cells in catalogue order, in
chunks of whole engagements, and go through the v1 rules that their findings
depend on (`_Scorer`: signal score, divergence class, gap, severity after
escalation, priority, dimension scores with the coverage rule, PAI) with the same
arithmetic in the same order as the stages, comparisons rounded by polars itself.
Only a cell that k rated can differ from the full result, so only those cells are
compared with the full gaps.

Reading of the spec for fewer than 2 raters: "every other robustness field
below is null" covers the per-gap fields too (they are defined below that
sentence), so such an engagement has `variants` 0, `pai_min`, `pai_max`,
`robust_gaps` and `near_gaps` null, and every gap `changed_in` and `robust` null
(no variant was scored, so nothing is known either way).

`pai_min`/`pai_max` are the smallest and largest variant PAI at full precision,
as the contract gives `pai` (numbers are full precision; rounding to 6 decimals is
the rule for comparisons, and rounding the reported ends flipped near-ties of the
7th decimal between equally valid float paths).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl

from paos._types import ENG, Evidence, Results
from paos.method._divergence import CLASSES
from paos.method.rulebook import Rulebook

VID = "_variant"  # variant id (UInt32): engagements in order, raters in order within
SID = "stakeholder_id"
ROBUSTNESS_SCHEMA: pl.Schema = pl.Schema(
    {  # type: ignore[arg-type]  # polars stubs: dtype classes
        ENG: pl.String,
        "variants": pl.Int32,
        "pai_min": pl.Float64,
        "pai_max": pl.Float64,
        "robust_gaps": pl.Int32,
        "near_gaps": pl.List(pl.String),
    }
)
# Variants per chunk (whole engagements): bounds memory and keeps the arrays of a
# chunk (variants x signals cells, 8 bytes each) small.
CHUNK_VARIANTS = 16_384
_E = "_e"  # engagement index (among the engagements with variants)


def _round(a: np.ndarray, decimals: int) -> np.ndarray:
    """`cmp` on an array, by polars itself: values compare exactly as in the stages."""
    shape = a.shape
    return pl.Series(a.ravel(), dtype=pl.Float64).round(decimals).to_numpy().reshape(shape)


def _hsum(terms: list[np.ndarray]) -> np.ndarray:
    """`pl.sum_horizontal` of non-null terms: halves summed recursively, as polars does."""
    if len(terms) == 1:
        return terms[0]
    half = len(terms) // 2
    return _hsum(terms[:half]) + _hsum(terms[half:])


class _Kahan:
    """The sum of floats in `score_dimensions`' group-by: Kahan summation in row order,
    one running sum per array element; `add` skips the elements outside `mask` (the
    rows the `.filter()` drops)."""

    def __init__(self, size: int) -> None:
        self.sum = np.zeros(size)
        self.c = np.zeros(size)

    def add(self, x: np.ndarray, mask: np.ndarray) -> None:
        y = x - self.c
        t = self.sum + y
        self.c = np.where(mask, (t - self.sum) - y, self.c)
        self.sum = np.where(mask, t, self.sum)


def _codes(col: str, values: list[str]) -> pl.Expr:
    """Index of `col` in `values`, null when not among them."""
    return (
        pl.col(col)
        .replace_strict(values, list(range(len(values))), default=None, return_dtype=pl.Int32)
        .alias(col)
    )


class _Scorer:
    """The v1 rules a variant's findings depend on, on dense (variant x signal) arrays in
    catalogue order: the arithmetic of `signals_from_aggregates`, `classify_divergence`,
    `detect_gaps`, `score_dimensions` and `score_index`, in the same order, without
    their joins and group-bys."""

    def __init__(self, rulebook: Rulebook) -> None:
        self.d = rulebook.decimals
        self.weights = rulebook.perspective_weights  # includes the metric perspective
        self.perspectives = list(self.weights)
        self.metric = rulebook.metric_perspective
        self.people = rulebook.people_perspectives
        self.strategic = rulebook["strategic_perspective"]
        signals = rulebook.signals
        self.signal_ids = [s.id for s in signals]
        self.threshold = np.array([s.threshold for s in signals], dtype=np.float64)
        tiers = {d.id: d.tier for d in rulebook.dimensions}
        tier_list = sorted({tiers[s.dimension] for s in signals})
        tier_of = [tier_list.index(tiers[s.dimension]) for s in signals]
        bands = rulebook["severity"]  # most severe first
        self.bands = [b["min_shortfall"] for b in bands]
        names = [b["name"] for b in bands]
        self.priorities = sorted({r["priority"] for r in rulebook["priority"]})
        table = np.full((len(names), len(tier_list)), -1, dtype=np.int64)
        for r in rulebook["priority"]:
            for t in r["tiers"]:
                if t in tier_list:
                    table[names.index(r["severity"]), tier_list.index(t)] = self.priorities.index(
                        r["priority"]
                    )
        self.prio_by_signal = table[:, tier_of]  # [severity rank, signal] -> priority index
        esc = rulebook["escalation"]
        self.esc_class = CLASSES.index(esc["divergence_class"])
        self.esc_levels = int(esc["levels"])
        div = rulebook["divergence"]
        self.blind_at = div["blind_spot_at_or_above"]
        self.hidden_at = div["hidden_strength_at_or_below"]
        pos = {s.id: i for i, s in enumerate(signals)}
        self.dims = [
            ([(pos[s.id], s.weight) for s in d.signals], len(d.signals), d.weight)
            for d in rulebook.dimensions
        ]
        self.min_coverage = rulebook["min_coverage"]

    def code(self, severity_rank: np.ndarray, priority: np.ndarray) -> np.ndarray:
        """One integer per (severity after escalation, priority); -1 is no gap."""
        return severity_rank.astype(np.int64) * len(self.priorities) + priority

    def score(
        self, n: dict[str, np.ndarray], s: dict[str, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray]:
        """From the counts `n` and sums `s` of the ratings per perspective (arrays of
        shape variants x signals): the gap code of each cell (`code`, -1 for no gap)
        and each variant's PAI (NaN when not complete)."""
        shape = n[self.perspectives[0]].shape
        mean, present = {}, {}
        n_ratings = np.zeros(shape)
        for p in self.perspectives:
            present[p] = n[p] > 0
            mean[p] = np.divide(s[p], n[p], out=np.full(shape, np.nan), where=present[p])
            n_ratings += n[p]

        def weighted(names: list[str]) -> np.ndarray:
            num = _hsum([np.where(present[p], self.weights[p] * mean[p], 0.0) for p in names])
            den = _hsum([np.where(present[p], self.weights[p], 0.0) for p in names])
            return np.divide(num, den, out=np.full(shape, np.nan), where=den > 0)

        scored = n_ratings > 0
        score = weighted(self.perspectives)
        divergence = mean[self.strategic] - weighted(
            [p for p in self.perspectives if p != self.strategic]
        )
        dr = _round(divergence, self.d)
        cls = np.where(
            np.isnan(divergence),
            3,
            np.where(dr >= self.blind_at, 0, np.where(dr <= self.hidden_at, 1, 2)),
        )
        gap = scored & (_round(score, self.d) < self.threshold)
        shortfall = _round(self.threshold - score, self.d)
        rank = np.full(shape, len(self.bands) - 1, dtype=np.int64)
        for i in reversed(range(len(self.bands))):
            rank = np.where(shortfall >= self.bands[i], i, rank)
        rank = np.where(cls == self.esc_class, np.maximum(rank - self.esc_levels, 0), rank)
        priority = self.prio_by_signal[rank, np.arange(shape[1])]
        code = np.where(gap, self.code(rank, priority), -1)

        # dimension scores and PAI, one row per variant
        has_score = scored & ~np.isnan(score)
        wscore = np.where(has_score, score, 0.0)
        rows = shape[0]
        pai_num, pai_den = np.zeros(rows), 0.0  # score_index's sum: in order, plain
        complete = np.ones(rows, dtype=bool)
        for members, n_signals, dim_weight in self.dims:
            n_scored = np.zeros(rows)
            wsum, wt = _Kahan(rows), _Kahan(rows)
            for j, w in members:
                n_scored += scored[:, j]
                wsum.add(w * wscore[:, j], scored[:, j])
                wt.add(np.full(rows, w), scored[:, j])
            enough = _round(n_scored / n_signals, self.d) >= self.min_coverage
            complete &= enough
            with np.errstate(divide="ignore", invalid="ignore"):
                dim_score = wsum.sum / wt.sum  # 0 / 0 is NaN, as in the stage
            pai_num += np.where(enough, dim_weight * dim_score, 0.0)
            pai_den += dim_weight
        pai = np.where(complete, pai_num / pai_den, np.nan)
        return code, pai


def _full_aggregates(
    scorer: _Scorer, e: np.ndarray, sig: np.ndarray, p: np.ndarray, r: np.ndarray, size: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Counts and sums per perspective of cells e * signals + sig (integer sums: exact)."""
    cell = e.astype(np.int64) * len(scorer.signal_ids) + sig
    n, s = {}, {}
    for i, name in enumerate(scorer.people):
        mask = p == i
        n[name] = np.bincount(cell[mask], minlength=size).astype(np.float64)
        s[name] = np.bincount(cell[mask], weights=r[mask], minlength=size)
    return n, s


def robustness(evidence: Evidence, rulebook: Rulebook, results: Results) -> Results:
    """`results` (from `score(evidence, rulebook)`) with the robustness of its findings:
    a `robustness` frame (one row per engagement, `ROBUSTNESS_SCHEMA`) and the gaps
    frame with `changed_in` and `robust`."""
    scorer = _Scorer(rulebook)
    width = len(scorer.signal_ids)
    rated = evidence.ratings.select(ENG, SID, "signal_id", "perspective", "rating").filter(
        pl.col("rating").is_not_null()
    )
    raters = rated.select(ENG, SID).unique()
    n_raters = raters.group_by(ENG).len("n").filter(pl.col("n") >= 2).sort(ENG)
    engs = n_raters.select(ENG).with_row_index(_E)
    variants = (
        raters.join(engs, on=ENG, how="inner")
        .sort(_E, SID)
        .with_row_index(VID)
        .select(ENG, SID, VID, _E)
    )
    # each rating of an engagement with variants: its variant, engagement, signal and
    # perspective as integers, in variant order
    rows = (
        rated.join(variants, on=[ENG, SID], how="inner")
        .select(
            VID,
            _E,
            _codes("signal_id", scorer.signal_ids),
            _codes("perspective", scorer.people),
            pl.col("rating").cast(pl.Float64),
        )
        .drop_nulls("signal_id")
        .sort(VID)
    )
    n_engs = engs.height
    cells = n_engs * width
    row_v = rows[VID].to_numpy()
    row_e = rows[_E].to_numpy()
    row_s = rows["signal_id"].to_numpy().astype(np.int64)
    row_p = rows["perspective"].fill_null(-1).to_numpy()
    row_r = rows["rating"].to_numpy()
    del rows
    full_n, full_s = _full_aggregates(scorer, row_e, row_s, row_p, row_r, cells)
    data = (
        results.metrics.filter(pl.col("rating").is_not_null())
        .join(engs, on=ENG, how="inner")
        .select(_E, _codes("signal_id", scorer.signal_ids), pl.col("rating").cast(pl.Float64))
        .drop_nulls("signal_id")
    )
    data_cell = data[_E].to_numpy().astype(np.int64) * width + data["signal_id"].to_numpy()
    m = scorer.metric
    full_n[m] = np.bincount(data_cell, minlength=cells).astype(np.float64)
    full_s[m] = np.bincount(data_cell, weights=data["rating"].to_numpy(), minlength=cells)
    for a in (full_n, full_s):
        for k in a:
            a[k] = a[k].reshape(n_engs, width)

    # the full gaps as codes, per engagement and signal
    gap_cells = (
        results.gaps.join(engs, on=ENG, how="inner")
        .select(
            _E,
            _codes("signal_id", scorer.signal_ids),
            "severity_rank",
            _codes("priority", scorer.priorities),
        )
        .drop_nulls("signal_id")
    )
    codes = np.full(cells, -1, dtype=np.int64)
    gap_cell = gap_cells[_E].to_numpy().astype(np.int64) * width + gap_cells["signal_id"].to_numpy()
    codes[gap_cell] = scorer.code(
        gap_cells["severity_rank"].to_numpy(),
        gap_cells["priority"].fill_null(-1).to_numpy(),
    )
    full_code = codes.reshape(n_engs, width)

    # chunks of whole engagements, each one pass over dense (variant x signal) arrays
    n_variants = variants.height
    var_e = variants[_E].to_numpy().astype(np.int64)
    starts = np.flatnonzero(np.diff(var_e, prepend=-1))  # first variant of each engagement
    changed = np.zeros(cells, dtype=np.int64)
    near = np.zeros(cells, dtype=np.int64)
    pai = np.full(n_variants, np.nan)
    v0 = 0
    while v0 < n_variants:
        v1 = int(starts[np.searchsorted(starts, v0 + CHUNK_VARIANTS, side="right") - 1])
        if v1 <= v0:  # one engagement larger than a chunk
            nxt = np.searchsorted(starts, v0, side="right")
            v1 = int(starts[nxt]) if nxt < len(starts) else n_variants
        if v0 + CHUNK_VARIANTS >= n_variants:
            v1 = n_variants
        r0, r1 = np.searchsorted(row_v, [v0, v1])
        e = var_e[v0:v1]
        size = (v1 - v0) * width
        cell = (row_v[r0:r1].astype(np.int64) - v0) * width + row_s[r0:r1]
        own_n, own_s = _full_aggregates(
            scorer, row_v[r0:r1] - v0, row_s[r0:r1], row_p[r0:r1], row_r[r0:r1], size
        )
        n = {k: full_n[k][e] - own_n[k].reshape(-1, width) for k in scorer.people}
        s = {k: full_s[k][e] - own_s[k].reshape(-1, width) for k in scorer.people}
        n[m], s[m] = full_n[m][e], full_s[m][e]
        code, pai[v0:v1] = scorer.score(n, s)
        # only a cell the left-out rater rated can differ from the full result
        flat = np.zeros(size, dtype=bool)
        flat[cell[row_p[r0:r1] >= 0]] = True
        mine = flat.reshape(-1, width)
        fc = full_code[e]
        at = (e[:, None] * width + np.arange(width))[mine]
        changed += np.bincount(at, weights=(code != fc)[mine], minlength=cells).astype(np.int64)
        near += np.bincount(at, weights=((code >= 0) & (fc < 0))[mine], minlength=cells).astype(
            np.int64
        )
        v0 = v1

    eng_ids = engs[ENG]
    sig_ids = pl.Series("signal_id", scorer.signal_ids)
    counts = n_raters.select(ENG, pl.col("n").cast(pl.Int32).alias("variants"))
    gap_at = np.flatnonzero(full_code.ravel() >= 0)
    changed_frame = pl.DataFrame(
        {
            ENG: eng_ids.gather(gap_at // width),
            "signal_id": sig_ids.gather(gap_at % width),
            "_changed": pl.Series(changed[gap_at], dtype=pl.Int32),
        }
    )
    gaps = (
        results.gaps.join(counts, on=ENG, how="left", maintain_order="left")
        .join(changed_frame, on=[ENG, "signal_id"], how="left", maintain_order="left")
        .with_columns(
            changed_in=pl.when(pl.col("variants").is_not_null())
            .then(pl.col("_changed").fill_null(0))
            .cast(pl.Int32)
        )
        .with_columns(robust=pl.col("changed_in") == 0)
        .drop("variants", "_changed")
    )
    near_at = np.flatnonzero(near > 0)  # engagement order, then catalogue order
    near_frame = (
        pl.DataFrame(
            {ENG: eng_ids.gather(near_at // width), "signal_id": sig_ids.gather(near_at % width)}
        )
        .group_by(ENG, maintain_order=True)
        .agg(near_gaps=pl.col("signal_id"))
    )
    pai_frame = (
        pl.DataFrame({_E: var_e, "pai": pai})
        .filter(pl.col("pai").is_not_nan())
        .group_by(_E)
        .agg(
            pai_min=pl.col("pai").min(),  # full precision, as the contract's `pai`
            pai_max=pl.col("pai").max(),
        )
        .join(engs, on=_E, how="inner")
        .drop(_E)
    )
    robust_gaps = gaps.group_by(ENG).agg(robust_gaps=pl.col("robust").sum().cast(pl.Int32))
    has = pl.col("variants") > 0
    frame = (
        results.engagements.select(ENG, "pai")
        .join(counts, on=ENG, how="left")
        .join(pai_frame, on=ENG, how="left")
        .join(robust_gaps, on=ENG, how="left")
        .join(near_frame, on=ENG, how="left")
        .with_columns(pl.col("variants").fill_null(0))
        .with_columns(
            pai_min=pl.when(has & pl.col("pai").is_not_null()).then(pl.col("pai_min")),
            pai_max=pl.when(has & pl.col("pai").is_not_null()).then(pl.col("pai_max")),
            robust_gaps=pl.when(has).then(pl.col("robust_gaps").fill_null(0)),
            near_gaps=pl.when(has).then(
                pl.col("near_gaps").fill_null(pl.lit([], dtype=pl.List(pl.String)))
            ),
        )
        .select([pl.col(c).cast(t) for c, t in ROBUSTNESS_SCHEMA.items()])
        .sort(ENG)
    )
    return dataclasses.replace(results, gaps=gaps, robustness=frame)
