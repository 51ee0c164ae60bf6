"""`authprobe merge SHARD…`: the shards of a night split over several machines (pytest-split)
as one JUnit, one HTML report and one artifacts folder (authprobe.shards does the work)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from authprobe.cli.command import Subparsers, handled_by

EXAMPLES = """\
examples:
  authprobe merge shards/*                    each shard's folder holds its reports/ and test-results/
  authprobe merge shard-1 shard-2 --out .     then: authprobe scan reports test-results
  authprobe merge --expect 4 shards/*         a shard that sent nothing is a failure of the report
"""


def register(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "merge", help="merge the results of a run's shards into one JUnit, one HTML report and one "
        "artifacts folder", epilog=EXAMPLES,
        description="Merge the results of a run split over machines (authprobe run --splits N --group I, "
        "pytest-split) into one morning report: OUT/reports/junit.xml, OUT/reports/report.html and "
        "OUT/test-results/. Each shard's folder holds what its run wrote there (reports/junit.xml, "
        "reports/report.html with --self-contained-html, test-results/). A check found in two shards "
        "is refused: two machines ran the same group. Scan the merged folders before publishing them.")
    parser.add_argument("shards", nargs="+", type=Path, help="each shard's folder")
    parser.add_argument("--out", type=Path, default=Path("."),
                        help="the folder reports/ and test-results/ are written in")
    parser.add_argument("--state-dir", type=Path, default=None,
                        help="where each shard's run journals are, relative to its folder, and where "
                        "they go in OUT for one `authprobe sweep` (default: E2E_STATE_DIR, else .authprobe)")
    parser.add_argument("--expect", type=int, default=None, metavar="N",
                        help="the number of shards the night ran: fewer folders still merge, with a "
                        "failed case in the JUnit and a line in the report saying checks are missing, "
                        "and exit 1 (default: merge whatever is given)")
    handled_by(parser, run)


def run(args: argparse.Namespace, extra: list[str]) -> int:
    from authprobe.shards import merge_shards

    if args.expect is not None and args.expect < 1:
        print("authprobe: --expect must be at least 1: the number of shards the night ran.",
              file=sys.stderr)
        return 2
    state_dir = args.state_dir or Path(os.environ.get("E2E_STATE_DIR") or ".authprobe")
    merged = merge_shards(list(args.shards), args.out, state_dir, args.expect)
    written = [str(path) for path in (merged.junit, merged.report, merged.artifacts) if path is not None]
    print(f"authprobe merge: {merged.checks} checks from {merged.shards} shards, each once: "
          f"{', '.join(written)}" + (f"; {merged.journals} run journal(s) with users left, for one "
                                     "authprobe sweep" if merged.journals else ""))
    if merged.missing:
        print(f"authprobe merge: {merged.missing_sentence}", file=sys.stderr)
        return 1
    return 0
