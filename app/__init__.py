"""``govsim app``: an interactive page for comparing a reform with the baseline as it runs.

``app.session`` holds what the page shows without any web code (the levers derived from the
parameter registry, the chosen settings, the baseline and reform runs on one seed, saving the
settings as a scenario file); ``app.page`` is the Solara page; ``app.server`` serves it with its
JavaScript and fonts from the installed ``solara-assets`` package, so it works without internet.
Importing this package starts nothing.
"""
