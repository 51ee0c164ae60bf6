"""`authprobe compare OLD NEW`: tonight's JUnit against earlier nights' (authprobe/compare.py):
new failures, fixed, still failing, flipping, step times against budgets."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from authprobe.cli.command import Subparsers, handled_by

EXAMPLES = """\
examples:
  authprobe compare last-night/junit.xml reports/junit.xml
  authprobe compare history/ reports/junit.xml --markdown - >> "$GITHUB_STEP_SUMMARY"
  authprobe run --compare-with history/ --junitxml reports/junit.xml --html reports/report.html
"""


def register(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "compare", help="tonight's run against earlier ones: new failures, fixed, still failing, "
        "flipping, step times against budgets", epilog=EXAMPLES,
        description="Compare a run's JUnit XML with an earlier run's, or with a folder of earlier "
        "runs' (the history: a check whose outcome alternates there, or that `authprobe triage` "
        "marked flaky, is flipping). Step times (which the plugin keeps in the JUnit) count as a "
        "change only when they cross their budget. Exit 0 whatever the runs' verdicts.")
    parser.add_argument("old", type=Path, help="an earlier run's JUnit XML, or a folder of them")
    parser.add_argument("new", type=Path, help="this run's JUnit XML (pytest --junitxml)")
    parser.add_argument("--markdown", metavar="PATH",
                        help="also write the comparison as Markdown (for a CI summary); - for stdout")
    parser.add_argument("--if-exists", action="store_true",
                        help="say so and exit 0 when OLD does not exist (the first night has no history)")
    handled_by(parser, run)


def run(args: argparse.Namespace, extra: list[str]) -> int:
    from authprobe.compare import as_markdown, as_text, compare, read_history, read_run

    if args.if_exists and not args.old.exists():
        print(f"authprobe compare: no earlier run at {args.old} yet; nothing to compare with.",
              file=sys.stderr)
        return 0
    result = compare(read_history(args.old), read_run(args.new))
    markdown_to_stdout = args.markdown == "-"
    for line in as_text(result):
        print(line, file=sys.stderr if markdown_to_stdout else sys.stdout)
    if markdown_to_stdout:
        print(as_markdown(result))
    elif args.markdown:
        Path(args.markdown).write_text(as_markdown(result) + "\n", encoding="utf-8")
    return 0
