"""Reading transcripts: plain text, JSONL and conversation JSON, roles, and every error message."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calmline.errors import TranscriptError
from calmline.model import Channel, Conversation, Role
from calmline.transcripts import guess_role, parse_transcript, read_transcript
from tests.conftest import EXAMPLES


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def error_of(path: Path, **options: object) -> str:
    """The message read_transcript raises; it must be exactly one line."""
    with pytest.raises(TranscriptError) as caught:
        read_transcript(path, **options)  # type: ignore[arg-type]
    message = str(caught.value)
    assert len(message.splitlines()) == 1, message
    return message


def parse_error(text: str, **options: object) -> str:
    with pytest.raises(TranscriptError) as caught:
        parse_transcript(text, source="chat.txt", **options)  # type: ignore[arg-type]
    message = str(caught.value)
    assert len(message.splitlines()) == 1, message
    assert message.startswith("chat.txt: ")
    return message


def speakers_roles_texts(conversation: Conversation) -> list[tuple[str, Role, str]]:
    return [(t.speaker, t.role, t.text) for t in conversation.turns]


# --- plain text ------------------------------------------------------------------------


PLAIN = """\
Agent: Thanks for calling Northwind Energy, this is Priya. How can I help?
Customer: Hi. My bill this month is almost double what it usually is.
Agent: I'm sorry to hear that. Can you give me the account number?
Customer: Sure, it's 448120.
"""


def test_plain_text_reads_speakers_roles_texts_and_default_ids(tmp_path: Path) -> None:
    conversation = read_transcript(write(tmp_path, "bill-query.txt", PLAIN))

    assert conversation.id == "bill-query"
    assert conversation.channel is Channel.chat
    assert speakers_roles_texts(conversation) == [
        ("Agent", Role.agent, "Thanks for calling Northwind Energy, this is Priya. How can I help?"),
        ("Customer", Role.customer, "Hi. My bill this month is almost double what it usually is."),
        ("Agent", Role.agent, "I'm sorry to hear that. Can you give me the account number?"),
        ("Customer", Role.customer, "Sure, it's 448120."),
    ]
    assert [t.id for t in conversation.turns] == ["t1", "t2", "t3", "t4"]
    assert all(t.timestamp is None and t.start is None for t in conversation.turns)


def test_lines_without_a_speaker_continue_the_previous_turn() -> None:
    text = (
        "Customer: I have three problems with the order.\n"
        "First, the box was crushed.\n"
        "\n"
        "   Second: the charger is missing.\n"  # indented, so its colon does not make a speaker
        "and third, nobody answered my email!\n"
        "Agent: Let me go through all three with you.\n"
    )
    conversation = parse_transcript(text)

    assert len(conversation.turns) == 2
    assert conversation.turns[0].text == (
        "I have three problems with the order.\nFirst, the box was crushed.\n"
        "Second: the charger is missing.\nand third, nobody answered my email!"
    )


def test_colons_inside_a_message_do_not_start_a_turn() -> None:
    text = (
        "Agent: The portal is at https://example.com/help and it opens at 10:30 tomorrow.\n"
        "Customer: Ok: thanks.\n"
    )
    conversation = parse_transcript(text)

    assert [t.speaker for t in conversation.turns] == ["Agent", "Customer"]
    assert conversation.turns[1].text == "Ok: thanks."


def test_blank_lines_and_comments_are_skipped() -> None:
    text = "# exported from the chat widget\n\nCaller: hello?\n# (hold music)\n\nOperator: Yes, I'm here.\n"
    conversation = parse_transcript(text)

    assert speakers_roles_texts(conversation) == [
        ("Caller", Role.customer, "hello?"),
        ("Operator", Role.agent, "Yes, I'm here."),
    ]


def test_header_block_sets_conversation_fields_and_keeps_other_keys_as_metadata() -> None:
    text = (
        "# id: case-2291\n"
        "# channel: Email\n"
        "# started_at: 2024-11-02T09:15:00+00:00\n"
        "# after_hours: false\n"
        "# customer_name: Marcus Webb\n"
        "# agent_name: Joanna\n"
        "# queue: returns\n"
        "# Just a remark without a key value shape\n"
        "Customer: Where is my refund?\n"
        "# id: not-a-header-any-more\n"
        "Agent: Let me look it up, Marcus.\n"
    )
    conversation = parse_transcript(text, source="whatever.txt")

    assert conversation.id == "case-2291"
    assert conversation.channel is Channel.email
    assert conversation.started_at == datetime(2024, 11, 2, 9, 15, tzinfo=UTC)
    assert conversation.after_hours is False
    assert conversation.customer_name == "Marcus Webb"
    assert conversation.agent_name == "Joanna"
    assert conversation.metadata == {"queue": "returns"}


def test_header_names_tell_which_speaker_is_the_agent() -> None:
    text = "# agent_name: Joanna\n# customer_name: Marcus\nJoanna: Hi Marcus!\nMarcus: Hello.\n"
    conversation = parse_transcript(text)

    assert [t.role for t in conversation.turns] == [Role.agent, Role.customer]


def test_wall_clocks_become_timestamps_on_the_start_date_across_midnight() -> None:
    text = (
        "# started_at: 2025-01-14T23:58:30-05:00\n"
        "[23:58] Operator: After-hours line, what's the emergency?\n"
        "[23:59:40] Caller: There's no heat and it's freezing.\n"
        "[00:01] Operator: What's the address?\n"
        "[12:05 AM] Caller: 14 Birch Lane, unit 2.\n"
    )
    turns = parse_transcript(text).turns
    eastern = timezone(timedelta(hours=-5))

    assert [t.timestamp for t in turns] == [
        datetime(2025, 1, 14, 23, 58, tzinfo=eastern),  # a minute before started_at: same day
        datetime(2025, 1, 14, 23, 59, 40, tzinfo=eastern),
        datetime(2025, 1, 15, 0, 1, tzinfo=eastern),
        datetime(2025, 1, 15, 0, 5, tzinfo=eastern),
    ]


def test_wall_clocks_without_a_date_are_kept_in_metadata_for_ordering() -> None:
    text = "[10:32] Agent: Good morning.\n[10:32:05] Customer: Morning.\n[2:15 pm] Agent: Still there?\n"
    conversation = parse_transcript(text)

    assert all(t.timestamp is None for t in conversation.turns)
    assert conversation.metadata["turn_clock"] == {"t1": "10:32:00", "t2": "10:32:05", "t3": "14:15:00"}


def test_voice_ranges_set_start_and_end_and_make_it_a_voice_call() -> None:
    text = (
        "[00:01.2-00:04.8] Agent: Thank you for calling, this is Leo.\n"
        "[00:05.0-00:09.5] Caller: Yeah, hi, my internet has been down since last night.\n"
        "[00:09.6 - 00:12.0] and I work from home, so.\n"
        "[1:02:03.5-1:02:07] Agent: I understand.\n"
    )
    conversation = parse_transcript(text)
    turns = conversation.turns

    assert conversation.channel is Channel.voice
    assert (turns[0].start, turns[0].end) == (1.2, 4.8)
    assert turns[1].text == "Yeah, hi, my internet has been down since last night.\nand I work from home, so."
    assert (turns[1].start, turns[1].end) == (5.0, 12.0)  # the unlabelled segment extends the turn
    assert (turns[2].start, turns[2].end) == (3723.5, 3727.0)


def test_a_channel_header_wins_over_voice_ranges() -> None:
    text = "# channel: chat\n[00:01.0-00:02.0] Agent: hi\n[00:02.0-00:03.0] Customer: hi\n"
    assert parse_transcript(text).channel is Channel.chat


def test_a_utf8_byte_order_mark_is_fine(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.txt", "\ufeffAgent: Hello\r\nCustomer: Héllo, ça va?\r\n".encode())
    conversation = read_transcript(path)

    assert speakers_roles_texts(conversation) == [
        ("Agent", Role.agent, "Hello"),
        ("Customer", Role.customer, "Héllo, ça va?"),
    ]


# --- JSONL and conversation JSON -------------------------------------------------------


def test_jsonl_reads_one_turn_per_line_with_optional_fields(tmp_path: Path) -> None:
    lines = [
        {"speaker": "Dana", "role": "agent", "text": "Hi, you've reached support.", "id": "m-1"},
        {"speaker": "Rob", "text": "My parcel never came.", "timestamp": "2024-05-01T14:03:00Z"},
        {"speaker": "Dana", "text": "  Let me check.  ", "start": 3, "end": 4.5, "extra": "ignored"},
    ]
    path = write(tmp_path, "chat.jsonl", "\n".join(json.dumps(line) for line in lines) + "\n\n")
    conversation = read_transcript(path)

    assert conversation.id == "chat"
    assert speakers_roles_texts(conversation) == [
        ("Dana", Role.agent, "Hi, you've reached support."),
        ("Rob", Role.customer, "My parcel never came."),  # the other one of two speakers
        ("Dana", Role.agent, "  Let me check.  "),  # JSON texts are kept exactly
    ]
    assert [t.id for t in conversation.turns] == ["m-1", "t2", "t3"]
    assert conversation.turns[1].timestamp == datetime(2024, 5, 1, 14, 3, tzinfo=UTC)
    assert (conversation.turns[2].start, conversation.turns[2].end) == (3.0, 4.5)


def test_conversation_json_reads_fields_metadata_and_turns(tmp_path: Path) -> None:
    document = {
        "id": "call-77",
        "channel": "voice",
        "started_at": "2024-12-24T02:10:00",
        "after_hours": True,
        "customer_name": "Ana",
        "agent_name": "Tom",
        "metadata": {"line": "emergency", "priority": 1},
        "turns": [
            {"speaker": "Tom", "text": "Answering service, Tom speaking."},
            {"speaker": "Ana", "text": "The pipe under my sink burst."},
        ],
    }
    conversation = read_transcript(write(tmp_path, "export.txt", json.dumps(document, indent=2)))

    assert conversation.id == "call-77"
    assert conversation.channel is Channel.voice
    assert conversation.after_hours is True
    assert conversation.started_at == datetime(2024, 12, 24, 2, 10)
    assert conversation.metadata == {"line": "emergency", "priority": 1}
    assert [t.role for t in conversation.turns] == [Role.agent, Role.customer]


def test_a_bare_json_array_of_turns_is_accepted() -> None:
    text = json.dumps([{"speaker": "Bot", "text": "Connecting you."}, {"speaker": "Agent", "text": "Hi!"}])
    assert [t.role for t in parse_transcript(text).turns] == [Role.system, Role.agent]


def test_format_is_recognised_by_content_not_extension(tmp_path: Path) -> None:
    path = write(tmp_path, "looks-like.json", "Agent: I'm plain text after all.\nCustomer: ok\n")
    assert len(read_transcript(path).turns) == 2


# --- roles -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("Agent", Role.agent),
        ("agent sarah", Role.agent),
        ("Rep 2", Role.agent),
        ("Support (Dana)", Role.agent),
        ("Customer Service", Role.agent),
        ("Member Services", Role.agent),
        ("CSR", Role.agent),
        ("Dispatcher", Role.agent),
        ("Customer", Role.customer),
        ("Caller", Role.customer),
        ("Guest", Role.customer),
        ("Team Lead Maria", Role.supervisor),
        ("Manager", Role.supervisor),
        ("IVR", Role.system),
        ("Virtual Agent", Role.system),
        ("Bob", None),
        ("Customer Agent", None),  # points both ways: not guessed
        ("Agentha", None),  # a whole word, not a prefix
    ],
)
def test_guess_role_from_speaker_name(name: str, role: Role | None) -> None:
    assert guess_role(name) is role


def test_the_other_of_two_speakers_takes_the_remaining_role() -> None:
    conversation = parse_transcript("Caller: hi, is this the front desk?\nPriya: It is, how can I help?\n")
    assert [t.role for t in conversation.turns] == [Role.customer, Role.agent]


def test_agent_and_customer_options_name_the_speakers_case_insensitively() -> None:
    text = "Dana: Hi, this is Dana from Acme.\nRob: My order is late.\nDana: Sorry to hear that, Rob.\n"
    conversation = parse_transcript(text, agent="dana")
    assert [t.role for t in conversation.turns] == [Role.agent, Role.customer, Role.agent]

    conversation = parse_transcript(text, customer="DANA")
    assert [t.role for t in conversation.turns] == [Role.customer, Role.agent, Role.customer]


def test_options_can_override_a_guessed_role() -> None:
    text = "Member: I'm the agent here, confusingly.\nBob: and I'm calling in.\n"
    conversation = parse_transcript(text, agent="Member", customer="Bob")
    assert [t.role for t in conversation.turns] == [Role.agent, Role.customer]


def test_an_explicit_role_wins_over_options() -> None:
    text = "\n".join(
        json.dumps(t)
        for t in [
            {"speaker": "Dana", "text": "hi", "role": "supervisor"},
            {"speaker": "Dana", "text": "still me"},
            {"speaker": "Rob", "text": "hello"},
        ]
    )
    conversation = parse_transcript(text, agent="Dana")
    assert [t.role for t in conversation.turns] == [Role.supervisor, Role.agent, Role.customer]


def test_three_way_call_with_a_supervisor() -> None:
    text = "Agent: Let me bring in my lead.\nTeam Lead: Hi, I'm Carla.\nJo: Thank you both.\n"
    assert [t.role for t in parse_transcript(text).turns] == [Role.agent, Role.supervisor, Role.customer]


# --- errors ----------------------------------------------------------------------------


def test_unknown_speakers_are_named_with_a_hint(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "call.txt", "Dana: Hi there.\nRob: Hello.\nDana: How can I help?\n"))

    assert message.startswith(str(tmp_path / "call.txt"))
    assert "'Dana' (line 1)" in message and "'Rob' (line 2)" in message
    assert "--agent NAME" in message and "--customer NAME" in message


def test_an_option_that_matches_no_speaker_is_an_error() -> None:
    message = parse_error("Dana: Hi.\nRob: Hello.\n", agent="Danna")
    assert "--agent 'Danna' matches no speaker" in message and "'Dana', 'Rob'" in message


def test_agent_and_customer_cannot_be_the_same_speaker() -> None:
    message = parse_error("Dana: Hi.\nRob: Hello.\n", agent="Dana", customer="dana")
    assert "both name 'dana'" in message


def test_empty_file(tmp_path: Path) -> None:
    assert error_of(write(tmp_path, "empty.txt", "")).endswith("empty.txt: file is empty")
    assert "file is empty" in error_of(write(tmp_path, "blank.txt", "\n  \n\t\n"))


def test_only_comments(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "notes.txt", "# id: x\n\n# nothing was said\n"))
    assert "only blank lines and '#' comments" in message


def test_no_speaker_lines_says_what_was_expected_and_what_was_found(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "memo.txt", "Please call the customer back tomorrow\nthanks"))
    assert "no line starts with a speaker name followed by ':' (e.g. 'Customer: " in message
    assert "the first line is 'Please call the customer back tomorrow'" in message
    assert "plain text" in message and "JSON" in message and "'Name: text'" in message


def test_bytes_that_are_not_utf8_name_the_offset(tmp_path: Path) -> None:
    path = write(tmp_path, "latin1.txt", "Customer: café\n".encode("latin-1"))
    message = error_of(path)
    assert "not UTF-8" in message and "byte 0xe9 at byte offset 13" in message


def test_offset_counts_from_the_start_of_the_file_including_a_bom(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "b.txt", b"\xef\xbb\xbfAgent: \xff"))
    assert "byte 0xff at byte offset 10" in message


def test_utf16_is_recognised_and_refused(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "w.txt", "Agent: hi\n".encode("utf-16")))
    assert "UTF-16" in message and "save it as UTF-8" in message


def test_file_larger_than_max_bytes(tmp_path: Path) -> None:
    path = write(tmp_path, "big.txt", "Agent: " + "x" * 2000 + "\n")
    message = error_of(path, max_bytes=1000)

    assert "2,008 bytes" in message and "limit of 1,000 bytes" in message
    assert "--max-bytes" in message
    assert len(read_transcript(path, max_bytes=3000).turns) == 1


def test_turn_longer_than_max_turn_chars(tmp_path: Path) -> None:
    path = write(tmp_path, "long.txt", "Agent: hi\nCustomer: " + "blah " * 30 + "\n")
    message = error_of(path, max_turn_chars=100)
    assert "turn 2 (line 2)" in message and "149 characters" in message and "limit of 100" in message

    document = json.dumps({"turns": [{"speaker": "Agent", "text": "y" * 101}]})
    assert "turn 1 is 101 characters" in parse_error(document, max_turn_chars=100)


def test_continuation_lines_count_towards_the_turn_length() -> None:
    text = "Customer: " + "a" * 60 + "\n" + "b" * 60 + "\nAgent: ok\n"
    assert "turn 1 (line 1)" in parse_error(text, max_turn_chars=100)


def test_bad_jsonl_line_is_named() -> None:
    text = '{"speaker": "Agent", "text": "hi"}\n{"speaker": "Customer", "text": "hello"}\n{"speaker": "Agent", "te\n'
    message = parse_error(text)
    assert "line 3, column 22: invalid JSON in JSONL" in message


def test_bad_conversation_json_gives_its_line() -> None:
    text = '{\n  "id": "x",\n  "turns": [\n    {"speaker": "Agent" "text": "hi"}\n  ]\n}\n'
    message = parse_error(text)
    assert "invalid JSON (line 4, column" in message


def test_missing_speaker_or_text() -> None:
    assert "line 2 has no 'speaker'" in parse_error('{"speaker": "Agent", "text": "a"}\n{"text": "b"}')
    message = parse_error(json.dumps({"turns": [{"speaker": "Agent"}]}))
    assert "turn 1 has no 'text'" in message


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"turns": [{"speaker": "Agent", "text": 42}]}, "turn 1: 'text' must be a string, not a number"),
        ({"turns": [{"speaker": ["Agent"], "text": "x"}]}, "'speaker' must be a string, not an array"),
        ({"turns": "Agent: hi"}, "'turns' must be an array, not a string"),
        ({"turns": ["Agent: hi"]}, "turn 1 is a string, not an object with 'speaker' and 'text'"),
        (
            {"after_hours": "yes", "turns": [{"speaker": "Agent", "text": "x"}]},
            "'after_hours' must be true or false",
        ),
        (
            {"channel": "fax", "turns": [{"speaker": "Agent", "text": "x"}]},
            "channel 'fax' is not chat, email or voice",
        ),
        ({"started_at": "yesterday", "turns": [{"speaker": "Agent", "text": "x"}]}, "not an ISO 8601"),
        ({"metadata": [], "turns": [{"speaker": "Agent", "text": "x"}]}, "'metadata' must be an object"),
        ({"turns": [{"speaker": "Agent", "text": "x", "role": 3}]}, "'role' must be a string"),
        ({"turns": [{"speaker": "Agent", "text": "x", "role": "boss"}]}, "role 'boss' is not one of"),
        ({"turns": [{"speaker": "Agent", "text": "x", "start": "0:01"}]}, "'start' must be a number"),
        ({"turns": [{"speaker": "Agent", "text": "x", "start": 5, "end": 2}]}, "'end' (2.0) is before"),
        ({"turns": [{"speaker": "Agent", "text": "x", "id": True}]}, "'id' must be a string"),
        ({"turns": []}, "has no turns"),
        ({"conversation": []}, "no 'turns' list"),
    ],
)
def test_wrong_types_and_values_in_json(document: object, expected: str) -> None:
    assert expected in parse_error(json.dumps(document))


def test_duplicate_turn_ids_are_refused() -> None:
    text = '{"speaker": "Agent", "text": "a", "id": "x"}\n{"speaker": "Customer", "text": "b", "id": "x"}'
    assert "line 2: turn id 'x' is already used by line 1" in parse_error(text)


def test_generated_ids_step_around_given_ones() -> None:
    text = '{"speaker": "Agent", "text": "a", "id": "t2"}\n{"speaker": "Customer", "text": "b"}'
    assert [t.id for t in parse_transcript(text).turns] == ["t2", "t2_2"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[25:61] Agent: hi\n", "line 1: [25:61] is not a valid time of day"),
        ("[13:00 pm] Agent: hi\n", "not a valid 12-hour time"),
        ("[00:09.0-00:03.0] Agent: hi\n", "ends before it starts"),
        ("[00:70.0-00:71.0] Agent: hi\n", "not a valid voice time range"),
        ("Agent: hi\n[12.5] Customer: hi\n", "line 2: cannot read the time stamp [12.5]"),
        ("# channel: fax\nAgent: hi\n", "line 1: channel 'fax' is not chat, email or voice"),
        ("# after_hours: maybe\nAgent: hi\n", "header 'after_hours' must be true or false"),
        ("# started_at: last tuesday\nAgent: hi\n", "'last tuesday' is not an ISO 8601 date-time"),
        ("Call notes\nAgent: hi\n", "line 1 comes before the first 'Name: text' line"),
    ],
)
def test_plain_text_errors_name_the_line(text: str, expected: str) -> None:
    assert expected in parse_error(text)


def test_bracketed_words_are_text_not_a_time_stamp() -> None:
    turns = parse_transcript("Agent: hi\n[inaudible] sorry, go on\n").turns
    assert turns[0].text == "hi\n[inaudible] sorry, go on"


def test_missing_file_and_directory(tmp_path: Path) -> None:
    assert error_of(tmp_path / "nope.txt").endswith("nope.txt: no such file")
    assert "is a directory, not a transcript file" in error_of(tmp_path)


def test_user_values_with_newlines_stay_on_one_line() -> None:
    message = parse_error(
        json.dumps({"turns": [{"speaker": "Da\nna", "text": "x"}, {"speaker": "R\u2028ob", "text": "y"}]})
    )
    assert "'Da\\nna'" in message


# --- properties ------------------------------------------------------------------------

# Names from the fixed, role-guessable set, so every generated conversation has known roles.
NAMES = {
    "Agent": Role.agent,
    "Rep Dana": Role.agent,
    "Customer": Role.customer,
    "Caller": Role.customer,
    "Supervisor": Role.supervisor,
    "Team Lead": Role.supervisor,
    "IVR": Role.system,
}
# Printable text on one line. Plain text strips each turn's surrounding white space, so texts are
# generated stripped; control characters and line/paragraph separators would split the line.
LINE_TEXT = st.text(alphabet=st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp")), max_size=80).map(
    str.strip
)
TURNS = st.lists(st.tuples(st.sampled_from(sorted(NAMES)), LINE_TEXT), min_size=1, max_size=12)


def as_plain(turns: list[tuple[str, str]]) -> str:
    return "".join(f"{speaker}: {text}\n" for speaker, text in turns)


def as_jsonl(turns: list[tuple[str, str]]) -> str:
    return "".join(json.dumps({"speaker": s, "text": t}, ensure_ascii=False) + "\n" for s, t in turns)


def as_json(turns: list[tuple[str, str]]) -> str:
    return json.dumps({"turns": [{"speaker": s, "text": t} for s, t in turns]}, ensure_ascii=False)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=150)
@given(turns=TURNS, writer=st.sampled_from([as_plain, as_jsonl, as_json]))
def test_round_trip_keeps_speakers_roles_and_texts(
    tmp_path: Path, turns: list[tuple[str, str]], writer: object
) -> None:
    path = write(tmp_path, "generated.txt", writer(turns))  # type: ignore[operator]
    conversation = read_transcript(path)

    assert speakers_roles_texts(conversation) == [(s, NAMES[s], t) for s, t in turns]


JSON_KEYS = st.sampled_from(
    [
        "turns",
        "speaker",
        "text",
        "role",
        "id",
        "timestamp",
        "start",
        "end",
        "channel",
        "started_at",
        "after_hours",
        "metadata",
        "agent_name",
        "customer_name",
    ]
) | st.text(max_size=5)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["Agent", "Customer", "agent", "voice", "2024-01-01T10:00:00"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(JSON_KEYS, inner, max_size=6),
    max_leaves=20,
)
STAMPS = st.sampled_from(["", "[10:32] ", "[23:59:59] ", "[00:01.5-00:02.0] ", "[99:99] ", "[1] ", "[am] "])
PLAIN_LINES = st.lists(
    st.tuples(
        STAMPS,
        st.sampled_from(["Agent", "Bob", "Caller", "#", " ", "# id", "# started_at"]),
        st.text(max_size=30),
    ),
    max_size=8,
).map(lambda rows: "\n".join(f"{stamp}{name}: {text}" for stamp, name, text in rows))
ANY_TEXT = (
    st.text()
    | st.text().map(lambda s: "{" + s)
    | st.text().map(lambda s: "[" + s)
    | PLAIN_LINES
    | JSON_VALUES.map(json.dumps)
)


@settings(max_examples=400)
@given(text=ANY_TEXT)
def test_parse_never_raises_anything_but_transcript_error(text: str) -> None:
    try:
        conversation = parse_transcript(text)
    except TranscriptError as error:
        assert len(str(error).splitlines()) == 1
    else:
        assert conversation.turns


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=200)
@given(
    data=st.binary(max_size=300)
    | st.builds(bytes.__add__, st.sampled_from([b"Agent: ", b"{", b"\xef\xbb\xbf"]), st.binary(max_size=50))
)
def test_read_never_raises_anything_but_transcript_error(tmp_path: Path, data: bytes) -> None:
    path = write(tmp_path, "random.bin", data)
    try:
        conversation = read_transcript(path)
    except TranscriptError as error:
        assert len(str(error).splitlines()) == 1
    else:
        assert isinstance(conversation, Conversation)


# --- the shipped examples --------------------------------------------------------------


def test_every_example_reads_and_its_expected_alert_turns_exist() -> None:
    expected = json.loads((EXAMPLES / "expected.json").read_text(encoding="utf-8"))
    assert len(expected) >= 6
    for name, facts in expected.items():
        conversation = read_transcript(EXAMPLES / name)
        assert 8 <= len(conversation.turns) <= 20, name
        for alert in facts["alerts"]:
            turn = conversation.turns[alert["turn"]]
            assert turn.role is Role.customer or alert["kind"] == "escalation_risk", (name, alert)


def test_example_format_variants_match_their_plain_text() -> None:
    variants = [p for p in sorted(EXAMPLES.glob("*.json*")) if p.name != "expected.json"]
    assert {p.suffix for p in variants} == {".json", ".jsonl"}
    for variant in variants:
        plain = read_transcript(EXAMPLES / f"{variant.stem}.txt")
        other = read_transcript(variant)
        assert [
            (*row, t.start, t.end) for row, t in zip(speakers_roles_texts(other), other.turns, strict=True)
        ] == [
            (*row, t.start, t.end) for row, t in zip(speakers_roles_texts(plain), plain.turns, strict=True)
        ], variant.name
        if variant.suffix == ".json":  # JSONL has no place for conversation fields
            assert other.model_dump(exclude={"turns"}) == plain.model_dump(exclude={"turns"})
