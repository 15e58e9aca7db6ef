"""A progress display for multi-pack builds (rich), quiet when output is not a terminal."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console


class Progress:
    """Shows 'Building journalist/es…' on stderr while packs are built."""

    def __init__(self) -> None:
        self.console = Console(stderr=True)
        self.status = self.console.status("Loading the curriculum…") if self.console.is_terminal else None
        self.count = 0

    def __enter__(self) -> Progress:
        if self.status:
            self.status.start()
        return self

    def step(self, label: str) -> None:
        self.count += 1
        if self.status:
            self.status.update(f"{label[:1].upper()}{label[1:]}…")
        elif label.startswith("rendered"):
            self.console.print(f"{label[:1].upper()}{label[1:]}", highlight=False)

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        if self.status:
            self.status.stop()
