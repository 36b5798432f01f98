"""The themes' figures for docs/quality.md: how well calmline's themes recover labelled intents and complaint
issues (normalized mutual information), beside TF-IDF + k-means given the true number of clusters."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from calmline.errors import InputError

Log = Callable[[str], None]

TARGET = 0.75  # banking77 dev, with the number of themes calmline chooses (issue 20)
SETS = (
    ("banking77", "label", "intents"),
    ("cfpb_complaints", "issue", "issues"),
)


@dataclass(frozen=True, slots=True)
class Row:
    """One data set: calmline's themes and the baseline, each with its NMI, cluster count and seconds."""

    data: str
    texts: int
    labels: int
    calmline_nmi: float
    themes: int  # themes of at least three texts; the rest is theme 0, "other"
    clusters: int  # clusters chosen from the data
    calmline_seconds: float
    baseline_nmi: float
    baseline_seconds: float
    calmline_true_k_nmi: float  # calmline's themes given the true number, as the baseline is


def section(data: Path, log: Log = print) -> str:
    """The themes' part of docs/quality.md: NMI on banking77 dev intents and CFPB dev issues, calmline's
    themes (number chosen from the data) against TF-IDF + k-means with the true number, in one run."""
    rows = [evaluate(data, name, field, log) for name, field, _ in SETS]
    lines = [
        "## Themes: do they find what the texts are about?",
        "",
        "Normalized mutual information (arithmetic mean) between the themes and the labels of each dev split. "
        "*calmline* is `calmline themes` as shipped (sentence embeddings on 32 principal components, k-means, "
        'number of clusters chosen by silhouette; texts of clusters under three texts count as one "other" '
        "theme); *TF-IDF + k-means* is given the true number of labels, and so is calmline in the last column (NMI "
        "rises with the number of clusters, so compare like with like). Written by `calmline eval`; seconds on "
        "this machine, one thread.",
        "",
        "| data | texts | labels | calmline NMI | clusters chosen | themes ≥ 3 texts | seconds | "
        "TF-IDF + k-means NMI (true k) | seconds | calmline NMI (true k) | target |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row, (_, _, kind) in zip(rows, SETS, strict=True):
        target = f"≥ {TARGET}" if row.data == "banking77" else ""
        lines.append(
            f"| {row.data} dev ({kind}) | {row.texts} | {row.labels} | {row.calmline_nmi:.3f} | {row.clusters} | "
            f"{row.themes} | {row.calmline_seconds:.1f} | {row.baseline_nmi:.3f} | {row.baseline_seconds:.1f} | "
            f"{row.calmline_true_k_nmi:.3f} | {target} |"
        )
    return "\n".join(lines) + "\n"


def evaluate(data: Path, name: str, field: str, log: Log = print) -> Row:
    """calmline's themes and the TF-IDF baseline on one dev split."""
    from sklearn.metrics import normalized_mutual_info_score
    from threadpoolctl import threadpool_limits

    from calmline.batch.themes import theme_texts
    from calmline.engine.models.sentences import load_sentence_encoder

    texts, labels = _read(data / name / "dev.jsonl", field)
    embedded: dict[str, np.ndarray] = {}

    def embed(batch: Sequence[str]) -> np.ndarray:  # each text embedded once for both of calmline's runs
        missing = [text for text in dict.fromkeys(batch) if text not in embedded]
        if missing:
            embedded.update(zip(missing, load_sentence_encoder().embed(missing), strict=True))
        return np.stack([embedded[text] for text in batch])

    with threadpool_limits(limits=1):
        started = time.perf_counter()
        themed = theme_texts(texts, embed=embed)
        calmline_seconds = time.perf_counter() - started
        given_k = theme_texts(texts, len(set(labels)), embed=embed)
        started = time.perf_counter()
        baseline = tfidf_kmeans(texts, len(set(labels)))
        baseline_seconds = time.perf_counter() - started
    row = Row(
        data=name,
        texts=len(texts),
        labels=len(set(labels)),
        calmline_nmi=float(normalized_mutual_info_score(labels, themed.ids)),
        themes=len(themed.themes.themes),
        clusters=themed.themes.clusters,
        calmline_seconds=calmline_seconds,
        baseline_nmi=float(normalized_mutual_info_score(labels, baseline)),
        baseline_seconds=baseline_seconds,
        calmline_true_k_nmi=float(normalized_mutual_info_score(labels, given_k.ids)),
    )
    log(
        f"themes on {name} dev: calmline NMI {row.calmline_nmi:.3f} ({row.clusters} clusters, "
        f"{calmline_seconds:.1f} s), TF-IDF + k-means NMI {row.baseline_nmi:.3f} (k={row.labels})"
    )
    return row


def tfidf_kmeans(texts: Sequence[str], k: int, seed: int = 13) -> np.ndarray:
    """The themes calmline had before: TF-IDF of 1-2 grams (English stop words) and k-means, here given k."""
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectors = TfidfVectorizer(
        stop_words="english",
        token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b",
        ngram_range=(1, 2),
        min_df=2,
        max_df=0.5,
        sublinear_tf=True,
    ).fit_transform(texts)
    labels: np.ndarray = KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(vectors)
    return labels


def _read(path: Path, field: str) -> tuple[list[str], list[str]]:
    if not path.is_file():
        raise InputError(f"{path}: missing; is --data the folder holding {path.parent.name}/?")
    texts, labels = [], []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                record = json.loads(line)
                texts.append(record["text"])
                labels.append(str(record[field]))
    return texts, labels
