"""JupyterLab is a tested client: a Jupyter server on localhost (a free port, token
auth) opens the engagement notebook through its REST API (contents, sessions) and
runs every cell in the session's kernel over its websocket, as JupyterLab does."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from paos.deliverables.notebook import write_notebook
from tests.test_engagement_notebook import DEMO, _add_commentary

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, root: Path):
        self.port, self.token = _free_port(), secrets.token_hex(16)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "JUPYTER_CONFIG_DIR": str(root / ".cfg")}
        # The server's kernel is the analyst's Jupyter's, not paos's: IPython keeps its
        # history on disk. In the test's folder, never the user's ~/.ipython.
        env["IPYTHONDIR"] = str(root.parent / "ipython")
        env.pop("JPY_SESSION_NAME", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter_server", "--no-browser",
             "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
             "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
             "--ServerApp.allow_root=True",  # CI containers run as root
             f"--ServerApp.root_dir={root}"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 90
        while True:
            try:
                self.api("GET", "status")
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.close()
                    raise RuntimeError("the Jupyter server did not start") from None
                time.sleep(0.3)

    def api(self, method: str, path: str, body: dict | None = None) -> dict:
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            text = resp.read()
        return json.loads(text) if text else {}

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _run_cell(ws, session: str, code: str) -> tuple[dict, list[dict]]:
    """Execute `code` in the kernel: its execute_reply and its iopub messages."""
    msg_id = uuid.uuid4().hex
    ws.send(
        json.dumps(
            {
                "header": {
                    "msg_id": msg_id, "msg_type": "execute_request", "session": session,
                    "username": "analyst", "version": "5.3", "date": "",
                },
                "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                "content": {
                    "code": code, "silent": False, "store_history": True,
                    "user_expressions": {}, "allow_stdin": False, "stop_on_error": True,
                },
            }
        )
    )  # fmt: skip
    reply, iopub, idle = None, [], False
    while reply is None or not idle:
        msg = json.loads(ws.recv())
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        if msg["channel"] == "shell" and msg["msg_type"] == "execute_reply":
            reply = msg["content"]
        elif msg["channel"] == "iopub":
            iopub.append(msg)
            idle |= msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle"
    return reply, iopub


@pytest.mark.slow
def test_a_jupyter_server_runs_every_cell_of_the_engagement_notebook(tmp_path):
    import websocket

    # written in one place, then moved: only the server can say where it is now
    first = tmp_path / "written" / "northwind"
    shutil.copytree(DEMO, first)
    write_notebook(first)
    _add_commentary(first / "diagnostic.ipynb", [("commentary", "PAI {{ pai }}, said Lab.")])
    root = tmp_path / "lab"
    root.mkdir()
    shutil.move(first, root / "northwind")
    server = Server(root)
    history = tmp_path / "ipython" / "profile_default" / "history.sqlite"
    try:
        model = server.api("GET", "contents/northwind/diagnostic.ipynb")
        assert model["type"] == "notebook"
        cells = [c for c in model["content"]["cells"] if c["cell_type"] == "code"]
        session = server.api(
            "POST",
            "sessions",
            {"path": "northwind/diagnostic.ipynb", "name": "diagnostic.ipynb",
             "type": "notebook", "kernel": {"name": "python3"}},
        )  # fmt: skip
        kid = session["kernel"]["id"]
        ws = websocket.create_connection(
            f"ws://127.0.0.1:{server.port}/api/kernels/{kid}/channels?token={server.token}",
            timeout=120,
        )
        shown = []
        try:
            for cell in cells:
                src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
                reply, iopub = _run_cell(ws, session["id"], src)
                errors = [m["content"] for m in iopub if m["msg_type"] == "error"]
                assert reply["status"] == "ok" and not errors, (src[:80], errors or reply)
                shown += [
                    m["content"]["data"].get("text/html", "")
                    for m in iopub
                    if m["msg_type"] in ("display_data", "execute_result")
                ]
        finally:
            ws.close()
            server.api("DELETE", f"sessions/{session['id']}")
    finally:
        server.close()
    assert history.is_file()  # the server's kernel kept it in the test's folder, not ~
    summary = next(h for h in shown if 'data-page="summary"' in h)
    assert "Analyst's commentary</div><p>PAI 2.2, said Lab.</p>" in summary
    assert sorted(p.name for p in (root / "northwind").iterdir()) == sorted(
        [p.name for p in DEMO.iterdir()] + ["diagnostic.ipynb"]
    )  # output_dir "": the kernel wrote nothing beside the evidence
