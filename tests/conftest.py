"""Session fixtures shared by the browser tests: one headless Chromium (the system's, not a
Playwright download) for the whole test session, and the folder for CI artifacts.

Browser tests do not skip silently: without Chromium they fail with the command that installs
it, unless ``GOVSIM_SKIP_BROWSER_TESTS=1`` opts out (for a local run on a machine without it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Screenshots and other files CI keeps (README: "CI artifacts").
ARTIFACTS = ROOT / "results" / "ci-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]


def chromium_path() -> str:
    path = os.environ.get("GOVSIM_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path
    if os.environ.get("GOVSIM_SKIP_BROWSER_TESTS") == "1":
        pytest.skip("GOVSIM_SKIP_BROWSER_TESTS=1 and no Chromium on PATH")
    pytest.fail("browser tests need Chromium on PATH: run 'apt-get install -y chromium' (as .ci/run does), or set "
                "GOVSIM_SKIP_BROWSER_TESTS=1 to leave them out of a local run", pytrace=False)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the session (Playwright driving the system's Chromium)."""
    exe = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def govsim(capsys, monkeypatch):
    """The ``govsim`` command line in this process: ``govsim(*args, cwd=None)`` returns a
    CompletedProcess with the return code, stdout and stderr (``--help`` and argparse errors
    included)."""
    from experiments.cli import main

    def call(*args, cwd=None):
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capsys.readouterr()
        try:
            rc = main(list(args))
        except SystemExit as e:
            rc = e.code
        out = capsys.readouterr()
        return subprocess.CompletedProcess(args, rc, out.out, out.err)
    return call
