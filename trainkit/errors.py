"""The one user-facing problem type, and the exceptions that carry problems to the CLI.

Every stage reports what is wrong as a Problem (path, line, message, hint); the CLI
prints them compiler-style and turns them into exit codes.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """Something an author can act on, pointing at a file and (when known) a line."""

    path: Path | None
    line: int | None = None
    message: str
    hint: str | None = None
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple[str, int, str]:
        return (str(self.path or ""), self.line or 0, self.message)

    def format(self, root: Path | None = None) -> str:
        """`path:line: message` with an indented hint, the way compilers print."""
        where = display_path(self.path, root) if self.path else "trainkit"
        if self.line:
            where = f"{where}:{self.line}"
        label = "" if self.is_error else "warning: "
        text = f"{where}: {label}{self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


def display_path(path: Path, root: Path | None) -> str:
    """Show a path relative to `root` (the working folder) when it is inside it."""
    if root is not None:
        try:
            return str(path.relative_to(root))
        except ValueError:
            pass
    return str(path)


def error(path: Path | None, line: int | None, message: str, hint: str | None = None) -> Problem:
    return Problem(path=path, line=line, message=message, hint=hint)


def warning(path: Path | None, line: int | None, message: str, hint: str | None = None) -> Problem:
    return Problem(path=path, line=line, message=message, hint=hint, severity=Severity.WARNING)


def did_you_mean(word: str, choices: Iterable[str], what: str = "") -> str:
    """A hint naming the closest valid choice, or listing the valid ones."""
    choices = sorted(set(choices))
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    listed = ", ".join(choices) if choices else "(none)"
    return f"{what or 'valid values'}: {listed}"


class ContentError(Exception):
    """Raised when the curriculum has errors; carries every problem found."""

    def __init__(self, problems: Iterable[Problem], writes: bool = True):
        self.problems = tuple(sorted(problems, key=Problem.sort_key))
        self.writes = writes  # whether the command would have written output (check, list and translate do not)
        super().__init__(f"{sum(p.is_error for p in self.problems)} error(s) in the curriculum")


class UsageError(Exception):
    """A bad command line: an unknown profile, language or option value (exit 2)."""

    def __init__(self, message: str, hint: str | None = None):
        self.message = message
        self.hint = hint
        super().__init__(message)
