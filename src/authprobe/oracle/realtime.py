"""The real-time lane: expiry judged by waiting for the lifetime itself, where no hook can age it.

A check arms (signs in, asks for a link) and returns; a background thread of the worker then
asks the session endpoint at the planned moments with the session's own cookies, through the
bounded plain-HTTP client (Playwright's sync API is bound to the thread that made it), and the
check's judge reads what it saw at the end of the run. Moments are wall-clock times so arm and
judge may run in different xdist workers; state lives in files of the run's state dir.

Why the moments are where they are: the server touched a session at some instant between our
request and its answer. "Just before" is counted from the earliest instant (so the server's age
is at most lifetime - margin), "just after" from the latest (at least lifetime + tolerance).
A probe touches an idle timer, so the idle check watches two sessions, one per moment.
"""

from __future__ import annotations

import heapq
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from authprobe.errors import AuthprobeError
from authprobe.wait import wait_until

Expect = Literal["alive", "dead"]


def margin(lifetime_s: float) -> float:
    """How far before a lifetime "just before" is: clock and request jitter, 10 % or 2 s."""
    return max(2.0, lifetime_s * 0.1)


def tolerance(lifetime_s: float) -> float:
    """How far past a lifetime the server may take to end it: 5 % or 2 s."""
    return max(2.0, lifetime_s * 0.05)


@dataclass(frozen=True)
class Moment:
    label: str
    at: float  # time.time() of the probe
    expect: Expect


@dataclass(frozen=True)
class Seen:
    label: str
    expect: Expect
    planned: float
    at: float
    authenticated: bool | None  # None: the probe itself failed (see evidence)
    evidence: str

    def holds(self) -> bool:
        return self.authenticated is (self.expect == "alive")

    def describe(self, origin: float) -> str:
        state = {True: "signed in", False: "signed out", None: "no answer"}[self.authenticated]
        return (f"{self.label} (+{self.at - origin:.1f} s, planned +{self.planned - origin:.1f} s): "
                f"{state} [{self.evidence}]")


@dataclass(frozen=True)
class Watch:
    """One session watched at its moments; `origin` is the instant the lifetime counts from."""

    name: str
    cookies: list[dict[str, Any]]
    origin: float
    moments: list[Moment]


def idle_watches(before: tuple[list[dict[str, Any]], float, float],
                 after: tuple[list[dict[str, Any]], float, float], ttl: float) -> list[Watch]:
    """Two sessions (cookies, request sent, answer received of their last touch): one probed just
    before the idle lifetime, the other just after it plus the tolerance."""
    (c1, sent1, _), (c2, _, got2) = before, after
    return [
        Watch("before", c1, sent1, [Moment(f"{ttl:g} s idle lifetime - {margin(ttl):g} s",
                                           sent1 + ttl - margin(ttl), "alive")]),
        idle_dead_watch("after", c2, got2, ttl),
    ]


def idle_dead_watch(name: str, cookies: list[dict[str, Any]], got: float, ttl: float) -> Watch:
    """One session probed once, just after its idle lifetime plus the tolerance: it must be over."""
    return Watch(name, cookies, got, [Moment(f"{ttl:g} s idle lifetime + {tolerance(ttl):g} s",
                                             got + ttl + tolerance(ttl), "dead")])


def absolute_watch(cookies: list[dict[str, Any]], sent: float, got: float, ttl: float,
                   idle_ttl: float | None) -> Watch:
    """One session kept active (touched well inside its idle lifetime) until just before its
    absolute lifetime, then probed just after it: dead there is the absolute lifetime's doing.
    `sent`: an instant before the session was made (its sign-in began); `got`: after it was."""
    every = min(ttl / 6, (idle_ttl or ttl) / 3)
    last_alive = sent + ttl - margin(ttl)
    touches = [Moment("touch (keeps it active)", sent + every * k, "alive")
               for k in range(1, int((last_alive - sent) / every) + 1) if sent + every * k < last_alive]
    dead_at = got + ttl + tolerance(ttl)
    if idle_ttl is not None and dead_at - last_alive >= idle_ttl:
        raise AuthprobeError(f"the idle lifetime {idle_ttl:g} s is too short to tell it from the "
                             f"absolute lifetime {ttl:g} s in real time; lengthen the idle one.")
    return Watch("active", cookies, got, [
        *touches,
        Moment(f"{ttl:g} s absolute lifetime - {margin(ttl):g} s", last_alive, "alive"),
        Moment(f"{ttl:g} s absolute lifetime + {tolerance(ttl):g} s", dead_at, "dead"),
    ])


def cookie_header(cookies: list[dict[str, Any]]) -> str:
    return "; ".join(f"{c['name']}={c['value']}" for c in cookies)


Asker = Callable[[list[dict[str, Any]]], tuple[bool | None, str]]  # (signed in? None: failed, evidence)


@dataclass
class Probes:
    """The worker's probe thread: every armed watch's moments in time order, results to files."""

    ask: Asker
    clock: Callable[[], float] = time.time
    _heap: list[tuple[float, int, str, int, int]] = field(default_factory=list)
    _watches: dict[str, tuple[Path, list[Watch], list[list[Seen]]]] = field(default_factory=dict)
    _wake: threading.Condition = field(default_factory=threading.Condition)
    _thread: threading.Thread | None = None
    _count: int = 0

    def arm(self, key: str, result: Path, watches: list[Watch]) -> None:
        with self._wake:
            self._watches[key] = (result, watches, [[] for _ in watches])
            for w, watch in enumerate(watches):
                for m, moment in enumerate(watch.moments):
                    self._count += 1
                    heapq.heappush(self._heap, (moment.at, self._count, key, w, m))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="authprobe-realtime", daemon=True)
                self._thread.start()
            self._wake.notify()

    def pending(self) -> int:
        with self._wake:
            return len(self._watches)

    def drain(self, timeout_s: float) -> bool:
        """Wait until every armed watch is written (the worker's end); whether all were."""
        with self._wake:
            return self._wake.wait_for(lambda: not self._watches, timeout=timeout_s)

    def _run(self) -> None:
        while True:
            with self._wake:
                self._wake.wait_for(lambda: bool(self._heap))
                at, _, key, w, m = self._heap[0]
                delay = at - self.clock()
                if delay > 0:
                    self._wake.wait(timeout=delay)
                    continue
                heapq.heappop(self._heap)
                result, watches, seen = self._watches[key]
            moment = watches[w].moments[m]
            started = self.clock()
            authenticated, evidence = self.ask(watches[w].cookies)
            with self._wake:
                seen[w].append(Seen(moment.label, moment.expect, moment.at, started, authenticated, evidence))
                if all(len(s) == len(x.moments) for s, x in zip(seen, watches, strict=True)):
                    write_private(result, {"watches": [
                        {"name": x.name, "origin": x.origin, "seen": [asdict(s) for s in ss]}
                        for x, ss in zip(watches, seen, strict=True)]})
                    del self._watches[key]
                    self._wake.notify_all()


def write_private(path: Path, data: dict[str, Any]) -> None:
    """Cookies and throwaway passwords: readable by this user alone, written whole."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(data, out)
    tmp.replace(path)


@dataclass(frozen=True)
class Verdict:
    """What the probes saw, per watch, and what the arm left for the judge (`extra`)."""

    extra: dict[str, Any] = field(repr=False)  # cookies and a throwaway password: never in a report
    watches: list[tuple[str, float, list[Seen]]] = field(default_factory=list)

    def failures(self) -> list[str]:
        return [f"{name} session: {s.describe(origin)}" for name, origin, seen in self.watches
                for s in seen if not s.holds()]

    def describe(self) -> str:
        return "\n  ".join(s.describe(origin) for _, origin, seen in self.watches for s in seen)


@dataclass(frozen=True)
class Touch:
    """One request of a session: sent and answered (time.time()), and whether it was signed in."""

    sent: float
    got: float
    signed_in: bool
    evidence: str

    def at(self) -> tuple[float, float]:
        return self.sent, self.got


@dataclass
class Lane:
    """One expiry check in the real-time lane: `arming` in its arm item, judging in its own."""

    arming: bool
    limit_s: float
    folder: Path
    key: str
    probes: Probes
    arm_wait_s: float = 900.0

    def fits(self, what: str, lifetime_s: float) -> str | None:
        """Why this lifetime cannot be waited for in this run (None: it can)."""
        if lifetime_s > self.limit_s:
            return (f"{what} is {lifetime_s:g} s, longer than this run's real-time limit "
                    f"{self.limit_s:g} s (--realtime-max / E2E_REALTIME_MAX)")
        return None

    def touch(self, cookies: list[dict[str, Any]]) -> Touch:
        """Ask the session endpoint once with these cookies, as the probes will: the session's
        last touch before it is left alone, from which its moments count."""
        sent = time.time()
        authenticated, evidence = self.probes.ask(cookies)
        return Touch(sent, time.time(), authenticated is True, evidence)

    def arm(self, watches: list[Watch], due: float, **extra: Any) -> None:
        """Leave what the judge needs; `due`: the instant the judge may act (links and codes)."""
        write_private(self.folder / f"{self.key}.armed.json", {"extra": extra, "due": due})
        if watches:
            self.probes.arm(self.key, self.folder / f"{self.key}.seen.json", watches)
        else:
            write_private(self.folder / f"{self.key}.seen.json", {"watches": []})

    def skipped(self, reason: str) -> None:
        write_private(self.folder / f"{self.key}.skipped.json", {"reason": reason})

    def judge(self) -> tuple[Verdict | None, str]:
        """Wait for the arm and its probes; (verdict, "") or (None, why the arm did not arm)."""
        armed, seen, skipped = (self.folder / f"{self.key}.{n}.json" for n in ("armed", "seen", "skipped"))
        wait_until(lambda: armed.exists() or skipped.exists(), timeout=self.arm_wait_s, interval=0.2,
                   what=f"the arm of this check to write {armed}")
        if skipped.exists():
            return None, str(json.loads(skipped.read_text())["reason"])
        left = json.loads(armed.read_text())
        due = float(left["due"])
        wait_until(lambda: seen.exists() and time.time() >= due, timeout=self.arm_wait_s,
                   interval=0.2, what=f"the real-time probes of this check to write {seen}")
        data = json.loads(seen.read_text())
        watches = [(w["name"], float(w["origin"]), [Seen(**s) for s in w["seen"]]) for w in data["watches"]]
        for path in (armed, seen):
            path.unlink(missing_ok=True)
        return Verdict(dict(left["extra"]), watches), ""
