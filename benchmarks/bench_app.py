"""App responsiveness in a real browser (headless system Chromium via Playwright), against a
reference measured in the same run.

1. Opening: from navigation until the page shows the time-series chart of month 0 (a fresh
   tab, so each repeat starts two new model runs). Goal ≤ 5 s.
2. A step of a 2,000-resident street (the default world: 5 communities × 400 residents): from
   the click on Step until the chart's own title shows the next month (the chart has received
   and drawn the new series). Goal ≤ 200 ms. The reference is the bare cost of what the server
   must do per step — one month of both runs (baseline and your settings) — measured in this
   process on the same seed; the ratio says how much the page adds.

Each measurement is repeated and reported as a range (min–max) with its median.

    .venv/bin/python benchmarks/bench_app.py [--opens 5] [--steps 30]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import session as S  # noqa: E402
from experiments.scenarios import load_scenario  # noqa: E402

CHART_TITLE_JS = """
(text) => new Promise((resolve) => {
  const el = document.querySelector('.govsim-chart');
  if (!el || !el.getAttribute('_echarts_instance_')) { resolve(false); return; }
  window.requirejs([window.solara.cdn + '/echarts@5.4.0/dist/echarts.js'], (echarts) => {
    const c = echarts.getInstanceByDom(el);
    resolve(!!c && c.getOption().title[0].text.startsWith(text));
  }, () => resolve(false));
})
"""
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]


def _rng(xs: list[float]) -> str:
    p90 = sorted(xs)[max(0, int(round(0.9 * len(xs))) - 1)]
    return (f"{min(xs):.0f}–{max(xs):.0f} ms (median {statistics.median(xs):.0f}, 90th percentile {p90:.0f}, "
            f"n = {len(xs)})")


def reference_step_ms(months: int) -> list[float]:
    """Milliseconds per month of both runs, stepped as the server steps them."""
    ref = S.settings_from_scenario(load_scenario("baseline"), seed=1)
    pr = S.PairedRun(ref, ref)
    out = []
    for _ in range(months):
        t = time.perf_counter()
        pr.step()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--opens", type=int, default=5)
    ap.add_argument("--steps", type=int, default=30)
    a = ap.parse_args(argv)
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        print("bench_app: needs Chromium on PATH (apt-get install chromium)", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "experiments.cli", "app", "--port", str(port)], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url, timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        opens, steps = [], []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=exe, headless=True, args=ARGS)
            for i in range(a.opens + 1):  # the first open warms the server's imports: not counted
                ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = ctx.new_page()
                t = time.perf_counter()
                page.goto(url)
                page.wait_for_function(CHART_TITLE_JS, arg="Month 0 of", timeout=60_000, polling=20)
                if i:
                    opens.append((time.perf_counter() - t) * 1000)
                if i == a.opens:
                    for k in range(1, a.steps + 1):
                        t = time.perf_counter()
                        page.get_by_role("button", name="Step").click()
                        page.wait_for_function(CHART_TITLE_JS, arg=f"Month {k} of", timeout=30_000, polling="raf")
                        steps.append((time.perf_counter() - t) * 1000)
                ctx.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    ref = reference_step_ms(a.steps)
    print(f"open the app (fresh tab, chart of month 0): {_rng(opens)}   goal ≤ 5000 ms")
    print(f"one step, click to chart redrawn (2,000 residents, both runs): {_rng(steps)}   goal ≤ 200 ms")
    print(f"reference, one month of both runs in-process: {_rng(ref)}"
          f" -> the page adds {statistics.median(steps) / max(statistics.median(ref), 1e-9):.0f}× the model's time")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
