"""Serve the app: the Solara page behind uvicorn, with every asset from this machine.

Solara's page loads its JavaScript, styles and fonts from a CDN unless its server acts as the
proxy; with the ``solara-assets`` package installed (its version matching ``solara``'s) the
proxy finds every file in the package's folder and never goes out. :func:`serve` sets that up
with Solara's own settings (environment variables read when ``solara.server`` is imported), turns
off Solara's usage telemetry, and runs the page ``app.page:Page``.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

from govsim.errors import GovsimError

__all__ = ["AppError", "assets_dir", "check_assets", "serve", "solara_environment"]


class AppError(GovsimError, RuntimeError):
    """The app cannot start (assets missing, port taken, bad option)."""


def assets_dir() -> Path:
    """Where Solara's server looks for its proxied CDN files (``solara-assets`` installs them there)."""
    return Path(sys.prefix) / "share" / "solara" / "cdn"


def check_assets() -> None:
    """Fail with one clear line when the local assets are missing or do not match solara."""
    from importlib import metadata

    try:
        sol, assets = metadata.version("solara"), metadata.version("solara-assets")
    except metadata.PackageNotFoundError as err:
        raise AppError(f"the app needs the packages solara and solara-assets ({err.name} is missing); "
                       "install the project again (make setup)") from None
    if sol != assets:
        raise AppError(f"solara {sol} and solara-assets {assets} differ: the page would ask the internet for "
                       "the files it lacks; install matching versions (make setup)")
    if not (assets_dir() / "@widgetti").is_dir():
        raise AppError(f"solara-assets is installed but {assets_dir()} holds no assets")


def solara_environment(*, scenario_dir: str | None = None, baseline: str = "baseline", seed: int = 1,
                       horizon: int | None = None) -> dict[str, str]:
    """Environment for a server process of the app (Solara reads its settings from it)."""
    env = {
        "SOLARA_APP": "app.page:Page",
        "SOLARA_ASSETS_PROXY": "True",  # serve /_solara/cdn from the local assets folder
        "SOLARA_ASSETS_PROXY_CACHE_DIR": str(assets_dir()),
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
        "SOLARA_THEME_LOADER": "plain",
        "SOLARA_THEME_SHOW_BANNER": "False",
        "SOLARA_THEME_TITLE": "govsim",
        "GOVSIM_APP_BASELINE": baseline,
        "GOVSIM_APP_SEED": str(int(seed)),
        "MPLBACKEND": "Agg",
    }
    if scenario_dir:
        env["GOVSIM_APP_SCENARIO_DIR"] = str(Path(scenario_dir).resolve())
    if horizon is not None:
        env["GOVSIM_APP_HORIZON"] = str(int(horizon))
    return env


def _free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def serve(*, host: str = "127.0.0.1", port: int = 8765, scenario_dir: str | None = None, baseline: str = "baseline",
          seed: int = 1, horizon: int | None = None, log_level: str = "warning") -> None:
    """Run the app until Ctrl-C or SIGTERM (this process becomes the server), which is how it is
    meant to stop: uvicorn shuts down and the interrupt it passes on ends the call quietly."""
    check_assets()
    if scenario_dir is not None and not Path(scenario_dir).is_dir():
        raise AppError(f"--scenario-dir {scenario_dir}: no such folder")
    if port and not _free(host, port):
        raise AppError(f"port {port} on {host} is in use; pass --port (0 picks a free one)")
    os.environ.update(solara_environment(scenario_dir=scenario_dir, baseline=baseline, seed=seed, horizon=horizon))
    import warnings

    import uvicorn

    # plain http on this machine: Solara falls back to a lax session cookie, which is what we want
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")

    from solara.server.starlette import app as asgi_app

    print(f"govsim app on http://{host}:{port}/  (Ctrl-C stops it)", flush=True)
    try:
        uvicorn.run(asgi_app, host=host, port=port, log_level=log_level)
    except KeyboardInterrupt:  # uvicorn has shut down; it re-raises the Ctrl-C it caught
        print("govsim app stopped", flush=True)
