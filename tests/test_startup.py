"""`import paos` leaves the importing program's `sys.modules` as it was; only the
processes paos starts (the CLI, its notebook kernel, its batch workers) do without the
IRI grammar jsonschema would compile (`paos._startup`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from paos._startup import SKIPPED

ROOT = Path(__file__).resolve().parents[1]


def _python(code: str) -> str:
    env_path = {"PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**__import__("os").environ, **env_path},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


BLOCKED = "sorted(k for k, v in sys.modules.items() if v is None)"


def test_importing_paos_puts_no_none_entry_in_sys_modules():
    """The library's modules, the CLI's included, import without touching
    sys.modules: a program that imports paos keeps jsonschema's IRI checks."""
    out = _python(
        "import sys\n"
        f"before = {BLOCKED}\n"
        "import paos, paos.cli, paos.deliverables.run, paos.portfolio.batch\n"
        "from paos import load_rulebook, score\n"
        f"print(before == {BLOCKED}, {SKIPPED!r} in sys.modules)"
    )
    assert out == "True False"


def test_the_cli_process_skips_the_iri_grammar():
    out = _python(
        "import sys\n"
        "from paos.cli import app\n"
        "app(['rulebook', 'show', 'paos-v1'], standalone_mode=False)\n"
        f"print('RESULT', sys.modules.get({SKIPPED!r}, 'absent'))"
    )
    assert out.splitlines()[-1] == "RESULT None"


@pytest.mark.slow
def test_the_notebook_kernel_skips_the_iri_grammar(tmp_path):
    """The kernel paos launches runs the set-up before the first cell, binding no
    name in the notebook's namespace."""
    from jupyter_client.manager import KernelManager

    from paos.deliverables.run import KERNEL_ARGUMENTS

    km = KernelManager(kernel_name="python3")
    km.start_kernel(extra_arguments=KERNEL_ARGUMENTS, cwd=str(tmp_path))
    kc = km.client()
    try:
        kc.start_channels()
        kc.wait_for_ready(timeout=120)
        seen: list[str] = []

        def hook(msg: dict) -> None:
            if msg["msg_type"] == "stream":
                seen.append(msg["content"]["text"])

        code = f"import sys\nprint(sys.modules.get({SKIPPED!r}, 'absent'), 'paos' in dir())"
        kc.execute_interactive(code, output_hook=hook, timeout=120)
        assert "".join(seen).split()[:2] == ["None", "False"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
