"""Measuring the escalation forecast (P10) on dev conversations and the pattern safety signals on our sets."""

from __future__ import annotations

import json
import math
import re
import statistics
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from calmline.engine import registry
from calmline.engine.context import Context, Detector
from calmline.engine.pipeline import Engine
from calmline.engine.redact import redact
from calmline.engine.state import WINDOW_FEATURES, Scores, StateTracker, forecast_window, turn_cues
from calmline.errors import InputError
from calmline.model import Conversation, ConversationInfo, CustomerState, Role, Turn, TurnAnalysis
from calmline.playbook import load_default
from calmline.training.data import REPO_ROOT, chat_turns
from calmline.training.data import data_dir as shared_data_dir

EVALSETS = Path(__file__).resolve().parent / "evalsets"
HELDOUT = EVALSETS / "heldout"
"""Our own labelled evaluation sets, one folder per signal (``eval.jsonl`` and a README)."""

SAFETY_SIGNALS = ("self_harm", "abuse_at_agent", "manager_request", "violence_threat")

Roles = Literal["customer", "alternate"]
ROLE_MODES: tuple[Roles, ...] = ("customer", "alternate")
CHOSEN_ROLES: Roles = "customer"
"""How the cga_wiki speakers (all "unknown") are cast. Either editor may throw the attack, so
every turn is read as the customer's; "alternate" is reported beside it (see ``forecast_rows``)."""

SEED = 13
HAND_SET = "state tracker, hand-set weights (shipped)"
FOUNDATION = "state tracker, foundation features only"
RESEARCH = "logistic on cga_wiki train (research only, not shipped)"


def data_dir() -> Path:
    """The shared data sets as ``training.data`` finds them; a path that may not exist when they are absent."""
    try:
        return shared_data_dir()
    except InputError:
        return REPO_ROOT.parent / "shared" / "data"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


# --- metrics -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Metrics:
    """Binary classification figures, with ROC-AUC from the scores when both classes occur."""

    precision: float
    recall: float
    f1: float
    accuracy: float
    auc: float | None
    positives: int
    negatives: int
    predicted: int


def binary_metrics(truth: Sequence[bool], predicted: Sequence[bool], scores: Sequence[float]) -> Metrics:
    tp = sum(t and p for t, p in zip(truth, predicted, strict=True))
    fp = sum(p and not t for t, p in zip(truth, predicted, strict=True))
    fn = sum(t and not p for t, p in zip(truth, predicted, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    correct = sum(t == p for t, p in zip(truth, predicted, strict=True))
    return Metrics(
        precision=precision,
        recall=recall,
        f1=f1,
        accuracy=correct / len(truth) if truth else 0.0,
        auc=roc_auc(truth, scores),
        positives=sum(truth),
        negatives=len(truth) - sum(truth),
        predicted=sum(predicted),
    )


def roc_auc(truth: Sequence[bool], scores: Sequence[float]) -> float | None:
    """The probability that a random positive outscores a random negative (ties count half)."""
    ranked = sorted(zip(scores, truth, strict=True), key=lambda pair: pair[0])
    positives = sum(truth)
    negatives = len(truth) - positives
    if not positives or not negatives:
        return None
    rank_sum, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        mid_rank = (i + j + 1) / 2  # 1-based average rank of the tied block
        rank_sum += mid_rank * sum(label for _, label in ranked[i:j])
        i = j
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def p50_ms(samples_ns: Sequence[int]) -> float:
    return statistics.median(samples_ns) / 1e6 if samples_ns else 0.0


# --- the forecast over conversations -----------------------------------------------------


@dataclass(slots=True)
class ForecastTrace:
    """One conversation's prefix replayed through the engine: risk and alerts turn by turn."""

    id: str
    escalates: bool
    risks: list[float]
    alert_turns: list[int]
    features: list[dict[str, float]] = field(default_factory=list)
    turn_ns: list[int] = field(default_factory=list)
    manager_request: int | None = None  # the turn where the customer first asked for a manager

    def before(self, turn: int, escalates: bool) -> ForecastTrace:
        """The same replay seen only up to (not including) ``turn``: what was known before it."""
        return ForecastTrace(
            self.id,
            escalates,
            self.risks[:turn],
            [i for i in self.alert_turns if i < turn],
            self.features[:turn],
            self.turn_ns[:turn],
        )

    @property
    def fired(self) -> bool:
        return bool(self.alert_turns)

    @property
    def peak(self) -> float:
        return max(self.risks, default=0.0)

    @property
    def lead(self) -> int | None:
        """Turns from the first alert to the turn after the prefix (the derailing turn)."""
        return len(self.risks) - self.alert_turns[0] if self.alert_turns else None


def cga_turns(record: dict[str, Any], roles: Roles) -> list[Turn]:
    """The turns before the last one (in a derailing conversation the last is the attack)."""
    turns = []
    for i, raw in enumerate(record["turns"][:-1]):
        role = Role.customer if roles == "customer" or i % 2 == 0 else Role.agent
        turns.append(Turn(speaker=role.value, role=role, text=detokenize(raw["text"])))
    return turns


_SPLIT_CLITIC = re.compile(r"\s+'\s+(re|s|t|ve|ll|d|m)\b")
_SPACED_PUNCT = re.compile(r"\s+([.,!?;:])")


def detokenize(text: str) -> str:
    """Undo cga_wiki's tokenisation ("you ' re ." → "you're."), so the text reads as typed."""
    return _SPACED_PUNCT.sub(r"\1", _SPLIT_CLITIC.sub(r"'\1", text))


def replay(engine: Engine, conversation_id: str, turns: Sequence[Turn], escalates: bool) -> ForecastTrace:
    """Feed the turns one by one, exactly as live, and keep what the forecast saw."""
    session = engine.session(Conversation(id=conversation_id))
    trace = ForecastTrace(conversation_id, escalates, [], [])
    for turn in turns:
        began = time.perf_counter_ns()
        analysed = session.add(turn)
        trace.turn_ns.append(time.perf_counter_ns() - began)
        trace.risks.append(analysed.state.escalation_risk)
        if any(alert.kind.value == "escalation_risk" for alert in analysed.alerts):
            trace.alert_turns.append(analysed.index)
        if analysed.state.manager_requested and trace.manager_request is None:
            trace.manager_request = analysed.index
    trace.features = turn_features(engine.tracker, session.history)
    return trace


def turn_features(tracker: StateTracker, history: Sequence[TurnAnalysis]) -> list[dict[str, float]]:
    """The forecast's features at every turn, recomputed from the analysed turns (prefix only)."""
    features = []
    for i, analysed in enumerate(history):
        current = (
            turn_cues(analysed.text, Scores.of(analysed.signals)) if analysed.role is Role.customer else None
        )
        features.append(tracker.features(analysed.state, forecast_window(history[:i], current)))
    return features


def cga_traces(engine: Engine, split: str, roles: Roles = CHOSEN_ROLES) -> list[ForecastTrace]:
    records = read_jsonl(data_dir() / "cga_wiki" / f"{split}.jsonl")
    return [replay(engine, r["id"], cga_turns(r, roles), bool(r["derails"])) for r in records]


@dataclass(frozen=True, slots=True)
class TurnForecast:
    """The risk just before a user turn, and whether that turn was dissatisfied."""

    risk_before: float
    dissatisfied: bool


def uss_turn_forecasts(engine: Engine, split: str = "dev") -> list[TurnForecast]:
    """User-satisfaction dialogues, turn by turn: does the risk before a user turn anticipate that
    the user's mean satisfaction on it rounds to 2 or less?

    Turn-level, because a dialogue-level forecast would compare short prefixes (cut before the
    drop) with whole dialogues and reward length. Each dialogue counts up to its first
    dissatisfied turn; its first user turn has nothing before it and is left out.
    """
    samples = []
    for record in read_jsonl(data_dir() / "user_satisfaction_sim" / f"{split}.jsonl"):
        session = engine.session(Conversation(id=record["id"]))
        for raw in record["turns"]:
            user = raw["speaker"] == "user"
            if user and session.customer_turns:
                samples.append(TurnForecast(session.state.escalation_risk, _dissatisfied(raw)))
                if samples[-1].dissatisfied:
                    break
            role = Role.customer if user else Role.agent
            session.add(Turn(speaker=raw["speaker"], role=role, text=raw["text"]))
    return samples


def _dissatisfied(turn: dict[str, Any]) -> bool:
    return float(turn.get("sat_mean", 3.0)) < 2.5  # rounds (half up) to 2 or less


@dataclass(frozen=True, slots=True)
class ForecastResult:
    metrics: Metrics
    median_lead: float | None
    turn_p50_ms: float
    conversations: int


def forecast_result(
    traces: Sequence[ForecastTrace],
    fired: Callable[[ForecastTrace], bool] | None = None,
    score: Callable[[ForecastTrace], float] | None = None,
) -> ForecastResult:
    """Per conversation: it fires if the alert came on any turn; the peak risk is its score."""
    fires = fired or (lambda t: t.fired)
    scored = score or (lambda t: t.peak)
    truth = [t.escalates for t in traces]
    metrics = binary_metrics(truth, [fires(t) for t in traces], [scored(t) for t in traces])
    leads = [t.lead for t in traces if t.escalates and t.lead is not None and fires(t)]
    return ForecastResult(
        metrics=metrics,
        median_lead=statistics.median(leads) if leads else None,
        turn_p50_ms=p50_ms([ns for t in traces for ns in t.turn_ns]),
        conversations=len(traces),
    )


def foundation_engine() -> Engine:
    """The engine with the foundation's forecast: only the nine original features weigh."""
    engine = Engine(load_default())
    engine.tracker.weights = {
        k: 0.0 if k in WINDOW_FEATURES else v for k, v in engine.tracker.weights.items()
    }
    return engine


# --- research only: the same features, weights fitted on cga_wiki train ------------------


@dataclass(frozen=True, slots=True)
class FittedForecast:
    """A logistic over the tracker's features fitted on cga_wiki train. Research only: the
    data's licence forbids shipping it, and it exists to show how much the features can give."""

    names: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float

    def risk(self, features: dict[str, float]) -> float:
        logit = self.bias + sum(
            w * features.get(n, 0.0) for n, w in zip(self.names, self.weights, strict=True)
        )
        return 1.0 / (1.0 + math.exp(-logit))

    def peak(self, trace: ForecastTrace) -> float:
        return max((self.risk(f) for f in trace.features), default=0.0)


def fit_research_forecast(train: Sequence[ForecastTrace]) -> FittedForecast:
    """Every prefix turn labelled with its conversation's outcome; the alert threshold is the
    one that gives the best accuracy on train (not dev)."""
    from sklearn.linear_model import LogisticRegression  # research path only

    names = tuple(train[0].features[0])
    rows = [[f[n] for n in names] for t in train for f in t.features]
    labels = [t.escalates for t in train for _ in t.features]
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=5000, random_state=SEED)
    model.fit(rows, labels)
    fitted = FittedForecast(names, tuple(float(w) for w in model.coef_[0]), float(model.intercept_[0]), 0.5)
    peaks = sorted({round(fitted.peak(t), 4) for t in train})
    best = max(peaks, key=lambda cut: sum((fitted.peak(t) >= cut) == t.escalates for t in train))
    return FittedForecast(fitted.names, fitted.weights, fitted.bias, best)


# --- rows for the evaluation table -------------------------------------------------------

Row = dict[str, Any]


def _row(signal: str, candidate: str, metrics: Metrics | None, latency_ms: float | None, note: str) -> Row:
    return {
        "signal": signal,
        "candidate": candidate,
        "precision": round(metrics.precision, 3) if metrics else None,
        "recall": round(metrics.recall, 3) if metrics else None,
        "f1": round(metrics.f1, 3) if metrics else None,
        "auc": round(metrics.auc, 3) if metrics and metrics.auc is not None else None,
        "accuracy": round(metrics.accuracy, 3) if metrics else None,
        "latency_ms": round(latency_ms, 3) if latency_ms is not None else None,
        "note": note,
    }


def _lead(result: ForecastResult) -> str:
    return f"median lead {result.median_lead:g} turns" if result.median_lead is not None else "never fired"


def alert_threshold(engine: Engine) -> float:
    """The risk from which the playbook's business-hours escalation forecast alerts."""
    rule = next(r for r in engine.playbook.rules if r.id == "escalation-forecast")
    return float(rule.when.state["escalation_risk"].gte or 0.0)


def forecast_rows(research: bool = True) -> list[Row]:
    """``escalation_risk`` as a forecaster on the dev splits.

    cga_wiki with both ways of casting its speakers, the foundation's features and "always
    escalates" for comparison, and (``research``) a logistic fitted on cga_wiki train that is
    never shipped; then user_satisfaction_sim and cucom_ecommerce. Empty without the shared data.
    """
    if not (data_dir() / "cga_wiki" / "dev.jsonl").exists():
        return []
    engine = Engine.default()
    rows = cga_rows(engine, research)
    if (data_dir() / "user_satisfaction_sim" / "dev.jsonl").exists():
        rows.append(uss_row(engine))
    if (data_dir() / "cucom_ecommerce" / "dev.jsonl").exists():
        rows.append(cucom_row(engine))
    return rows


def cga_rows(engine: Engine, research: bool) -> list[Row]:
    rows = []
    dev = {roles: cga_traces(engine, "dev", roles) for roles in ROLE_MODES}
    for roles in ROLE_MODES:
        result = forecast_result(dev[roles])
        row = _row(
            "escalation_risk",
            HAND_SET,
            result.metrics,
            result.turn_p50_ms,
            f"cga_wiki dev, {result.conversations} conv., speakers as {_cast(roles)}; fires "
            f"if the P10 alert comes on any turn before the last; AUC of peak risk; "
            f"{_lead(result)}; p50 ms per engine turn",
        )
        # The forecast target reads the casting calmline chose, not the one beside it.
        rows.append(row | {"forecast_target": True} if roles == CHOSEN_ROLES else row)
    old = forecast_result(cga_traces(foundation_engine(), "dev", CHOSEN_ROLES))
    rows.append(
        _row(
            "escalation_risk",
            FOUNDATION,
            old.metrics,
            old.turn_p50_ms,
            f"cga_wiki dev, speakers as {_cast(CHOSEN_ROLES)}; {_lead(old)}",
        )
    )
    always = forecast_result(dev[CHOSEN_ROLES], fired=lambda _: True, score=lambda _: 1.0)
    rows.append(_row("escalation_risk", "always escalates", always.metrics, None, "cga_wiki dev: the floor"))
    # The hand-set weights and the live thresholds were set while dev figures were watched; train
    # was never fitted on by anything shipped, so it is the less flattering, more honest reading.
    train = cga_traces(engine, "train", CHOSEN_ROLES)
    on_train = forecast_result(train)
    rows.append(
        _row(
            "escalation_risk",
            HAND_SET,
            on_train.metrics,
            None,
            f"cga_wiki train, {on_train.conversations} conv. (nothing shipped was fitted on it: a second "
            f"evaluation set), speakers as {_cast(CHOSEN_ROLES)}; {_lead(on_train)}; "
            f"always escalates scores F1 {_always_f1(train):.3f} here",
        )
    )
    if research:
        fitted = fit_research_forecast(train)
        fit = forecast_result(
            dev[CHOSEN_ROLES], fired=lambda t: fitted.peak(t) >= fitted.threshold, score=fitted.peak
        )
        rows.append(
            _row(
                "escalation_risk",
                RESEARCH,
                fit.metrics,
                None,
                f"cga_wiki dev; the same features; threshold {fitted.threshold:.2f} chosen on "
                f"train for accuracy; {_lead(fit)}",
            )
        )
    return rows


def _always_f1(traces: Sequence[ForecastTrace]) -> float:
    return forecast_result(traces, fired=lambda _: True, score=lambda _: 1.0).metrics.f1


def uss_row(engine: Engine) -> Row:
    turns = uss_turn_forecasts(engine)
    at = alert_threshold(engine)
    risk = [t.risk_before for t in turns]
    metrics = binary_metrics([t.dissatisfied for t in turns], [r >= at for r in risk], risk)
    return _row(
        "escalation_risk",
        HAND_SET,
        metrics,
        None,
        f"user_satisfaction_sim dev, turn level: risk before each of {len(turns)} user turns "
        f"vs that turn's satisfaction ≤ 2 ({metrics.positives} such turns); fires at {at:g}",
    )


def cucom_row(engine: Engine) -> Row:
    """Contact-center chats: does the forecast come before a customer asks for a manager?

    cucom_ecommerce has no labels: a conversation counts as escalating when calmline's own
    manager_request detector fires in it, so this checks the timing, not the detector. An
    escalating conversation is replayed up to the request; the others whole, which gives the
    alert rate on complaint chats where nobody asked for a manager (the precision shown).
    """
    traces = []
    for whole in cucom_traces(engine):
        request = whole.manager_request
        traces.append(whole.before(request, escalates=True) if request is not None else whole)
    result = forecast_result(traces)
    false_alarms = sum(t.fired and not t.escalates for t in traces) / max(1, result.metrics.negatives)
    # No AUC: the escalating conversations are cut short at the request, so peaks are not comparable.
    metrics = replace(result.metrics, auc=None)
    return _row(
        "escalation_risk",
        HAND_SET,
        metrics,
        result.turn_p50_ms,
        f"cucom_ecommerce dev (synthetic complaint chats, Apache-2.0), {len(traces)} conv.; "
        f"escalating = {result.metrics.positives} where calmline.manager_request.v1 fires, "
        f"replayed up to the request; alerts in {false_alarms:.0%} of the others; {_lead(result)}",
    )


def cucom_traces(engine: Engine, split: str = "dev") -> list[ForecastTrace]:
    """The cucom_ecommerce chats replayed whole (none counted as escalating)."""
    traces = []
    for record in read_jsonl(data_dir() / "cucom_ecommerce" / f"{split}.jsonl"):
        traces.append(replay(engine, record["id"], chat_turns(record), escalates=False))
    return traces


def _cast(roles: Roles) -> str:
    return "all customer" if roles == "customer" else "alternating customer/agent"


# --- the pattern safety signals on our own sets ------------------------------------------


@dataclass(frozen=True, slots=True)
class Example:
    id: str
    text: str
    label: bool
    category: str
    explicit: bool | None = None


def load_evalset(signal: str, heldout: bool = False) -> list[Example]:
    """One of our labelled sets: ``evalsets/<signal>/eval.jsonl``, or its held-out twin under
    ``evalsets/heldout/`` (written before any detector ran on it; never tuned on)."""
    folder = HELDOUT if heldout else EVALSETS
    return [
        Example(r["id"], r["text"], bool(r["label"]), r["category"], r.get("explicit"))
        for r in read_jsonl(folder / signal / "eval.jsonl")
    ]


@dataclass(frozen=True, slots=True)
class Scored:
    """A detector's judgement of one example."""

    example: Example
    score: float
    own: bool  # the signal is about the writer (self_harm marks statements about another person)
    ns: int


def detectors_for(signal: str) -> list[str]:
    """Registered detectors of customer turns that report ``signal`` on our set for it."""
    examples = load_evalset(signal)
    found = []
    for name in registry.names():
        detector = registry.create(name)
        if Role.customer in detector.roles and any(
            s.score > 0 for s in _score_all(detector, examples, signal)
        ):
            found.append(name)
    return found


def score_examples(name: str, examples: Sequence[Example], signal: str) -> list[Scored]:
    """Run the detector registered as ``name`` on each example, alone, as a customer's first turn."""
    return _score_all(registry.create(name), examples, signal)


def pipeline_scored(signal: str, examples: Sequence[Example] | None = None) -> list[Scored]:
    """What the shipped engine reports: every customer detector of the default playbook's
    pipeline on each example, the strongest ``signal`` among them once the detectors' reviews have run
    (a cue phrase the encoder does not back counts for nothing, as in a live turn)."""
    engine = Engine.default()
    detectors = [d for d in engine.detectors if Role.customer in d.roles]
    scored = []
    for example in examples if examples is not None else load_evalset(signal):
        each = [_score_one(detector, example, signal) for detector in detectors]
        kept = engine.session().detect(_turn(example))
        best = max((s for s in kept if s.kind == signal), key=lambda s: s.score, default=None)
        own = best is not None and best.data.get("subject", "self") == "self"
        scored.append(Scored(example, best.score if best else 0.0, own, sum(s.ns for s in each)))
    return scored


def _score_all(detector: Detector, examples: Sequence[Example], signal: str) -> list[Scored]:
    return [_score_one(detector, example, signal) for example in examples]


_INFO = ConversationInfo(id="evalset", channel="chat")


def _turn(example: Example) -> Turn:
    return Turn(speaker="Customer", role=Role.customer, text=redact(example.text)[0])


def _score_one(detector: Detector, example: Example, signal: str) -> Scored:
    turn = _turn(example)
    context = Context(_INFO, [], CustomerState(), 0)
    began = time.perf_counter_ns()
    signals = [s for s in detector(turn, context) if s.kind == signal]
    elapsed = time.perf_counter_ns() - began
    best = max(signals, key=lambda s: s.score, default=None)
    own = best is not None and best.data.get("subject", "self") == "self"
    return Scored(example, best.score if best else 0.0, own, elapsed)


def safety_metrics(scored: Sequence[Scored], threshold: float = 0.5, own_only: bool = False) -> Metrics:
    predicted = [s.score >= threshold and (s.own or not own_only) for s in scored]
    return binary_metrics([s.example.label for s in scored], predicted, [s.score for s in scored])


def explicit_recall(scored: Sequence[Scored], threshold: float = 0.5) -> tuple[float, list[str]]:
    """Recall on the explicit self-harm statements, and the texts missed."""
    explicit = [s for s in scored if s.example.label and s.example.explicit]
    missed = [s.example.text for s in explicit if s.score < threshold]
    return (1 - len(missed) / len(explicit) if explicit else 0.0), missed


def safety_rows() -> list[Row]:
    """Each safety signal's registered detectors on our sets; plus abuse on cga_wiki dev attacks."""
    rows = []
    for signal in SAFETY_SIGNALS:
        examples = load_evalset(signal)
        for name in detectors_for(signal):
            scored = score_examples(name, examples, signal)
            latency = p50_ms([s.ns for s in scored])
            note = f"calmline evalsets/{signal} ({_counts(examples)})"
            if signal == "self_harm":
                recall, missed = explicit_recall(scored)
                note += f"; recall on explicit statements {recall:.3f} ({len(missed)} missed)"
                rows.append(
                    _row(signal, name, safety_metrics(scored), latency, note) | {"explicit_recall": recall}
                )
                rows.append(
                    _row(
                        signal,
                        f"{name} (writer's own only)",
                        safety_metrics(scored, own_only=True),
                        latency,
                        "same set; signals marked as about another person not counted",
                    )
                )
            else:
                rows.append(_row(signal, name, safety_metrics(scored), latency, note))
    rows.extend(heldout_rows())
    rows.extend(cga_abuse_rows())
    return rows


def heldout_rows() -> list[Row]:
    """The shipped pipeline on the held-out sets: the check on figures from sets that were tuned on."""
    rows = []
    for signal in SAFETY_SIGNALS:
        examples = load_evalset(signal, heldout=True)
        scored = pipeline_scored(signal, examples)
        note = f"held-out: calmline evalsets/heldout/{signal} ({_counts(examples)}), never tuned on"
        if signal == "self_harm":
            recall, missed = explicit_recall(scored)
            note += f"; recall on explicit statements {recall:.3f} ({len(missed)} missed)"
        rows.append(
            _row(signal, "default pipeline (held-out)", safety_metrics(scored), _per_text_ms(scored), note)
        )
    return rows


def _per_text_ms(scored: Sequence[Scored]) -> float:
    return p50_ms([s.ns for s in scored])


def _counts(examples: Sequence[Example]) -> str:
    positives = sum(e.label for e in examples)
    return f"{positives} pos / {len(examples) - positives} neg"


def cga_last_turns(split: str = "dev") -> list[Example]:
    """The last turn of each cga_wiki conversation: a personal attack when it derails."""
    return [
        Example(r["id"], detokenize(r["turns"][-1]["text"]), bool(r["derails"]), "cga_wiki_last_turn")
        for r in read_jsonl(data_dir() / "cga_wiki" / f"{split}.jsonl")
    ]


def cga_abuse_rows() -> list[Row]:
    """An outside check: abuse_at_agent on the attacks that end derailing conversations."""
    if not (data_dir() / "cga_wiki" / "dev.jsonl").exists():
        return []
    examples = cga_last_turns()
    rows = []
    for name in detectors_for("abuse_at_agent"):
        scored = score_examples(name, examples, "abuse_at_agent")
        rows.append(
            _row(
                "abuse_at_agent",
                name,
                safety_metrics(scored),
                p50_ms([s.ns for s in scored]),
                f"cga_wiki dev last turns ({_counts(examples)}): attacks vs civil endings",
            )
        )
    return rows


def evaluation_rows(research: bool = True) -> list[Row]:
    """Every figure this module measures: ``forecast_rows()`` followed by ``safety_rows()``."""
    return forecast_rows(research) + safety_rows()


# --- the report ----------------------------------------------------------------------------


def _cells(row: Row) -> Iterator[str]:
    for key in ("signal", "candidate", "precision", "recall", "f1", "auc", "accuracy", "latency_ms", "note"):
        value = row[key]
        yield "–" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def print_report(rows: Iterable[Row]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="calmline: escalation forecast and safety signals (dev figures)", show_lines=True)
    for header in ("signal", "candidate", "P", "R", "F1", "AUC", "acc", "p50 ms", "data and note"):
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*_cells(row))
    Console(width=max(Console().width, 180)).print(table)


def print_sweep(thresholds: Sequence[float] = (0.3, 0.4, 0.5, 0.6, 0.7)) -> None:
    """The alert threshold's trade-off: cga_wiki dev forecast against the alert rate on complaint chats."""
    if not all((data_dir() / name / "dev.jsonl").exists() for name in ("cga_wiki", "cucom_ecommerce")):
        return
    engine = Engine.default()
    dev = cga_traces(engine, "dev", CHOSEN_ROLES)
    chats = cucom_traces(engine)
    print(
        "\nalert threshold vs cga_wiki dev forecast and cucom_ecommerce dev alert rate (peak risk ≥ threshold):"
    )
    for cut in thresholds:

        def fired(t: ForecastTrace, cut: float = cut) -> bool:
            return t.peak >= cut

        result = forecast_result(dev, fired=fired)
        m = result.metrics
        rate = sum(t.peak >= cut for t in chats) / len(chats)
        print(
            f"  {cut:.2f}: cga P {m.precision:.3f} R {m.recall:.3f} F1 {m.f1:.3f} acc {m.accuracy:.3f}; "
            f"cucom chats alerted {rate:.0%}"
        )


def print_misses() -> None:
    """The explicit self-harm statements the shipped pipeline misses (for the detectors' owner)."""
    recall, missed = explicit_recall(pipeline_scored("self_harm"))
    print(f"\nself_harm (default pipeline): recall {recall:.3f} on explicit statements; missed:")
    for text in missed:
        print(f"  - {text}")


def main() -> None:
    print_report(evaluation_rows())
    print_misses()
    print_sweep()


if __name__ == "__main__":
    main()
