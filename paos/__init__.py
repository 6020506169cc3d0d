"""PAOS: the deterministic Partner Architecture Diagnostic.

The pipeline, one sub-package per stage: `paos.evidence` (files -> validated
frames), `paos.method` (frames -> results), `paos.deliverables` (results -> HTML
and PDF), `paos.portfolio` (batch, store, peers, re-assessment). Notebooks call
`paos.deliverables.report`, `.sections` and `.chart_engine`, `paos.method.check`
and `paos.portfolio.report`; everything else below is the library API, and every
`paos` command is one function of it (`paos.api`, docs/api.md): `paos.run`,
`paos.batch`, `paos.validate`, ... The command line uses only these names.

The public names below are imported on first use, so `import paos` stays cheap and
a notebook's imports run in the order its modules ask for (see `paos.deliverables.report`).
"""

import importlib

from paos._version import __version__

TYPE_CHECKING = False  # as typing's, without importing typing (import time)

_EXPORTS = {
    "diagnose": "paos.api",
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
    "FaultError": "paos.errors",
    "NotebookError": "paos.errors",
    "PaosWarning": "paos.errors",
    "printable": "paos.errors",
    "DEFAULT_OUT": "paos._defaults",
    "DEFAULT_RULEBOOK": "paos._defaults",
    "DEFAULT_STORE": "paos._defaults",
    # every command as a function (paos.api)
    "validate": "paos.api",
    "new_engagement": "paos.api",
    "notebook": "paos.api",
    "questionnaire": "paos.api",
    "import_survey": "paos.api",
    "import_text": "paos.api",
    "suggest_mapping": "paos.api",
    "score_text": "paos.api",
    "run": "paos.api",
    "check": "paos.api",
    "portfolio_report": "paos.api",
    "batch": "paos.api",
    "BatchResult": "paos.api",
    "benchmark": "paos.api",
    "benchmark_text": "paos.api",
    "compare": "paos.api",
    "compare_text": "paos.api",
    "methodology_card": "paos.api",
    "new_rulebook": "paos.api",
    "check_rulebook": "paos.api",
    "rulebook_check_text": "paos.api",
    "Validation": "paos.api",
    "QuestionnaireFormat": "paos.api",
    "Executor": "paos.api",
    # the result types the commands return
    "RunResult": "paos.deliverables.run",
    "ImportResult": "paos.evidence.surveys",
    "RulebookCheck": "paos.base.derive",
    "Outcome": "paos.portfolio.batch",
}
__all__ = [*_EXPORTS, "__version__"]

# What `__getattr__` gives, for type checkers (never run); the names are in __all__,
# which ruff cannot read from _EXPORTS:
# ruff: noqa: F401
if TYPE_CHECKING:
    from paos._defaults import DEFAULT_OUT, DEFAULT_RULEBOOK, DEFAULT_STORE
    from paos._types import Evidence, Results
    from paos.api import *  # noqa: F403 - its __all__: every command as a function
    from paos.base.derive import RulebookCheck
    from paos.base.rulebook import Rulebook, load_rulebook
    from paos.deliverables.run import RunResult
    from paos.errors import (
        EvidenceError,
        FaultError,
        NotebookError,
        PaosError,
        PaosWarning,
        RulebookError,
        printable,
    )
    from paos.evidence.surveys import ImportResult
    from paos.evidence.validate import load_evidence
    from paos.method.engine import score
    from paos.method.results import contract, contracts, summary_text
    from paos.portfolio.batch import Outcome


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'paos' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
