"""Run every benchmark at the sizes of the goals (about 35 minutes on 2 free cores, most of it
the 17,408-run Sobol' design), or all of them small with ``--quick`` (a few minutes).

    .venv/bin/python benchmarks/run_all.py [--quick]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    runs = [
        ["bench_model.py", "--quick"] if quick else ["bench_model.py", "--profile"],
        ["bench_experiments.py", "--size", "small" if quick else "full"],
        ["bench_sensitivity.py", "--n", "4" if quick else "512", "--timeseries-every", "12"],
        ["bench_app.py", "--opens", "2" if quick else "5", "--steps", "10" if quick else "30"],
    ]
    failed = 0
    for args in runs:
        print(f"\n=== {' '.join(args)}", flush=True)
        failed += subprocess.run([sys.executable, str(HERE / args[0]), *args[1:]]).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
