"""The app in a real browser (headless system Chromium through Playwright), against one app
server for the session. All tests here run on one xdist worker (group "browser")."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app import session as S
from experiments.scenarios import load_scenario

pytestmark = pytest.mark.xdist_group("browser")
ROOT = Path(__file__).resolve().parents[2]
APP_HORIZON = 36  # the app server of tests/app/conftest.py simulates three years

CHART_JS = """
() => new Promise((resolve, reject) => {
  const el = document.querySelector('.govsim-chart');
  if (!el) { resolve(null); return; }
  window.requirejs([window.solara.cdn + '/echarts@5.4.0/dist/echarts.js'], (echarts) => {
    const chart = echarts.getInstanceByDom(el);
    if (!chart) { resolve(null); return; }
    const o = chart.getOption();
    resolve({title: o.title[0].text,
             series: o.series.map(s => ({name: s.name, axis: s.xAxisIndex, data: s.data}))});
  }, reject);
})
"""


class Page:
    """A fresh tab on the app, recording console errors and requests."""

    def __init__(self, browser, url: str):
        self.ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.ctx.new_page()
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.foreign: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.failed.append(r.url))
        self.page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.status} {r.url}"))
        self.page.on("request", lambda r: r.url.split("/")[2:3] != [url.split("/")[2]]
                     and not r.url.startswith(("data:", "blob:")) and self.foreign.append(r.url))
        self.page.goto(url)
        # the first page of a fresh server builds both runs, and on a fresh clone compiles the
        # processes first (≈ 15 s of one core, longer while the other tests load both cores);
        # how fast a page opens is measured in benchmarks/bench_app.py, not here
        self.chart_title("Month 0 of", timeout=180_000)

    def chart(self) -> dict:
        return self.page.evaluate(CHART_JS)

    def chart_title(self, text: str, timeout: float = 90_000) -> None:
        self.page.wait_for_function(f"""() => {{
            const el = document.querySelector('.govsim-chart');
            return el && el.getAttribute('_echarts_instance_') && document.body.innerText.includes({text!r}); }}""",
                                    timeout=timeout)
        self.page.wait_for_function(f"async () => {{ const c = await ({CHART_JS})(); "
                                    f"return c && c.title.startsWith({text!r}); }}", timeout=timeout)

    def reform_series(self) -> list[list[list[float]]]:
        return [s["data"] for s in self.chart()["series"] if s["name"] == "your settings"]

    def baseline_series(self) -> list[list[list[float]]]:
        return [s["data"] for s in self.chart()["series"] if s["name"] == "baseline"]

    def run_to_end(self) -> None:
        self.page.get_by_role("button", name="Run to end").click()
        self.chart_title(f"Month {APP_HORIZON} of")

    def close(self) -> None:
        self.ctx.close()


@pytest.fixture
def app(chromium, app_url):
    p = Page(chromium, app_url)
    yield p
    p.close()


def test_page_loads_offline_without_console_errors(app, artifacts):
    page = app.page
    page.get_by_role("button", name="Play").click()  # plays month after month until paused
    app.chart_title("Month 3 of")
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Step").wait_for()
    app.run_to_end()
    for text in ("Policy levers", "Load a scenario", "Save as scenario", "Play", "Step", "Reset"):
        assert page.get_by_text(text).first.is_visible(), text
    # a control for every policy lever of the registry, and only those
    rendered = page.eval_on_selector_all(".lever", "els => els.map(e => [...e.classList].find(c => "
                                         "c.startsWith('lever-')).slice(6))")
    page.locator(".v-expansion-panel-header").first.wait_for()
    names = [lv.name for lv in S.levers()]
    assert sorted(rendered) == sorted(names) or not rendered  # collapsed panels render lazily
    assert not app.errors, app.errors
    assert not app.failed, app.failed
    assert not app.foreign, app.foreign  # every asset came from the app's own server
    page.screenshot(path=str(artifacts / "app-start.png"))
    # both arms run on one seed: with no lever moved they are the same series
    assert app.reform_series() == app.baseline_series()
    # the network of one community and the hierarchy draw as pictures
    for view in ("Network of one community", "Hierarchy"):
        page.get_by_role("button", name=view).click()
        page.locator(".govsim-view img").first.wait_for(timeout=60_000)
        page.wait_for_function("() => { const i = document.querySelector('.govsim-view img');"
                               " return i && i.complete && i.naturalWidth > 300; }", timeout=60_000)
    page.get_by_role("button", name="Time series").click()
    app.chart_title(f"Month {APP_HORIZON} of")
    assert not app.errors, app.errors


def _first_float_lever() -> S.Lever:
    return next(lv for lv in S.levers() if lv.type == "float")


def test_moving_a_lever_changes_the_plotted_series(app):
    lever = _first_float_lever()
    app.run_to_end()
    before = app.reform_series()
    page = app.page
    page.locator(".v-expansion-panel-header", has_text=f"{lever.group} (").first.click()
    page.locator(f".lever-{lever.name}").first.wait_for()
    page.locator(f".lever-{lever.name} [role=slider]").first.focus()
    page.keyboard.press("End")  # the lever's maximum
    after = _wait_for(lambda: (s := app.reform_series()) != before and s)
    base = app.baseline_series()
    assert after != before
    # the change switches on at month 24: before it the two runs are identical, after it not
    switch = S.DEFAULT_SWITCH_MONTH
    assert all(a[: switch + 1] == b[: switch + 1] for a, b in zip(after, base, strict=True))
    assert any(a[switch + 1:] != b[switch + 1:] for a, b in zip(after, base, strict=True))
    assert page.locator(f".lever-{lever.name}.lever-changed").count() == 1  # marked as changed
    assert not app.errors, app.errors


def _wait_for(probe, timeout: float = 30.0):
    """Poll ``probe`` until it returns something truthy (the page updates over a websocket)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        got = probe()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError("the page did not update in time")
        time.sleep(0.1)


def _pick_scenario(page, name: str) -> None:
    page.locator(".scenario-picker .v-select").first.click()
    page.get_by_role("option", name=f"({name})").first.click()


def test_scenario_picker_loads_a_reform(app, app_scenarios, artifacts):
    reform = load_scenario("pay_raise", directory=app_scenarios)
    app.run_to_end()
    _pick_scenario(app.page, "pay_raise")
    changed = sorted({n for _, n, _ in reform.schedule})
    group = next(lv.group for lv in S.levers() if lv.name == changed[0])
    header = app.page.locator(".v-expansion-panel-header", has_text=f"{group} (").first
    header.wait_for()
    n_changed = len([lv for lv in S.levers() if lv.group == group and lv.name in changed])
    app.page.wait_for_function(f"() => document.body.innerText.includes('{n_changed} changed')", timeout=30_000)
    for name in changed:  # every lever the file changes shows as changed
        app.page.locator(f".lever-{name}.lever-changed").first.wait_for(state="attached", timeout=30_000)
    # the reform arm is re-run with the file's schedule: the series now differ from the baseline
    _wait_for(lambda: any(a != b for a, b in zip(app.reform_series(), app.baseline_series(), strict=True)))
    assert not app.errors, app.errors
    app.page.screenshot(path=str(artifacts / "app.png"))  # the README's picture of the app


def test_save_as_scenario_writes_a_file_govsim_run_accepts(app, app_scenarios, tmp_path):
    lever = _first_float_lever()
    page = app.page
    page.locator(".v-expansion-panel-header", has_text=f"{lever.group} (").first.click()
    page.locator(f".lever-{lever.name}").first.wait_for()
    page.locator(f".lever-{lever.name} [role=slider]").first.focus()
    page.keyboard.press("End")
    page.get_by_label("File name (letters, digits, _ and -)").fill("saved_from_app")
    page.get_by_label("Title").fill("Saved from the browser test")
    page.get_by_role("button", name="Save as scenario").click()
    page.locator(".save-result").first.wait_for(timeout=30_000)
    assert "Saved" in page.locator(".save-result").first.inner_text()
    path = app_scenarios / "saved_from_app.toml"
    sc = load_scenario(path)  # validates against the registry
    assert sc.title == "Saved from the browser test" and sc.chain == ("baseline", "saved_from_app")
    assert (S.DEFAULT_SWITCH_MONTH, lever.name, lever.hi) in [tuple(c) for c in sc.schedule]
    r = subprocess.run([sys.executable, "-m", "experiments.cli", "run", str(path), "--replicates", "1",
                        "--horizon", str(APP_HORIZON), "--executor", "inprocess", "--no-progress",
                        "--store", str(tmp_path / "s.duckdb")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    # a taken name is refused with a message, nothing overwritten
    page.get_by_role("button", name="Save as scenario").click()
    page.wait_for_function("() => document.body.innerText.includes('exists; choose another name')", timeout=30_000)
    assert not app.errors, app.errors
