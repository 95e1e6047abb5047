"""docs/CALIBRATION.md and the targets files cite only sources listed in docs/SOURCES.md, and
the calibration's defaults in the docs are the code's."""

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _citations():
    """The citation finder of the model's documentation test (one definition of a citation)."""
    spec = importlib.util.spec_from_file_location("_model_docs", ROOT / "tests" / "model" / "test_model_docs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.citations, mod.KEYS


def test_every_source_cited_by_the_calibration_docs_and_targets_files_is_listed():
    citations, keys = _citations()
    texts = [(ROOT / "docs" / "CALIBRATION.md").read_text(encoding="utf-8")]
    texts += [p.read_text(encoding="utf-8") for p in (ROOT / "targets").glob("*")]
    found = {c for t in texts for c in citations(t)}
    assert {"Wilkinson 2013", "Talts et al. 2018", "Klinger et al. 2018"} <= found
    assert not found - keys, f"cited but not in docs/SOURCES.md: {sorted(found - keys)}"


def test_the_documented_defaults_are_the_code_defaults():
    from experiments import calibration, sbc
    from experiments.targets import default_parameters, load_targets

    doc = (ROOT / "docs" / "CALIBRATION.md").read_text(encoding="utf-8")
    fitted, held = default_parameters(load_targets(None))
    for name in fitted + held:
        assert f"`{name}`" in doc, name
    assert f"(default {calibration.DEFAULT_GENERATIONS}, the prior sample included)" in doc
    assert ", ".join(f"{e:g}" for e in sbc.DEFAULT_EPSILONS) in doc
    assert f"with {sbc.DEFAULT_PARTICLES} particles" in doc
    assert not re.search(r"^RESULTS$", doc, flags=re.M)
