"""Drop-downs and other data validations in the workbooks paos writes (the evidence
collection workbook, the offline questionnaire, the action plan): one helper, so
every one keeps within Excel's limits and behaves alike."""

from __future__ import annotations

from collections.abc import Iterable

from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

TITLE_MAX = 32  # characters of a validation's title Excel accepts
TEXT_MAX = 255  # characters of a validation's prompt or error message Excel accepts


def choices(items: Iterable[str]) -> str:
    """A list validation's formula naming its choices in line: `"a,b,c"`."""
    return '"' + ",".join(items) + '"'


def add_validation(
    ws: Worksheet,
    ref: str,
    kind: str | None = "list",
    formula: str | None = None,
    *,
    prompt: str = "",
    error: str = "",
    prompt_title: str | None = None,
    error_title: str | None = None,
    warn: bool = False,
    **kw,
) -> None:
    """Validate the cells `ref` (`"B2:B40"`): a drop-down of `formula`'s choices when
    `kind` is "list" (a range such as `lists!$A$2:$A$9`, or `choices(...)`), another
    openpyxl validation type with `formula2=`/`operator=` in `kw`, or only a prompt
    (`kind=None`). Blank cells pass. `prompt` shows when a cell is selected; `error`
    refuses any other value, or only warns with `warn`. Titles and texts are cut to
    what Excel accepts (a longer one makes Excel refuse the whole workbook)."""
    dv = DataValidation(
        type=kind,
        formula1=formula,
        allow_blank=True,
        showInputMessage=bool(prompt),
        promptTitle=prompt_title[:TITLE_MAX] if prompt and prompt_title else None,
        prompt=prompt[:TEXT_MAX] or None,
        showErrorMessage=bool(error),
        errorTitle=error_title[:TITLE_MAX] if error and error_title else None,
        error=error[:TEXT_MAX] or None,
        errorStyle="warning" if warn else None,
        **kw,
    )
    dv.add(ref)
    ws.add_data_validation(dv)
