"""The shipped sentence encoder: one ONNX Runtime pass over a text gives every head's calibrated probability.

The network (all-MiniLM-L6-v2 fine-tuned by ``calmline train encoder``, int8) and its tokenizer ship
in ``engine/models/encoder/``; nothing is fetched at run time and torch is never imported. A text
longer than the encoder's window is read two sentences at a time, all in one batched run, and each
head keeps its strongest pair (and says where it is). Runs are thread-safe and release the GIL, so the server calls this
from worker threads.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import as_file, files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import numpy as np

from calmline.engine.models import padded_batch, read_model_folder
from calmline.errors import ModelError
from calmline.signals import EMERGENCY_KINDS, ENCODER_HEADS

FORMAT = 1
REINSTALL = (
    "reinstall calmline (pip install --force-reinstall calmline) or retrain it with `calmline train encoder`"
)
MAX_PIECES = 32
"""A long text is read in at most this many pieces: 64 ordinary sentences (a long written complaint is
read whole), or 1,500 tokens of text without sentence ends. Past that, pieces are taken evenly over the
text, so its end is read as well as its start. 160 pieces took 4 s on a 2-core AVX2 machine (0.4 s per
batch of 16), past the 1.5 s a 20,000-character turn may cost the whole engine; repeated pieces are read once."""
PIECE_TOKENS = 48
"""A long text is read two sentences at a time, a sentence longer than this in pieces of this many tokens.
Read in a window of 126 tokens, one threatening sentence among complaints averaged away (probability
0.97 alone, 0.11 after two sentences of complaint, 0.03 at the end of a long letter)."""
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|\n|$)")
BATCH = 16


@dataclass(frozen=True, slots=True)
class Reading:
    """The encoder's reading of one text: a calibrated probability per head, and the emergency kind's."""

    probabilities: dict[str, float]
    kinds: dict[str, float]
    spans: dict[str, tuple[int, int] | None] | None = None
    """For a text read in pieces: per head, the characters of the piece that gave its probability."""

    def kind(self) -> str:
        """The likeliest emergency kind."""
        return max(self.kinds, key=self.kinds.__getitem__)


class Encoder:
    """The network, its tokenizer and the heads' calibration, loaded once per process."""

    def __init__(self, network: Path, tokenizer: Path, heads: dict[str, Any]) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        if heads.get("format") != FORMAT:
            raise ModelError(
                f"heads.json: format {heads.get('format')!r}, this calmline reads {FORMAT}; {REINSTALL}"
            )
        if tuple(heads.get("heads", ())) != ENCODER_HEADS or tuple(heads.get("kinds", ())) != EMERGENCY_KINDS:
            raise ModelError(f"heads.json: its heads are not the ones this calmline reads; {REINSTALL}")
        self.heads = heads
        self.version = str(heads["version"])
        self.window = int(heads["max_tokens"]) - 2
        self._calibration = np.array([heads["calibration"][h] for h in ENCODER_HEADS], dtype=np.float64)
        self.thresholds: dict[str, float] = {h: float(heads["thresholds"][h]) for h in ENCODER_HEADS}
        self.floors: dict[str, float] = {h: float(heads.get("floors", {}).get(h, 0.0)) for h in ENCODER_HEADS}
        """Below its floor a head is confident the text is not of its kind (chosen when trained)."""
        try:
            self._tokenizer = Tokenizer.from_file(str(tokenizer))
        except Exception as exc:  # the tokenizers library raises its own exception types
            raise ModelError(f"{tokenizer}: unreadable tokenizer ({exc}); {REINSTALL}") from None
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        self._cls, self._sep = (self._marker(name) for name in ("[CLS]", "[SEP]"))
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self._session = onnxruntime.InferenceSession(
                str(network), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own exception types for a bad file
            raise ModelError(f"{network}: unreadable encoder ({exc}); {REINSTALL}") from None
        self._cached = lru_cache(maxsize=1024)(self._read_one)
        self._primed: dict[str, Reading] = {}
        self._blanked = lru_cache(maxsize=64)(self._blanked_uncached)
        self._pieces_read = lru_cache(maxsize=64)(self._pieces_read_uncached)

    def _marker(self, name: str) -> int:
        found = self._tokenizer.token_to_id(name)
        if found is None:
            raise ModelError(f"tokenizer.json: no {name} token; {REINSTALL}")
        return int(found)

    def read(self, text: str) -> Reading:
        """The reading of one text (cached: the detectors of a turn, and a retried turn, share it)."""
        primed = self._primed.get(text)
        return primed if primed is not None else self._cached(text)

    def cache_clear(self) -> None:
        self._cached.cache_clear()
        self._blanked.cache_clear()
        self._pieces_read.cache_clear()
        self._primed.clear()

    def prime(self, texts: Sequence[str]) -> None:
        """Read many texts now, batched by length, for ``read`` to hand out until the next ``prime``: the
        batch path, one chunk of records at a time (a turn is read by its detector and again by the review)."""
        wanted = list(dict.fromkeys(texts))
        self._primed = dict(zip(wanted, self.read_many(wanted), strict=True))

    def _read_one(self, text: str) -> Reading:
        pieces = self._pieces(text)
        return self._combine(self._run([ids for ids, _ in pieces]), [span for _, span in pieces])

    def read_many(self, texts: Sequence[str]) -> list[Reading]:
        """Readings of many texts, run in batches of similar length (padding a batch to a much longer
        text costs more than it saves)."""
        pieces = [self._pieces(text) for text in texts]
        flat = [(i, ids) for i, ps in enumerate(pieces) for ids, _ in ps]
        order = sorted(range(len(flat)), key=lambda k: len(flat[k][1]))
        heads = np.zeros((len(flat), len(ENCODER_HEADS)))
        kinds = np.zeros((len(flat), len(EMERGENCY_KINDS)))
        for start in range(0, len(order), BATCH):
            chosen = order[start : start + BATCH]
            h, k = self._run([flat[c][1] for c in chosen])
            heads[chosen], kinds[chosen] = h, k
        owners = np.array([i for i, _ in flat])
        return [
            self._combine((heads[owners == i], kinds[owners == i]), [span for _, span in ps])
            for i, ps in enumerate(pieces)
        ]

    def occlusion(self, text: str, head: str, spans: tuple[tuple[int, int], ...]) -> list[float]:
        """How far ``head``'s probability falls when each span of ``text`` is blanked out: the words
        that moved the score, for evidence where no cue phrase names them. The blanked readings are
        cached per text, so several heads firing on one turn share one batched run."""
        base = self.read(text).probabilities[head]
        return [base - r.probabilities[head] for r in self._blanked(text, spans)]

    def by_piece(self, text: str, head: str, spans: tuple[tuple[int, int], ...]) -> list[float]:
        """``head``'s probability for each span of ``text`` read on its own: one short batch, about the
        cost of one more reading, where occlusion reads the whole text again per span (cached per text,
        so a server's worker thread can read them before the turn is analysed)."""
        return [r.probabilities[head] for r in self._pieces_read(text, spans)]

    def _pieces_read_uncached(self, text: str, spans: tuple[tuple[int, int], ...]) -> list[Reading]:
        return self.read_many([text[a:b] for a, b in spans])

    def _blanked_uncached(self, text: str, spans: tuple[tuple[int, int], ...]) -> list[Reading]:
        return self.read_many([text[:a] + " " + text[b:] for a, b in spans]) if spans else []

    def _pieces(self, text: str) -> list[tuple[list[int], tuple[int, int] | None]]:
        """What the network reads of ``text``: the whole text when it fits one window (span None), else
        its sentences two by two, each pair with its character span."""
        # A lone surrogate (from a badly decoded file) is not text the tokenizer accepts.
        encoding = self._tokenizer.encode(
            text.encode("utf-8", "replace").decode("utf-8"), add_special_tokens=False
        )
        ids, offsets = encoding.ids, encoding.offsets
        if len(ids) <= self.window:
            return [([self._cls, *ids, self._sep], None)]
        ends, token = [], 0
        for sentence in _SENTENCE.finditer(text):
            while token < len(ids) and offsets[token][0] < sentence.end():
                token += 1
            ends.append(token)
        ends.append(len(ids))  # whatever follows the last sentence (a run of punctuation, say)
        units = [
            (start, min(start + PIECE_TOKENS, last))
            for first, last in zip([0, *ends], ends, strict=False)
            for start in range(first, last, PIECE_TOKENS)
        ]
        # Sentences are read in pairs: alone, a sentence loses what it refers to ("They will get back to
        # you once it's settled" read as a threat); in longer runs, one sentence is averaged away.
        pieces: list[tuple[list[int], tuple[int, int] | None]] = []
        for i in range(0, len(units), 2):
            start, end = units[i][0], units[min(i + 1, len(units) - 1)][1]
            pieces.append(([self._cls, *ids[start:end], self._sep], (offsets[start][0], offsets[end - 1][1])))
        if len(pieces) > MAX_PIECES:
            pieces = [pieces[round(i * (len(pieces) - 1) / (MAX_PIECES - 1))] for i in range(MAX_PIECES)]
        return pieces

    def _run(self, windows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """The network's outputs per window; a window that repeats an earlier one is read once. A pasted
        motif ("I'm I'm I'm …", "0,1,2,…") cuts into a handful of distinct windows, and reading each of
        160 copies took 4 s on a 2-core AVX2 machine."""
        distinct: dict[tuple[int, ...], int] = {}
        where = [distinct.setdefault(tuple(window), len(distinct)) for window in windows]
        heads, kinds = self._run_distinct([list(window) for window in distinct])
        return heads[where], kinds[where]

    def _run_distinct(self, windows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        heads, kinds = [], []
        for start in range(0, len(windows), BATCH):
            h, k = self._session.run(None, padded_batch(windows[start : start + BATCH]))
            heads.append(h)
            kinds.append(k)
        return np.concatenate(heads), np.concatenate(kinds)

    def _combine(
        self, outputs: tuple[np.ndarray, np.ndarray], spans: Sequence[tuple[int, int] | None]
    ) -> Reading:
        head_logits, kind_logits = outputs
        a, b = self._calibration[:, 0], self._calibration[:, 1]
        probabilities = 1.0 / (1.0 + np.exp(-(a * head_logits.astype(np.float64) + b)))
        strongest = probabilities.max(0)
        best = probabilities.argmax(0)
        # The kind is read from the window where an emergency is likeliest.
        where = int(probabilities[:, ENCODER_HEADS.index("emergency")].argmax())
        logits = kind_logits[where].astype(np.float64)
        shares = np.exp(logits - logits.max())
        shares /= shares.sum()
        return Reading(
            {h: round(float(p), 4) for h, p in zip(ENCODER_HEADS, strongest, strict=True)},
            {k: round(float(s), 4) for k, s in zip(EMERGENCY_KINDS, shares, strict=True)},
            None if len(spans) == 1 else {h: spans[int(i)] for h, i in zip(ENCODER_HEADS, best, strict=True)},
        )


def load_encoder_from(folder: Traversable | Path) -> Encoder:
    """The encoder in ``folder`` (encoder.onnx, tokenizer.json, heads.json), or a ModelError naming the file."""
    root = Path(str(folder)) if isinstance(folder, Path) else folder
    heads = read_model_folder(root, ("encoder.onnx", "tokenizer.json", "heads.json"), "heads.json", REINSTALL)
    with (
        as_file(root.joinpath("encoder.onnx")) as network,
        as_file(root.joinpath("tokenizer.json")) as tokenizer,
    ):
        return Encoder(Path(network), Path(tokenizer), heads)


@cache
def load_encoder() -> Encoder:
    """The shipped encoder (loaded once per process)."""
    return load_encoder_from(files("calmline.engine.models").joinpath("encoder"))
