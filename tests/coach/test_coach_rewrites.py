"""The coach's new checks on whole drafts, and what every rewrite promises: it fixes the whole draft (the whole
coach re-reads it and finds nothing), keeps every commitment, and adds no second acknowledgement."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from calmline.coach import coach_draft
from calmline.coach.keep import Commitments
from calmline.engine.text import sentence_at
from calmline.model import Conversation, Role, Turn
from tests.coach.test_coach import Chat, calm, detect, practices, report

Context = Callable[[], Chat]


def upset() -> Chat:
    return Chat().customer("It was meant to arrive on Monday and it's STILL not here!", "anger", "negative")


def worried() -> Chat:
    return Chat().customer("I'm so worried, my insulin pen was in that parcel.", "distress", "negative")


def abusive() -> Chat:
    return Chat().customer("Are you thick? Fix it, you useless idiot.", "abuse_at_agent", "anger")


def venting() -> Chat:
    return Chat().customer("This bloody router is a complete joke!", "venting", "anger")


def named() -> Chat:
    return Chat("Priya Shah").customer("I've been charged twice and nobody's fixed it!", "anger", "negative")


# (context, draft, practices a QA lead would expect, the draft's commitments)
DRAFTS: list[tuple[Context, str, set[str], list[str]]] = [
    # Blame (P05), with commitments after it.
    (upset, "You weren't home when the driver came, so the parcel went back to the depot. I've booked a "
     "redelivery for Thursday.", {"P02", "P05"}, ["I've booked a redelivery for Thursday"]),
    (calm, "If you'd read the confirmation email, you'd have known the slot changed.", {"P05"}, []),
    (calm, "You didn't add the flat number, which is why the courier couldn't find you. I'll update the "
     "address now.", {"P05"}, ["I'll update the address now"]),
    (upset, "You entered the wrong postcode at checkout. I've corrected it and the parcel leaves today.",
     {"P02", "P05"}, ["I've corrected it", "today"]),
    # Minimising (P02).
    (upset, "It's only a small delay, and your parcel will arrive on Friday.", {"P02"},
     ["your parcel will arrive on Friday"]),
    (worried, "These things happen, unfortunately. I'll call you back by 10am tomorrow.", {"P02"},
     ["I'll call you back by 10am tomorrow"]),
    (calm, "It's just two days late. The refund of £23.40 goes out within 5 working days.", {"P02"},
     ["£23.40", "within 5 working days"]),
    # Policy-speak (P05) and "nothing I can do" (P07).
    (upset, "Per our policy, refunds take 5 working days. I've issued £23.40 today.", {"P02", "P05"},
     ["5 working days", "£23.40", "today"]),
    (calm, "Our policy doesn't allow refunds after 30 days, so there's nothing I can do.", {"P05", "P07"}, []),
    (calm, "My hands are tied on the fee, but I've asked the billing team to call you by 5pm.", {"P07"},
     ["by 5pm"]),
    (calm, "Unfortunately there's not much we can do about the courier.", {"P07"}, []),
    # Tone-policing (P01): after venting, let it go; after insults, a calm boundary.
    (venting, "Watch your language, please. I'm resetting the line from here now.", {"P01", "P02"}, []),
    (abusive, "There's no need to be rude. I won't help you if you keep swearing.", {"P01", "P02"}, []),
    (calm, "Please be more respectful. I've sent the replacement today.", {"P01"}, ["I've sent", "today"]),
    # Sarcasm (P01).
    (upset, "Well, clearly you know better. The engineer is booked for Tuesday at 9am.", {"P01", "P02"},
     ["Tuesday at 9am"]),
    (calm, "Congratulations, you found a bug. I've logged it with the developers.", {"P01"}, ["I've logged"]),
    (upset, "Thanks SO much for your patience. I've refunded the £15 fee.", {"P01", "P02"},
     ["I've refunded", "£15"]),
    # Older checks, mixed with new ones and a name to use.
    (named, "Calm down. I'll call you back by 10am tomorrow.", {"P01", "P02", "P15"},
     ["I'll call you back by 10am tomorrow"]),
    (upset, "Calm down. It's only £40, and I'll call you back by 10am tomorrow with the breakdown.",
     {"P01", "P02"}, ["I'll call you back by 10am tomorrow"]),
    (named, "As I already said, the duplicate charge of £42 is refunded within 3 working days.",
     {"P02", "P05", "P15"}, ["£42", "within 3 working days"]),
    (upset, "We can't change the delivery date. You should have called us before it shipped.", {"P02", "P05", "P07"},
     []),
    # Good drafts: nothing to find, whatever the words ("just", "should", "can't", "policy").
    (upset, "I can see why that's maddening. I'll chase the courier and reply by 3pm tomorrow.", set(), []),
    (worried, "That must have been a worry. I've sent a replacement by express; it arrives within 2 working days.",
     set(), []),
    (upset, "I'd be fed up too. Your refund of £40 will reach you within 5 working days.", set(), []),
    (upset, "Sorry you've been going round in circles. I'll email you the tracking link today.", set(), []),
    (upset, "We should have caught that, and I'm sorry. I've refunded the delivery fee.", set(), []),
    (calm, "You should receive it by Friday, and I've added a £5 credit.", set(), []),
    (calm, "Just to confirm, is the order number 44812?", set(), []),
    (calm, "I can't wait to get this sorted for you.", set(), []),
    (calm, "You're entitled to a full refund under our returns policy; I've started it now.", set(), []),
    (abusive, "I want to help you, but I won't accept personal insults. If they continue I'll end the call.",
     set(), []),
]  # fmt: skip

ACKNOWLEDGING = {"acknowledgement", "apology"}


def acknowledgements(text: str, chat: Chat) -> int:
    """Sentences that acknowledge (a sentence with both an apology and a named feeling counts once)."""
    found = [e for s in detect(text, chat.context()) if s.kind in ACKNOWLEDGING for e in s.evidence]
    return len({sentence_at(text, e.span[0]) for e in found})


@pytest.mark.parametrize(
    ("chat", "draft", "expected", "commitments"), DRAFTS, ids=[d[1][:40] for d in DRAFTS]
)
def test_each_draft_gets_the_findings_a_qa_lead_expects(chat: Context, draft: str, expected: set[str],
                                                        commitments: list[str]) -> None:  # fmt: skip
    assert practices(draft, chat().context()) == expected


@pytest.mark.parametrize(
    ("chat", "draft", "expected", "commitments"), DRAFTS, ids=[d[1][:40] for d in DRAFTS]
)
def test_every_rewrite_rechecks_clean_keeps_the_commitments_and_adds_no_second_acknowledgement(
    chat: Context, draft: str, expected: set[str], commitments: list[str]
) -> None:
    ctx = chat().context()
    before = acknowledgements(draft, chat())
    for finding in report(draft, ctx).findings:
        assert finding.rewrites
        for rewrite in finding.rewrites:
            assert report(rewrite, ctx).findings == [], (finding.practice, rewrite)
            for commitment in commitments:
                assert commitment.casefold() in rewrite.casefold(), (commitment, rewrite)
            if before:
                assert acknowledgements(rewrite, chat()) <= before, rewrite
            else:
                assert acknowledgements(rewrite, chat()) <= 1, rewrite


OFFENDING = {"P01", "P05", "P07"}


@pytest.mark.parametrize(
    ("chat", "draft", "expected", "commitments"), DRAFTS, ids=[d[1][:40] for d in DRAFTS]
)
def test_a_rewrite_replaces_the_offending_words_instead_of_putting_an_opener_in_front(
    chat: Context, draft: str, expected: set[str], commitments: list[str]
) -> None:
    for finding in report(draft, chat().context()).findings:
        if finding.practice in OFFENDING and finding.quote:
            assert all(finding.quote not in rewrite for rewrite in finding.rewrites), finding


@pytest.mark.parametrize(
    ("chat", "draft", "rewrite"),
    [
        (calm, "You weren't home when the driver came, so the parcel went back to the depot. I've booked a "
         "redelivery for Thursday.", "The parcel went back to the depot. I've booked a redelivery for Thursday."),
        (calm, "Per our policy, refunds take 5 working days.", "Refunds take 5 working days."),
        (calm, "Our terms clearly state that refunds take 5 working days.", "Refunds take 5 working days."),
        (calm, "Calm down, I'll call you back by 10am tomorrow.", "I'll call you back by 10am tomorrow."),
        (calm, "It's only a small delay, and your parcel will arrive on Friday.", "Your parcel will arrive on Friday."),
        (calm, "Thanks SO much for your patience, I've refunded the £15 fee.", "Thanks SO much for your patience, "
         "I've refunded the £15 fee."),  # calm chat: sincere emphasis, nothing to rewrite
        (venting, "Watch your language. I'm resetting the line now.",
         "That sounds genuinely stressful, and I want to help you get it sorted. I'm resetting the line now."),
    ],
)  # fmt: skip
def test_the_first_rewrite_takes_out_the_offending_clause_and_keeps_the_rest(
    chat: Context, draft: str, rewrite: str
) -> None:
    found = report(draft, chat().context()).findings
    assert (found[0].rewrites[0] if found else draft) == rewrite


def test_after_insults_tone_policing_becomes_one_calm_boundary() -> None:
    ctx = abusive().context()
    draft = "There's no need to be rude. I won't help you if you keep swearing."
    for finding in report(draft, ctx).findings:
        first = finding.rewrites[0]
        assert "boundary_statement" in {s.kind for s in detect(first, ctx)}
        assert "rude" not in first and "swearing" not in first
        assert len(set(first.split(". "))) == len(first.split(". "))  # said once, not once per sentence


@pytest.mark.parametrize(
    "draft",
    [
        "I can see why that's maddening. Your parcel is now due on Friday.",
        "That must have been a worry. The engineer is booked for 9am.",
        "I'd be fed up too. The refund goes out today.",
        "Sorry you've been going round in circles. I've escalated it.",
        "You must be exhausted by all this. I've moved the appointment to Monday.",
        "I'm so sorry about the wait. The parcel is at the depot.",
        "No wonder you're cross. Let me look at the bill.",
        "I completely get why you're annoyed. It's only a small delay, though.",
    ],
)
def test_no_empathy_finding_on_a_draft_that_already_names_the_feeling(draft: str) -> None:
    assert "P02" not in practices(draft, upset().context())
    assert "P02" not in practices(draft, worried().context())


def test_commitments_are_times_dates_amounts_and_actions_but_not_guarantees_beyond_authority() -> None:
    draft = "I'll call you back by 10am tomorrow. I've refunded £23.40, and you'll get 10% off on 3rd May."
    found = Commitments.of(draft, detect(draft, calm().context())).phrases
    for phrase in ("I'll call", "by 10am", "tomorrow", "I've refunded", "£23.40", "10%", "3rd May"):
        assert phrase in found
    over = "I guarantee I'll refund you $120 today."
    found = Commitments.of(over, detect(over, calm().context())).phrases
    assert "$120" not in found and "today" in found


def test_figures_inside_the_words_the_coach_objects_to_are_not_commitments() -> None:
    draft = "It's only £40, and I'll refund £12 by Friday. Our terms say returns within 30 days, sorry."
    found = Commitments.of(draft, detect(draft, calm().context())).phrases
    assert "£12" in found and "by Friday" in found and "I'll refund" in found
    assert "£40" not in found and "within 30 days" not in found


def test_a_rewrite_that_would_drop_a_commitment_is_not_offered() -> None:
    draft = "Calm down, because the £23.40 refund will be with you within 5 working days."
    for finding in report(draft, calm().context()).findings:
        for rewrite in finding.rewrites:
            assert "£23.40" in rewrite and "within 5 working days" in rewrite


def test_end_to_end_blame_after_a_missed_delivery_is_found_and_fixed(engine) -> None:
    conversation = Conversation(
        customer_name="Tom Reed",
        turns=[
            Turn(speaker="Tom", role=Role.customer, text="Where is my parcel?? The tracking says it was delivered "
                 "and it WASN'T. This is the second time!"),
        ],
    )  # fmt: skip
    draft = "Tom, you weren't home when the driver came, so it went back to the depot. I'll rebook it for tomorrow."
    report_ = coach_draft(draft, conversation, engine)
    found = {f.practice for f in report_.findings}
    assert "P05" in found
    for finding in report_.findings:
        for rewrite in finding.rewrites:
            assert "weren't home" not in rewrite and "I'll rebook it for tomorrow" in rewrite
            assert coach_draft(rewrite, conversation, engine).findings == []
