"""Pieces shared by ``experiments`` and ``analysis`` that belong to neither.

``govsim.errors``: the base class of every error reported to a user and the one handler
that turns errors and interruptions into messages and exit codes for every command.
``govsim.storelock``: opening the DuckDB results store when another process may hold it.

Nothing here imports ``model``, ``experiments`` or ``analysis``.
"""
