"""What a flow saw the app do that breaks more than the check in flight.

When sign-up signs a new account in at once although the profile requires verification, the
sign-up check reports it, and every later check that signs a user up stumbles on the same
cause somewhere else. Flows note such a symptom here; the plugin (authprobe.plugin.consequences)
names the first failure that showed it the finding and says of each later failure showing it
that it is likely a consequence. Per process: the checks of one pytest-xdist worker.
"""

from __future__ import annotations

_SEEN: list[str] = []  # symptoms the current check's flows noted, in order


def note(symptom: str) -> None:
    """Record that the app showed `symptom` (a sentence) during the current check."""
    if symptom not in _SEEN:
        _SEEN.append(symptom)


def take() -> list[str]:
    """The symptoms noted since the last call (the current check's), forgetting them."""
    seen = list(_SEEN)
    _SEEN.clear()
    return seen
