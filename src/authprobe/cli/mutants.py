"""`authprobe mutants`: the mutation self-test, the suite against each seeded defect of the
sandbox (authprobe.selftest.mutants does the work)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from authprobe.cli.command import Subparsers, handled_by

EXAMPLES = """\
examples:
  authprobe mutants                                  every defect, the whole suite (minutes)
  authprobe mutants --only client_only_logout        one defect; the clean run only for its catcher
  authprobe mutants --target targets/shapes/realtime.toml --only idle_timeout_not_enforced \\
      --jobs 4 -- -m expiry --realtime-max 2m        the real-time lane's matrix
  pytest e2e/ --browser chromium -n 2 --junitxml clean.xml && \\
      authprobe mutants --clean-junit clean.xml      after a clean run (as CI does): not again
"""


def register(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "mutants", help="prove the suite catches each seeded defect",
        description="Run the e2e suite once against a clean sandbox (it must pass), then once per "
        "seeded defect against a fresh sandbox started with it: a defect counts as caught only "
        "when a check of that real run fails. Arguments after -- go to every pytest run.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--list", action="store_true", help="print the defect catalogue and stop")
    parser.add_argument("--only", action="append", metavar="DEFECT",
                        help="run only this defect (repeatable); the clean run then runs only the "
                        "checks remembered as catching the chosen defects (bench/mutants-order.json)")
    parser.add_argument("--json", action="store_true", help="machine-readable result")
    parser.add_argument("--jobs", type=int, default=2,
                        help="defect runs at once, each with its own sandbox and browser; the clean "
                        "run uses as many pytest-xdist workers (default: 2)")
    parser.add_argument("--target", default="sandbox", metavar="PROFILE",
                        help="a profile of the built-in sandbox or of one of its shapes, e.g. "
                        "targets/shapes/realtime.toml (default: sandbox)")
    parser.add_argument("--clean-junit", type=Path, metavar="FILE",
                        help="the clean run's verdicts from this JUnit XML (the e2e suite just run "
                        "against the clean sandbox with the same profile and arguments) instead "
                        "of running it again; its checks then need no confirmation")
    handled_by(parser, run, passes_extra=True)


def run(args: argparse.Namespace, extra: list[str]) -> int:
    from authprobe.selftest.mutants import Plan, mutants_command

    target = args.target
    if target != "sandbox":
        path = Path(target)
        if not path.is_file():
            print(f"authprobe: --target {target} is not a profile file; give the path of a sandbox "
                  "profile such as targets/shapes/realtime.toml.", file=sys.stderr)
            return 2
        target = str(path.resolve())
    if args.clean_junit is not None and not args.clean_junit.is_file():
        print(f"authprobe: --clean-junit {args.clean_junit} does not exist; give the --junitxml "
              "file of the e2e suite's run against the clean sandbox, or leave the option out.",
              file=sys.stderr)
        return 2
    plan = Plan(target, tuple(arg for arg in extra if arg != "--"))
    return mutants_command(list_only=args.list, only=args.only, as_json=args.json, jobs=args.jobs,
                           plan=plan, clean_junit=args.clean_junit)
