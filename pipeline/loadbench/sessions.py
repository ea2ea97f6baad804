"""Many dashboard sessions at once, each a :class:`~pipeline.loadbench.wire.StreamlitTab`.

Each session opens the app (the sign-in form), signs in with its own account (the time from
pressing *Sign in* until Overview has finished drawing: password check, session start, the
router and the Overview page), then opens the pages one after another (the time from the
click until the page's script run has finished and its images are fetched), and then stays
connected, idle, until every session is done — so the server's memory can be read with all of
them open. Nothing is retried: a page that shows an exception, a run that does not finish in
time or a sign-in that does not get past the form is counted as an error.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipeline.loadbench.wire import StreamlitTab, WireError

SIGN_IN = "sign-in"
PAGES: tuple[str, ...] = ("weekly_report", "inspections", "trends", "upload", "rules",
                          "system", "")  # url paths; "" = Overview (again, from the sidebar)


def page_label(path: str) -> str:
    return path or "overview"


@dataclass
class SessionTimes:
    """One session's figures: seconds per page (``sign-in`` included), and errors."""

    user: str
    seconds: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    signed_in: bool = False
    finished: bool = False  # done with its pages (or failed): idle now

    def add(self, name: str, seconds: float) -> None:
        self.seconds.setdefault(name, []).append(seconds)


async def _sign_in(tab: StreamlitTab, user: str, password: str, times: SessionTimes
                   ) -> dict[str, str]:
    form = await tab.rerun()
    times.add("form", form.seconds)
    ids = (form.widget_id("auth_username"), form.widget_id("auth_password"),
           form.submit_button("auth_login"))
    if None in ids:
        raise WireError(f"no sign-in form (headings: {form.headings})")
    tab.widgets = {ids[0]: user, ids[1]: password}
    run = await tab.rerun(triggers={ids[2]: True})
    tab.widgets = {}  # the form is gone; a browser drops its widgets' values too
    if run.exceptions:
        raise WireError(f"sign-in showed {run.exceptions[0]}")
    if run.submit_button("auth_login") is not None or not run.pages:
        errors = [a.body for a in run.of_type("alert")]
        raise WireError(f"still on the sign-in form: {errors or run.headings}")
    times.add(SIGN_IN, run.seconds)
    times.signed_in = True
    return run.pages


async def clear_caches(urls: Sequence[str]) -> None:
    """Empty the servers' caches, as they are after a start or once the cached query results
    of the weekend have expired (imports and the database connection stay)."""
    for url in urls:
        async with StreamlitTab(url) as tab:
            await tab.clear_caches()
            await tab.rerun()  # the request above is handled before this run answers


class Gate:
    """Sessions report here when they are done and idle; they leave when it opens."""

    def __init__(self, sessions: int) -> None:
        self.waiting, self.sessions = 0, sessions
        self.all_idle, self.opened = asyncio.Event(), asyncio.Event()

    async def idle(self) -> None:
        self.waiting += 1
        if self.waiting >= self.sessions:
            self.all_idle.set()
        await self.opened.wait()


async def one_session(url: str, times: SessionTimes, password: str, pages: Sequence[str],
                      rounds: int, gate: Gate, timeout: float, think: float = 0.0) -> None:
    """Sign in as ``times.user``, open ``pages`` ``rounds`` times (filling ``times``), then
    idle until the gate opens."""
    doing = "connect"
    try:
        async with StreamlitTab(url, timeout=timeout) as tab:
            doing = SIGN_IN
            known = await _sign_in(tab, times.user, password, times)
            for _ in range(rounds):
                for path in pages:
                    doing = page_label(path)
                    if think:  # people read for different times: 0.5 to 1.5 x think
                        await asyncio.sleep(think * random.uniform(0.5, 1.5))
                    if path not in known:
                        times.errors.append(f"{doing}: not in the menu")
                        continue
                    run = await tab.rerun(known[path])
                    if run.exceptions:
                        times.errors.append(f"{doing}: {run.exceptions[0]}")
                    times.add(doing, run.seconds)
            times.finished = True
            await gate.idle()
            return
    except Exception as exc:  # noqa: BLE001 - any failure is an error of this session
        times.errors.append(f"{doing}: {type(exc).__name__}: {exc}")
    times.finished = True
    await gate.idle()


async def run_sessions(urls: Sequence[str], users: Sequence[str], password: str,
                       pages: Sequence[str], rounds: int = 1, ramp_s: float = 0.0,
                       timeout: float = 120.0,
                       think: float = 0.0, at_idle: Callable[[], Any] | None = None,
                       deadline_s: float = 600.0) -> tuple[list[SessionTimes], Any, float]:
    """All ``users`` at once (their starts spread over ``ramp_s``), session ``i`` on
    ``urls[i % len(urls)]`` for good (a proxy's sticky sessions); returns their times, what
    ``at_idle()`` returned while every session was still connected and idle, and the wall
    time until the last one was done. Sessions still busy after ``deadline_s`` are stopped
    and count a timeout error."""
    gate = Gate(len(users))
    found = [SessionTimes(user) for user in users]
    start = time.perf_counter()

    async def staggered(i: int) -> None:
        await asyncio.sleep(ramp_s * i / max(len(users), 1))
        await one_session(urls[i % len(urls)], found[i], password, pages, rounds, gate,
                          timeout, think)

    tasks = [asyncio.create_task(staggered(i)) for i in range(len(users))]
    idle = None
    try:
        await asyncio.wait_for(gate.all_idle.wait(), deadline_s)
        wall = time.perf_counter() - start
        await asyncio.sleep(1.0)  # let the server finish what it sends after the last run
        idle = at_idle() if at_idle else None
    except TimeoutError:
        wall = time.perf_counter() - start
        for task, times in zip(tasks, found, strict=True):
            if not times.finished:
                task.cancel()
                times.errors.append(f"stopped: still busy after {deadline_s:.0f} s")
    gate.opened.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    return found, idle, wall
