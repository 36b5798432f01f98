"""Order, ticket, case and other reference numbers: kept (or [ID] when asked), never taken for phones."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calmline.engine.redact import OPTIONAL_KINDS, REDACTION_KINDS, redact, redact_json
from calmline.model import Role, Turn
from calmline.server.inputs import SettingsIn

MASK_IDS = [*REDACTION_KINDS, "identifier"]


def kept(text: str) -> str:
    return redact(text)[0]


def masked(text: str) -> str:
    return redact(text, MASK_IDS)[0]


# --- numbers introduced as references ------------------------------------------------------------

# (text, the same text with its reference number masked)
INTRODUCED = [
    (
        "Still nothing for order 5520193846, it's been two weeks.",
        "Still nothing for order [ID], it's been two weeks.",
    ),
    ("Order ID: 7781204456", "Order ID: [ID]"),
    ("order id 7781204456 shows delivered", "order id [ID] shows delivered"),
    ("My order number is 6620918734.", "My order number is [ID]."),
    ("the order number for the toaster is 6620918734", "the order number for the toaster is [ID]"),
    ("order no. 6620918734 please", "order no. [ID] please"),
    ("Order #6620918734 never came", "Order #[ID] never came"),
    ("ticket 9904417723051 is still open", "ticket [ID] is still open"),
    ("Ticket ID: TK-88120 was closed without asking me", "Ticket ID: [ID] was closed without asking me"),
    ("case 48213, opened last Monday", "case [ID], opened last Monday"),
    ("Case number 48213", "Case number [ID]"),
    ("ref: 3390045127", "ref: [ID]"),
    ("reference 3390045127", "reference [ID]"),
    ("tracking number is 1Z84A7W90312345670", "tracking number is [ID]"),
    (
        "the tracking number you gave me on Friday was 9400111202555842",
        "the tracking number you gave me on Friday was [ID]",
    ),
    ("Invoice INV-2024-00917 was charged twice", "Invoice [ID] was charged twice"),
    ("invoice no 20240917 is wrong", "invoice no [ID] is wrong"),
    ("account number 0291884465", "account number [ID]"),
    ("my account is 55102938", "my account is [ID]"),
    ("Account: 0207 946 0958", "Account: [ID]"),  # shaped like a London number, but said to be the account
    ("case 415 555 0134 is the one", "case [ID] is the one"),
    ("payment ID 884213377", "payment ID [ID]"),
    ("the return id #9012345678.", "the return id #[ID]."),
    ("Order ID:\n3348917502", "Order ID:\n[ID]"),
]


@pytest.mark.parametrize(("text", "with_ids_masked"), INTRODUCED)
def test_a_number_introduced_as_a_reference_stays_readable_by_default(
    text: str, with_ids_masked: str
) -> None:
    assert redact(text) == (text, [])


@pytest.mark.parametrize(("text", "with_ids_masked"), INTRODUCED)
def test_a_reference_becomes_id_when_the_caller_asks(text: str, with_ids_masked: str) -> None:
    masked_text, found = redact(text, MASK_IDS)
    assert masked_text == with_ids_masked
    assert [f.kind for f in found] == ["identifier"]
    assert masked_text[found[0].span[0] : found[0].span[1]] == "[ID]"


# --- phones stay phones, cards stay cards --------------------------------------------------------

PHONES_NEAR_REFERENCES = [
    ("About order 5520193846: call me on 415 555 0134.", "About order 5520193846: call me on [PHONE]."),
    ("order 5520193846, my number is (415) 555-0134", "order 5520193846, my number is [PHONE]"),
    ("Ticket 88120. Cell: 415-555-0134", "Ticket 88120. Cell: [PHONE]"),
    (
        "my order number is 3348917502 and my number is 4155550134",
        "my order number is 3348917502 and my number is [PHONE]",
    ),
    ("the phone number on my account is 4155550134", "the phone number on my account is [PHONE]"),
    ("my cell for the order is 4155550134", "my cell for the order is [PHONE]"),
    (
        "please change the number on my account to 4155550134",
        "please change the number on my account to [PHONE]",
    ),
    ("my order never came and mine is 4155550134", "my order never came and mine is [PHONE]"),
    ("just in case it is 4155550134", "just in case it is [PHONE]"),
    ("the order arrived broken 4155550134", "the order arrived broken [PHONE]"),
    ("call me at #4155550134", "call me at #[PHONE]"),
    ("caller id 4155550134", "caller id [PHONE]"),
    ("Order ref +44 20 7946 0958", "Order ref [PHONE]"),  # a "+44" number is a phone whatever precedes it
]


@pytest.mark.parametrize(("text", "expected"), PHONES_NEAR_REFERENCES)
def test_a_phone_number_is_redacted_even_beside_an_order(text: str, expected: str) -> None:
    assert kept(text) == expected
    assert masked(text).count("[PHONE]") == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("account number 4111111111111111", "account number 411111******1111"),
        ("member no. 5500005555555559", "member no. 550000******5559"),
        ("#4111111111111111", "#411111******1111"),
        ("order number: 4111 1111 1111 1111", "order number: 411111******1111"),  # typed in groups
        ("order 4111-1111-1111-1111", "order 411111******1111"),
    ],
)
def test_a_card_number_given_as_an_account_number_is_still_a_card(text: str, expected: str) -> None:
    assert kept(text) == expected
    assert masked(text) == expected


def test_an_order_number_that_passes_luhn_by_chance_is_not_a_card() -> None:
    assert kept("Order ID 4111111111111111 is stuck.") == "Order ID 4111111111111111 is stuck."
    assert masked("Order ID 4111111111111111 is stuck.") == "Order ID [ID] is stuck."


def test_other_personal_data_after_a_reference_word_is_still_redacted() -> None:
    text = "account GB82 WEST 1234 5698 7654 32, case 123-45-6789, ref jo@example.com"
    assert kept(text) == "account [IBAN], case [SSN], ref [EMAIL]"


def test_every_number_listed_after_a_plural_cue_is_a_reference() -> None:
    text = "orders 5520193846, 5520193847 and 5520193848 all arrived broken"
    assert kept(text) == text
    assert masked(text) == "orders [ID], [ID] and [ID] all arrived broken"
    assert masked("the ticket numbers are TK-88120 & TK-88121.") == "the ticket numbers are [ID] & [ID]."
    # A singular cue introduces one number: what follows "and" may be the customer's phone.
    assert kept("order 5520193846 and 4155550134") == "order 5520193846 and [PHONE]"
    assert kept("orders 5520193846, and my cell 4155550134") == "orders 5520193846, and my cell [PHONE]"


# --- a number given in reply to a request for one ------------------------------------------------

ASKED = "Could I have your order number, please?"


@pytest.mark.parametrize(
    ("context", "reply", "expected"),
    [
        (ASKED, "5520193846", "[ID]"),
        (ASKED, "Sure, it's 5520193846.", "Sure, it's [ID]."),
        ("What's the ticket ID?", "TK-88120 I think", "[ID] I think"),
        ("Please confirm the case number.", "00123456", "[ID]"),
        ("DM us your tracking number and we'll look.", "9400111202555842", "[ID]"),
    ],
)
def test_a_number_given_when_asked_for_a_reference_is_a_reference(
    context: str, reply: str, expected: str
) -> None:
    assert redact(reply, context=context) == (reply, [])
    assert redact(reply, MASK_IDS, context=context)[0] == expected


@pytest.mark.parametrize(
    ("context", "reply", "expected"),
    [
        # Asked for a phone number as well: the number given may be either.
        ("Can I have your order number and a callback number?", "5520193846", "[PHONE]"),
        ("What's the best number to reach you on?", "4155550134", "[PHONE]"),
        ("Your order number 5520193846 has shipped.", "4155550134 is my number", "[PHONE] is my number"),
        (ASKED, "my cell is 4155550134", "my cell is [PHONE]"),
        (ASKED, "(415) 555-0134", "[PHONE]"),
        (
            ASKED,
            "I placed it 3 days ago, call me on 4155550134",
            "I placed it 3 days ago, call me on [PHONE]",
        ),
        (ASKED, "4111 1111 1111 1111", "411111******1111"),
        ("Can I have your account number?", "4111111111111111", "411111******1111"),
        # The card's code was asked for too: a short number stays a code.
        ("And the order number and the security code on the back?", "737", "[CVV]"),
    ],
)
def test_a_phone_or_card_given_in_reply_is_still_redacted(context: str, reply: str, expected: str) -> None:
    assert redact(reply, context=context)[0] == expected
    assert redact(reply, MASK_IDS, context=context)[0] == expected


def test_only_the_first_number_of_a_reply_answers_the_request() -> None:
    reply = "5520193846, and ring me on 415 555 0134 or 415 555 0135"
    assert redact(reply, MASK_IDS, context=ASKED)[0] == "[ID], and ring me on [PHONE] or [PHONE]"
    assert redact("55201 55202 55203", MASK_IDS, context=ASKED)[0] == "[ID] 55202 55203"


# --- numbers that are not references ---------------------------------------------------------------

NOT_REFERENCES = [
    "I'd like to order 1000 units of the blue one.",
    "I want to order 2 more.",
    "The order was 1500 dollars and the case took 30 days.",
    "order date: 2024-01-15, order total: 1500",
    "We spoke at 10:45 about the ticket.",
    "The ticket says 3/4 of it is missing, 50% off.",
    "My #1 complaint is the wait.",
    "In order to fix it, I need 2 weeks.",
    "The policy is 30 days.",
    "Room 101, 2nd floor, order of 3 items.",
]


@pytest.mark.parametrize("text", NOT_REFERENCES)
def test_quantities_dates_and_times_near_reference_words_are_not_masked(text: str) -> None:
    assert redact(text, MASK_IDS) == (text, [])


# --- the option ------------------------------------------------------------------------------------


def test_identifiers_are_an_optional_kind_off_by_default() -> None:
    assert OPTIONAL_KINDS == ("identifier",)
    assert "identifier" not in REDACTION_KINDS
    text = "order 5520193846, call 617-555-0199"
    assert redact(text, kinds=None) == redact(text, kinds=REDACTION_KINDS)
    assert redact(text, kinds=["identifier"])[0] == "order [ID], call 617-555-0199"
    with pytest.raises(
        ValueError, match="known kinds: card, cvv, phone, email, ssn, iban, address, identifier"
    ):
        redact(text, kinds=["identifiers"])


def test_redact_json_masks_identifiers_when_asked() -> None:
    payload = {"note": "refund for order 5520193846", "n": 5520193846}
    assert redact_json(payload) == payload
    assert redact_json(payload, MASK_IDS) == {"note": "refund for order [ID]", "n": 5520193846}


def test_a_tenant_may_ask_for_identifiers_and_still_gets_card_data_redacted() -> None:
    assert SettingsIn(redact=["identifier"]).redact == ["card", "cvv", "identifier"]
    assert SettingsIn().redact is None  # the default: every personal-data kind, identifiers kept


def test_a_session_built_with_the_tenants_choice_masks_identifiers(engine) -> None:
    said = "Order 5520193846 is late, call me on 415 555 0134"
    default = engine.session().add(Turn(speaker="c", role=Role.customer, text=said))
    assert default.text == "Order 5520193846 is late, call me on [PHONE]"
    chosen = engine.session(redaction_kinds=MASK_IDS).add(Turn(speaker="c", role=Role.customer, text=said))
    assert chosen.text == "Order [ID] is late, call me on [PHONE]"
    assert [r.kind for r in chosen.redactions] == ["identifier", "phone"]


def test_a_session_reads_the_agents_question_before_the_customers_number(engine) -> None:
    for kinds, expected in ((None, "5520193846"), (MASK_IDS, "[ID]")):
        session = engine.session(redaction_kinds=kinds)
        session.add(Turn(speaker="a", role=Role.agent, text="Sorry about that. What's the order number?"))
        assert session.add(Turn(speaker="c", role=Role.customer, text="5520193846")).text == expected


# --- property: identifiers and phones mixed ------------------------------------------------------

ID_INTROS = [
    "order {i}", "Order ID: {i}", "my order number is {i}", "the order number for the blender is {i}",
    "order no. {i}", "order # {i}", "ticket #{i}", "ticket ID {i}", "case {i}", "case number: {i}",
    "ref: {i}", "reference number {i}", "tracking number is {i}", "the tracking number you sent me was {i}",
    "invoice no. {i}", "account number {i}", "my account is {i}", "confirmation code {i}",
]  # fmt: skip
PHONE_INTROS = [
    "call me on {p}", "my number is {p}", "cell: {p}", "ring me at {p}", "you can reach me on {p}",
    "text {p}", "my phone number for the order is {p}", "the mobile on my account is {p}",
    "phone {p}", "or {p}",
]  # fmt: skip


@st.composite
def reference_values(draw: st.DrawFn) -> str:
    """Order/ticket/account numbers: runs of 5–12 digits, or letters and digits joined by dashes."""
    run = st.integers(5, 12).flatmap(lambda n: st.text(string.digits, min_size=n, max_size=n))
    prefixed = st.builds(
        lambda p, a, b: f"{p}-{a}-{b}",
        st.sampled_from(["INV", "TK", "SR", "RMA"]),
        st.integers(1000, 9999),
        st.integers(10, 99999),
    )
    return draw(st.one_of(run, prefixed))


@st.composite
def phone_numbers(draw: st.DrawFn) -> str:
    area, exchange, line = (draw(st.text(string.digits, min_size=n, max_size=n)) for n in (3, 3, 4))
    shape = draw(
        st.sampled_from(["({a}) {e}-{l}", "{a}-{e}-{l}", "{a}.{e}.{l}", "{a} {e} {l}", "{a}{e}{l}",
                         "+1 {a} {e} {l}", "+44 20 {e}{a} {l}", "020 {l} {e}0"])
    )  # fmt: skip
    return shape.format(a=area, e=exchange, l=line)


@st.composite
def mixed_messages(draw: st.DrawFn) -> tuple[str, list[str], list[str]]:
    """A message of sentences, each introducing a reference number or a phone number; and the two lists."""
    sentences: list[str] = []
    references: list[str] = []
    phones: list[str] = []
    for is_phone in draw(st.lists(st.booleans(), min_size=1, max_size=6)):
        if is_phone:
            phones.append(draw(phone_numbers()))
            sentences.append(draw(st.sampled_from(PHONE_INTROS)).format(p=phones[-1]))
        else:
            references.append(draw(reference_values()))
            sentences.append(draw(st.sampled_from(ID_INTROS)).format(i=references[-1]))
    glue = draw(st.sampled_from([". ", ", ", " and ", "; ", "\n", " "]))
    return glue.join(sentences), references, phones


@given(mixed_messages())
def test_every_phone_is_redacted_and_every_introduced_reference_kept(
    message: tuple[str, list[str], list[str]],
) -> None:
    text, references, phones = message
    out, found = redact(text)
    assert [f.kind for f in found] == ["phone"] * len(phones)
    for phone in phones:
        assert phone not in out
    for reference in references:
        assert reference in out


@given(mixed_messages())
def test_every_introduced_reference_becomes_id_when_asked(message: tuple[str, list[str], list[str]]) -> None:
    text, references, phones = message
    out, found = redact(text, MASK_IDS)
    assert sorted(f.kind for f in found) == sorted(["identifier"] * len(references) + ["phone"] * len(phones))
    assert out.count("[ID]") == len(references) and out.count("[PHONE]") == len(phones)
    assert not any(c.isdigit() for c in out)  # every digit was in a reference or a phone number
    assert redact(out, MASK_IDS) == (out, [])


def test_a_bare_hash_in_the_agents_question_does_not_break_reading_the_reply() -> None:
    # CuCom: the agent quoted "#617-8899001-1122334" in a question; the reply starts with a number.
    asked = "Can you confirm the item in order #617-8899001-1122334 and share the pincode?"
    text, _ = redact("400050 is the pincode, it's the blue kettle", context=asked)
    assert "400050" in text
