"""`authprobe serve NAME`: a built-in target by profile name (its profile's `[launch]` module)
in the foreground, announced for a person (where it runs, the mailbox login, where each token
is, how to stop it) or, with `--json`, as its JSON ready line for a program; the arguments
after NAME go to the target."""

from __future__ import annotations

import argparse
import json
import sys

from authprobe.cli.command import Subparsers, handled_by
from authprobe.errors import ConfigError

EXAMPLES = """\
examples:
  authprobe serve flask-security --test-mode          with its test hooks (key rotation)
  authprobe serve django-two-factor --port 0          on a free port
  authprobe serve flask-security --json               the JSON ready line, for a program
"""


def register(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "serve", help="start a built-in target by profile name, e.g. flask-security (extra arguments "
        "go to it)", epilog=EXAMPLES,
        description="Start a built-in target (a profile in targets/ with a [launch] section) in the "
        "foreground and say how to point the suite at it. Ctrl-C stops it. Arguments after NAME "
        "that serve does not know go to the target (--port, --smtp-port, --imap-port, --db…).")
    parser.add_argument("target", metavar="NAME", help="profile name in targets/ (dashes or underscores)")
    parser.add_argument("--test-mode", action="store_true",
                        help="start it with its test hooks (the checks that need E2E_HOOK_TOKEN run)")
    parser.add_argument("--json", action="store_true",
                        help="print the target's JSON ready line as it is instead of the banner")
    handled_by(parser, run, passes_extra=True)


def run(args: argparse.Namespace, extra: list[str]) -> int:
    from authprobe.cli.sandbox import ready_banner
    from authprobe.profile import load_profile
    from authprobe.target.child import run_in_foreground

    profile = load_profile(args.target.replace("-", "_"))
    if profile.launch is None:
        raise ConfigError(f"Target {profile.name} has no [launch] section, so it cannot be served "
                          "from here; start the app yourself and set E2E_BASE_URL.")
    has_admin_api, has_hooks = profile.admin_api is not None, bool(profile.hooks.all())

    def show(line: str) -> None:
        try:
            ready = json.loads(line)
        except json.JSONDecodeError:
            ready = None
        if args.json or not isinstance(ready, dict):
            print(line, end="", flush=True)
            return
        print(ready_banner(ready, profile.name, admin_api=has_admin_api, hooks=has_hooks,
                           target=profile.name), flush=True)

    own = [*(["--test-mode"] if args.test_mode and "--test-mode" not in extra else []), *extra]
    # stop signals are passed on; the target never outlives this process, nor its temp files
    return run_in_foreground([sys.executable, "-m", profile.launch.module, *own], on_line=show)
