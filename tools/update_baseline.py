"""Regenerate tests/model/baseline_summary.json: the end-of-run summary of the baseline
scenario (registry defaults) for seed 2024 over 120 months.

Run it only when a change in model behaviour is intended, and say why in the commit:
    .venv/bin/python tools/update_baseline.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model.run import simulate  # noqa: E402

BASELINE_FILE = ROOT / "tests" / "model" / "baseline_summary.json"
SEED, HORIZON = 2024, 120


def compute() -> dict[str, float]:
    return simulate(seed=SEED, horizon=HORIZON).summary


def main() -> None:
    summary = compute()
    BASELINE_FILE.write_text(json.dumps({"seed": SEED, "horizon": HORIZON, "summary": summary}, indent=1, sort_keys=True) + "\n")
    print(f"wrote {BASELINE_FILE.relative_to(ROOT)} ({len(summary)} outputs)")


if __name__ == "__main__":
    main()
