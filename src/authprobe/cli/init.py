"""`authprobe init`: a commented profile skeleton and a `.env.example` in the user's folder.

The `.env.example` has a line for each setting a team must fill and the optional ones
commented out, so that copying it unchanged sets nothing that is not meant (an empty
value is "not set" as well: authprobe/settings.py).

The skeleton is generated from the profile model (authprobe/profile/skeleton.py): every key
with its default and what it changes, and a `#:schema` first line so editors complete and
check it. It loads as it is; existing files are never overwritten.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from authprobe.cli.command import Subparsers, handled_by
from authprobe.errors import ConfigError

ENV_EXAMPLE = '''# authprobe settings: copy to .env (kept out of git); in CI, secrets come from its store.
# Fill in every uncommented line. An empty value counts as not set: a check that needs it
# says so (`authprobe doctor` lists them all). Commented lines are optional.
E2E_TARGET={file}
# the origin of the app under test, e.g. https://staging.example.com
E2E_BASE_URL=
# the test mailbox: plus-addresses of E2E_MAIL_ADDRESS must arrive in it
E2E_IMAP_HOST=
E2E_IMAP_USER=
E2E_IMAP_PASSWORD=
E2E_MAIL_ADDRESS=
# E2E_IMAP_PORT=993
# E2E_IMAP_SSL=true
# only if the profile has [admin_api] / [admin_screen] / [hooks]:
# E2E_ADMIN_TOKEN=
# E2E_ADMIN_EMAIL=
# E2E_ADMIN_PASSWORD=
# E2E_HOOK_TOKEN=
# only if the profile has [sms]: the gateway account whose message list the test phone reads
# E2E_SMS_ACCOUNT_SID=
# E2E_SMS_AUTH_TOKEN=
'''
EXAMPLES = """\
examples:
  authprobe init --name shop                          shop.toml and .env.example here
  cp .env.example .env && authprobe doctor            then fill .env and check it
"""


def register(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "init", help="write a commented profile skeleton and a .env.example here (never overwrites)",
        epilog=EXAMPLES,
        description="Write NAME.toml (a profile skeleton: every key commented with its default and "
        "what it changes) and .env.example (the settings to fill; optional ones commented out) into "
        "this folder. Existing files are never overwritten.")
    parser.add_argument("--name", default="myapp", help="profile name (the file is NAME.toml)")
    parser.add_argument("--ci", choices=("github", "gitlab"), help="write only a nightly workflow for "
                        "this repository instead (.github/workflows/ or .gitlab/; NAME.toml as E2E_TARGET)")
    handled_by(parser, run)


def run(args: argparse.Namespace, extra: list[str]) -> int:
    if args.ci:
        from authprobe.cli.init_ci import init_ci_command

        return init_ci_command(args.ci, Path.cwd(), args.name)
    return init_command(args.name, Path.cwd())


def init_command(name: str, folder: Path) -> int:
    if not re.fullmatch(r"[A-Za-z0-9_\-]+", name):
        raise ConfigError(f"--name {name!r} must be letters, digits, '-' or '_' (it names the file).")
    profile, env = folder / f"{name}.toml", folder / ".env.example"
    existing = [str(path) for path in (profile, env) if path.exists()]
    if existing:
        raise ConfigError(f"{' and '.join(existing)} already exist(s); authprobe init never "
                          "overwrites: move it away or choose another --name.")
    from authprobe.profile.schema import schema_path
    from authprobe.profile.skeleton import skeleton

    profile.write_text(skeleton(name, profile.name, schema_path().as_uri()), encoding="utf-8")
    env.write_text(ENV_EXAMPLE.format(file=profile.name), encoding="utf-8")
    print(f"authprobe init: wrote {profile} (the profile: fill in your app's paths, session "
          f"endpoint, mails and policy) and {env} (copy it to .env and fill it in).")
    print(f"next: `authprobe doctor`, then `authprobe run --target {profile.name}`.")
    return 0
