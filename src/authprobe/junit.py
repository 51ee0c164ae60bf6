"""A pytest run's outcome from its JUnit XML and output: which tests failed, and why a run
that failed no test stopped. Shared by `authprobe mutants` and `authprobe triage`."""

from __future__ import annotations

import re
import shlex
import xml.etree.ElementTree as ET
from pathlib import Path

from authprobe.resources import suite_root

ROOT = suite_root()


def _node_id(classname: str, name: str, root: Path) -> str:
    """JUnit's dotted classname back to a pytest node id (the form the plugin matches)."""
    parts = classname.split(".")
    for cut in range(len(parts), 0, -1):
        path = "/".join(parts[:cut]) + ".py"
        if (root / path).is_file():
            return "::".join([path, *parts[cut:], name])
    return f"{classname}::{name}"


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return " ".join(line.split())
    return ""


EXCEPTION_HEAD = re.compile(r"(?:[a-z_]\w*\.)*[A-Z]\w*: \S")


def _failure_line(problem: ET.Element) -> str:
    """The exception line of a JUnit failure/error, with the phase for setup/teardown errors.

    pytest's message is usually `Type: text`; for some errors it is a source line instead,
    so fall back to the traceback's first `E   Type: text` line.
    """
    message = _first_line(problem.get("message") or "")
    phase = re.fullmatch(r'failed on (\w+) with "(.*?)"?', message)
    head = phase.group(2) if phase else message
    if not EXCEPTION_HEAD.match(head):
        raised = [line[1:].strip() for line in (problem.text or "").splitlines() if line.startswith("E ")]
        head = next((line for line in raised if EXCEPTION_HEAD.match(line)), head)
    head = head or _first_line(problem.text or "")
    return f"{phase.group(1)}: {head}" if phase else head


def failures(junit_xml: Path, root: Path = ROOT) -> list[tuple[str, str]]:
    """(node id, first line of its message) of each failed or errored test case, in run order."""
    try:
        tree = ET.parse(junit_xml)
    except (OSError, ET.ParseError):
        return []
    found = []
    for case in tree.iter("testcase"):
        for problem in (case.find("failure"), case.find("error")):
            if problem is not None:
                node = _node_id(case.get("classname", ""), case.get("name", ""), root)
                found.append((node, _failure_line(problem)))
                break
    return found


def lead_with_findings(junit_xml: Path) -> None:
    """Each failure's message becomes its finding (the `finding` property the plugin records), and
    its text opens with the finding, the journey (its failing step marked) and the kept trace
    with the command that opens it; pytest's traceback follows, below a line saying so."""
    try:
        tree = ET.parse(junit_xml)
    except (OSError, ET.ParseError):
        return
    changed = False
    for case in tree.iter("testcase"):
        failure = case.find("failure")
        props = [(p.get("name") or "", p.get("value") or "") for p in case.iter("property")]
        found = [value for name, value in props if name == "finding"]
        if failure is None or not found:
            continue
        journeys = [value for name, value in props if name.startswith("journey ")]
        traces = [f"trace: {value}\n  playwright show-trace {shlex.quote(value)}"
                  for name, value in props if name == "playwright_trace"]
        failure.set("message", found[0])
        failure.text = "\n\n".join([found[0], *journeys, *traces,
                                     "pytest's traceback:\n" + (failure.text or "")])
        changed = True
    if changed:
        tree.write(junit_xml, encoding="utf-8", xml_declaration=True)


def _cases(junit_xml: Path, root: Path, outcome: str) -> list[str]:
    """The node id of each test case with this outcome ("skipped", or "passed": neither skipped,
    failed nor errored), in run order."""
    try:
        tree = ET.parse(junit_xml)
    except (OSError, ET.ParseError):
        return []
    marks = ("skipped",) if outcome == "skipped" else ("skipped", "failure", "error")
    wanted = outcome == "skipped"
    return [_node_id(case.get("classname", ""), case.get("name", ""), root)
            for case in tree.iter("testcase")
            if any(case.find(mark) is not None for mark in marks) == wanted]


def skipped(junit_xml: Path, root: Path = ROOT) -> list[str]:
    """The node id of each skipped test case, in run order."""
    return _cases(junit_xml, root, "skipped")


def passed(junit_xml: Path, root: Path = ROOT) -> list[str]:
    """The node id of each test case that passed, in run order."""
    return _cases(junit_xml, root, "passed")


def stop_reason(returncode: int, output: str) -> str:
    """One line saying why a run ended without a test failure."""
    said = re.search(r"authprobe: (.+?)(?: !+)?$", output, re.MULTILINE)
    if said:
        return f"exit {returncode}: {said.group(1).strip()}"
    collecting = re.search(r"^(ERROR collecting .+?|E +\S.*)$", output, re.MULTILINE)
    if collecting:
        return f"exit {returncode}: {' '.join(collecting.group(1).split())}"
    meaning = {2: "interrupted or collection error", 3: "internal error or configuration stop",
               4: "pytest usage error", 5: "no tests collected"}.get(returncode, "unexpected exit")
    last = output.strip().splitlines()[-1] if output.strip() else ""
    return f"exit {returncode} ({meaning}): {' '.join(last.split())}"
