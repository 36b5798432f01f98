"""Recurring complaint themes: texts embedded by the shipped sentence embedder, clustered, named by their distinctive phrases.

The shape follows ConvoKit's transformers: ``ThemeModel.fit`` learns the themes from a sample (how
many, where, what to call them), ``assign`` places any number of texts, and two front doors share
them: ``find_themes`` streams an analysed archive's complaint turns (``turns.parquet``) for the batch
report, and ``theme_texts`` themes a list of texts for ``calmline themes``. Both summarise alike: a
theme's id (largest first, 0 for texts in no recurring theme), its label, its top phrases, its most
central quotes and, for the report, its counts by day, week or month.

How (measured on banking77 and CFPB dev, see ``calmline.training.themes_eval``): all-MiniLM-L6-v2
sentence embeddings, reduced to 32 principal components, k-means for k over a range, k chosen by
silhouette; each theme is named by the phrases most distinctive of its central members (class-based
TF-IDF over 1-3 word phrases that start and end on content words: "late delivery", "not received",
"can't log in"). Memory stays flat however large the archive: the model learns from a bounded
reservoir sample, and the turns are read one Parquet part at a time.
"""

from __future__ import annotations

import heapq
import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Example", "Theme", "ThemeModel", "ThemedTexts", "Themes", "find_themes", "theme_texts"]

Embed = Callable[[Sequence[str]], np.ndarray]

MIN_TEXTS = 12  # fewer distinct texts than this are not enough to call anything "recurring"
MIN_COMPLAINTS = MIN_TEXTS
TURNS_PER_THEME = 10  # k is capped so a theme has this many texts on average: recurring, not one-offs
MAX_THEMES = 100
"""The most themes ever chosen. banking77 has 77 intents; an archive with more kinds of complaint than this
reads better as its largest hundred and the rest in "other"."""
MIN_THEME_TEXTS = 3  # a cluster with fewer texts is a one-off: its texts count as "other"
SAMPLE_SIZE = 10_000  # texts the themes are learnt from; the rest are only assigned
SILHOUETTE_SAMPLE = 2_000
COMPONENTS = 32
"""Embeddings are clustered on their first principal components. In all 384 dimensions the silhouette kept
rising with k (banking77 dev: it chose 99 clusters for 77 intents, bitext 44 for 27); on 32 components it
chose 73 and 30, and the clusters' NMI was the same."""
CANDIDATES = 14  # values of k tried, spaced evenly on a log scale from 2 to the cap
CENTRAL_SHARE = 0.6
"""A theme is named from this share of its members nearest its centre: its core, not its fringe."""
TOP_TERMS = 5
GENERIC_SHARE = 0.15  # a word this share of all texts say is too common to name a theme on its own
NAMING_TERMS = 3  # a theme is named by a phrase among its top three terms, else by its top two words
NAMING_SHARE = 0.08  # ... a phrase at least this share of its central members say (not two texts' wording)
PHRASE_BONUS = 1.25
"""A phrase of two words scores this much more than a word (three words, its square): "not received" tells a
QA lead more than "received", though fewer texts say it whole."""
EXAMPLES = 3
_PLACEHOLDER = re.compile(r"\[[A-Z_]+\]")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_CLAUSE = re.compile(r"[,.;:!?()\[\]\n\"]+|\s-\s")
_INNER_WORD = re.compile(r"(?<![.!?\n])[ ,;:(]+([A-Za-z]+)")  # a word not at a sentence's start
# Words that may open a phrase but not stand alone ("not received", "never arrived", "can't log in").
# fmt: off
_NEGATIONS = frozenset([
    "no", "not", "never", "cannot", "can't", "cant", "don't", "dont", "didn't", "didnt", "doesn't", "doesnt",
    "won't", "wont", "isn't", "isnt", "wasn't", "wasnt", "haven't", "havent", "hasn't", "hasnt", "couldn't",
    "couldnt", "aren't", "arent", "unable",
])
# Words that close a phrase only after one of these verbs ("log in", "top up", "turn on"), never alone:
# after any other word they dangle ("available in", "money out").
_PARTICLES = frozenset(["in", "out", "up", "on", "off", "down"])
_PHRASAL_VERBS = frozenset([
    "log", "logged", "logging", "sign", "signed", "signing", "turn", "turns", "turned", "switch", "switched",
    "top", "topped", "topping", "set", "pick", "picked", "cut", "lock", "locked", "locking", "check", "checked",
    "cash", "cashed", "shut", "shuts",
])
# fmt: on


@dataclass(frozen=True, slots=True)
class Example:
    conversation_id: str
    turn: int
    quote: str


@dataclass(slots=True)
class Theme:
    """One recurring complaint: its name, top phrases, how often, its most central quotes and counts per period."""

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
    """The themes of some complaints, largest first; ``other`` counts complaints in none."""

    complaint_turns: int
    period: str
    themes: list[Theme]
    other: int
    clusters: int = 0  # how many clusters were found (those smaller than MIN_THEME_TEXTS are not themes)
    chosen_by: str = "silhouette"  # or "given" when the number of themes was asked for
    method: str = (
        "all-MiniLM-L6-v2 sentence embeddings (int8 ONNX, shipped) on 32 principal components + k-means, "
        "k by silhouette; named by class-based TF-IDF of 1-3 word phrases"
    )

    def as_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "complaint_turns": self.complaint_turns,
            "period": self.period,
            "other": self.other,
            "clusters": self.clusters,
            "chosen_by": self.chosen_by,
            "themes": [theme.as_json() for theme in self.themes],
        }


class ThemeModel:
    """Clusters of texts' sentence embeddings, with a name and top phrases per cluster.

    ``themes`` fixes the number of clusters; by default it is chosen from the data (silhouette)."""

    def __init__(self, themes: int | None = None, seed: int = 13, embed: Embed | None = None) -> None:
        self.themes = themes
        self.seed = seed
        self.embed: Embed = embed or _shipped_embedder()
        self.silhouettes: dict[int, float] = {}

    def fit(self, texts: Sequence[str], vectors: np.ndarray | None = None) -> ThemeModel:
        """Learn the clusters from ``texts`` (their embeddings may be given, in the same order)."""
        from sklearn.cluster import KMeans
        from sklearn.decomposition import PCA

        vectors = self.embed(texts) if vectors is None else vectors
        self.pca = PCA(min(COMPONENTS, len(texts) - 1, vectors.shape[1]), random_state=self.seed).fit(vectors)
        reduced = self.pca.transform(vectors)
        k = self.themes or self._choose_k(reduced)
        self.kmeans = KMeans(n_clusters=min(k, len(texts)), n_init=4, random_state=self.seed).fit(reduced)
        members = self.kmeans.labels_
        self.centres = _unit_rows(
            np.stack([_centre(vectors, members == c) for c in range(self.kmeans.n_clusters)])
        )
        ranked = _cluster_phrases(texts, members, vectors @ self.centres.T)
        self.terms = [[term for term, _ in terms] for terms in ranked]
        self.names = _names(ranked)
        return self

    @property
    def k(self) -> int:
        return int(self.kmeans.n_clusters)

    def assign(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Each text's cluster and its cosine similarity to that cluster's centre."""
        return self.assign_vectors(self.embed(texts))

    def assign_vectors(self, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        clusters = self.kmeans.predict(self.pca.transform(vectors))
        return clusters, np.einsum("ij,ij->i", vectors, self.centres[clusters])

    def _choose_k(self, reduced: np.ndarray) -> int:
        """The k of highest silhouette over CANDIDATES values spaced evenly on a log scale in ``k_range``."""
        from sklearn.cluster import KMeans
        from sklearn.metrics import silhouette_score

        rows = reduced.shape[0]
        low, high = k_range(rows)
        for k in sorted({round(float(k)) for k in np.geomspace(low, high, CANDIDATES)}):
            labels = KMeans(n_clusters=k, n_init=2, random_state=self.seed).fit_predict(reduced)
            if len(set(labels.tolist())) < 2:
                continue
            self.silhouettes[k] = float(
                silhouette_score(
                    reduced, labels, sample_size=min(rows, SILHOUETTE_SAMPLE), random_state=self.seed
                )
            )
        return max(self.silhouettes, key=self.silhouettes.__getitem__) if self.silhouettes else 1


def k_range(texts: int) -> tuple[int, int]:
    """The numbers of themes tried for this many texts: from half the square root (fewer, and silhouette
    prefers splits by register to splits by what went wrong: on CuCom complaint turns it chose 2-6 themes,
    the largest a quarter of all turns, first messages apart from follow-ups) to one theme per
    TURNS_PER_THEME texts, at most MAX_THEMES."""
    high = max(2, min(MAX_THEMES, texts // TURNS_PER_THEME))
    return min(high, max(2, round(np.sqrt(texts) / 2))), high


# --- themes of a list of texts (calmline themes) ---------------------------------------------------


@dataclass(slots=True)
class ThemedTexts:
    """Each text's theme id (0: in no recurring theme) and the themes themselves."""

    ids: list[int]
    themes: Themes

    def label(self, theme: int) -> str:
        return next((t.label for t in self.themes.themes if t.id == theme), OTHER)


OTHER = "other"


def theme_texts(
    texts: Sequence[str],
    themes: int | None = None,
    seed: int = 13,
    embed: Embed | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ThemedTexts:
    """The theme of every text, learnt from (a sample of) the texts themselves; ``on_progress`` is told
    how many texts were embedded after each step."""
    embedder = embed or _shipped_embedder()
    vectors = _embed_in_steps(embedder, texts, on_progress)
    distinct = list(dict.fromkeys(t for t in texts if t.strip()))
    if len(distinct) < MIN_TEXTS or (themes is not None and themes < 1):
        return ThemedTexts([0] * len(texts), Themes(len(texts), "none", [], len(texts)))
    rows = _sample_rows(texts, seed)
    model = ThemeModel(themes, seed, embedder).fit([texts[i] for i in rows], vectors[rows])
    clusters, similarity = model.assign_vectors(vectors)
    counts: Counter[int] = Counter(clusters.tolist())
    nearest: dict[int, list[tuple[float, str, Example]]] = defaultdict(list)
    for row, (cluster, score) in enumerate(zip(clusters.tolist(), similarity.tolist(), strict=True)):
        _keep_nearest(nearest[cluster], score, texts[row], Example("", row + 1, _quote(texts[row])))
    summary, ids = _summarise(model, counts, {}, nearest, len(texts))
    return ThemedTexts([ids.get(c, 0) for c in clusters.tolist()], summary)


def _embed_in_steps(
    embed: Embed, texts: Sequence[str], on_progress: Callable[[int], None] | None
) -> np.ndarray:
    step = 512  # small enough for a progress bar that moves, large enough to batch by length
    parts = []
    for start in range(0, len(texts), step):
        parts.append(embed(texts[start : start + step]))
        if on_progress:
            on_progress(min(step, len(texts) - start))
    return np.concatenate(parts) if parts else np.zeros((0, 1), dtype=np.float32)


def _sample_rows(texts: Sequence[str], seed: int) -> list[int]:
    """Up to SAMPLE_SIZE rows of distinct, non-empty texts, in input order (a repeated text would weigh twice)."""
    first: dict[str, int] = {}
    for row, text in enumerate(texts):
        if text.strip():
            first.setdefault(text, row)
    rows = list(first.values())
    if len(rows) > SAMPLE_SIZE:
        rows = sorted(random.Random(seed).sample(rows, SAMPLE_SIZE))
    return rows


# --- themes of an analysed archive (the batch report) ----------------------------------------------


def find_themes(out: Path, themes: int | None = None, seed: int = 13, embed: Embed | None = None) -> Themes:
    """The complaint themes of an analysed archive (``out`` holds turns.parquet and conversations.parquet)."""
    from threadpoolctl import threadpool_limits

    sample, total = _sample_complaints(out, seed)
    distinct = list(dict.fromkeys(t for t in sample if t.strip()))
    if total < MIN_COMPLAINTS or len(distinct) < MIN_COMPLAINTS:
        return Themes(complaint_turns=total, period="none", themes=[], other=total)
    embedder = embed or _shipped_embedder()
    # One thread: k-means' OpenMP threads busy-wait, and on a shared machine that made
    # the fit 7x slower (21 s against 3 s for 4,400 complaints on 2 busy cores).
    with threadpool_limits(limits=1):
        learnt = embedder(distinct)
        model = ThemeModel(themes, seed, embedder).fit(distinct, learnt)
        known = dict(zip(distinct, learnt, strict=True))  # the sample is not embedded twice
        counts: Counter[int] = Counter()
        by_day: dict[int, Counter[date | None]] = defaultdict(Counter)
        nearest: dict[int, list[tuple[float, str, Example]]] = defaultdict(list)
        for batch in _complaint_batches(out, with_dates=True):
            labels, similarity = model.assign_vectors(_vectors(embedder, batch["text"], known))
            for row, (label, score) in enumerate(zip(labels.tolist(), similarity.tolist(), strict=True)):
                counts[label] += 1
                by_day[label][batch["day"][row]] += 1
                example = Example(
                    str(batch["conversation_id"][row]), int(batch["turn"][row]), _quote(batch["text"][row])
                )
                _keep_nearest(nearest[label], score, batch["text"][row], example)
    return _summarise(model, counts, by_day, nearest, total)[0]


def _vectors(embed: Embed, texts: Sequence[str], known: dict[str, np.ndarray]) -> np.ndarray:
    missing = list(dict.fromkeys(t for t in texts if t not in known))
    fresh = dict(zip(missing, embed(missing), strict=True)) if missing else {}
    return np.stack([known[t] if t in known else fresh[t] for t in texts])


def _summarise(
    model: ThemeModel,
    counts: Counter[int],
    by_day: dict[int, Counter[date | None]],
    nearest: dict[int, list[tuple[float, str, Example]]],
    total: int,
) -> tuple[Themes, dict[int, int]]:
    """The themes, largest first, and each kept cluster's theme id (clusters too small are "other")."""
    days = [day for counter in by_day.values() for day in counter if day is not None]
    period = _period(days)
    themes: list[Theme] = []
    ids: dict[int, int] = {}
    for cluster, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        if count < MIN_THEME_TEXTS:
            continue
        ids[cluster] = len(themes) + 1
        examples = [example for _, _, example in sorted(nearest[cluster], key=lambda e: (-e[0], e[1]))]
        themes.append(
            Theme(
                id=ids[cluster],
                label=model.names[cluster],
                terms=model.terms[cluster][:TOP_TERMS],
                count=count,
                examples=examples,
                over_time=_roll_up(by_day.get(cluster, Counter()), period) if by_day else {},
            )
        )
    kept = sum(theme.count for theme in themes)
    summary = Themes(
        complaint_turns=total,
        period=period,
        themes=themes,
        other=total - kept,
        clusters=model.k,
        chosen_by="silhouette" if model.themes is None else "given",
    )
    return summary, ids


def _keep_nearest(heap: list[tuple[float, str, Example]], score: float, text: str, example: Example) -> None:
    if any(text == kept for _, kept, _ in heap):  # different quotes, not one complaint thrice
        return
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


# --- naming a theme ------------------------------------------------------------------------------------


def _cluster_phrases(
    texts: Sequence[str], members: np.ndarray, similarity: np.ndarray
) -> list[list[tuple[str, float]]]:
    """Per cluster, its phrases (with the share of its central members that say them) in order of class-based TF-IDF over its central members: the share of them
    that say the phrase, times the log of how much likelier that is than in all texts. A word that a large
    share of all texts say ("order", "account") names no theme alone, only inside a phrase."""
    names = _proper_nouns(texts)
    phrases = [{p for p in _phrases(text) if not _edges(p) & names} for text in texts]
    everywhere: Counter[str] = Counter(p for found in phrases for p in found)
    generic = {p for p, n in everywhere.items() if " " not in p and n >= GENERIC_SHARE * len(texts)}
    ranked = []
    for cluster in range(similarity.shape[1]):
        rows = np.flatnonzero(members == cluster)
        central = rows[np.argsort(-similarity[rows, cluster], kind="stable")][
            : max(3, round(CENTRAL_SHARE * len(rows)))
        ]
        said: Counter[str] = Counter(p for row in central for p in phrases[row] if p not in generic)
        least = 2 if len(central) >= 4 else 1  # a phrase one member says is that member's, not the theme's
        scores = {
            phrase: _distinctiveness(n / len(central), everywhere[phrase] / len(texts))
            * PHRASE_BONUS ** phrase.count(" ")
            for phrase, n in said.items()
            if n >= least
        }
        kept = _distinct_terms(sorted(scores, key=lambda p: (-scores[p], p)))
        ranked.append([(phrase, said[phrase] / len(central)) for phrase in kept])
    return ranked


def _proper_nouns(texts: Sequence[str]) -> set[str]:
    """Words written capitalised inside a sentence more often than not (cities, brands, festivals): where a
    complaint happened or what was bought, not what went wrong, so they do not name a theme."""
    capitalised: Counter[str] = Counter()
    written: Counter[str] = Counter()
    for text in texts:
        for match in _INNER_WORD.finditer(_PLACEHOLDER.sub(" ", text)):
            word = match.group(1)
            written[word.lower()] += 1
            capitalised[word.lower()] += word[0].isupper() and not word.isupper()
    return {word for word, n in written.items() if capitalised[word] * 2 > n}


def _edges(phrase: str) -> set[str]:
    words = phrase.split()
    return {words[0], words[-1]}


def _distinctiveness(inside: float, overall: float) -> float:
    return inside * float(np.log1p(inside / overall))


def _phrases(text: str) -> set[str]:
    """The 1-3 word phrases of a text that could name a theme: they start and end on a content word (a
    negation may open one, a particle close one after its verb), and no text counts a phrase twice."""
    found: set[str] = set()
    # Within a clause: "hasn't arrived, the delivery is late" says no "arrived the delivery".
    for clause in _CLAUSE.split(_PLACEHOLDER.sub(" ", text).lower().replace("’", "'")):
        found |= _clause_phrases(_WORD.findall(clause))
    return found


def _clause_phrases(words: list[str]) -> set[str]:
    found: set[str] = set()
    for start, first in enumerate(words):
        opens = _is_content(first) or first in _NEGATIONS
        for size in (1, 2, 3):
            end = start + size
            if not opens or end > len(words):
                break
            last = words[end - 1]
            closes = _is_content(last) or (
                size > 1 and last in _PARTICLES and words[end - 2] in _PHRASAL_VERBS
            )
            if closes and (size > 1 or _is_content(first)):
                found.add(" ".join(words[start:end]))
    return found


def _is_content(word: str) -> bool:
    return len(word) > 2 and word not in _stopwords() and word not in _NEGATIONS and word not in _PARTICLES


@cache
def _stopwords() -> frozenset[str]:
    """Function words, chat filler and feelings (theme_stopwords.txt): never a theme's name on their own."""
    text = files("calmline.batch").joinpath("theme_stopwords.txt").read_text(encoding="utf-8")
    return frozenset(word for line in text.splitlines() if not line.startswith("#") for word in line.split())


def _distinct_terms(terms: Sequence[str]) -> list[str]:
    """Top phrases without repeats: a phrase inside a longer one already listed (or around one) is left out."""
    chosen: list[str] = []
    for term in terms:
        if any(f" {term} " in f" {kept} " or f" {kept} " in f" {term} " for kept in chosen):
            continue
        chosen.append(term)
        if len(chosen) == TOP_TERMS * 2:
            break
    return chosen


def _names(ranked: list[list[tuple[str, float]]]) -> list[str]:
    """Each cluster's name: a phrase among its top three that enough of it says ("not received"), else its
    top two words ("refund, return"); a name two clusters would share gets their next term as well."""
    names = [_name(terms) for terms in ranked]
    shared = Counter(names)
    for cluster, terms in enumerate(ranked):
        extra = [term for term, _ in terms if term not in names[cluster].split(", ")]
        if shared[names[cluster]] > 1 and extra:
            names[cluster] = f"{names[cluster]}, {extra[0]}"
    return [name or f"theme {cluster + 1}" for cluster, name in enumerate(names)]


def _name(terms: list[tuple[str, float]]) -> str:
    phrase = next((t for t, share in terms[:NAMING_TERMS] if " " in t and share >= NAMING_SHARE), None)
    return phrase or ", ".join(term for term, _ in terms[:2])


# --- small helpers --------------------------------------------------------------------------------------


def _shipped_embedder() -> Embed:
    from calmline.engine.models.sentences import load_sentence_encoder

    return load_sentence_encoder().embed


def _centre(vectors: np.ndarray, rows: np.ndarray) -> np.ndarray:
    return vectors[rows].mean(axis=0) if rows.any() else np.zeros(vectors.shape[1], dtype=vectors.dtype)


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit = np.zeros_like(matrix)
    np.divide(matrix, norms, out=unit, where=norms > 0)
    return unit


def _quote(text: str, limit: int = 240) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _example_json(example: Example) -> dict[str, Any]:
    return {"conversation_id": example.conversation_id, "turn": example.turn, "quote": example.quote}
