"""PAOS: the deterministic Partner Architecture Diagnostic.

The pipeline, one module per stage:
intake -> validate (schemas) -> signals -> divergence -> gaps -> index -> results.
"""
from paos.diagnostic import diagnose
from paos.engine import Evidence, Results, score
from paos.errors import EvidenceError, PaosError, RulebookError
from paos.results import contract, contracts, summary_text
from paos.rulebook import Rulebook, load_rulebook
from paos.validate import load_evidence

__version__ = "0.1.0"
__all__ = ["diagnose", "load_evidence", "load_rulebook", "score", "contract", "contracts",
           "summary_text", "Evidence", "Results", "Rulebook", "PaosError", "EvidenceError",
           "RulebookError", "__version__"]
