"""The survey tools paos reads: one record per tool, holding everything paos knows of
it (its name, how its header rows are recognised and laid out, its own metadata
columns, its response id, the prefix of the stakeholder ids it gives). A new tool is
one more record in `TOOLS`; nothing else names a tool."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Signature = Callable[[list[str], set[str]], bool]  # (normalised first row, as a set)


@dataclass(frozen=True)
class SurveyTool:
    """What paos knows of one survey tool's export."""

    key: str  # as `Export.tool` names it
    name: str  # as messages name it
    prefix: str  # of the stakeholder ids its respondents get (`gf-1`)
    # whether a first header row (normalised) is this tool's; None: never recognised
    # (a returned questionnaire is read by its own reader)
    signature: Signature | None = None
    # how the header rows lay out the columns: one row of header text (`plain`); a
    # row of column ids over a row of question texts and perhaps a row of
    # `{"ImportId": ...}` (`ids`, Qualtrics); a question's text heading only its first
    # column over a row of option labels (`grouped`, SurveyMonkey)
    header: Literal["plain", "ids", "grouped"] = "plain"
    metadata: tuple[str, ...] = ()  # the tool's own columns, ignored
    metadata_prefix: str | None = None  # column ids starting so are the tool's own too
    response_id: tuple[str, ...] = ()  # the response id's header (normalised)
    finished: str | None = None  # the header (normalised) of "the response is complete"
    # the response id numbers one form's responses 1, 2, ... (Microsoft Forms' ID); any
    # other id identifies the response whatever the prefix (Qualtrics' `R_...`)
    ids_are_row_numbers: bool = False
    # a survey `paos questionnaire` made (its embedded data `paos_rulebook`) exported
    # as numbers gives each choice's position: the levels from the lowest, then
    # "Cannot judge"
    numbers_are_positions: bool = False
    columns_are_signal_ids: bool = False  # PAOS's wide layout: a column per signal id


QUALTRICS = SurveyTool(
    key="qualtrics",
    name="Qualtrics",
    prefix="qx",
    signature=lambda head, names: bool(
        {"responseid", "startdate"} & names
        and ("responseid" in names or "finished" in names or "enddate" in names)
    ),
    header="ids",
    metadata=(
        "StartDate",
        "EndDate",
        "Status",
        "IPAddress",
        "Progress",
        "Duration (in seconds)",
        "Finished",
        "RecordedDate",
        "ResponseId",
        "RecipientLastName",
        "RecipientFirstName",
        "RecipientEmail",
        "ExternalReference",
        "LocationLatitude",
        "LocationLongitude",
        "DistributionChannel",
        "UserLanguage",
        # the embedded data `paos questionnaire --format qualtrics` declares
        "paos_rulebook",
        "paos_perspective",
        # the legacy export's names
        "ResponseID",
        "ResponseSet",
        "Name",
        "ExternalDataReference",
        "EmailAddress",
    ),
    metadata_prefix="Q_",  # Qualtrics' own extras: Q_RecaptchaScore, Q_RelevantIDDuplicate
    response_id=("responseid",),
    finished="finished",
    numbers_are_positions=True,
)
GOOGLE = SurveyTool(
    key="google",
    name="Google Forms",
    prefix="gf",
    signature=lambda head, names: head[:1] == ["timestamp"],
    metadata=("Timestamp", "Email Address", "Email"),
)
MSFORMS = SurveyTool(
    key="msforms",
    name="Microsoft Forms",
    prefix="ms",
    signature=lambda head, names: head[:3] == ["id", "start time", "completion time"],
    metadata=("ID", "Start time", "Completion time", "Email", "Name", "Last modified time"),
    response_id=("id",),
    ids_are_row_numbers=True,
)
SURVEYMONKEY = SurveyTool(
    key="surveymonkey",
    name="SurveyMonkey",
    prefix="sm",
    signature=lambda head, names: bool(
        {"respondent id", "respondentid"} & names and {"collector id", "collectorid"} & names
    ),
    header="grouped",
    metadata=(
        "Respondent ID",
        "Collector ID",
        "Start Date",
        "End Date",
        "IP Address",
        "Email Address",
        "First Name",
        "Last Name",
        "Custom Data 1",
        # the older spelling (exports before SurveyMonkey's 2013 redesign)
        "RespondentID",
        "CollectorID",
        "StartDate",
        "EndDate",
        "IPAddress",
        "Email",
        "FirstName",
        "LastName",
        "CustomData",
    ),
    response_id=("respondent id", "respondentid"),
)
WIDE = SurveyTool(
    key="wide",
    name="PAOS wide layout",
    prefix="",
    signature=lambda head, names: "stakeholder id" in names and "role" in names,
    response_id=("stakeholder id",),
    columns_are_signal_ids=True,
)
TABLE = SurveyTool(
    key="table",
    name="plain table (one header row)",
    prefix="r",
    signature=lambda head, names: True,
)
QUESTIONNAIRE = SurveyTool(key="questionnaire", name="returned paos questionnaire", prefix="q")

# In the order they are tried: SurveyMonkey before Qualtrics, whose signature the older
# SurveyMonkey spelling (with StartDate) matches too; a plain table last.
TOOLS = (WIDE, SURVEYMONKEY, QUALTRICS, GOOGLE, MSFORMS, TABLE, QUESTIONNAIRE)
BY_KEY = {t.key: t for t in TOOLS}
# SurveyMonkey's second header row under a question with one column.
SINGLE_COLUMN_SUBS = ("response", "open ended response")


def recognise(head: list[str]) -> SurveyTool:
    """The tool whose export starts with this (normalised) header row."""
    names = set(head)
    return next(t for t in TOOLS if t.signature is not None and t.signature(head, names))
