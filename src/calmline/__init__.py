"""calmline: a de-escalation copilot; this module is its curated public API.

    from calmline import Engine, Role, Turn, build_record, coach_draft, load_playbook

The engine, the coach, the records and the playbook loader are imported on first use (PEP 562):
importing them here would load the detectors' models and more than double what ``import calmline``
costs every program that only wants the model types or the errors.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from calmline.errors import CalmlineError, InputError, PlaybookError, RegistryError, TranscriptError
from calmline.model import (
    Alert,
    CoachReport,
    Conversation,
    ConversationAnalysis,
    CustomerState,
    Evidence,
    Finding,
    Guidance,
    Role,
    Signal,
    Turn,
    TurnAnalysis,
)

if TYPE_CHECKING:  # what the lazy names below are, for type checkers and editors
    from calmline.coach import coach_draft
    from calmline.engine.pipeline import Engine, Session
    from calmline.playbook import load_playbook
    from calmline.records.record import build_record

__version__ = "0.1.0"

_LAZY: dict[str, str] = {
    "Engine": "calmline.engine.pipeline",
    "Session": "calmline.engine.pipeline",
    "build_record": "calmline.records.record",
    "coach_draft": "calmline.coach",
    "load_playbook": "calmline.playbook",
}
"""The public names imported on first use, and the module each comes from."""

__all__ = [
    "Alert",
    "CalmlineError",
    "CoachReport",
    "Conversation",
    "ConversationAnalysis",
    "CustomerState",
    "Engine",
    "Evidence",
    "Finding",
    "Guidance",
    "InputError",
    "PlaybookError",
    "RegistryError",
    "Role",
    "Session",
    "Signal",
    "TranscriptError",
    "Turn",
    "TurnAnalysis",
    "__version__",
    "build_record",
    "coach_draft",
    "load_playbook",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups find it without coming here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
