"""Guessing second-factor codes against `[lockout] second_factor` (authenticator codes in
e2e/test_lockout.py, texted codes in e2e/test_sms.py): the wrong codes, the right code at once
after the last of them and, for a backoff, the right code again once its delay has passed. Each
try is a journey step (the backend is asked after each); the checks judge the answers.

A backoff refuses every code sent during its delay without counting it, so the wrong codes are
paced by the stated delays (`CodeGuesses.pauses`): sent faster, most would not count and the
right code would rightly be taken. Those pauses and the final one are waits on the clock: the
delay is the app's own state, which nothing outside it shows (a try to probe it is a guess too).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from authprobe.flows.session import SignIn
from authprobe.oracle.journey import Journey
from authprobe.oracle.session import Expected
from authprobe.profile import CodeGuesses

MARGIN_S = 0.5  # past each delay's end: the app's clock and ours start at slightly different moments


@dataclass(frozen=True)
class Guessing:
    """The answers: each wrong code's, the right code's at once, and a backoff's right code's
    after the delay (None for a lock, or when a wrong code was not refused)."""

    wrong: tuple[SignIn, ...]
    at_once: SignIn | None
    after_delay: SignIn | None


def guess_codes(trip: Journey, limit: CodeGuesses, submit: Callable[[str], SignIn],
                wrong_codes: Sequence[str], right_code: Callable[[], str]) -> Guessing:
    """`limit.attempts` of `wrong_codes`, then `right_code()` (called once: the same code is
    tried again after a backoff's delay, since a refused try did not use it)."""
    pauses = limit.pauses()
    wrong: list[SignIn] = []
    for number, code in enumerate(wrong_codes[: limit.attempts], start=1):
        with trip.step(f"wrong code {number} of {limit.attempts}", Expected(authenticated=False)):
            wrong.append(submit(code))
        if wrong[-1].outcome != "refused":
            return Guessing(tuple(wrong), None, None)
        if number <= len(pauses):
            time.sleep(pauses[number - 1] + MARGIN_S)
    right = right_code()
    with trip.step("the right code once the limit is spent"):  # UI and backend agree; judged after
        at_once = submit(right)
    if limit.kind != "backoff" or at_once.outcome != "refused":
        return Guessing(tuple(wrong), at_once, None)
    time.sleep(limit.refusal_seconds() + MARGIN_S)
    with trip.step("the right code once the delay has passed"):  # UI and backend agree; the check judges
        after = submit(right)
    return Guessing(tuple(wrong), at_once, after)


def finding(guessing: Guessing, limit: CodeGuesses, what: str) -> str | None:
    """What the answers show against the promise, in one sentence (`what`: "second-factor code",
    "texted code"), or None when they keep it; the checks assert on it."""
    for number, answer in enumerate(guessing.wrong, start=1):
        if answer.outcome != "refused":
            return f"wrong {what} {number} of {limit.attempts} ended in '{answer.outcome}'"
    if guessing.at_once is not None and guessing.at_once.outcome == "signed_in":
        if limit.kind == "backoff":
            return (f"no backoff on {what} guesses: right after {limit.attempts} wrong ones (paced by "
                    f"the stated delays) the right one signed in, where a delay of "
                    f"{limit.refusal_seconds():g} s must refuse every code")
        return f"no limit on {what} guesses: after {limit.attempts} wrong ones the right one signed in"
    if guessing.after_delay is not None and guessing.after_delay.outcome != "signed_in":
        return (f"the backoff never ended: {limit.refusal_seconds():g} s after the last wrong {what} "
                f"the right one was still refused ('{guessing.after_delay.outcome}': "
                f"{guessing.after_delay.message!r}); a backoff slows guessing, it must not lock "
                "the owner out")
    return None
