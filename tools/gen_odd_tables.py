"""Write the parameter and output tables of docs/ODD.md from the registry and the output
declarations (between the BEGIN/END markers). ``--check`` exits 1 if the file is stale.

    .venv/bin/python tools/gen_odd_tables.py          # rewrite
    .venv/bin/python tools/gen_odd_tables.py --check  # verify (used by the tests)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model.outputs import OUTPUTS  # noqa: E402
from model.parameters import REGISTRY  # noqa: E402

ODD = ROOT / "docs" / "ODD.md"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _fmt(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def parameter_table() -> str:
    rows = ["| name | kind | default | allowed | SA range | unit | meaning | source |",
            "|---|---|---|---|---|---|---|---|"]
    for p in REGISTRY.values():
        sa = f"[{_fmt(p.sa_bounds[0])}, {_fmt(p.sa_bounds[1])}]" if p.sa_bounds else ""
        rows.append(f"| `{p.name}` | {p.kind} | {_fmt(p.default)} | {_cell(p.describe_range())} | {sa} | {_cell(p.unit)} | "
                    f"{_cell(p.meaning)} | {_cell(p.source)} |")
    return "\n".join(rows)


def output_table() -> str:
    rows = ["| output | unit | meaning | summary |", "|---|---|---|---|"]
    for o in OUTPUTS.values():
        rows.append(f"| `{o.name}`{' (key)' if o.key else ''} | {_cell(o.unit)} | {_cell(o.meaning)} | {o.summary} |")
    return "\n".join(rows)


def render(text: str) -> str:
    for tag, table in (("PARAMETERS", parameter_table()), ("OUTPUTS", output_table())):
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
