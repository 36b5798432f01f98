"""Which public data set teaches each utterance signal, how its labels map, and where the data lives."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from calmline.errors import InputError
from calmline.model import Role, Turn

DATA_ENV = "CALMLINE_DATA"
REPO_ROOT = Path(__file__).resolve().parents[3]

Record = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Corpus:
    folder: str
    title: str
    licence: str
    attribution: str
    source: str


GOEMOTIONS = Corpus(
    "goemotions",
    "GoEmotions (Reddit comments, 27 emotions + neutral)",
    "Apache License 2.0",
    "Demszky, Movshovitz-Attias, Ko, Cowen, Nemade, Ravi. GoEmotions: A Dataset of Fine-Grained "
    "Emotions. ACL 2020. Data © Google LLC, Apache-2.0.",
    "github.com/google-research/google-research (goemotions), via monologg/GoEmotions-pytorch",
)
DAVIDSON = Corpus(
    "davidson_hate_offensive",
    "Davidson et al. hate speech and offensive language (tweets)",
    "MIT License",
    "Davidson, Warmsley, Macy, Weber. Automated Hate Speech Detection and the Problem of Offensive "
    "Language. ICWSM 2017. Data © Thomas Davidson, MIT licence.",
    "github.com/t-davidson/hate-speech-and-offensive-language",
)
POLITENESS = Corpus(
    "stanford_politeness",
    "Stanford Politeness Corpus (Wikipedia and Stack Exchange requests)",
    "Apache License 2.0 (repository); CC BY 4.0 (ConvoKit's statement) — attribution required",
    "Danescu-Niculescu-Mizil, Sudhof, Jurafsky, Leskovec, Potts. A computational approach to "
    "politeness with application to social factors. ACL 2013.",
    "github.com/sudhof/politeness",
)


def _in_group(*groups: str) -> Callable[[Record], int]:
    return lambda record: int(any(g in record["groups"] for g in groups))


@dataclass(frozen=True, slots=True)
class SignalSpec:
    """One trained signal: its data, its labels and the figure its threshold is chosen for."""

    name: str
    meaning: str
    corpus: Corpus
    label: Callable[[Record], int]
    positive: str
    negative: str
    keep: Callable[[Record], bool] = lambda record: True
    objective: str = "f1"  # what the threshold maximises: f1 | macro_f1 | accuracy
    roles: str = "customer turns"
    intended_use: str = ""
    failure_modes: tuple[str, ...] = ()
    # How strongly a record shows the signal on a continuous scale, for data that grades every text
    # (the politeness score). Training then learns from every record, the ones ``keep`` leaves out of
    # the binary split included (calmline.training.train.GRADE_QUANTILES); None: from the labels alone.
    grade: Callable[[Record], float] | None = None
    grade_meaning: str = ""


SPECS: dict[str, SignalSpec] = {
    spec.name: spec
    for spec in (
        SignalSpec(
            "anger",
            "the text expresses anger, annoyance, disgust or disapproval",
            GOEMOTIONS,
            _in_group("anger"),
            "a comment labelled anger, annoyance, disapproval or disgust (the `anger` group)",
            "every other comment",
            intended_use="Customer turns: how angry or fed up the customer is (P02 acknowledgement, mood).",
            failure_modes=(
                "Reddit comments, not customer-service chat: billing and delivery vocabulary is rare in training.",
                "Disapproval is part of the group, so calm disagreement and negations score high: "
                '"I am not angry at all" still reads as anger (Reddit disapproval is full of "not").',
                "Sarcasm and politely worded anger are often missed.",
            ),
        ),
        SignalSpec(
            "distress",
            "sadness, fear, nervousness, disappointment, grief, remorse or embarrassment",
            GOEMOTIONS,
            _in_group("distress"),
            "a comment in the `distress` group",
            "every other comment",
            intended_use="Customer turns: worry and upset that call for empathy first (P02).",
            failure_modes=(
                'Apologies count as remorse in the training labels: "Sorry to bother you again" reads as '
                'distress, and so does an agent\'s "sorry for the delay".',
                'Worry stated without feeling words ("the deposit is due tomorrow and the refund isn\'t here") '
                "is often missed.",
            ),
        ),
        SignalSpec(
            "negative",
            "any negative emotion (the anger and distress groups together)",
            GOEMOTIONS,
            _in_group("anger", "distress"),
            "a comment in the `anger` or `distress` group (GoEmotions' own negative sentiment labels)",
            "every other comment",
            intended_use="Customer turns: the customer's overall negative feeling (mood, escalation risk).",
            failure_modes=(
                "Complaints stated flatly, without emotion words, score low.",
                'Apologies ("sorry") raise it through the distress group.',
            ),
        ),
        SignalSpec(
            "offensive",
            "profane, insulting or hateful language",
            DAVIDSON,
            lambda record: int(record["label"] != "neither"),
            "a tweet labelled `offensive` or `hate`",
            "a tweet labelled `neither`",
            objective="macro_f1",
            intended_use="Customer turns: profanity, insults and slurs (P11). It does not say at whom: "
            "calmline.abuse.v1 tells venting about a thing from abuse aimed at the agent.",
            failure_modes=(
                "Trained on 2013 US tweets: slang-heavy, and the labels carry a known racial-dialect bias "
                "(Davidson et al. 2019): African-American English is more often marked offensive.",
                'Most training positives are profanity, so a swear word about a thing ("this damn bill") '
                "scores as offensive; that is by design, venting is told apart elsewhere.",
                "Quoted profanity (\"my neighbour yelled 'f*** you' at the courier\") scores like profanity: "
                "the model reads words, not who said them to whom.",
                'Everyday insults without swearing ("you clown", "you idiot") are rare in the tweets; a frozen '
                "word class of common insults carries the weight over, but coverage is uneven.",
            ),
        ),
        SignalSpec(
            "impolite",
            "the text is impolite or rude",
            POLITENESS,
            lambda record: int(record["label"] == "impolite"),
            "a request in the bottom politeness quartile of its domain",
            "a request in the top quartile (the middle half, `neutral`, is left out)",
            keep=lambda record: record["label"] != "neutral",
            objective="accuracy",
            grade=lambda record: -float(record["score"]),
            grade_meaning="the negated politeness score (the mean of five z-scored ratings)",
            roles="agent turns and drafts",
            intended_use="Agent turns and drafts: a curt or rude tone (P01). A tone signal, not a verdict: "
            "the training texts are peer requests on Wikipedia and Stack Exchange, not agent replies.",
            failure_modes=(
                'Direct questions ("Why did you do that?") score impolite even when they are fair, so plain '
                "questions and many neutral agent lines land near the threshold; a stricter threshold suits "
                "live agent turns.",
                "Scores on statements and long replies are less reliable than on requests, which is all it saw.",
                "Stack Exchange requests are read less reliably than Wikipedia ones (per-domain rows in "
                "docs/quality.md): there, plain technical questions are often rated impolite and the "
                "words rarely tell why.",
            ),
        ),
    )
}


def spec(signal: str) -> SignalSpec:
    try:
        return SPECS[signal]
    except KeyError:
        raise InputError(f"unknown signal {signal!r}; trained signals: {', '.join(SPECS)}") from None


def data_dir(given: Path | None = None) -> Path:
    """The shared data folder: ``given``, else $CALMLINE_DATA, else ../shared/data beside the repo or cwd."""
    if given is not None and not given.is_dir():
        # A folder the user named must not quietly become another one: the figures would be of other data.
        raise InputError(f"no data folder at {given}; pass --data DIR (the folder holding goemotions/ etc.)")
    candidates = [given] if given is not None else []
    if os.environ.get(DATA_ENV):
        candidates.append(Path(os.environ[DATA_ENV]))
    candidates += [REPO_ROOT.parent / "shared" / "data", Path.cwd().parent / "shared" / "data"]
    for folder in candidates:
        if folder is not None and folder.is_dir():
            return folder
    shown = given or REPO_ROOT.parent / "shared" / "data"
    raise InputError(f"no data folder at {shown}; pass --data DIR (the folder holding goemotions/ etc.)")


def load_records(signal: str, split: str, folder: Path) -> list[Record]:
    """Every record of the split file that ``signal`` learns from (before ``keep`` filters any out)."""
    s = spec(signal)
    path = folder / s.corpus.folder / f"{split}.jsonl"
    if not path.exists():
        raise InputError(f"{path}: missing; is --data the folder holding {s.corpus.folder}/?")
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def seeded_train_sample(signal: str, folder: Path, limit: int, seed: int) -> list[Record]:
    """At most ``limit`` train records, chosen by ``seed``, in file order (before ``keep`` filters any out):
    the sample the slow encoder candidates of ``calmline eval`` learn from."""
    records = load_records(signal, "train", folder)
    if len(records) <= limit:
        return records
    chosen = np.sort(np.random.default_rng(seed).permutation(len(records))[:limit])
    return [records[i] for i in chosen]


def load_split(signal: str, split: str, folder: Path) -> tuple[list[str], list[int]]:
    """Texts and 0/1 labels of ``signal`` on ``split`` (train or dev), in file order."""
    s = spec(signal)
    kept = [record for record in load_records(signal, split, folder) if s.keep(record)]
    return [record["text"] for record in kept], [s.label(record) for record in kept]


def load_graded(signal: str, split: str, folder: Path) -> tuple[list[str], list[float], list[int]]:
    """Every text of the split with its grade (``spec.grade``) and its 0/1 label, or -1 where the
    binary split leaves it out; in file order."""
    s = spec(signal)
    if s.grade is None:
        raise InputError(f"signal {signal!r} has no graded training data")
    records = load_records(signal, split, folder)
    return (
        [record["text"] for record in records],
        [s.grade(record) for record in records],
        [s.label(record) if s.keep(record) else -1 for record in records],
    )


AGENT_SPEAKERS = frozenset({"agent", "system"})
"""The speaker names of the answering side in the shared chat sets (user-satisfaction calls it "system")."""


def chat_turns(record: dict[str, Any]) -> list[Turn]:
    """The turns of a two-party chat record (``{"turns": [{"speaker": "agent"|…, "text"}]}``), as Turns."""
    return [
        Turn(
            speaker=t["speaker"],
            role=Role.agent if t["speaker"] in AGENT_SPEAKERS else Role.customer,
            text=t["text"],
        )
        for t in record["turns"]
    ]
