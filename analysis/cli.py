"""``govsim figures`` and ``govsim report``: the analysis commands.

``experiments/cli.py`` calls :func:`register_cli` with its subparsers; ``python -m
analysis.cli`` offers the same two commands on their own. User errors (missing store,
unknown experiment, bad option) print one line on stderr and exit with code 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from analysis.store import AnalysisError

__all__ = ["DEFAULT_STORE", "EXIT_USAGE", "build_parser", "cmd_figures", "cmd_report", "main", "register_cli"]

DEFAULT_STORE = "results/govsim.duckdb"
EXIT_USAGE = 2


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

    try:
        fs = make_all(a.store, a.experiment_id, a.out, formats=a.formats, width=a.width, baseline=a.baseline,
                      level=a.level)
    except (AnalysisError, ValueError) as err:
        _say(f"govsim: error: {err}")
        return EXIT_USAGE
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

    try:
        path = write_report(a.store, a.experiment_id, a.out, formats=a.formats, width=a.width, baseline=a.baseline,
                            level=a.level, pdf=a.pdf)
    except (AnalysisError, ValueError) as err:
        _say(f"govsim: error: {err}")
        return EXIT_USAGE
    print(f"report: {path}  (Markdown: {path.with_suffix('.md')}"
          + (f"; PDF: {path.with_suffix('.pdf')})" if a.pdf else ")"))
    return 0


def register_cli(subparsers) -> None:
    """Add the ``figures`` and ``report`` commands to an argparse subparsers object."""
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


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m analysis.cli", description="Figures and reports from a results store.")
    sub = ap.add_subparsers(dest="command", metavar="<command>", required=True)
    register_cli(sub)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
