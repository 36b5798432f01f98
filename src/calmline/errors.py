"""The exception tree every calmline part raises; shells turn these into exit codes or HTTP errors.

CalmlineError
├── InputError            a transcript, draft, file or record calmline cannot read
│   ├── TranscriptError   a transcript file: empty, unknown format, bad encoding, too large
│   ├── PersonaError      a role-play persona file that does not validate (names file, line and field)
│   ├── ContactLensError  an Amazon Connect Contact Lens file that is no conversation (also a ValueError)
│   ├── RecordError       one JSONL line ``calmline detect`` cannot score (also a ValueError)
│   └── StrictModeError   ``--strict`` scoring met a line it would have skipped
├── PlaybookError         a playbook that does not validate (names file, line and field)
├── BudgetExceededError   analysis that ran past its time budget (nothing was recorded)
├── RegistryError         an unknown or duplicate component name
├── ModelError            shipped model files missing, unreadable or disagreeing
├── RecordScoringError    the engine failed on a record: a bug, named by its line (also a RuntimeError)
├── NotFoundError         no such thing for this tenant (HTTP 404)
├── ConflictError         the request clashes with the current state (HTTP 409)
└── NotAllowedError       the key's role may not do this to that thing (HTTP 403)

Where an error was a ValueError or RuntimeError before it joined this tree it still is one, so code
that catches those keeps working.

This module imports nothing from the rest of calmline, so any part can raise these without a cycle.
"""


class CalmlineError(Exception):
    """Base of every error calmline raises on purpose; its message is meant for the user."""


class InputError(CalmlineError):
    """Input calmline cannot work with."""


class TranscriptError(InputError):
    """A transcript that cannot be read: the message names the file and the reason."""


class PersonaError(InputError):
    """A persona file that does not validate: the message names the file, the line and the field."""


class ContactLensError(InputError, ValueError):
    """A Contact Lens file calmline cannot turn into a conversation; the message says why."""


class RecordError(InputError, ValueError):
    """One input line that cannot be scored; ``kind`` groups it in the summary."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


class StrictModeError(InputError):
    """``strict`` scoring met a line it had to skip: ``line`` is its 1-based number, the message says why."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


class PlaybookError(CalmlineError):
    """A playbook that does not validate: the message names the file, the line and the field."""


class RegistryError(CalmlineError):
    """An unknown or duplicate registered component name."""


class BudgetExceededError(CalmlineError):
    """Analysis that ran past the time budget its caller gave; nothing of it was recorded."""


class ModelError(CalmlineError):
    """Shipped model files that are missing, unreadable or do not agree with each other."""


class RecordScoringError(CalmlineError, RuntimeError):
    """The engine failed on a record: a bug, reported with the line that triggered it.

    Not the user's mistake, so the CLI reports it as an internal error (exit code 70), not as bad input.
    """


class NotFoundError(CalmlineError):
    """No such thing for this tenant (another tenant's things are not found either)."""


class ConflictError(CalmlineError):
    """The request clashes with the current state: a closed conversation, a reused turn id."""


class NotAllowedError(CalmlineError):
    """The key's role may use role-play, but not for this: an agent asking about another trainee."""
