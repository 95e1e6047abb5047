"""The app under test: one ``govsim app`` server per test session, on a free port, with a copy
of the shipped scenario files (so "save as scenario" writes into a temporary folder) and a
3-year horizon."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP_HORIZON = 36  # as in test_app_browser.py


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def app_scenarios(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("scenarios")
    for f in (ROOT / "scenarios").glob("*.toml"):
        shutil.copy(f, d / f.name)
    return d


@pytest.fixture(scope="session")
def app_url(app_scenarios, tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("app") / "server.log"
    with open(log, "w") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "experiments.cli", "app", "--port", str(port),
                                 "--scenario-dir", str(app_scenarios), "--horizon", str(APP_HORIZON)],
                                cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"govsim app did not start:\n{log.read_text()}", pytrace=False)
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
