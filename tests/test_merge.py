"""Sharded nights, one report: shards run by pytest-split and merged by `authprobe merge` give
one JUnit, one HTML report and one artifacts folder with every check once; a check two shards
both ran is refused. The shards here are real pytest runs (pytest-split, pytest-html) of a
small suite in a subprocess; the whole_runs test runs two shards of the shipped suite against
one sandbox."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from junitparser import JUnitXml

from authprobe.cli import main
from authprobe.cli.init_ci import render
from authprobe.errors import MergeError
from authprobe.shards import merge_shards

ROOT = Path(__file__).resolve().parent.parent
SUITE = """\
import pytest

def test_passes(): pass
def test_fails(): assert 1 == 2, "the finding"
@pytest.mark.skip(reason="not here")
def test_skipped(): pass
def test_passes_too(): pass
"""


def run_shard(suite: Path, shard: Path, group: int, *extra: str) -> None:
    """One machine of two: pytest-split's group `group`, writing the layout a shard's folder has."""
    subprocess.run(
        [sys.executable, "-m", "pytest", str(suite), "-p", "no:randomly", "-p", "no:cacheprovider",
         "--splits", "2", "--group", str(group), f"--junitxml={shard / 'reports/junit.xml'}",
         f"--html={shard / 'reports/report.html'}", "--self-contained-html", *extra],
        cwd=suite.parent, capture_output=True, text=True, timeout=60, check=False)
    assert (shard / "reports/junit.xml").is_file() and (shard / "reports/report.html").is_file()


def results(report: Path) -> dict[str, list[dict[str, object]]]:
    """What pytest-html's page renders: its results, as JSON inside the page."""
    blob = re.search(r'data-jsonblob="([^"]*)"', report.read_text(encoding="utf-8"))
    assert blob is not None
    tests: dict[str, list[dict[str, object]]] = json.loads(html.unescape(blob.group(1)))["tests"]
    return tests


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("night")
    suite = folder / "test_night.py"
    suite.write_text(SUITE, encoding="utf-8")
    first, second = folder / "shard-1", folder / "shard-2"
    run_shard(suite, first, 1)
    run_shard(suite, second, 2)
    (first / ".authprobe/runs").mkdir(parents=True)  # a run that left a user, and its lock
    (first / ".authprobe/runs/65a-1-abc.jsonl").write_text('{"op": "creating", "email": "qa+x@e.test"}\n')
    (first / ".authprobe/runs/65a-1-abc.lock").write_text("")
    (first / "test-results/test-night-py-test-fails").mkdir(parents=True)
    (first / "test-results/test-night-py-test-fails/trace.zip").write_bytes(b"PK")
    return first, second


def test_two_shards_merge_into_one_report_with_every_check_once(shards: tuple[Path, Path],
                                                                tmp_path: Path) -> None:
    assert main(["merge", *map(str, shards), "--out", str(tmp_path)]) == 0

    xml = JUnitXml.fromfile(str(tmp_path / "reports/junit.xml"))
    cases = sorted(case.name for suite in xml for case in suite)
    assert cases == ["test_fails", "test_passes", "test_passes_too", "test_skipped"], cases
    assert (xml.tests, xml.failures, xml.skipped) == (4, 1, 1), (xml.tests, xml.failures, xml.skipped)

    page = tmp_path / "reports/report.html"
    assert sorted(results(page)) == [f"test_night.py::{name}" for name in cases]
    text = page.read_text(encoding="utf-8")
    counts = dict(re.findall(r'<span class="(\w+)">(\d+) ', text))
    assert (counts["passed"], counts["failed"], counts["skipped"]) == ("2", "1", "1"), counts
    assert '<p class="run-count">3 tests on 2 shards.</p>' in text
    # the trace link of a failure (../test-results/<test>/trace.zip) still points at the trace
    assert (tmp_path / "test-results/test-night-py-test-fails/trace.zip").read_bytes() == b"PK"
    # the users a shard's run left: its journal (not its lock) ready for one sweep over every shard
    assert [p.name for p in (tmp_path / ".authprobe/runs").iterdir()] == ["65a-1-abc.jsonl"]


def test_a_check_two_shards_both_ran_is_refused(shards: tuple[Path, Path], tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    first, _ = shards
    assert main(["merge", str(first), str(first), "--out", str(tmp_path)]) == 2
    said = capsys.readouterr().err
    assert "two shards ran the same checks" in said and "--group" in said and said.count("\n") == 1, said


def test_a_shard_that_sent_nothing_is_a_failure_of_the_merged_report(
        shards: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--expect 2 with one shard folder: the shard's checks still merge, the JUnit gets one failed
    case saying the other shard's checks are missing, the HTML report says it, and exit 1."""
    assert main(["merge", str(shards[0]), "--expect", "2", "--out", str(tmp_path)]) == 1
    said = capsys.readouterr().err
    assert said.startswith("authprobe merge: 1 of the 2 shards sent no results") and said.count("\n") == 1
    xml = JUnitXml.fromfile(str(tmp_path / "reports/junit.xml"))
    cases = {case.name: case for suite in xml for case in suite}
    lacking = cases.pop("every_shard_sent_its_results")
    assert lacking.classname == "authprobe.merge" and not lacking.is_passed
    assert "their checks are missing from this report" in lacking.result[0].message
    assert cases and all(name.startswith("test_") for name in cases)  # the first shard's, merged
    assert xml.failures == 1 + sum(not c.is_passed and not c.is_skipped for c in cases.values())
    assert "1 of the 2 shards sent no results" in (tmp_path / "reports/report.html").read_text()
    # all of them sent theirs: no such case, exit 0; more folders than expected: one sentence
    assert main(["merge", *map(str, shards), "--expect", "2", "--out", str(tmp_path / "all")]) == 0
    assert "every_shard_sent" not in (tmp_path / "all/reports/junit.xml").read_text()
    capsys.readouterr()
    assert main(["merge", *map(str, shards), "--expect", "1", "--out", str(tmp_path / "x")]) == 2
    said = capsys.readouterr().err
    assert "2 shard folders for --expect 1" in said and said.count("\n") == 1, said


def test_a_shard_without_its_junit_is_refused(shards: tuple[Path, Path], tmp_path: Path) -> None:
    with pytest.raises(MergeError, match="reports/junit.xml is missing"):
        merge_shards([shards[0], tmp_path / "shard-9"], tmp_path / "out")


@pytest.mark.parametrize("kind", ["github", "gitlab"])
def test_the_generated_nightly_splits_the_suite_and_merges_it(kind: str) -> None:
    text = render(kind)  # type: ignore[arg-type]
    if kind == "github":
        assert "group: [1, 2]" in text and '--splits 2 --group "${{ matrix.group }}"' in text
    else:
        assert "parallel: 2" in text and '--splits "$CI_NODE_TOTAL" --group "$CI_NODE_INDEX"' in text
    assert "authprobe merge --expect 2 shards/*" in text  # a shard that sent nothing is a failure
    merged = text[text.index("authprobe merge"):]
    assert "authprobe scan reports test-results" in merged, "the merged whole is scanned once"


SELECTION = "login or (signup and severity1)"  # four checks: two a shard


@pytest.mark.whole_runs  # one sandbox, two shards of a few checks in subprocesses (about a minute)
def test_two_shards_against_one_sandbox_give_one_report_with_every_check_once(tmp_path: Path) -> None:
    from authprobe.target.environment import started_sandbox, suite_env_for

    target = started_sandbox()
    try:
        env = suite_env_for(target, tmp_path)
        for group in (1, 2):
            shard = tmp_path / f"shard-{group}"
            done = subprocess.run(
                [sys.executable, "-m", "pytest", "e2e", "-m", SELECTION, "--browser", "chromium",
                 "-p", "no:randomly", "--splits", "2", "--group", str(group),
                 "--splitting-algorithm", "least_duration",
                 f"--junitxml={shard / 'reports/junit.xml'}", f"--html={shard / 'reports/report.html'}",
                 "--self-contained-html"],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
            assert done.returncode in (0, 1), (done.stdout + done.stderr)[-3000:]
        collected = subprocess.run(
            [sys.executable, "-m", "pytest", "e2e", "-m", SELECTION, "--browser", "chromium",
             "--collect-only", "-q"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    finally:
        target.stop()
    expected = sorted(line for line in collected.stdout.splitlines() if "::" in line)
    assert len(expected) >= 4, collected.stdout[-2000:]

    merged = merge_shards([tmp_path / "shard-1", tmp_path / "shard-2"], tmp_path / "merged")
    assert merged.checks == len(expected)
    assert sorted(results(tmp_path / "merged/reports/report.html")) == expected
