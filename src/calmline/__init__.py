"""calmline: a de-escalation copilot; this module is its curated public API."""

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

__version__ = "0.1.0"

__all__ = [
    "Alert",
    "CalmlineError",
    "CoachReport",
    "Conversation",
    "ConversationAnalysis",
    "CustomerState",
    "Evidence",
    "Finding",
    "Guidance",
    "InputError",
    "PlaybookError",
    "RegistryError",
    "Role",
    "Signal",
    "TranscriptError",
    "Turn",
    "TurnAnalysis",
    "__version__",
]
