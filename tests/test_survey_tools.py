"""The survey tools paos reads are one record each (`paos.evidence.surveys.tools`):
each recognised by its header row alone, and no other module names a tool."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from paos.evidence.surveys import tools
from paos.evidence.vocabulary import normalise

SURVEYS = Path(tools.__file__).parent


@pytest.mark.parametrize(
    ("header", "tool"),
    [
        (["StartDate", "EndDate", "Status", "ResponseId", "Q1"], "qualtrics"),
        (["ResponseID", "ResponseSet", "Name", "Q1"], "qualtrics"),  # the legacy export
        (["Timestamp", "Email Address", "How do you ..."], "google"),
        (["ID", "Start time", "Completion time", "Email", "Name", "Q"], "msforms"),
        (["Respondent ID", "Collector ID", "Start Date", "Q"], "surveymonkey"),
        # the older SurveyMonkey spelling has Qualtrics' StartDate too
        (["RespondentID", "CollectorID", "StartDate", "EndDate", "Q"], "surveymonkey"),
        (["stakeholder_id", "role", "FIT-01"], "wide"),
        (["Who", "Role", "FIT-01"], "table"),
        ([], "table"),
    ],
)
def test_each_tool_is_recognised_by_its_header_row(header, tool):
    assert tools.recognise([normalise(h) for h in header]).key == tool


def test_every_tool_has_its_own_key_name_and_prefix():
    for field in ("key", "name", "prefix"):
        values = [getattr(t, field) for t in tools.TOOLS]
        assert len(set(values)) == len(values), field
    assert set(tools.BY_KEY) == {t.key for t in tools.TOOLS}


def test_no_module_but_the_records_names_a_tool():
    keys = set(tools.BY_KEY)
    named = [
        (path.name, node.lineno, node.value)
        for path in sorted(SURVEYS.glob("*.py"))
        if path.name != "tools.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and node.value in keys
    ]
    assert named == []
