"""authprobe.oob.otp never reuses a timecode; it uses the skew window instead of waiting."""

from __future__ import annotations

import secrets

import pyotp
from pydantic import SecretStr

from authprobe.oob.otp import Totp


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def fresh_secret() -> SecretStr:
    return SecretStr(pyotp.random_base32())


def test_second_code_in_the_same_window_uses_the_next_window_when_skew_allows() -> None:
    secret, clock = fresh_secret(), FakeClock(1_000_000 * 30 + 5)
    totp = Totp(secret, skew_steps=1, clock=clock)
    first, second = totp.next_code(), totp.next_code()
    reference = pyotp.TOTP(secret.get_secret_value())
    assert first == reference.generate_otp(1_000_000)
    assert second == reference.generate_otp(1_000_001)
    assert first != second or first == second == reference.generate_otp(1_000_001)


def test_ledger_is_shared_between_instances_of_one_secret() -> None:
    secret, clock = fresh_secret(), FakeClock(2_000_000 * 30 + 1)
    Totp(secret, clock=clock).next_code()
    again = Totp(secret, clock=clock)
    assert again.next_code() == pyotp.TOTP(secret.get_secret_value()).generate_otp(2_000_001)
    assert again.last_used_code() == pyotp.TOTP(secret.get_secret_value()).generate_otp(2_000_001)


def test_without_skew_it_waits_for_the_next_window() -> None:
    secret = fresh_secret()
    base = 3_000_000 * 30 + 29.9
    clock = FakeClock(base)
    totp = Totp(secret, skew_steps=0, clock=clock)
    totp.next_code()
    ticks = iter([base, base + 0.2])

    def advancing() -> float:
        clock.now = next(ticks, base + 0.2)
        return clock.now

    totp._clock = advancing  # the clock moves past the window boundary while waiting
    assert totp.next_code() == pyotp.TOTP(secret.get_secret_value()).generate_otp(3_000_001)


def test_wrong_code_is_valid_for_no_nearby_window() -> None:
    secret = fresh_secret()
    totp = Totp(secret, clock=FakeClock(4_000_000 * 30))
    wrong = totp.wrong_code()
    reference = pyotp.TOTP(secret.get_secret_value())
    assert all(wrong != reference.generate_otp(4_000_000 + k) for k in range(-3, 4))
    assert len(wrong) == 6 and secrets.compare_digest(wrong, wrong)
