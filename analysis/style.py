"""The house figure style: one look for every paper figure.

Vector PDF and SVG plus a 300 dpi PNG; single-column (3.5 in) and double-column (7.2 in)
widths; fonts ≥ 7 pt; the Okabe-Ito colour-blind-safe palette; units on every axis; no top or
right spines and no grid. Figures are built on :class:`matplotlib.figure.Figure` objects (no
pyplot state), inside :func:`context`, so importing this module changes nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import matplotlib as mpl
from matplotlib.figure import Figure

from govsim.errors import GovsimError

__all__ = [
    "FORMATS",
    "OKABE_ITO",
    "RC",
    "WIDTHS",
    "FigureStyleError",
    "GREY",
    "check_formats",
    "context",
    "new_figure",
    "panel_label",
    "save",
    "scenario_colors",
    "width_inches",
]

#: Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
#: Order in which scenarios other than the baseline take colours (yellow last: low contrast on white).
_CYCLE = ["blue", "orange", "bluish_green", "vermillion", "sky_blue", "reddish_purple", "yellow"]
GREY = "#7F7F7F"

WIDTHS = {"single": 3.5, "double": 7.2}
FORMATS = ("png", "pdf", "svg")
PNG_DPI = 300
MIN_FONT_PT = 7.0

RC = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "legend.title_fontsize": 7,
    "figure.titlesize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "axes.linewidth": 0.6,
    "axes.titlelocation": "left",
    "axes.prop_cycle": mpl.cycler(color=[OKABE_ITO[c] for c in _CYCLE]),
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.major.size": 3,
    "ytick.major.size": 3,
    "lines.linewidth": 1.2,
    "lines.markersize": 4,
    "legend.frameon": False,
    "figure.dpi": 100,
    "savefig.dpi": PNG_DPI,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.02,
    "pdf.fonttype": 42,  # embed TrueType: text stays text in the PDF
    "svg.fonttype": "path",
    "svg.hashsalt": "govsim",  # stable ids: the same figure gives the same SVG
}


class FigureStyleError(GovsimError, ValueError):
    """A figure option (width, format) is not one the house style offers."""


@contextlib.contextmanager
def context() -> Iterator[None]:
    """Apply the house style for the figures built and saved inside the block."""
    with mpl.rc_context(RC):
        yield


def width_inches(width: str | float) -> float:
    """``"single"`` (3.5 in), ``"double"`` (7.2 in) or a number of inches."""
    if isinstance(width, str):
        if width not in WIDTHS:
            raise FigureStyleError(f"unknown figure width {width!r}; use one of {', '.join(WIDTHS)} or inches")
        return WIDTHS[width]
    w = float(width)
    if not 1.0 <= w <= 10.0:
        raise FigureStyleError(f"figure width {w} in is outside 1-10 in")
    return w


def new_figure(width: str | float = "double", height: float | None = None, *, aspect: float = 0.62) -> Figure:
    """A constrained-layout :class:`Figure` of the given width; height defaults to width·aspect.
    Call inside :func:`context` so the style applies."""
    w = width_inches(width)
    return Figure(figsize=(w, height if height is not None else w * aspect), layout="constrained")


def scenario_colors(scenarios: Sequence[str], baseline: str | None = "baseline") -> dict[str, str]:
    """Baseline in black, the other scenarios through the Okabe-Ito palette (in the given order)."""
    colors: dict[str, str] = {}
    i = 0
    for s in scenarios:
        if s == baseline:
            colors[s] = OKABE_ITO["black"]
        else:
            colors[s] = OKABE_ITO[_CYCLE[i % len(_CYCLE)]]
            i += 1
    return colors


def panel_label(ax, text: str) -> None:
    """Bold panel letter (a, b, ...) outside the top-left corner of the axes."""
    ax.text(-0.02, 1.02, text, transform=ax.transAxes, fontweight="bold", fontsize=9, ha="right", va="bottom")


def check_formats(formats: Iterable[str]) -> tuple[str, ...]:
    fmts = tuple(str(f).lower().lstrip(".") for f in formats)
    bad = [f for f in fmts if f not in FORMATS]
    if bad or not fmts:
        raise FigureStyleError(f"unknown figure format(s) {', '.join(bad) or '(none)'}; use {', '.join(FORMATS)}")
    return fmts


def save(fig: Figure, out_dir: str | Path, name: str, formats: Iterable[str] = FORMATS) -> list[Path]:
    """Write ``out_dir/name.<fmt>`` for each format (without timestamps, so reruns are identical
    where the backends allow); returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    meta = {"png": {"Software": None}, "pdf": {"CreationDate": None, "Creator": None, "Producer": None},
            "svg": {"Date": None, "Creator": None}}
    with context():
        for fmt in check_formats(formats):
            p = out / f"{name}.{fmt}"
            fig.savefig(p, format=fmt, metadata=meta[fmt], dpi=PNG_DPI if fmt == "png" else None)
            paths.append(p)
    return paths
