"""docs/ODD.md must say what the code does: generated tables fresh, schedule mirrors step()."""

import inspect
import re
import subprocess
import sys
from pathlib import Path

from model.model import GovernanceModel

ROOT = Path(__file__).resolve().parents[2]


def test_odd_parameter_and_output_tables_are_fresh():
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_odd_tables.py"), "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_odd_schedule_mirrors_step():
    body = inspect.getsource(GovernanceModel.step)
    in_code = re.findall(r"self\.(\w+)\(\)", body)
    odd = (ROOT / "docs" / "ODD.md").read_text()
    section = odd.split("## 3. Process overview and scheduling")[1].split("## 4.")[0]
    in_doc = re.findall(r"^\d+\. `(\w+)`", section, flags=re.M)
    assert in_doc == in_code
