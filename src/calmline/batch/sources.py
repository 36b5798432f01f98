"""Transcript archives: a folder or file read lazily, one conversation (or one unreadable input) at a time.

Reading is split in two so the job's driver stays cheap: iterating an ``Archive`` yields each
conversation's raw ``Document`` (its text, not parsed), and ``Document.load`` — run in the
workers — parses it into a ``Conversation``. ``Archive.conversations`` does both.

Formats, recognised by extension:

* ``.txt`` — one plain-text transcript per file (see ``calmline.transcripts.parse_transcript``).
* ``.json`` — one conversation JSON, or one Amazon Connect Contact Lens analysis file.
* ``.jsonl`` / ``.ndjson`` — one conversation JSON per line; or one turn per line carrying a
  ``conversation_id`` (rows of a conversation are consecutive); or, without ``conversation_id``,
  the turns of a single conversation.
* ``.csv`` / ``.parquet`` — one turn per row with ``conversation_id``, ``speaker`` and ``text``
  (optional: ``role``, ``turn_id``, ``timestamp``, ``start``, ``end``, and the conversation's
  ``channel``, ``started_at``, ``after_hours``, ``customer_name``, ``agent_name``); any other
  column (``team``, ``group``, ``agent``…) becomes conversation metadata, read from its first row.

Files with other extensions, and hidden files, are not part of the archive.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby
from pathlib import Path
from typing import Any, Literal

from calmline.batch.contact_lens import is_contact_lens, to_conversation_document
from calmline.errors import ContactLensError, InputError, TranscriptError
from calmline.model import Conversation
from calmline.transcripts import DEFAULT_MAX_BYTES, DEFAULT_MAX_TURN_CHARS, parse_transcript

__all__ = ["SUFFIXES", "Archive", "Document", "Item", "Loaded", "Raw", "Unreadable"]

SUFFIXES = frozenset({".txt", ".json", ".jsonl", ".ndjson", ".csv", ".parquet"})
TURN_COLUMNS = frozenset({"speaker", "text", "role", "turn_id", "timestamp", "start", "end"})
CONVERSATION_COLUMNS = frozenset(
    {"conversation_id", "channel", "started_at", "after_hours", "customer_name", "agent_name"}
)
REQUIRED_COLUMNS = ("conversation_id", "speaker", "text")
PARQUET_BATCH_ROWS = 2048
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})


@dataclass(frozen=True, slots=True)
class Loaded:
    """A conversation read from the archive, with where it came from (``path`` or ``path:line N``)."""

    origin: str
    conversation: Conversation


@dataclass(frozen=True, slots=True)
class Unreadable:
    """An input that could not be read: where, and why in one line."""

    origin: str
    reason: str


@dataclass(frozen=True, slots=True)
class Document:
    """One conversation's text as the archive holds it, not parsed yet (plain data: cheap to ship to a worker).

    ``kind`` is ``transcript`` for anything ``parse_transcript`` reads (conversation JSON, JSONL
    turns, plain text), ``json`` for a whole ``.json`` file, which may also be Contact Lens.
    """

    origin: str
    text: str
    kind: Literal["transcript", "json"] = "transcript"

    def load(self, max_turn_chars: int = DEFAULT_MAX_TURN_CHARS) -> Item:
        """The parsed conversation, or why it cannot be read."""
        try:
            if self.kind == "json":
                return self._load_json_file(max_turn_chars)
            return Loaded(self.origin, self._parse(self.text, max_turn_chars))
        except TranscriptError as error:
            return Unreadable(self.origin, _without_prefix(str(error), self.origin))
        except ContactLensError as error:
            return Unreadable(self.origin, str(error))

    def _load_json_file(self, max_turn_chars: int) -> Item:
        try:
            document = json.loads(self.text)
        except json.JSONDecodeError as error:
            return Unreadable(self.origin, f"not valid JSON: {error.msg} at line {error.lineno}")
        text = self.text
        if is_contact_lens(document):
            text = json.dumps(to_conversation_document(document, Path(self.origin).stem))
        return Loaded(self.origin, self._parse(text, max_turn_chars))

    def _parse(self, text: str, max_turn_chars: int) -> Conversation:
        return parse_transcript(text, source=self.origin, max_turn_chars=max_turn_chars)


Item = Loaded | Unreadable
Raw = Document | Unreadable


class Archive:
    """The transcript files under a folder (recursively, sorted) or a single file."""

    def __init__(
        self,
        source: Path,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_turn_chars: int = DEFAULT_MAX_TURN_CHARS,
    ) -> None:
        if not source.exists():
            raise InputError(f"{source}: no such file or folder")
        self.source = source
        self.max_bytes = max_bytes
        self.max_turn_chars = max_turn_chars
        self.files = _archive_files(source)
        if not self.files:
            raise InputError(f"{source}: no transcript files ({', '.join(sorted(SUFFIXES))})")

    def fingerprint(self) -> str:
        """A digest of the files' names, sizes and modification times: equal means the same archive."""
        digest = hashlib.sha256()
        for path in self.files:
            stat = path.stat()
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        return digest.hexdigest()[:32]

    def __iter__(self) -> Iterator[Raw]:
        """Every conversation's document (or unreadable input), in archive order; nothing is parsed."""
        for path in self.files:
            yield from self._read_file(path)

    def conversations(self) -> Iterator[Item]:
        """Every conversation parsed (or unreadable input), in archive order."""
        for item in self:
            yield item.load(self.max_turn_chars) if isinstance(item, Document) else item

    def _read_file(self, path: Path) -> Iterator[Raw]:
        origin = str(path)
        try:
            suffix = path.suffix.lower()
            if suffix == ".txt":
                yield Document(origin, _read_limited(path, self.max_bytes))
            elif suffix == ".json":
                yield Document(origin, _read_limited(path, self.max_bytes), "json")
            elif suffix in (".jsonl", ".ndjson"):
                yield from self._read_jsonl(path)
            elif suffix == ".csv":
                yield from _read_rows(origin, _csv_rows(path))
            else:
                yield from _read_rows(origin, _parquet_rows(path))
        except (OSError, UnicodeDecodeError, _BadFileError) as error:
            yield Unreadable(origin, _reason(error))
        except Exception as error:  # pyarrow raises its own types for a damaged Parquet file
            yield Unreadable(origin, f"cannot read it: {_reason(error)}")

    def _read_jsonl(self, path: Path) -> Iterator[Raw]:
        first = _first_json_object(path)
        if first is None or ("turns" not in first and "conversation_id" not in first):
            # The turns of one conversation, one per line: the transcript reader's own format.
            yield Document(str(path), _read_limited(path, self.max_bytes))
        elif "turns" in first:
            yield from _conversation_lines(path)
        else:
            yield from _read_rows(str(path), _jsonl_rows(path))


def _conversation_lines(path: Path) -> Iterator[Raw]:
    """One conversation JSON per line, passed on as it is: the worker parses it (once)."""
    with path.open(encoding="utf-8-sig") as lines:
        for number, line in enumerate(lines, 1):
            text = line.strip()
            if not text:
                continue
            origin = f"{path}:line {number}"
            # A line that is not an object would be read as something else (an array as bare turns).
            if text.startswith("{"):
                yield Document(origin, text)
            else:
                yield Unreadable(origin, "not a conversation object")


def _read_rows(origin: str, rows: Iterable[tuple[str, dict[str, Any]]]) -> Iterator[Raw]:
    """Turn rows grouped by consecutive ``conversation_id`` into conversation documents."""
    for conversation_id, group in groupby(rows, key=lambda row: row[1].get("conversation_id")):
        numbered = list(group)
        where = f"{origin}:{numbered[0][0]}"
        if conversation_id is None:
            yield Unreadable(where, "row has no conversation_id")
            continue
        try:
            document = _document_from_rows(str(conversation_id), [row for _, row in numbered])
        except _BadFileError as error:
            yield Unreadable(where, str(error))
            continue
        yield Document(where, json.dumps(document, default=_json_default))


class _BadFileError(Exception):
    """A whole file (or a row group) that cannot be read; the message is the reason."""


def _archive_files(source: Path) -> list[Path]:
    if source.is_file():
        return [source]
    return sorted(
        path
        for path in source.rglob("*")
        if path.is_file()
        and path.suffix.lower() in SUFFIXES
        and not any(part.startswith(".") for part in path.relative_to(source).parts)
    )


def _read_limited(path: Path, max_bytes: int) -> str:
    if path.stat().st_size > max_bytes:
        raise _BadFileError(f"file is over the limit of {max_bytes:,} bytes")
    return path.read_bytes().decode("utf-8-sig")


def _first_json_object(path: Path) -> dict[str, Any] | None:
    with path.open(encoding="utf-8-sig") as lines:
        for line in lines:
            if line.strip():
                try:
                    value = json.loads(line)
                except json.JSONDecodeError:
                    return None  # let the transcript reader name the bad line
                return value if isinstance(value, dict) else None
    return None


def _jsonl_rows(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with path.open(encoding="utf-8-sig") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise _BadFileError(f"line {number}: not valid JSON: {error.msg}") from None
            if not isinstance(row, dict):
                raise _BadFileError(f"line {number}: not a JSON object")
            yield f"line {number}", row


def _csv_rows(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        _check_columns(reader.fieldnames or [])
        for row in reader:
            # The header is line 1; rows spanning lines (quoted newlines) are named by where they end.
            yield f"line {reader.line_num}", {key: _csv_cell(value) for key, value in row.items() if key}


def _parquet_rows(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    import pyarrow.parquet as pq

    with pq.ParquetFile(path) as parquet:
        _check_columns(parquet.schema_arrow.names)
        number = 0
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS):
            for row in batch.to_pylist():
                number += 1
                yield f"row {number}", row


def _check_columns(columns: Sequence[str]) -> None:
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise _BadFileError(f"missing column(s) {', '.join(missing)}; found {', '.join(columns) or 'none'}")


def _csv_cell(value: str | None) -> str | None:
    return value if value not in (None, "") else None


def _document_from_rows(conversation_id: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    first = rows[0]
    document: dict[str, Any] = {"id": conversation_id, "turns": [_turn_from_row(row) for row in rows]}
    for key in CONVERSATION_COLUMNS - {"conversation_id"}:
        if first.get(key) is not None:
            document[key] = _after_hours(first[key]) if key == "after_hours" else first[key]
    metadata = {
        key: value
        for key, value in first.items()
        if key not in TURN_COLUMNS and key not in CONVERSATION_COLUMNS and value is not None
    }
    if metadata:
        document["metadata"] = metadata
    return document


def _turn_from_row(row: dict[str, Any]) -> dict[str, Any]:
    turn = {key: row[key] for key in ("speaker", "text", "role", "timestamp") if row.get(key) is not None}
    if row.get("turn_id") is not None:
        turn["id"] = row["turn_id"]
    for key in ("start", "end"):
        if row.get(key) is not None:
            turn[key] = _seconds(row[key], key)
    return turn


def _seconds(value: Any, key: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _BadFileError(f"{key!r} is {str(value)[:20]!r}, not a number of seconds") from None


def _after_hours(value: Any) -> Any:
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
    return value  # the transcript reader names anything else


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _without_prefix(message: str, origin: str) -> str:
    for prefix in (f"{origin}: ", f"{origin!r}: "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return f"cannot read it: {error.strerror}"
    if isinstance(error, UnicodeDecodeError):
        return f"not UTF-8 text (byte {error.start})"
    return " ".join(str(error).split()) or type(error).__name__
