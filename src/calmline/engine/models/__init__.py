"""The trained utterance models (anger, distress, negative, offensive, impolite): loading, scoring, evidence.

The weights ship inside the package as one ``<signal>.npz`` (coefficients, no pickles) and one
``<signal>.json`` (feature settings, threshold, version, dev metrics) per signal, with the model card
``<signal>.md`` beside them. All models share one vectorisation, so scoring every signal costs one
transform of the text and one gather of a (buckets x signals) weight matrix. Nothing touches the network.

    models = load_models()
    models.score("This is ridiculous, I want my money back")   # {"anger": 0.83, ...}
    models.explain(text, "anger", k=3)                          # the words that pushed it up, with spans
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import numpy as np

from calmline.engine.models.features import (
    DENSE_NAMES,
    FeatureSettings,
    Token,
    TokenFeatures,
    Vectorizer,
    dense,
    tokenize,
)
from calmline.errors import ModelError

FORMAT = 1
"""The layout of the .npz/.json pair this code reads; training writes the same number."""

SIGNALS = ("anger", "distress", "negative", "offensive", "impolite")
"""Every shipped utterance signal; the names are a contract (rules, storage and outside evaluation use them)."""


def padded_batch(rows: list[list[int]]) -> dict[str, np.ndarray]:
    """Token-id rows as a transformer's inputs: ids padded with 0 to the longest row, and the attention mask."""
    width = max(len(row) for row in rows)
    ids = np.zeros((len(rows), width), dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for n, row in enumerate(rows):
        ids[n, : len(row)] = row
        mask[n, : len(row)] = 1
    return {"input_ids": ids, "attention_mask": mask}


def read_model_folder(
    folder: Traversable, names: tuple[str, ...], settings: str, reinstall: str
) -> dict[str, Any]:
    """Check that every file of a shipped model is in ``folder`` and return its JSON ``settings`` file;
    a ModelError names the first file missing or unreadable, and how to get it back."""
    for name in names:
        if not folder.joinpath(name).is_file():
            raise ModelError(f"{folder.joinpath(name)}: missing; {reinstall}")
    try:
        parsed: dict[str, Any] = json.loads(folder.joinpath(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{folder.joinpath(settings)}: unreadable ({exc}); {reinstall}") from None
    return parsed


@dataclass(frozen=True, slots=True)
class Contribution:
    """Words of the text that pushed a signal up: their span, their exact quote and how much they added."""

    span: tuple[int, int]
    quote: str
    weight: float


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What the JSON beside the weights says about one model."""

    signal: str
    version: str
    threshold: float
    metadata: dict[str, Any]


class UtteranceModels:
    """The shipped linear models over one shared hashed vectorisation; thread-safe for reading."""

    def __init__(
        self,
        settings: FeatureSettings,
        infos: list[ModelInfo],
        weights: np.ndarray,
        dense_weights: np.ndarray,
        intercepts: np.ndarray,
    ) -> None:
        self.settings = settings
        self.infos = {info.signal: info for info in infos}
        self.signals = tuple(info.signal for info in infos)
        self._column = {signal: j for j, signal in enumerate(self.signals)}
        self._weights = weights  # (buckets, signals), C order: one row gather per feature
        self._dense = dense_weights  # (dense features, signals)
        self._intercepts = intercepts  # (signals,)
        self._vectorizer = Vectorizer(settings)
        self._score_cached = lru_cache(maxsize=512)(self._score)
        # A turn is scored, then explained for each signal that fired: one reading serves them all.
        self._read = lru_cache(maxsize=8)(self._read_uncached)

    def threshold(self, signal: str) -> float:
        """The probability from which ``signal`` counts as present (chosen on train, see the model card)."""
        return self._info(signal).threshold

    def info(self, signal: str) -> ModelInfo:
        return self._info(signal)

    def score(self, text: str) -> dict[str, float]:
        """The probability of every signal for ``text``; one transform of the text serves them all.

        Recent texts are remembered, so the detectors that read the same turn share the work.
        """
        return dict(self._score_cached(text))

    def score_many(self, texts: Iterable[str]) -> list[dict[str, float]]:
        return [dict(self._score(text)) for text in texts]

    def _score(self, text: str) -> tuple[tuple[str, float], ...]:
        reading = self._read(text)
        indices = np.fromiter(reading.indices, dtype=np.int64, count=len(reading.indices))
        values = np.fromiter(reading.values, dtype=np.float32, count=len(reading.values))
        logits = values @ self._weights[indices] + dense(text, self.settings) @ self._dense + self._intercepts
        return tuple((signal, _sigmoid(float(z))) for signal, z in zip(self.signals, logits, strict=True))

    def explain(self, text: str, signal: str, k: int = 3) -> list[Contribution]:
        """Up to ``k`` phrases with the largest positive contributions to ``signal``, strongest first.

        A word's contribution is its own features (the word, its character n-grams, a sentence start,
        capitals) plus half of each word pair it is part of; neighbouring chosen words are joined into
        one phrase, so "calm down" is quoted whole. Spans index ``text``; quotes are exact slices.
        """
        column = self._weights[:, self._column_of(signal)]
        reading = self._read(text)
        tokens = reading.tokens
        if not tokens or k <= 0:
            return []
        credit = _token_credit(reading, column)
        chosen = sorted(
            (i for i in range(len(tokens)) if credit[i] > 0.0), key=lambda i: credit[i], reverse=True
        )[:k]
        return _phrases(text, tokens, sorted(chosen), credit)

    def _read_uncached(self, text: str) -> _Reading:
        tokens = tokenize(text)
        per_token = self._vectorizer.token_features(text, tokens)
        indices, values = Vectorizer.sparse(per_token)
        return _Reading(tokens, per_token, indices, values)

    def _info(self, signal: str) -> ModelInfo:
        try:
            return self.infos[signal]
        except KeyError:
            raise ModelError(f"no model for signal {signal!r}; shipped: {', '.join(self.signals)}") from None

    def _column_of(self, signal: str) -> int:
        self._info(signal)
        return self._column[signal]


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@dataclass(frozen=True)
class _Reading:
    """One text as the models read it: tokens, each token's features and the feature vector."""

    tokens: list[Token]
    per_token: list[TokenFeatures]
    indices: list[int]
    values: list[float]

    @cached_property
    def parts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The score's terms by token, as arrays: buckets, the token owning each, and each term's value
        and count of places (a bucket met at several places counts once in the vector: its weight is
        shared between them); then the word pairs' buckets and the token each starts at."""
        owners: list[int] = []
        buckets: list[int] = []
        for i, t in enumerate(self.per_token):
            buckets.extend(t.words)
            buckets.extend(t.chars)
            owners.extend([i] * (len(t.words) + len(t.chars)))
        pair_at = [i for i, t in enumerate(self.per_token) if t.pair >= 0]
        pairs = [self.per_token[i].pair for i in pair_at]
        value_of = dict(zip(self.indices, self.values, strict=True))
        seen: dict[int, int] = {}
        for b in (*buckets, *pairs):
            seen[b] = seen.get(b, 0) + 1
        every = np.array(buckets + pairs, dtype=np.int64)
        values = np.array([value_of[b] for b in every.tolist()], dtype=np.float64)
        counts = np.array([seen[b] for b in every.tolist()], dtype=np.float64)
        return every, np.array(owners, dtype=np.int64), values, counts, np.array(pair_at, dtype=np.int64)


def _token_credit(reading: _Reading, column: np.ndarray) -> list[float]:
    """Each token's share of the linear score, with the same feature values the score uses.

    Computed on arrays: a pasted wall of text has thousands of tokens, each explained for every signal.
    """
    every, owners, values, counts, pair_at = reading.parts
    part = column[every] * values / counts
    words = len(owners)
    credit = np.bincount(owners, weights=part[:words], minlength=len(reading.per_token))
    half = part[words:] / 2
    np.add.at(credit, pair_at, half)
    np.add.at(credit, pair_at + 1, half)
    shares: list[float] = credit.tolist()
    return shares


def _phrases(text: str, tokens: list[Token], chosen: list[int], credit: list[float]) -> list[Contribution]:
    """Join runs of neighbouring chosen tokens into phrases; strongest phrase first."""
    runs: list[list[int]] = []
    for i in chosen:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    found = []
    for run in runs:
        start, end = tokens[run[0]].start, tokens[run[-1]].end
        found.append(Contribution((start, end), text[start:end], round(sum(credit[i] for i in run), 4)))
    return sorted(found, key=lambda c: c.weight, reverse=True)


# --- loading -----------------------------------------------------------------------------------


@cache
def load_models() -> UtteranceModels:
    """The shipped models, read once per process from the package's own files (no network)."""
    return load_models_from(resources.files(__name__))


def load_models_from(folder: Traversable) -> UtteranceModels:
    """Every ``<signal>.json`` + ``<signal>.npz`` pair in ``folder``, in the order of SIGNALS."""
    found: dict[str, tuple[ModelInfo, dict[str, Any], dict[str, np.ndarray]]] = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".json"):
            meta = _read_json(entry)
            arrays = _read_npz(folder.joinpath(entry.name[: -len(".json")] + ".npz"))
            info = ModelInfo(str(meta["signal"]), str(meta["version"]), float(meta["threshold"]), meta)
            found[info.signal] = (info, meta, arrays)
    if not found:
        raise ModelError(f"no trained models in {folder}; run `calmline train SIGNAL`")
    order = sorted(found, key=lambda s: (SIGNALS.index(s) if s in SIGNALS else len(SIGNALS), s))
    settings = _shared_settings({s: found[s][1] for s in order})
    infos = [found[s][0] for s in order]
    weights = np.stack([_coefficients(found[s][2], settings, s) for s in order], axis=1)
    dense_weights = np.stack([found[s][2]["dense"].astype(np.float32) for s in order], axis=1)
    intercepts = np.array([float(found[s][2]["intercept"][0]) for s in order], dtype=np.float32)
    return UtteranceModels(settings, infos, np.ascontiguousarray(weights), dense_weights, intercepts)


def _read_json(entry: Traversable) -> dict[str, Any]:
    try:
        meta: dict[str, Any] = json.loads(entry.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{entry.name}: unreadable model description ({exc})") from None
    if meta.get("format") != FORMAT:
        raise ModelError(f"{entry.name}: model format {meta.get('format')!r}, this calmline reads {FORMAT}")
    return meta


def _read_npz(entry: Traversable) -> dict[str, np.ndarray]:
    try:
        with np.load(io.BytesIO(entry.read_bytes()), allow_pickle=False) as arrays:
            return {name: arrays[name] for name in ("coef", "dense", "intercept")}
    except (OSError, ValueError, KeyError) as exc:
        raise ModelError(f"{entry.name}: unreadable weights ({exc})") from None


def _shared_settings(metas: dict[str, dict[str, Any]]) -> FeatureSettings:
    """All models must read the same features, or one transform could not serve them all."""
    settings = {signal: FeatureSettings.from_json(meta["features"]) for signal, meta in metas.items()}
    first = next(iter(settings.values()))
    differ = sorted(signal for signal, s in settings.items() if s != first)
    if differ:
        raise ModelError(f"models {', '.join(differ)} were trained with other feature settings; retrain them")
    # The word-class lists live in the code, not beside the weights: models trained on another
    # version of them would read features they never learnt and miss the ones they did.
    current = FeatureSettings().word_classes
    if first.word_classes and first.word_classes != current:
        raise ModelError(
            f"the models were trained with word classes v{first.word_classes}, this calmline has "
            f"v{current}; retrain them (`calmline train SIGNAL`)"
        )
    return first


def _coefficients(arrays: dict[str, np.ndarray], settings: FeatureSettings, signal: str) -> np.ndarray:
    coef = arrays["coef"].astype(np.float32)
    if coef.shape != (settings.buckets,) or arrays["dense"].shape != (len(DENSE_NAMES),):
        raise ModelError(f"{signal}.npz: weights do not match the feature settings")
    return coef
