"""`authprobe init`: a commented profile skeleton and a `.env.example` in the user's folder.

The skeleton loads as it is (every value is a working default, each line says what to put
there); existing files are never overwritten.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from authprobe.cli.command import Subparsers, handled_by
from authprobe.errors import ConfigError

PROFILE = '''# authprobe target profile for {name}: what your app's user management looks like.
# Every section is explained in docs/onboarding.md. Check it with `authprobe doctor`, then
# `authprobe profile check` (walks each screen once), then `authprobe run --target {file}`.
name = "{name}"
description = "{name} on staging"

[paths]  # your app's URLs, relative to E2E_BASE_URL
signup = "/signup"
login = "/login"
account = "/account"               # a page only a signed-in user sees
reset_request = "/reset"           # "forgot password?"
mfa_setup = "/account/mfa"         # TOTP enrolment
# password_change = "/account/password"   # unset: no password-change checks
# recovery_codes = "/account/recovery-codes"
admin = "/admin"

[session_probe]  # the JSON endpoint that says who is signed in (JMESPath into its answer)
url = "/api/session"
authenticated = "authenticated"    # true/false; or remove it: 2xx = signed in, 401 = not
email = "user.email"
roles = "user.roles"
mfa_pending = "mfa_pending"
cookie_name = "session"            # the session cookie's name

[mail]  # subjects (substring) and link patterns (regular expressions) of your mails
activation_subject = "Activate your account"
activation_link = 'https?://[^\\s"<>]+/activate\\?token=[\\w\\-.]+'
reset_subject = "Reset your password"
reset_link = 'https?://[^\\s"<>]+/reset/confirm\\?token=[\\w\\-.]+'

[policy]  # what your app promises; each check compares the app with these
email_verification_required = true
mfa = "optional"                   # off | optional | required
totp_period = 30
totp_digits = 6
totp_skew_steps = 1
# recovery_codes = 10              # how many enrolment gives; unset: not checked
reset_token_ttl_seconds = 900
reset_ends_other_sessions = true
# idle_ttl_seconds = 1800          # needs [hooks] backdate_sessions to be checked
# absolute_ttl_seconds = 28800
concurrent_sessions = "allowed"    # allowed | single
logout_scope = "device"            # device | all
enumeration_safe = true            # same answer for unknown and known emails
# key_rotation_grace_seconds = 300 # with [hooks] rotate_keys / retire_keys: how long a retired
# key_rotation_sessions = "kept"   #   signing key is honoured; kept | ended
# key_rotation_links = "honoured"  #   honoured | refused (reset and activation links)

[roles]
names = ["member"]
default = "member"
resources = [
  # {{ path = "/admin", kind = "page", allowed = ["admin"], nav_link = "Admin" }},
  # {{ path = "/api/admin/users", kind = "api", allowed = ["admin"] }},
]

[provision]  # how throwaway users are made: your own sign-up and activation mail by default
create = ["signup"]
# faster, and needed for roles: an admin API (E2E_ADMIN_TOKEN), an admin screen
# (E2E_ADMIN_EMAIL/PASSWORD) or a command; see docs/onboarding.md, "Throwaway users".
# [admin_api]
# token_header = "Authorization"
# token_prefix = "Bearer "
# create_user: a POST whose JSON body maps {{email}}, the run's generated password and {{role}};
#   copy its shape from [admin_api] in targets/flask_security.toml (docs/onboarding.md)
# delete_user = {{ method = "DELETE", path = "/api/admin/users/{{email}}", ok_status = [204, 404] }}
# set_role = {{ method = "PUT", path = "/api/admin/users/{{email}}/role", json = {{ role = "{{role}}" }} }}

# Test-only endpoints of your app's test mode, locked with E2E_HOOK_TOKEN; docs/onboarding.md
# has each hook's contract (backdate_sessions, backdate_tokens, rotate_keys, retire_keys).
# [hooks]
# token_header = "X-Test-Hook-Token"
# [hooks.rotate_keys]
# method = "POST"
# path = "/__test__/keys/rotate"
# json = {{ grace_seconds = "{{grace_seconds}}" }}
# [hooks.retire_keys]
# method = "POST"
# path = "/__test__/keys/retire"

# What your app does by text message (docs/onboarding.md, "[sms] and phones"); the gateway
# account comes from E2E_SMS_ACCOUNT_SID and E2E_SMS_AUTH_TOKEN.
# [sms]
# activation = true     # sign-up with a mobile number activates by a texted code
# mfa = true            # text codes as a second factor (set paths.sms_setup)
# code_ttl_seconds = 300
# codes_per_window = 3  # the first code and the resends, per code_window_seconds

# Your wording, where the defaults (labels like "Email", buttons like "Sign in") differ:
# [locators.login]
# email_field = {{ label = "Email address" }}
# submit_button = {{ role = "button", name = "Log in" }}
'''

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
    profile.write_text(PROFILE.format(name=name, file=profile.name), encoding="utf-8")
    env.write_text(ENV_EXAMPLE.format(file=profile.name), encoding="utf-8")
    print(f"authprobe init: wrote {profile} (the profile: fill in your app's paths, session "
          f"endpoint, mails and policy) and {env} (copy it to .env and fill it in).")
    print(f"next: `authprobe doctor`, then `authprobe run --target {profile.name}`.")
    return 0
