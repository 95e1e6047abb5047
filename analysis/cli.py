"""``govsim figures``, ``govsim report`` and ``govsim discover``: the analysis commands.

``experiments/cli.py`` calls :func:`register_cli` with its subparsers; ``python -m
analysis.cli`` offers the same commands on their own. User errors (missing store,
unknown experiment, bad option) print one line on stderr and exit with code 2, through the
handler every command shares (:func:`govsim.errors.run_command`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from govsim.errors import EXIT_USAGE, run_command

__all__ = ["DEFAULT_STORE", "EXIT_USAGE", "build_parser", "cmd_discover", "cmd_figures", "cmd_report", "main",
           "register_cli"]

DEFAULT_STORE = "results/govsim.duckdb"


def _say(msg: str) -> None:
    print(msg, file=sys.stderr)


def _width(text: str) -> str | float:
    if text in ("single", "double"):
        return text
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"width must be single, double or inches, not {text!r}") from None


def _formats(text: str) -> tuple[str, ...]:
    return tuple(f.strip() for f in text.split(",") if f.strip())


def _common(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("experiment_id", nargs="?", default=None,
                   help="experiment id or a unique prefix (default: the latest experiment in the store)")
    p.add_argument("--store", default=DEFAULT_STORE, metavar="PATH",
                   help=f"results store (DuckDB file, opened read-only; default {DEFAULT_STORE})")
    p.add_argument("--out", default=None, metavar="DIR", help=f"output folder (default results/{what}/<experiment id>)")
    p.add_argument("--formats", type=_formats, default=("png", "pdf", "svg"), metavar="LIST",
                   help="figure formats, comma-separated, of png,pdf,svg (default all three)")
    p.add_argument("--width", type=_width, default=None, metavar="W",
                   help="force one width on all figures: single (3.5 in), double (7.2 in) or inches "
                        "(default: each figure its natural width)")
    p.add_argument("--baseline", default="baseline",
                   help="reference scenario for paired differences (default baseline)")
    p.add_argument("--level", type=float, default=0.95, help="confidence level (default 0.95)")


def cmd_figures(a: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from analysis.figures import make_all

    fs = make_all(a.store, a.experiment_id, a.out, formats=a.formats, width=a.width, baseline=a.baseline,
                  level=a.level)
    n = sum(len(v) for v in fs.files.values())
    print(f"{len(fs.files)} figures ({n} files) for {fs.experiment_id} in {fs.out_dir}")
    for names, why in fs.skipped_by_reason():
        _say(f"  skipped {', '.join(names)}: {why}")
    return 0


def cmd_report(a: argparse.Namespace) -> int:
    import logging

    import matplotlib

    if a.verbose:
        logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")

    matplotlib.use("Agg")
    from analysis.report import write_report

    path = write_report(a.store, a.experiment_id, a.out, formats=a.formats, width=a.width, baseline=a.baseline,
                        level=a.level, pdf=a.pdf)
    print(f"report: {path}  (Markdown: {path.with_suffix('.md')}"
          + (f"; PDF: {path.with_suffix('.pdf')})" if a.pdf else ")"))
    return 0


def cmd_discover(a: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from pathlib import Path

    from analysis.discovery import discover, summary_markdown, write_discovery
    from analysis.objectives import parse_condition
    from analysis.style import check_formats

    formats = check_formats(a.formats)
    conds = [parse_condition(w, output=a.output, what="--where") for w in a.where]
    d = discover(a.store, a.experiment, output=a.output, where=conds, combine="any" if a.any else "all",
                 reform=a.reform, peel_alpha=a.peel_alpha, paste_alpha=a.paste_alpha, mass_min=a.mass_min,
                 threshold=a.threshold, max_boxes=a.max_boxes,
                 significance=None if a.keep_all_restrictions else a.significance, cart_depth=a.cart_depth,
                 cart_min_leaf=a.cart_min_leaf, n_trees=a.trees, seed=a.seed)
    out = Path(a.out) if a.out else Path(a.store).resolve().parent / "discovery" / d.cases.experiment_id
    files = write_discovery(d, out, formats=formats)
    print(summary_markdown(d))
    _say(f"written to {out}: " + ", ".join(sorted(p.name for ps in files.values() for p in ps)))
    return 0


def register_cli(subparsers) -> None:
    """Add the ``figures``, ``report`` and ``discover`` commands to an argparse subparsers object."""
    p = subparsers.add_parser("figures", help="paper figures of an experiment (PDF, SVG, PNG)",
                              description="Draw every figure the experiment's results allow, from the results "
                                          "store only; figures without data are listed as skipped.")
    _common(p, "figures")
    p.set_defaults(func=cmd_figures)
    p = subparsers.add_parser("report", help="the experiment report (HTML + Markdown)",
                              description="Write one self-contained HTML report (and the same in Markdown) of an "
                                          "experiment: scenarios, comparison table, figures, provenance.")
    _common(p, "report")
    p.add_argument("--pdf", action="store_true",
                   help="also print report.pdf with headless Chromium (GOVSIM_CHROMIUM or chromium on PATH)")
    p.add_argument("-v", "--verbose", action="store_true", help="log what could not be drawn, and why")
    p.set_defaults(func=cmd_report)
    p = subparsers.add_parser(
        "discover", help="scenario discovery: PRIM, CART and feature scores from the store",
        description="Under which inputs (futures, design factors) does an outcome occur? Finds PRIM boxes "
                    "(coverage-density trajectory, limits with quasi-p values), a CART tree and extra-trees "
                    "feature scores from the results store only, and writes tables and figures.")
    p.add_argument("--experiment", default=None, metavar="ID",
                   help="experiment id or a unique prefix (default: the latest experiment)")
    p.add_argument("--store", default=DEFAULT_STORE, metavar="PATH",
                   help=f"results store (DuckDB file, opened read-only; default {DEFAULT_STORE})")
    p.add_argument("--output", default=None, metavar="OUTPUT",
                   help="the output to explain; alone: feature scores of its value")
    p.add_argument("--where", action="append", default=[], metavar="[OUTPUT] OP VALUE",
                   help="cases of interest, e.g. '> 0.25' (for --output), '> 25%%' or 'satisfied_share<0.3'; "
                        "repeatable: all must hold (or any, with --any)")
    p.add_argument("--any", action="store_true", help="a case is of interest when any --where holds")
    p.add_argument("--reform", default=None, metavar="NAME",
                   help="in a robustness experiment: the reform whose futures are explained "
                        "(default: all reforms, with the reform as an input)")
    g = p.add_argument_group("PRIM, CART and feature scoring")
    g.add_argument("--threshold", type=float, default=0.8,
                   help="density the chosen PRIM box must reach (default 0.8)")
    g.add_argument("--mass-min", type=float, default=0.05, help="smallest share of cases in a box (default 0.05)")
    g.add_argument("--peel-alpha", type=float, default=0.05, help="share of a box peeled per step (default 0.05)")
    g.add_argument("--paste-alpha", type=float, default=0.05, help="share of a box pasted per step (default 0.05)")
    g.add_argument("--max-boxes", type=int, default=1, help="boxes found by covering (default 1)")
    g.add_argument("--significance", type=float, default=0.05,
                   help="drop box restrictions whose quasi-p value exceeds this (default 0.05)")
    g.add_argument("--keep-all-restrictions", action="store_true",
                   help="keep every restriction PRIM peeled, whatever its quasi-p value")
    g.add_argument("--cart-depth", type=int, default=3, help="depth of the CART tree (default 3)")
    g.add_argument("--cart-min-leaf", type=float, default=0.05,
                   help="smallest CART leaf: a share of the cases, or a count if ≥ 1 (default 0.05)")
    g.add_argument("--trees", type=int, default=500, help="trees of the extra-trees forest (default 500)")
    g.add_argument("--seed", type=int, default=1, help="seed of CART and the forest (default 1)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="output folder (default results/discovery/<experiment id> next to the store)")
    p.add_argument("--formats", type=_formats, default=("png", "pdf", "svg"), metavar="LIST",
                   help="figure formats, comma-separated, of png,pdf,svg (default all three)")
    p.set_defaults(func=cmd_discover)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m analysis.cli", description="Figures and reports from a results store.")
    sub = ap.add_subparsers(dest="command", metavar="<command>", required=True)
    register_cli(sub)
    return ap


def _dispatch(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


def main(argv: Sequence[str] | None = None) -> int:
    return run_command(_dispatch, argv, prog="govsim")


if __name__ == "__main__":
    sys.exit(main())
