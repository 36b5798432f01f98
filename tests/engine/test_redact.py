"""PII redaction: generated cards, CVVs, phones, emails, SSNs and IBANs never survive; ordinary numbers do."""

from __future__ import annotations

import itertools
import re
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calmline.engine.redact import REDACTION_KINDS, iban_valid, luhn_valid, redact, redact_json
from calmline.model import Role, Turn

PLACEHOLDER = re.compile(r"\[(?:EMAIL|PHONE|SSN|IBAN|CVV|ADDRESS)\]")
MASK = re.compile(r"\d{6}\*{3,9}\d{4}")

# --- generators --------------------------------------------------------------------------------

digit = st.sampled_from(string.digits)


def digits(n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=string.digits, min_size=n, max_size=n)


def luhn_complete(body: str) -> str:
    """``body`` with the check digit that makes it pass Luhn."""
    return body + next(d for d in string.digits if luhn_valid(body + d))


BRANDS = ("visa", "visa13", "visa19", "mastercard", "mastercard2", "amex")


@st.composite
def card_numbers(draw: st.DrawFn, brands: tuple[str, ...] = BRANDS) -> str:
    """Visa (13/16/19), Mastercard (51–55, 2221–2720) and Amex (34/37) numbers, printed as people type them."""
    brand = draw(st.sampled_from(brands))
    prefix = {
        "visa": "4",
        "visa13": "4",
        "visa19": "4",
        "mastercard": draw(st.sampled_from(["51", "52", "53", "54", "55"])),
        "mastercard2": str(draw(st.integers(2221, 2720))),
        "amex": draw(st.sampled_from(["34", "37"])),
    }[brand]
    length = {"visa13": 13, "visa19": 19, "amex": 15}.get(brand, 16)
    number = luhn_complete(prefix + draw(digits(length - len(prefix) - 1)))
    sep = draw(st.sampled_from(["", " ", "-", "."]))
    sizes = [4, 6, 5] if brand == "amex" else [4] * (length // 4) + ([length % 4] if length % 4 else [])
    groups, at = [], 0
    for size in sizes:
        groups.append(number[at : at + size])
        at += size
    return sep.join(groups)


def compact(number: str) -> str:
    return re.sub(r"\D", "", number)


def masked(number: str) -> str:
    d = compact(number)
    return d[:6] + "*" * (len(d) - 10) + d[-4:]


@st.composite
def cvv_codes(draw: st.DrawFn) -> str:
    code = draw(st.one_of(digits(3), digits(4)))
    return draw(st.sampled_from([code, " ".join(code), "-".join(code)]))


CVV_SAYINGS = [
    "my cvv is {code}",
    "CVV: {code}",
    "cvc2 {code}, expiry 09/27",
    "The security code is {code}.",
    "my security code, it's {code}",
    "the three digits on the back are {code}",
    "the code on the back is {code} ok",
    "{code} is the CVV",
    "ok card verification value {code}",
]


@st.composite
def nanp_phones(draw: st.DrawFn) -> str:
    area, exchange, line = draw(digits(3)), draw(digits(3)), draw(digits(4))
    shape = draw(
        st.sampled_from(
            ["({a}) {e}-{l}", "{a}-{e}-{l}", "{a}.{e}.{l}", "{a} {e} {l}", "+1 {a} {e} {l}", "1-{a}-{e}-{l}",
             "{a}{e}{l}", "+1 ({a}) {e}-{l}"]
        )
    )  # fmt: skip
    return shape.format(a=area, e=exchange, l=line)


@st.composite
def international_phones(draw: st.DrawFn) -> str:
    country = draw(st.sampled_from(["44", "49", "33", "91", "61", "353"]))
    groups = draw(st.lists(st.integers(2, 4).flatmap(digits), min_size=3, max_size=4))
    sep = draw(st.sampled_from([" ", "-", "."]))
    trunk = draw(st.sampled_from(["", " (0)"])) if country == "44" else ""
    return f"+{country}{trunk} " + sep.join(groups)


@st.composite
def emails(draw: st.DrawFn) -> str:
    local = draw(st.from_regex(r"[a-z][a-z0-9]{0,8}(?:[._+-][a-z0-9]{1,6})?", fullmatch=True))
    domain = draw(st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True))
    tld = draw(st.sampled_from(["com", "org", "co.uk", "io", "de", "in"]))
    return f"{local}@{domain}.{tld}"


@st.composite
def ssns(draw: st.DrawFn) -> str:
    area = draw(st.integers(1, 899).filter(lambda n: n != 666))
    return f"{area:03d}-{draw(st.integers(1, 99)):02d}-{draw(st.integers(1, 9999)):04d}"


IBAN_LENGTHS = {"GB": 22, "DE": 22, "FR": 27, "NL": 18, "ES": 24, "IT": 27, "BE": 16, "NO": 15, "CH": 21}


@st.composite
def ibans(draw: st.DrawFn) -> str:
    country = draw(st.sampled_from(sorted(IBAN_LENGTHS)))
    bban = draw(digits(IBAN_LENGTHS[country] - 4))
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    iban = f"{country}{98 - int(numeric) % 97:02d}{bban}"
    if draw(st.booleans()):
        iban = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    return iban


SENTENCES = [
    "Hi, it's {x}, please sort this out today.",
    "{x}",
    "You can use {x} for that.",
    "ok so thats {x}. now what??",
    "I said {x} twice already!!",
]
sentence = st.sampled_from(SENTENCES)


# --- the kinds, one by one -----------------------------------------------------------------------


@given(card_numbers(), sentence)
def test_valid_card_numbers_are_masked_to_first_six_and_last_four(card: str, template: str) -> None:
    text, found = redact(template.format(x=card))
    assert card not in text and compact(card) not in text
    assert masked(card) in text
    assert [f.kind for f in found] == ["card"]
    assert text[found[0].span[0] : found[0].span[1]] == masked(card)


# Not the 19-digit Visa: its first 16 digits, typed 4-4-4-4, may well be a valid card (see below).
@given(card_numbers(brands=tuple(b for b in BRANDS if b != "visa19")), st.integers(1, 9), sentence)
def test_numbers_that_fail_luhn_are_not_cards(card: str, shift: int, template: str) -> None:
    last = str((int(card[-1]) + shift) % 10)
    wrong = card[:-1] + last
    text = template.format(x=wrong)
    assert redact(text) == (text, [])


def test_a_card_followed_by_more_digits_is_still_found() -> None:
    assert redact("4111 1111 1111 1111 12/27")[0] == "411111******1111 12/27"
    assert redact("4111 1111 1111 1111 2 items")[0] == "411111******1111 2 items"
    text, found = redact("it's 4111 1111 1111 1111 737")
    assert text == "it's 411111******1111 [CVV]" and [f.kind for f in found] == ["card", "cvv"]


def test_the_standard_test_cards() -> None:
    text, _ = redact("Visa 4111 1111 1111 1111, MC 5555-5555-5555-4444, Amex 3782 822463 10005, 6011111111111117.")
    assert text == "Visa 411111******1111, MC 555555******4444, Amex 378282*****0005, 601111******1117."


@given(st.sampled_from(CVV_SAYINGS), cvv_codes())
def test_card_security_codes_named_in_the_turn_are_never_kept(saying: str, code: str) -> None:
    text, found = redact(saying.format(code=code))
    assert code not in text and "[CVV]" in text
    assert "cvv" in [f.kind for f in found]


@given(card_numbers(), cvv_codes())
def test_card_then_code_in_one_turn(card: str, code: str) -> None:
    text, found = redact(f"card is {card} exp 11/28 and the cvv is {code}")
    assert text == f"card is {masked(card)} exp 11/28 and the cvv is [CVV]"
    assert [f.kind for f in found] == ["card", "cvv"]


@pytest.mark.parametrize(
    ("asked", "answer", "expected"),
    [
        ("What's the security code on the back of the card?", "123", "[CVV]"),
        ("And the CVV please?", "Sure, it's 4 5 6.", "Sure, it's [CVV]."),
        ("Could you read me the three digits on the back?", "four two seven", "[CVV]"),
    ],
)
def test_a_code_given_in_reply_is_redacted_with_the_question_as_context(
    asked: str, answer: str, expected: str
) -> None:
    assert redact(answer, context=asked)[0] == expected


def test_without_a_question_about_the_code_short_numbers_stay() -> None:
    assert redact("123", context="How many items were missing?") == ("123", [])
    assert redact("It was 456 rupees.", context=None) == ("It was 456 rupees.", [])
    assert redact("My social security number is 123") == ("My social security number is 123", [])


@given(st.one_of(nanp_phones(), international_phones()), sentence)
def test_phone_numbers_are_replaced(phone: str, template: str) -> None:
    text, found = redact(template.format(x=phone))
    assert phone not in text and compact(phone) not in compact(text)
    assert [f.kind for f in found] == ["phone"] and "[PHONE]" in text


@pytest.mark.parametrize(
    "phone", ["+44 20 7946 0958", "+44 (0)20 7946 0958", "0044 20 7946 0958", "020 7946 0958", "555-0199",
              "(617)555-0199", "800-555-0199 ext. 12", "+91 98765 43210"]
)  # fmt: skip
def test_phone_formats(phone: str) -> None:
    text, found = redact(f"call me on {phone} please")
    assert text == "call me on [PHONE] please"
    assert [(f.kind, f.span) for f in found] == [("phone", (11, 18))]


@given(emails(), sentence)
def test_email_addresses_are_replaced(email: str, template: str) -> None:
    text, found = redact(template.format(x=email))
    assert email not in text and "[EMAIL]" in text and [f.kind for f in found] == ["email"]


@given(ssns(), st.sampled_from(["my SSN is {x}", "social security {x}", "{x}", "it's {x}."]))
def test_social_security_numbers_are_replaced(ssn: str, template: str) -> None:
    text, found = redact(template.format(x=ssn))
    assert ssn not in text and [f.kind for f in found] == ["ssn"]


def test_ssn_without_dashes_needs_the_customer_to_say_so() -> None:
    assert redact("my ssn is 123 45 6789")[0] == "my ssn is [SSN]"
    assert redact("Social security number: 123456789")[0] == "Social security number: [SSN]"
    assert redact("tracking 123456789 shows nothing") == ("tracking 123456789 shows nothing", [])


@given(ibans(), sentence)
def test_ibans_are_replaced(iban: str, template: str) -> None:
    assert iban_valid(iban)
    text, found = redact(template.format(x=iban))
    assert iban not in text and "[IBAN]" in text and [f.kind for f in found] == ["iban"]


def test_iban_needs_its_check_digits_and_stops_at_its_length() -> None:
    assert redact("IBAN GB82 WEST 1234 5698 7654 32 from my bank")[0] == "IBAN [IBAN] from my bank"
    assert redact("de89370400440532013000 please")[0] == "[IBAN] please"
    wrong = "GB83 WEST 1234 5698 7654 32"
    assert not iban_valid(wrong) and redact(wrong)[0] == wrong


def test_street_addresses_are_replaced_as_before() -> None:
    assert redact("Send it to 14 Birch Lane, Springfield.")[0] == "Send it to [ADDRESS], Springfield."


# --- what must stay readable ---------------------------------------------------------------------

ORDINARY = [
    "Order 12345 for 3 items, total 120 dollars.",
    "I paid $120 on 2024-01-15 at 10:30, then $1,234.56 on 01/15/2024.",
    "It arrived 15.01.2024 around 9:45 pm, 2 days late, 50% off.",
    "Room 101, 2nd floor, version 1.2.3, pin 400050.",
    "Order #617-8899001-1122334 marked delivered but never got it.",
    "Order number is 456-789-0123 and the return id #9012345678.",
    "Order ID 4111111111111111 is stuck.",
    "My order 4111111111111112 is late and item 3 of 4 is broken.",
    "We spoke at 14:30 and again on 3/4; the code was wrong 3 times.",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_numbers_survive(text: str) -> None:
    assert redact(text) == (text, [])


@given(digits(3), digits(7), digits(7))
def test_amazon_style_order_numbers_survive(a: str, b: str, c: str) -> None:
    text = f"Order #{a}-{b}-{c} never arrived"
    assert redact(text) == (text, [])


@given(st.integers(1, 10**6), st.integers(1, 99))
def test_amounts_and_counts_survive(amount: int, count: int) -> None:
    text = f"I was charged ${amount} for {count} items, order {amount}."
    assert redact(text) == (text, [])


# --- spans, idempotence, kinds, structured data --------------------------------------------------

piece = st.one_of(
    card_numbers(), nanp_phones(), international_phones(), emails(), ssns(), ibans(),
    st.sampled_from(CVV_SAYINGS).flatmap(lambda s: cvv_codes().map(lambda c: s.format(code=c))),
    st.sampled_from(["order 12345", "$120", "3 items", "2024-01-15", "10:30", "hello", "14 Birch Lane"]),
)  # fmt: skip


@given(st.lists(piece, min_size=1, max_size=6), st.sampled_from([" ", ", ", ". ", " and "]))
def test_spans_point_at_the_replacements_and_redaction_is_idempotent(pieces: list[str], glue: str) -> None:
    text, found = redact(glue.join(pieces))
    spans = [f.span for f in found]
    assert spans == sorted(spans) and all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
    for f in found:
        replaced = text[f.span[0] : f.span[1]]
        assert MASK.fullmatch(replaced) if f.kind == "card" else replaced == f"[{f.kind.upper()}]"
    assert len(PLACEHOLDER.findall(text)) + len(MASK.findall(text)) == len(found)
    assert redact(text) == (text, [])


soup_token = st.one_of(
    st.integers(1, 5).flatmap(digits),
    st.sampled_from([*" -.+()*@#:/$,", "cvv", "security code", " is ", "order", "ssn", "x.com", "GB", "oh"]),
)


@given(st.lists(soup_token, max_size=25).map("".join), st.one_of(st.none(), st.sampled_from(["the CVV?", "hi"])))
def test_redaction_is_idempotent_on_digit_soup(text: str, context: str | None) -> None:
    once, _ = redact(text, context=context)
    assert redact(once, context=context) == (once, [])


def test_kinds_limit_what_is_redacted() -> None:
    text = "mail jo@example.com, card 4111 1111 1111 1111, call 617-555-0199"
    assert redact(text, kinds=["email"])[0] == "mail [EMAIL], card 4111 1111 1111 1111, call 617-555-0199"
    assert redact(text, kinds={"card", "phone"})[0] == "mail jo@example.com, card 411111******1111, call [PHONE]"
    assert redact(text, kinds=()) == (text, [])
    # A card left alone is still not taken for a phone number.
    assert redact("4111 1111 1111 1111", kinds=["phone"]) == ("4111 1111 1111 1111", [])
    assert redact(text, kinds=REDACTION_KINDS) == redact(text)


def test_unknown_kinds_are_refused_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown redaction kind 'passport'; known kinds: card, cvv,"):
        redact("x", kinds=["email", "passport"])
    with pytest.raises(TypeError, match="not a string"):
        redact("x", kinds="email")
    assert set(REDACTION_KINDS) == {"card", "cvv", "phone", "email", "ssn", "iban", "address"}


def test_redact_json_redacts_every_string_and_keeps_keys_and_numbers() -> None:
    payload = {
        "jo@example.com": "key stays",
        "turns": [{"text": "card 4111-1111-1111-1111, cvv 123", "n": 4111111111111111}],
        "note": ("call 617-555-0199", None, True, 2.5),
    }
    before = repr(payload)
    assert redact_json(payload) == {
        "jo@example.com": "key stays",
        "turns": [{"text": "card 411111******1111, cvv [CVV]", "n": 4111111111111111}],
        "note": ("call [PHONE]", None, True, 2.5),
    }
    assert repr(payload) == before  # the input is not changed
    assert redact_json(["jo@example.com"], kinds=["phone"]) == ["jo@example.com"]
    with pytest.raises(ValueError, match="unknown redaction kind"):
        redact_json({}, kinds=["nope"])


def test_the_engine_stores_the_masked_card_and_never_the_code(engine) -> None:
    session = engine.session()
    session.add(Turn(speaker="a", role=Role.agent, text="Can I take the card number and the CVV?"))
    turn = session.add(Turn(speaker="c", role=Role.customer, text="4111 1111 1111 1111, cvv 737"))
    assert turn.text == "411111******1111, cvv [CVV]"
    assert [r.kind for r in turn.redactions] == ["card", "cvv"]
    session.add(Turn(speaker="a", role=Role.agent, text="Thanks. And the security code on the back?"))
    assert session.add(Turn(speaker="c", role=Role.customer, text="It's 4 5 6.")).text == "It's [CVV]."


@pytest.mark.parametrize(
    "numbers",
    [
        # Found by Hypothesis in CI: the last SSN came out only on a fifth pass, so it was left readable.
        ["(000) 000-0000", "001-01-0001", "000-000-0000", "001-01-0001", "001-01-0001"],
        ["001-01-0001"] * 12,  # a list of SSNs
        ["000-000-0000"] * 10,  # a list of phone numbers, each straight after the one before
    ],
)
def test_numbers_written_one_after_another_are_all_redacted(numbers: list[str]) -> None:
    text, found = redact(" ".join(numbers))
    assert len(found) == len(numbers)
    assert not re.search(r"\d", text)
    assert redact(text) == (text, [])


def test_a_chain_of_hundreds_of_numbers_is_all_redacted() -> None:
    # Each number shows only once the one before is known to be a piece; no pass limit may leave a tail.
    numbers = ["(000) 000-0000", *["001-01-0001", "000-000-0000", "001-01-0001", "000 000 0000"] * 60]
    text, found = redact(" ".join(numbers))
    assert len(found) == len(numbers)
    assert not re.search(r"\d", text)


def test_a_card_inside_a_long_run_of_digit_groups_is_still_found() -> None:
    run = " ".join(["12"] * 3000)
    text, found = redact(f"{run} 4111 1111 1111 1111 {run}")
    assert [f.kind for f in found] == ["card"]
    assert "411111******1111" in text and text.count("12") >= 6000


def test_digit_groups_running_into_a_word_keep_the_groups_before() -> None:
    assert redact("4111 1111 1111 1111 22abc")[0] == "411111******1111 22abc"
    assert redact("4111 1111 1111 1111abc")[0] == "4111 1111 1111 1111abc"  # the last group is a word's


def test_every_code_opening_a_reply_about_the_code_is_redacted() -> None:
    # The customer may give the expiry first: which short number is the code is not ours to guess.
    text, _ = redact("expiry 0927 and the code is 123", context="What's the security code on the back?")
    assert text == "expiry [CVV] and the code is [CVV]"


def test_a_cvv_placeholder_is_not_the_customer_naming_the_code() -> None:
    assert redact("[CVV] 1234 then 5678") == ("[CVV] 1234 then 5678", [])
