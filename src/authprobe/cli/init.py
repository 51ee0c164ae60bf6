"""`authprobe init`: a commented profile skeleton and a `.env.example` in the user's folder.

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

ENV_EXAMPLE = '''# authprobe settings: copy to .env (kept out of git); in CI, secrets come from its store
E2E_TARGET={file}
E2E_BASE_URL=https://staging.example.com
# the test mailbox: plus-addresses of E2E_MAIL_ADDRESS must arrive in it
E2E_IMAP_HOST=imap.example.com
E2E_IMAP_PORT=993
E2E_IMAP_SSL=true
E2E_IMAP_USER=qa@example.com
E2E_IMAP_PASSWORD=
E2E_MAIL_ADDRESS=qa@example.com
# only if the profile has [admin_api] / [admin_screen] / [hooks]
E2E_ADMIN_TOKEN=
E2E_ADMIN_EMAIL=
E2E_ADMIN_PASSWORD=
E2E_HOOK_TOKEN=
# only if the profile has [sms]: the gateway account whose message list the test phone reads
E2E_SMS_ACCOUNT_SID=
E2E_SMS_AUTH_TOKEN=
'''


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("init", help="write a commented profile skeleton and a .env.example "
                            "here (never overwrites)")
    parser.add_argument("--name", default="myapp", help="profile name (the file is NAME.toml)")
    handled_by(parser, run)


def run(args: argparse.Namespace, extra: list[str]) -> int:
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
