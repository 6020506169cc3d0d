"""The `paos` command: arguments in, the library's result printed, an exit status.

Every command is a few lines over one function of `paos` (`paos.api`); this
package uses no other name of paos (a test holds it). One module per family of
commands: `engagement` (validate, score, new, notebook), `surveys`
(questionnaire, import), `deliverables` (run, check), `portfolio` (batch,
benchmark, compare, portfolio-report), `rulebook` (show, new, check).
"""

import importlib

from paos.cli._app import app, main

# registered in this order, the order `paos --help` lists them in
for _family in ("engagement", "surveys", "deliverables", "portfolio", "rulebook"):
    importlib.import_module(f"paos.cli.{_family}")

__all__ = ["app", "main"]
