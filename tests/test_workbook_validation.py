"""The drop-downs and other data validations of every workbook paos writes come from
one helper (`paos._workbook.add_validation`), which keeps Excel's limits."""

from __future__ import annotations

import ast
import io
from pathlib import Path

from openpyxl import Workbook, load_workbook

import paos
from paos._workbook import TEXT_MAX, TITLE_MAX, add_validation, choices


def _saved(wb: Workbook):
    buf = io.BytesIO()
    wb.save(buf)
    return load_workbook(io.BytesIO(buf.getvalue())).active


def test_a_drop_down_of_choices_refuses_anything_else_and_passes_blanks():
    wb = Workbook()
    add_validation(wb.active, "B2:B9", formula=choices(["open", "done"]), error="Pick one.")
    (dv,) = _saved(wb).data_validations.dataValidation
    assert (dv.type, dv.formula1, str(dv.sqref)) == ("list", '"open,done"', "B2:B9")
    assert dv.allow_blank and dv.showErrorMessage and not dv.showInputMessage
    assert dv.errorStyle in (None, "stop")  # stop is Excel's default


def test_titles_and_texts_are_cut_to_what_excel_accepts():
    wb = Workbook()
    long = "x" * 400
    add_validation(
        wb.active,
        "A1",
        None,
        prompt=long,
        error=long,
        prompt_title=long,
        error_title=long,
        warn=True,
    )
    (dv,) = _saved(wb).data_validations.dataValidation
    assert len(dv.prompt) == len(dv.error) == TEXT_MAX
    assert len(dv.promptTitle) == len(dv.errorTitle) == TITLE_MAX
    assert dv.errorStyle == "warning" and dv.type is None


def test_no_other_module_builds_a_data_validation():
    root = Path(paos.__file__).parent
    builders = sorted(
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and node.module == "openpyxl.worksheet.datavalidation"
    )
    assert builders == ["_workbook.py"]
