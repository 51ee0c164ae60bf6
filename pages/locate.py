"""Turn a profile `LocatorSpec` into a Playwright locator (role/label/test id first)."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Locator, Page

from authprobe.profile import LocatorSpec


def resolve(page: Page, spec: LocatorSpec) -> Locator:
    if spec.role is not None:
        kwargs: dict[str, Any] = {"exact": spec.exact}
        if spec.name is not None:
            kwargs["name"] = spec.name
        return page.get_by_role(spec.role, **kwargs)  # type: ignore[arg-type]
    if spec.label is not None:
        return page.get_by_label(spec.label, exact=spec.exact)
    if spec.test_id is not None:
        return page.get_by_test_id(spec.test_id)
    if spec.text is not None:
        return page.get_by_text(spec.text, exact=spec.exact)
    assert spec.css is not None  # guaranteed by LocatorSpec's validator
    return page.locator(spec.css)


# What the first match says: an attribute if named, else an input's value, else its text
# (the properties Playwright's input_value and inner_text read); null when nothing matches.
# One evaluation over all matches is one round trip: a locator's `evaluate` takes three
# (wait for a handle, evaluate on it, release it).
_VALUE_OF_FIRST = """(all, attribute) => {
    const e = all[0];
    if (e === undefined) return null;
    if (attribute !== null) return e.getAttribute(attribute) ?? "";
    return (e instanceof HTMLInputElement || e instanceof HTMLTextAreaElement) ? e.value : e.innerText;
}"""


def _picked(raw: str, spec: LocatorSpec) -> str:
    if spec.pattern is None:
        return raw
    found = re.search(spec.pattern, raw)
    return found.group(1).strip() if found else ""


def read_value_if_present(locator: Locator, spec: LocatorSpec) -> str | None:
    """What the element says (see read_value), or None at once when nothing matches."""
    raw = locator.evaluate_all(_VALUE_OF_FIRST, spec.attribute)
    return None if raw is None else _picked(str(raw), spec)


def read_value(locator: Locator, spec: LocatorSpec) -> str:
    """What the element says: the spec's attribute, an input's value, or its text; then the
    spec's pattern picks the value out of it (no match: empty). Waits for the element."""
    value = read_value_if_present(locator, spec)
    if value is None:
        locator.first.wait_for(state="attached")
        value = read_value_if_present(locator, spec)
    return value or ""
