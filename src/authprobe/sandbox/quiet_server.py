"""uvicorn for servers that live inside the sandbox's own asyncio loop."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import uvicorn


class QuietServer(uvicorn.Server):
    """uvicorn without its own signal capture: the sandbox owns shutdown, and uvicorn would
    re-raise the signal after a graceful stop, turning a clean exit into death-by-signal."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield
