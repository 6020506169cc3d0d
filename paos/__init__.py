"""PAOS: the deterministic Partner Architecture Diagnostic.

The pipeline, one sub-package per stage: `paos.evidence` (files -> validated
frames), `paos.method` (frames -> results), `paos.deliverables` (results -> HTML
and PDF), `paos.portfolio` (batch, store, peers, re-assessment). Notebooks call
`paos.deliverables.report`, `.sections` and `.chart_engine`, `paos.method.check`
and `paos.portfolio.report`; everything else below is the library API.

The public names below are imported on first use, so `import paos` stays cheap and
a notebook's imports run in the order its modules ask for (see `paos.deliverables.report`).
"""

import importlib
import sys

# altair -> jsonschema imports `rfc3987_syntax` when it is installed, which compiles a
# grammar at import time (about 1.2 s, several seconds more inside a kernel on
# CPython 3.11, gh-142183). Vega-Lite schemas use no "iri" format, so paos never
# needs it; jsonschema treats the missing module as "format not checked". Kept although
# it is process-wide: it only ever removes that one optional import, and without it the
# demo `paos run` takes 12.7 s instead of 6.8 s (median of 6 interleaved runs): 4.4 s
# more in the kernel, 1.6 s in the CLI process (nbformat and nbconvert import jsonschema
# too), so it stays here, where both pass first, not in the notebook's first cell alone.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]  # None blocks it

__version__ = "0.1.0"

_EXPORTS = {
    "diagnose": "paos.method.diagnostic",
    "load_evidence": "paos.evidence.validate",
    "load_rulebook": "paos.base.rulebook",
    "Rulebook": "paos.base.rulebook",
    "score": "paos.method.engine",
    "Evidence": "paos._types",
    "Results": "paos._types",
    "contract": "paos.method.results",
    "contracts": "paos.method.results",
    "summary_text": "paos.method.results",
    "PaosError": "paos.errors",
    "EvidenceError": "paos.errors",
    "RulebookError": "paos.errors",
}
__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'paos' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
