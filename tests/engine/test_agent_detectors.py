"""Agent-side detectors on realistic agent replies, with the hard negatives that must stay quiet."""

from __future__ import annotations

import statistics
import time

import pytest

from calmline.engine.context import Context
from calmline.engine.detectors import agent_commitments as commitments
from calmline.engine.detectors import agent_listening as listening
from calmline.engine.detectors import agent_tone as tone
from calmline.model import CustomerState, Role, Signal, TurnAnalysis
from calmline.signals import AGENT_SIGNALS
from tests.conftest import agent, context

ACK = listening.make_acknowledgement()
QUESTION = listening.make_clarifying_question()
RESTATE = listening.make_restatement()
INTERRUPT = listening.make_interruption()
NAME = listening.make_name_used()
HOSTILE = tone.make_hostile_tone()
MINIMISING = tone.make_minimising()
SHOUT = tone.make_agent_shouting()
LECTURE = tone.make_lecture()
CANNED = tone.make_canned_repeat()
NEGATIVE = tone.make_negative_phrasing()
HEDGE = tone.make_hedging()
APOLOGY = tone.make_apology()
BOUNDARY = tone.make_boundary_statement()
PROMISE = commitments.make_promise()
OVERPROMISE = commitments.make_overpromise()
TRANSFER = commitments.make_transfer()
SUPERVISOR = commitments.make_supervisor_involved()
OPTIONS = commitments.make_options_offered()
ACTION = commitments.make_action_taken()
CLOSING = commitments.make_closing()
FURTHER = commitments.make_further_help_offer()
CONTRADICTION = commitments.make_contradiction()

ALL = [
    ACK, QUESTION, RESTATE, INTERRUPT, NAME, HOSTILE, MINIMISING, SHOUT, LECTURE, CANNED, NEGATIVE, HEDGE, APOLOGY,
    BOUNDARY, PROMISE, OVERPROMISE, TRANSFER, SUPERVISOR, OPTIONS, ACTION, CLOSING, FURTHER, CONTRADICTION,
]  # fmt: skip


def past(index: int, role: Role, text: str, signals: list[Signal] | None = None) -> TurnAnalysis:
    return TurnAnalysis(
        index=index,
        speaker=role.value,
        role=role,
        text=text,
        signals=signals or [],
        state=CustomerState(),
        guidance=[],
        alerts=[],
    )


def run(detector, text: str, ctx: Context | None = None) -> list[Signal]:
    return detector(agent(text), ctx or context())


def quotes(detector, text: str, ctx: Context | None = None) -> list[str]:
    return [e.quote for s in run(detector, text, ctx) for e in s.evidence]


# --- the contract every agent detector keeps --------------------------------------------------


def test_every_agent_detector_reads_agent_turns_and_emits_known_kinds_with_exact_evidence() -> None:
    text = (
        "Calm down!! I GUARANTEE it, Maria. As I already said, we can't refund the fee. I think maybe "
        "you should have called. Let me transfer you. Have a nice day."
    )
    ctx = context(index=4, history=[past(0, Role.customer, "My bill is wrong")], customer_name="Maria")
    seen = set()
    for detector in ALL:
        assert detector.roles == frozenset({Role.agent})
        assert detector.name.startswith("calmline.") and detector.name.endswith(".v1")
        for signal in detector(agent(text), ctx):
            seen.add(signal.kind)
            assert signal.kind in AGENT_SIGNALS
            assert signal.practice is not None
            assert signal.evidence, signal
            for item in signal.evidence:
                assert item.turn == 4
                assert text[item.span[0] : item.span[1]] == item.quote
    assert {"hostile_tone", "shouting", "lecture", "negative_phrasing", "hedging", "transfer"} <= seen


def test_the_registry_builds_every_agent_detector_by_name() -> None:
    from calmline.engine import registry

    names = {d.name for d in ALL}
    assert names <= set(registry.names())
    assert {registry.create(name).name for name in names} == names


# --- P02 acknowledgement ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "I understand how frustrating it must be to get the same bill twice.",
        "I'm sorry you've had to deal with three missed deliveries.",
        "That sounds really stressful, especially with the baby at home.",
        "I can hear how upset you are, and I want to fix this.",
        "Obviously upsetting — I'm sorry.",
        "I'm so sorry to hear that.",
        "That sounds really disruptive, especially after all those restarts.",
    ],
)
def test_acknowledgements_of_the_feeling_are_found(text: str) -> None:
    assert [s.kind for s in run(ACK, text)] == ["acknowledgement"]


@pytest.mark.parametrize(
    "text",
    [
        "Honestly, I get why that's maddening.",
        "That must have been such a worry with the wedding so close.",
        "I'd be fed up too if I'd been told three different dates.",
        "Sorry you've been going round in circles with us.",
        "You must be at the end of your tether by now.",
        "I apologise for the wait on the phone today.",
        "You're right to be annoyed about the second charge.",
        "You shouldn't have had to chase us for this.",
        "Of course you're cross, anyone would be.",
        "I'm sorry you were kept in the dark about the strike.",
        "Being passed from pillar to post is the last thing you need.",
        # The team's voice and the formal register of written support, which hid the feeling before.
        "We understand your frustration, and we will look into the delivery today.",
        "I understand your dissatisfaction with receiving the wrong colour.",
        "We completely understand how urgent this is for you.",
        "We can see why you're unhappy with the second charge.",
        "Please accept our deepest apologies for the inconvenience caused.",
    ],
)
def test_a_feeling_named_in_any_words_is_an_acknowledgement(text: str) -> None:
    assert [s.kind for s in run(ACK, text)] == ["acknowledgement"]


@pytest.mark.parametrize(
    "text",
    [
        "I understand your account number ends in 4471.",
        "I can see a lot of payments on the account.",
        "I see the charge on the 3rd of May.",
        "It seems the parcel went back to the depot.",
        "Let me pull up your account.",
        "I can see the delay on the tracking page.",
        "I understand the wait time is two weeks.",
        "Sorry, could you spell the street name?",
        "We understand that you want a refund. Please send the item back first.",
        "We can see the order left the warehouse on Monday.",
    ],
)
def test_understanding_a_fact_is_not_acknowledging_a_feeling(text: str) -> None:
    assert run(ACK, text) == []


# --- P03 clarifying questions and restatement ------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "When did you first notice the charge?",
        "Can you tell me which card you used?",
        "Could you walk me through what happened when the engineer arrived",
        "Okay, and which address was the parcel sent to?",
        "Was the boiler making any noise before it stopped?",
    ],
)
def test_questions_about_the_problem_are_clarifying(text: str) -> None:
    assert quotes(QUESTION, text) == [text]


def test_a_question_after_other_sentences_is_still_found() -> None:
    assert quotes(QUESTION, "Thanks for that. When did you first notice the charge?") == [
        "When did you first notice the charge?"
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Is there anything else I can help you with?",
        "How can I help you today?",
        "Would you prefer a refund or a replacement?",
        "Would you maybe like a call back instead?",
        "Do you understand?",
        "Did you even read the email?",
        "I've refunded the fee.",
        "How may I assist you today?",
        "I can book the technician; would Thursday morning suit you?",
    ],
)
def test_offers_openers_and_rhetoric_are_not_clarifying_questions(text: str) -> None:
    assert run(QUESTION, text) == []


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("So what I'm hearing is that you were charged twice in May.", "So what I'm hearing is"),
        ("If I understand correctly, the router drops every evening.", "If I understand correctly"),
        (
            "Just to make sure I've got this right: the engineer never came?",
            "Just to make sure I've got this right",
        ),
        ("So you're saying the refund never reached your account.", "So you're saying"),
        ("Let me check I've got it right: the second payment was a retry?", "Let me check I've got it right"),
        ("Just to check I have it right, the freeze starts on June 3?", "Just to check I have it right"),
    ],
)
def test_restatements_are_found(text: str, phrase: str) -> None:
    assert quotes(RESTATE, text) == [phrase]


@pytest.mark.parametrize(
    "text", ["The refund was processed on Monday.", "Let me make sure the refund goes through."]
)
def test_plain_statements_are_not_restatements(text: str) -> None:
    assert run(RESTATE, text) == []


# --- P04 interruption -------------------------------------------------------------------------


def test_a_multi_part_answer_is_not_an_interruption_unless_the_playbook_counts_rapid_fire() -> None:
    history = [
        past(0, Role.customer, "My heating is off."),
        past(1, Role.agent, "Let me check."),
        past(2, Role.agent, "Still looking."),
    ]
    # The customer is waiting, not talking: nobody is being talked over.
    assert run(INTERRUPT, "Found it.", context(index=3, history=history)) == []
    [signal] = run(
        listening.make_interruption(max_in_a_row=3), "Found it.", context(index=3, history=history)
    )
    assert signal.data == {"reason": "rapid_fire", "consecutive": 3}


def test_two_agent_messages_in_a_row_and_a_greeting_burst_are_not_interruptions() -> None:
    two = [past(0, Role.customer, "Hi"), past(1, Role.agent, "Hello!")]
    assert run(INTERRUPT, "How can I help?", context(index=2, history=two)) == []
    greeting = [past(0, Role.agent, "Hi"), past(1, Role.agent, "I'm Sam.")]
    assert run(INTERRUPT, "How can I help?", context(index=2, history=greeting)) == []


class TimedAnalysis(TurnAnalysis):
    """A history entry that carries voice timings (TurnAnalysis itself does not, yet)."""

    start: float | None = None
    end: float | None = None


def test_talking_over_the_customer_is_an_interruption_on_voice() -> None:
    customer = TimedAnalysis(
        index=0, speaker="c", role=Role.customer, text="and then the engineer", signals=[],
        state=CustomerState(), guidance=[], alerts=[], start=3.0, end=12.0,
    )  # fmt: skip
    ctx = context(index=1, history=[customer])
    over = agent("Right, so let me stop you there.").model_copy(update={"start": 11.0, "end": 13.0})
    after = over.model_copy(update={"start": 12.4})
    [signal] = INTERRUPT(over, ctx)
    assert signal.data == {"reason": "overlap", "overlap_seconds": 1.0}
    assert INTERRUPT(after, ctx) == []


# --- P01 hostile tone and shouting -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Calm down, I'm trying to help.", "calm_down"),
        ("Relax, it's only a fee.", "calm_down"),
        ("There's no need to shout at me.", "calm_down"),
        ("Obviously you didn't restart the router.", "sarcasm"),
        ("As anyone can see, the charge is correct.", "sarcasm"),
        ("Good luck with that.", "sarcasm"),
        ("Whatever. I'll resend it.", "sarcasm"),
        ("Nice try, but the warranty expired.", "sarcasm"),
        ("It's not my fault the parcel is late.", "defensive"),
        ("Don't blame me, I just work here.", "defensive"),
        ("I don't have time for this.", "anger"),
        ("I've checked it twice. Whatever, it's done.", "sarcasm"),
        ("I've looked at it. Relax, it's only a fee.", "calm_down"),
        ("Getting upset will not make the parcel appear.", "calm_down"),
    ],
)
def test_hostile_tone_is_found_with_its_category(text: str, category: str) -> None:
    assert [s.data["category"] for s in run(HOSTILE, text)] == [category]


@pytest.mark.parametrize(
    "text",
    [
        "Watch your language, please.",
        "Mind your tone with me.",
        "There's no need to be so rude about it.",
        "There's no call for that kind of language.",
        "I won't help you if you keep swearing.",
        "We're not going to deal with you while you're shouting.",
        "I don't appreciate your attitude.",
        "Please be more respectful.",
        "Language, please!",
        "Don't speak to me like that.",
        "That sort of language isn't acceptable.",
    ],
)
def test_telling_the_customer_how_to_speak_is_tone_policing(text: str) -> None:
    assert "tone_policing" in [s.data["category"] for s in run(HOSTILE, text)]


@pytest.mark.parametrize(
    "text",
    [
        # Calm boundaries about insults aimed at the agent: what the abuse policy asks for (P11).
        "I want to help, but I won't accept being called names.",
        "Please keep the conversation free of personal insults so I can keep working on this.",
        "If the insults continue, I'll have to end the call.",
        "I'm happy to help, as long as we keep this respectful.",
        # Ordinary words that sound alike.
        "You can change the language of your account in settings.",
        "The tone you hear means the line is connected.",
        "Please watch your inbox for the label.",
    ],
)
def test_calm_boundaries_and_look_alikes_are_not_tone_policing(text: str) -> None:
    assert "tone_policing" not in [s.data["category"] for s in run(HOSTILE, text)]


@pytest.mark.parametrize(
    "text",
    [
        "Well, clearly you know better than our engineers.",
        "You're obviously the expert here.",
        "Since you know everything, you won't need my help.",
        "Congratulations, you've found a bug.",
        "Well done, you finally found the email.",
        "What a surprise, the customer is always right.",
        "I'm sure you did.",
        "Oh great, another password reset.",
        "As I'm sure you're aware, the store closes at six.",
    ],
)
def test_sarcasm_from_the_agent_is_found(text: str) -> None:
    assert [s.data["category"] for s in run(HOSTILE, text)] == ["sarcasm"]


def heated(*kinds: str, mood: float = 0.0) -> Context:
    signals = [Signal(kind=kind, score=0.9, detector="test") for kind in kinds]
    history = [past(0, Role.customer, "This is a joke, you lot are hopeless!", signals)]
    return context(index=1, history=history, state=CustomerState(mood=mood))


@pytest.mark.parametrize(
    "text", ["Thanks SO much for your patience.", "Thank you sooo much.", "Thanks for the kind words."]
)
def test_emphatic_thanks_are_sarcastic_after_a_fight_and_sincere_otherwise(text: str) -> None:
    assert [s.data["category"] for s in run(HOSTILE, text, heated("anger"))] == ["sarcasm"]
    assert [s.data["category"] for s in run(HOSTILE, text, heated(mood=-3))] == ["sarcasm"]
    assert run(HOSTILE, text, heated("positive")) == []
    assert run(HOSTILE, "Thank you so much for your patience.", heated("anger")) == []


@pytest.mark.parametrize(
    "text",
    [
        "Congratulations on the new baby!",
        "Well done for spotting that, it helped us find the fault.",
        "I'm sure you're busy, so I'll keep this short.",
        "You clearly know the product well, so I'll skip the basics.",
        "Thanks a million for the photos, they help.",
    ],
)
def test_sincere_praise_and_thanks_are_not_sarcasm(text: str) -> None:
    assert run(HOSTILE, text) == []


# --- P02 minimising ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("It's only a small delay, your order is on its way.", "It's only a small delay"),
        ("Honestly, it's not a big deal.", "it's not a big deal"),
        ("It's just two days.", "It's just two days"),
        ("These things happen with couriers.", "These things happen"),
        ("The charge was only £4.99.", "The charge was only £4.99"),
        ("Delays happen sometimes.", "Delays happen sometimes"),
        ("It's not the end of the world.", "not the end of the world"),
        ("It could have been a lot worse.", "It could have been a lot worse"),
        ("At least it arrived in the end.", "At least it"),
        ("You're making a big fuss over a few pence.", "You're making a big fuss"),
        ("That was only a minor glitch.", "That was only a minor glitch"),
    ],
)
def test_making_the_problem_sound_small_is_minimising(text: str, phrase: str) -> None:
    [signal] = run(MINIMISING, text)
    assert (signal.kind, signal.practice) == ("minimising", "P02")
    assert [e.quote for e in signal.evidence] == [phrase]


@pytest.mark.parametrize(
    "text",
    [
        "Just to confirm, your order number ends in 442?",
        "I just need your postcode and I'll check.",
        "It'll only take a couple of minutes to reset.",
        "We can get it to you in just two days.",
        "For only £5 more you can upgrade to next-day delivery.",
        "It's not just a small delay, I know, and I'm sorry.",
        "If it happens again, call me directly.",
        "It happens to be our busiest week.",
        "This is a big problem and I'm treating it as one.",
        "You'll get at least the full amount back.",
        "Is that a big problem for you?",
    ],
)
def test_small_words_that_do_not_shrink_the_problem_are_not_minimising(text: str) -> None:
    assert run(MINIMISING, text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Obviously upsetting — I'm sorry.",
        "This is obviously frustrating, and we want to fix it.",
        "Whatever works best for you is fine with me.",
        "You can relax now; the refund has gone through.",
        "Once things calm down at the depot, your parcel will move.",
        "Please take care of the paperwork when you can.",
    ],
)
def test_sincere_lines_are_not_hostile(text: str) -> None:
    assert run(HOSTILE, text) == []


@pytest.mark.parametrize(
    "text", ["This is NOT ACCEPTABLE.", "I have ALREADY TOLD you.", "Your refund is processed!!"]
)
def test_capitals_and_exclamation_runs_are_shouting(text: str) -> None:
    assert [s.kind for s in run(SHOUT, text)] == ["shouting"]


@pytest.mark.parametrize(
    "text",
    [
        "Your PIN and IBAN are on the letter.",
        "I've sent it to [EMAIL] and I'll call [PHONE].",
        "Your reference is ABCD-1234 and the code is XKCD-77.",
        "I'm SO sorry!",
        "Great news!",
    ],
)
def test_acronyms_placeholders_codes_and_single_marks_are_not_shouting(text: str) -> None:
    assert run(SHOUT, text) == []


# --- P05 lecture ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("You should have called us before cancelling.", "blame"),
        ("As I already said, the fee is non-refundable.", "reminder"),
        ("If you had read the terms, you'd know.", "blame"),
        ("You need to understand that the contract runs for a year.", "preach"),
        ("It's your responsibility to keep the receipt.", "blame"),
        ("According to our policy, you must return it within 14 days.", "preach"),
        ("Like I told you, the engineer is booked.", "reminder"),
        ("You failed to pay the May bill.", "blame"),
        ("As I already stated, the package shows as delivered.", "reminder"),
        ("As per our policy, once the carrier marks it delivered, customers must wait 48 hours.", "preach"),
    ],
)
def test_lectures_and_blame_are_found(text: str, category: str) -> None:
    assert [s.data["category"] for s in run(LECTURE, text)] == [category]


@pytest.mark.parametrize(
    ("text", "quote"),
    [
        # The customer as subject + a failure: the grammar, not a list of stock phrases.
        ("You weren't home when the driver came, so it went back.", "You weren't home"),
        ("The driver says you were not in at 2pm.", "you were not in"),
        ("You didn't tick the box for a signature.", "You didn't tick"),
        ("You never told us you'd moved house.", "You never told"),
        ("You forgot to add the flat number.", "You forgot to add"),
        ("You entered the wrong postcode at checkout.", "You entered the wrong"),
        ("You typed your email address incorrectly.", "You typed your email address incorrectly"),
        ("Had you checked the tracking page, you'd know.", "Had you checked"),
        ("If you'd opened the email, you'd have seen the new date.", "If you'd opened"),
        ("You could have just asked us first.", "You could have just asked"),
        ("That was your own mistake, I'm afraid.", "That was your own mistake"),
        ("You missed the delivery slot twice.", "You missed the"),
    ],
)
def test_blaming_the_customer_is_found_from_its_grammar(text: str, quote: str) -> None:
    [signal] = run(LECTURE, text)
    assert signal.data["category"] == "blame"
    assert signal.evidence[0].quote == quote


@pytest.mark.parametrize(
    "text",
    [
        "You should receive it by Friday.",
        "You should get a text an hour before the driver arrives.",
        "We should have caught that before it went out.",
        "If you didn't receive the code, I'll send another.",
        "You didn't do anything wrong here.",
        "You didn't need to do anything; it renews by itself.",
        "None of this is your fault.",
        "Did you get the email I sent this morning?",
        "I'm sorry you didn't get an update from us.",
        "You never have to pay for returns.",
        "You weren't charged for the second parcel.",
        "If you'd like, I can call you back this afternoon.",
    ],
)
def test_news_reassurance_and_our_own_faults_are_not_blame(text: str) -> None:
    assert run(LECTURE, text) == []


@pytest.mark.parametrize(
    ("text", "quote"),
    [
        (
            "As per the terms and conditions, cancellations need 24 hours' notice.",
            "As per the terms and conditions",
        ),
        ("Our terms clearly state that deliveries can't be moved.", "Our terms clearly state"),
        ("Company policy is that opened items aren't refunded.", "Company policy is that"),
        ("I'm afraid that's company policy.", "that's company policy"),
        ("The returns policy doesn't allow exchanges after 30 days.", "The returns policy doesn't allow"),
        ("I have to follow the policy on this one.", "I have to follow the policy"),
        ("Next time, please make sure someone is in to sign.", "Next time, please make sure"),
    ],
)
def test_policy_recited_at_the_customer_is_preaching(text: str, quote: str) -> None:
    [signal] = run(LECTURE, text)
    assert (signal.data["category"], signal.evidence[0].quote) == ("preach", quote)


@pytest.mark.parametrize(
    "text",
    [
        "You're entitled to a full refund under our returns policy.",
        "According to our records, the parcel was delivered at 2pm.",
        "I've read our policy again and you're covered for this.",
        "Under the warranty the repair is free.",
    ],
)
def test_policy_that_helps_the_customer_is_not_preaching(text: str) -> None:
    assert run(LECTURE, text) == []


@pytest.mark.parametrize(
    "text",
    [
        "You should have received an email from us.",
        "You should have your new card by Friday.",
        "You should have had a text from us this morning.",
        "I should have explained that better.",
        "As I mentioned, the refund is on its way.",
        "I'm closing this chat now because of the language, as I told you I would.",
    ],
)
def test_information_and_self_criticism_are_not_lectures(text: str) -> None:
    assert run(LECTURE, text) == []


# --- P06 canned repeat ------------------------------------------------------------------------


def test_a_line_repeated_from_an_earlier_agent_turn_is_canned() -> None:
    history = [
        past(0, Role.customer, "Where is my refund?"),
        past(1, Role.agent, "Your refund will be processed within five business days."),
        past(2, Role.customer, "That's what you said last week!"),
    ]
    text = "I understand. Your refund will be processed within five business days!"
    [signal] = run(CANNED, text, context(index=3, history=history))
    assert signal.evidence[0].quote == "Your refund will be processed within five business days!"
    assert signal.data == {"earlier_turn": 1}


def test_short_lines_customer_lines_and_new_lines_are_not_canned() -> None:
    history = [
        past(0, Role.customer, "Your refund will be processed within five business days, you said."),
        past(1, Role.agent, "Thank you for waiting."),
    ]
    ctx = context(index=2, history=history)
    assert run(CANNED, "Thank you for waiting.", ctx) == []
    assert run(CANNED, "Your refund will be processed within five business days.", ctx) == []
    assert run(CANNED, "The credit will show on your next statement.", ctx) == []


# --- P07 negative phrasing --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "We don't do that.",
        "That's not possible.",
        "I can't change the due date.",
        "We can't refund the fee.",
        "There's nothing I can do.",
        "That's not our policy.",
        "Unfortunately we're unable to offer a refund.",
        "No, we don't.",
        "There is nothing further I can do from here.",
        "A supervisor is not available at this time.",
    ],
)
def test_negative_phrasing_is_found(text: str) -> None:
    assert [s.kind for s in run(NEGATIVE, text)] == ["negative_phrasing"]


@pytest.mark.parametrize(
    "text",
    [
        "I can't wait to get this sorted for you.",
        "I can't imagine how stressful this has been.",
        "I can't thank you enough for your patience.",
        "We can refund the fee today.",
        "I want to help, but I can't continue if the language stays like this.",
        "I can't promise a date, but I'll update you by Friday.",
        "The engineer is available right now.",
    ],
)
def test_idioms_boundaries_and_honest_limits_are_not_negative_phrasing(text: str) -> None:
    assert run(NEGATIVE, text) == []


@pytest.mark.parametrize(
    ("text", "quote"),
    [
        ("Unfortunately there's not much we can do about the courier.", "there's not much we can do"),
        ("There's really nothing more I can do.", "There's really nothing more I can do"),
        ("Nothing else we can do, sorry.", "Nothing else we can do"),
        ("That's out of my hands, I'm afraid.", "That's out of my hands"),
        ("My hands are tied on this one.", "My hands are tied"),
        ("The system won't let me change the address.", "The system won't let me"),
        ("I'm not allowed to move the appointment.", "I'm not allowed to"),
        ("It's not up to me, it's the warehouse.", "It's not up to"),
        ("I don't have the authority to waive it.", "I don't have the authority to"),
    ],
)
def test_nothing_i_can_do_in_its_many_forms_is_negative_phrasing(text: str, quote: str) -> None:
    assert quotes(NEGATIVE, text) == [quote]


@pytest.mark.parametrize(
    "text",
    [
        "There's nothing I'd like more than to fix this today.",
        "There's nothing to worry about, your money is safe.",
        "I can't wait to get this sorted for you.",
        "I can't stress enough how sorry I am.",
        "It's up to you which day suits best.",
    ],
)
def test_nothing_and_cannot_that_are_not_refusals_are_not_negative_phrasing(text: str) -> None:
    assert run(NEGATIVE, text) == []


# --- P08 transfer and P10 supervisor ---------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Let me transfer you to billing.",
        "I'll put you through to our returns team.",
        "You'll need to call another department for that.",
        "Transferring you now.",
        "Please hold while I transfer you.",
    ],
)
def test_transfers_are_found(text: str) -> None:
    assert [s.kind for s in run(TRANSFER, text)] == ["transfer"]


@pytest.mark.parametrize(
    "text",
    [
        "I've transferred £20 to your account.",
        "The bank transfer cleared this morning.",
        "I won't transfer you again; I'll handle it myself.",
    ],
)
def test_money_transfers_and_refusals_to_transfer_are_not_transfers(text: str) -> None:
    assert run(TRANSFER, text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Let me bring in my supervisor.",
        "I'm getting my team lead.",
        "I'll check with my manager and come back to you.",
        "My supervisor will call you this afternoon.",
        "I've let my supervisor know about this call.",
        "My team leader has been informed.",
    ],
)
def test_bringing_in_a_supervisor_is_found(text: str) -> None:
    assert [s.kind for s in run(SUPERVISOR, text)] == ["supervisor_involved"]


@pytest.mark.parametrize(
    "text",
    [
        "You can't speak to my manager right now.",
        "My manager approved the refund yesterday.",
        "I haven't told my manager yet.",
        "I told my manager I would be late.",
    ],
)
def test_mentioning_a_manager_is_not_involving_one(text: str) -> None:
    assert run(SUPERVISOR, text) == []


# --- P09 promises and overpromises -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "clause", "due", "beyond"),
    [
        ("I'll call you back tomorrow.", "I'll call you back tomorrow", "tomorrow", False),
        (
            "You'll receive a refund within 5 business days.",
            "You'll receive a refund within 5 business days",
            "within 5 business days",
            False,
        ),
        (
            "I will email you by Friday, and thanks again.",
            "I will email you by Friday, and thanks again",
            "by Friday",
            False,
        ),
        ("Okay. I'll refund you $120 today.", "I'll refund you $120 today", "today", True),
        (
            "I'll definitely have it fixed by tonight.",
            "I'll definitely have it fixed by tonight",
            "by tonight",
            True,
        ),
    ],
)
def test_promises_carry_their_clause_due_date_and_authority(
    text: str, clause: str, due: str, beyond: bool
) -> None:
    [signal] = run(PROMISE, text)
    assert signal.data == {"text": clause, "due": due, "beyond_authority": beyond}
    assert signal.practice == ("P09" if beyond else "P18")


@pytest.mark.parametrize(
    "text",
    [
        "You should have received an email from us.",
        "I can't promise a date yet.",
        "Did you get my email?",
        "I won't be able to call you tomorrow.",
        "I'll be honest with you.",
    ],
)
def test_non_commitments_are_not_promises(text: str) -> None:
    assert run(PROMISE, text) == []


def test_promise_authority_follows_the_configured_refund_limit_and_allowed_phrases() -> None:
    generous = commitments.make_promise(max_refund=200)
    assert run(generous, "I'll refund you $120 today.")[0].data["beyond_authority"] is False
    allowed = commitments.make_promise(may_promise=["call you back"])
    assert run(allowed, "I'll definitely call you back tomorrow.")[0].data["beyond_authority"] is False


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("I guarantee it will be fixed today.", "guarantee"),
        ("I promise this will never happen again.", "guarantee"),
        ("I'm 100% sure it ships tonight.", "guarantee"),
        ("It will definitely be there by tonight.", "certain_outcome"),
        ("I'll refund you $120 right now.", "refund_limit"),
    ],
)
def test_overpromises_are_found(text: str, category: str) -> None:
    assert category in [s.data["category"] for s in run(OVERPROMISE, text)]


@pytest.mark.parametrize(
    "text",
    [
        "I can definitely look into that.",
        "I can't guarantee a delivery date.",
        "There's no guarantee the courier is on time, but I'll chase them.",
        "I'll refund the $20 fee now.",
        "You were refunded 100% of the fare.",
        "I'll definitely call you back tomorrow.",
    ],
)
def test_keepable_commitments_are_not_overpromises(text: str) -> None:
    assert run(OVERPROMISE, text) == []


def test_refund_limit_is_configurable() -> None:
    assert run(commitments.make_overpromise(max_refund=200), "I'll refund you $120 right now.") == []
    [signal] = run(OVERPROMISE, "We can credit you £75 today.")
    assert signal.data == {"category": "refund_limit", "amount": 75.0, "max_refund": 50.0}


# --- P14 apology and P11 boundary -------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "I'm so sorry about the mix-up.",
        "I apologise for the delay.",
        "My apologies, that was our error.",
        "Please accept my sincerest apologies if my last message was unclear.",
        "Our heartfelt apologies, the parcel should have arrived on Friday.",
    ],
)
def test_apologies_are_found(text: str) -> None:
    assert [s.kind for s in run(APOLOGY, text)] == ["apology"]


@pytest.mark.parametrize(
    "text", ["I'm sorry, could you repeat the postcode?", "There's nothing to be sorry about."]
)
def test_asking_to_repeat_is_not_an_apology(text: str) -> None:
    assert run(APOLOGY, text) == []


@pytest.mark.parametrize(
    "text",
    [
        "I want to help you, but I can't continue if the language stays like this.",
        "Please keep the conversation respectful so I can help.",
        "If the insults continue, I'll have to end this call.",
        "I want to help, but please leave the personal remarks out of it.",
        "I can help, but I need you to stop the name-calling.",
        "Please stop calling me names.",
    ],
)
def test_boundary_statements_are_found(text: str) -> None:
    assert [s.kind for s in run(BOUNDARY, text)] == ["boundary_statement"]


@pytest.mark.parametrize(
    "text",
    [
        "Please keep your receipt.",
        "I can't continue the refund without your order number.",
        "I'll have to end the trial subscription first.",
        "Please leave the parcel out of sight of the road.",
        "Please stop the payment if you want to.",
    ],
)
def test_limits_unrelated_to_conduct_are_not_boundaries(text: str) -> None:
    assert run(BOUNDARY, text) == []


# --- P15 name ---------------------------------------------------------------------------------


def test_the_customers_name_is_found_from_the_conversation_or_the_state() -> None:
    ctx = context(customer_name="Maria Lopez")
    assert quotes(NAME, "Thanks, Maria, that's done.", ctx) == ["Maria"]
    assert quotes(NAME, "Ms Lopez, your refund is ready.", ctx) == ["Lopez"]
    [signal] = run(NAME, "Ann, is that right?", context(state=CustomerState(customer_name="Ann")))
    assert signal.data == {"name": "Ann"}


def test_names_that_are_ordinary_words_count_only_when_used_as_a_name() -> None:
    ctx = context(customer_name="Will Turner")
    assert run(NAME, "Will you confirm the address? I will call you after.", ctx) == []
    assert quotes(NAME, "Thanks, Will.", ctx) == ["Will"]
    assert run(NAME, "Thanks for waiting.", ctx) == []
    assert run(NAME, "Thanks, Maria.", context()) == []


# --- P16 options and actions ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "I can either send a replacement or refund you in full.",
        "You have a couple of options here.",
        "Would you prefer a call back or an email?",
        "Alternatively, we can book an engineer for Monday.",
        "I can put it back in one of two ways: either I refund your card or I credit the account.",
    ],
)
def test_options_are_found(text: str) -> None:
    assert [s.kind for s in run(OPTIONS, text)] == ["options_offered"]


@pytest.mark.parametrize("text", ["Do you have either a receipt or an order number?", "I've sent the form."])
def test_asking_for_details_is_not_offering_options(text: str) -> None:
    assert run(OPTIONS, text) == []


@pytest.mark.parametrize(
    "text",
    [
        "I've issued a credit of $20.",
        "I have processed the refund.",
        "I've credited your account.",
        "Done — your refund is on its way.",
        "Done. The refund is submitted under reference RF-20931.",
        "The freeze is now set for June 3 to July 14.",
    ],
)
def test_actions_taken_are_found(text: str) -> None:
    assert [s.kind for s in run(ACTION, text)] == ["action_taken"]


@pytest.mark.parametrize(
    "text",
    [
        "Once I've processed it, you'll get a text.",
        "Have you updated the app?",
        "I haven't processed it yet.",
        "I'll process it now.",
    ],
)
def test_plans_questions_and_negations_are_not_actions(text: str) -> None:
    assert run(ACTION, text) == []


# --- P17 hedging and contradiction ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("I think maybe it's the router.", "I think maybe"),
        ("It'll probably arrive Tuesday.", "probably"),
        ("I guess we could try a reset.", "I guess"),
        ("I'm not sure but it might be the cable.", "I'm not sure"),
        ("It might possibly be a billing error.", "might possibly"),
    ],
)
def test_hedges_are_found(text: str, phrase: str) -> None:
    assert quotes(HEDGE, text) == [phrase]


@pytest.mark.parametrize(
    "text",
    [
        "I'm not sure I follow — could you say more?",
        "Would you maybe prefer a call back?",
        "I think the best next step is a reset.",
        "The engineer arrives on Tuesday.",
    ],
)
def test_clarifying_and_plain_statements_are_not_hedges(text: str) -> None:
    assert run(HEDGE, text) == []


@pytest.mark.parametrize(
    ("earlier", "now"),
    [
        ("We can refund the fee.", "Sorry, we can't refund the fee."),
        ("Your order was shipped yesterday.", "Your order wasn't shipped yet."),
        ("The fee is refundable.", "The fee is not refundable, I'm afraid."),
    ],
)
def test_saying_the_opposite_of_an_earlier_statement_is_a_contradiction(earlier: str, now: str) -> None:
    history = [past(0, Role.customer, "Can I get the fee back?"), past(1, Role.agent, earlier)]
    [signal] = run(CONTRADICTION, now, context(index=2, history=history))
    assert signal.evidence[0].quote == now
    assert signal.data == {"earlier_turn": 1, "earlier_quote": earlier, "earlier_span": [0, len(earlier)]}


@pytest.mark.parametrize(
    ("earlier", "now"),
    [
        ("We can refund the fee.", "I was wrong earlier: we can't refund the fee."),
        ("I can't see your order.", "I can see your order now."),
        ("We can refund the fee.", "We can refund the fee today."),
        ("We can refund the fee.", "Can we refund the fee? Let me look."),
        ("We can't change the date.", "We can refund the fee."),
    ],
)
def test_admitted_changes_news_and_agreement_are_not_contradictions(earlier: str, now: str) -> None:
    history = [past(0, Role.agent, earlier)]
    assert run(CONTRADICTION, now, context(index=1, history=history)) == []


# --- P20 closing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["Have a nice day!", "Thanks for calling, take care.", "Goodbye, Maria.", "Have a wonderful trip!"],
)
def test_closings_are_found(text: str) -> None:
    ctx = context(index=3, history=[past(1, Role.agent, "Hello")])
    assert [s.kind for s in run(CLOSING, text, ctx)] == ["closing"]


def test_thanks_for_calling_opens_the_first_turn_and_take_care_of_is_not_a_goodbye() -> None:
    assert run(CLOSING, "Thanks for calling Acme, this is Sam.") == []
    later = context(history=[past(0, Role.agent, "Hi")])
    assert run(CLOSING, "Please take care of the paperwork.", later) == []
    carrying_on = "Thanks for getting in touch about it; could I take your full name?"
    assert run(CLOSING, carrying_on, later) == []
    assert [s.kind for s in run(CLOSING, "Thank you for contacting us.", later)] == ["closing"]


@pytest.mark.parametrize(
    "text",
    [
        "Is there anything else I can help with?",
        "Before you go, is there anything more I can do for you?",
        "If you need anything else, just reply here.",
    ],
)
def test_offers_of_further_help_are_found(text: str) -> None:
    assert [s.kind for s in run(FURTHER, text)] == ["further_help_offer"]


@pytest.mark.parametrize(
    "text", ["Is there anything wrong with the meter?", "Do you need anything from me to proceed?"]
)
def test_questions_about_the_problem_are_not_offers_of_further_help(text: str) -> None:
    assert run(FURTHER, text) == []


# --- speed ------------------------------------------------------------------------------------


def test_all_agent_detectors_take_well_under_the_turn_budget() -> None:
    history = [
        past(i, Role.agent if i % 2 else Role.customer, "We can refund the fee. " * 3) for i in range(40)
    ]
    ctx = context(index=40, history=history, customer_name="Maria")
    turn = agent(
        "I understand how frustrating this is, Maria. I'll refund the fee today and email you by Friday. "
        "Is there anything else I can help with?"
    )
    timings = []
    for _ in range(200):
        start = time.perf_counter()
        for detector in ALL:
            detector(turn, ctx)
        timings.append(time.perf_counter() - start)
    assert statistics.median(timings) < 0.005
