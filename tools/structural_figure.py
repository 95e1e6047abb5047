"""Draw docs/figures/structural_morris.png from a structural Morris experiment: which mechanism
switches move which outputs, measured in each output's smallest meaningful change.

The experiment (docs/MECHANISMS.md gives the command) samples the ``mechanism`` switches of
the registry; this script reads its Morris indices from the store (read-only) and draws
μ* / smallest meaningful change as a heatmap, with the sign of μ (switching the mechanism on
raises (+) or lowers (−) the output).

    .venv/bin/python tools/structural_figure.py --store results/structural.duckdb [--experiment ID]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402

from analysis import style  # noqa: E402


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", default=str(ROOT / "results" / "structural.duckdb"))
    ap.add_argument("--experiment", default=None, help="experiment id (default: the latest with Morris indices)")
    ap.add_argument("--out", default=str(ROOT / "docs" / "figures" / "structural_morris.png"))
    a = ap.parse_args(argv)
    con = duckdb.connect(a.store, read_only=True)
    eid = a.experiment or con.execute(
        "SELECT experiment_id FROM sensitivity_indices WHERE method = 'morris' ORDER BY created DESC LIMIT 1").fetchone()[0]
    rows = con.execute("SELECT output, factor, statistic, value FROM sensitivity_indices WHERE experiment_id = ? "
                       "AND method = 'morris' AND period = 'summary' AND statistic IN ('mu', 'mu_star')",
                       [eid]).df()
    meta = con.execute("SELECT output, label, min_change, relative FROM outputs WHERE experiment_id = ?", [eid]).df()
    base = con.execute("SELECT s.output, avg(s.value) FROM summaries s JOIN runs r USING (experiment_id, run_id) "
                       "WHERE s.experiment_id = ? GROUP BY s.output", [eid]).fetchall()
    mean = dict(base)
    mu_star = rows[rows.statistic == "mu_star"].pivot(index="factor", columns="output", values="value")
    mu = rows[rows.statistic == "mu"].pivot(index="factor", columns="output", values="value")
    info = meta.set_index("output")
    threshold = {o: (r.min_change * abs(mean.get(o, 1.0)) if r.relative else r.min_change) for o, r in info.iterrows()}
    outputs = list(mu_star.columns)
    ratio = mu_star[outputs].div(pd_series(threshold, outputs), axis=1)
    order = ratio.max(axis=1).sort_values(ascending=False).index
    ratio, mu = ratio.loc[order], mu.loc[order, outputs]
    with style.context():
        fig = style.new_figure("double", height=5.0)
        ax = fig.subplots()
        data = np.clip(ratio.to_numpy(dtype=float), 1e-2, None)
        im = ax.imshow(data, norm=LogNorm(vmin=1e-2, vmax=max(10.0, float(data.max()))), cmap="Blues", aspect="auto")
        for i in range(data.shape[0]):
            for j in range(data.shape[1]):
                v = ratio.iat[i, j]
                if v >= 0.5:
                    sign = "+" if mu.iat[i, j] > 0 else "−"
                    ax.text(j, i, f"{sign}{v:.0f}" if v >= 1 else f"{sign}{v:.1f}", ha="center", va="center",
                            fontsize=7, color="white" if v > 3 else "black")
        ax.set_xticks(range(len(outputs)), [info.loc[o, "label"] for o in outputs], rotation=35, ha="right")
        ax.set_yticks(range(len(order)), [f.removeprefix("mech_").replace("_", " ") for f in order])
        ax.set_xlabel("Output")
        ax.set_ylabel("Mechanism switch")
        fig.colorbar(im, ax=ax, label="Morris μ* / smallest meaningful change")
        path = Path(a.out)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=200)
    print(f"wrote {path.relative_to(ROOT)} from {eid}")
    return 0


def pd_series(d, index):
    import pandas as pd

    return pd.Series([d[o] for o in index], index=index)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
