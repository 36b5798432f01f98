"""Reading a trainee script: one reply per line; blank lines and lines starting with '#' are skipped."""

from __future__ import annotations

from pathlib import Path

from calmline.errors import InputError

MAX_SCRIPT_BYTES = 1_000_000
MAX_REPLY_CHARS = 5_000
MAX_REPLIES = 200


def read_script(path: Path) -> list[str]:
    """The trainee's replies in ``path``; a one-line InputError names the file (and line) when it cannot."""
    try:
        if path.stat().st_size > MAX_SCRIPT_BYTES:
            raise InputError(f"{path}: larger than {MAX_SCRIPT_BYTES} bytes; a script is one reply per line")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such script file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a script file") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
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
