"""django-axes on the Django target, over HTTP: wrong passwords lock the account (in any spelling
of its address, from any client address) with one page alike for unknown addresses, a right
password forgets earlier wrong ones, and a reset by mail ends the lock, as
targets/django_two_factor.toml [lockout] states. The browser checks (e2e/test_lockout.py) say
the same through the profile; these pin the settings that make it true.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from authprobe.sandbox.django_two_factor.settings import LOCKOUT_FAILURES
from tests.test_django_stack import (
    ADMIN_PASSWORD,
    HOOK_TOKEN,
    _active_user,
    _email,
    _path,
    _post,
    _sign_in,
    _start,
    _stopped,
    _wait_mail,
)
from tests.test_sandbox import Client, Resp
from tests.test_sandbox_provisioning import Running

pytestmark = pytest.mark.lockout
LOCKED = "Too many failed sign-in attempts"


@pytest.fixture(scope="module")
def stack() -> Iterator[Running]:
    running = _start(SANDBOX_ADMIN_PASSWORD=ADMIN_PASSWORD, SANDBOX_HOOK_TOKEN=HOOK_TOKEN)
    yield running
    _stopped(running)


def _from(running: Running, number: int) -> Client:
    """A fresh cookie jar on a client address of its own (127.0.1.N)."""
    return Client(running.port, source=f"127.0.1.{number}")


def _alert(resp: Resp) -> str:
    found = re.search(r'<div role="alert">(.*?)</div>', resp.text, re.S)
    return found.group(1).strip() if found else ""


def _guess_wrong(running: Running, email: str) -> list[Resp]:
    """LOCKOUT_FAILURES wrong passwords, each from another address, in alternating case."""
    return [_sign_in(_from(running, number), email.upper() if number % 2 else email, "wrong horse")
            for number in range(1, LOCKOUT_FAILURES + 1)]


def test_wrong_passwords_in_any_case_from_any_address_lock_the_account_alike_for_strangers(
        stack: Running) -> None:
    _, email = _active_user(stack, "locked")
    _, other = _active_user(stack, "bystander")
    answers = _guess_wrong(stack, email)
    assert [resp.status for resp in answers] == [200] * (LOCKOUT_FAILURES - 1) + [429], (
        "the lockout did not fall on the last allowed wrong password")
    right = _sign_in(_from(stack, 50), email)
    assert right.status == 429 and LOCKED in _alert(right), (
        f"a locked account signed in with its right password (status {right.status})")
    assert _sign_in(_from(stack, 51), other).status == 302, "the lockout spread to another account"
    stranger = _guess_wrong(stack, _email("nobody"))[-1]
    assert (stranger.status, _alert(stranger)) == (429, _alert(right)), (
        "the lockout page tells an address with no account from a locked one")


def test_a_right_password_forgets_the_wrong_ones_and_a_reset_by_mail_ends_the_lock(
        stack: Running) -> None:
    _, email = _active_user(stack, "typos")
    for _ in range(2):
        for _ in range(LOCKOUT_FAILURES - 1):
            assert _sign_in(Client(stack.port), email, "wrong horse").status == 200
        assert _sign_in(Client(stack.port), email).status == 302, (
            "typos with a right password between them added up to a lockout")
    assert _guess_wrong(stack, email)[-1].status == 429
    owner = Client(stack.port)
    assert _post(owner, "/account/password_reset/", email=email).status == 302
    link = re.search(r"http://127\.0\.0\.1:\d+(/account/reset/\w+/[\w-]+/)", _wait_mail(stack, email).text)
    assert link, "no reset link in the mail"
    form = owner.get(link.group(1))
    assert form.status == 302, f"the reset link did not open the form (status {form.status})"
    fresh = "a fresh horse battery"
    done = _post(owner, _path(form.location), new_password1=fresh, new_password2=fresh)
    assert done.status == 302 and done.location == "/account/reset/done/"
    assert _sign_in(Client(stack.port), email, fresh).status == 302, (
        "the account stayed locked after a password reset by mail")
