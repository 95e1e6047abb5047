"""Write the lever-to-test table of docs/TESTING.md (between the LEVER MAP markers) from
``LEVER_TESTS`` in tests/model/test_model_levers.py. ``--check`` exits 1 if the table is stale.

    .venv/bin/python tools/gen_lever_map.py          # rewrite
    .venv/bin/python tools/gen_lever_map.py --check  # verify (used by the tests)
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DOC = ROOT / "docs" / "TESTING.md"
BEGIN = "<!-- BEGIN LEVER MAP (tests/model/test_model_levers.py: LEVER_TESTS) -->"
END = "<!-- END LEVER MAP -->"


def lever_tests() -> dict[str, tuple[str, ...]]:
    spec = importlib.util.spec_from_file_location("lever_tests", ROOT / "tests" / "model" / "test_model_levers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.LEVER_TESTS


def table() -> str:
    from model.parameters import REGISTRY

    rows = ["| lever, regime or switch | kind | behaviour tests |", "|---|---|---|"]
    for key, tests in lever_tests().items():
        kind = REGISTRY[key.partition("=")[0]].kind
        cells = "<br>".join(f"`{Path(t.partition('::')[0]).stem}::{t.partition('::')[2]}`" for t in tests)
        rows.append(f"| `{key}` | {kind} | {cells} |")
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    text = DOC.read_text(encoding="utf-8")
    new = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _: f"{BEGIN}\n{table()}\n{END}", text, flags=re.S)
    if "--check" in argv:
        if new != text:
            print("docs/TESTING.md: the lever map is stale: run tools/gen_lever_map.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(new, encoding="utf-8")
    print("wrote the lever map in docs/TESTING.md")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
