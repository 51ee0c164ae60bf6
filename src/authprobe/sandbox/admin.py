"""`python -m authprobe.sandbox.admin`: user provisioning from the command line, the sandbox's `manage.py`.

It works on the sandbox's SQLite file directly (`--db PATH` or env SANDBOX_DB), also while
the server runs (WAL; each command is one short transaction). A new user's password comes
only from env SANDBOX_NEW_PASSWORD, never argv, and is never printed.

Exit codes: 0 done, 2 bad usage (also a missing database or password), 3 no such user,
4 user exists.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import NoReturn

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from authprobe.errors import SandboxUsageError
from authprobe.sandbox.accounts import (
    MIN_PASSWORD,
    find_user,
    normalize_email,
    record_deactivation,
    valid_email,
)
from authprobe.sandbox.config import HashProfile
from authprobe.sandbox.db import ROLES, ServerSession, User, make_engine, make_sessionmaker
from authprobe.sandbox.security import password_hasher

OK, USAGE, NO_SUCH_USER, USER_EXISTS = 0, 2, 3, 4
PASSWORD_ENV = "SANDBOX_NEW_PASSWORD"


class _Parser(argparse.ArgumentParser):
    """argparse that never echoes unrecognized arguments: they may be a misplaced password."""

    def error(self, message: str) -> NoReturn:
        if message.startswith("unrecognized arguments"):
            message = (f"unexpected extra arguments (not shown); a password is read only from "
                       f"env {PASSWORD_ENV}")
        super().error(message)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    db_help = "the sandbox's SQLite file (default: env SANDBOX_DB)"
    common = _Parser(add_help=False)
    common.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS, help=db_help)
    parser = _Parser(prog="python -m authprobe.sandbox.admin", description=__doc__,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", metavar="PATH", default=None, help=db_help)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    create = sub.add_parser("create", parents=[common],
                            help=f"create a user; the password comes from env {PASSWORD_ENV}")
    create.add_argument("email")
    create.add_argument("--role", choices=ROLES, default="member")
    create.add_argument("--inactive", action="store_true",
                        help="as if the email were not verified yet (cannot sign in)")
    set_role = sub.add_parser("set-role", parents=[common], help="change a user's role")
    set_role.add_argument("email")
    set_role.add_argument("role", choices=ROLES)
    for name, text in (("deactivate", "make a user inactive and end their sessions"),
                       ("delete", "delete a user with their sessions, tokens and codes")):
        sub.add_parser(name, parents=[common], help=text).add_argument("email")
    sub.add_parser("list", parents=[common], help="one JSON object per user and line")
    return parser.parse_args(argv)


def database(path: str | None) -> str:
    """The existing database file named by --db or SANDBOX_DB."""
    path = path or os.environ.get("SANDBOX_DB")
    if not path:
        raise SandboxUsageError("No database: pass --db PATH or set SANDBOX_DB to the sandbox's "
                                "SQLite file (the ready line's command_env names it).")
    if not os.path.isfile(path):
        raise SandboxUsageError(f"No database file at {path}; use the SANDBOX_DB that the sandbox's "
                                "ready line names in command_env.")
    return path


def hash_profile() -> HashProfile:
    return "fast" if os.environ.get("SANDBOX_HASH_PROFILE") == "fast" else "default"


def new_password() -> str:
    password = os.environ.get(PASSWORD_ENV)
    if not password:
        raise SandboxUsageError(f"Set {PASSWORD_ENV} to the new user's password; it is never read "
                                "from the command line.")
    if len(password) < MIN_PASSWORD:
        raise SandboxUsageError(f"{PASSWORD_ENV} must be at least {MIN_PASSWORD} characters.")
    return password


def create(db: Session, args: argparse.Namespace) -> int:
    email = normalize_email(args.email)
    if not valid_email(email):
        raise SandboxUsageError(f"Not a valid email address: {email}.")
    password = new_password()
    if find_user(db, email) is not None:
        print(f"User {email} already exists.", file=sys.stderr)
        return USER_EXISTS
    password_hash = password_hasher(hash_profile()).hash(password)
    db.add(User(email=email, password_hash=password_hash, role=args.role,
                active=not args.inactive, created_at=time.time()))
    print(f"User {email} created.")
    return OK


def _with_user(action: Callable[[Session, User, argparse.Namespace], str]
               ) -> Callable[[Session, argparse.Namespace], int]:
    """A subcommand on one existing user: exit 3 if there is none, else print what was done."""

    def run(db: Session, args: argparse.Namespace) -> int:
        user = find_user(db, args.email)
        if user is None:
            print(f"No such user: {normalize_email(args.email)}.", file=sys.stderr)
            return NO_SUCH_USER
        print(action(db, user, args))
        return OK

    return run


def end_sessions(db: Session, user: User) -> None:
    db.execute(delete(ServerSession).where(ServerSession.user_id == user.id))


def _set_role(db: Session, user: User, args: argparse.Namespace) -> str:
    user.role = args.role
    return f"User {user.email} now has role {user.role}."


def _deactivate(db: Session, user: User, args: argparse.Namespace) -> str:
    user.active = False
    record_deactivation(db, user)  # "deactivated", not "never activated" (signin_refused_screen)
    end_sessions(db, user)
    return f"User {user.email} deactivated."


def _delete(db: Session, user: User, args: argparse.Namespace) -> str:
    end_sessions(db, user)
    db.delete(user)  # tokens and recovery codes go with it (foreign keys cascade)
    return f"User {user.email} deleted."


def list_users(db: Session, args: argparse.Namespace) -> int:
    for user in db.scalars(select(User).order_by(User.email)):
        print(json.dumps({"email": user.email, "role": user.role, "active": user.active,
                          "mfa": user.mfa_enabled}))
    return OK


COMMANDS: dict[str, Callable[[Session, argparse.Namespace], int]] = {
    "create": create,
    "set-role": _with_user(_set_role),
    "deactivate": _with_user(_deactivate),
    "delete": _with_user(_delete),
    "list": list_users,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        engine = make_engine(database(args.db))
        try:
            with make_sessionmaker(engine)() as db, db.begin():
                return COMMANDS[args.command](db, args)
        finally:
            engine.dispose()
    except SandboxUsageError as exc:
        print(exc, file=sys.stderr)
        return USAGE


if __name__ == "__main__":
    sys.exit(main())
