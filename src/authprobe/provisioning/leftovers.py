"""Users a run cannot remove, said before it makes them: `doctor` and the start of a run.

An app with no admin API, no admin screen recipe, no command and no self-service delete
keeps every user a run makes. That is said up front, in one sentence, with an estimate (the
checks that make users), so nobody learns it from the end-of-run summary. The users still
carry the run's stamp in their address, so `authprobe sweep` with any channel finds them later.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

from authprobe.profile import Operation, TargetProfile
from authprobe.settings import Settings

# The fixtures that make throwaway users (a check asking for one makes at least one).
USER_FIXTURES = frozenset({"authprobe_users", "authprobe_mfa_user"})
ADD_A_CHANNEL = ("[admin_api] with E2E_ADMIN_TOKEN, [admin_screen] delete_user, [commands] "
                 "delete_user, or [self_service] delete_account (users deleting themselves)")


def removal_channels(profile: TargetProfile, unusable: Iterable[str] = ()) -> list[str]:
    """The channels that can delete or deactivate a user in this run (`unusable`: described
    but missing a setting, such as [admin_api] without E2E_ADMIN_TOKEN)."""
    skip = set(unusable)
    operations: tuple[Operation, ...] = ("delete", "deactivate")
    return [channel for operation in operations
            for channel in profile.channels(operation) if channel not in skip]


def unusable_channels(profile: TargetProfile, settings: Settings) -> list[str]:
    """The channels the profile describes that this run's settings leave out or cannot use."""
    unusable = [] if not settings.provision else [
        c for c in ("admin_api", "admin_screen", "command", "signup") if c not in settings.provision]
    if profile.admin_api is not None and settings.admin_token is None:
        unusable.append("admin_api")
    if profile.admin_screen is not None and (settings.admin_email is None
                                             or settings.admin_password is None):
        unusable.append("admin_screen")
    return unusable


def cannot_remove(profile: TargetProfile, estimate: int, unusable: Iterable[str] = ()) -> str | None:
    """One sentence when no channel can remove users, with how many a run leaves; else None."""
    if removal_channels(profile, unusable):
        return None
    return (f"no channel can remove users of {profile.name}: a run will leave about {estimate} "
            f"throwaway user(s) on it (one or more per check that makes users); add {ADD_A_CHANNEL}, "
            "then `authprobe sweep` finds them by the run's stamp in their addresses")


def checks_making_users(suite: Path, pattern: str = "test_*.py") -> int:
    """How many checks of a suite folder ask for a user-making fixture (read, not imported)."""
    count = 0
    for module in sorted(suite.rglob(pattern)):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        count += sum(1 for node in ast.walk(tree)
                     if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
                     and USER_FIXTURES & {arg.arg for arg in node.args.args})
    return count
