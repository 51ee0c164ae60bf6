"""Signed-in contexts from stored state, for checks that are not about signing in.

Per worker and per role, one throwaway user signs in through the real sign-in screen once,
in a context nothing records (a pool account's password is long-lived); its storage state
(cookies, local storage) is kept in a private folder (0700, file 0600) that is removed at
the end of the session, also after Ctrl-C, never in the repository.
Each later context starts from that state and asks the backend first: the moment the
backend says that session is gone (or is somebody else's), the state is thrown away and
the role signs in again. The users are removed at the end like every other throwaway user.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from authprobe.errors import FlowError
from authprobe.flows.session import sign_in
from authprobe.oob.mail import Inbox
from authprobe.oracle.session import BackendSession
from authprobe.plugin.provisioning import open_untraced
from authprobe.plugin.runtime import BASE_URL, JOURNAL, SIGNUP, USER_LEDGER
from authprobe.profile import TargetProfile
from authprobe.provisioning.channels import Provisioner
from authprobe.provisioning.pool import AccountPool
from authprobe.provisioning.users import ThrowawayUser, ThrowawayUsers
from authprobe.security.artifacts import FILE_MODE, make_private_dir
from authprobe.settings import Settings
from authprobe.target.app import answers
from authprobe.testing import SignedInPage


@dataclass
class StoredSignIn:
    user: ThrowawayUser
    state: Path


class SignedInStates:
    """The stored sign-in of each role in this worker (see the module docstring)."""

    def __init__(self, folder: Path, users: ThrowawayUsers, profile: TargetProfile,
                 timeout_s: float, open_untraced: Callable[[], BrowserContext] | None = None) -> None:
        self.folder, self.users, self.profile, self.timeout_s = folder, users, profile, timeout_s
        self.open_untraced = open_untraced  # where the password is typed; else the check's own
        self.stored: dict[str, StoredSignIn] = {}
        self.sign_ins = 0  # through the screen; the rest came from stored state

    def page(self, role: str, new_context: Callable[..., BrowserContext]) -> tuple[Page, ThrowawayUser]:
        kept = self.stored.get(role)
        if kept is not None:
            # earned in this run through the sign-in screen, and confirmed with the backend below
            context = new_context(storage_state=kept.state)  # audit: allow - earned this run
            view = BackendSession(context.request, self.profile.session_probe, self.timeout_s).read()
            if view.authenticated and (view.email or "").casefold() == kept.user.email.casefold():
                return context.new_page(), kept.user
            context.close()  # the backend ended that session: never trust it again
            kept.state.unlink(missing_ok=True)
            del self.stored[role]
        user = kept.user if kept is not None else self.users.create(role=role, tag=f"state-{role}")
        context = (self.open_untraced or new_context)()
        try:
            page = context.new_page()
            result = sign_in(page, self.profile, user.email, user.password)
            if result.outcome != "signed_in":
                raise FlowError(f"setup: {role} user {user.email} could not sign in for stored state: "
                                f"{result.outcome} ({result.message}) at {result.url}")
            self.sign_ins += 1
            state = self.folder / f"{role}.json"
            context.storage_state(path=state)
            state.chmod(FILE_MODE)
            self.stored[role] = StoredSignIn(user, state)
            if self.open_untraced is None:
                return page, user
        finally:
            if self.open_untraced is not None:
                context.close()
        # the check's own (traced) context, from the state the untraced sign-in earned this run
        return new_context(storage_state=state).new_page(), user  # audit: allow - earned this run


@pytest.fixture(scope="session")
def authprobe_signed_in_states(
    request: pytest.FixtureRequest, authprobe_provisioner: Provisioner, authprobe_inbox: Inbox,
    authprobe_account_pool: AccountPool | None, authprobe_profile: TargetProfile,
    authprobe_settings: Settings, browser: Browser, browser_context_args: dict[str, Any],
) -> Iterator[SignedInStates]:
    config = request.config
    users = ThrowawayUsers(authprobe_provisioner, authprobe_inbox, config.stash[USER_LEDGER],
                           authprobe_account_pool, config.stash[SIGNUP].restore_password,
                           config.stash[JOURNAL])
    folder = make_private_dir(Path(tempfile.mkdtemp(prefix="authprobe-state-")))
    try:
        yield SignedInStates(folder, users, authprobe_profile, authprobe_settings.http_timeout,
                             lambda: open_untraced(browser, browser_context_args))
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # a finally: Ctrl-C passes here as well
        base_url = config.stash.get(BASE_URL, None)
        if base_url and not answers(base_url):
            users.abandon("the target stopped answering")
        else:
            users.remove_all()


@pytest.fixture
def authprobe_signed_in(authprobe_signed_in_states: SignedInStates,
                        new_context: Callable[..., BrowserContext]) -> SignedInPage:
    """Factory: a page of a user of `role`, signed in (from stored state where it still holds)."""

    def make(role: str) -> tuple[Page, ThrowawayUser]:
        return authprobe_signed_in_states.page(role, new_context)

    return make
