"""A Streamlit client at the protocol level: what a browser tab sends, without the browser.

A browser tab opens the app's websocket (``/_stcore/stream``, subprotocol ``streamlit``) and
sends ``BackMsg`` protobufs: ``rerun_script`` with a
:class:`~streamlit.proto.ClientState_pb2.ClientState` (the page's script hash, the widgets'
values, the tab's time zone and locale). The server answers with ``ForwardMsg`` protobufs —
``new_session`` at the start of every run, ``navigation`` (the pages), ``delta`` (each element)
and ``script_finished``. :class:`StreamlitTab` does the same from asyncio, so one process drives
dozens of sessions and the server, not the client, is what gets measured.

What it does not do: draw anything, run JavaScript or custom components, or send the values of
widgets it did not set itself (a browser sends every mounted widget's value; the server keeps
keyed widgets' values in ``session_state`` either way). Images shown by a run (``st.image``:
``/media/...`` URLs) are fetched over HTTP like a browser fetches them.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

FINISHED = ForwardMsg.ScriptFinishedStatus
DONE = (FINISHED.FINISHED_SUCCESSFULLY, FINISHED.FINISHED_WITH_COMPILE_ERROR)


class WireError(RuntimeError):
    """The server closed the connection, answered nonsense, or a run did not finish in time."""


@dataclass
class ScriptRun:
    """What one rerun request produced (every script run until the last one finished)."""

    seconds: float = 0.0
    runs: int = 0  # script runs it took (a sign-in's st.rerun() makes two)
    elements: list[Any] = field(default_factory=list)  # Element protos, in arrival order
    pages: dict[str, str] = field(default_factory=dict)  # url path -> page script hash
    page_hash: str = ""  # the page the last run showed
    compile_error: bool = False

    def of_type(self, kind: str) -> list[Any]:
        """Elements of one type (``"heading"``, ``"text_input"``, ``"exception"`` …)."""
        return [getattr(e, kind) for e in self.elements if e.WhichOneof("type") == kind]

    @property
    def exceptions(self) -> list[str]:
        """The messages of exceptions the run showed (a page that crashed)."""
        return [f"{x.type}: {x.message}" for x in self.of_type("exception")]

    @property
    def headings(self) -> list[str]:
        return [h.body for h in self.of_type("heading")]

    @property
    def media(self) -> list[str]:
        """``/media/...`` URLs of the images the run showed."""
        return [img.url for group in self.of_type("imgs") for img in group.imgs
                if img.url.startswith("/media/")]

    def widget_id(self, key_suffix: str) -> str | None:
        """The id of the widget whose user key is ``key_suffix`` (ids end with ``-KEY``)."""
        for element in self.elements:
            kind = element.WhichOneof("type")
            found = getattr(getattr(element, kind), "id", "") if kind else ""
            if isinstance(found, str) and found.endswith("-" + key_suffix):
                return found
        return None

    def submit_button(self, form_id: str) -> str | None:
        """The id of the submit button of form ``form_id``."""
        for button in self.of_type("button"):
            if button.is_form_submitter and button.form_id == form_id:
                return button.id
        return None


class StreamlitTab:
    """One browser tab's session, spoken over the websocket. Use ``async with``."""

    def __init__(self, url: str, *, language: str = "en-US", timezone: str = "UTC",
                 timeout: float = 120.0) -> None:
        self.url = url.rstrip("/")
        self.language = language
        self.timezone = timezone
        self.timeout = timeout
        self._socket: Any = None
        self._http: Any = None
        self.widgets: dict[str, Any] = {}  # widget id -> value it keeps sending

    async def __aenter__(self) -> StreamlitTab:
        import httpx
        from websockets.asyncio.client import connect

        self._http = httpx.AsyncClient(base_url=self.url, timeout=self.timeout)
        for path in ("/_stcore/health", "/_stcore/host-config"):  # a browser asks these first
            await self.get(path)
        ws_url = "ws" + self.url[len("http"):] + "/_stcore/stream"
        self._socket = await connect(ws_url, subprotocols=["streamlit"], origin=self.url,
                                     additional_headers={"Accept-Language": self.language},
                                     max_size=None, open_timeout=self.timeout,
                                     compression=None, proxy=None)
        return self

    async def get(self, path: str) -> bytes:
        """``GET path`` over HTTP, tried again once when a kept-alive connection turns out to
        be closed (as a browser does); an error status raises."""
        import httpx

        try:
            answer = await self._http.get(path)
        except (httpx.RemoteProtocolError, httpx.ReadError):
            answer = await self._http.get(path)
        answer.raise_for_status()
        return answer.content

    async def __aexit__(self, *exc: object) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._http is not None:
            await self._http.aclose()

    async def clear_caches(self) -> None:
        """Ask the server to empty its ``st.cache_data`` and ``st.cache_resource`` (for every
        session: the caches are global) — the browser menu's *Clear cache*."""
        msg = BackMsg()
        msg.clear_cache = True
        await self._socket.send(msg.SerializeToString())

    def _request(self, page_hash: str, triggers: dict[str, bool]) -> bytes:
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = ""
        state.page_script_hash = page_hash
        state.context_info.timezone = self.timezone
        state.context_info.locale = self.language
        state.context_info.url = self.url + "/"
        for wid, value in {**self.widgets, **triggers}.items():
            widget = state.widget_states.widgets.add()
            widget.id = wid
            if isinstance(value, bool):
                widget.trigger_value = value
            elif isinstance(value, int):
                widget.int_value = value
            else:
                widget.string_value = str(value)
        return msg.SerializeToString()

    async def rerun(self, page_hash: str = "", triggers: dict[str, bool] | None = None,
                    fetch_media: bool = True) -> ScriptRun:
        """Ask for a run (of ``page_hash``; ``""`` = the default page) and wait until the last
        script run it causes has finished and its images are fetched."""
        run = ScriptRun()
        start = time.perf_counter()
        await self._socket.send(self._request(page_hash, triggers or {}))
        try:
            async with asyncio.timeout(self.timeout):
                await self._read_until_done(run)
                if fetch_media:
                    for url in run.media:
                        await self.get(url)
        except TimeoutError as exc:
            raise WireError(f"no answer within {self.timeout:.0f} s") from exc
        run.seconds = time.perf_counter() - start
        return run

    async def _read_until_done(self, run: ScriptRun) -> None:
        from websockets.exceptions import ConnectionClosed

        while True:
            try:
                data = await self._socket.recv()
            except ConnectionClosed as exc:
                raise WireError(f"the server closed the connection ({exc})") from exc
            msg = ForwardMsg()
            msg.ParseFromString(data)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                run.runs += 1
                run.elements.clear()  # a new script run draws the page again
                run.page_hash = msg.new_session.page_script_hash
            elif kind == "navigation":
                run.pages = {p.url_pathname: p.page_script_hash
                             for p in msg.navigation.app_pages}
                run.page_hash = msg.navigation.page_script_hash or run.page_hash
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                run.elements.append(msg.delta.new_element)
            elif kind == "script_finished" and msg.script_finished in DONE:
                run.compile_error = msg.script_finished == FINISHED.FINISHED_WITH_COMPILE_ERROR
                return
