"""Recurring complaint themes: customer complaint turns clustered (TF-IDF + k-means), labelled and counted over time.

The shape follows ConvoKit's transformers: ``ThemeModel.fit`` learns the themes from a sample,
``assign`` labels any number of turns, and ``find_themes`` streams an output folder's
``turns.parquet`` through both and summarises each theme: its top terms, three quoted
examples (the turns nearest its centre) and its counts by day, week or month.

Memory stays flat however large the archive: the model learns from a bounded reservoir
sample, and the turns are read one Parquet part at a time, each beside its own part of
``conversations.parquet`` (same name, same chunk) for the conversations' dates.
"""

from __future__ import annotations

import heapq
import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Theme", "ThemeModel", "Themes", "find_themes"]

MIN_COMPLAINTS = 12  # fewer complaint turns than this are not enough to call anything "recurring"
TURNS_PER_THEME = 10  # k is capped so a theme has this many turns on average: recurring, not one-offs
SAMPLE_SIZE = 10_000  # turns the themes are learnt from; the rest are only assigned
SILHOUETTE_SAMPLE = 2_000
MIN_SHARE = 0.03  # a cluster smaller than this share of complaints is noise, not a theme
TOP_TERMS = 5
EXAMPLES = 3
_PLACEHOLDER = re.compile(r"\[[A-Z_]+\]")
# Chat filler that says nothing about what went wrong, on top of scikit-learn's English stop words.
# fmt: off
_FILLER = frozenset(
    [
        "just", "fine", "ok", "okay", "pls", "plz", "please", "ur", "u", "tho", "im", "ive", "dont", "cant",
        "wont", "didnt", "doesnt", "isnt", "thats", "really", "yes", "yeah", "yea", "hi", "hello", "thanks",
        "thank", "sure", "make", "time", "like", "know", "got", "get", "gonna", "want", "need", "said",
        "say", "tell", "told", "going", "still", "ll", "ve", "hey", "lol", "wtf",
    ]
)
# fmt: on


@dataclass(frozen=True, slots=True)
class Example:
    conversation_id: str
    turn: int
    quote: str


@dataclass(slots=True)
class Theme:
    """One recurring complaint: its top terms, how often, three examples and counts per period."""

    id: int
    label: str
    terms: list[str]
    count: int
    examples: list[Example] = field(default_factory=list)
    over_time: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "terms": self.terms,
            "count": self.count,
            "examples": [_example_json(example) for example in self.examples],
            "over_time": self.over_time,
        }


@dataclass(slots=True)
class Themes:
    """The themes of an archive's complaints, largest first; ``other`` counts complaints in none."""

    complaint_turns: int
    period: str
    themes: list[Theme]
    other: int
    method: str = "TF-IDF (1-2 grams, English stop words and chat filler) + k-means, k by cosine silhouette"

    def as_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "complaint_turns": self.complaint_turns,
            "period": self.period,
            "other": self.other,
            "themes": [theme.as_json() for theme in self.themes],
        }


class ThemeModel:
    """TF-IDF vectors and k-means clusters learnt from complaint texts; k is chosen by silhouette."""

    def __init__(self, max_themes: int = 8, seed: int = 13) -> None:
        self.max_themes = max_themes
        self.seed = seed

    def fit(self, texts: Sequence[str]) -> ThemeModel:
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

        cleaned = [_clean(text) for text in texts]
        self.vectorizer = TfidfVectorizer(
            stop_words=sorted(ENGLISH_STOP_WORDS | _FILLER),
            token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b",
            ngram_range=(1, 2),
            min_df=2,
            max_df=0.5,
            sublinear_tf=True,
        )
        vectors = self.vectorizer.fit_transform(cleaned)
        self.kmeans = self._best_kmeans(vectors)
        self.terms = self._top_terms()
        return self

    def assign(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Each text's cluster and its cosine similarity to that cluster's centre."""
        vectors = self.vectorizer.transform([_clean(text) for text in texts])
        labels = self.kmeans.predict(vectors)
        centres = self.kmeans.cluster_centers_ / np.maximum(
            np.linalg.norm(self.kmeans.cluster_centers_, axis=1, keepdims=True), 1e-12
        )
        similarity = np.asarray(vectors.multiply(centres[labels]).sum(axis=1)).ravel()
        return labels, similarity

    def _best_kmeans(self, vectors: Any) -> Any:
        from sklearn.cluster import MiniBatchKMeans
        from sklearn.metrics import silhouette_score

        rows = vectors.shape[0]
        candidates = range(2, max(2, min(self.max_themes, rows // TURNS_PER_THEME)) + 1)
        best: tuple[float, Any] | None = None
        for k in candidates:
            model = MiniBatchKMeans(n_clusters=k, random_state=self.seed, n_init=3, batch_size=2048)
            labels = model.fit_predict(vectors)
            if len(set(labels)) < 2:
                continue
            score = silhouette_score(
                vectors,
                labels,
                metric="cosine",
                sample_size=min(rows, SILHOUETTE_SAMPLE),
                random_state=self.seed,
            )
            if best is None or score > best[0]:
                best = (score, model)
        if best is None:  # every text alike: one theme
            return MiniBatchKMeans(n_clusters=1, random_state=self.seed, n_init=1).fit(vectors)
        return best[1]

    def _top_terms(self) -> list[list[str]]:
        vocabulary = self.vectorizer.get_feature_names_out()
        order = np.argsort(-self.kmeans.cluster_centers_, axis=1)
        return [_distinct_terms(vocabulary[row]) for row in order]


def find_themes(out: Path, max_themes: int = 8, seed: int = 13) -> Themes:
    """The complaint themes of an analysed archive (``out`` holds turns.parquet and conversations.parquet)."""
    from threadpoolctl import threadpool_limits

    sample, total = _sample_complaints(out, seed)
    if total < MIN_COMPLAINTS or len({_clean(t) for t in sample}) < MIN_COMPLAINTS:
        return Themes(complaint_turns=total, period="none", themes=[], other=total)
    # One thread: k-means' OpenMP threads busy-wait, and on a shared machine that made
    # the fit 7x slower (21 s against 3 s for 4,400 complaints on 2 busy cores).
    with threadpool_limits(limits=1):
        model = ThemeModel(max_themes, seed).fit(sample)
        counts: Counter[int] = Counter()
        by_day: dict[int, Counter[date | None]] = defaultdict(Counter)
        nearest: dict[int, list[tuple[float, str, Example]]] = defaultdict(list)
        for batch in _complaint_batches(out, with_dates=True):
            labels, similarity = model.assign(batch["text"])
            for row, (label, score) in enumerate(zip(labels.tolist(), similarity.tolist(), strict=True)):
                counts[label] += 1
                by_day[label][batch["day"][row]] += 1
                _keep_nearest(nearest[label], score, batch, row)
    return _summarise(model, counts, by_day, nearest, total)


def _summarise(
    model: ThemeModel,
    counts: Counter[int],
    by_day: dict[int, Counter[date | None]],
    nearest: dict[int, list[tuple[float, str, Example]]],
    total: int,
) -> Themes:
    days = [day for counter in by_day.values() for day in counter if day is not None]
    period = _period(days)
    themes: list[Theme] = []
    kept = 0
    for label, count in counts.most_common():
        if count < max(2, MIN_SHARE * total):
            continue
        kept += count
        terms = model.terms[label][:TOP_TERMS]
        examples = [example for _, _, example in sorted(nearest[label], reverse=True)]
        themes.append(
            Theme(
                id=len(themes) + 1,
                label=", ".join(terms[:3]),
                terms=terms,
                count=count,
                examples=examples,
                over_time=_roll_up(by_day[label], period),
            )
        )
    return Themes(complaint_turns=total, period=period, themes=themes, other=total - kept)


def _keep_nearest(
    heap: list[tuple[float, str, Example]], score: float, batch: dict[str, list[Any]], row: int
) -> None:
    text = batch["text"][row]
    if any(text == kept for _, kept, _ in heap):  # three different quotes, not one complaint thrice
        return
    example = Example(str(batch["conversation_id"][row]), int(batch["turn"][row]), _quote(text))
    entry = (score, text, example)
    if len(heap) < EXAMPLES:
        heapq.heappush(heap, entry)
    elif score > heap[0][0]:
        heapq.heapreplace(heap, entry)


def _sample_complaints(out: Path, seed: int) -> tuple[list[str], int]:
    """A uniform sample of complaint texts (reservoir sampling: one pass, bounded memory) and their count."""
    rng = random.Random(seed)
    sample: list[str] = []
    seen = 0
    for batch in _complaint_batches(out):
        for text in batch["text"]:
            seen += 1
            if len(sample) < SAMPLE_SIZE:
                sample.append(text)
            else:
                slot = rng.randrange(seen)
                if slot < SAMPLE_SIZE:
                    sample[slot] = text
    return sample, seen


def _complaint_batches(out: Path, with_dates: bool = False) -> Iterator[dict[str, list[Any]]]:
    """The complaint turns (conversation_id, turn, text, and with ``with_dates`` their day), part by part."""
    import pyarrow.parquet as pq

    for part in sorted((out / "turns.parquet").glob("part-*.parquet")):
        table = pq.read_table(
            part, columns=["conversation_id", "turn", "text"], filters=[("complaint", "=", True)]
        )
        if not table.num_rows:
            continue
        batch = table.to_pydict()
        if with_dates:
            dates = _conversation_dates(out / "conversations.parquet" / part.name)
            batch["day"] = [dates.get(cid) for cid in batch["conversation_id"]]
        yield batch


def _conversation_dates(part: Path) -> dict[str, date]:
    """The start date of each conversation in one part of conversations.parquet."""
    import pyarrow.parquet as pq

    table = pq.read_table(part, columns=["conversation_id", "started_at"])
    return {
        cid: started.date()
        for cid, started in zip(
            table.column("conversation_id").to_pylist(), table.column("started_at").to_pylist(), strict=True
        )
        if isinstance(started, datetime)
    }


def _period(days: list[date]) -> str:
    if not days:
        return "none"
    span = (max(days) - min(days)).days
    return "day" if span <= 31 else "week" if span <= 26 * 7 else "month"


def _roll_up(counter: Counter[date | None], period: str) -> dict[str, int]:
    rolled: Counter[str] = Counter()
    for day, count in counter.items():
        rolled[_period_key(day, period)] += count
    return dict(sorted(rolled.items()))


def _period_key(day: date | None, period: str) -> str:
    if day is None:
        return "undated"
    if period == "day":
        return day.isoformat()
    if period == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{day.year}-{day.month:02d}"


def _clean(text: str) -> str:
    return _PLACEHOLDER.sub(" ", text)


def _quote(text: str, limit: int = 240) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _distinct_terms(terms: Sequence[str]) -> list[str]:
    """Top terms without repeats: a bigram's words are not listed again on their own."""
    chosen: list[str] = []
    for term in terms:
        if any(term in kept.split() or kept in term.split() for kept in chosen):
            continue
        chosen.append(str(term))
        if len(chosen) == TOP_TERMS * 2:
            break
    return chosen


def _example_json(example: Example) -> dict[str, Any]:
    return {"conversation_id": example.conversation_id, "turn": example.turn, "quote": example.quote}
