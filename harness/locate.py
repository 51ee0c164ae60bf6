"""Turn a profile `LocatorSpec` into a Playwright locator (role/label/test id first)."""

from __future__ import annotations

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
