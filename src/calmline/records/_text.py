"""Text helpers of records: sentences that survive "Mr.", "No. 12", "e.g." and "$84.99", evidence for a sentence."""

from __future__ import annotations

import re
from functools import lru_cache

from calmline.engine.text import Span, Spans
from calmline.model import Evidence

# No sentence-splitting library is a dependency (pysbd, NLTK's punkt and spaCy would each be added for
# this alone), so records split with one pass of a regular expression and an abbreviation list.
# Where it cannot tell, it joins rather than splits ("on Baker St. The parcel…", "plan B. Then…" stay
# one sentence): a long quote is shortened at a word boundary, a quote cut at "Mr." says nothing.
#
# A candidate end is a run of . ! ? (and any closing quote or bracket after it) before white space or
# the end, or a line break. A run is tried from its start only: tried from inside a long run of "!?"
# not followed by a space, it re-read the rest of the run each time (quadratic).
END_MARK = re.compile(r"(?<![.!?])[.!?]++[\"'’”)\]]*+(?=\s|$)|\n+")
CLOSERS = "\"'’”)]"
OPENERS = "\"'‘“("  # not "[": a redaction placeholder such as "[PHONE]" starts with it
NEXT_WORD = re.compile(r"\s+(\S{1,20})")
LONGEST_ABBREVIATION = 8  # "messrs", "approx", "e.g", "a.m": a longer word before a full stop is not one

# Abbreviations whose full stop is never a sentence end: they stand before a name or explain what follows.
NEVER_ENDS = frozenset(
    {"mr", "mrs", "ms", "mx", "messrs", "dr", "prof", "rev", "fr", "st", "mt", "hon", "capt", "sgt", "lt",
     "col", "gen", "gov", "sen", "e.g", "i.e", "eg", "ie", "approx", "vs", "cf", "viz", "ca", "incl", "esp"}
)  # fmt: skip
# Abbreviations that stand before a number: "No. 12" goes on, while "No. I never got it." is two sentences.
BEFORE_NUMBERS = frozenset(
    {"no", "nos", "nr", "ref", "tel", "ext", "vol", "fig", "pg", "pp", "p", "art", "sec", "ch", "apt", "acct"}
)
# Abbreviations that may also close a sentence: they end one only when a capital letter follows.
MAY_END = frozenset({"etc", "jr", "sr", "inc", "ltd", "co", "corp", "plc", "llc", "a.m", "p.m"})
# "5 p.m. Friday" and "10 a.m. tomorrow" are one sentence: a day or month after a time of day goes on.
CALENDAR_WORDS = frozenset(
    {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february",
     "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
     "today", "tomorrow", "tonight", "on", "at", "sharp"}
)  # fmt: skip
DOTTED = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]")  # "U.K", "a.m": letters with full stops between
MAX_QUOTE = 200


def sentence_spans(text: str) -> tuple[Span, ...]:
    """Sentence spans, without surrounding white space; a full stop inside "84.99" ends nothing."""
    return sentence_index(text).spans


def sentence_around(text: str, position: int) -> Span:
    """The sentence that holds ``position``, else the whole text."""
    return sentence_index(text).at(position)


def sentences_from(text: str, position: int) -> tuple[Span, ...]:
    """The sentences that start at or after ``position``."""
    return sentence_index(text).from_(position)


@lru_cache(maxsize=64)
def sentence_index(text: str) -> Spans:
    """The sentences of ``text``, split once: records ask for the sentence of each promise and step."""
    spans, start = [], 0
    for end_mark in END_MARK.finditer(text):
        if _ends_sentence(text, end_mark):
            spans.append((start, end_mark.end()))
            start = end_mark.end()
    spans.append((start, len(text)))
    out = []
    for s, e in spans:
        stripped = text[s:e]
        lead = len(stripped) - len(stripped.lstrip())
        s, e = s + lead, s + len(stripped.rstrip())
        if e > s:
            out.append((s, e))
    return Spans(out, len(text))


def _ends_sentence(text: str, end_mark: re.Match[str]) -> bool:
    """Whether a candidate end is one: a lone full stop after an abbreviation or an initial is not."""
    if end_mark.group().rstrip(CLOSERS) != ".":
        return True  # a line break, "!", "?", or an ellipsis
    following = NEXT_WORD.match(text, end_mark.end())
    if following is None:
        return True  # the end of the text
    return _ends_after(_word_before(text, end_mark.start()), following.group(1).lstrip(OPENERS))


def _word_before(text: str, stop: int) -> str:
    """The word just before the full stop at ``stop`` ("" when longer than any abbreviation)."""
    start = max(0, stop - LONGEST_ABBREVIATION - 1)
    word = text[start:stop].split()[-1:] if stop > start else []
    if not word or (start > 0 and len(word[0]) > LONGEST_ABBREVIATION):
        return ""
    return word[0].lstrip(OPENERS)


def _ends_after(word: str, next_word: str) -> bool:
    """Whether ``word`` followed by a full stop ends its sentence, given the word after it."""
    key = word.lower()
    starts_capital = next_word[:1].isupper()
    if key in NEVER_ENDS:
        return False
    if key in BEFORE_NUMBERS:
        # "[" is a redaction placeholder in place of the number: "No. [ADDRESS]".
        return not next_word[:1].isdigit() and next_word[:1] not in "#["
    if key in ("a.m", "p.m") and next_word.lower().strip(",.;:!?") in CALENDAR_WORDS:
        return False
    if key in MAY_END or DOTTED.fullmatch(word):
        return starts_capital
    if len(word) == 1 and word.isupper() and word != "I":
        return not starts_capital  # an initial: "J. R. Okafor"; "so did I. Then…" ends
    return True


def span_evidence(turn: int, text: str, start: int, end: int) -> Evidence:
    end = min(end, start + MAX_QUOTE)
    return Evidence(turn=turn, span=(start, end), quote=text[start:end])


def sentence_evidence(turn: int, text: str, evidence: Evidence) -> Evidence:
    """The whole sentence that holds ``evidence``."""
    start, end = sentence_around(text, evidence.span[0])
    return span_evidence(turn, text, start, end)


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, within ``limit`` characters: cut at a word boundary, with "…" when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    boundary = cut.rfind(" ")
    if boundary > 0:
        cut = cut[:boundary]
    return cut.rstrip(" ,;:-–—") + "…"


THIRD_PERSON = (
    (re.compile(r"\byour\b"), "their"),
    (re.compile(r"\byou were\b"), "they were"),
    (re.compile(r"\byou\b"), "them"),
)


def third_person(label: str) -> str:
    """A label addressed to the customer ("your delivery") as said about them ("their delivery")."""
    for pattern, replacement in THIRD_PERSON:
        label = pattern.sub(replacement, label)
    return label
