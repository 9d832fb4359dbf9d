"""Every relative link of every notebook opens inside JupyterLab as ``make notebook`` starts it.

The server is started through ``scripts/jupyter_lab.py``, the command ``make
notebook`` runs, with a stand-in browser and a token added; each link in a
markdown cell, resolved against ``notebooks/``, must be a file its contents API
finds. External links and anchors within a notebook are not checked.
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path, PurePosixPath

import nbformat
import pytest

from conftest import assert_all_gone, descendants, wait_for
from scripts import jupyter_lab, run_notebooks

pytest.importorskip("jupyterlab", reason="JupyterLab is not part of the TensorFlow 1.15 "
                    "environment (requirements-tf1.txt); make notebook uses the 3.9-3.13 stacks")

REPO_ROOT = Path(__file__).resolve().parent.parent

MARKDOWN_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # http:, https:, mailto:, ...
TOKEN = "links-test"
START_TIMEOUT = 120


def relative_links():
    """Return ``(notebook name, link, path from the repository root)`` of every relative link."""
    found = []
    for path in run_notebooks.notebook_paths():
        notebook_dir = PurePosixPath(path.parent.relative_to(REPO_ROOT).as_posix())
        for cell in nbformat.read(str(path), as_version=4).cells:
            if cell.cell_type != "markdown":
                continue
            for link in MARKDOWN_LINK.findall(cell.source):
                target = urllib.parse.unquote(link.split("#", 1)[0])
                if not target or EXTERNAL.match(link):
                    continue
                found.append((path.name, link, os.path.normpath(str(notebook_dir / target))))
    return found


def test_the_notebooks_have_relative_links():
    targets = {target for _, _, target in relative_links()}
    assert any(target.startswith("docs/") for target in targets)
    assert "notebooks/17_Estimator_API.ipynb" in targets


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url):
    """Return ``(status, decoded JSON or None)`` of a GET."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read().decode())
    except urllib.error.HTTPError as e:
        return e.code, None
    except (urllib.error.URLError, ConnectionError):
        return None, None


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory):
    """The base URL of JupyterLab started as ``make notebook`` starts it; stopped afterwards."""
    runtime = tmp_path_factory.mktemp("jupyter-runtime")
    port = _free_port()
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime),
           "JUPYTERLAB_WORKSPACES_DIR": str(runtime / "workspaces")}
    command = [sys.executable, str(REPO_ROOT / "scripts" / "jupyter_lab.py"),
               "--ServerApp.browser=true %s",  # a browser that opens nothing
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={TOKEN}"]
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _get(f"{base}/api/status?token={TOKEN}")[0] == 200, START_TIMEOUT,
                 "JupyterLab answering", proc=proc)
        yield base, runtime
        started = {"jupyter": proc.pid, **descendants(proc.pid)}
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        assert_all_gone(started)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.mark.slow  # starts JupyterLab's server
def test_jupyterlab_is_rooted_at_the_repository_with_the_walkthrough_open(lab_server):
    base, runtime = lab_server
    status, listing = _get(f"{base}/api/contents/?content=1&token={TOKEN}")
    assert status == 200
    assert {"docs", "notebooks", "README.md"} <= {item["name"] for item in listing["content"]}
    # What the browser is sent to: a page that forwards to the walkthrough in JupyterLab.
    opened = wait_for(lambda: list(runtime.glob("*open.html")), 30, "the page a browser opens")
    assert any("lab/tree/" + jupyter_lab.FIRST_NOTEBOOK in page.read_text() for page in opened)


@pytest.mark.slow  # starts JupyterLab's server
@pytest.mark.parametrize("notebook, link, target", relative_links(),
                         ids=lambda value: str(value))
def test_relative_link_opens_inside_jupyterlab(notebook, link, target, lab_server):
    base, _ = lab_server
    assert not target.startswith(".."), f"{notebook}: {link} points outside the repository"
    status, model = _get(f"{base}/api/contents/{urllib.parse.quote(target)}?content=0"
                         f"&token={TOKEN}")
    assert status == 200, f"{notebook}: {link} -> {target}: HTTP {status}"
    assert model["path"] == target and model["type"] in ("file", "notebook", "directory")
