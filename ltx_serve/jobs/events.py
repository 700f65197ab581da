"""Change notifications from the worker thread to async HTTP handlers.

The sync route, the SSE status stream and tests wait for "something happened to job X"
(a log line, a state change) without polling SQLite in a tight loop. The worker calls
`notify(request_id)` from its thread; waiting coroutines wake up on their own loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict


class JobEvents:
    """Per-request wake-ups that are safe to trigger from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = defaultdict(set)

    def notify(self, request_id: str) -> None:
        with self._lock:
            waiters = list(self._waiters.get(request_id, ()))
        for loop, event in waiters:
            if not loop.is_closed():
                loop.call_soon_threadsafe(event.set)

    async def wait(self, request_id: str, timeout: float) -> bool:
        """Wait until the next notification for `request_id` (True) or the timeout (False)."""
        loop = asyncio.get_running_loop()
        entry = (loop, asyncio.Event())
        with self._lock:
            self._waiters[request_id].add(entry)
        try:
            await asyncio.wait_for(entry[1].wait(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            with self._lock:
                self._waiters[request_id].discard(entry)
                if not self._waiters[request_id]:
                    del self._waiters[request_id]
