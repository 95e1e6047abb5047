"""``govsim app``: start the interactive page (registered by ``experiments/cli.py``)."""

from __future__ import annotations

import argparse

__all__ = ["cmd_app", "register_cli"]


def cmd_app(a: argparse.Namespace) -> int:
    """Serve the page until Ctrl-C; bad options raise :class:`app.server.AppError`, which the
    ``govsim`` entry point reports through its one handler (one line, exit code 2)."""
    from app.server import AppError, serve

    if a.horizon is not None and a.horizon < 1:
        raise AppError(f"--horizon must be ≥ 1 month, got {a.horizon}")
    serve(host=a.host, port=a.port, scenario_dir=a.scenario_dir, baseline=a.baseline, seed=a.seed,
          horizon=a.horizon)
    return 0


def register_cli(subparsers) -> None:
    p = subparsers.add_parser(
        "app", help="the interactive page: move levers, watch a reform against the baseline",
        description="Serve the interactive page on this machine (no internet needed): policy levers from the "
                    "registry, a scenario picker, the baseline and your settings on the same seed, a community's "
                    "network and the hierarchy, and 'save as scenario'. Open the printed address in a browser.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    p.add_argument("--scenario-dir", default=None, metavar="DIR",
                   help="scenario files to pick from and save into (default scenarios/)")
    p.add_argument("--baseline", default="baseline", help="scenario drawn as the baseline (default baseline)")
    p.add_argument("--seed", type=int, default=1, help="seed of both runs (default 1; changeable on the page)")
    p.add_argument("--horizon", type=int, default=None, metavar="MONTHS",
                   help="months simulated (default: the baseline file's)")
    p.set_defaults(func=cmd_app)
