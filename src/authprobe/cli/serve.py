"""`authprobe serve NAME`: a built-in target by profile name (its profile's `[launch]` module)
in the foreground; its JSON ready line passes through, and so do the arguments after NAME."""

from __future__ import annotations

import argparse
import sys

from authprobe.cli.command import Subparsers, handled_by
from authprobe.errors import ConfigError


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("serve", help="start a built-in target by profile name, e.g. "
                            "flask-security (extra arguments go to it)")
    parser.add_argument("target", help="profile name in targets/ (dashes or underscores)")
    handled_by(parser, run, passes_extra=True)


def run(args: argparse.Namespace, extra: list[str]) -> int:
    from authprobe.profile import load_profile
    from authprobe.target.child import run_in_foreground

    profile = load_profile(args.target.replace("-", "_"))
    if profile.launch is None:
        raise ConfigError(f"Target {profile.name} has no [launch] section, so it cannot be served "
                          "from here; start the app yourself and set E2E_BASE_URL.")
    # stop signals are passed on; the target never outlives this process, nor its temp files
    return run_in_foreground([sys.executable, "-m", profile.launch.module, *extra])
