"""Sharded nights, one report: the results of a run split over several machines (pytest-split's
`--splits N --group I`), merged as if one machine had run them all.

Each shard's folder mirrors a run's folder: `reports/junit.xml`, `reports/report.html`
(pytest-html 4, self-contained) and `test-results/` (the kept traces and screenshots). The
merge writes the same layout once: one JUnit (junitparser: it recounts the suites' totals
instead of us), one HTML report and one artifacts folder, so the report's trace links
(`../test-results/<test>/trace.zip`) hold. pytest-html 4 keeps every result as JSON in the
report (`data-jsonblob`, which its script renders); the merge joins those and recounts the
summary, and keeps the rest of the first shard's page (its columns, styles and script), so
nothing of pytest-html is re-implemented. A check found in two shards is refused, not
deduplicated: it means two machines ran the same group, and one of them hid the other's result.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from junitparser import Failure, JUnitXml, TestCase, TestSuite

from authprobe.errors import MergeError

JUNIT = Path("reports/junit.xml")
REPORT = Path("reports/report.html")
ARTIFACTS = Path("test-results")
RUNS = "runs"  # the run journals under a state folder (authprobe.provisioning.sweep): addresses only

_BLOB = re.compile(r'(<div id="data-container" data-jsonblob=")([^"]*)("></div>)')
_FILTER = re.compile(r'<input checked="true" class="filter" name="filter_checkbox" type="checkbox" '
                     r'data-test-result="(\w+)"[^>]*>(\s*)<span class="\1">(\d+) ')
_RUN_COUNT = re.compile(r'<p class="run-count">[^<]*</p>')
COUNTED = ("passed", "failed", "xpassed", "xfailed")  # what pytest-html's "N tests took" counts


@dataclass(frozen=True)
class Merged:
    """What the merge wrote, and the checks it holds (each once)."""

    junit: Path
    report: Path | None
    artifacts: Path | None
    checks: int
    shards: int
    journals: int = 0  # run journals with users still pending, gathered for one `authprobe sweep`
    missing: int = 0  # shards of `expect` that sent no folder: their checks are not in the report

    @property
    def missing_sentence(self) -> str:
        return missing_shards(self.missing, self.shards + self.missing)


def missing_shards(missing: int, expected: int) -> str:
    """What a report lacks, said once (the merged JUnit carries it as a failed case)."""
    return (f"{missing} of the {expected} shards sent no results: their checks are missing from "
            "this report; see those shards' jobs (a run that stopped early, or a scan that kept "
            "their files back).")


def merge_shards(shards: list[Path], out: Path, state_dir: Path = Path(".authprobe"),
                 expect: int | None = None) -> Merged:
    """Merge every shard folder into `out` (created); nothing in a shard is changed. Each shard's
    run journals (`state_dir`/runs: the users its run could not remove) go to `out`/`state_dir`,
    so one `authprobe sweep` there removes what every shard left. With `expect` (the night's
    number of shards), shards that sent nothing are a failed case of the merged JUnit and a line
    of the HTML report, so a half night never reads as a green one."""
    if not shards:
        raise MergeError("no shard folder given: name each shard's folder (reports/ and test-results/ "
                         "inside it).")
    if expect is not None and len(shards) > expect:
        raise MergeError(f"{len(shards)} shard folders for --expect {expect}: give the number of "
                         "shards the night ran (pytest-split's --splits).")
    without = [str(shard / JUNIT) for shard in shards if not (shard / JUNIT).is_file()]
    if without:
        raise MergeError(f"{without[0]} is missing: each shard's folder needs the run's {JUNIT} "
                         "(authprobe run --junitxml=reports/junit.xml).")
    reports = [shard / REPORT for shard in shards if (shard / REPORT).is_file()]
    if reports and len(reports) != len(shards):
        raise MergeError(f"only {len(reports)} of {len(shards)} shards have {REPORT}: a merged report "
                         "would lack checks; run every shard with --html=reports/report.html.")
    missing = 0 if expect is None else expect - len(shards)
    lacking = missing_shards(missing, len(shards) + missing) if missing else None
    checks = merge_junit([shard / JUNIT for shard in shards], out / JUNIT, lacking)
    report = merge_html(reports, out / REPORT, lacking) if reports else None
    artifacts = merge_artifacts([shard / ARTIFACTS for shard in shards], out / ARTIFACTS)
    journals = gather_journals([shard / state_dir / RUNS for shard in shards], out / state_dir / RUNS)
    return Merged(out / JUNIT, report, artifacts, checks, len(shards), journals, missing)


def gather_journals(folders: list[Path], out: Path) -> int:
    """Copy each shard's run journals (one file per run, named by its own run id: never two alike)
    into `out`; their lock files stay behind, so `authprobe sweep` sees runs that have ended."""
    journals = [journal for folder in folders if folder.is_dir()
                for journal in sorted(folder.glob("*.jsonl"))]
    if journals:
        out.mkdir(mode=0o700, parents=True, exist_ok=True)
    for journal in journals:
        shutil.copy2(journal, out / journal.name)
    return len(journals)


def merge_junit(paths: list[Path], out: Path, lacking: str | None = None) -> int:
    """One JUnit file holding every shard's suites, totals recounted; returns its test cases (of
    the shards). `lacking`: the shards that sent nothing, as one failed case of its own suite."""
    merged = JUnitXml()
    seen: dict[tuple[str, str], Path] = {}
    for path in paths:
        try:
            xml = JUnitXml.fromfile(str(path))
        except Exception as exc:  # lxml or ElementTree: both mean a file that is not JUnit XML
            raise MergeError(f"{path} is not JUnit XML ({exc}); give the file pytest's "
                             "--junitxml wrote.") from exc
        suites: list[TestSuite] = list(xml) if isinstance(xml, JUnitXml) else [xml]
        for suite in suites:
            for case in suite:
                key = (case.classname or "", case.name or "")
                if key in seen:
                    raise _twice(f"{key[0]}::{key[1]}", seen[key], path)
                seen[key] = path
            merged.add_testsuite(suite)
    if lacking is not None:
        case = TestCase("every_shard_sent_its_results", "authprobe.merge")
        case.result = [Failure(lacking)]
        suite = TestSuite("authprobe merge")
        suite.add_testcase(case)
        suite.update_statistics()
        merged.add_testsuite(suite)
    merged.update_statistics()
    out.parent.mkdir(parents=True, exist_ok=True)
    merged.write(str(out))
    return len(seen)


def _twice(check: str, first: Path, second: Path) -> MergeError:
    return MergeError(f"{check} is in {first} and in {second}: two shards ran the same checks; give "
                      "each shard its own --group (1 to --splits) and merge each once.")


def _blob(page: str, path: Path) -> dict[str, Any]:
    found = _BLOB.search(page)
    if found is None:
        raise MergeError(f"{path} holds no pytest-html 4 results; give the report pytest-html 4 wrote "
                         "with --html.")
    data: dict[str, Any] = json.loads(html.unescape(found.group(2)))
    return data


def merge_html(paths: list[Path], out: Path, lacking: str | None = None) -> Path:
    """One pytest-html report: every shard's results, the summary's counts and run line recounted
    (`lacking`, the shards that sent nothing, said in that line)."""
    pages = [path.read_text(encoding="utf-8") for path in paths]
    data = _blob(pages[0], paths[0])
    tests: dict[str, list[dict[str, Any]]] = {}
    where: dict[str, Path] = {}
    for page, path in zip(pages, paths, strict=True):
        for node, entries in _blob(page, path)["tests"].items():
            if node in tests:
                raise _twice(node, where[node], path)
            tests[node], where[node] = entries, path
    data["tests"] = tests
    counts: dict[str, int] = {}
    for entries in tests.values():
        for entry in entries:
            outcome = str(entry.get("result", "")).lower()
            counts[outcome] = counts.get(outcome, 0) + 1
    page = _BLOB.sub(lambda m: m.group(1) + html.escape(json.dumps(data)) + m.group(3), pages[0], count=1)
    page = _FILTER.sub(lambda m: _filter(m.group(1), m.group(2), counts.get(m.group(1), 0)), page)
    ran = sum(counts.get(outcome, 0) for outcome in COUNTED)
    said = f" {html.escape(lacking)}" if lacking else ""
    page = _RUN_COUNT.sub(f'<p class="run-count">{ran} {"tests" if ran != 1 else "test"} on '
                          f'{len(paths)} shards.{said}</p>', page, count=1)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return out


def _filter(outcome: str, space: str, count: int) -> str:
    disabled = " disabled" if count == 0 else " "
    return (f'<input checked="true" class="filter" name="filter_checkbox" type="checkbox" '
            f'data-test-result="{outcome}"{disabled}>{space}<span class="{outcome}">{count} ')


def merge_artifacts(folders: list[Path], out: Path) -> Path | None:
    """Every shard's kept artifacts in one folder; pytest-playwright names each test's folder after
    the test, so two shards never write the same one unless they ran the same check."""
    present = [folder for folder in folders if folder.is_dir()]
    if not present:
        return None
    out.mkdir(parents=True, exist_ok=True)
    origin: dict[str, Path] = {}
    for folder in present:
        for entry in sorted(folder.iterdir()):
            target = out / entry.name
            if target.exists():
                raise _twice(entry.name, origin.get(entry.name, out), folder)
            origin[entry.name] = folder
            if entry.is_dir():
                shutil.copytree(entry, target)
            else:
                shutil.copy2(entry, target)
    return out
