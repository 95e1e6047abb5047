"""Write the generated tables of docs/ODD.md (between the BEGIN/END markers) from the
declarations: parameters (model/parameters.py), state (model/state.py), outputs
(model/outputs.py), targets (model/targets.py) and the fixed tables' values (model/tables.py). ``--check`` exits 1 if the file is stale.

    .venv/bin/python tools/gen_odd_tables.py          # rewrite
    .venv/bin/python tools/gen_odd_tables.py --check  # verify (used by the tests)
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model.outputs import OUTPUTS  # noqa: E402
from model.parameters import REGISTRY  # noqa: E402
from model.state import TABLES  # noqa: E402
from model.targets import TARGETS  # noqa: E402
from model import tables as T  # noqa: E402

ODD = ROOT / "docs" / "ODD.md"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _fmt(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def parameter_table() -> str:
    rows = ["| name | kind | default | allowed | SA range (source) | unit | meaning | source | fitted to |",
            "|---|---|---|---|---|---|---|---|---|"]
    for p in REGISTRY.values():
        sa = f"[{_fmt(p.sa_bounds[0])}, {_fmt(p.sa_bounds[1])}] ({_cell(p.sa_source)})" if p.sa_bounds else ""
        rows.append(f"| `{p.name}` | {p.kind} | {_fmt(p.default)} | {_cell(p.describe_range())} | {sa} | "
                    f"{_cell(p.unit)} | {_cell(p.meaning)} | {_cell(p.source)} | {_cell(p.calibrated)} |")
    return "\n".join(rows)


def state_table() -> str:
    out = []
    for table, cols in TABLES.items():
        out += [f"**{table}**", "", "| column | dtype | initial | unit | meaning |", "|---|---|---|---|---|"]
        for c in cols:
            width = f" × {c.width}" if c.width else ""
            out.append(f"| `{c.name}` | {c.dtype}{width} | {_fmt(c.init)} | {_cell(c.unit)} | {_cell(c.meaning)} |")
        out.append("")
    return "\n".join(out).rstrip()


def output_table() -> str:
    rows = ["| output | label | unit | meaning | direction | smallest meaningful change | summary |",
            "|---|---|---|---|---|---|---|"]
    for o in OUTPUTS.values():
        change = f"{o.min_change:g}" + (" of the baseline" if o.relative else "")
        tags = " (key)" if o.key else ""
        tags += " (cost)" if o.cost else ""
        rows.append(f"| `{o.name}`{tags} | {_cell(o.label)} | {_cell(o.unit)} | {_cell(o.meaning)} | {o.direction} | "
                    f"{change} | {o.summary} |")
    return "\n".join(rows)


def _world(t) -> str:
    """The world a target is measured in: its overrides, its scheduled changes, its horizon."""
    parts = [f"{k}={_fmt(v)}" for k, v in t.setting.items()]
    parts += [f"month {m}: {k}={_fmt(v)}" for m, k, v in t.schedule]
    if t.horizon:
        parts.append(f"{t.horizon} months")
    return "; ".join(parts) or "baseline"


def _figure(v: float) -> str:
    """A target's figure to the digits it was declared with (12 significant), so the table
    shows any change of it."""
    return f"{v:.12g}"


def target_table() -> str:
    rows = ["| target | role | output (kind, months) | value [interval] | world | meaning | source |",
            "|---|---|---|---|---|---|---|"]
    for t in TARGETS.values():
        months = f"{t.window[0]}-{t.window[1]}"
        rows.append(f"| `{t.name}` | {t.role} | `{t.output}` ({t.kind}, {months}) | {_figure(t.value)} "
                    f"[{_figure(t.low)}, {_figure(t.high)}] | {_cell(_world(t))} | {_cell(t.meaning)} | {_cell(t.source)} |")
    return "\n".join(rows)


def _value(v) -> str:
    if isinstance(v, np.ndarray):
        v = v.tolist()
    if isinstance(v, (list, tuple)):
        return "(" + ", ".join(_value(x) for x in v) + ")"
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def fixed_table() -> str:
    """Every constant of model/tables.py in the order declared, its value as the model uses it
    (derived ones computed) and the comment that gives its meaning and source."""
    path = ROOT / "model" / "tables.py"
    lines = path.read_text(encoding="utf-8").splitlines()
    rows = ["| table | value | meaning and source (from `model/tables.py`) |", "|---|---|---|"]
    for node in ast.parse("\n".join(lines)).body:
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            names = [t.id for t in (target.elts if isinstance(target, ast.Tuple) else [target])
                     if isinstance(t, ast.Name) and t.id.isupper() and not t.id.startswith("_")]
            for name in names:
                note = []
                i = node.lineno - 2
                while i >= 0 and lines[i].lstrip().startswith("#") and not lines[i].lstrip().startswith("# ---"):
                    note.insert(0, lines[i].strip().lstrip("#").strip())
                    i -= 1
                same = lines[node.lineno - 1].split("#", 1)
                if len(same) == 2:
                    note.append(same[1].strip())
                rows.append(f"| `{name}` | {_cell(_value(getattr(T, name)))} | {_cell(' '.join(note))} |")
    return "\n".join(rows)


def render(text: str) -> str:
    for tag, table in (("PARAMETERS", parameter_table()), ("STATE", state_table()), ("OUTPUTS", output_table()),
                       ("TARGETS", target_table()), ("FIXED", fixed_table())):
        pattern = re.compile(rf"(<!-- {tag}:BEGIN.*?-->\n).*?(<!-- {tag}:END -->)", re.S)
        if not pattern.search(text):
            raise SystemExit(f"{ODD}: markers <!-- {tag}:BEGIN --> / <!-- {tag}:END --> not found")
        text = pattern.sub(lambda m: m.group(1) + table + "\n" + m.group(2), text)
    return text


def main(argv: list[str]) -> int:
    current = ODD.read_text()
    fresh = render(current)
    if "--check" in argv:
        if fresh != current:
            print(f"{ODD.relative_to(ROOT)} is stale: run tools/gen_odd_tables.py", file=sys.stderr)
            return 1
        return 0
    ODD.write_text(fresh)
    print(f"wrote tables in {ODD.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
