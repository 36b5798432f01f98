"""Who is speaking in a plain-text transcript: user ids and handles are speakers; times, lists, links and
labels typed inside a message are not."""

from __future__ import annotations

import pytest

from calmline.errors import TranscriptError
from calmline.model import Role
from calmline.transcripts import guess_role, parse_transcript


def speakers_roles_texts(text: str) -> list[tuple[str, Role, str]]:
    return [(t.speaker, t.role, t.text) for t in parse_transcript(text).turns]


def parse_error(text: str) -> str:
    with pytest.raises(TranscriptError) as caught:
        parse_transcript(text, source="thread.txt")
    return str(caught.value)


# --- ids and handles ----------------------------------------------------------------------------


def test_a_public_thread_with_a_numeric_user_id_and_a_company_handle() -> None:
    text = (
        "204417: @NorthwindHelp my kettle was due on the 3rd and still nothing\n"
        "@NorthwindHelp: @204417 Sorry about this! Could you DM us your order number?\n"
        "204417: @NorthwindHelp sent it\n"
    )
    assert speakers_roles_texts(text) == [
        ("204417", Role.customer, "@NorthwindHelp my kettle was due on the 3rd and still nothing"),
        ("@NorthwindHelp", Role.agent, "@204417 Sorry about this! Could you DM us your order number?"),
        ("204417", Role.customer, "@NorthwindHelp sent it"),
    ]


def test_handles_with_digits_and_underscores_and_stamped_ids_are_speakers() -> None:
    text = "[09:14] @jo_smith_77: my router died\n[09:15] @Acme_Support: Let's get it back up.\n"
    assert speakers_roles_texts(text) == [
        ("@jo_smith_77", Role.customer, "my router died"),
        ("@Acme_Support", Role.agent, "Let's get it back up."),
    ]


def test_two_unknown_ids_still_need_to_be_told_who_is_who() -> None:
    text = "5561: hi\n@dana: hello, how can I help?\n"
    message = parse_error(text)
    assert "'5561' (line 1)" in message and "'@dana' (line 2)" in message and "--agent NAME" in message
    conversation = parse_transcript(text, agent="@dana")
    assert [t.role for t in conversation.turns] == [Role.customer, Role.agent]


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("@AcmeHelp", Role.agent),
        ("@SprintCare", Role.agent),
        ("@Uber_Support", Role.agent),
        ("UPSHelp", Role.agent),
        ("CustomerService", Role.agent),
        ("@CustomerCare", Role.agent),
        ("@jo_smith_77", None),
        ("204417", None),
        ("@AskNorthwind", None),
        ("Helper", None),  # a whole word, not a prefix
    ],
)
def test_a_handle_is_read_word_by_word_for_its_role(name: str, role: Role | None) -> None:
    assert guess_role(name) is role


# --- what is not a speaker ---------------------------------------------------------------------


def test_numbered_lists_times_and_links_inside_a_message_stay_text() -> None:
    text = (
        "Customer: Three things went wrong:\n"
        "1: the box was crushed\n"
        "12: no, wait, that's all\n"
        "10:45 was when the driver came\n"
        "10:45: he left without knocking\n"
        "https://example.com/track: shows delivered\n"
        "2024-03-01: the date on the label\n"
        "Agent: Let me look.\n"
    )
    turns = parse_transcript(text).turns
    assert [t.speaker for t in turns] == ["Customer", "Agent"]
    assert turns[0].text.splitlines()[1:] == [
        "1: the box was crushed",
        "12: no, wait, that's all",
        "10:45 was when the driver came",
        "10:45: he left without knocking",
        "https://example.com/track: shows delivered",
        "2024-03-01: the date on the label",
    ]


@pytest.mark.parametrize(
    "line",
    [
        "Note: I have called three times",
        "PS: the courier was rude",
        "P.S.: the courier was rude",
        "NB: the box was open",
        "Order number: 3348917502",
        "Order ID: 3348917502",
        "Ticket no.: 88120",
        "Email: jo@example.com",
        "Phone: 415 555 0134",
        "Date of birth: 1 May 1980",
        "Customer ID: 55102938",
        "Re: my refund",
    ],
)
def test_a_label_typed_inside_a_message_continues_it(line: str) -> None:
    turns = parse_transcript(f"Customer: Here are the details.\n{line}\nAgent: Thanks.\n").turns
    assert [t.speaker for t in turns] == ["Customer", "Agent"]
    assert turns[0].text == f"Here are the details.\n{line}"


@pytest.mark.parametrize("speaker", ["Case Manager", "Account Manager", "Customer", "Order Desk Agent"])
def test_names_that_start_with_a_label_word_are_still_speakers(speaker: str) -> None:
    turns = parse_transcript(f"{speaker}: Hello.\nCaller: Hi, my order is late.\n").turns
    assert [t.speaker for t in turns] == [speaker, "Caller"]


# --- the error when nothing looks like a speaker ----------------------------------------------------


def test_a_file_without_speaker_lines_says_what_a_speaker_line_looks_like() -> None:
    message = parse_error("the parcel never came\nand nobody answers the phone\n")
    assert message == (
        "thread.txt: no line starts with a speaker name followed by ':' (e.g. 'Customer: my parcel is late' "
        "or '[10:32] Agent: Hello'); the first line is 'the parcel never came'. Read as plain text "
        "'Name: text' lines, since the file does not start with '{' or '[' as JSON and JSONL do"
    )


def test_a_file_of_only_numbered_lines_is_not_a_transcript() -> None:
    message = parse_error("1: the box\n2: the charger\n")
    assert "no line starts with a speaker name followed by ':'" in message


def test_a_label_before_the_first_speaker_is_named_as_the_stray_line() -> None:
    message = parse_error("Note: this call was recorded\nAgent: Hello.\nCustomer: Hi.\n")
    assert "line 1 comes before the first 'Name: text' line" in message
