"""Reading files people write (playbooks, personas, scripts): one-line errors naming the file, line and field.

Every reader raises its own error class (a playbook's error is a ``PlaybookError``), so each takes the class
to raise; the wording of the messages is shared so all of calmline's files fail the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from calmline.errors import CalmlineError

Location = tuple[str | int, ...]
"""Where a value sits in a parsed YAML tree: its path of keys and list indexes."""

LineIndex = dict[Location, int]


def read_text(path: Path, error: type[CalmlineError], kind: str, max_bytes: int | None = None) -> str:
    """The UTF-8 text of ``path``; ``kind`` names what the file should be ("playbook file")."""
    try:
        if max_bytes is not None and path.stat().st_size > max_bytes:
            raise error(f"{path}: larger than {max_bytes} bytes; is it a {kind}?")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: no such {kind}") from None
    except IsADirectoryError:
        raise error(f"{path}: is a directory, not a {kind}") from None
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror})") from None


def parse_mapping(
    text: str, source: str, error: type[CalmlineError], what: str, shape: str
) -> tuple[dict[str, Any], LineIndex]:
    """YAML text that must be a mapping, and the line of every value in it.

    ``what`` names the document ("playbook") and ``shape`` what it holds ("a mapping of sections (…)").
    """
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"{source}{where}: not valid YAML: {problem}") from None
    if data is None:
        raise error(f"{source}: the {what} is empty")
    if not isinstance(data, dict):
        raise error(f"{source}:1: a {what} must be {shape}")
    lines: LineIndex = {}
    _index_lines(node, (), lines)
    return data, lines


def invalid(
    exc: ValidationError,
    lines: LineIndex,
    source: str,
    error: type[CalmlineError],
    to_source: Callable[[Location], Location] = lambda loc: loc,
) -> CalmlineError:
    """The first validation problem as one line: ``file:line: field.path: message (and N more)``.

    ``to_source`` maps a location in the validated data back to the file's own (after a merge).
    """
    errors = exc.errors()
    loc = to_source(tuple(errors[0]["loc"]))
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    message = errors[0]["msg"].removeprefix("Value error, ")
    return error(f"{located(source, loc, lines)}: {field_name(loc)}: {message}{more}")


def located(source: str, loc: Location, lines: LineIndex) -> str:
    """``source:line`` for the nearest location at or above ``loc`` that has a line, else ``source``."""
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return f"{source}:{lines[loc[:end]]}"
    return source


def field_name(loc: Location) -> str:
    """A location as a user reads it: ``rules[2].when.signal``."""
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        elif part == "[key]":
            parts.append(" (key)")
        else:
            parts.append(("." if parts else "") + str(part))
    return "".join(parts) or "(top level)"


def _index_lines(node: yaml.Node | None, at: Location, lines: LineIndex) -> None:
    if node is None:
        return
    lines.setdefault(at, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            path = (*at, key.value)
            lines[path] = key.start_mark.line + 1
            _index_lines(value, path, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index_lines(item, (*at, i), lines)
