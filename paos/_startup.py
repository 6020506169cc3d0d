"""Set-up for the processes paos itself starts: the CLI, the notebook kernel it
launches and its batch workers. Called from those entry points only, never at
import and never by library code, so a program that imports paos keeps its own
`sys.modules` (docs/trust.md: library code never changes process-wide state).

altair, nbformat and nbconvert import jsonschema, whose format checker imports
`rfc3987_syntax` when that is installed (jupyterlab brings it: jupyter_server ->
jupyter-events -> jsonschema[format-nongpl]); it compiles an IRI grammar at import
time: about 1.2 s on a quiet machine and several seconds more inside a kernel on
CPython 3.11 (gh-142183). Vega-Lite and notebook schemas use no "iri" format, so
paos never needs it; jsonschema treats the module missing as "format not checked".
Nothing else keeps it out: jsonschema imports its format checkers with the package,
altair and nbformat import jsonschema with theirs, and pip cannot leave out a
dependency that another package's extra asks for. Measured on the demo `paos run`
(median of 6 interleaved runs): 12.7 s without this, 6.8 s with it (4.4 s in the
kernel, 1.6 s in the CLI process).
"""

from __future__ import annotations

import sys

# The one optional import paos's processes do without (see above).
SKIPPED = "rfc3987_syntax"


def start() -> None:
    """Before a paos process imports the notebook stack: skip the IRI grammar. Only
    adds the entry when nothing imported that module yet (None blocks an import)."""
    sys.modules.setdefault(SKIPPED, None)  # type: ignore[arg-type]


# The kernel runs this before the notebook's first cell (ipykernel's `exec_lines`,
# passed on the kernel's command line by `paos.deliverables.run`).
# An expression, so it binds no name in the notebook's namespace.
KERNEL_LINE = "__import__('paos._startup')._startup.start()"
# Every kernel paos starts (launched, launched ahead, forked from a batch worker's
# template) keeps IPython's history in memory: else IPython records every cell it
# runs, the injected parameters naming the engagement's folder and client among
# them, in the user's IPython folder (`~/.ipython/profile_default/history.sqlite`),
# outside the engagement folder, in one SQLite file that concurrent runs share.
# (nbclient adds the same to the kernels it starts where no history file is named.)
KERNEL_HISTORY = "--HistoryManager.hist_file=:memory:"
