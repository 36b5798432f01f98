"""Facts the customer gave (name, order or policy number, date of birth, contact details, dates): what not to ask again.

Read from the stored, redacted text: personal data is a placeholder there, so a phone number is
listed as "phone number (given)", never by its digits. A number introduced as an order, ticket,
case or policy number is an identifier and is listed with its value, even where redaction took it
for a phone number ("ticket number [PHONE]" is a ticket, not "their phone number").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from calmline.model import ConversationAnalysis, Role, TurnAnalysis

FIRES = 0.5
MAX_VALUE = 24
MAX_DATES = 3

IDENTIFIER_KINDS = {
    "order": "order number",
    "ticket": "ticket number",
    "case": "case number",
    "reference": "reference number",
    "ref": "reference number",
    "policy": "policy number",
    "claim": "claim number",
    "account": "account number",
    "tracking": "tracking number",
    "invoice": "invoice number",
    "booking": "booking reference",
    "reservation": "reservation number",
    "confirmation": "confirmation number",
    "membership": "membership number",
    "member": "membership number",
    "customer": "customer number",
    "serial": "serial number",
    "incident": "incident number",
}
# "order KT-552183", "policy number HL-4471902", "Order ID: 3348917502", "ticket # [PHONE]": a kind of
# identifier, optionally "number"/"no."/"ID", then a value of 4 or more characters holding a digit, or
# the placeholder of a redaction that took the number for something else (never an email or address).
IDENTIFIER = re.compile(
    r"\b(?P<kind>(?i:" + "|".join(IDENTIFIER_KINDS) + r"))\b\.?"
    r"(?:\s+(?i:number|no\.?|num|id|code|reference|ref))?\s*(?i:is|was|:|#|-)?\s*"
    r"(?P<value>\[(?:PHONE|ID|CARD|SSN|IBAN)\]"
    r"|(?=[A-Za-z0-9/-]{4})[A-Za-z0-9][A-Za-z0-9/-]*\d[A-Za-z0-9/-]*)(?<![/-])"
)
DATE_OF_BIRTH = re.compile(r"\b(?:date of birth|d\.?o\.?b\b|born on|birthday is)", re.IGNORECASE)
MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
CALENDAR_DATE = re.compile(
    r"\b(?:\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:" + MONTHS + r")\b(?:,?\s+\d{4})?"
    r"|(?:" + MONTHS + r")\s+\d{1,2}(?:st|nd|rd|th)?\b(?:,?\s+\d{4})?"
    r"|\d{1,2}/\d{1,2}/\d{2,4}\b"
    r"|the\s+\d{1,2}(?:st|nd|rd|th)\b)",
    re.IGNORECASE,
)
GIVEN_BY_REDACTION = {
    "phone": "phone number",
    "email": "email address",
    "address": "address",
    "card": "card number",
    "iban": "bank account number",
    "ssn": "social security number",
}
"""What each redaction kind was; a CVV is left out: it is asked for again each time, by design."""


class FactKind(StrEnum):
    name = "name"
    identifier = "identifier"
    date_of_birth = "date_of_birth"
    contact = "contact"
    dates = "dates"


@dataclass(frozen=True)
class GivenFact:
    """One fact: ``value`` shown when it is an identifier or a date, else only that it was given."""

    kind: FactKind
    label: str
    value: str | None
    turn: int

    def shown(self) -> str:
        """As the hand-off note lists it: "their name (Rosa Diaz)", "order number KT-552183", "phone number (given)"."""
        if self.kind is FactKind.name:
            return f"their name ({self.value})"
        return f"{self.label} {self.value}" if self.value else f"{self.label} (given)"


def facts_given(analysis: ConversationAnalysis, name: str | None) -> list[GivenFact]:
    """The facts the customer gave, most useful first: name, identifiers, date of birth, contact details, dates."""
    customer = [t for t in analysis.turns if t.role is Role.customer]
    asked_for_it = {
        after.index
        for before, after in zip(analysis.turns, analysis.turns[1:], strict=False)
        if before.role is not Role.customer and DATE_OF_BIRTH.search(before.text)
    }
    birth = {t.index for t in customer if _gives_date_of_birth(t, asked=t.index in asked_for_it)}
    facts = [GivenFact(FactKind.name, "name", name, 0)] if name else []
    facts += _first_of_each(f for t in customer for f in identifiers(t))
    facts += [GivenFact(FactKind.date_of_birth, "date of birth", None, min(birth))] if birth else []
    facts += _first_of_each(f for t in customer for f in _contact_details(t))
    dates = _first_of_each(f for t in customer for f in _dates(t, t.index in birth))
    if dates:
        values = ", ".join(str(d.value) for d in dates[:MAX_DATES])
        facts.append(GivenFact(FactKind.dates, "dates", values, dates[0].turn))
    return facts


def identifiers(turn: TurnAnalysis) -> Iterator[GivenFact]:
    for m in IDENTIFIER.finditer(turn.text):
        value = m.group("value")
        shown = None if value.startswith("[") else value[:MAX_VALUE]
        yield GivenFact(FactKind.identifier, IDENTIFIER_KINDS[m.group("kind").lower()], shown, turn.index)


def _identifier_spans(turn: TurnAnalysis) -> list[tuple[int, int]]:
    return [m.span("value") for m in IDENTIFIER.finditer(turn.text)]


def _gives_date_of_birth(turn: TurnAnalysis, asked: bool) -> bool:
    """The turn names a date of birth, or gives a date just after the agent asked for it
    ("Paul Andersen, June 14 1979")."""
    return DATE_OF_BIRTH.search(turn.text) is not None or (
        asked and CALENDAR_DATE.search(turn.text) is not None
    )


def _contact_details(turn: TurnAnalysis) -> Iterator[GivenFact]:
    taken = _identifier_spans(turn)
    for redaction in turn.redactions:
        label = GIVEN_BY_REDACTION.get(redaction.kind)
        start, end = redaction.span
        if label and not any(start < t_end and t_start < end for t_start, t_end in taken):
            yield GivenFact(FactKind.contact, label, None, turn.index)
    if any(s.kind == "location" and s.score >= FIRES for s in turn.signals):
        yield GivenFact(FactKind.contact, "address", None, turn.index)


def _dates(turn: TurnAnalysis, gives_birth_date: bool) -> Iterator[GivenFact]:
    """Calendar dates of the turn, but never a date of birth: it is listed as given, without its value."""
    found = list(CALENDAR_DATE.finditer(turn.text))
    if gives_birth_date:
        named = [m.end() for m in DATE_OF_BIRTH.finditer(turn.text)]
        if named:
            found = [d for d in found if not any(0 <= d.start() - end <= MAX_VALUE for end in named)]
        else:
            found = found[1:]  # the answer to "your date of birth?" is its first date
    for m in found:
        yield GivenFact(FactKind.dates, "date", " ".join(m.group().split()), turn.index)


def _first_of_each(facts: Iterator[GivenFact]) -> list[GivenFact]:
    """Each fact once, as first given: one "phone number (given)" however often it was given."""
    seen: set[tuple[str, str | None]] = set()
    kept = []
    for fact in facts:
        key = (fact.label, fact.value)
        if key not in seen:
            seen.add(key)
            kept.append(fact)
    return kept
