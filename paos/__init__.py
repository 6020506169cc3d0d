"""PAOS: the deterministic Partner Architecture Diagnostic.

The pipeline, one module per stage:
intake -> validate (schemas) -> signals -> divergence -> gaps -> index -> results.
"""
import sys

# altair -> jsonschema imports `rfc3987_syntax` when it is installed, which compiles a
# grammar at import time (about 1.2 s, several seconds more inside a kernel on
# CPython 3.11, gh-142183). Vega-Lite schemas use no "iri" format, so paos never
# needs it; jsonschema treats the missing module as "format not checked".
sys.modules.setdefault("rfc3987_syntax", None)

from paos.diagnostic import diagnose  # noqa: E402
from paos.engine import Evidence, Results, score  # noqa: E402
from paos.errors import EvidenceError, PaosError, RulebookError  # noqa: E402
from paos.results import contract, contracts, summary_text  # noqa: E402
from paos.rulebook import Rulebook, load_rulebook  # noqa: E402
from paos.validate import load_evidence  # noqa: E402

__version__ = "0.1.0"
__all__ = ["diagnose", "load_evidence", "load_rulebook", "score", "contract", "contracts",
           "summary_text", "Evidence", "Results", "Rulebook", "PaosError", "EvidenceError",
           "RulebookError", "__version__"]
