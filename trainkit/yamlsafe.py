"""YAML without surprises: text in, plain data plus the line of every value out.

PyYAML's safe loader turns `no` into False, `1.10` into 1.1 and `10:00` into 600,
keeps the last of two duplicate keys and expands alias bombs. Here every scalar
stays the literal text the author wrote (the schema converts it), and aliases,
anchors, tags and duplicate keys are refused with the line they are on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from .errors import Problem, error, warning

Key = tuple[str | int, ...]
NULL_WORDS = {"", "~", "null", "Null", "NULL"}


class _LiteralLoader(Reader, Scanner, Parser, Composer, SafeConstructor, BaseResolver):
    """Composes nodes only; BaseResolver resolves no implicit types, so all scalars stay text."""

    def __init__(self, stream: str):
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        BaseResolver.__init__(self)

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        # Refuse aliases before PyYAML resolves them: an alias bomb never expands.
        if self.check_event(AliasEvent):
            event = self.peek_event()
            raise _Refused(event.start_mark.line, "aliases are not allowed", "write the value out in full")
        event = self.peek_event()
        if getattr(event, "anchor", None):
            raise _Refused(event.start_mark.line, "anchors (&name) are not allowed", "write the value out in full")
        return super().compose_node(parent, index)


class _Refused(Exception):
    def __init__(self, line: int, message: str, hint: str):
        self.line, self.message, self.hint = line, message, hint


@dataclass(slots=True)
class YamlDoc:
    """Loaded data, with the 1-based file line of each key path (() is the document)."""

    data: Any
    lines: dict[Key, int] = field(default_factory=dict)

    def line_of(self, key: Key) -> int | None:
        """The line of `key`, or of its nearest parent that has one."""
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get(())


_DEFAULT_TAGS = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"}


def load_yaml(text: str, path: Path, first_line: int = 1) -> tuple[YamlDoc | None, list[Problem]]:
    """Parse `text` (which starts at file line `first_line`); never raises for bad input."""
    offset = first_line - 1
    loader = None
    try:
        loader = _LiteralLoader(text)
        node = loader.get_single_node()
    except _Refused as refused:
        return None, [error(path, refused.line + 1 + offset, refused.message, refused.hint)]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + offset if mark else first_line
        message = f"invalid YAML: {exc.problem or exc.context}"
        return None, [error(path, line, message, "check indentation, and quote values that contain ': ' or ' #'")]
    except yaml.YAMLError as exc:  # reader errors (control characters) carry a position, not a line
        position = getattr(exc, "position", None)
        line = first_line + text[:position].count("\n") if isinstance(position, int) else first_line
        character = getattr(exc, "character", None)
        code = ord(character) if isinstance(character, str) else character
        shown = f"the character U+{code:04X}" if isinstance(code, int) else "a control character"
        return None, [error(path, line, f"invalid YAML: {shown} is not allowed in YAML text", "remove the invisible character")]
    finally:
        if loader is not None:
            loader.dispose()
    doc = YamlDoc(data=None)
    problems: list[Problem] = []
    lines = text.splitlines()
    if node is not None:
        doc.data = _convert(node, (), doc, problems, path, offset, lines)
    return doc, problems


def _convert(node: Node, key: Key, doc: YamlDoc, problems: list[Problem], path: Path, offset: int, lines: list[str]) -> Any:
    line = node.start_mark.line + 1 + offset
    doc.lines.setdefault(key, line)
    if node.tag not in _DEFAULT_TAGS:
        problems.append(
            error(path, line, f"YAML tags such as '{node.tag}' are not allowed", "remove the tag; values are read as plain text")
        )
        return None
    if isinstance(node, ScalarNode):
        if node.style is None and node.value in NULL_WORDS:
            return None
        if node.style is None:
            _warn_if_truncated(node, lines, path, offset, problems)
        return node.value
    if isinstance(node, SequenceNode):
        return [_convert(child, (*key, i), doc, problems, path, offset, lines) for i, child in enumerate(node.value)]
    assert isinstance(node, MappingNode)
    result: dict[str, Any] = {}
    seen: dict[str, int] = {}
    for key_node, value_node in node.value:
        key_line = key_node.start_mark.line + 1 + offset
        if not isinstance(key_node, ScalarNode):
            problems.append(error(path, key_line, "a key must be plain text", None))
            continue
        name = key_node.value
        if name in seen:
            problems.append(error(path, key_line, f"duplicate key '{name}' (first set on line {seen[name]})", "keep one of them"))
            continue
        seen[name] = key_line
        doc.lines[(*key, name)] = key_line
        result[name] = _convert(value_node, (*key, name), doc, problems, path, offset, lines)
        doc.lines[(*key, name)] = key_line
    return result


def _warn_if_truncated(node: ScalarNode, lines: list[str], path: Path, offset: int, problems: list[Problem]) -> None:
    """`title: Part #2` silently reads as `Part`: say so when a comment follows a plain value."""
    end = node.end_mark
    if end.line >= len(lines):
        return
    rest = lines[end.line][end.column :]
    if rest.startswith(" #") or rest.startswith("\t#"):
        problems.append(
            warning(
                path,
                end.line + 1 + offset,
                f"the value '{node.value}' ends where ' #' starts a comment; the rest of the line was ignored",
                f'put the whole value in quotes: "{node.value}{rest.rstrip()}"',
            )
        )
