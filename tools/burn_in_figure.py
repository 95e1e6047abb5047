"""Draw docs/figures/burn_in.png: the baseline's key outputs from the start of the burn-in to
month 120 (mean over seeds, with the range of the seeds), the burn-in shaded; beside it the
same model started without a burn-in. The test of the criterion is
tests/model/test_model_burn_in.py.

    .venv/bin/python tools/burn_in_figure.py [--seeds 8]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from analysis import style  # noqa: E402
from model.model import GovernanceModel  # noqa: E402
from model.outputs import OUTPUTS  # noqa: E402
from model.parameters import REGISTRY  # noqa: E402

SHOWN = ("participation_rate", "satisfied_share", "efficacy_mean", "trust_mean", "turnover_annual", "vacancy_rate",
         "admin_share", "service_coverage")


def series(seed: int, burn_in: int) -> dict[str, np.ndarray]:
    m = GovernanceModel(rng=seed, horizon=120, burn_in=burn_in, record_burn_in=True, agent_data=False)
    m.run_model()
    return m.recorder.arrays()


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--out", default=str(ROOT / "docs" / "figures" / "burn_in.png"))
    a = ap.parse_args(argv)
    burn = int(REGISTRY["burn_in"].default)
    runs = [series(s, burn) for s in range(a.seeds)]
    cold = [series(s, 0) for s in range(a.seeds)]
    with style.context():
        fig = style.new_figure("double", height=5.2)
        axes = fig.subplots(4, 2, sharex=True).ravel()
        for ax, name in zip(axes, SHOWN, strict=True):
            o = OUTPUTS[name]
            k = 100.0 if o.unit in ("share", "share/year") else 1.0
            for data, colour, label in ((runs, style.OKABE_ITO["blue"], f"burn-in of {burn} months"),
                                        (cold, style.OKABE_ITO["vermillion"], "no burn-in")):
                month = data[0]["month"]
                y = np.array([r[name] for r in data]) * k
                ax.fill_between(month, y.min(axis=0), y.max(axis=0), color=colour, alpha=0.15, lw=0)
                ax.plot(month, y.mean(axis=0), color=colour, lw=1.0, label=label)
            ax.axvspan(-burn, 0, color=style.GREY, alpha=0.12, lw=0)
            unit = {"share": "%", "share/year": "%/year"}.get(o.unit, o.unit)
            ax.set_title(f"{o.label} ({unit})", fontsize=7.5, loc="left")
        for ax in axes[-2:]:
            ax.set_xlabel("Month (burn-in shaded)")
        axes[0].legend(frameon=False, fontsize=7, loc="lower right")
        fig.suptitle(f"Baseline, {a.seeds} seeds: mean and range", fontsize=8)
        path = Path(a.out)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=200)
    print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
