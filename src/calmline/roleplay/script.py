"""Reading a trainee script: one reply per line; blank lines and lines starting with '#' are skipped."""

from __future__ import annotations

from pathlib import Path

from calmline.errors import InputError
from calmline.sourcefile import read_text

MAX_SCRIPT_BYTES = 1_000_000
MAX_REPLY_CHARS = 5_000
MAX_REPLIES = 200


def read_script(path: Path) -> list[str]:
    """The trainee's replies in ``path``; a one-line InputError names the file (and line) when it cannot."""
    text = read_text(path, InputError, "script file", MAX_SCRIPT_BYTES)
    replies: list[tuple[int, str]] = [
        (number, line.strip())
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not replies:
        raise InputError(f"{path}: no replies; write one trainee reply per line")
    if len(replies) > MAX_REPLIES:
        raise InputError(f"{path}: {len(replies)} replies; at most {MAX_REPLIES}")
    for number, reply in replies:
        if len(reply) > MAX_REPLY_CHARS:
            raise InputError(f"{path}:{number}: a reply longer than {MAX_REPLY_CHARS} characters")
    return [reply for _, reply in replies]
