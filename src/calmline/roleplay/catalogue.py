"""Loading personas and the move book: shipped YAML, a company's folder, errors naming file, line and field."""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from calmline.model import PracticeId
from calmline.playbook.loader import _field, _index_lines, _line_of
from calmline.roleplay.persona import Persona, PersonaError

Location = tuple[str | int, ...]
MAX_PERSONA_BYTES = 200_000


class MoveKind(StrEnum):
    soother = "soother"
    trigger = "trigger"


class Move(BaseModel):
    """Something a trainee's reply did, as the engine saw it, and how far it moves a customer's mood."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: MoveKind
    weight: float = Field(ge=0.0, le=5.0)
    practice: PracticeId
    signals: list[str] = Field(default_factory=list, description="Engine signals on the reply that show it.")
    findings: list[PracticeId] = Field(default_factory=list, description="Coach findings that show it.")
    unless: list[str] = Field(default_factory=list, description="Moves in the same reply that cancel it.")
    said: str = Field(description="What the trainee did, for the debrief: 'lectured the customer'.")
    reactions: list[str] = Field(default_factory=list)


class MoveBook(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    repeat_decay: float = Field(ge=0.0, le=1.0)
    max_gain_per_reply: float = Field(gt=0.0, le=5.0)
    no_progress_drift: float = Field(ge=-2.0, le=0.0)
    moves: dict[str, Move]


@cache
def move_book() -> MoveBook:
    """The shipped move book (read once per process)."""
    text = resources.files("calmline.roleplay").joinpath("moves.yaml").read_text(encoding="utf-8")
    data, lines = _parse(text, "<package>/moves.yaml")
    try:
        return MoveBook.model_validate(data)
    except ValidationError as exc:
        raise _error(exc, lines, "<package>/moves.yaml") from None


@cache
def shipped_personas() -> dict[str, Persona]:
    """The personas shipped in the package, by id."""
    folder = resources.files("calmline.roleplay").joinpath("personas")
    found: dict[str, Persona] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            persona = parse_persona(entry.read_text(encoding="utf-8"), f"<package>/personas/{entry.name}")
            found[persona.id] = persona
    return found


def load_personas(folder: Path | None = None) -> dict[str, Persona]:
    """The shipped personas, plus (and overridden by) those in ``folder``'s ``*.yaml`` files."""
    personas = dict(shipped_personas())
    if folder is None:
        return personas
    if not folder.is_dir():
        raise PersonaError(f"{folder}: not a folder of persona files")
    added: dict[str, Path] = {}
    for path in sorted(folder.glob("*.y*ml")):
        persona = read_persona(path)
        if persona.id in added:
            raise PersonaError(f"{path}: id: {persona.id!r} is already used by {added[persona.id].name}")
        added[persona.id] = path
        personas[persona.id] = persona
    return personas


def find_persona(personas: dict[str, Persona], persona_id: str) -> Persona:
    try:
        return personas[persona_id]
    except KeyError:
        raise PersonaError(
            f"no persona {persona_id!r}; known: {', '.join(sorted(personas))} (see calmline roleplay --list)"
        ) from None


def read_persona(path: Path) -> Persona:
    try:
        if path.stat().st_size > MAX_PERSONA_BYTES:
            raise PersonaError(f"{path}: larger than {MAX_PERSONA_BYTES} bytes; is it a persona?")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise PersonaError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise PersonaError(f"{path}: cannot read ({exc.strerror})") from None
    return parse_persona(text, str(path))


def parse_persona(text: str, source: str) -> Persona:
    """A persona from YAML text; one-line errors name ``source``, the line and the field."""
    data, lines = _parse(text, source)
    try:
        persona = Persona.model_validate(data)
    except ValidationError as exc:
        raise _error(exc, lines, source) from None
    _check_moves(persona, lines, source)
    return persona


def _check_moves(persona: Persona, lines: dict[Location, int], source: str) -> None:
    known = move_book().moves
    for section in ("triggers", "soothers", "reactions"):
        for name in getattr(persona, section):
            if name not in known:
                line = _line_of((section, name), lines)
                where = f"{source}:{line}" if line else source
                raise PersonaError(
                    f"{where}: {section}.{name}: unknown move; known moves: {', '.join(sorted(known))}"
                )


def _parse(text: str, source: str) -> tuple[dict[str, Any], dict[Location, int]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise PersonaError(f"{source}{where}: not valid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise PersonaError(f"{source}:1: a persona must be a mapping (id:, title:, opening: …)")
    lines: dict[Location, int] = {}
    _index_lines(node, (), lines)
    return data, lines


def _error(exc: ValidationError, lines: dict[Location, int], source: str) -> PersonaError:
    first = exc.errors()[0]
    loc = tuple(first["loc"])
    line = _line_of(loc, lines)
    more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    where = f"{source}:{line}" if line else source
    message = first["msg"].removeprefix("Value error, ")
    return PersonaError(f"{where}: {_field(loc)}: {message}{more}")
