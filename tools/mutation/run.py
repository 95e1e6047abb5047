"""Mutation testing of ``model/`` with Cosmic Ray, on all cores, resumable (``make mutation``).

    .venv/bin/python tools/mutation/run.py run [--python-sample N|all] [--compiled-sample N|all]
                                               [--seed S] [--workers W] [--fresh]
    .venv/bin/python tools/mutation/run.py report            # rewrite docs/mutation/last-result.md
    .venv/bin/python tools/mutation/run.py rerun-survivors   # survivors pending again (after new tests)

Cosmic Ray writes each mutant to disk and runs a test command, so it works on the numba-compiled
processes (a tool that swaps functions at run time would hand numba a Python trampoline it cannot
compile). This script drives it:

* **Session.** ``cosmic-ray init`` with ``tools/mutation/config.toml`` writes every mutant of
  ``model/`` to ``results/mutation/session.sqlite``; the configured operator filter and the
  ``# pragma: no mutate`` filter mark the excluded ones. The mutants fall into two strata:
  *compiled* (``model/processes.py`` and ``model/tables.py``, whose constants the processes
  inline: each such mutant needs a fresh compile, ≈ 15 s of one core) and *python* (the rest).
  A uniform random sample of each stratum (``--*-sample``, seeded) is run; the others are marked
  skipped, so the session says which were drawn.
* **Workers.** Each worker is a copy of the repository's files under ``results/mutation/workers``
  (mutants are written to disk, so two workers cannot share one). The unmutated tests are run
  once in a copy first: they must pass, their durations order the tests for the mutants (fastest
  first, ``pytest -x``) and their wall time sets the per-mutant timeout. The test command
  (``tools/mutation/pytest_mutant.py``) compiles a mutant of the compiled stratum in a fresh
  numba cache, so a stale cache can never hide it.
* **Resume.** Results go to the session as each mutant finishes; ``run`` again (without
  ``--fresh``) runs only what is pending, in fresh copies of the repository.
* **Report.** Killed, survived and the kill rate with 95 % intervals (Wilson per stratum; the
  stratified estimate over ``model/`` weights each stratum by its size, its interval the
  size-weighted Wilson bounds), the equivalent mutants
  of ``docs/mutation/equivalent.md`` left out of the rate, every survivor with its diff, the wall
  time: ``docs/mutation/last-result.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import multiprocessing as mp
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "tools" / "mutation" / "config.toml"
OUT = ROOT / "results" / "mutation"
SESSION = OUT / "session.sqlite"
META = OUT / "meta.json"
TIMINGS = OUT / "timings.jsonl"
RUNS = OUT / "runs.jsonl"
EQUIVALENT = ROOT / "docs" / "mutation" / "equivalent.md"
RESULT = ROOT / "docs" / "mutation" / "last-result.md"
TESTING = ROOT / "docs" / "TESTING.md"  # its "Last result" block is rewritten by ``report``
COMPILED = ("model/processes.py", "model/tables.py")
SNAPSHOT = "tests/model/test_model_baseline_regression.py::test_baseline_summary_unchanged"
TEST_PATHS = ("tests/model", "tests/patterns")


class MutationError(RuntimeError):
    """A mutation run that cannot go on (no session, unmutated tests failing, a bad option)."""


def stratum(module: str) -> str:
    return "compiled" if module in COMPILED else "python"


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()


# ============================================================================ session
def init_session(*, python_sample: int | None, compiled_sample: int | None, seed: int) -> dict:
    """A new session: every mutant of model/, the configured filters, then the sample."""
    from cosmic_ray.commands import init
    from cosmic_ray.config import load_config
    from cosmic_ray.modules import filter_paths, find_modules
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    OUT.mkdir(parents=True, exist_ok=True)
    for path in (SESSION, META, TIMINGS, RUNS):
        path.unlink(missing_ok=True)
    config = load_config(str(CONFIG))
    os.chdir(ROOT)  # module paths are stored relative to the repository
    modules = sorted(filter_paths(find_modules([Path(config["module-path"])]), config.get("excluded-modules", ())))
    with use_db(str(SESSION), WorkDB.Mode.create) as db:
        init(modules, db, config.operators_config)
    bin_dir = Path(sys.executable).parent
    for tool, args in (("cr-filter-operators", [str(SESSION), str(CONFIG)]), ("cr-filter-pragma", [str(SESSION)])):
        subprocess.run([str(bin_dir / tool), *args], check=True)
    rows = _specs()
    filtered = Counter(stratum(module) for job, module, *_rest in rows if _outcome(job) == "skipped")
    eligible: dict[str, list[tuple]] = defaultdict(list)
    for job, module, op, occ, *_rest in rows:
        if _outcome(job) is None:
            eligible[stratum(module)].append((module, op, occ, job))
    rng = random.Random(seed)
    drawn: dict[str, int] = {}
    skip: list[str] = []
    for name, want in (("python", python_sample), ("compiled", compiled_sample)):
        items = sorted(eligible[name])
        n = len(items) if want is None else min(want, len(items))
        chosen = {job for *_, job in rng.sample(items, n)}
        skip += [job for *_, job in items if job not in chosen]
        drawn[name] = n
    with use_db(str(SESSION), WorkDB.Mode.open) as db:
        db.set_multiple_results(skip, WorkResult(output="not in the sample", worker_outcome=WorkerOutcome.SKIPPED))
    meta = {
        "created": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "commit": _git("rev-parse", "--short", "HEAD"),
        "dirty": bool(_git("status", "--porcelain", "--", "model", "tests")),
        "seed": seed,
        "mutants": len(rows),
        "filtered": dict(filtered),
        "eligible": {k: len(v) for k, v in eligible.items()},
        "sampled": drawn,
    }
    META.write_text(json.dumps(meta, indent=2))
    return meta


_RESULTS: dict[str, tuple] | None = None


def _outcome(job: str) -> str | None:
    """'skipped' for a filtered or unsampled mutant, its test outcome once run, else None."""
    if _RESULTS is None:
        _load_results()
    row = _RESULTS.get(job)
    if row is None:
        return None
    worker, test, _output = row
    return "skipped" if worker == "SKIPPED" else (test or worker).lower()


def _load_results() -> None:
    global _RESULTS
    with sqlite3.connect(SESSION) as con:
        _RESULTS = {job: (w, t, o) for job, w, t, o in con.execute(
            "select job_id, worker_outcome, test_outcome, output from work_results")}


def _specs() -> list[tuple]:
    """(job, module, operator, occurrence, line, definition) of every mutant."""
    global _RESULTS
    _RESULTS = None
    with sqlite3.connect(SESSION) as con:
        return con.execute("select job_id, module_path, operator_name, occurrence, start_pos_row, definition_name "
                           "from mutation_specs order by module_path, operator_name, occurrence").fetchall()


# ============================================================================ workers
def _copy_repository(dest: Path) -> None:
    """The repository's files as they are on disk (tracked and new, not ignored) into ``dest``."""
    if dest.exists():
        shutil.rmtree(dest)
    files = _git("ls-files", "-co", "--exclude-standard", "-z").split("\0")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
    state = dest / ".mutation"
    state.mkdir(exist_ok=True)
    import hashlib

    pristine = {name: hashlib.sha256((dest / name).read_bytes()).hexdigest() for name in COMPILED}
    (state / "pristine.json").write_text(json.dumps(pristine))


def prepare_workers(n: int) -> tuple[list[Path], float]:
    """``n`` fresh copies; the unmutated tests run in the first (they must pass), ordering the
    tests fastest first for every copy. Returns the copies and the unmutated run's wall time."""
    dirs = [OUT / "workers" / f"w{k}" for k in range(n)]
    for d in dirs:
        _copy_repository(d)
    first = dirs[0]
    env = _env()
    env["NUMBA_CACHE_DIR"] = str(first / ".mutation" / "numba-cache")
    junit = first / ".mutation" / "junit.xml"
    print(f"mutation: running the unmutated tests in {first.relative_to(ROOT)} (they must pass) ...", flush=True)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--deselect", SNAPSHOT,
                           f"--junitxml={junit}", *TEST_PATHS], cwd=first, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise MutationError("the unmutated tests fail, so no mutant can be judged; fix them first:\n"
                            + proc.stdout[-3000:])
    order = _order_from_junit(junit, first)
    for d in dirs:
        (d / ".mutation" / "tests.args").write_text("\n".join(order) + "\n")
        if d is not first:  # start every copy with the compiled cache of the unmutated code
            shutil.copytree(first / ".mutation" / "numba-cache", d / ".mutation" / "numba-cache")
    print(f"mutation: {len(order)} tests pass unmutated in {wall:.0f} s (one process)", flush=True)
    return dirs, wall


def _order_from_junit(junit: Path, base: Path) -> list[str]:
    """Node ids of the unmutated run, fastest first."""
    timed = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        parts = case.get("classname", "").split(".")
        # the module is the longest prefix of the class name that is a file
        for cut in range(len(parts), 0, -1):
            path = Path(*parts[:cut]).with_suffix(".py")
            if (base / path).is_file():
                node = "::".join([path.as_posix(), *parts[cut:], case.get("name")])
                timed.append((float(case.get("time", 0.0)), node))
                break
    return [node for _, node in sorted(timed)]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("NUMBA_DISABLE_JIT", None)
    return env


STRATA = ("compiled", "python")


def _worker(wdir: str, queues, results, test_command: str, timeout: float, prefer: int) -> None:
    """One worker in its copy of the repository: mutants of its preferred stratum first, then the
    other's; each result goes back to the parent, which records it. The worker leads its own
    process group, so the parent can stop it with the tests it is running."""
    import queue as queue_mod
    import signal

    os.setsid()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the run and keeps what finished
    os.chdir(wdir)
    os.environ.update(_env())
    from cosmic_ray.mutating import mutate_and_test

    for k in (prefer, 1 - prefer):
        while True:
            try:
                item = queues[k].get(timeout=2)
            except queue_mod.Empty:
                break
            t0 = time.perf_counter()
            result = mutate_and_test(item.mutations, test_command, timeout)
            results.put((item, {"worker_outcome": result.worker_outcome.value,
                                "output": (result.output or "")[-20000:],
                                "test_outcome": result.test_outcome.value if result.test_outcome else None,
                                "diff": result.diff}, time.perf_counter() - t0))
    results.put(None)


def execute(*, workers: int) -> None:
    """Run every pending mutant on ``workers`` copies, recording each result as it finishes.

    Half the workers start on the compiled stratum and half on the python one, each in random
    order (the session's job ids are random), so a run stopped early has run a uniform random
    part of both; a copy that keeps to python mutants keeps its compiled cache warm (a compiled
    mutant, restored, touches the file and would make the next python mutant recompile)."""
    import queue as queue_mod

    from cosmic_ray.config import load_config
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkResult

    if not SESSION.exists():
        raise MutationError(f"no session at {SESSION.relative_to(ROOT)}: start one with 'run --fresh'")
    config = load_config(str(CONFIG))
    with use_db(str(SESSION), WorkDB.Mode.open) as db:
        pending = sorted(db.pending_work_items, key=lambda w: w.job_id)
    if not pending:
        print("mutation: nothing pending", flush=True)
        return
    # the commit whose tests the copies hold: taken before copying, as later commits do not reach them
    commit = _git("rev-parse", "--short", "HEAD")
    dirty = bool(_git("status", "--porcelain", "--", "model", "tests"))
    dirs, wall = prepare_workers(workers)
    timeout = round(4.0 * wall + 300.0)  # generous: the machine is shared, and a timeout counts as a kill
    print(f"mutation: {len(pending)} mutants on {workers} workers, timeout {timeout} s each", flush=True)
    started = time.time()
    done = 0
    ctx = mp.get_context("spawn")
    queues = [ctx.Queue() for _ in STRATA]
    for item in pending:
        queues[STRATA.index(stratum(str(item.mutations[0].module_path)))].put(item)
    results = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(str(d), queues, results, config.test_command, timeout, k % 2))
             for k, d in enumerate(dirs)]
    for proc in procs:
        proc.start()
    counts: Counter = Counter()
    try:
        with use_db(str(SESSION), WorkDB.Mode.open) as db:
            finished = 0
            while finished < len(procs):
                try:
                    got = results.get(timeout=30)
                except queue_mod.Empty:
                    if not any(proc.is_alive() for proc in procs):
                        raise MutationError("the workers stopped without finishing; 'run' again resumes") from None
                    continue
                if got is None:
                    finished += 1
                    continue
                item, res, seconds = got
                db.set_result(item.job_id, WorkResult(**res))
                outcome = res["test_outcome"] or res["worker_outcome"]
                counts[outcome] += 1
                done += 1
                module = str(item.mutations[0].module_path)
                with TIMINGS.open("a") as fh:
                    fh.write(json.dumps({"job": item.job_id, "module": module, "seconds": round(seconds, 2),
                                         "outcome": outcome, "timeout": res["output"] == "timeout"}) + "\n")
                print(f"mutation: {done}/{len(pending)} {outcome:<9} {seconds:6.1f} s  {module} "
                      f"{item.mutations[0].operator_name} #{item.mutations[0].occurrence}", flush=True)
    except KeyboardInterrupt:
        print("mutation: interrupted; finished mutants are kept, 'run' again resumes", flush=True)
    finally:
        import signal

        for proc in procs:
            if proc.is_alive():
                try:
                    os.killpg(proc.pid, signal.SIGTERM)  # the worker and the tests it runs
                except ProcessLookupError:
                    pass
            proc.join(timeout=10)
        with RUNS.open("a") as fh:
            fh.write(json.dumps({"start": started, "end": time.time(), "mutants": done, "workers": workers,
                                 "timeout": timeout, "counts": dict(counts), "commit": commit,
                                 "dirty": dirty}) + "\n")


def rerun_survivors() -> int:
    """Make the survivors pending again (after tests were added), keeping every other result."""
    with sqlite3.connect(SESSION) as con:
        n = con.execute("delete from work_results where test_outcome = 'SURVIVED'").rowcount
    return n


# ============================================================================ report
def _equivalents() -> dict[tuple[str, str, str, str], str]:
    """(module, operator, original line, mutated line) → why, from docs/mutation/equivalent.md."""
    out = {}
    if not EQUIVALENT.exists():
        return out
    for line in EQUIVALENT.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip()[1:-1])] if line.startswith("| `") else []
        if len(cells) >= 5:
            key = tuple(c.strip("`").replace("\\|", "|").strip() for c in cells[:4])
            out[key] = cells[4]
    return out


def _diff_lines(diff: str) -> tuple[str, str]:
    minus = [ln[1:].strip() for ln in diff.splitlines() if ln.startswith("-") and not ln.startswith("---")]
    plus = [ln[1:].strip() for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    return " ".join(minus), " ".join(plus)


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return (float("nan"), float("nan"))
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return centre - half, centre + half


def report() -> dict:
    """Count the session, write docs/mutation/last-result.md and return the figures."""
    if not SESSION.exists():
        raise MutationError(f"no session at {SESSION.relative_to(ROOT)}: start one with 'run --fresh'")
    meta = json.loads(META.read_text())
    equivalent = _equivalents()
    with sqlite3.connect(SESSION) as con:
        rows = con.execute(
            "select s.job_id, s.module_path, s.operator_name, s.start_pos_row, s.definition_name, r.worker_outcome, "
            "r.test_outcome, r.output, r.diff from mutation_specs s left join work_results r on r.job_id = s.job_id"
        ).fetchall()
    per: dict[str, Counter] = defaultdict(Counter)
    strata: dict[str, Counter] = defaultdict(Counter)
    survivors, equivalents_seen = [], []
    for job, module, op, line, defn, worker, test, output, diff in rows:
        if worker == "SKIPPED":
            continue
        if worker is None:
            per[module]["pending"] += 1
            strata[stratum(module)]["pending"] += 1
            continue
        if test == "SURVIVED":
            before, after = _diff_lines(diff or "")
            why = equivalent.get((module, op, before, after))
            if why is not None:
                kind = "equivalent"
                equivalents_seen.append((module, line, op, before, after, why))
            else:
                kind = "survived"
                survivors.append((module, line, defn, op, before, after))
        elif test == "KILLED":
            kind = "timeout" if output == "timeout" else "killed"
        else:
            kind = "incompetent"
        per[module][kind] += 1
        strata[stratum(module)][kind] += 1
    runs = [json.loads(x) for x in RUNS.read_text().splitlines()] if RUNS.exists() else []
    timings = [json.loads(x) for x in TIMINGS.read_text().splitlines()] if TIMINGS.exists() else []
    wall = sum(r["end"] - r["start"] for r in runs)
    figures = {"strata": {}, "meta": meta, "wall_seconds": wall, "workers": max([r["workers"] for r in runs] or [0]),
               "tests_commit": runs[-1].get("commit", meta["commit"]) if runs else meta["commit"]}
    total_w, est, lo_w, hi_w = 0, 0.0, 0.0, 0.0
    for name in ("python", "compiled"):
        c = strata[name]
        killed = c["killed"] + c["timeout"] + c["incompetent"]
        judged = killed + c["survived"]
        lo, hi = wilson(killed, judged)
        N = meta["eligible"].get(name, 0) - c["equivalent"]
        figures["strata"][name] = {"killed": killed, "survived": c["survived"], "equivalent": c["equivalent"],
                                   "timeout": c["timeout"], "pending": c["pending"], "judged": judged,
                                   "rate": killed / judged if judged else float("nan"), "wilson95": (lo, hi),
                                   "population": N}
        if judged:
            total_w += N
            est += N * killed / judged
            lo_w += N * lo
            hi_w += N * hi
    # the strata's Wilson bounds weighted by their sizes: conservative (at least as wide as the
    # interval of the weighted estimate), and never of zero width when a stratum's sample is
    # all killed, as a normal approximation would be
    rate = est / total_w if total_w else float("nan")
    ci = (lo_w / total_w, hi_w / total_w) if total_w else (float("nan"), float("nan"))
    figures["rate"], figures["ci95"] = rate, ci
    _write_markdown(figures, per, survivors, equivalents_seen, timings)
    return figures


def _pct(x: float) -> str:
    return "–" if x != x else f"{100 * x:.1f} %"


def _write_markdown(fig, per, survivors, equivalents_seen, timings) -> None:
    meta = fig["meta"]
    s = fig["strata"]
    lines = [
        "# Mutation testing: last result",
        "",
        "Generated by `tools/mutation/run.py report` from the session of `make mutation` (docs/TESTING.md says how",
        "the run works). Do not edit by hand.",
        "",
        f"- session created {meta['created']} at commit `{meta['commit']}`"
        + (" (with uncommitted changes in model/ or tests/)" if meta.get("dirty") else "")
        + f"; sample seed {meta['seed']}; last run with the tests of commit `{fig['tests_commit']}`",
        f"- mutants of `model/`: {meta['mutants']}; left out by the operator and pragma filters: "
        f"{sum(meta['filtered'].values())}; eligible: python {meta['eligible'].get('python', 0)}, "
        f"compiled {meta['eligible'].get('compiled', 0)}",
        f"- run: a uniform random sample of {meta['sampled'].get('python', 0)} python and "
        f"{meta['sampled'].get('compiled', 0)} compiled mutants; wall time {fig['wall_seconds'] / 60:.0f} min "
        f"with {fig['workers']} workers on 2 cores",
        "",
        "| stratum | run | killed | of which by timeout | survived | equivalent | pending | kill rate | 95 % interval |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in ("python", "compiled"):
        x = s[name]
        lo, hi = x["wilson95"]
        lines.append(f"| {name} | {x['judged'] + x['equivalent']} | {x['killed']} | {x['timeout']} | {x['survived']} | "
                     f"{x['equivalent']} | {x['pending']} | {_pct(x['rate'])} | {_pct(lo)} – {_pct(hi)} |")
    lo, hi = fig["ci95"]
    lines += ["", f"**Kill rate over `model/` (strata weighted by their size): {_pct(fig['rate'])} "
                  f"(95 % interval {_pct(lo)} – {_pct(hi)}).** Equivalent mutants (docs/mutation/equivalent.md) are "
                  "left out of the rate.", ""]
    lines += ["## By module", "", "| module | killed | survived | equivalent | timeout | pending |", "|---|---|---|---|---|---|"]
    for module in sorted(per):
        c = per[module]
        lines.append(f"| `{module}` | {c['killed'] + c['timeout'] + c['incompetent']} | {c['survived']} | "
                     f"{c['equivalent']} | {c['timeout']} | {c['pending']} |")
    if timings:
        secs = sorted(t["seconds"] for t in timings)
        lines += ["", f"Per mutant: median {secs[len(secs) // 2]:.0f} s, longest {secs[-1]:.0f} s "
                      f"({len(secs)} mutants timed)."]
    lines += ["", "## Survivors", ""]
    if survivors:
        lines += ["| module | line | in | operator | original | mutant |", "|---|---|---|---|---|---|"]
        for module, line, defn, op, before, after in sorted(survivors):
            lines.append(f"| `{module}` | {line} | `{defn}` | `{op}` | `{_esc(before)}` | `{_esc(after)}` |")
    else:
        lines.append("None.")
    lines += ["", "## Equivalent mutants met in this run", ""]
    if equivalents_seen:
        lines += ["| module | line | operator | original | mutant | why |", "|---|---|---|---|---|---|"]
        for module, line, op, before, after, why in sorted(equivalents_seen):
            lines.append(f"| `{module}` | {line} | `{op}` | `{_esc(before)}` | `{_esc(after)}` | {why} |")
    else:
        lines.append("None.")
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _write_summary(fig)


def _write_summary(fig) -> None:
    """The few lines of docs/TESTING.md's "Last result" (between its markers)."""
    meta, s = fig["meta"], fig["strata"]
    lo, hi = fig["ci95"]
    date = meta["created"][:10]
    killed = sum(x["killed"] for x in s.values())
    survived = sum(x["survived"] for x in s.values())
    equivalent = sum(x["equivalent"] for x in s.values())
    pending = sum(x["pending"] for x in s.values())
    text = [
        f"Session of {date} (mutants of commit `{meta['commit']}`, tests of `{fig['tests_commit']}`), "
        f"{meta['sampled'].get('python', 0)} python and "
        f"{meta['sampled'].get('compiled', 0)} compiled mutants drawn at random (seed {meta['seed']}) from "
        f"{meta['eligible'].get('python', 0)} and {meta['eligible'].get('compiled', 0)}: "
        f"**{killed} killed, {survived} survived, {equivalent} equivalent**"
        + (f", {pending} not yet run" if pending else "") + ".",
        "",
        "| stratum | killed | survived | equivalent | kill rate (95 % interval) |",
        "|---|---|---|---|---|",
    ]
    for name in ("python", "compiled"):
        x = s[name]
        a, b = x["wilson95"]
        text.append(f"| {name} | {x['killed']} | {x['survived']} | {x['equivalent']} | {_pct(x['rate'])} "
                    f"({_pct(a)} – {_pct(b)}) |")
    text += ["", f"**Kill rate over `model/`: {_pct(fig['rate'])} (95 % interval {_pct(lo)} – {_pct(hi)})**, "
                 f"without the baseline snapshot test; wall time {fig['wall_seconds'] / 60:.0f} min on two cores "
                 f"({fig['workers']} workers, shared with other work)."]
    doc = TESTING.read_text(encoding="utf-8")
    begin, end = "<!-- BEGIN MUTATION RESULT -->", "<!-- END MUTATION RESULT -->"
    if begin in doc and end in doc:
        head, rest = doc.split(begin, 1)
        TESTING.write_text(head + begin + "\n" + "\n".join(text) + "\n" + end + rest.split(end, 1)[1],
                           encoding="utf-8")


def _esc(text: str) -> str:
    return re.sub(r"\|", r"\\|", text)


# ============================================================================ command line
def _sample(text: str) -> int | None:
    if text == "all":
        return None
    try:
        n = int(text)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"a sample size is a whole number ≥ 0 or 'all', got {text!r}")
    return n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start (--fresh) or resume a session and run its pending mutants")
    run.add_argument("--fresh", action="store_true", help="a new session (drops the old one's results)")
    run.add_argument("--python-sample", type=_sample, default=_sample("250"),
                     help="mutants drawn from the python stratum (default 250; 'all')")
    run.add_argument("--compiled-sample", type=_sample, default=_sample("150"),
                     help="mutants drawn from the compiled stratum (default 150; 'all')")
    run.add_argument("--seed", type=int, default=14, help="seed of the sample (default 14)")
    run.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="copies run at once (default: cores)")
    sub.add_parser("report", help="write docs/mutation/last-result.md from the session")
    sub.add_parser("rerun-survivors", help="make the survivors pending again")
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            if args.workers < 1:
                raise MutationError(f"--workers must be ≥ 1, got {args.workers}")
            if args.fresh or not SESSION.exists():
                meta = init_session(python_sample=args.python_sample, compiled_sample=args.compiled_sample,
                                    seed=args.seed)
                print(f"mutation: new session of {meta['mutants']} mutants; sampled {meta['sampled']} of "
                      f"{meta['eligible']}", flush=True)
            execute(workers=args.workers)
            args.command = "report"
        if args.command == "rerun-survivors":
            print(f"mutation: {rerun_survivors()} survivors pending again; 'run' runs them", flush=True)
            return 0
        fig = report()
        lo, hi = fig["ci95"]
        print(f"mutation: kill rate {_pct(fig['rate'])} (95 % {_pct(lo)} – {_pct(hi)}); "
              + "; ".join(f"{k}: {v['killed']} killed, {v['survived']} survived, {v['equivalent']} equivalent, "
                          f"{v['pending']} pending" for k, v in fig["strata"].items())
              + f"; written to {RESULT.relative_to(ROOT)}", flush=True)
        return 0
    except MutationError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
