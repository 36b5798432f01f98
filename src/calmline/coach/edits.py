"""Rewrites as edits of a draft: sentence surgery, tidy punctuation, and mapping back past redaction."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from calmline.engine.text import STOPWORDS, WORD

Replacement = str | Callable[[str], str]
"""New text for a span: fixed words, or a function of the span's current text."""


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace ``text[start:end]``; a callable replacement is given the text it replaces.

    Callables let a rewrite be applied to the un-redacted draft: "drop the hedge from this
    sentence" works the same whether the sentence holds ``[PHONE]`` or the real number.
    """

    start: int
    end: int
    replacement: Replacement


Rewrite = tuple[Edit, ...]


def apply(text: str, edits: Sequence[Edit]) -> str:
    """``text`` with non-overlapping ``edits`` applied, then tidied."""
    out, cursor = [], 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start < cursor:
            continue  # overlapping edits: the first one wins
        out.append(text[cursor : edit.start])
        old = text[edit.start : edit.end]
        out.append(edit.replacement(old) if callable(edit.replacement) else edit.replacement)
        cursor = edit.end
    out.append(text[cursor:])
    return tidy("".join(out))


# --- sentences -----------------------------------------------------------------------------


def words(text: str) -> int:
    return len(WORD.findall(text))


def drop_sentence(text: str, span: tuple[int, int]) -> Edit:
    """Remove a sentence and the space after it."""
    start, end = span
    while end < len(text) and text[end] in " \t":
        end += 1
    return Edit(start, end, "")


def replace_sentence(span: tuple[int, int], new: str) -> Edit:
    return Edit(span[0], span[1], new)


def insert_before(position: int, new: str) -> Edit:
    return Edit(position, position, new + " ")


# --- clauses -------------------------------------------------------------------------------

# Where one clause of a sentence ends and the next begins: a comma, semicolon, colon or dash, or a word
# that opens a clause ("so", "because", "which means"; "and" only before a new subject: "and I'll").
CLAUSE_BREAK = re.compile(
    r"\s*[,;:]\s+|\s+[—–-]\s+|\s*[—–]\s*"
    r"|\s+(?=(?:but|so|because|since|although|though|which|otherwise|whereas|"
    r"and (?:so |then )?(?:I|I'll|I've|I'm|we|we'll|we've|we're|you'll|it|it'll|it's|your|the|this|that))\b)",
    re.IGNORECASE,
)
# A link word left at the front once the clause it tied to has gone: "(…), so the parcel went back".
LEADING_LINK = re.compile(
    r"^(?:(?:but|so|and|as|because|since|although|though|which (?:means|is why)|which|otherwise|whereas|then|"
    r"that'?s why|this means|however|unfortunately|sadly)\b[\s,]*)+",
    re.IGNORECASE,
)
FINAL_MARK = re.compile(r"[.!?…]+$")
MIN_CLAUSE_WORDS = 3


def clauses(sentence: str) -> list[tuple[int, int]]:
    """The clauses of ``sentence`` as spans, without the separators between them or the final mark."""
    final = FINAL_MARK.search(sentence)
    body_end = final.start() if final else len(sentence)
    spans, cursor = [], 0
    for m in CLAUSE_BREAK.finditer(sentence, 0, body_end):
        if m.start() > cursor:
            spans.append((cursor, m.start()))
        cursor = max(cursor, m.end())
    if cursor < body_end:
        spans.append((cursor, body_end))
    return spans


def without_clause(sentence: str, start: int, end: int) -> str | None:
    """``sentence`` without the clauses that overlap ``sentence[start:end]``; None if too little is left.

    The rest keeps its own words; a clause that followed a removed one loses its link word ("…,
    so the parcel went back" → "The parcel went back") and takes the separator the kept clause
    before it had ("Sorry, we can't change it because it shipped" → "Sorry, it shipped"). The
    sentence keeps its final mark.
    """
    parts = clauses(sentence)
    gone = [not (e <= start or s >= end) for s, e in parts]
    if all(gone) or not any(gone):
        return None
    pieces: list[str] = []
    previous = -1  # the last clause kept
    for i, (s, e) in enumerate(parts):
        if gone[i]:
            continue
        clause = sentence[s:e]
        if i > 0 and gone[i - 1]:
            clause = LEADING_LINK.sub("", clause)
        if previous >= 0:
            clause = sentence[parts[previous][1] : parts[previous + 1][0]] + clause
        pieces.append(clause)
        previous = i
    rest = LEADING_LINK.sub("", "".join(pieces).strip())
    if words(rest) < MIN_CLAUSE_WORDS:
        return None
    final = FINAL_MARK.search(sentence)
    return capitalise_first(tidy(rest.rstrip(" ,;:—–-") + (final.group() if final else ".")))


def cutting(quote: str) -> Callable[[str], str]:
    """A replacement that takes the clause holding ``quote`` out of the sentence it is given.

    Found by its words, like ``without_quotes``, so it works on the agent's own (un-redacted) text;
    if the clause cannot go, the sentence comes back unchanged and the re-check turns the rewrite down.
    """

    def cut(sentence: str) -> str:
        at = sentence.find(quote)
        if at < 0:
            return sentence
        return without_clause(sentence, at, at + len(quote)) or sentence

    return cut


# --- tidying -------------------------------------------------------------------------------

SPACES = re.compile(r"[ \t]{2,}")
# Only from the start of a run of spaces: tried from inside one it re-read the run (quadratic).
SPACE_BEFORE_PUNCT = re.compile(r"(?<![ \t])[ \t]+([,.!?;:])")
LEADING_PUNCT = re.compile(r"^[\s,;:—–-]+")
DOUBLE_PUNCT = re.compile(r"([,;:])\s*([.!?])|,\s*,")
PIECE_START = re.compile(r"(^|[.!?]\s+)([a-z])")


def capitalise_first(text: str) -> str:
    """Upper-case the first letter of ``text`` (after any leading spaces or quotes)."""
    for i, char in enumerate(text):
        if char.isalpha():
            return text[:i] + char.upper() + text[i + 1 :]
    return text


# Words that start a sentence without being names, so they can follow a prefix in lower case.
ORDINARY_STARTERS = STOPWORDS | {
    "thanks",
    "thank",
    "sorry",
    "let",
    "please",
    "unfortunately",
    "sadly",
    "actually",
    "okay",
    "ok",
    "sure",
    "great",
    "right",
    "well",
    "yes",
    "no",
    "once",
    "because",
    "since",
    "until",
    "while",
    # Imperatives an agent often starts with.
    "calm",
    "just",
    "hold",
    "give",
    "bear",
    "try",
    "check",
    "don't",
    "relax",
}


def lower_first(text: str) -> str:
    """Lower-case the first word when it is an ordinary word ("We can…"), not "I" or a name."""
    m = re.match(r"\s*([A-Za-z][A-Za-z']*)", text)
    if (
        not m
        or m.group(1).lower() not in ORDINARY_STARTERS
        or m.group(1) in {"I", "I'm", "I've", "I'll", "I'd"}
    ):
        return text
    return text[: m.start(1)] + m.group(1)[0].lower() + text[m.start(1) + 1 :]


def tidy(text: str, sentence_case: bool = False) -> str:
    """Clean up what edits leave behind: doubled spaces, stray commas (and, if asked, sentence case).

    Sentence case is only for text calmline wrote; the agent's own lower-case chat style is theirs.
    """
    text = SPACES.sub(" ", text)
    text = SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = DOUBLE_PUNCT.sub(lambda m: m.group(2) or ",", text)
    text = LEADING_PUNCT.sub("", text)
    if sentence_case:
        text = PIECE_START.sub(lambda m: m.group(1) + m.group(2).upper(), text)
    return text.strip()


def without_quotes(quotes: Sequence[str]) -> Callable[[str], str]:
    """A replacement that strips these phrases from the sentence it is given.

    It finds the phrases by their words rather than by offset, so it works on the agent's own
    text, where a redacted placeholder may have had a different length.
    """

    def strip(sentence: str) -> str:
        spans, cursor = [], 0
        for quote in quotes:
            at = sentence.find(quote, cursor)
            if at >= 0:
                spans.append((at, at + len(quote)))
                cursor = at + len(quote)
        return strip_phrases(sentence, spans)

    return strip


def strip_phrases(sentence: str, phrases: Sequence[tuple[int, int]]) -> str:
    """``sentence`` without the phrases at the given spans (relative to it), tidied."""
    out, cursor = [], 0
    for start, end in sorted(phrases):
        if start < cursor:
            continue
        out.append(sentence[cursor:start])
        cursor = end
        # Swallow the comma or dash that tied the phrase to the rest ("As I said, the…").
        tail = re.match(r"\s*[,—–-]?\s*", sentence[cursor:])
        if tail:
            cursor += tail.end()
    out.append(sentence[cursor:])
    return capitalise_first(tidy(" ".join(p.strip() for p in out if p.strip())))


# --- redaction -----------------------------------------------------------------------------


class OffsetMap:
    """Maps offsets in a redacted text back to the original text it was made from.

    ``pieces`` pairs each replacement's span in the redacted text with the span it replaced in the
    original, in order; a placeholder maps to the whole original piece. Lookups are by bisection, so
    a draft full of redacted numbers costs no more than a plain one.
    """

    def __init__(self, pieces: Sequence[tuple[tuple[int, int], tuple[int, int]]] = ()) -> None:
        self.redacted = [redacted for redacted, _ in pieces]
        self.original = [original for _, original in pieces]
        self.starts = [start for start, _ in self.redacted]

    def start(self, offset: int) -> int:
        i = bisect_right(self.starts, offset) - 1  # the last piece starting at or before the offset
        if i >= 0 and offset < self.redacted[i][1]:
            return self.original[i][0]
        return self._after(i, offset)

    def end(self, offset: int) -> int:
        i = bisect_left(self.starts, offset) - 1  # the last piece starting before the offset
        if i >= 0 and offset <= self.redacted[i][1]:
            return self.original[i][1]
        return self._after(i, offset)

    def _after(self, i: int, offset: int) -> int:
        """``offset`` in the unchanged text after piece ``i`` (none: -1)."""
        return offset if i < 0 else offset + self.original[i][1] - self.redacted[i][1]

    def edit(self, edit: Edit) -> Edit:
        if edit.start == edit.end:
            position = self.start(edit.start)
            return Edit(position, position, edit.replacement)
        return Edit(self.start(edit.start), self.end(edit.end), edit.replacement)
