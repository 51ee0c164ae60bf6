"""Page objects, one per screen (see pages/base.py)."""

from __future__ import annotations

import difflib

from authprobe.pages import reauth  # noqa: F401 (registers its prompt with every Screen.goto)
from authprobe.profile import TargetProfile


def known_locators() -> dict[str, set[str]]:
    """Every screen and the element names its page object reads (what [locators] may set)."""
    from authprobe.pages import (  # noqa: F401
        account,
        activation,
        admin,
        idp,
        login,
        mfa,
        passkeys,
        password,
        reset,
        signup,
        sms,
    )
    from authprobe.pages.base import COMMON, Screen

    known: dict[str, set[str]] = {}

    def walk(cls: type[Screen]) -> None:
        for sub in cls.__subclasses__():
            if "screen" in sub.__dict__:
                landmark = {"heading"} if sub.landmark is Screen.landmark else set()  # idp_*: fields
                known.setdefault(sub.screen, set()).update(
                    {*landmark, *COMMON, *sub.defaults, *sub.optional})
            walk(sub)

    walk(Screen)
    return known


def locator_problems(profile: TargetProfile) -> list[str]:
    """Screens and elements in `[locators]` that no page object reads (typos, mostly)."""
    known = known_locators()
    problems = []
    for screen, elements in profile.locators.items():
        if screen not in known:
            near = difflib.get_close_matches(screen, known, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            problems.append(f"[locators.{screen}] is not a screen authprobe knows{hint}; "
                            f"screens: {', '.join(sorted(known))}")
            continue
        for element in elements:
            if element not in known[screen]:
                near = difflib.get_close_matches(element, known[screen], n=1)
                hint = f" (did you mean {near[0]!r}?)" if near else ""
                problems.append(f"[locators.{screen}] {element} is not an element of that "
                                f"screen{hint}; its elements: {', '.join(sorted(known[screen]))}")
    return problems
