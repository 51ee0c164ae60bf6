"""Night over night: tonight's run against earlier runs' JUnit XML (layer L0).

JUnit is the record every CI keeps anyway, so the history is earlier runs' JUnit files
(junitparser reads them): each check's outcome, the `triage` property `authprobe triage
--junit` leaves on a check it found flaky, and the run's step times, which the plugin
writes as testsuite properties (`authprobe step KIND`: median, count and the profile's
budget). A step time is a change only when it crosses its budget: timings wander from night
to night on shared CI machines, and a wandering number read as news trains people to skip
the block.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from junitparser import Error, Failure, JUnitXml, JUnitXmlError, Properties, Property, Skipped, TestSuite

from authprobe.errors import CompareInputError

STEP_PROPERTY = "authprobe step "  # + the step kind; its value is JSON (StepTime's fields)
TRIAGE_PROPERTY = "triage"  # on a test case: authprobe triage's verdict (flaky, deterministic)


@dataclass(frozen=True)
class StepTime:
    median: float
    count: int
    budget: float | None  # the profile's [budgets] entry; None where the profile sets none
    over: bool  # the run judged it over budget (median, or p95 × the profile's factor)


@dataclass
class Run:
    """One run as the comparison sees it: outcome per check, flaky marks, step times."""

    label: str
    outcomes: dict[str, str] = field(default_factory=dict)  # check -> passed | failed | skipped
    messages: dict[str, str] = field(default_factory=dict)  # failed check -> first line of its finding
    flaky: set[str] = field(default_factory=set)
    steps: dict[str, StepTime] = field(default_factory=dict)


def check_name(classname: str, name: str) -> str:
    """A check's name as JUnit spells it, the same for every run of the suite."""
    return f"{classname}::{name}" if classname else name


def node_to_check(nodeid: str) -> str:
    """A pytest node id as pytest's junitxml turns it into classname and name."""
    parts = nodeid.split("::")
    parts[0] = parts[0].replace("/", ".").removesuffix(".py")
    return check_name(".".join(parts[:-1]), parts[-1])


def _first_line(text: str | None) -> str:
    return next((" ".join(line.split()) for line in (text or "").splitlines() if line.strip()), "")


def step_property(kind: str, step: StepTime) -> tuple[str, str]:
    """The testsuite property that carries one step kind's times to the next night."""
    return STEP_PROPERTY + kind, json.dumps({"median": round(step.median, 3), "count": step.count,
                                             "budget": step.budget, "over": step.over})


def _steps(suite: TestSuite) -> dict[str, StepTime]:
    found = {}
    for prop in suite.properties():
        if (prop.name or "").startswith(STEP_PROPERTY):
            try:
                value = json.loads(prop.value or "")
                found[prop.name[len(STEP_PROPERTY):]] = StepTime(
                    float(value["median"]), int(value["count"]),
                    None if value.get("budget") is None else float(value["budget"]), bool(value["over"]))
            except (ValueError, KeyError, TypeError):
                continue  # a property some other tool wrote: not ours to judge
    return found


def _combined(one: StepTime, other: StepTime) -> StepTime:
    """Two shards' times of one step kind (a merged JUnit keeps each shard's testsuite): their
    medians weighted by sample count, which is near the whole night's median, and over budget
    when either shard was."""
    count = one.count + other.count
    median = (one.median * one.count + other.median * other.count) / count if count else one.median
    return StepTime(median, count, one.budget if one.budget is not None else other.budget,
                    one.over or other.over)


def read_run(path: Path) -> Run:
    """One run from its JUnit XML file (pytest --junitxml, or a merged one)."""
    try:
        xml = JUnitXml.fromfile(str(path))
    except (OSError, JUnitXmlError, SyntaxError) as exc:  # ParseError is a SyntaxError
        raise CompareInputError(
            f"{path} is not a readable JUnit XML file ({type(exc).__name__}); pass the --junitxml "
            "file of a run, or a folder of them.") from exc
    suites = [xml] if isinstance(xml, TestSuite) else list(xml)
    run = Run(str(path))
    for suite in suites:
        for kind, step in _steps(suite).items():
            run.steps[kind] = _combined(run.steps[kind], step) if kind in run.steps else step
        for case in suite:
            name = check_name(case.classname or "", case.name or "")
            results = case.result
            if any(isinstance(r, Failure | Error) for r in results):
                run.outcomes[name] = "failed"
                problem = next(r for r in results if isinstance(r, Failure | Error))
                run.messages[name] = _first_line(problem.message) or _first_line(problem.text)
            else:
                run.outcomes[name] = "skipped" if any(isinstance(r, Skipped) for r in results) else "passed"
            props = case.child(Properties)
            if props is not None and any(p.name == TRIAGE_PROPERTY and p.value == "flaky" for p in props):
                run.flaky.add(name)
    return run


def _when(path: Path) -> str:
    """A JUnit file's run time (its first testsuite's timestamp), for ordering a history."""
    try:
        xml = JUnitXml.fromfile(str(path))
    except (OSError, JUnitXmlError, SyntaxError):
        return ""
    suites = [xml] if isinstance(xml, TestSuite) else list(xml)
    return next((s.timestamp for s in suites if s.timestamp), "")


def read_history(path: Path) -> list[Run]:
    """Earlier runs, oldest first: one JUnit file, or every *.xml under a folder (by run time)."""
    if path.is_dir():
        files = sorted(path.rglob("*.xml"), key=lambda p: (_when(p), p.stat().st_mtime))
        if not files:
            raise CompareInputError(f"{path} holds no JUnit XML file; keep each night's --junitxml "
                                    "file there (a CI cache or artifact) and pass the folder.")
        return [read_run(file) for file in files]
    if not path.is_file():
        raise CompareInputError(f"{path} does not exist; pass the --junitxml file of an earlier run "
                                "or a folder of them.")
    return [read_run(path)]


@dataclass(frozen=True)
class StepLine:
    kind: str
    before: float | None
    now: float
    budget: float | None
    over: bool
    was_over: bool

    def text(self) -> str:
        moved = f"{self.before:.2f} s -> " if self.before is not None else ""
        budget = f" (budget {self.budget:.2f} s)" if self.budget is not None else ""
        verdict = ("OVER BUDGET" if self.over and not self.was_over else "still over budget"
                   if self.over else "back within budget" if self.was_over else "within budget")
        return f"{self.kind}: {moved}{self.now:.2f} s median{budget}, {verdict}"


@dataclass(frozen=True)
class Comparison:
    """What changed since the last night, and what did not but matters."""

    against: str  # what the run was compared with
    runs: int  # earlier runs read
    new_failures: list[tuple[str, str]]  # (check, its finding)
    fixed: list[str]
    still_failing: list[tuple[str, str]]
    flipping: list[tuple[str, str]]  # (check, its outcomes oldest first, e.g. "P F P F")
    steps: list[StepLine]

    @property
    def changed(self) -> bool:
        """Whether there is news: a check that changed or flips, a step that crossed its budget."""
        return bool(self.new_failures or self.fixed or self.flipping
                    or any(s.over != s.was_over for s in self.steps))

    def headline(self) -> str:
        counts = [f"{len(self.new_failures)} new failure(s)", f"{len(self.fixed)} fixed",
                  f"{len(self.still_failing)} still failing", f"{len(self.flipping)} flipping"]
        over = [s.kind for s in self.steps if s.over and not s.was_over]
        if over:
            counts.append(f"newly over budget: {', '.join(over)}")
        back = [s.kind for s in self.steps if s.was_over and not s.over]
        if back:
            counts.append(f"back within budget: {', '.join(back)}")
        return (f"since {self.against} ({self.runs} earlier run(s)): " + ", ".join(counts)
                if self.changed or self.still_failing else
                f"since {self.against} ({self.runs} earlier run(s)): nothing changed")

    def sections(self) -> list[tuple[str, list[str]]]:
        """(title, lines) of each non-empty category, news first."""
        found = [("New failures", [_said(check, said) for check, said in self.new_failures]),
                 ("Fixed", list(self.fixed)),
                 ("Flipping (flaky: a possible race)", [_said(check, seq) for check, seq in self.flipping]),
                 ("Still failing", [_said(check, said) for check, said in self.still_failing]),
                 ("Step times against budgets", [s.text() for s in self.steps])]
        return [(title, lines) for title, lines in found if lines]


def _said(check: str, said: str) -> str:
    return f"{check}: {said}" if said else check


def _flips(sequence: Sequence[str]) -> int:
    seen = [outcome for outcome in sequence if outcome in ("passed", "failed")]
    return sum(a != b for a, b in zip(seen, seen[1:], strict=False))


def compare(history: Sequence[Run], now: Run) -> Comparison:
    """Tonight against the history (oldest first): each check in one category at most."""
    if not history:
        raise CompareInputError("there is no earlier run to compare with; pass a JUnit XML file.")
    last = history[-1]
    new, fixed, still, flipping = [], [], [], []
    for check, outcome in now.outcomes.items():
        sequence = [run.outcomes.get(check, "") for run in history] + [outcome]
        flaky = check in now.flaky or any(check in run.flaky for run in history)
        if _flips(sequence) >= 2 or (flaky and "failed" in sequence):
            letters = " ".join({"passed": "P", "failed": "F", "skipped": "s"}.get(o, "-") for o in sequence)
            flipping.append((check, letters + (" (triage: flaky)" if flaky else "")))
            continue
        before = next((o for o in reversed(sequence[:-1]) if o in ("passed", "failed")), None)
        if outcome == "failed" and before == "failed":
            still.append((check, now.messages.get(check, "")))
        elif outcome == "failed":
            new.append((check, now.messages.get(check, "")))
        elif outcome == "passed" and last.outcomes.get(check) == "failed":
            fixed.append(check)
    return Comparison(last.label if len(history) == 1 else f"{history[0].label} .. {last.label}",
                      len(history), new, fixed, still, flipping, step_lines(last.steps, now.steps))


def step_lines(before: Mapping[str, StepTime], now: Mapping[str, StepTime]) -> list[StepLine]:
    lines = []
    for kind in sorted(now):
        seen, old = now[kind], before.get(kind)
        if math.isnan(seen.median):
            continue
        lines.append(StepLine(kind, old.median if old else None, seen.median, seen.budget, seen.over,
                              bool(old and old.over)))
    return lines


def as_text(result: Comparison) -> list[str]:
    """The terminal's block: the headline, then each category (step times only when they matter)."""
    said = [f"authprobe: night over night {result.headline()}"]
    for title, lines in result.sections():
        if title.startswith("Step times") and not any(s.over or s.was_over for s in result.steps):
            continue  # all within budget, as before: not news in a terminal
        said.append(f"  {title}:")
        said.extend(f"    {line}" for line in lines)
    return said


def as_markdown(result: Comparison) -> str:
    """The CI summary's block (GitHub's job summary, a GitLab MR note): Markdown."""
    out = ["## Night over night", "", result.headline(), ""]
    for title, lines in result.sections():
        out += [f"### {title}", "", *(f"- `{line.split(': ', 1)[0]}`" + (
            f": {line.split(': ', 1)[1]}" if ": " in line else "") for line in lines), ""]
    return "\n".join(out)


def as_html(result: Comparison) -> str:
    """The block at the top of the HTML report (pytest-html's summary prefix)."""
    parts = ['<div class="authprobe-compare"><h3>Night over night</h3>',
             f"<p>{html.escape(result.headline())}</p>"]
    for title, lines in result.sections():
        items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
        red = ' style="color:#b3261e"' if title.startswith(("New failures", "Flipping")) else ""
        parts.append(f"<h4{red}>{html.escape(title)}</h4><ul>{items}</ul>")
    return "".join(parts) + "</div>"


def add_step_properties(junit_xml: Path, steps: Mapping[str, StepTime]) -> None:
    """Write the run's step times into its JUnit file's (first) testsuite, for the next night."""
    if not steps:
        return
    try:
        xml = JUnitXml.fromfile(str(junit_xml))
    except (OSError, JUnitXmlError, SyntaxError):
        return  # no JUnit to carry them (pytest could not write it): the terminal said the times
    suite = xml if isinstance(xml, TestSuite) else next(iter(xml), None)
    if suite is None:
        return
    for kind, step in sorted(steps.items()):
        suite.add_property(*step_property(kind, step))
    xml.write(str(junit_xml))


def mark_flaky(junit_xml: Path, checks: Iterable[str]) -> None:
    """Leave `triage=flaky` on each named check of a JUnit file, for the nights after this one."""
    wanted = set(checks)
    if not wanted:
        return
    xml = JUnitXml.fromfile(str(junit_xml))
    for suite in [xml] if isinstance(xml, TestSuite) else list(xml):
        for case in suite:
            if check_name(case.classname or "", case.name or "") in wanted:
                props = case.child(Properties)
                if props is None:
                    props = Properties()
                    case.append(props)
                props.add_property(Property(TRIAGE_PROPERTY, "flaky"))
    xml.write(str(junit_xml))
