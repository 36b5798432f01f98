"""Guidance an agent can trust: few cards, on evidence, at the right moment, never the same card twice running."""

from __future__ import annotations

import pytest

from calmline.engine.pipeline import Engine
from calmline.model import Conversation, Role, Turn, TurnAnalysis

ROLES = {"c": Role.customer, "a": Role.agent}


def play(engine: Engine, *lines: tuple[str, str]) -> list[TurnAnalysis]:
    session = engine.session(Conversation())
    return [session.add(Turn(speaker=who, role=ROLES[who], text=text)) for who, text in lines]


def rules(turn: TurnAnalysis) -> list[str]:
    return [card.rule for card in turn.guidance]


def test_never_more_than_two_cards_and_the_urgent_one_first(engine: Engine) -> None:
    turns = play(
        engine,
        (
            "c",
            "THIS IS THE THIRD TIME I'VE CALLED!!! You charged me twice, the engineer never came, the internet "
            "is still down and I can't take it anymore, I just want to end it all.",
        ),
    )
    assert 1 <= len(turns[0].guidance) <= 2
    assert turns[0].guidance[0].practice == "P12"


@pytest.mark.parametrize(
    "closing",
    [
        "Thanks so much, that's sorted it!",
        "Brilliant, you've been really helpful.",
        "ok cheers, bye",
        "No that's everything, have a good evening",
    ],
)
def test_no_ask_a_question_card_after_thanks_praise_or_a_closing(engine: Engine, closing: str) -> None:
    turns = play(engine, ("c", "Hi."), ("a", "Hello, how can I help?"), ("c", closing))
    assert "problem-unclear" not in rules(turns[-1])


@pytest.mark.parametrize(
    "stated",
    [
        "I'd like to move my appointment to next week.",
        "My card was declined at the shop this morning.",
        "Can you tell me why my bill went up?",
        "I'm looking for a cheaper broadband deal.",
    ],
)
def test_no_ask_a_question_card_once_the_problem_is_stated(engine: Engine, stated: str) -> None:
    turns = play(
        engine, ("c", stated), ("a", "Sure, let me look."), ("c", "Ugh, this is annoying. Hurry up please.")
    )
    assert not any("problem-unclear" in rules(t) for t in turns)


def test_ask_a_question_when_an_unhappy_customer_has_not_said_what_is_wrong(engine: Engine) -> None:
    turns = play(
        engine,
        ("c", "Honestly I'm so annoyed with you lot right now."),
        ("a", "I'm sorry to hear that."),
        ("c", "It's just awful, every single time. Awful."),
    )
    assert "problem-unclear" in rules(turns[-1])


@pytest.mark.parametrize(
    "failure",
    [
        "There are two identical payments of 38.50 on my statement for one order.",
        "This is the fourth time I'm contacting you about the same router.",
        "The technician was meant to come between 8 and 12 and nobody showed.",
        "My broadband has been down since Sunday.",
        "The refund you confirmed last week still hasn't reached my account.",
        "It says delivered but it was never delivered to my door.",
        "They've debited my account twice for the same order.",
        "I never signed up for this insurance add-on and it's on my bill.",
        "My train was cancelled without any warning and now I'm stuck.",
    ],
)
def test_company_failure_is_recognised_in_what_customers_actually_say(engine: Engine, failure: str) -> None:
    turns = play(engine, ("c", failure))
    cards = {card.rule: card for card in turns[0].guidance}
    assert "company-erred" in cards
    assert "commit-not-apologise" not in cards
    assert cards["company-erred"].trigger.startswith('"')  # quotes the customer's words


@pytest.mark.parametrize(
    "text",
    [
        "Can I change the delivery address on my order?",
        "How do I reset my password?",
        "I hope it arrives before Friday, it's a present.",
        "Last month's double charge was refunded, thanks. Now I'd like to upgrade.",
    ],
)
def test_no_apology_card_where_nothing_went_wrong(engine: Engine, text: str) -> None:
    assert "company-erred" not in rules(play(engine, ("c", text))[0])


def test_the_customers_own_mistake_gets_help_not_an_apology(engine: Engine) -> None:
    turns = play(engine, ("c", "I typed the wrong address when I ordered and now it's gone to my old flat."))
    assert "commit-not-apologise" in rules(turns[0]) and "company-erred" not in rules(turns[0])


@pytest.mark.parametrize(
    "giving_up", ["Forget it, I'll pay some other way.", "I give up. Nobody can find my account."]
)
def test_giving_up_is_not_a_warm_goodbye(engine: Engine, giving_up: str) -> None:
    turns = play(
        engine,
        ("c", "I can't pay my bill, your site says my account doesn't exist."),
        ("a", "Let me search again."),
        ("c", giving_up),
    )
    assert "ready-to-close" not in rules(turns[-1])


def test_a_goodbye_is_a_closing_unless_help_was_already_offered(engine: Engine) -> None:
    helped = play(
        engine,
        ("c", "Can you resend my invoice?"),
        ("a", "Done, it's in your inbox."),
        ("c", "Got it, thanks, that's all!"),
    )
    assert "ready-to-close" in rules(helped[-1])
    offered = play(
        engine,
        ("c", "Can you resend my invoice?"),
        ("a", "Done, it's in your inbox. Is there anything else I can help with?"),
        ("c", "No, that's all!"),
    )
    assert "ready-to-close" not in rules(offered[-1])
    more = play(
        engine,
        ("c", "Can you resend my invoice?"),
        ("a", "Done."),
        ("c", "Thanks! And can you also tell me when my contract ends?"),
    )
    assert "ready-to-close" not in rules(more[-1])
    assert not any(s.kind == "wants_to_end" for s in more[-1].signals)


def test_a_short_thank_you_ends_but_a_thank_you_with_an_answer_goes_on(engine: Engine) -> None:
    # A QA lead wants the closing card on the thank-you that ends a conversation; a thank-you that
    # carries a choice, a number or a request is an answer, and the conversation goes on.
    thanked = play(engine, ("c", "Can you resend my invoice?"), ("a", "Done."), ("c", "Got it, cheers!"))
    assert any(s.kind == "wants_to_end" for s in thanked[-1].signals)
    assert "ready-to-close" in rules(thanked[-1])
    for answer in (
        "A table for two at 7, thanks.",
        "No thank you, I need it in the centre of town.",
        "A quiet room would be ideal, thank you.",
    ):
        turns = play(
            engine, ("c", "I'd like to book a table."), ("a", "Of course. For how many?"), ("c", answer)
        )
        assert not any(s.kind == "wants_to_end" for s in turns[-1].signals), answer


def test_a_closing_after_anything_else_counts_as_help_offered(engine: Engine) -> None:
    turns = play(
        engine,
        ("c", "What time do you open?"),
        ("a", "Nine. Is there anything else you'd like to know?"),
        ("c", "No, bye!"),
    )
    assert turns[1].state.help_offered
    assert "ready-to-close" not in rules(turns[-1])


def test_a_customer_asking_what_can_be_done_gets_options(engine: Engine) -> None:
    turns = play(
        engine,
        ("c", "My flight was cancelled."),
        ("a", "I'm sorry, I can see that."),
        ("c", "So what are my options?"),
    )
    assert "options-asked" in rules(turns[-1])


def test_flat_no_is_not_upset(engine: Engine) -> None:
    turns = play(
        engine,
        ("c", "I need a taxi to the station."),
        ("a", "Would you like a large car?"),
        ("c", "No, not right now."),
        ("a", "Anything else?"),
        ("c", "I don't care about the colour."),
    )
    assert not any("acknowledge-feelings" in rules(t) for t in turns)


def test_every_card_says_what_triggered_it(engine: Engine) -> None:
    turns = play(
        engine,
        (
            "c",
            "I've been waiting three weeks and this is the FOURTH time I've called!!! Absolutely ridiculous.",
        ),
        ("a", "Let me check."),
        ("c", "You said last week it would be fixed. It still isn't."),
    )
    cards = [card for t in turns for card in t.guidance]
    assert cards and all(card.trigger for card in cards)


def test_an_answer_sent_in_several_messages_is_not_talking_over_the_customer(engine: Engine) -> None:
    turns = play(
        engine,
        ("c", "How do I move my broadband to my new flat?"),
        ("a", "Happy to help with that."),
        ("a", "First, I'll need the new address and the date you move in."),
        ("a", "Then I'll book the engineer and send you a confirmation."),
        ("a", "Does that work for you?"),
    )
    assert not any("agent-interrupted" in rules(t) for t in turns)


@pytest.mark.parametrize("turn", ["Sorry, I meant Tuesday.", "No, a double room.", "I don't mind which one."])
def test_a_choice_or_an_apology_is_not_upset(engine: Engine, turn: str) -> None:
    turns = play(engine, ("c", "I'd like to book a room."), ("a", "Of course. Which night?"), ("c", turn))
    assert not any(s.kind == "upset" for s in turns[-1].signals)


def test_a_reply_that_skips_the_upset_gets_the_missed_acknowledgement_card(engine) -> None:
    # The card reads the same upset as the acknowledgement card and the coach: an upset customer with a
    # problem, and a reply that goes straight to the process.
    upset = "I waited in all day for the fridge and nobody came! This is ridiculous, I took a day off work for this."
    for reply, expected in [
        ("Thank you for the information. Please confirm the order number.", True),
        ("We understand your frustration after a wasted day. Please confirm the order number.", False),
        (
            "Please accept our sincerest apologies for the missed slot. Could you confirm the order number?",
            False,
        ),
    ]:
        session = engine.session()
        session.add(Turn(speaker="customer", role=Role.customer, text=upset))
        cards = session.add(Turn(speaker="agent", role=Role.agent, text=reply)).guidance
        assert ("missed-acknowledgement" in {c.rule for c in cards}) is expected, reply


def test_no_missed_acknowledgement_after_a_calm_question(engine) -> None:
    session = engine.session()
    session.add(
        Turn(speaker="customer", role=Role.customer, text="Hi, could you tell me when the fridge will come?")
    )
    cards = session.add(
        Turn(speaker="agent", role=Role.agent, text="It is booked for Tuesday between 8 and 12.")
    ).guidance
    assert "missed-acknowledgement" not in {c.rule for c in cards}
