"""Personal-data redaction: emails, card and phone numbers, street addresses become placeholders."""

from __future__ import annotations

import re

from calmline.model import Redaction

# Order matters: a card number would also match the phone pattern, an email contains digits.
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("EMAIL", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("CARD", re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")),
    (
        "PHONE",
        re.compile(
            r"(?<![\w])(?:\+?\d{1,3}[ .-]?)?(?:\(\d{3}\)|\d{3})[ .-]?\d{3}[ .-]?\d{4}(?!\d)"
            r"|(?<![\w-])\d{3}-\d{4}(?![\w-])"
        ),
    ),
    ("SSN", re.compile(r"(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)")),
    (
        "ADDRESS",
        re.compile(
            r"\b\d{1,5}[A-Za-z]?\s+(?:[A-Z][a-z]+\s+){1,3}"
            r"(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|Boulevard|Blvd|Court|Ct|Way|Place|Pl"
            r"|Terrace|Crescent|Close|Parkway|Highway|Hwy)\b\.?"
        ),
    ),
]


def redact(text: str) -> tuple[str, list[Redaction]]:
    """Replace personal data in ``text`` with ``[KIND]`` placeholders; report where they are."""
    matches: list[tuple[int, int, str]] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if not any(s < m.end() and m.start() < e for s, e, _ in matches):
                matches.append((m.start(), m.end(), kind))
    if not matches:
        return text, []
    matches.sort()
    out: list[str] = []
    redactions: list[Redaction] = []
    cursor = 0
    length = 0
    for start, end, kind in matches:
        out.append(text[cursor:start])
        length += start - cursor
        placeholder = f"[{kind}]"
        redactions.append(Redaction(kind=kind.lower(), span=(length, length + len(placeholder))))
        out.append(placeholder)
        length += len(placeholder)
        cursor = end
    out.append(text[cursor:])
    return "".join(out), redactions
