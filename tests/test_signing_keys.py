"""Key rings with grace windows: the sandbox's own (src/authprobe/sandbox/keys.py) and the one over a
stack's SECRET_KEY_FALLBACKS (src/authprobe/sandbox/fallbacks.py)."""

from __future__ import annotations

from authprobe.sandbox.fallbacks import SecretKeyFallbacks, grace_of
from authprobe.sandbox.keys import SigningKeys


def test_a_retired_key_verifies_until_its_grace_ends_and_never_signs() -> None:
    keys = SigningKeys()
    old = keys.sign("session-id")
    keys.rotate(60, now=1000.0)
    assert keys.unsign(old, keys.accepted(now=1059.0)) == "session-id"
    assert keys.unsign(old, keys.accepted(now=1061.0)) is None
    assert keys.unsign(keys.sign("x"), keys.accepted(now=5000.0)) == "x"  # the current key signs
    assert keys.unsign(old[:-2] + "xx") is None  # a forged signature


def test_a_later_rotation_never_lengthens_an_earlier_grace_and_retire_ends_all() -> None:
    keys = SigningKeys()
    first = keys.sign("a")
    keys.rotate(10, now=1000.0)
    second = keys.sign("b")
    keys.rotate(600, now=1005.0)
    assert keys.unsign(first, keys.accepted(now=1011.0)) is None
    assert keys.unsign(second, keys.accepted(now=1500.0)) == "b"
    keys.retire(now=1006.0)
    assert keys.unsign(second, keys.accepted(now=1007.0)) is None
    assert keys.unsign(second, keys.accepted(forever=True, now=1007.0)) == "b"


def test_the_oldest_key_in_grace_signs_only_when_asked_to() -> None:
    keys = SigningKeys()
    keys.rotate(60)
    retiring_only = keys.accepted()[1:]
    assert keys.unsign(keys.sign("t", oldest_in_grace=True), retiring_only) == "t"
    assert keys.unsign(keys.sign("t"), retiring_only) is None


def test_fallbacks_are_written_newest_first_and_dropped_when_their_grace_ends() -> None:
    written: list[tuple[str, list[str]]] = []
    ring = SecretKeyFallbacks("k0", lambda current, fallbacks: written.append((current, fallbacks)))
    assert ring.rotate(300) == 1
    k1 = ring.current
    assert ring.rotate(100) == 2
    assert written[-1] == (ring.current, [k1, "k0"])
    ring.accepted_until[k1] = 0.0  # its grace has run out
    ring.drop_expired()
    assert written[-1] == (ring.current, ["k0"])
    assert ring.retire() == 0 and written[-1] == (ring.current, [])


def test_the_hook_body_grace_is_a_number_or_zero() -> None:
    assert grace_of({"grace_seconds": 30}) == 30.0
    assert grace_of({"grace_seconds": "30"}) == 0.0
    assert grace_of(None) == 0.0
