"""Reads transcripts (plain text, JSONL, conversation JSON) into Conversations."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from calmline.errors import TranscriptError
from calmline.model import Channel, Conversation, Role, Turn

__all__ = ["guess_role", "parse_transcript", "read_transcript"]

DEFAULT_MAX_BYTES = 5_000_000
DEFAULT_MAX_TURN_CHARS = 20_000

# --- speaker names → roles ---------------------------------------------------------------

# Desk names such as "Customer Service" contain a customer word but belong to the agent side,
# so they are recognised before single words are looked at.
_AGENT_DESKS = re.compile(
    r"\b(?:customer|client|member|guest|user)\s+(?:services?|support|care|success|relations)\b"
)
_SYSTEM_PHRASES = re.compile(r"\b(?:virtual\s+(?:agent|assistant)|auto[\s-]?attendant)\b")
_TEAM_LEAD = re.compile(r"\bteam\s+lead(?:er)?\b")
_ROLE_WORDS: dict[str, Role] = {
    **dict.fromkeys(
        ["agent", "rep", "representative", "support", "advisor", "adviser", "operator", "csr", "dispatcher"],
        Role.agent,
    ),
    # A company's social-media desk: "@AmazonHelp", "@SprintCare", "@Uber_Support".
    **dict.fromkeys(["help", "helpdesk", "care"], Role.agent),
    **dict.fromkeys(["customer", "caller", "client", "user", "member", "guest"], Role.customer),
    **dict.fromkeys(["supervisor", "manager"], Role.supervisor),
    **dict.fromkeys(["system", "bot", "ivr"], Role.system),
}
_NAME_WORD = re.compile(r"[^\W\d_]+")
# Where a handle written in camel case joins two words: "AmazonHelp", "UPSHelp", "AskPlayStation".
_CAMEL_JOIN = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def guess_role(name: str) -> Role | None:
    """The role a speaker name implies ("Agent Dana" → agent, "Caller" → customer), or None.

    A name whose words point at two different roles ("Customer Agent") is left unknown rather
    than guessed. A handle's words are read apart ("@AppleSupport" → agent).
    """
    folded = _CAMEL_JOIN.sub(" ", name).casefold()
    if _SYSTEM_PHRASES.search(folded):
        return Role.system
    if _AGENT_DESKS.search(folded):
        return Role.agent
    if _TEAM_LEAD.search(folded):
        return Role.supervisor
    found = {_ROLE_WORDS[w] for w in _NAME_WORD.findall(folded) if w in _ROLE_WORDS}
    return found.pop() if len(found) == 1 else None


# --- plain-text line shapes --------------------------------------------------------------

_STAMPED = re.compile(r"\[(?P<stamp>[^\[\]]{1,40})\]\s*(?P<rest>.*)")
# Something between brackets made only of digits and separators is meant as a time stamp, so a
# malformed one is reported instead of being read as words ("[inaudible]" is words).
_STAMP_LIKE = re.compile(r"(?=.*\d)[\d:.\s\-–—>apmAPM]+")
_CLOCK = re.compile(r"(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?(?:\s*(?P<ampm>[AaPp])\.?[Mm]\.?)?")
_OFFSET = r"(?:(\d{1,2}):)?(\d{1,3}):(\d{2}(?:\.\d+)?)"
_RANGE = re.compile(rf"{_OFFSET}\s*(?:-->|[-–—])\s*{_OFFSET}")
# "Name: text" — the name starts with a letter and may hold digits, spaces and a little
# punctuation ("Agent 2", "Dana (Support)"), or is a social-media handle ("@AmazonHelp",
# "@user_12") or a numeric user id ("115950", as exports of public threads name customers). The
# colon must be followed by a space or end the line, so "https://…" or "10:30" inside a message
# never start a turn; a number needs three digits, so a list ("1: the box", "2: the charger")
# inside a message stays text.
_SPEAKER_LINE = re.compile(
    r"(?P<speaker>[^\W\d_][\w .'’()&/-]{0,47}?|@\w{1,30}|\d{3,20})\s*:(?:\s+(?P<text>.*))?"
)
_MAX_SPEAKER_WORDS = 4
# Labels people type inside a message ("Note: …", "PS: …", "Order number: …", "Email: …") are
# never speakers, so such a line continues the turn it is in.
_LABELS = ("note", "notes", "nb", "ps", "pps", "fyi", "btw", "edit", "update", "re", "subject",
           "reminder", "important", "warning", "eta", "eg", "ie", "example", "order", "ticket", "case",
           "ref", "reference", "tracking", "invoice", "account", "booking", "confirmation", "email",
           "e mail", "phone", "tel", "mobile", "cell", "address", "name", "date", "time", "dob",
           "date of birth", "postcode", "zip", "url", "link", "website")  # fmt: skip
_LABEL_TAILS = ("id", "no", "nr", "num", "number", "code", "address", "details")
_NOT_SPEAKERS = frozenset(
    [*_LABELS] + [f"{label} {tail}" for label in (*_LABELS, "customer", "member") for tail in _LABEL_TAILS]
)
_LABEL_WORD = re.compile(r"[^\W_]+")
_HEADER = re.compile(r"#\s*(?P<key>[A-Za-z][A-Za-z _-]{0,30}?)\s*:\s*(?P<value>.*)")

_CONVERSATION_FIELDS = ("id", "channel", "started_at", "after_hours", "customer_name", "agent_name")
_TRUE = frozenset({"true", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "no", "n", "0", "off"})
# Two clocks further apart than this are taken to straddle midnight, not to run backwards.
_ROLLOVER = timedelta(hours=12)


class _ParseError(Exception):
    """A reason a transcript cannot be read; parse_transcript prefixes it with the source."""


@dataclass
class _RawTurn:
    """A turn as read, before roles and ids are settled."""

    speaker: str
    text: str
    where: str  # "line 7" or "turn 3": how error messages point at it
    role: Role | None = None
    id: str | None = None
    timestamp: datetime | None = None
    clock: time | None = None
    start: float | None = None
    end: float | None = None


@dataclass
class _Parsed:
    turns: list[_RawTurn]
    fields: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)


# --- public API --------------------------------------------------------------------------


def read_transcript(
    path: Path,
    *,
    agent: str | None = None,
    customer: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_turn_chars: int = DEFAULT_MAX_TURN_CHARS,
) -> Conversation:
    """Read a transcript file (UTF-8, format detected from its content) into a Conversation.

    See ``parse_transcript`` for the formats. Raises TranscriptError, with one line naming the
    file and the reason, for a missing file, a directory, a file over ``max_bytes``, bytes that
    are not UTF-8 and everything ``parse_transcript`` rejects.
    """
    source = str(path)
    data = _read_bytes(Path(path), source, max_bytes)
    text = _decode(data, source)
    return parse_transcript(
        text, source=source, agent=agent, customer=customer, max_turn_chars=max_turn_chars
    )


def parse_transcript(
    text: str,
    *,
    source: str = "<text>",
    agent: str | None = None,
    customer: str | None = None,
    max_turn_chars: int = DEFAULT_MAX_TURN_CHARS,
) -> Conversation:
    """Parse a transcript's text into a Conversation; the format is recognised from the content.

    Formats:

    * conversation JSON: ``{"turns": [...], "id": …, "channel": …, "started_at": …,
      "after_hours": …, "customer_name": …, "agent_name": …, "metadata": {…}}``; a bare JSON
      array of turns is accepted too. Other top-level keys are ignored.
    * JSONL: one turn object per line. A turn object has ``speaker`` and ``text`` (strings) and
      optionally ``role`` (customer, agent, supervisor, system, or a word ``guess_role`` knows
      such as caller), ``id`` (string or integer), ``timestamp`` (ISO 8601), ``start`` and
      ``end`` (seconds). Unknown keys in a turn are ignored. JSON texts are kept exactly as given.
    * plain text: ``Name: text`` lines, optionally prefixed with a wall clock ``[10:32]``,
      ``[10:32:05]``, ``[10:32 PM]`` or a voice range ``[00:12.5-00:15.0]`` (``h:mm:ss.s`` and
      ``-->`` work too). A name may be a handle (``@AcmeHelp``) or a numeric user id of three or
      more digits (``115950``). A line that does not start with ``Name:`` — or that starts with
      white space, which is how to continue a turn with a line containing a colon, or with a label
      such as ``Note:``, ``PS:``, ``Order number:`` or ``Email:`` — continues the previous turn (joined with a newline; a voice range on it extends the turn's end). Blank
      lines and lines starting with ``#`` are skipped; texts are stripped of surrounding
      white space. ``# key: value`` lines before the first turn form a header setting id,
      channel (chat/email/voice), started_at (ISO 8601), after_hours (true/false),
      customer_name and agent_name; other header keys go to ``metadata`` as strings.

    Wall clocks become ``Turn.timestamp`` on the date of ``started_at`` (in its time zone),
    moving to the next day when the clock runs back by more than 12 hours (a call across
    midnight). Without ``started_at`` there is no date, so timestamps stay None and the clocks
    are kept, for ordering, in ``metadata["turn_clock"]`` as ``{turn id: "HH:MM:SS"}``. A
    plain-text transcript with voice ranges and no channel header is a voice conversation.

    Roles: a turn's explicit ``role`` wins; then ``agent``/``customer`` (speaker names,
    case-insensitive); then a role the same speaker was given explicitly on another turn; then
    ``agent_name``/``customer_name`` from the header or JSON when they equal a speaker name;
    then ``guess_role``. If one speaker is still unknown and exactly one of agent/customer has
    no speaker, the unknown speaker takes that role (the usual two-party case). Anything still
    unknown is an error.

    Turn ids given in the input are kept (they must be unique); others are ``t1``, ``t2``, …
    by position. The conversation id defaults to the stem of ``source`` (``conversation`` when
    ``source`` is a placeholder such as ``<text>``).
    """
    try:
        return _parse(text, source, agent, customer, max_turn_chars)
    except _ParseError as problem:
        raise TranscriptError(_one_line(f"{_show_source(source)}: {problem}")) from None


# --- reading bytes -----------------------------------------------------------------------


def _read_bytes(path: Path, source: str, max_bytes: int) -> bytes:
    shown = _show_source(source)
    try:
        if path.is_dir():
            raise TranscriptError(f"{shown}: is a directory, not a transcript file")
        size = path.stat().st_size
        if size > max_bytes:
            raise TranscriptError(_too_large(shown, f"{size:,} bytes", max_bytes))
        with path.open("rb") as handle:
            # Read one byte past the limit: stat can understate pipes and growing files.
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise TranscriptError(f"{shown}: no such file") from None
    except IsADirectoryError:
        raise TranscriptError(f"{shown}: is a directory, not a transcript file") from None
    except OSError as error:
        raise TranscriptError(_one_line(f"{shown}: cannot read it: {error.strerror}")) from None
    if len(data) > max_bytes:
        raise TranscriptError(_too_large(shown, f"more than {max_bytes:,} bytes", max_bytes))
    return data


def _too_large(shown: str, size: str, max_bytes: int) -> str:
    return f"{shown}: file is {size}, over the limit of {max_bytes:,} bytes; pass --max-bytes N to raise it"


_UTF8_BOM = b"\xef\xbb\xbf"
_OTHER_BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}


def _decode(data: bytes, source: str) -> str:
    shown = _show_source(source)
    if data.startswith(_UTF8_BOM):
        try:
            return data[len(_UTF8_BOM) :].decode("utf-8")
        except UnicodeDecodeError as error:
            raise TranscriptError(_not_utf8(shown, data, error.start + len(_UTF8_BOM))) from None
    for bom, encoding in _OTHER_BOMS.items():
        if data.startswith(bom):
            raise TranscriptError(
                f"{shown}: text is {encoding} (it starts with a {encoding} byte order mark), "
                "not UTF-8; save it as UTF-8"
            )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise TranscriptError(_not_utf8(shown, data, error.start)) from None


def _not_utf8(shown: str, data: bytes, offset: int) -> str:
    return (
        f"{shown}: not UTF-8: byte 0x{data[offset]:02x} at byte offset {offset} "
        "cannot be decoded; save the file as UTF-8"
    )


# --- parsing -----------------------------------------------------------------------------


def _parse(
    text: str, source: str, agent: str | None, customer: str | None, max_turn_chars: int
) -> Conversation:
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    _check_not_empty(text, lines)
    parsed = _parse_json_family(text, lines) if _looks_like_json(lines) else _parse_plain(lines)
    _check_turn_lengths(parsed.turns, max_turn_chars)
    roles = _assign_roles(parsed.turns, agent, customer, _name_hints(parsed.fields))
    ids = _turn_ids(parsed.turns)
    timestamps = _resolve_clocks(parsed, ids)
    turns = [
        Turn(
            id=turn_id,
            speaker=raw.speaker,
            role=role,
            text=raw.text,
            timestamp=stamp,
            start=raw.start,
            end=raw.end,
        )
        for raw, role, turn_id, stamp in zip(parsed.turns, roles, ids, timestamps, strict=True)
    ]
    fields = {"id": _default_id(source), **parsed.fields}
    try:
        return Conversation(**fields, metadata=parsed.metadata, turns=turns)
    except ValidationError as error:  # pre-validated above, so this is a last line of defence
        first = error.errors()[0]
        raise _ParseError(f"invalid {'.'.join(map(str, first['loc']))}: {first['msg']}") from None


def _check_not_empty(text: str, lines: list[str]) -> None:
    if not text.strip():
        raise _ParseError("file is empty")
    if all(not line.strip() or line.lstrip().startswith("#") for line in lines):
        raise _ParseError("has only blank lines and '#' comments, no turns")


def _looks_like_json(lines: list[str]) -> bool:
    first = next(line.strip() for line in lines if line.strip())
    if first.startswith("{"):
        return True
    if not first.startswith("["):
        return False
    # "[10:32] Agent: …" starts with a bracket too; only a line that is not a stamped turn is
    # taken for the start of a JSON array.
    stamped = _STAMPED.fullmatch(first)
    return stamped is None or _SPEAKER_LINE.fullmatch(stamped["rest"]) is None


def _check_turn_lengths(turns: list[_RawTurn], max_turn_chars: int) -> None:
    for number, turn in enumerate(turns, 1):
        if len(turn.text) > max_turn_chars:
            where = turn.where if turn.where.startswith("turn") else f"turn {number} ({turn.where})"
            raise _ParseError(
                f"{where} is {len(turn.text):,} characters long, over the limit of "
                f"{max_turn_chars:,} characters per turn"
            )


# --- plain text --------------------------------------------------------------------------


def _parse_plain(lines: list[str]) -> _Parsed:
    parsed = _Parsed(turns=[])
    orphan_line: int | None = None
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            if not parsed.turns:
                _read_header_line(stripped, number, parsed)
            continue
        turn = None if line[0].isspace() else _match_turn_line(stripped, number)
        if turn is not None:
            parsed.turns.append(turn)
        elif parsed.turns:
            _continue_turn(parsed.turns[-1], stripped, number)
        elif orphan_line is None:
            orphan_line = number
    if not parsed.turns:
        raise _ParseError(_no_speaker_lines(lines))
    if orphan_line is not None:
        raise _ParseError(
            f"line {orphan_line} comes before the first 'Name: text' line; "
            "start it with a speaker name or make it a '#' comment"
        )
    if "channel" not in parsed.fields and any(t.start is not None for t in parsed.turns):
        parsed.fields["channel"] = Channel.voice
    return parsed


def _no_speaker_lines(lines: list[str]) -> str:
    """The error for plain text with no speaker line: what one looks like, and what was found instead."""
    first = next(line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#"))
    return (
        "no line starts with a speaker name followed by ':' (e.g. 'Customer: my parcel is late' or "
        f"'[10:32] Agent: Hello'); the first line is {_show(first)}. Read as plain text 'Name: text' "
        "lines, since the file does not start with '{' or '[' as JSON and JSONL do"
    )


def _match_turn_line(line: str, number: int) -> _RawTurn | None:
    """The turn a ``[stamp] Name: text`` line starts, or None when the line is not one."""
    rest, clock, span = line, None, None
    stamped = _STAMPED.fullmatch(line)
    if stamped is not None and _STAMP_LIKE.fullmatch(stamped["stamp"]):
        clock, span = _read_stamp(stamped["stamp"], number)
        rest = stamped["rest"]
    match = _SPEAKER_LINE.fullmatch(rest)
    if match is None or len(match["speaker"].split()) > _MAX_SPEAKER_WORDS or _is_label(match["speaker"]):
        return None
    start, end = span if span else (None, None)
    return _RawTurn(
        speaker=match["speaker"].strip(),
        text=(match["text"] or "").strip(),
        where=f"line {number}",
        clock=clock,
        start=start,
        end=end,
    )


def _is_label(name: str) -> bool:
    """Whether ``name`` is a label typed inside a message ("Note", "P.S.", "Order no."), not a speaker."""
    return " ".join(_LABEL_WORD.findall(name.casefold().replace(".", ""))) in _NOT_SPEAKERS


def _continue_turn(turn: _RawTurn, line: str, number: int) -> None:
    stamped = _STAMPED.fullmatch(line)
    if stamped is not None and _STAMP_LIKE.fullmatch(stamped["stamp"]):
        _, span = _read_stamp(stamped["stamp"], number)
        if span is not None:
            turn.end = span[1] if turn.end is None else max(turn.end, span[1])
        line = stamped["rest"]
    if line:
        turn.text = f"{turn.text}\n{line}" if turn.text else line


def _read_stamp(stamp: str, number: int) -> tuple[time | None, tuple[float, float] | None]:
    """A bracketed stamp as a wall clock or a voice range (seconds from the call's start)."""
    stamp = stamp.strip()
    clock = _CLOCK.fullmatch(stamp)
    if clock is not None:
        return _clock_time(clock, stamp, number), None
    voice = _RANGE.fullmatch(stamp)
    if voice is not None:
        start = _seconds(*voice.group(1, 2, 3), stamp=stamp, number=number)
        end = _seconds(*voice.group(4, 5, 6), stamp=stamp, number=number)
        if end < start:
            raise _ParseError(f"line {number}: voice range [{stamp}] ends before it starts")
        return None, (start, end)
    raise _ParseError(
        f"line {number}: cannot read the time stamp [{stamp}]; use [hh:mm], [hh:mm:ss] "
        "or a voice range such as [00:12.5-00:15.0]"
    )


def _clock_time(match: re.Match[str], stamp: str, number: int) -> time:
    hour, minute, second = int(match["h"]), int(match["m"]), int(match["s"] or 0)
    if match["ampm"]:
        if not 1 <= hour <= 12:
            raise _ParseError(f"line {number}: [{stamp}] is not a valid 12-hour time")
        hour = hour % 12 + (12 if match["ampm"].lower() == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise _ParseError(f"line {number}: [{stamp}] is not a valid time of day")
    return time(hour, minute, second)


def _seconds(hours: str | None, minutes: str, seconds: str, *, stamp: str, number: int) -> float:
    secs = float(seconds)
    mins = int(minutes)
    if secs >= 60 or (hours is not None and mins >= 60):
        raise _ParseError(f"line {number}: [{stamp}] is not a valid voice time range")
    return int(hours or 0) * 3600 + mins * 60 + secs


def _read_header_line(line: str, number: int, parsed: _Parsed) -> None:
    match = _HEADER.fullmatch(line)
    if match is None:
        return  # an ordinary comment
    key = re.sub(r"[\s-]+", "_", match["key"].strip().lower())
    value = match["value"].strip()
    if key in _CONVERSATION_FIELDS:
        parsed.fields[key] = _header_value(key, value, f"line {number}")
    else:
        parsed.metadata[key] = value


def _header_value(key: str, value: str, where: str) -> Any:
    if key == "after_hours":
        folded = value.casefold()
        if folded in _TRUE | _FALSE:
            return folded in _TRUE
        raise _ParseError(f"{where}: header 'after_hours' must be true or false, not {_show(value)}")
    if key == "channel":
        return _channel(value, where)
    if key == "started_at":
        return _iso_datetime(value, f"{where}: header 'started_at'")
    if not value:
        raise _ParseError(f"{where}: header {key!r} is empty")
    return value


# --- JSON and JSONL ----------------------------------------------------------------------


def _parse_json_family(text: str, lines: list[str]) -> _Parsed:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as whole_error:
        return _parse_jsonl_or_fail(lines, whole_error)
    if isinstance(document, list):
        return _Parsed(turns=_turns_from_array(document))
    if "turns" in document:
        return _parse_conversation_json(document)
    if "speaker" in document or "text" in document:
        return _Parsed(turns=[_turn_from_object(document, _first_line_where(lines))])
    raise _ParseError(
        "a JSON object with no 'turns' list (tried conversation JSON) and no 'speaker'/'text' (tried JSONL)"
    )


def _first_line_where(lines: list[str]) -> str:
    return f"line {next(n for n, line in enumerate(lines, 1) if line.strip())}"


def _parse_jsonl_or_fail(lines: list[str], whole_error: Exception) -> _Parsed:
    numbered = [(n, line) for n, line in enumerate(lines, 1) if line.strip()]
    _, first_line = numbered[0]
    first = _loads_or_none(first_line)
    if not isinstance(first, dict):
        # Not one object per line: report the document's own syntax error.
        raise _ParseError(f"invalid JSON ({_json_error(whole_error)}); tried conversation JSON and JSONL")
    turns = []
    for number, line in numbered:
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError) as error:
            column = f", column {error.colno}" if isinstance(error, json.JSONDecodeError) else ""
            reason = error.msg if isinstance(error, json.JSONDecodeError) else _json_error(error)
            raise _ParseError(f"line {number}{column}: invalid JSON in JSONL ({reason})") from None
        turns.append(_turn_from_object(obj, f"line {number}"))
    return _Parsed(turns=turns)


def _loads_or_none(line: str) -> Any:
    try:
        return json.loads(line)
    except (ValueError, RecursionError):
        return None


def _json_error(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"line {error.lineno}, column {error.colno}: {error.msg}"
    if isinstance(error, RecursionError):
        return "nested too deeply"
    return str(error)


def _parse_conversation_json(document: dict[str, Any]) -> _Parsed:
    turns = document["turns"]
    if not isinstance(turns, list):
        raise _ParseError(f"'turns' must be an array, not {json_type(turns)}")
    parsed = _Parsed(turns=_turns_from_array(turns))
    for key in _CONVERSATION_FIELDS:
        value = document.get(key)
        if value is not None:
            parsed.fields[key] = _json_field(key, value)
    metadata = document.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise _ParseError(f"'metadata' must be an object, not {json_type(metadata)}")
        parsed.metadata = metadata
    return parsed


def _turns_from_array(items: list[Any]) -> list[_RawTurn]:
    if not items:
        raise _ParseError("has no turns ('turns' is an empty array)")
    return [_turn_from_object(item, f"turn {n}") for n, item in enumerate(items, 1)]


def _json_field(key: str, value: Any) -> Any:
    if key == "after_hours":
        if not isinstance(value, bool):
            raise _ParseError(f"'after_hours' must be true or false, not {json_type(value)}")
        return value
    if key == "id":
        return _json_id(value, "the conversation")
    if not isinstance(value, str):
        raise _ParseError(f"{key!r} must be a string, not {json_type(value)}")
    if key == "channel":
        return _channel(value, "'channel'")
    if key == "started_at":
        return _iso_datetime(value, "'started_at'")
    return value


def _turn_from_object(obj: Any, where: str) -> _RawTurn:
    if not isinstance(obj, dict):
        raise _ParseError(f"{where} is {json_type(obj)}, not an object with 'speaker' and 'text'")
    speaker = _required_string(obj, "speaker", where)
    if not speaker.strip():
        raise _ParseError(f"{where}: 'speaker' is empty")
    turn = _RawTurn(speaker=speaker.strip(), text=_required_string(obj, "text", where), where=where)
    if obj.get("role") is not None:
        turn.role = _explicit_role(obj["role"], where)
    if obj.get("id") is not None:
        turn.id = _json_id(obj["id"], where)
    if obj.get("timestamp") is not None:
        value = obj["timestamp"]
        if not isinstance(value, str):
            raise _ParseError(f"{where}: 'timestamp' must be a string, not {json_type(value)}")
        turn.timestamp = _iso_datetime(value, f"{where}: 'timestamp'")
    turn.start = _optional_seconds(obj, "start", where)
    turn.end = _optional_seconds(obj, "end", where)
    if turn.start is not None and turn.end is not None and turn.end < turn.start:
        raise _ParseError(f"{where}: 'end' ({turn.end}) is before 'start' ({turn.start})")
    return turn


def _required_string(obj: dict[str, Any], key: str, where: str) -> str:
    if key not in obj:
        raise _ParseError(f"{where} has no {key!r}; every turn needs 'speaker' and 'text'")
    value = obj[key]
    if not isinstance(value, str):
        raise _ParseError(f"{where}: {key!r} must be a string, not {json_type(value)}")
    return value


def _explicit_role(value: Any, where: str) -> Role:
    if not isinstance(value, str):
        raise _ParseError(f"{where}: 'role' must be a string, not {json_type(value)}")
    role = guess_role(value)
    if role is None:
        raise _ParseError(f"{where}: role {_show(value)} is not one of customer, agent, supervisor, system")
    return role


def _json_id(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _ParseError(f"{where}: 'id' must be a string, not {json_type(value)}")
    return str(value)


def _optional_seconds(obj: dict[str, Any], key: str, where: str) -> float | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _ParseError(f"{where}: {key!r} must be a number of seconds, not {json_type(value)}")
    if not math.isfinite(value) or value < 0:
        raise _ParseError(f"{where}: {key!r} must be a finite number of seconds ≥ 0, not {value}")
    return float(value)


def json_type(value: Any) -> str:
    """How a JSON value is named in an error message ("a number", "an array" …)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


# --- shared values -----------------------------------------------------------------------


def _channel(value: str, where: str) -> Channel:
    try:
        return Channel(value.strip().lower())
    except ValueError:
        raise _ParseError(f"{where}: channel {_show(value)} is not chat, email or voice") from None


def _iso_datetime(value: str, where: str) -> datetime:
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise _ParseError(f"{where}: {_show(value)} is not an ISO 8601 date-time") from None


def _default_id(source: str) -> str:
    if source.startswith("<") or not source.strip():
        return "conversation"
    return Path(source).stem or "conversation"


# --- roles, ids, clocks ------------------------------------------------------------------


def _name_hints(fields: dict[str, Any]) -> dict[str, Role]:
    """Header or JSON names that equal a speaker label say which side that speaker is on."""
    hints: dict[str, Role] = {}
    for key, role in (("customer_name", Role.customer), ("agent_name", Role.agent)):
        name = fields.get(key)
        if isinstance(name, str) and name.strip():
            hints[name.strip().casefold()] = role
    return hints


def _assign_roles(
    turns: list[_RawTurn], agent: str | None, customer: str | None, hints: dict[str, Role]
) -> list[Role]:
    speakers: dict[str, _RawTurn] = {}
    explicit: dict[str, Role] = {}
    for turn in turns:
        key = turn.speaker.casefold()
        speakers.setdefault(key, turn)
        if turn.role is not None:
            explicit.setdefault(key, turn.role)
    chosen = _chosen_roles(agent, customer, speakers)
    roles: dict[str, Role | None] = {
        key: chosen.get(key) or explicit.get(key) or hints.get(key) or guess_role(first.speaker)
        for key, first in speakers.items()
    }
    _infer_last_party(roles)
    resolved: list[Role] = []
    unknown: dict[str, _RawTurn] = {}
    for turn in turns:
        role = turn.role or roles[turn.speaker.casefold()]
        if role is None:
            unknown.setdefault(turn.speaker.casefold(), speakers[turn.speaker.casefold()])
        else:
            resolved.append(role)
    if unknown:
        raise _ParseError(f"cannot tell the role of {_list_speakers(list(unknown.values()))}; {_ROLE_HINT}")
    return resolved


_ROLE_HINT = "pass --agent NAME (and/or --customer NAME) to say who is who"


def _chosen_roles(agent: str | None, customer: str | None, speakers: dict[str, _RawTurn]) -> dict[str, Role]:
    chosen: dict[str, Role] = {}
    for option, name, role in (("--agent", agent, Role.agent), ("--customer", customer, Role.customer)):
        if name is None:
            continue
        key = name.strip().casefold()
        if key not in speakers:
            known = ", ".join(_show(t.speaker) for t in list(speakers.values())[:8])
            raise _ParseError(f"{option} {_show(name)} matches no speaker; the speakers are {known}")
        if key in chosen:
            raise _ParseError(f"--agent and --customer both name {_show(name)}")
        chosen[key] = role
    return chosen


def _infer_last_party(roles: dict[str, Role | None]) -> None:
    """One unknown speaker and one missing party among agent/customer: they are the same."""
    unknown = [key for key, role in roles.items() if role is None]
    missing = {Role.agent, Role.customer} - set(roles.values())
    if len(unknown) == 1 and len(missing) == 1:
        roles[unknown[0]] = missing.pop()


def _list_speakers(turns: list[_RawTurn], limit: int = 5) -> str:
    shown = [f"{_show(t.speaker)} ({t.where})" for t in turns[:limit]]
    more = f" and {len(turns) - limit} more" if len(turns) > limit else ""
    noun = "speaker" if len(turns) == 1 else "speakers"
    return f"{noun} {', '.join(shown)}{more}"


def _turn_ids(turns: list[_RawTurn]) -> list[str]:
    given: dict[str, str] = {}
    for turn in turns:
        if turn.id is None:
            continue
        if turn.id in given:
            raise _ParseError(f"{turn.where}: turn id {_show(turn.id)} is already used by {given[turn.id]}")
        given[turn.id] = turn.where
    ids = []
    for number, turn in enumerate(turns, 1):
        turn_id = turn.id
        if turn_id is None:
            turn_id, suffix = f"t{number}", 1
            while turn_id in given:  # a given id happens to look like a generated one
                suffix += 1
                turn_id = f"t{number}_{suffix}"
        ids.append(turn_id)
    return ids


def _resolve_clocks(parsed: _Parsed, ids: list[str]) -> list[datetime | None]:
    """Turn wall clocks into timestamps on started_at's date, or keep them in metadata."""
    started_at = parsed.fields.get("started_at")
    clocked = [(turn_id, t.clock) for turn_id, t in zip(ids, parsed.turns, strict=True) if t.clock]
    if not clocked:
        return [t.timestamp for t in parsed.turns]
    if not isinstance(started_at, datetime):
        parsed.metadata["turn_clock"] = {turn_id: c.isoformat() for turn_id, c in clocked}
        return [t.timestamp for t in parsed.turns]
    stamps: list[datetime | None] = []
    reference = started_at
    for turn in parsed.turns:
        if turn.clock is None:
            stamps.append(turn.timestamp)
            continue
        candidate = datetime.combine(reference.date(), turn.clock, tzinfo=started_at.tzinfo)
        if reference - candidate > _ROLLOVER:
            try:
                candidate += timedelta(days=1)
            except OverflowError:
                raise _ParseError(f"{turn.where}: the clock runs past the last representable date") from None
        stamps.append(candidate)
        reference = candidate
    return stamps


# --- message helpers ---------------------------------------------------------------------


def _show(value: str, limit: int = 40) -> str:
    """A user value quoted for an error message: shortened, with control characters escaped."""
    return repr(value if len(value) <= limit else value[: limit - 1] + "…")


def _show_source(source: str) -> str:
    return source if source.isprintable() else repr(source)


def _one_line(message: str) -> str:
    return " ".join(message.splitlines())
