"""Does a change leave the model's distribution alone? Runs the default scenario for ``--seeds``
seeds in this checkout and in a reference checkout (e.g. ``git worktree add /tmp/ref HEAD~1``)
and compares every output's end-of-run summary with Welch's t-test and a two-sample
Kolmogorov-Smirnov test. A refactor that changes only how random numbers are laid out should
show no output below the Bonferroni-corrected level; one that changes a mechanism should.

    python tools/equivalence.py --reference /tmp/ref --seeds 40
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
WORKER = """
import json, sys
sys.path.insert(0, sys.argv[1])
from model.run import simulate
out = {}
for seed in range(int(sys.argv[2])):
    for k, v in simulate(seed=seed, horizon=int(sys.argv[3])).summary.items():
        out.setdefault(k, []).append(float(v))
print(json.dumps(out))
"""


def summaries(checkout: Path, seeds: int, horizon: int) -> dict[str, list[float]]:
    proc = subprocess.run([sys.executable, "-c", WORKER, str(checkout), str(seeds), str(horizon)], capture_output=True,
                          text=True, cwd=checkout)
    if proc.returncode != 0:
        sys.exit(f"error: the run in {checkout} failed: {proc.stderr.strip().splitlines()[-1]}")
    return json.loads(proc.stdout)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reference", type=Path, required=True, help="checkout of the version to compare against")
    ap.add_argument("--seeds", type=int, default=40)
    ap.add_argument("--horizon", type=int, default=120)
    ap.add_argument("--alpha", type=float, default=0.01, help="family-wise level (Bonferroni over outputs)")
    a = ap.parse_args(argv)
    if not (a.reference / "model" / "run.py").is_file():
        print(f"error: --reference {a.reference} is not a govsim checkout (no model/run.py)", file=sys.stderr)
        return 2
    ref, new = summaries(a.reference, a.seeds, a.horizon), summaries(ROOT, a.seeds, a.horizon)
    rows = []
    for name in sorted(set(ref) & set(new)):
        x, y = np.asarray(ref[name]), np.asarray(new[name])
        if x.std() + y.std() == 0:
            rows.append((1.0 if x.mean() == y.mean() else 0.0, 1.0, name, x.mean(), y.mean()))
            continue
        rows.append((stats.ttest_ind(x, y, equal_var=False).pvalue, stats.ks_2samp(x, y).pvalue, name, x.mean(),
                     y.mean()))
    level = a.alpha / max(len(rows), 1)
    rows.sort()
    print(f"{len(rows)} outputs, {a.seeds} seeds each; Bonferroni level {level:.2g}")
    print(f"{'output':36} {'reference':>11} {'this':>11} {'p (Welch)':>10} {'p (KS)':>8}")
    for pt, pk, name, mx, my in rows[:12]:
        print(f"{name:36} {mx:11.4g} {my:11.4g} {pt:10.3g} {pk:8.3g}")
    differ = [r[2] for r in rows if min(r[0], r[1]) < level]
    print("distributions differ in: " + ", ".join(differ) if differ else "no output differs")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
