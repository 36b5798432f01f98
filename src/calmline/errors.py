"""The exception tree every calmline part raises; shells turn these into exit codes or HTTP errors.

CalmlineError
├── InputError            a transcript or draft calmline cannot read
│   └── TranscriptError   a transcript file: empty, unknown format, bad encoding, too large
├── PlaybookError         a playbook that does not validate (names file, line and field)
├── BudgetExceededError   analysis that ran past its time budget (nothing was recorded)
└── RegistryError         an unknown or duplicate component name
"""


class CalmlineError(Exception):
    """Base of every error calmline raises on purpose; its message is meant for the user."""


class InputError(CalmlineError):
    """Input calmline cannot work with."""


class TranscriptError(InputError):
    """A transcript that cannot be read: the message names the file and the reason."""


class PlaybookError(CalmlineError):
    """A playbook that does not validate: the message names the file, the line and the field."""


class RegistryError(CalmlineError):
    """An unknown or duplicate registered component name."""


class BudgetExceededError(CalmlineError):
    """Analysis that ran past the time budget its caller gave; nothing of it was recorded."""
