"""The test command of a mutation run (``tools/mutation/config.toml``): the model's tests on
the mutant in the current copy of the repository, stopping at the first failure.

The tests run in the order ``tools/mutation/run.py`` measured on the unmutated code (fastest
first, listed in ``.mutation/tests.args`` of the copy), without the baseline snapshot test,
which is regenerated whenever the model changes on purpose and so guards no mechanism.

Numba caches the compiled processes on disk, keyed on each source file: a cache built from
the unmutated ``model/processes.py`` would still be used for a mutant of ``model/tables.py``,
whose constants the processes inline. Whenever either file differs from the unmutated copy
(hashes in ``.mutation/pristine.json``), the tests run with a fresh, empty
``NUMBA_CACHE_DIR`` that is removed afterwards; otherwise with the copy's warm cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path.cwd()
STATE = HERE / ".mutation"
SNAPSHOT = "tests/model/test_model_baseline_regression.py::test_baseline_summary_unchanged"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def compiled_changed() -> bool:
    """Whether a file the compiled processes are built from differs from the unmutated copy."""
    pristine = json.loads((STATE / "pristine.json").read_text())
    return any(digest(HERE / name) != sha for name, sha in pristine.items())


def main() -> int:
    args = [f"@{STATE / 'tests.args'}"] if (STATE / "tests.args").exists() else ["tests/model", "tests/patterns"]
    env = dict(os.environ)
    fresh = compiled_changed()
    cache = Path(tempfile.mkdtemp(prefix="numba-mutant-")) if fresh else STATE / "numba-cache"
    env["NUMBA_CACHE_DIR"] = str(cache)
    try:
        cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
               "--deselect", SNAPSHOT, *args]
        return subprocess.call(cmd, env=env)
    finally:
        if fresh:
            shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
