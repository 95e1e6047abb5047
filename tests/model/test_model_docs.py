"""docs/ODD.md and docs/SOURCES.md must say what the code does: generated tables fresh, the
schedule mirrors step(), every cited source is listed, and nothing points outside the
repository."""

import inspect
import re
import subprocess
import sys
from pathlib import Path

from model.model import GovernanceModel
from model.parameters import REGISTRY
from model.targets import TARGETS

ROOT = Path(__file__).resolve().parents[2]
SOURCES = (ROOT / "docs" / "SOURCES.md").read_text(encoding="utf-8")
KEYS = set(re.findall(r"^- \*\*(.+?)\*\* —", SOURCES, flags=re.M))
# an author-year citation: capitalised name words (with "et al.", "&", "/") before a year or "n.d."
CITATION = re.compile(r"((?:[A-Z][\w'óô\-]*|et al\.|&|/)(?:(?:\s+|/)(?:[A-Z][\w'óô\-]*|et al\.|&))*)\s+((?:19|20)\d\d|n\.d\.)")
# months (but not "March", a name: March & Simon 1958) and "Report" are not author names
NOT_NAMES = {"January", "February", "April", "May", "June", "July", "August", "September", "October",
             "November", "December", "Report"}


def citations(text: str) -> set[str]:
    found = set()
    for name, year in CITATION.findall(text):
        words = name.replace("/", " / ").split()
        while words and (words[0] in NOT_NAMES or words[0] in ("&", "/", "et")):
            words = words[1:]
        if words:
            found.add(f"{' '.join(words).replace(' / ', '/')} {year}")
    return found


def test_odd_parameter_and_output_tables_are_fresh():
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_odd_tables.py"), "--check"], capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr


def test_odd_schedule_mirrors_step():
    """ODD §3 lists the processes in the order step() runs them: the compiled ones called
    by ``processes.months`` (which ``run_months`` runs), then the model's own methods."""
    from model import processes

    body = inspect.getsource(GovernanceModel.step)
    in_code = []
    for name in re.findall(r"self\.(\w+)\(", body):
        if name == "run_months":
            loop = inspect.getsource(processes.months.py_func).split("for step in range(k):")[1]
            in_code += [f for f in re.findall(r"^\s{8}(\w+)\(q,", loop, flags=re.M)]
        else:
            in_code.append(name)
    odd = (ROOT / "docs" / "ODD.md").read_text()
    section = odd.split("## 3. Process overview and scheduling")[1].split("## 4.")[0]
    in_doc = re.findall(r"^\d+\. `(\w+)`", section, flags=re.M)
    assert len(in_code) == 9
    assert in_doc == in_code


def test_every_cited_source_is_listed_in_sources():
    assert len(KEYS) > 40
    texts = [p.source + " " + p.sa_source for p in REGISTRY.values()] + [t.source for t in TARGETS.values()]
    texts.append((ROOT / "docs" / "ODD.md").read_text(encoding="utf-8"))
    missing = {c for text in texts for c in citations(text)} - KEYS
    assert not missing, f"cited but not in docs/SOURCES.md: {sorted(missing)}"


def test_the_citation_finder_finds_what_it_should():
    assert citations("as shown (Falch 2011; Dal Bó et al. 2013) and Watts & Strogatz 1998, in December 2018") == {
        "Falch 2011", "Dal Bó et al. 2013", "Watts & Strogatz 1998"}


def test_nothing_points_outside_the_repository():
    for path in [*ROOT.glob("model/*.py"), *ROOT.glob("docs/*.md"), *ROOT.glob("scenarios/*.toml"), ROOT / "README.md"]:
        text = path.read_text(encoding="utf-8")
        assert "../shared" not in text and "DIGEST" not in text, path


def test_lever_map_in_testing_md_is_the_map_of_the_tests():
    """docs/TESTING.md shows LEVER_TESTS as it is (tools/gen_lever_map.py writes it)."""
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_lever_map.py"), "--check"], capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
