"""Redaction of cards, CVVs, phones, emails, SSNs, IBANs and addresses; order/ticket numbers kept or [ID]."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from calmline.model import Redaction

__all__ = [
    "OPTIONAL_KINDS",
    "REDACTION_KINDS",
    "iban_valid",
    "luhn_valid",
    "redact",
    "redact_json",
    "redact_mapped",
]

# The kinds of personal data, all redacted unless a caller (or a tenant's settings) names fewer.
REDACTION_KINDS: tuple[str, ...] = ("card", "cvv", "phone", "email", "ssn", "iban", "address")
# Kinds redacted only when a caller names them: "identifier" turns order, ticket, case, tracking, invoice
# and account numbers into "[ID]" (by default they stay readable, for the agent to act on).
OPTIONAL_KINDS: tuple[str, ...] = ("identifier",)
# The finders, in the order overlaps are settled (where two candidates cover the same characters the
# earlier one wins): an email holds digits, a "+44 …" number is surely a phone, an IBAN or a card holds
# phone-like groups, an SSN's shape is surer than a cue before it, a number introduced as an order or
# ticket number is not a phone, and a CVV is only a guess from context.
_PRIORITY: tuple[str, ...] = (
    "email", "iban", "plus_phone", "card", "ssn", "identifier", "phone", "address", "cvv",
)  # fmt: skip

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


def _cards(text: str, taken: bytearray, identifier_starts: Collection[int]) -> Iterator[_Found]:
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
            if last - first == 1 and start in identifier_starts:
                continue
            digits = "".join(g.group() for g in groups[first:last])
            free = not any(taken[start:end])  # then the caller takes it, and nothing overlapping it after
            yield _Found(start, end, "card", _mask_card(digits))
            if free:
                resume = last
            # "4111 1111 1111 1111 737": three or four digits typed straight after a card are its code.
            if last == len(groups) - 1 and 3 <= len(groups[last].group()) <= 4:
                yield _Found(groups[last].start(), groups[last].end(), "cvv", "[CVV]")


# --- order, ticket and other reference numbers ---------------------------------------------

# Order, ticket, case, tracking, invoice or account numbers are identifiers, not personal data: they stay
# readable (an agent needs them) unless the caller asks for this kind, and then become "[ID]". They are
# found even when they stay, so that a 10-digit order number is not taken for a phone number.

# Nouns that introduce a reference number on their own: "order 3348917502", "case 12345".
_REFERENCE_NOUNS = (
    "order", "tracking", "invoice", "ticket", "case", "ref", "reference", "confirmation", "booking",
    "reservation", "transaction", "txn", "shipment", "awb", "consignment", "waybill", "imei", "serial",
    "sku", "asin", "claim", "policy", "rma", "incident", "account", "acct",
)  # fmt: skip
# Nouns that introduce one only with a marker: "payment ID 8812", never "a payment 5000".
_MARKED_NOUNS = (
    "payment", "refund", "return", "complaint", "request", "model", "customer", "member", "membership",
    "loyalty", "subscription", "contract", "delivery", "parcel", "package", "receipt", "po", "job",
)  # fmt: skip
_NOUNS = frozenset((*_REFERENCE_NOUNS, *_MARKED_NOUNS, "id"))
# A payment card number is often given as an account or membership number: a Luhn-valid card after these
# (or after a bare "#") is a card. After "order" it is an order number that passes Luhn by chance.
_CARD_HOLDING_NOUNS = frozenset({"account", "acct", "customer", "member", "membership", "loyalty", "#"})
# "in case it is …", "in order to …": idioms, unless the number follows the noun at once ("in order 123").
_IDIOMS = frozenset({"case", "order"})

_MARKER = r"(?:\#|ids?\b|nos?\b\.?|nr\b\.?|num\b\.?|numbers?\b|code\b|ref\b\.?|reference\b)"
# Alternations of words and two bounded marker slots ("order reference number", "ticket no. #"): nothing
# here can backtrack further than a word.
_CUE = re.compile(
    rf"\b(?P<noun>(?:{'|'.join(_REFERENCE_NOUNS)}|(?<!caller )id)s?\b"
    rf"|(?:{'|'.join(_MARKED_NOUNS)})s?(?=[ \t]*{_MARKER}))"
    rf"(?P<marker>(?:[ \t]*{_MARKER}){{0,2}})"
    r"|(?<![\w#])(?P<hash>\#)(?=[ \t]?\d)",
    re.IGNORECASE,
)
# Between the cue (or a linking word) and the number: "Order ID: 3348917502", "ref = 88", "is #12345".
# A line break only after a colon or '#': "Order ID:\n3348917502" is a form, "my order\n4155550134" is not.
_LEAD = re.compile(r"[ \t]*+(?:[:=-]\s*+)?+(?:\#\s*+)?+")
_FILLER_WORD = re.compile(r"[ \t]++([A-Za-z'’]++)")
# A linking word: "… order number for the blender is 3348917502".
_LINKS = frozenset({"is", "was", "are", "were", "reads", "of"})
# Words that end the phrase a cue opens: another clause ("… and mine is"), the customer's phone ("… my cell
# is"), or an attribute of the order that is not its number ("order date is", "order total was").
_NOT_FILLER = frozenset({
    "and", "but", "or", "so", "because", "then", "also", "if", "while", "when", "since", "though",
    "although", "plus", "yet", "nor", "cause", "cuz", "be", "been", "being",
    "phone", "telephone", "tel", "mobile", "cell", "cellphone", "landline", "fax", "whatsapp", "contact",
    "callback", "number", "numbers", "no", "num", "digits", "extension", "ext",
    "date", "time", "total", "amount", "price", "cost", "status", "quantity", "qty", "balance", "fee",
    "charge", "size", "weight", "count",
})  # fmt: skip
# A phone word in the few words before a cue makes the number a phone: "the cell on my account is …",
# "call me at #4155550134".
_PHONE_WORDS = frozenset({
    "phone", "telephone", "tel", "mobile", "cell", "cellphone", "landline", "fax", "whatsapp", "contact",
    "callback", "number", "call", "ring", "text", "dial", "reach",
})  # fmt: skip
_MAX_FILLER_WORDS = 6  # "the tracking number you gave me on Friday was …"
_WORDS_BEFORE_CUE = 4
_IDENTIFIER_REACH = 120  # characters after a cue within which its number must start
_IDENTIFIER_LONGEST = 40
# The number: digit groups spaced as phone numbers are ("334 891 7502", "0207 946 0958"), or one token of
# letters and digits joined by - . / ("INV-2023-0042", "1Z999AA10123456784", "617-8899001-1122334"), each
# joined piece holding a digit so "12345.Thanks" stops at the number. Possessive: a run is read once.
_IDENTIFIER = re.compile(
    r"(?:\d{2,4}+(?![A-Za-z\d])(?:[ ]\d{3,4}+(?![A-Za-z\d]))++"
    r"|(?:[A-Za-z]{1,8}+[-/]?+)?+\d[A-Za-z\d]*+(?:[-./](?=[A-Za-z]{0,3}\d)[A-Za-z\d]++)*+)"
    r"(?![*@])"  # not the head of a masked card or of an email address
)
# Not an identifier: an amount or a count ("order was 1500 dollars", "case 2024 days"), a time, a date.
_QUANTITY_AFTER = re.compile(
    r"[ \t]*(?:%|[:,]\d|(?:seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|items?|units?"
    r"|pieces?|pcs|times|dollars?|euros?|pounds?|usd|eur|gbp|bucks|cents?|percent|kg|lbs?|miles?|km)\b)",
    re.IGNORECASE,
)
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4}")
_MIN_BARE_DIGITS = 4  # "case 12345" is a reference; "order 2 more", "my account is 30 days late" are not
_CLAUSE_BREAK = re.compile(r"[\d.,;:!?()\[\]\n]")
_WORD = re.compile(r"[A-Za-z'’]+")


def _singular(noun: str) -> str:
    """A plural cue noun made singular ("orders" → "order"); other words are left whole."""
    return noun[:-1] if noun.endswith("s") and noun[:-1] in _NOUNS else noun


@dataclass(frozen=True, slots=True)
class _Introduction:
    """How a number was introduced: its cue's noun and what stands between the two."""

    noun: str  # "order", "account", …, or "#"
    start: int  # where the cue starts
    marked: bool  # a marker, '#' or ':' says a number follows ("order no.", "ref:", "ticket #")
    direct: bool  # nothing but a marker, '#' or '-' between ("order 123", "case #123"), not "order … is 123"
    plural: bool = False  # "orders", "ticket numbers": a list may follow ("orders 123 and 124")


def _identifiers(text: str, context: str | None = None) -> list[_Found]:
    """Reference numbers in ``text``, in order: each introduced by an order/ticket/… cue before it, those
    listed after a plural cue, and a number opening a reply to ``context`` when it asked for one."""
    found: list[_Found] = []
    for cue in _cues(text):
        introduced = _introduced_value(text, cue)
        if introduced is None:
            continue
        value, introduction = introduced
        listed = _listed_after(text, value, introduction) if introduction.plural else ()
        for number in (value, *listed):
            # Two cues may introduce one number ("my account order number is …"); it is found once.
            if not found or number.start() >= found[-1].end:
                found.append(_Found(number.start(), number.end(), "identifier", "[ID]"))
    answer = _answer(text, context) if context else None
    if answer is not None and not (found and found[0].start < answer.end):
        found.insert(0, answer)
    return found


# Cues are looked for where a word or a '#' starts: a scan for letters skips a pasted run of digits at
# C speed, and a set lookup spares every other word the cue pattern's alternation.
_CUE_START = re.compile(r"[A-Za-z]++|#")
_CUE_WORDS = frozenset({*_NOUNS, *(f"{noun}s" for noun in _NOUNS), "#"})
_PLURAL_MARKER = re.compile(r"(?:ids|nos|numbers)\b", re.IGNORECASE)


def _cues(text: str) -> Iterator[re.Match[str]]:
    """The cues in ``text``, in order and not overlapping (a marker word is not a cue of its own)."""
    resume = 0
    for start in _CUE_START.finditer(text):
        if start.start() < resume or start.group().lower() not in _CUE_WORDS:
            continue
        cue = _CUE.match(text, start.start())
        if cue is not None:
            resume = cue.end()
            yield cue


def _introduced_value(text: str, cue: re.Match[str]) -> tuple[re.Match[str], _Introduction] | None:
    """The number ``cue`` introduces, reading over at most a few filler words and one linking word."""
    limit = min(len(text), cue.end() + _IDENTIFIER_REACH)
    pos, words, linked = cue.end(), 0, False
    while True:
        lead = _LEAD.match(text, pos, limit)
        assert lead is not None  # every part of it is optional
        value = _IDENTIFIER.match(text, lead.end(), lead.end() + _IDENTIFIER_LONGEST + 1)
        if value is not None:
            introduction = _introduction(cue, words, linked, lead.group())
            if introduction is None or not _is_identifier(text, value, introduction):
                return None
            return value, introduction
        word = _FILLER_WORD.match(text, pos, limit)
        if word is None or linked:  # after a linking word only the number may come
            return None
        folded = word[1].lower()
        if folded in _LINKS:
            linked = True
        elif folded in _NOT_FILLER or words == _MAX_FILLER_WORDS:
            return None
        else:
            words += 1
        pos = word.end()


def _introduction(cue: re.Match[str], words: int, linked: bool, lead: str) -> _Introduction | None:
    """How ``cue`` introduces a number over ``words`` filler words, a linking word if ``linked``, then
    ``lead``; None when that does not introduce one ("order arrived broken 4155550134")."""
    linked = linked or ":" in lead or "=" in lead
    if words and not linked:
        return None
    said = "#" if cue["hash"] else cue["noun"].lower()
    noun = _singular(said)
    marked = bool(cue["marker"]) or "#" in lead or ":" in lead
    # A bare '#' says little: the words before it still decide ("call me at #4155550134").
    direct = not words and not linked and noun != "#"
    plural = noun != said or _PLURAL_MARKER.search(cue["marker"] or "") is not None
    return _Introduction(noun, cue.start(), marked, direct, plural)


# "orders 3348917502, 3348917503 and 3348917504"
_LIST_JOIN = re.compile(
    r"[ \t]*+(?:,[ \t]*+(?:and[ \t]++)?+|(?:and|or|&)[ \t]++)(?:\#[ \t]*+)?+", re.IGNORECASE
)


def _listed_after(text: str, value: re.Match[str], introduction: _Introduction) -> Iterator[re.Match[str]]:
    """The numbers listed after ``value``, which a plural cue introduced ("orders 123, 124 and 125")."""
    while (join := _LIST_JOIN.match(text, value.end())) is not None:
        listed = _IDENTIFIER.match(text, join.end(), join.end() + _IDENTIFIER_LONGEST + 1)
        if listed is None or not _is_identifier(text, listed, introduction):
            return
        yield listed
        value = listed


def _is_identifier(text: str, value: re.Match[str], introduction: _Introduction) -> bool:
    """Whether ``value``, introduced as ``introduction`` says, is a reference number."""
    number = value.group()
    digits = sum(map(str.isdigit, number))
    if digits < (1 if introduction.marked else _MIN_BARE_DIGITS) or len(number) > _IDENTIFIER_LONGEST:
        return False
    if _DATE.fullmatch(number) or _QUANTITY_AFTER.match(text, value.end()):
        return False
    if introduction.noun in _CARD_HOLDING_NOUNS and _is_card_number(number):
        return False
    if introduction.direct:
        return True
    before = text[max(0, introduction.start - 3) : introduction.start].lower()
    if introduction.noun in _IDIOMS and before == "in ":
        return False
    return not _phone_word_before(text, introduction.start)


def _is_card_number(number: str) -> bool:
    """A run of 13–19 digits with a valid Luhn check digit, as a card is when typed without spaces."""
    return number.isdigit() and 13 <= len(number) <= 19 and number[0] != "0" and luhn_valid(number)


def _phone_word_before(text: str, start: int) -> bool:
    """Whether a phone word stands in the few words before ``start`` in the same clause."""
    window = text[max(0, start - 60) : start]
    breaks = [m.end() for m in _CLAUSE_BREAK.finditer(window)]
    clause = window[breaks[-1] :] if breaks else window
    return any(w.lower() in _PHONE_WORDS for w in _WORD.findall(clause)[-_WORDS_BEFORE_CUE:])


# A reply that opens with a number, to a turn that asked for an order, ticket or other reference number
# ("Can I have the order number?" / "3348917502"), gives that number. Not when the turn also asked for a
# way to reach the customer or for a card's code, which the number could as well be.
_ANSWER_REACH = 40  # characters at the start of a reply in which the number given is looked for
_MIN_ANSWER_DIGITS = 5  # never a card's 3- or 4-digit code
_FIRST_DIGIT = re.compile(r"\d")
_TOKEN_HEAD = re.compile(r"(?<![A-Za-z])[A-Za-z]{1,8}[-/]?$")  # "TK-" in "TK-88120"
_CONTACT_WORDS = _PHONE_WORDS - {"number"}
# A turn asks when it has a question mark or one of these: "Please DM us your order number."
_REQUEST_WORDS = frozenset({"please", "provide", "share", "send", "give", "confirm", "dm", "tell", "need"})


def _answer(text: str, context: str) -> _Found | None:
    """The reference number opening ``text``, when ``context`` (the turn before) asked for one."""
    noun = _reference_asked_for(context)
    start = _answer_start(text) if noun else None
    if noun is None or start is None:
        return None
    value = _IDENTIFIER.match(text, start, start + _IDENTIFIER_LONGEST + 1)
    if value is None or sum(map(str.isdigit, value.group())) < _MIN_ANSWER_DIGITS:
        return None
    if not _is_identifier(text, value, _Introduction(noun, 0, marked=False, direct=True)):
        return None
    return _Found(value.start(), value.end(), "identifier", "[ID]")


def _answer_start(text: str) -> int | None:
    """Where the first number near the start of ``text`` starts, letters before its digits included
    ("TK-88120"); None when there is none, or the words before it say it is a phone ("my cell is …")."""
    digit = _FIRST_DIGIT.search(text, 0, _ANSWER_REACH)
    # After a placeholder the number is not the first one given: it was, before an earlier pass replaced it.
    if digit is None or "[" in text[: digit.start()]:
        return None
    head = _TOKEN_HEAD.search(text, max(0, digit.start() - 9), digit.start())
    start = head.start() if head else digit.start()
    if (start and text[start - 1].isalnum()) or _says_contact(text[:start]):
        return None
    return start


def _reference_asked_for(context: str) -> str | None:
    """The noun of the reference number ``context`` asks for ("What's the order number?" → "order")."""
    words = {w.lower() for w in _WORD.findall(context)}
    if words & _CONTACT_WORDS or _mentions_code(context) or not ("?" in context or words & _REQUEST_WORDS):
        return None
    for cue in _cues(context):
        if cue["noun"] is None:  # a bare "#12345": it names no kind of number to ask for
            continue
        # "Your order number 3348917502 has shipped" tells a number; it does not ask for one.
        if (cue["marker"] or cue["noun"].lower() in ("ref", "reference")) and not _introduced_value(
            context, cue
        ):
            return _singular(cue["noun"].lower())
    return None


def _says_contact(words_before: str) -> bool:
    """Whether ``words_before`` name a way to reach the customer ("my cell is", "call me on")."""
    return any(w.lower() in _CONTACT_WORDS for w in _WORD.findall(words_before))


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
        if end is not None:
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


@dataclass(slots=True)
class _Reading:
    """One text being read for personal data, with what its finders share."""

    text: str
    context: str | None  # the previous turn's text
    taken: bytearray  # 1 where a piece is taken: overlap checks cost a piece's length, not the count
    _identifiers: list[_Found] | None = None

    @property
    def identifiers(self) -> list[_Found]:
        """The reference numbers in the text, read once: the card finder needs them as well."""
        if self._identifiers is None:
            self._identifiers = _identifiers(self.text, self.context)
        return self._identifiers


_FINDERS: dict[str, Callable[[_Reading], Iterable[_Found]]] = {
    "email": lambda r: _emails(r.text),
    "iban": lambda r: _ibans(r.text),
    "plus_phone": lambda r: _plus_phones(r.text),
    "card": lambda r: _cards(r.text, r.taken, {f.start for f in r.identifiers}),
    "ssn": lambda r: _ssns(r.text),
    "identifier": lambda r: r.identifiers,
    "phone": lambda r: _phones(r.text),
    "cvv": lambda r: _cvvs(r.text, r.context),
    "address": lambda r: _addresses(r.text),
}
_KNOWN_KINDS = (*REDACTION_KINDS, *OPTIONAL_KINDS)
_DEFAULT_KINDS = frozenset(REDACTION_KINDS)
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
        return _DEFAULT_KINDS
    if isinstance(kinds, str):
        raise TypeError(f"kinds must be a collection of kind names such as ({kinds!r},), not a string")
    unknown = sorted(set(kinds) - set(_KNOWN_KINDS))
    if unknown:
        raise ValueError(f"unknown redaction kind {unknown[0]!r}; known kinds: {', '.join(_KNOWN_KINDS)}")
    return frozenset(kinds)


def _find(text: str, context: str | None) -> list[_Found]:
    """Every piece of personal data in ``text``, overlaps settled in ``_PRIORITY`` order."""
    if not _WORTH_A_LOOK.search(text):
        return list(_cvvs(text, context))  # a code read out in words is the only possibility left
    taken: list[_Found] = []
    reading = _Reading(text, context, bytearray(len(text)))
    used = reading.taken
    for finder in _PRIORITY:
        for found in _FINDERS[finder](reading):
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
        for found in _FINDERS[kind](_Reading(window, None, bytearray(len(window)))):
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

    A number introduced as an order, ticket, case, reference, tracking, invoice or account number ("order
    #3348917502", "my ticket ID is TK-88120", "the tracking number for the blender is 1Z999AA1…") stays
    readable unless ``kinds`` names ``"identifier"``, which makes it ``[ID]``; a card number given as an
    account number is still masked as a card. Every kind is detected even when only some are redacted, so
    that e.g. a card number left alone is not mistaken in part for a phone number.
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
