"""How often each page load asked the endpoints that say who the user is and what they may do.

A page that reads the session or a role API once per widget works, and costs every user a
round trip per widget on every page; profiles allow `calls_per_page_load` (default 2) calls to
each such endpoint per page load. Calls are attributed to the document that made them (its
loader, in Chromium's DevTools protocol), not to a time window, so a call that arrives after
a step ended still counts against the right page load. Chromium also names each call's
initiator (the script and line); elsewhere Playwright's request events give the page only.

Written here: Playwright's request events carry neither the initiating document nor the
script, and no library counts calls per page load.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Request


@dataclass(frozen=True)
class Call:
    path: str
    initiator: str


@dataclass
class PageLoad:
    url: str
    step: str
    calls: list[Call] = field(default_factory=list)


class EndpointCalls:
    """Records, per page load of one page, its calls to the `watched` paths."""

    def __init__(self, watched: Iterable[str]) -> None:
        self.watched = frozenset(watched)
        self.loads: dict[str, PageLoad] = {}
        self.step = "before the first step"
        self._main_frame: str | None = None

    def attach(self, page: Page) -> None:
        try:
            cdp = page.context.new_cdp_session(page)
            self._main_frame = cdp.send("Page.getFrameTree")["frameTree"]["frame"]["id"]
            cdp.on("Network.requestWillBeSent", self._from_devtools)
            cdp.send("Network.enable")
        except PlaywrightError:  # not Chromium: Playwright's events, without initiators
            page.on("request", lambda request: self._from_playwright(page, request))

    def _from_devtools(self, event: dict[str, Any]) -> None:
        url = event["request"]["url"]
        loader = event.get("loaderId", "")
        if event.get("type") == "Document" and event.get("frameId") == self._main_frame:
            self.loads[loader] = PageLoad(url, self.step)
            return
        path = urlsplit(url).path
        if path in self.watched and loader in self.loads:
            self.loads[loader].calls.append(Call(path, _initiator(event.get("initiator", {}))))

    def _from_playwright(self, page: Page, request: Request) -> None:
        if request.is_navigation_request() and request.frame == page.main_frame:
            self.loads[str(len(self.loads))] = PageLoad(request.url, self.step)
            return
        path = urlsplit(request.url).path
        if path in self.watched and self.loads:
            load = list(self.loads.values())[-1]
            load.calls.append(Call(path, f"{request.resource_type} from {request.frame.url}"))

    def over(self, allowed: int) -> list[str]:
        """One line per page load that asked an endpoint more than `allowed` times."""
        found = []
        for load in self.loads.values():
            for path, count in sorted(Counter(call.path for call in load.calls).items()):
                if count > allowed:
                    where = "; ".join(call.initiator for call in load.calls if call.path == path)
                    found.append(f"{load.url} (step '{load.step}') asked {path} {count} times "
                                 f"(allowed {allowed} per page load), from: {where}")
        return found


def _initiator(initiator: dict[str, Any]) -> str:
    """`script https://…/widgets.js:12 (loadRoles)`, or the initiator's type."""
    frames = (initiator.get("stack") or {}).get("callFrames") or []
    if frames:
        top = frames[0]
        name = f" ({top['functionName']})" if top.get("functionName") else ""
        return f"script {top.get('url', '?')}:{int(top.get('lineNumber', 0)) + 1}{name}"
    return str(initiator.get("type", "unknown"))
