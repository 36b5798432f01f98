"""Loading personas and the move book: shipped YAML, a company's folder, errors naming file, line and field."""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from calmline.errors import PersonaError
from calmline.model import PracticeId
from calmline.roleplay.persona import Persona
from calmline.sourcefile import LineIndex, invalid, located, parse_mapping, read_text

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
        raise invalid(exc, lines, "<package>/moves.yaml", PersonaError) from None


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
    return parse_persona(read_text(path, PersonaError, "persona file", MAX_PERSONA_BYTES), str(path))


def parse_persona(text: str, source: str) -> Persona:
    """A persona from YAML text; one-line errors name ``source``, the line and the field."""
    data, lines = _parse(text, source)
    try:
        persona = Persona.model_validate(data)
    except ValidationError as exc:
        raise invalid(exc, lines, source, PersonaError) from None
    _check_moves(persona, lines, source)
    return persona


def _check_moves(persona: Persona, lines: LineIndex, source: str) -> None:
    known = move_book().moves
    for section in ("triggers", "soothers", "reactions"):
        for name in getattr(persona, section):
            if name not in known:
                where = located(source, (section, name), lines)
                raise PersonaError(
                    f"{where}: {section}.{name}: unknown move; known moves: {', '.join(sorted(known))}"
                )


def _parse(text: str, source: str) -> tuple[dict[str, Any], LineIndex]:
    return parse_mapping(text, source, PersonaError, "persona", "a mapping (id:, title:, opening: …)")
