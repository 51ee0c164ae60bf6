"""Turn a profile `LocatorSpec` into a Playwright locator (role/label/test id first)."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Locator, Page

from harness.profile import LocatorSpec


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


def read_value(locator: Locator, spec: LocatorSpec) -> str:
    """What the element says: the spec's attribute, an input's value, or its text; then the
    spec's pattern picks the value out of it (no match: empty)."""
    element = locator.first
    if spec.attribute is not None:
        raw = element.get_attribute(spec.attribute) or ""
    elif element.evaluate("e => e instanceof HTMLInputElement || e instanceof HTMLTextAreaElement"):
        raw = element.input_value()
    else:
        raw = element.inner_text()
    if spec.pattern is None:
        return raw
    found = re.search(spec.pattern, raw)
    return found.group(1).strip() if found else ""
