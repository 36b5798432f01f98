"""Batch scoring of JSONL records and conversations with the engine: what ``calmline detect`` runs."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections import Counter, deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import closing, contextmanager, nullcontext
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple

from calmline.engine.redact import redact
from calmline.errors import InputError, RecordError, RecordScoringError, StrictModeError
from calmline.model import Role, Signal, Turn
from calmline.transcripts import guess_role, json_type

if TYPE_CHECKING:  # the engine loads every detector; workers build their own
    from calmline.engine.pipeline import Engine

# The stable signal names of issue 4: outside evaluation reads these keys, so they never change.
DETECT_SIGNALS: tuple[str, ...] = (
    "anger",
    "distress",
    "negative",
    "offensive",
    "abuse_at_agent",
    "self_harm",
    "violence_threat",
    "impolite",
    "manager_request",
    # Issue 18: the encoder's new heads, after the original names so their order never changes.
    "emergency",
    "churn_threat",
    "sarcasm",
)
ESCALATION_RISK = "escalation_risk"
KNOWN_SIGNALS: tuple[str, ...] = (*DETECT_SIGNALS, ESCALATION_RISK)
DEFAULT_THRESHOLD = 0.5

STDIO = "-"
# A chunk is the unit of work handed to a worker: big enough that the hand-over costs little
# next to ~2 ms of engine time per turn, small enough that a few in flight stay a few MB.
RECORDS_PER_CHUNK = 32
BYTES_PER_CHUNK = 1 << 20
CHUNKS_IN_FLIGHT_PER_WORKER = 2


@dataclass(frozen=True, slots=True)
class Problem:
    """A skipped input line: its 1-based number, a short kind for counting, and what is wrong."""

    line: int
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.detail}"


@dataclass(frozen=True, slots=True)
class DetectOptions:
    """What to score and the limits that keep one pathological line from stalling a batch."""

    signals: tuple[str, ...] = KNOWN_SIGNALS
    max_record_bytes: int = 5_000_000
    max_turn_chars: int = 20_000  # a longer text is read in windows of this size


@dataclass(slots=True)
class DetectReport:
    """What a run did: lines read, records written, skipped lines counted by kind."""

    lines: int = 0
    written: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())


class ScoredLine(NamedTuple):
    """One input line after scoring: the output line, or the problem that made it skipped."""

    line: int
    output: bytes | None
    problem: Problem | None


class _Chunk(NamedTuple):
    lines: list[tuple[int, bytes | None]]  # None: the line was longer than the limit and not kept
    size: int  # input bytes it covers, for the progress bar


# --- signals and thresholds ----------------------------------------------------------------


def parse_signals(spec: str | None) -> tuple[str, ...]:
    """The signals a comma-separated ``--signals`` value names, in its order; all known ones for None."""
    if spec is None:
        return KNOWN_SIGNALS
    names = tuple(dict.fromkeys(name.strip() for name in spec.split(",") if name.strip()))
    unknown = [name for name in names if name not in KNOWN_SIGNALS]
    if unknown or not names:
        shown = ", ".join(unknown) if unknown else repr(spec)
        raise InputError(f"unknown signal {shown}; the known signals are {', '.join(KNOWN_SIGNALS)}")
    return names


# The trained signals are scored on the side of the conversation their models are meant for.
MODEL_SIDE: dict[str, Role] = {
    "anger": Role.customer,
    "distress": Role.customer,
    "negative": Role.customer,
    "offensive": Role.customer,
    "impolite": Role.agent,
}


@cache
def shipped_threshold(signal_name: str) -> float:
    """The score from which ``signal_name`` counts as present: the one place thresholds come from.

    A trained signal's score is its model's probability, so it counts from the threshold the model
    ships with (chosen on train, see its model card); every other signal counts from 0.5, as the
    engine's rules read them.
    """
    if signal_name in MODEL_SIDE:
        from calmline.engine.models import load_models  # numpy and the weights only when needed

        return load_models().threshold(signal_name)
    return DEFAULT_THRESHOLD


def model_probabilities(text: str, names: Sequence[str], role: Role | None = None) -> dict[str, float]:
    """The shipped models' probabilities of the trained signals among ``names`` for (redacted) ``text``.

    With a ``role``, a signal meant for the other side scores 0.0 (an agent's line is not read for
    the customer's anger); without one, every trained signal is scored.
    """
    wanted = [name for name in names if name in MODEL_SIDE and role in (None, MODEL_SIDE[name])]
    if not wanted:
        return {}
    from calmline.engine.models import load_models

    probabilities = load_models().score(text)
    return {
        name: round(probabilities[name], 4) if name in wanted else 0.0 for name in names if name in MODEL_SIDE
    }


def signal_maxima(signals: Iterable[Signal], names: Sequence[str]) -> dict[str, float]:
    """The highest score of each named kind among ``signals``; 0.0 for a kind not produced."""
    best = dict.fromkeys(names, 0.0)
    for found in signals:
        if found.kind in best and found.score > best[found.kind]:
            best[found.kind] = found.score
    return best


def derail_forecast(risks: Sequence[float]) -> float:
    """The highest escalation risk before the last turn: what could be foreseen without seeing the end.

    A one-turn conversation has nothing before its last turn, so its forecast is the risk of a
    conversation that has not started (0.0).
    """
    return max(risks[:-1], default=0.0)


# --- scoring one record --------------------------------------------------------------------


def score_record(record: Any, engine: Engine, options: DetectOptions | None = None) -> dict[str, Any]:
    """``record`` with its scores added (a new dict), or RecordError if it cannot be scored.

    ``{"text": …}`` gets ``scores`` and ``labels``; ``{"turns": [...]}`` gets ``scores`` in each turn
    and a conversation-level ``derail_forecast``. Every other key is kept as it was.
    """
    options = options or DetectOptions()
    if not isinstance(record, dict):
        raise RecordError("not an object", f"{json_type(record)} is not a record; expected an object")
    if "text" in record and "turns" in record:
        raise RecordError("wrong shape", "has both 'text' and 'turns'; a record is one or the other")
    if "turns" in record:
        return _score_conversation(record, engine, options)
    if "text" in record:
        return _score_text_record(record, engine, options)
    raise RecordError("no text", "has no 'text' (nor 'turns')")


def score_text(text: str, engine: Engine, names: Sequence[str]) -> dict[str, float]:
    """Scores of ``text`` read both as a customer's turn and as an agent's, each kind at its maximum;
    the trained signals are their models' probabilities.

    Both sides, because some signals are only looked for on one side (``impolite`` on agent
    turns, the customer's emotions on customer turns) and a bare text has no side.
    """
    clean, _ = redact(text)  # the engine's detectors expect redacted text (Session.add does the same)
    session = engine.session()
    found = [
        result
        for role in (Role.customer, Role.agent)
        for result in session.detect(Turn(speaker=role.value.title(), role=role, text=clean))
    ]
    return {**signal_maxima(found, names), **model_probabilities(clean, names)}


def windows(text: str, size: int) -> list[str]:
    """``text`` in consecutive pieces of at most ``size`` characters, cut at a space where one is near.

    A text longer than a turn is read window by window rather than skipped: a threat on page three of a
    long complaint counts as much as one in its first line.
    """
    pieces: list[str] = []
    start = 0
    while len(text) - start > size:
        cut = text.rfind(" ", start + size * 3 // 4, start + size)
        end = cut + 1 if cut > start else start + size
        pieces.append(text[start:end])
        start = end
    pieces.append(text[start:])
    return [piece for piece in pieces if piece.strip()]


def _score_text_record(record: dict[str, Any], engine: Engine, options: DetectOptions) -> dict[str, Any]:
    text = _checked_text(record["text"], "'text'")
    # A bare text is not a conversation: it has no escalation risk to report.
    names = [name for name in options.signals if name != ESCALATION_RISK]
    parts = [score_text(window, engine, names) for window in windows(text, options.max_turn_chars)]
    scores = {name: max(part[name] for part in parts) for name in parts[0]}
    labels = {name: score >= shipped_threshold(name) for name, score in scores.items()}
    return {**record, "scores": scores, "labels": labels}


def _score_conversation(record: dict[str, Any], engine: Engine, options: DetectOptions) -> dict[str, Any]:
    raw_turns = record["turns"]
    turns = _read_turns(raw_turns)
    names = [name for name in options.signals if name != ESCALATION_RISK]
    session = engine.session()
    scored: list[dict[str, Any]] = []
    risks: list[float] = []
    for raw, turn in zip(raw_turns, turns, strict=True):
        # The engine sees turns in order (each risk uses only the prefix); a turn longer than the limit
        # moves the state by its first window, and every window counts for its scores.
        first, *rest = windows(turn.text, options.max_turn_chars)
        analysis = session.add(turn.model_copy(update={"text": first}))
        others = [turn.model_copy(update={"text": redact(window)[0]}) for window in rest]
        scores = signal_maxima(
            [*analysis.signals, *(s for other in others for s in session.detect(other))], names
        )
        for text in (analysis.text, *(other.text for other in others)):
            for name, value in model_probabilities(text, names, analysis.role).items():
                scores[name] = max(scores.get(name, 0.0), value)
        if ESCALATION_RISK in options.signals:
            scores[ESCALATION_RISK] = analysis.state.escalation_risk
        scored.append({**raw, "scores": scores})
        risks.append(analysis.state.escalation_risk)
    return {**record, "turns": scored, "derail_forecast": derail_forecast(risks)}


def _read_turns(value: Any) -> list[Turn]:
    """Turns of a conversation record, with their roles (see ``_turn_role``)."""
    if not isinstance(value, list) or not value:
        shown = "an empty array" if value == [] else json_type(value)
        raise RecordError(
            "wrong shape", f"'turns' is {shown}; expected an array of {{speaker, text}} objects"
        )
    turns: list[Turn] = []
    known: dict[str, Role] = {}
    for index, item in enumerate(value):
        where = f"turn {index}"
        if not isinstance(item, dict):
            raise RecordError("wrong shape", f"{where} is {json_type(item)}, not a {{speaker, text}} object")
        if "text" not in item:
            raise RecordError("no text", f"{where} has no 'text'")
        text = _checked_text(item["text"], f"{where}: 'text'")
        speaker = item.get("speaker", "")
        if not isinstance(speaker, str):
            raise RecordError("wrong shape", f"{where}: 'speaker' must be a string, not {json_type(speaker)}")
        role = _turn_role(item, speaker, known, turns[-1].role if turns else None, where)
        turns.append(Turn(speaker=speaker, role=role, text=text))
    return turns


def _turn_role(
    item: dict[str, Any], speaker: str, known: dict[str, Role], previous: Role | None, where: str
) -> Role:
    """A turn's role: its explicit ``role``; else what the speaker's name says (guess_role); else the
    role this speaker already had in the record; else the opposite of the previous turn's
    (customer/agent alternating, starting with the customer).
    """
    key = speaker.strip().casefold()
    explicit = item.get("role")
    if explicit is not None:
        role = guess_role(explicit) if isinstance(explicit, str) else None
        if role is None:
            raise RecordError(
                "wrong shape", f"{where}: role {explicit!r} is not customer, agent, supervisor or system"
            )
    else:
        role = (
            guess_role(speaker)
            or known.get(key)
            or (Role.agent if previous is Role.customer else Role.customer)
        )
    if key:
        known.setdefault(key, role)
    return role


def _checked_text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise RecordError("text not a string", f"{where} is {json_type(value)}, not a string")
    if not value.strip():
        raise RecordError("empty text", f"{where} is empty")
    return value


# --- scoring lines and chunks --------------------------------------------------------------


def score_line(data: bytes, engine: Engine, options: DetectOptions) -> bytes:
    """One JSONL input line scored into one output line (with its newline), or RecordError."""
    if not data.strip():
        raise RecordError("blank line", "blank line")
    try:
        # A byte-order mark is how some editors start a UTF-8 file; it is not part of the JSON.
        record = json.loads(data.decode("utf-8").lstrip("\ufeff"))
    except UnicodeDecodeError as exc:
        raise RecordError("not UTF-8", f"not UTF-8 (bad byte at offset {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise RecordError("invalid JSON", f"invalid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise RecordError("invalid JSON", "invalid JSON (nested too deeply)") from None
    return _dump(score_record(record, engine, options))


def _dump(record: dict[str, Any]) -> bytes:
    try:
        return json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n"
    except UnicodeEncodeError:  # a lone surrogate ("\ud800") read from a JSON escape: keep it escaped
        return json.dumps(record).encode("ascii") + b"\n"


def score_chunk(lines: Sequence[tuple[int, bytes | None]], options: DetectOptions) -> list[ScoredLine]:
    """Score numbered input lines in order with this process's default engine."""
    from calmline.engine.pipeline import Engine

    engine = Engine.default()
    scored_lines: list[ScoredLine] = []
    for number, data in lines:
        try:
            if data is None:
                raise RecordError(
                    "record too large",
                    f"longer than {options.max_record_bytes:,} bytes (the --max-bytes limit)",
                )
            scored_lines.append(ScoredLine(number, score_line(data, engine, options), None))
        except RecordError as exc:
            scored_lines.append(ScoredLine(number, None, Problem(number, exc.kind, exc.detail)))
        except Exception as exc:  # not the input's fault: stop, but say which line to reproduce it with
            raise RecordScoringError(f"line {number}: {type(exc).__name__}: {exc}") from exc
    return scored_lines


def _read_lines(stream: IO[bytes], max_bytes: int) -> Iterator[tuple[int, bytes | None, int]]:
    """(line number, the line or None if longer than ``max_bytes``, bytes consumed), one at a time.

    A line over the limit is read past in pieces and never held whole, so memory stays bounded
    whatever the input holds.
    """
    number = 0
    while data := stream.readline(max_bytes + 1):
        number += 1
        if len(data) > max_bytes and not data.endswith(b"\n"):
            yield number, None, len(data) + _skip_rest_of_line(stream)
        else:
            yield number, data, len(data)


def _skip_rest_of_line(stream: IO[bytes]) -> int:
    skipped = 0
    while piece := stream.readline(BYTES_PER_CHUNK):
        skipped += len(piece)
        if piece.endswith(b"\n"):
            break
    return skipped


def _chunks(lines: Iterable[tuple[int, bytes | None, int]]) -> Iterator[_Chunk]:
    batch: list[tuple[int, bytes | None]] = []
    size = 0
    for number, data, consumed in lines:
        batch.append((number, data))
        size += consumed
        if len(batch) >= RECORDS_PER_CHUNK or size >= BYTES_PER_CHUNK:
            yield _Chunk(batch, size)
            batch, size = [], 0
    if batch:
        yield _Chunk(batch, size)


def _scored_chunks(
    chunks: Iterable[_Chunk], options: DetectOptions, workers: int
) -> Generator[tuple[int, list[ScoredLine]], None, None]:
    """(input bytes, scored lines) per chunk, in input order, scored here or by ``workers`` processes."""
    if workers <= 1:
        for chunk in chunks:
            yield chunk.size, score_chunk(chunk.lines, options)
        return
    # Not Pool.imap: its feeder thread reads the whole input ahead into the task queue. A window
    # of a few chunks in flight, collected first-in first-out, keeps both order and memory flat.
    window = workers * CHUNKS_IN_FLIGHT_PER_WORKER
    from calmline.batch.runners import worker_processes  # workers only: the pool's imports stay off startup

    with worker_processes(workers, _warm_engine) as pool:
        pending: deque[tuple[int, Future[list[ScoredLine]]]] = deque()
        for chunk in chunks:
            pending.append((chunk.size, pool.submit(score_chunk, chunk.lines, options)))
            if len(pending) >= window:
                size, result = pending.popleft()
                yield size, result.result()
        while pending:
            size, result = pending.popleft()
            yield size, result.result()


def _warm_engine() -> None:
    from calmline.engine.pipeline import Engine

    Engine.default()


# --- streams and files ---------------------------------------------------------------------


def detect_stream(
    source: IO[bytes],
    sink: IO[bytes],
    options: DetectOptions | None = None,
    *,
    workers: int = 1,
    strict: bool = False,
    on_problem: Callable[[Problem], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> DetectReport:
    """Score every JSONL line of ``source`` into ``sink``, in input order, in constant memory.

    Lines that cannot be scored are counted by kind and passed to ``on_problem``, then skipped;
    with ``strict`` the first one raises StrictModeError instead. ``on_progress`` gets the input
    bytes done after each chunk.
    """
    options = options or DetectOptions()
    from calmline.engine.pipeline import Engine

    Engine.default()  # built before any worker starts, so forked workers share it
    report = DetectReport()
    chunks = _chunks(_read_lines(source, options.max_record_bytes))
    with closing(_scored_chunks(chunks, options, workers)) as scored:
        for size, scored_lines in scored:
            for scored_line in scored_lines:
                _record(scored_line, sink, report, strict, on_problem)
            if on_progress is not None:
                on_progress(size)
    return report


def _record(
    scored_line: ScoredLine,
    sink: IO[bytes],
    report: DetectReport,
    strict: bool,
    on_problem: Callable[[Problem], None] | None,
) -> None:
    report.lines += 1
    if scored_line.problem is None:
        assert scored_line.output is not None
        sink.write(scored_line.output)
        report.written += 1
        return
    report.skipped[scored_line.problem.kind] += 1
    if on_problem is not None:
        on_problem(scored_line.problem)
    if strict:
        raise StrictModeError(scored_line.problem.line, str(scored_line.problem))


def detect_file(
    input_path: Path,
    output_path: Path,
    options: DetectOptions | None = None,
    *,
    workers: int = 1,
    strict: bool = False,
    on_problem: Callable[[Problem], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> DetectReport:
    """``detect_stream`` from one file into another; ``-`` is standard input or output.

    The output file appears only complete: it is written beside its final name and renamed at
    the end, so an error, a strict stop or Ctrl-C leaves no partial file (and an existing one
    untouched). Standard output is a stream: what was written before a stop stays written.
    """
    with _open_input(input_path) as source, _open_output(output_path) as sink:
        return detect_stream(
            source,
            sink,
            options,
            workers=workers,
            strict=strict,
            on_problem=on_problem,
            on_progress=on_progress,
        )


def input_size(path: Path) -> int | None:
    """Bytes in the input when known in advance (a regular file), for the progress bar."""
    if str(path) == STDIO:
        return None
    try:
        return path.stat().st_size if path.is_file() else None
    except OSError:
        return None


def _open_input(path: Path) -> Any:
    if str(path) == STDIO:
        return nullcontext(sys.stdin.buffer)
    try:
        return path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


def _open_output(path: Path) -> Any:
    if str(path) == STDIO:
        return nullcontext(sys.stdout.buffer)
    return atomic_output(path)


@contextmanager
def atomic_output(path: Path) -> Iterator[IO[bytes]]:
    """A binary file that appears at ``path`` only when the block ends without an error.

    It is written under a hidden temporary name in the same folder (so the final rename is
    atomic on the same file system) and removed if anything, Ctrl-C included, interrupts.
    """
    if path.is_dir():  # found now, not after hours of scoring when the rename fails
        raise InputError(f"cannot write {path}: it is a folder")
    try:
        descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, _new_file_mode(path))
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _new_file_mode(path: Path) -> int:
    """The permissions a plain ``open(path, "w")`` would give (temporary files are owner-only)."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
