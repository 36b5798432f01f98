"""Personal-data redaction: cards masked, CVVs, phones, emails, SSNs, IBANs and addresses replaced."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Any

from calmline.model import Redaction

__all__ = ["REDACTION_KINDS", "iban_valid", "luhn_valid", "redact", "redact_json", "redact_mapped"]

# Every kind a caller (or a tenant's settings) may ask for.
REDACTION_KINDS: tuple[str, ...] = ("card", "cvv", "phone", "email", "ssn", "iban", "address")
# The finders, in the order overlaps are settled (where two candidates cover the same characters the
# earlier one wins): an email holds digits, a "+44 …" number is surely a phone, an IBAN or a card holds
# phone-like groups, and a CVV is only a guess from context.
_PRIORITY: tuple[str, ...] = ("email", "iban", "plus_phone", "card", "ssn", "phone", "address", "cvv")

_Json = dict[str, Any] | list[Any] | tuple[Any, ...] | str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class _Found:
    start: int
    end: int
    kind: str
    replacement: str
    source: tuple[int, int] | None = None  # the span in the text as given, once the piece is replaced


# --- shared pieces -------------------------------------------------------------------------

# Nothing but an email (``@``) or a digit can be personal data here, except a CVV said in words.
_WORTH_A_LOOK = re.compile(r"[\d@]")

# The number right after an order or ticket reference is the reference: it must stay readable.
# Kept tight (the keyword must come immediately before) so "my case worker's number is …" is not one.
_REFERENCE_BEFORE = re.compile(
    r"\b(?:(?:order|tracking|invoice|ticket|case|ref|reference|confirmation|booking|reservation|"
    r"transaction|txn|shipment|awb|consignment|imei|serial|sku|asin|claim|policy|rma|(?<!caller\s)id)s?"
    r"(?:\s*(?:id|no\.?|num(?:ber)?|code))?"
    r"|(?:payment|refund|return|complaint|request|model|customer|member)\s*(?:id|no\.?|num(?:ber)?|"
    r"ref(?:erence)?))"
    r"\s*(?:(?:is|was|of|:|-)\s*)?#?\s*$",
    re.IGNORECASE,
)
_HASH_BEFORE = re.compile(r"#\s*$")
_REFERENCE_REACH = 40  # characters looked at before a number for its reference keyword


def _is_reference(text: str, start: int, *, bare_hash: bool = False) -> bool:
    """Whether the number starting at ``start`` is introduced as an order/ticket/… reference."""
    window = max(0, start - _REFERENCE_REACH)
    # Every keyword ends in a letter or "no."; most numbers (a list of them above all) have neither before.
    tail = text[window:start].rstrip(" \t\n#:-")[-1:]
    if (tail.isalpha() or tail == ".") and _REFERENCE_BEFORE.search(text, window, start):
        return True
    return bare_hash and _HASH_BEFORE.search(text, window, start) is not None


# --- email -----------------------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _emails(text: str) -> Iterator[_Found]:
    if "@" not in text:
        return
    for m in _EMAIL.finditer(text):
        yield _Found(m.start(), m.end(), "email", "[EMAIL]")


# --- IBAN ------------------------------------------------------------------------------------

# Length of the IBAN of each country in the SWIFT IBAN registry; the length keeps a spaced IBAN from
# swallowing the word after it, and a code outside the registry is not an IBAN.
_IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
    "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28, "TL": 23,
    "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip
_IBAN_START = re.compile(r"(?<![\w*])[A-Za-z]{2}\d{2}")


def iban_valid(iban: str) -> bool:
    """ISO 13616: the registry length for its country and the mod-97 check (spaces ignored)."""
    compact = iban.replace(" ", "").upper()
    if not compact.isascii() or not compact.isalnum() or len(compact) != _IBAN_LENGTHS.get(compact[:2]):
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _iban_end(text: str, start: int, length: int) -> int | None:
    """End of an IBAN of ``length`` characters starting at ``start``, single spaces allowed between."""
    count, i = 0, start
    while count < length and i < len(text):
        char = text[i]
        if char.isascii() and char.isalnum():
            count += 1
        elif not (char == " " and count and i + 1 < len(text) and text[i + 1].isalnum()):
            return None
        i += 1
    if count < length or (i < len(text) and (text[i].isalnum() or text[i] == "*")):
        return None
    return i


def _ibans(text: str) -> Iterator[_Found]:
    for m in _IBAN_START.finditer(text):
        length = _IBAN_LENGTHS.get(m.group()[:2].upper())
        end = _iban_end(text, m.start(), length) if length else None
        if end is not None and iban_valid(text[m.start() : end]):
            yield _Found(m.start(), end, "iban", "[IBAN]")


# --- payment cards ---------------------------------------------------------------------------

# Runs of digit groups joined by single spaces, dashes or dots; never the tail of a word, a decimal or a
# mask. (Here and below the look-behind follows the first digit: a pattern that starts with a plain
# character lets the regex engine skip ahead to candidates, several times faster on long turns.)
# Possessive: a run is read once. A trailing look-ahead here would make the engine give groups back one
# at a time from every group of a long run that ends in a letter (quadratic); ``_digit_runs`` trims instead.
_DIGIT_RUN = re.compile(r"\d(?<![\w*.,-]\d)\d*+(?:[ .-]\d++)*+")
_WORD_OR_MASK = re.compile(r"[\w*]")
_GROUP = re.compile(r"\d+")


# Every second digit from the right is doubled, and a two-digit result counts as the sum of its digits.
_LUHN_DOUBLED = str.maketrans("0123456789", "0246813579")


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum every payment card number carries in its last digit."""
    doubled = digits[-2::-2].translate(_LUHN_DOUBLED)
    return (sum(map(int, digits[-1::-2])) + sum(map(int, doubled))) % 10 == 0


def _mask_card(digits: str) -> str:
    """First six and last four digits kept (what PCI DSS allows to be shown), the rest starred."""
    return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]


def _digit_runs(text: str) -> Iterator[tuple[int, int]]:
    """Spans of digit-group runs; a group running on into a word or a mask is not part of its run."""
    for m in _DIGIT_RUN.finditer(text):
        start, end = m.span()
        if _WORD_OR_MASK.match(text, end):
            end = max(text.rfind(sep, start, end) for sep in " .-")
            if end < start:
                continue
        yield start, end


_CARD_DIGITS = range(13, 20)


def _card_ends(groups: list[str], first: int) -> list[int]:
    """Ends of the card-shaped runs of groups from ``first``: 13–19 digits, typed as cards are printed.

    Cards are printed 4-4-4-4, 4-6-5 (Amex), 4-4-4-4-3…: one group, or a first group of four, middle
    groups of four to six and a last of at most six (this keeps Amazon-style 3-7-7 order numbers
    readable). Growing the run stops as soon as it cannot become a card, so a run of thousands of
    groups costs linear time.
    """
    head = len(groups[first])
    if head in _CARD_DIGITS:
        return [first + 1]
    ends: list[int] = []
    digits = head
    for last in range(first + 2, len(groups) + 1 if head == 4 else first + 1):
        tail = len(groups[last - 1])
        digits += tail
        if digits > _CARD_DIGITS[-1] or tail > 6:
            break
        if digits in _CARD_DIGITS:
            ends.append(last)
        if tail < 4:  # only a last group may be this short
            break
    return ends


def _card_runs(groups: list[str]) -> Iterator[tuple[int, int]]:
    """Runs of whole groups that are Luhn-valid card numbers, leftmost then longest.

    All of them, not just the first: where one overlaps something surer (a "+44 …" phone number before
    it), the next may still be the card.
    """
    for first in range(len(groups)):
        # No card number starts with 0 (ISO/IEC 7812 gives that major industry digit to no issuer).
        if groups[first][0] == "0":
            continue
        for last in reversed(_card_ends(groups, first)):
            if luhn_valid("".join(groups[first:last])):
                yield first, last


def _cards(text: str, taken: bytearray) -> Iterator[_Found]:
    for run_start, run_end in _digit_runs(text):
        if run_end - run_start < 13:
            continue
        groups = list(_GROUP.finditer(text, run_start, run_end))
        resume = 0  # groups before this are inside a card already taken
        for first, last in _card_runs([g.group() for g in groups]):
            if first < resume:
                continue
            start, end = groups[first].start(), groups[last - 1].end()
            # An order number written as one run may pass Luhn by chance; a card typed in groups is a card.
            if last - first == 1 and _is_reference(text, start):
                continue
            digits = "".join(g.group() for g in groups[first:last])
            free = not any(taken[start:end])  # then the caller takes it, and nothing overlapping it after
            yield _Found(start, end, "card", _mask_card(digits))
            if free:
                resume = last
            # "4111 1111 1111 1111 737": three or four digits typed straight after a card are its code.
            if last == len(groups) - 1 and 3 <= len(groups[last].group()) <= 4:
                yield _Found(groups[last].start(), groups[last].end(), "cvv", "[CVV]")


# --- US social security numbers --------------------------------------------------------------

_SSN_DASHED = re.compile(r"\d(?<![\w*.+)-]\d)\d\d-\d{2}-\d{4}(?![\w*]|[.-]\d)")
_AFTER_A_NUMBER = re.compile(r"[\d+)][ .-]$")
# Spaced or run-together nine digits are only an SSN when the customer says so.
_SSN_LOOSE = re.compile(r"\d(?<![\w*.+)-]\d)(?<![\d+)][ .-]\d)\d\d( ?)\d{2}\1\d{4}(?![\w*]|[ .-]\d)")
_SSN_CUE = re.compile(
    r"\b(?:ssn|ss#|social(?:\s+security)?)(?:\s+(?:number|no\.?|#))?\s*(?:(?:is|it'?s|:|-)\s*)?$", re.I
)


def _ssns(text: str) -> Iterator[_Found]:
    previous_end = -1
    for m in _SSN_DASHED.finditer(text):
        # Not the tail of a phone number ("+44 (0) 000-00-0000"), unless what stands before it is the
        # SSN just found: a list of SSNs must not need one redaction pass per number.
        if _AFTER_A_NUMBER.match(text, max(0, m.start() - 2), m.start()) and previous_end != m.start() - 1:
            continue
        previous_end = m.end()
        yield _Found(m.start(), m.end(), "ssn", "[SSN]")
    for m in _SSN_LOOSE.finditer(text):
        if _SSN_CUE.search(text, max(0, m.start() - 40), m.start()):
            yield _Found(m.start(), m.end(), "ssn", "[SSN]")


# --- phone numbers ---------------------------------------------------------------------------

# A phone number neither starts inside a longer run of digit groups ("4000 0010 0000 0001", the
# look-behinds below) nor runs on into one (this look-ahead).
_PHONE_END = r"(?![\w*]|[.-]\d)"
_EXTENSION = r"(?:\s?(?:x|ext\.?)\s?\d{1,5})?"
_NANP = re.compile(
    r"(?=[+(\d])(?<![\w+*.-])(?<!\d[ .-])(?:\+?1[ .-]?)?(?:\(\d{3}\)[ .-]?|\d{3}[ .-]?)\d{3}[ .-]?\d{4}"
    + _EXTENSION
    + _PHONE_END
)
_LOCAL = re.compile(r"\d(?<![\w+*.-]\d)(?<!\d[ .-]\d)\d\d-\d{4}" + _PHONE_END)
# A national number with a trunk 0, as in the UK, India or Europe: "020 7946 0958", "07700 900123".
_TRUNK = re.compile(r"0(?<![\w+*.-]0)(?<!\d[ .-]0)\d{2,4}[ .-]?\d{3,4}[ .-]?\d{3,4}" + _PHONE_END)
# International: "+44 20 7946 0958", "+44 (0)20 7946 0958", "0044 20 7946 0958"; digits are counted after.
# At most 15 digits (E.164) plus a few brackets matter, so a long run is read no further than this.
_INTERNATIONAL_REACH = 24
_INTERNATIONAL = re.compile(
    rf"(?:\+(?<![\w+*.-]\+)\d|0(?<![\w+*.-]0)(?<!\d[ .-]0)0[1-9])(?:[ .-]?[\d()]){{0,{_INTERNATIONAL_REACH}}}"
)
_INTERNATIONAL_PIECE = re.compile(r"[\d()]+")
_NOT_DIGITS = str.maketrans("", "", "+() .-")  # what a match holds besides digits


def _international_end(text: str, m: re.Match[str]) -> int | None:
    """End of an E.164-sized number (8–15 digits after the prefix), dropping groups beyond 15 digits."""
    body = m.group()
    prefix_digits = 0 if body.startswith("+") else 2  # "0044 …": the 00 is not part of the number
    pieces = list(_INTERNATIONAL_PIECE.finditer(body))
    if _INTERNATIONAL_PIECE.match(text, m.end()):
        pieces.pop()  # the reach cut this group short: it is one of the groups beyond 15 digits
    while pieces:
        end = pieces[-1].end()
        candidate = body[:end].rstrip("(")
        digits = len(candidate.translate(_NOT_DIGITS)) - prefix_digits
        balanced = candidate.count("(") == candidate.count(")")
        if 8 <= digits <= 15 and balanced:
            after = m.start() + len(candidate)
            if after < len(text) and (text[after].isalnum() or text[after] == "*"):
                return None
            return after
        if digits < 8:
            return None
        pieces.pop()
    return None


def _international_phones(text: str, plus: bool) -> Iterator[_Found]:
    """International numbers written with a + (``plus``), or with 00."""
    for m in _INTERNATIONAL.finditer(text):
        if (text[m.start()] == "+") is not plus:
            continue
        end = _international_end(text, m)
        if end is not None and not _is_reference(text, m.start(), bare_hash=True):
            yield _Found(m.start(), end, "phone", "[PHONE]")


def _plus_phones(text: str) -> Iterator[_Found]:
    """International numbers written with a +, settled before cards (no card is written so)."""
    if "+" in text:
        yield from _international_phones(text, plus=True)


def _phones(text: str) -> Iterator[_Found]:
    # The "+" numbers were settled already; offered again they would meet the same pieces.
    yield from _international_phones(text, plus=False)
    for pattern in (_NANP, _TRUNK, _LOCAL):
        for m in pattern.finditer(text):
            if pattern is _TRUNK and not 10 <= sum(c.isdigit() for c in m.group()) <= 11:
                continue
            if not _is_reference(text, m.start(), bare_hash=True):
                yield _Found(m.start(), m.end(), "phone", "[PHONE]")


# --- card security codes ---------------------------------------------------------------------

# Not our own "[CVV]" placeholder: the customer did not name the code again, and reading it as a cue would
# make each redaction reveal the next number.
_CVV_CUE = re.compile(
    r"(?<!\[)\b(?:cvv2?|cvc2?|cvn|csc|card\s+(?:verification|security)(?:\s+(?:code|value|number))?"
    r"|(?<!social\s)security\s+(?:code|digits|number)"
    r"|(?:three|four|3|4)[\s-]+digits?(?:\s+(?:security\s+)?(?:code|number))?\s+(?:on|at|from|in)\s+the\s+back"
    r"|(?:code|number|digits)\s+(?:on|at|from|in)\s+the\s+back|back\s+of\s+(?:the|my|your)\s+card)\b",
    re.IGNORECASE,
)
_WORD_DIGIT = r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)"
# Three or four digits, possibly spaced out ("4 5 6") or said as words ("four five six"), standing alone:
# not part of a longer number, a price, a date ("12/2027"), a decimal or a time.
# A "[CVV]" placeholder counts as a code already given: the code nearest a cue stays the one redacted, so
# redacting it does not promote the next number to "the code" (redaction stays idempotent in one pass).
_CVV_PLACEHOLDER = "[CVV]"
_CVV_CODE = re.compile(
    r"(?-i:\[CVV\])|(?<![\w*$£€/.,])(?<!\b\d[ -])(?<!\d\d[ -])"
    rf"(?:\d(?:[ -]?\d){{2,3}}|{_WORD_DIGIT}(?:[\s,-]+{_WORD_DIGIT}){{2,3}})"
    r"(?![\w*%/]|[.,:]\d|[ -]\d)",
    re.IGNORECASE,
)
_CVV_AFTER = 40  # characters after a cue in which the code is looked for ("security code, it's 4 5 6")
_CVV_BEFORE = 20  # characters before a cue ("123 is the CVV")
_CVV_REPLY = 80  # characters at the start of a reply to a turn that asked for the code


def _cvv_after(
    codes: list[re.Match[str]], starts: list[int], anchor: int, reach: int
) -> re.Match[str] | None:
    """The first code starting within ``reach`` characters after ``anchor`` (``starts``: the codes' starts)."""
    i = bisect_left(starts, anchor)
    return codes[i] if i < len(codes) and codes[i].start() <= anchor + reach else None


def _cvv_before(codes: list[re.Match[str]], ends: list[int], anchor: int) -> re.Match[str] | None:
    """The last code ending at most ``_CVV_BEFORE`` characters before ``anchor``."""
    i = bisect_right(ends, anchor) - 1
    return codes[i] if i >= 0 and codes[i].end() >= anchor - _CVV_BEFORE else None


# Every cue holds one of these; checking for them first spares most turns the cue pattern.
_CVV_CUE_WORDS = ("cv", "csc", "secur", "verif", "back")


def _mentions_code(text: str | None) -> bool:
    if not text:
        return False
    lowered = text.lower()
    return any(word in lowered for word in _CVV_CUE_WORDS) and _CVV_CUE.search(text) is not None


def _cvvs(text: str, context: str | None) -> Iterator[_Found]:
    cues = list(_CVV_CUE.finditer(text)) if _mentions_code(text) else []
    asked_before = _mentions_code(context)
    if not cues and not asked_before:
        return
    codes = list(_CVV_CODE.finditer(text))
    if not codes:
        return
    starts, ends = [c.start() for c in codes], [c.end() for c in codes]
    chosen: list[re.Match[str] | None] = []
    if asked_before:  # "What's the security code?" / "It's 123.": any code opening the reply may be it
        chosen.extend(codes[: bisect_right(starts, _CVV_REPLY)])
    for cue in cues:
        after = _cvv_after(codes, starts, cue.end(), _CVV_AFTER)
        chosen.append(after or _cvv_before(codes, ends, cue.start()))
    for code in {c.start(): c for c in chosen if c is not None}.values():
        if code.group() != _CVV_PLACEHOLDER:
            yield _Found(code.start(), code.end(), "cvv", _CVV_PLACEHOLDER)


# --- street addresses ------------------------------------------------------------------------

_ADDRESS = re.compile(
    r"\d(?<!\w\d)\d{0,4}[A-Za-z]?\s+(?:[A-Z][a-z]+\s+){1,3}"
    r"(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|Boulevard|Blvd|Court|Ct|Way|Place|Pl"
    r"|Terrace|Crescent|Close|Parkway|Highway|Hwy)\b\.?"
)


def _addresses(text: str) -> Iterator[_Found]:
    for m in _ADDRESS.finditer(text):
        yield _Found(m.start(), m.end(), "address", "[ADDRESS]")


# --- redaction -------------------------------------------------------------------------------

# Each finder reads the text, the previous turn and what has been taken so far (only cards need the last).
_Finder = Callable[[str, str | None, bytearray], Iterator[_Found]]
_FINDERS: dict[str, _Finder] = {
    "email": lambda text, _, __: _emails(text),
    "iban": lambda text, _, __: _ibans(text),
    "plus_phone": lambda text, _, __: _plus_phones(text),
    "card": lambda text, _, taken: _cards(text, taken),
    "ssn": lambda text, _, __: _ssns(text),
    "phone": lambda text, _, __: _phones(text),
    "cvv": lambda text, context, _: _cvvs(text, context),
    "address": lambda text, _, __: _addresses(text),
}
_ALL_KINDS = frozenset(REDACTION_KINDS)
# A number straight after digits is not taken (it may be the tail of a longer one), so in "(000) 000-0000
# 001-01-0001 000-000-0000 …" each number shows only once the one before is known to be a piece: numbers
# that may follow a piece are looked for right after it, in a window wide enough for the longest phone.
_CHAINED: tuple[str, ...] = ("ssn", "phone")
_CHAIN_WINDOW = 64
_CHAIN_STARTS = frozenset("0123456789(+")
# Redacting can still reveal more ("… 0000 123 is the CVV": once the phone is a placeholder, 123 stands
# alone), so the redacted text is read again; a constant number of passes keeps the time linear.
_MAX_PASSES = 3


def _enabled(kinds: Collection[str] | None) -> frozenset[str]:
    if kinds is None:
        return _ALL_KINDS
    if isinstance(kinds, str):
        raise TypeError(f"kinds must be a collection of kind names such as ({kinds!r},), not a string")
    unknown = sorted(set(kinds) - _ALL_KINDS)
    if unknown:
        raise ValueError(f"unknown redaction kind {unknown[0]!r}; known kinds: {', '.join(REDACTION_KINDS)}")
    return frozenset(kinds)


def _find(text: str, context: str | None) -> list[_Found]:
    """Every piece of personal data in ``text``, overlaps settled in ``_PRIORITY`` order."""
    if not _WORTH_A_LOOK.search(text):
        return list(_cvvs(text, context))  # a code read out in words is the only possibility left
    taken: list[_Found] = []
    used = bytearray(len(text))  # 1 where a piece is taken: overlap checks cost a piece's length, not the count
    for finder in _PRIORITY:
        for found in _FINDERS[finder](text, context, used):
            if not any(used[found.start : found.end]):
                taken.append(found)
                used[found.start : found.end] = b"\x01" * (found.end - found.start)
    _follow_chains(text, taken, used)
    return taken


def _follow_chains(text: str, taken: list[_Found], used: bytearray) -> None:
    """Add the numbers written straight after a piece, and after those, as if the piece were replaced."""
    pending = [f for f in taken if f.kind != "card"]  # a masked card still ends in digits
    while pending:
        piece = pending.pop()
        follower = _follower(text, piece.end)
        if follower is not None and not any(used[follower.start : follower.end]):
            taken.append(follower)
            used[follower.start : follower.end] = b"\x01" * (follower.end - follower.start)
            pending.append(follower)


def _follower(text: str, end: int) -> _Found | None:
    """A phone or SSN starting after one separator at ``end``, read as if a placeholder ended there."""
    # After a dot or a dash no number is taken even past a placeholder; only a space lets one follow.
    if text[end : end + 2].removeprefix(" ")[:1] not in _CHAIN_STARTS:
        return None
    window = "]" + text[end : end + _CHAIN_WINDOW]  # "]" stands for the placeholder's last character
    whole = end + _CHAIN_WINDOW >= len(text)
    for kind in _CHAINED:
        for found in _FINDERS[kind](window, None, bytearray(len(window))):
            # Only a number right after the piece, and one the window did not cut short.
            if found.start <= 2 and (whole or found.end < len(window)):
                shift = end - 1
                return _Found(found.start + shift, found.end + shift, found.kind, found.replacement)
    return None


def redact(
    text: str, kinds: Collection[str] | None = None, context: str | None = None
) -> tuple[str, list[Redaction]]:
    """Replace personal data in ``text``; report the replacements' spans in the redacted text.

    Valid card numbers are masked to their first six and last four digits; everything else becomes a
    ``[KIND]`` placeholder. ``kinds`` limits what is redacted (``None``: every kind in
    ``REDACTION_KINDS``). ``context`` is the previous turn's text: when it asked for the card security
    code, a code at the start of ``text`` is redacted even though ``text`` does not name it.
    A number introduced as an order, ticket or transaction reference stays readable. Every kind is detected even when only some are redacted, so that e.g. a card number left alone is
    not mistaken in part for a phone number.
    """
    redacted, redactions, _ = redact_mapped(text, kinds, context)
    return redacted, redactions


def redact_mapped(
    text: str, kinds: Collection[str] | None = None, context: str | None = None
) -> tuple[str, list[Redaction], list[tuple[int, int]]]:
    """``redact``, and for each redaction the span of what it replaced in ``text`` as given."""
    enabled = _enabled(kinds)
    if not enabled:
        return text, [], []
    done: list[_Found] = []  # replacements made so far, at their place in the current text
    for _ in range(_MAX_PASSES):
        redacted = bytearray(len(text))
        for d in done:
            redacted[d.start : d.end] = b"\x01" * (d.end - d.start)
        new = [f for f in _find(text, context) if f.kind in enabled and not any(redacted[f.start : f.end])]
        if not new:
            break
        text, done = _replace(text, done + new)
    redactions = [Redaction(kind=d.kind, span=(d.start, d.end)) for d in done]
    return text, redactions, [d.source for d in done if d.source is not None]


def _replace(text: str, pieces: list[_Found]) -> tuple[str, list[_Found]]:
    """``text`` with each piece replaced, and the pieces at their place in the new text.

    Pieces replaced in an earlier pass keep their source span; a new one's is its span here moved by
    what the earlier replacements before it changed in length.
    """
    out: list[str] = []
    placed: list[_Found] = []
    cursor = length = shift = 0  # shift: offset in the text as given minus offset in ``text``
    for piece in sorted(pieces, key=lambda p: p.start):
        out.append(text[cursor : piece.start])
        length += piece.start - cursor
        source = piece.source or (piece.start + shift, piece.end + shift)
        shift = source[1] - piece.end
        placed.append(_Found(length, length + len(piece.replacement), piece.kind, piece.replacement, source))
        out.append(piece.replacement)
        length += len(piece.replacement)
        cursor = piece.end
    out.append(text[cursor:])
    return "".join(out), placed


def redact_json(value: _Json, kinds: Collection[str] | None = None) -> _Json:
    """A copy of a JSON-like value with every string redacted; keys, numbers and booleans kept as they are."""
    enabled = _enabled(kinds)  # validated once, not per string
    if isinstance(value, str):
        return redact(value, enabled)[0]
    if isinstance(value, dict):
        return {key: redact_json(item, enabled) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact_json(item, enabled) for item in value)
    return value
