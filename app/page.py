"""The Solara page of ``govsim app`` (served by :mod:`app.server`).

Left: the scenario picker, the seed and horizon, the month the changes switch on, and one
control per policy lever (generated from the registry, grouped by submodel), "save as
scenario". Right: play / step / run to the end / reset, the key outputs as time series with
the baseline and "your settings" on the same seed, the numbers at the current month, and tabs
with one community's network and the governance hierarchy.

Charts are ECharts (served from the local Solara assets); the network pictures are the
report's own matplotlib drawings (``analysis.network``). Every browser tab has its own runs.
"""

from __future__ import annotations

import html
import math
import os
import time
from pathlib import Path
from typing import Any

import solara

from analysis import network, style
from app import session as S
from experiments.scenarios import ScenarioError, load_scenario
from model.outputs import OUTPUTS
from model.run import network_snapshot

BASE_COLOR = style.OKABE_ITO["black"]
REFORM_COLOR = style.OKABE_ITO["blue"]


def scenario_dir() -> Path | None:
    d = os.environ.get("GOVSIM_APP_SCENARIO_DIR")
    return Path(d) if d else None


def baseline_name() -> str:
    return os.environ.get("GOVSIM_APP_BASELINE", "baseline")


def _reference(seed: int = 1, horizon: int | None = None) -> S.Settings:
    try:
        sc = load_scenario(baseline_name(), directory=scenario_dir())
    except ScenarioError:
        return S.Settings(seed=seed, horizon=horizon or 120, source=None)
    return S.settings_from_scenario(sc, seed=seed, horizon=horizon)


LEVERS = S.levers()
# per browser session (Solara keeps one value of each reactive per session)
reference = solara.reactive(None)
chosen = solara.reactive(None)
run = solara.reactive(None)
tick = solara.reactive(0)
playing = solara.reactive(False)
shown = solara.reactive(S.key_outputs())
VIEWS = ["Time series", "Network of one community", "Hierarchy"]
tab = solara.reactive(VIEWS[0])
message = solara.reactive("")
save_name = solara.reactive("")
save_title = solara.reactive("")
save_message = solara.reactive(("", ""))
community = solara.reactive(0)
picked = solara.reactive(None)


def _ensure() -> None:
    if run.value is None:
        horizon = os.environ.get("GOVSIM_APP_HORIZON")
        ref = _reference(seed=int(os.environ.get("GOVSIM_APP_SEED", "1")), horizon=int(horizon) if horizon else None)
        reference.set(ref)
        ch = S.Settings(params=dict(ref.params), schedule=ref.schedule, switch_month=ref.switch_month, seed=ref.seed,
                        horizon=ref.horizon, source=None)
        chosen.set(ch)
        run.set(S.PairedRun(ref, ch))
        picked.set(baseline_name())


def _bump() -> None:
    tick.set(tick.value + 1)


def _apply(new: S.Settings) -> None:
    """New settings for "your settings": the reform arm is re-run to the current month."""
    chosen.set(new)
    run.value.set_chosen(new)
    _bump()


def _restart(ref: S.Settings, ch: S.Settings) -> None:
    playing.set(False)
    reference.set(ref)
    chosen.set(ch)
    run.set(S.PairedRun(ref, ch))
    _bump()


# ----------------------------------------------------------------------------- charts


def _fmt_unit(o: str) -> str:
    info = OUTPUTS[o]
    return {"share": "%", "share/year": "%/year"}.get(info.unit, info.unit)


def _scale(o: str) -> float:
    return 100.0 if OUTPUTS[o].unit in ("share", "share/year") else 1.0


def chart_option(pr: S.PairedRun, outputs: list[str], switch_month: int, *, columns: int = 3) -> dict[str, Any]:
    """The ECharts option: one small panel per output, baseline and your settings as lines."""
    data = pr.series(outputs)
    months = data["month"].tolist()
    n = max(1, len(outputs))
    rows = math.ceil(n / columns)
    grids, xs, ys, series, titles = [], [], [], [], []
    panel_h, top0, gap = 150, 80, 52
    for i, o in enumerate(outputs):
        r, c = divmod(i, columns)
        top = top0 + r * (panel_h + gap)
        grids.append({"left": f"{1 + c * (100 / columns):.1f}%", "width": f"{100 / columns - 5:.1f}%",
                      "top": top, "height": panel_h, "containLabel": True})
        titles.append({"text": f"{OUTPUTS[o].label} ({_fmt_unit(o)})", "left": f"{1 + c * (100 / columns):.1f}%",
                       "top": top - 24, "textStyle": {"fontSize": 12, "fontWeight": "normal"}})
        xs.append({"gridIndex": i, "type": "value", "min": 0, "max": pr.horizon, "splitLine": {"show": False},
                   "name": "month" if r == rows - 1 else "", "nameLocation": "middle", "nameGap": 22})
        ys.append({"gridIndex": i, "type": "value", "scale": True, "splitLine": {"lineStyle": {"color": "#eee"}}})
        k = _scale(o)
        for arm, color, name in (("baseline", BASE_COLOR, "baseline"), ("reform", REFORM_COLOR, "your settings")):
            vals = data[arm][o] * k
            s = {"type": "line", "name": name, "xAxisIndex": i, "yAxisIndex": i, "showSymbol": len(months) == 1,
                 "animation": False, "lineStyle": {"color": color, "width": 1.6 if arm == "reform" else 1.2},
                 "itemStyle": {"color": color}, "z": 3 if arm == "baseline" else 2,
                 "data": [[m, round(float(v), 6)] for m, v in zip(months, vals, strict=True)]}
            if arm == "reform":
                marks = [{"xAxis": switch_month, "lineStyle": {"color": "#999", "type": "dotted"},
                          "label": {"show": False}}]
                if OUTPUTS[o].target is not None:
                    marks.append({"yAxis": OUTPUTS[o].target * k, "lineStyle": {"color": "#999", "type": "dashed"},
                                  "label": {"formatter": f"target {OUTPUTS[o].target * k:g}", "fontSize": 10,
                                            "position": "insideEndBottom", "color": "#777"}})
                s["markLine"] = {"symbol": "none", "silent": True, "animation": False, "data": marks}
            series.append(s)
    return {
        "animation": False,
        "title": [{"text": f"Month {pr.month} of {pr.horizon}", "left": 0, "top": 0, "textStyle": {"fontSize": 14},
                   "subtext": f"dotted line: your changes switch on (month {switch_month}); same seed in both runs",
                   "subtextStyle": {"fontSize": 11}, "itemGap": 8}, *titles],
        "legend": {"data": ["baseline", "your settings"], "top": 2, "right": 10},
        "tooltip": {"trigger": "axis"},
        "grid": grids, "xAxis": xs, "yAxis": ys, "series": series,
        "_height": top0 + rows * (panel_h + gap),
    }


@solara.component
def Charts(pr: S.PairedRun, outputs: list[str], switch_month: int, version: int):
    option = chart_option(pr, outputs, switch_month)
    height = option.pop("_height")
    solara.FigureEcharts(option=option, attributes={"style": f"height: {height}px; width: 100%",
                                                    "class": "govsim-chart"})


@solara.component
def NumbersNow(pr: S.PairedRun, outputs: list[str], version: int):
    data = pr.series(outputs)
    e = html.escape
    rows = []
    for o in outputs:
        k, u = _scale(o), _fmt_unit(o)
        b, r = float(data["baseline"][o][-1]) * k, float(data["reform"][o][-1]) * k
        du = {"%": "pp", "%/year": "pp/year"}.get(u, u)
        rows.append(f"<tr><td>{e(OUTPUTS[o].label)}</td><td>{b:,.3g} {e(u)}</td><td>{r:,.3g} {e(u)}</td>"
                    f"<td>{r - b:+,.3g} {e(du)}</td></tr>")
    solara.HTML(tag="table", classes=["numbers-now"], unsafe_innerHTML=(
        f"<caption>At month {pr.month}</caption><thead><tr><th>output</th><th>baseline</th><th>your settings</th>"
        f"<th>difference</th></tr></thead><tbody>{''.join(rows)}</tbody>"))


@solara.component
def NetworkView(pr: S.PairedRun, version: int):
    arm = solara.use_reactive("reform")
    model = pr.arm(arm.value)
    n_comm = S.n_communities(model)
    with solara.Row():
        solara.ToggleButtonsSingle(value=arm, values=["reform", "baseline"])
        solara.SliderInt("community", value=community, min=0, max=max(0, n_comm - 1))
    c = min(community.value, max(0, n_comm - 1))
    nodes, edges = network_snapshot(model, c)
    layout = pr.layouts.setdefault((arm.value, c), {})
    with style.context():
        fig = network.community_figure(nodes, edges, community=c, layout=layout, layout_method="spring",
                                       label=("your settings" if arm.value == "reform" else "baseline")
                                       + f", month {pr.month}", width="double")
        solara.FigureMatplotlib(fig, format="png", dependencies=[version, arm.value, c])


@solara.component
def HierarchyView(pr: S.PairedRun, version: int):
    nodes, edges = S.hierarchy_frames(pr.reform)
    with style.context():
        fig = network.hierarchy_figure(nodes, edges, label=f"your settings, month {pr.month}", width="double")
        solara.FigureMatplotlib(fig, format="png", dependencies=[version])


# ----------------------------------------------------------------------------- controls


def _shown(v: Any, lever: S.Lever) -> str:
    if lever.type == "float":
        return f"{float(v):,.6g}"
    return str(v)


@solara.component
def LeverControl(lever: S.Lever, value: Any, reference_value: Any):
    def set_value(v):
        current = chosen.value.value(lever.name)
        if lever.type in ("float", "int") and not S.on_grid(current, lever) and abs(float(v) - float(current)) \
                <= float(lever.step):
            return  # the slider rounding a value it cannot show exactly onto its grid: not a choice
        _apply(chosen.value.with_lever(lever.name, v))

    unit = f" {lever.unit}" if lever.unit and lever.type in ("float", "int") else ""
    changed = value != reference_value
    with solara.Div(classes=["lever", f"lever-{lever.name}"] + (["lever-changed"] if changed else [])):
        solara.Text(f"{lever.label}: {_shown(value, lever)}{unit}{' •' if changed else ''}",
                    classes=["lever-label"])
        if lever.type == "bool":
            solara.Switch(label="on" if value else "off", value=bool(value), on_value=set_value)
        elif lever.type == "choice":
            solara.Select(label="", values=list(lever.choices), value=value, on_value=set_value, dense=True)
        elif lever.type == "int":
            solara.SliderInt("", value=int(value), min=int(lever.lo), max=int(lever.hi), step=int(lever.step),
                             on_value=set_value, thumb_label=True)
        else:
            solara.SliderFloat("", value=float(value), min=float(lever.lo), max=float(lever.hi),
                               step=float(lever.step), on_value=set_value, thumb_label=True)
        solara.Text(f"{lever.name}; baseline {_shown(reference_value, lever)}{unit}", classes=["lever-name"])


@solara.component
def Levers(ch: S.Settings, ref: S.Settings):
    groups: dict[str, list[S.Lever]] = {}
    for lv in LEVERS:
        groups.setdefault(lv.group, []).append(lv)
    for g, items in groups.items():
        n = sum(ch.differs_from(ref, lv.name) for lv in items)
        count = f"{len(items)} lever{'s' if len(items) != 1 else ''}" + (f", {n} changed" if n else "")
        with solara.Details(summary=f"{g} ({count})", expand=n > 0):
            for lv in items:
                LeverControl(lv, ch.value(lv.name), ref.value(lv.name))


@solara.component
def ScenarioPicker():
    choices = S.scenario_choices(scenario_dir())
    labels = {label: name for name, label in choices}
    current = next((label for name, label in choices if name == picked.value), None)

    def pick(label):
        name = labels[label]
        ref = reference.value
        try:
            sc = load_scenario(name, directory=scenario_dir())
            ch = S.settings_from_scenario(sc, seed=ref.seed, horizon=ref.horizon)
        except (ScenarioError, ValueError) as err:
            message.set(str(err))
            return
        picked.set(name)
        message.set("")
        _apply(ch)

    with solara.Div(classes=["scenario-picker"]):
        solara.Select("Load a scenario", values=list(labels), value=current, on_value=pick)


@solara.component
def SavePanel():
    def save():
        try:
            path = S.save_scenario(chosen.value, reference.value, name=save_name.value, title=save_title.value,
                                   description=save_title.value or "Saved from the govsim app",
                                   directory=scenario_dir(), extends=baseline_name())
        except (S.SaveError, ValueError) as err:
            save_message.set(("error", str(err)))
            return
        save_message.set(("success", f"Saved {path}. Run it with: govsim run {path.stem}"))

    with solara.Card("Save as scenario"):
        solara.InputText("File name (letters, digits, _ and -)", value=save_name, continuous_update=True)
        solara.InputText("Title", value=save_title, continuous_update=True)
        solara.Button("Save as scenario", on_click=save, color="primary", classes=["save-scenario"])
        kind, text = save_message.value
        if kind == "error":
            solara.Error(text, classes=["save-result"])
        elif kind == "success":
            solara.Success(text, classes=["save-result"])


@solara.component
def RunControls(pr: S.PairedRun, version: int):
    def step():
        pr.step()
        _bump()

    def to_end():
        playing.set(False)
        pr.run_to(pr.horizon)
        _bump()

    def reset():
        _restart(reference.value, chosen.value)

    def play_loop():
        while playing.value and not run.value.done:
            t0 = time.perf_counter()
            run.value.step()
            _bump()
            time.sleep(max(0.0, 0.12 - (time.perf_counter() - t0)))
        if run.value.done:
            playing.set(False)

    solara.use_thread(play_loop, dependencies=[playing.value])
    with solara.Row(classes=["run-controls"]):
        solara.Button("Pause" if playing.value else "Play", on_click=lambda: playing.set(not playing.value),
                      color="primary", disabled=pr.done)
        solara.Button("Step", on_click=step, disabled=playing.value or pr.done)
        solara.Button("Run to end", on_click=to_end, disabled=pr.done)
        solara.Button("Reset", on_click=reset)
        solara.Text(f"Month {pr.month} of {pr.horizon}", classes=["month-label"])


@solara.component
def Page():
    _ensure()
    version = tick.value
    pr, ch, ref = run.value, chosen.value, reference.value
    solara.Title("govsim — reforms against the baseline")
    solara.Style(".lever{margin-bottom:10px}.lever-label{font-size:13px;display:block}"
                 ".lever-name{font-size:11px;color:#777;display:block}.lever-changed .lever-label{font-weight:600}"
                 ".month-label{margin-left:12px;font-weight:600;align-self:center}"
                 ".numbers-now td,.numbers-now th{padding:2px 10px;text-align:right;border-bottom:1px solid #eee}"
                 ".numbers-now td:first-child,.numbers-now th:first-child{text-align:left}")
    with solara.Sidebar():
        with solara.Card("Settings"):
            ScenarioPicker()
            if message.value:
                solara.Error(message.value)

            def set_seed(v):
                _restart(ref.with_run(seed=int(v)), ch.with_run(seed=int(v)))

            def set_horizon(v):
                try:
                    _restart(ref.with_run(horizon=int(v)), ch.with_run(horizon=int(v)))
                    message.set("")
                except ValueError as err:
                    message.set(str(err))

            solara.InputInt("Seed (the same for both runs)", value=ref.seed, on_value=set_seed)
            solara.InputInt("Months to simulate", value=ref.horizon, on_value=set_horizon)
            with solara.Div(classes=["switch-month"]):
                solara.SliderInt("Changes switch on at month", value=ch.switch_month, min=0, max=ref.horizon,
                                 on_value=lambda m: _apply(chosen.value.with_switch_month(m)), thumb_label="always")
            others = ch.other_months()
            if others:
                solara.Text("Also scheduled (from the scenario file): "
                            + "; ".join(f"month {m}: {n} = {v}" for m, n, v in others),
                            style={"font-size": "12px"})
            solara.Button("All levers back to the baseline",
                          on_click=lambda: _apply(S.Settings(params=dict(ref.params), schedule=ref.schedule,
                                                             switch_month=ch.switch_month, seed=ref.seed,
                                                             horizon=ref.horizon)), text=True)
        with solara.Card("Policy levers"):
            Levers(ch, ref)
        SavePanel()
    with solara.Column(style={"padding": "8px"}):
        RunControls(pr, version)
        with solara.Div(classes=["view-picker"]):
            solara.ToggleButtonsSingle(value=tab, values=VIEWS)
        if tab.value == VIEWS[0]:
            outs = [o for o in shown.value if o in OUTPUTS]
            Charts(pr, outs, ch.switch_month, version)
            solara.SelectMultiple("Outputs shown", values=shown, all_values=list(OUTPUTS))
            NumbersNow(pr, outs, version)
        elif tab.value == VIEWS[1]:
            with solara.Div(classes=["govsim-view"]):
                NetworkView(pr, version)
        else:
            with solara.Div(classes=["govsim-view"]):
                HierarchyView(pr, version)

