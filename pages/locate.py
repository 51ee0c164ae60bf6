"""Turn a profile `LocatorSpec` into a Playwright locator (role/label/test id first), play a
step on one, and say what the page has instead when a locator finds nothing."""

from __future__ import annotations

import difflib
import re
from contextlib import suppress
from typing import Any
from urllib.parse import quote

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect

from authprobe.profile import PLACEHOLDER, LocatorSpec, ScreenStep


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


def filled(text: str, values: dict[str, str], *, url: bool = False) -> str:
    """`text` with `{email}`-style placeholders replaced; in a URL each value is percent-encoded
    (a '+' of a plus-address would otherwise arrive as a space)."""
    def value(match: re.Match[str]) -> str:
        found = values.get(match.group(1))
        if found is None:
            return match.group(0)
        return quote(found, safe="@") if url else found
    return PLACEHOLDER.sub(value, text)


def filled_spec(spec: LocatorSpec, values: dict[str, str]) -> LocatorSpec:
    """The locator with `{email}`-style placeholders replaced (never the password)."""
    safe = {key: value for key, value in values.items() if key != "password"}
    update = {field: filled(getattr(spec, field), safe)
              for field in ("name", "label", "test_id", "text", "css")
              if getattr(spec, field) is not None}
    return spec.model_copy(update=update)


def act(page: Page, step: ScreenStep, values: dict[str, str]) -> None:
    """Do one step that acts on an element (every action but goto) with the values filled in."""
    spec = getattr(step, step.action)
    locator = resolve(page, filled_spec(spec, values)).first
    if step.fill is not None:
        locator.fill(filled(step.value or "", values))
    elif step.select is not None:
        locator.select_option(filled(step.value or "", values))
    elif step.check is not None:
        locator.check()
    elif step.uncheck is not None:
        locator.uncheck()
    elif step.click is not None:
        locator.click()
        page.wait_for_load_state("domcontentloaded")
    else:
        expect(locator).to_be_visible()


# One line of an ARIA snapshot that names its node: `- button "Sign out"`.
_NAMED = re.compile(r'^\s*- (\w+) "((?:[^"\\]|\\.)*)"', re.MULTILINE)
_FIELD_ROLES = ("textbox", "searchbox", "combobox", "listbox", "spinbutton", "checkbox", "radio",
                "switch", "slider")


def _named_on_page(page: Page) -> list[tuple[str, str]]:
    """(role, accessible name) of every named node the page shows, as assistive tech sees it."""
    snapshot = page.locator("body").aria_snapshot(timeout=2_000)
    return [(role, name.replace('\\"', '"')) for role, name in _NAMED.findall(snapshot)]


def nearest(page: Page, spec: LocatorSpec) -> str:
    """What the page has that `spec` may have meant: the nearest accessible names of the same
    role (of form fields for a label), and whether `exact = false` would match. Empty when
    nothing is near or the page cannot be read."""
    wanted = spec.name if spec.role is not None else spec.label if spec.label is not None else spec.text
    if wanted is None and spec.test_id is None:
        return ""
    try:
        if spec.test_id is not None:
            ids = page.locator("[data-testid]").evaluate_all(
                "(all) => all.map((e) => e.getAttribute('data-testid'))")
            close = difflib.get_close_matches(spec.test_id, [str(i) for i in ids], n=3, cutoff=0.5)
            return f"nearest test ids on the page: {', '.join(map(repr, close))}" if close else ""
        named = _named_on_page(page)
    except PlaywrightError:
        return ""
    assert wanted is not None
    roles = ((spec.role,) if spec.role is not None else _FIELD_ROLES if spec.label is not None
             else tuple({role for role, _ in named}))
    names = list(dict.fromkeys(name for role, name in named if role in roles))
    what = spec.role if spec.role is not None else "field" if spec.label is not None else "element"
    if not names:
        return f"the page shows no {what} with a name" if spec.role or spec.label else ""
    folded = {name.casefold().strip(): name for name in names}
    close = [folded[n] for n in difflib.get_close_matches(wanted.casefold(), folded, n=3, cutoff=0.4)]
    contains = [n for n in names if wanted.casefold() in n.casefold()]
    parts = []
    if close or contains:
        parts.append(f"nearest {what}s on the page: "
                     + ", ".join(repr(n) for n in dict.fromkeys(contains + close)))
    if spec.exact and contains:
        parts.append(f"exact = false would match {contains[0]!r}")
    return "; ".join(parts)


# Records the fields the browser's own validation refuses when a form is submitted: the
# browser fires `invalid` on each and sends nothing. The record lives in the document, so a
# form that was sent (a new document) reads as no refusal.
_WATCH_INVALID = """() => {
    window.__authprobeInvalid = [];
    if (window.__authprobeWatching) return;
    window.__authprobeWatching = true;
    document.addEventListener("invalid", (event) => {
        const e = event.target;
        const label = (e.labels && e.labels.length ? e.labels[0].innerText.trim() : "")
            || e.getAttribute("aria-label") || e.name || e.id || e.tagName.toLowerCase();
        window.__authprobeInvalid.push(label + " (" + e.validationMessage + ")");
    }, true);
}"""


def watch_invalid(page: Page) -> None:
    """Start recording the fields the browser refuses on the next submit (see refused_fields)."""
    with suppress(PlaywrightError):  # a page that cannot be evaluated reports no refusal
        page.evaluate(_WATCH_INVALID)


def refused_fields(page: Page) -> list[str]:
    """The fields the browser's own validation refused since watch_invalid, each with its label
    and the browser's reason; empty when the form was sent (or nothing was watched)."""
    try:
        found = page.evaluate("() => window.__authprobeInvalid || []")
    except PlaywrightError:  # a navigation replaced the document meanwhile: it was sent
        return []
    return list(dict.fromkeys(str(field) for field in found))


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
