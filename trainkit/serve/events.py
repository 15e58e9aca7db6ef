"""Server-Sent Events for the pages (and any other tool), and the file watcher that feeds them.

Events: `reload` after a watched file changed and the curriculum was loaded again
(data: the new generation and its error count), `build` as a build goes on (data:
the job's state). Each subscriber has its own queue; a subscriber that stops reading
loses old events rather than holding the server's memory.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HEARTBEAT = 15.0  # seconds between comments that keep a quiet stream open through proxies
QUEUE_LIMIT = 100


class EventHub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[queue.Queue[str | None]] = []
        self.closed = threading.Event()

    def publish(self, event: str, data: dict[str, Any]) -> None:
        message = f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
        with self._lock:
            for subscriber in self._subscribers:
                try:
                    subscriber.put_nowait(message)
                except queue.Full:
                    pass  # a page that stopped reading misses events, the server does not grow

    def stream(self) -> Iterator[str]:
        """One subscriber's events, as SSE text, until the server closes."""
        mine: queue.Queue[str | None] = queue.Queue(QUEUE_LIMIT)
        with self._lock:
            self._subscribers.append(mine)
        try:
            yield "retry: 1000\n: connected\n\n"
            while not self.closed.is_set():
                try:
                    message = mine.get(timeout=HEARTBEAT)
                except queue.Empty:
                    yield ": still here\n\n"
                    continue
                if message is None:
                    break
                yield message
        finally:
            with self._lock:
                self._subscribers.remove(mine)

    def close(self) -> None:
        """End every stream (the server is stopping)."""
        self.closed.set()
        with self._lock:
            for subscriber in self._subscribers:
                try:
                    subscriber.put_nowait(None)
                except queue.Full:
                    pass


class Watcher(threading.Thread):
    """Calls `changed(paths)` when files under `roots` change (watchfiles: inotify on Linux,
    FSEvents on macOS), leaving out what is under `ignore` (the output folder) and editors'
    temporary files."""

    def __init__(self, roots: list[Path], ignore: list[Path], changed: Callable[[set[Path]], None]):
        super().__init__(name="trainkit-watcher", daemon=True)
        self.roots = [root for root in roots if root.is_dir()]
        self.ignore = [path.resolve() for path in ignore]
        self.changed = changed
        self.stop_event = threading.Event()

    def _wanted(self, _change: Any, path: str) -> bool:
        resolved = Path(path).resolve()
        if any(resolved == ignored or ignored in resolved.parents for ignored in self.ignore):
            return False
        name = resolved.name
        return not (name.endswith(("~", ".swp", ".swx", ".tmp", ".part")) or name.startswith(".#") or "__pycache__" in resolved.parts)

    def run(self) -> None:
        from watchfiles import watch

        for changes in watch(
            *self.roots,
            watch_filter=self._wanted,
            stop_event=self.stop_event,
            debounce=200,  # an editor's save (write, rename) arrives as one change
            step=20,
            yield_on_timeout=False,
            raise_interrupt=False,
        ):
            self.changed({Path(path) for _, path in changes})

    def stop(self) -> None:
        self.stop_event.set()
