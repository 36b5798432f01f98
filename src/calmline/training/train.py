"""Train one shipped utterance model, deterministically: ``python -m calmline.training.train SIGNAL``.

The model: the shared hashed features (words, word pairs, sentence starts, capitals, character
3–5-grams; calmline.engine.models.features) scaled by naive-Bayes log-count ratios, plus VADER's
polarity as four dense features, into an L2 logistic regression with balanced class weights
(liblinear, seeded). The NB scaling is folded into the stored coefficients, so the run time is a
plain dot product. The decision threshold is chosen on train by 4-fold cross-validation
(out-of-fold probabilities), never on dev; dev is only reported. Same data, same bytes out.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from calmline.engine.models import FORMAT
from calmline.engine.models.features import DENSE_NAMES, FeatureSettings, Vectorizer, dense
from calmline.training.cards import model_card
from calmline.training.data import SPECS, data_dir, load_split, spec
from calmline.training.metrics import binary_metrics, choose_threshold

SEED = 13
FOLDS = 4
NB_ALPHA = 1.0
VERSION = "1"
SETTINGS = FeatureSettings()
# Inverse regularisation per signal, picked from a small grid on dev (see docs/quality.md).
STRENGTH: dict[str, float] = {
    "anger": 1.0,
    "distress": 2.0,
    "negative": 1.0,
    "offensive": 4.0,
    "impolite": 1.0,
}
MODELS_DIR = Path(__file__).resolve().parents[1] / "engine" / "models"


@dataclass(frozen=True, slots=True)
class Features:
    """A split as the models see it: the hashed sparse block and the dense VADER block."""

    hashed: sp.csr_matrix
    dense: np.ndarray


@dataclass(frozen=True, slots=True)
class LinearModel:
    """Weights over the shared features; ``coef`` already includes the NB scaling."""

    coef: np.ndarray
    dense: np.ndarray
    intercept: float

    def quantized(self) -> LinearModel:
        # Shipped as float16: half the size, and the figures are measured on exactly what ships.
        return LinearModel(self.coef.astype(np.float16).astype(np.float32), self.dense, self.intercept)

    def probabilities(self, features: Features) -> np.ndarray:
        z = features.hashed @ self.coef + features.dense @ self.dense + self.intercept
        return 1.0 / (1.0 + np.exp(-z))


def featurize(texts: list[str], settings: FeatureSettings = SETTINGS) -> Features:
    vectorizer = Vectorizer(settings)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    for i, text in enumerate(texts):
        indices, values = vectorizer.vectorize(text)
        rows.append(np.full(len(indices), i, dtype=np.int64))
        cols.append(indices)
        vals.append(values)
    shape = (len(texts), settings.buckets)
    if texts:
        hashed = sp.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=shape,
            dtype=np.float32,
        )
    else:
        hashed = sp.csr_matrix(shape, dtype=np.float32)
    polarity = np.array([dense(t, settings) for t in texts], dtype=np.float32).reshape(-1, len(DENSE_NAMES))
    return Features(hashed, polarity)


def nb_ratio(hashed: sp.csr_matrix, labels: np.ndarray, alpha: float = NB_ALPHA) -> np.ndarray:
    """Log-count ratio of each bucket between the classes (Wang & Manning 2012): how much more often a
    feature occurs with the signal than without it. Scaling features by it lets L2 regularisation
    spend its budget on the telling ones."""
    present = (hashed > 0).astype(np.float32)
    pos = alpha + np.asarray(present[labels == 1].sum(axis=0)).ravel()
    neg = alpha + np.asarray(present[labels == 0].sum(axis=0)).ravel()
    return np.log((pos / pos.sum()) / (neg / neg.sum())).astype(np.float32)


def fit(features: Features, labels: np.ndarray, strength: float) -> LinearModel:
    ratio = nb_ratio(features.hashed, labels)
    scaled = features.hashed.multiply(ratio).tocsr()
    design = sp.hstack([scaled, sp.csr_matrix(features.dense)], format="csr")
    model = LogisticRegression(
        C=strength, class_weight="balanced", solver="liblinear", max_iter=5000, random_state=SEED
    )
    model.fit(design, labels)
    weights = model.coef_[0].astype(np.float32)
    n = features.hashed.shape[1]
    return LinearModel(
        (weights[:n] * ratio).astype(np.float32), weights[n:].copy(), float(model.intercept_[0])
    )


def _rows(features: Features, index: np.ndarray) -> Features:
    return Features(features.hashed[index], features.dense[index])


def cross_validated_threshold(
    features: Features, labels: np.ndarray, strength: float, objective: str
) -> float:
    """The threshold that maximises ``objective`` over out-of-fold probabilities on train."""
    folds = min(FOLDS, int(min(labels.sum(), len(labels) - labels.sum())))
    if folds < 2:
        return 0.5
    out_of_fold = np.zeros(len(labels))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    for train_index, test_index in splitter.split(np.zeros(len(labels)), labels):
        model = fit(_rows(features, train_index), labels[train_index], strength).quantized()
        out_of_fold[test_index] = model.probabilities(_rows(features, test_index))
    return choose_threshold(labels, out_of_fold, objective)


def train_signal(
    signal: str,
    data: Path | None = None,
    out: Path = MODELS_DIR,
    *,
    limit: int | None = None,
    log: Callable[[str], None] = lambda message: None,
) -> dict[str, Any]:
    """Train ``signal`` on its train split, report dev, write ``<signal>.npz/.json/.md`` into ``out``.

    ``limit`` keeps only the first records of each split (for quick checks). Returns the description.
    """
    s = spec(signal)
    folder = data_dir(data)
    started = time.perf_counter()
    train_texts, train_labels = load_split(signal, "train", folder)
    dev_texts, dev_labels = load_split(signal, "dev", folder)
    if limit is not None:
        train_texts, train_labels = train_texts[:limit], train_labels[:limit]
        dev_texts, dev_labels = dev_texts[:limit], dev_labels[:limit]
    y_train, y_dev = np.array(train_labels), np.array(dev_labels)
    log(f"{signal}: {len(train_texts)} train / {len(dev_texts)} dev texts from {s.corpus.folder}")
    train_features = featurize(train_texts)
    strength = STRENGTH[signal]
    threshold = round(cross_validated_threshold(train_features, y_train, strength, s.objective), 4)
    log(f"{signal}: threshold {threshold:.3f} ({FOLDS}-fold CV on train, {s.objective})")
    model = fit(train_features, y_train, strength).quantized()
    dev_probabilities = model.probabilities(featurize(dev_texts))
    description = _description(
        signal, threshold, strength, y_train, binary_metrics(y_dev, dev_probabilities, threshold)
    )
    _write(out, signal, model, description)
    log(f"{signal}: dev {description['dev']} in {time.perf_counter() - started:.0f}s -> {out}")
    return description


def _description(
    signal: str, threshold: float, strength: float, y_train: np.ndarray, dev: dict[str, float | None]
) -> dict[str, Any]:
    s = spec(signal)
    return {
        "format": FORMAT,
        "signal": signal,
        "version": VERSION,
        "meaning": s.meaning,
        "features": SETTINGS.to_json(),
        "dense_features": list(DENSE_NAMES),
        "threshold": round(threshold, 4),
        "threshold_rule": f"maximises {s.objective} over {FOLDS}-fold out-of-fold probabilities on train",
        "training": {
            "data": s.corpus.folder,
            "licence": s.corpus.licence,
            "split": "train",
            "records": len(y_train),
            "positives": int(y_train.sum()),
            "positive": s.positive,
            "negative": s.negative,
            "model": "logistic regression (liblinear, L2), balanced class weights, NB log-count-ratio scaling",
            "C": strength,
            "nb_alpha": NB_ALPHA,
            "seed": SEED,
        },
        "dev": {key: (None if value is None else round(value, 4)) for key, value in dev.items()},
    }


def _write(out: Path, signal: str, model: LinearModel, description: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    arrays = {
        "coef": model.coef.astype(np.float16),
        "dense": model.dense.astype(np.float32),
        "intercept": np.array([model.intercept], dtype=np.float32),
    }
    (out / f"{signal}.npz").write_bytes(_npz_bytes(arrays))
    (out / f"{signal}.json").write_text(
        json.dumps(description, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    (out / f"{signal}.md").write_text(model_card(description, spec(signal)), encoding="utf-8")


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """An .npz numpy can load, written with fixed timestamps so a rerun gives the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, member.getvalue())
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m calmline.training.train", description=__doc__.splitlines()[0]
    )
    parser.add_argument("signal", help=f"one of {', '.join(SPECS)}, or 'all'")
    parser.add_argument(
        "--data", type=Path, default=None, help="the shared data folder (default ../shared/data)"
    )
    parser.add_argument("--out", type=Path, default=MODELS_DIR, help="where to write the model files")
    args = parser.parse_args(argv)
    signals = list(SPECS) if args.signal == "all" else [args.signal]
    for signal in signals:
        train_signal(
            signal, args.data, args.out, log=lambda message: print(message, file=sys.stderr, flush=True)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
