"""Issue 9, found by attacking the first fixes: --force replaces only paos's own
reports, a baseline from the store must be the same client's, reports and store
never share a folder, a missing store is a fault, a title holds no controls."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from paos._files import is_report
from paos.cli import app
from paos.deliverables._render import notebook_html
from paos.deliverables.report import deliverable
from paos.deliverables.run import run_engagement
from paos.errors import FaultError, PaosError
from paos.method.diagnostic import diagnose
from paos.method.store import store_rows, write_runs
from tests.builders import META, write_engagement


def test_force_never_replaces_a_folder_paos_did_not_publish(tmp_path):
    src = write_engagement(tmp_path / "src")
    user = tmp_path / "out" / "acme-2026"
    user.mkdir(parents=True)
    (user / "NOTES.txt").write_text("mine")
    with pytest.raises(FaultError, match="not a report paos published"):
        run_engagement(src, tmp_path / "out", force=True, progress=None)
    assert (user / "NOTES.txt").read_text() == "mine"


def test_force_never_replaces_a_link_in_place_of_a_report(tmp_path):
    src = write_engagement(tmp_path / "src")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "acme-2026").symlink_to(elsewhere)
    result = CliRunner().invoke(
        app,
        [
            "run",
            str(src),
            "--out",
            str(tmp_path / "out"),
            "--store",
            str(tmp_path / "st"),
            "--force",
        ],
    )
    assert result.exit_code == 1 and "not a report paos published" in result.output
    assert (tmp_path / "out" / "acme-2026").is_symlink()


@pytest.mark.slow
def test_force_replaces_a_report_paos_published(tmp_path):
    src = write_engagement(tmp_path / "src")
    first = run_engagement(src, tmp_path / "out", progress=None)
    assert is_report(first.folder) and ".paos-report" not in first.files
    again = run_engagement(src, tmp_path / "out", force=True, progress=None)
    assert is_report(again.folder)


def test_a_baseline_from_the_store_of_another_client_is_refused(tmp_path):
    other = write_engagement(
        tmp_path / "other",
        meta=META.replace("acme-2026", "fern-2025")
        .replace("Acme", "Fernhill")
        .replace("2026-05-04", "2025-05-04"),
    )
    store = tmp_path / "store"
    write_runs(store_rows(diagnose(other)), store)
    follow = write_engagement(tmp_path / "follow", meta=META + "baseline: fern-2025\n")
    with pytest.raises(PaosError, match="different clients"):
        deliverable(follow, store=store)


def test_a_baseline_from_the_store_of_the_same_client_is_compared(tmp_path):
    base = write_engagement(
        tmp_path / "base",
        meta=META.replace("acme-2026", "acme-2025").replace("2026-05-04", "2025-05-04"),
    )
    store = tmp_path / "store"
    write_runs(store_rows(diagnose(base)), store)
    follow = write_engagement(tmp_path / "follow", meta=META + "baseline: acme-2025\n")
    d = deliverable(follow, store=store)
    assert d.reassessment is not None


@pytest.mark.parametrize("store", ["out", "out/results", "."])
def test_reports_and_store_never_share_a_folder(tmp_path, store):
    src = write_engagement(tmp_path / "src")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["run", str(src), "--out", str(out), "--store", str(tmp_path / store)]
    )
    assert result.exit_code == 2 and "overlap" in result.output
    assert not out.exists()
    result = CliRunner().invoke(
        app, ["batch", str(tmp_path / "src"), "--out", str(out), "--store", str(tmp_path / store)]
    )
    assert result.exit_code == 2 and "overlap" in result.output


def test_benchmark_against_a_missing_store_is_a_fault(tmp_path):
    src = write_engagement(tmp_path / "src")
    for store in (tmp_path / "nowhere", tmp_path / "src" / "engagement.yaml"):
        result = CliRunner().invoke(app, ["benchmark", str(src), "--store", str(store)])
        assert result.exit_code == 1 and "no results store there" in result.output


def test_the_document_title_holds_no_control_or_bidi_character(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    html = notebook_html(nb, "Acme\x1b[2J\u202eevil · Partner Architecture Diagnostic")
    title = html[html.index("<title>") : html.index("</title>")]
    assert "\x1b" not in title and "\u202e" not in title and "Acme[2Jevil" in title


def test_a_library_warning_is_shown_once_and_the_command_ends(tmp_path, monkeypatch, recwarn):
    import warnings

    import paos.method.diagnostic as diagnostic

    real = diagnostic.diagnose

    def noisy(*args, **kwargs):
        warnings.warn("a library's own warning", UserWarning, stacklevel=1)
        return real(*args, **kwargs)

    monkeypatch.setattr(diagnostic, "diagnose", noisy)
    src = write_engagement(tmp_path / "src")
    result = CliRunner().invoke(app, ["benchmark", str(src), "--store", str(tmp_path)])
    assert result.exit_code == 0  # re-showing it once recorded it again, forever
    assert [str(w.message) for w in recwarn].count("a library's own warning") == 1
