"""The shipped encoder: what it decides on text nobody here trained on, how it fails on bad input and bad files."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from calmline.engine.models import ModelError
from calmline.engine.models.encoder import load_encoder, load_encoder_from
from calmline.engine.pipeline import Engine
from calmline.model import Conversation, Role, Turn
from calmline.signals import ENCODER_HEADS
from calmline.training import heldout
from calmline.training.encoder_eval import playbook_thresholds
from calmline.training.encoder_train import ENCODER_DIR


def _customer(text: str) -> Conversation:
    return Conversation(turns=[Turn(speaker="customer", role=Role.customer, text=text)])


def _alerts(text: str) -> set[str]:
    return {alert.kind for alert in Engine.default().analyze(_customer(text)).turns[0].alerts}


@pytest.fixture(scope="module")
def heldout_results() -> dict[str, heldout.Result]:
    records = heldout.load()
    engine = Engine.default()
    return {
        "engine": heldout.evaluate(engine, records),
        "encoder alone": heldout.evaluate(Engine(heldout.without_cues(engine.playbook)), records),
    }


@pytest.mark.parametrize("label", list(heldout.ALERT_OF))
def test_switching_every_cue_list_off_costs_at_most_five_points_of_heldout_recall(heldout_results, label):
    with_cues = heldout_results["engine"].recall(label)
    alone = heldout_results["encoder alone"].recall(label)
    assert with_cues - alone <= 0.05, (label, with_cues, alone, heldout_results["encoder alone"].missed)


@pytest.mark.parametrize("run", ["engine", "encoder alone"])
def test_each_heldout_alert_is_raised_on_the_very_turn_nine_times_in_ten(heldout_results, run):
    # The target. The previous engine (cue lists, no encoder) found 12–23 of 40 per kind here.
    result = heldout_results[run]
    for label in heldout.ALERT_OF:
        assert result.recall(label) >= 0.90, (label, result.found[label], result.missed)


def test_at_most_one_hard_negative_in_twenty_raises_an_alert(heldout_results):
    result = heldout_results["engine"]
    assert result.false_alarm_rate() <= 0.05, result.alarmed


@pytest.mark.parametrize(
    ("text", "alert"),
    [
        ("honestly it doesn't matter, I won't be alive by the time that bill is due", "crisis"),
        ("if that engineer shows up at my door again I will put him in the hospital", "crisis"),
        ("can you put me through to whoever is above you please", "manager_request"),
        ("the heat in my apartment has completely stopped working and my baby is freezing", "emergency"),
        ("you are a useless waste of space and everyone at your company is an idiot", "abuse"),
    ],
)
def test_indirect_phrasings_raise_their_alert(text, alert):
    assert alert in _alerts(text)


@pytest.mark.parametrize(
    "text",
    [
        "this hold music is killing me, can you check my order status?",
        "my manager asked me to call about the invoice for our office",
        "the heating engineer fixed the boiler last week, I'm calling about the bill",
        "I'd like to cancel my order and place a new one with the right size",
    ],
)
def test_lookalikes_raise_no_alert(text):
    assert _alerts(text) == set()


@pytest.mark.parametrize(
    "text",
    ["", "   ", "😡😡😡🙏", "x" * 20000, "¿Dónde está mi pedido? Llevo dos semanas esperando.", "\x00\x01"],
)
def test_bad_input_gets_a_real_reading_not_an_error(text):
    reading = load_encoder().read(text)
    assert set(reading.probabilities) == set(ENCODER_HEADS)
    assert all(0.0 <= p <= 1.0 for p in reading.probabilities.values())


def test_a_threat_at_the_end_of_a_long_turn_is_read():
    filler = "I have been waiting for the refund on my order for weeks and nobody has called me back. " * 200
    threat = "If nobody fixes this today I will come to your office and hurt someone."
    threshold = playbook_thresholds(load_encoder())["violence_threat"]
    reading = load_encoder().read(filler + threat)
    assert reading.probabilities["violence_threat"] >= threshold
    assert load_encoder().read(filler).probabilities["violence_threat"] < threshold
    start, end = reading.spans["violence_threat"]
    assert "hurt someone" in (filler + threat)[start:end]


def test_an_encoder_signal_carries_the_words_that_moved_it():
    text = "Order 5512 was late again and the driver was rude. I'm done, I'll end my life tonight. Sorry."
    analysed = Engine.default().analyze(_customer(text)).turns[0]
    encoded = [s for s in analysed.signals if s.detector == "calmline.encoder.v1" and s.kind == "self_harm"]
    assert encoded, analysed.signals
    quote = encoded[0].evidence[0]
    assert analysed.text[quote.span[0] : quote.span[1]] == quote.quote
    assert "life" in quote.quote or "done" in quote.quote


def test_upset_points_at_the_clause_that_carries_the_feeling():
    # Not an alert, so its evidence is the clause that reads most upset on its own (one short batch).
    text = "I ordered the blue kettle on Monday, the tracking says delivered, and honestly I'm so fed up with this."
    analysed = Engine.default().analyze(_customer(text)).turns[0]
    upset = [s for s in analysed.signals if s.kind == "upset"]
    assert upset, analysed.signals
    quote = upset[0].evidence[0]
    assert analysed.text[quote.span[0] : quote.span[1]] == quote.quote
    assert "fed up" in quote.quote and "kettle" not in quote.quote


@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_a_damaged_model_file_is_a_clear_error_naming_it(tmp_path, damage):
    folder = tmp_path / "encoder"
    shutil.copytree(ENCODER_DIR, folder)
    if damage == "missing":
        (folder / "encoder.onnx").unlink()
    else:
        (folder / "encoder.onnx").write_bytes(b"not a model")
    with pytest.raises(ModelError, match=r"encoder\.onnx.*reinstall"):
        load_encoder_from(folder)


def test_the_engine_never_imports_torch(tmp_path):
    script = (
        "import sys\n"
        "from calmline.engine.pipeline import Engine\n"
        "from calmline.model import Conversation, Role, Turn\n"
        "Engine.default().analyze(Conversation(turns=[Turn(speaker='c', role=Role.customer, text='help')]))\n"
        "print('torch' in sys.modules, 'transformers' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


def test_the_model_card_ships_beside_the_weights():
    card = (Path(ENCODER_DIR) / "README.md").read_text(encoding="utf-8")
    assert "convabuse" in card and "Held-out conversations" in card


def test_prepare_reads_everything_the_analysis_needs_so_the_server_loop_runs_no_network(monkeypatch):
    # A server prepares a turn in a worker thread and analyses it on its event loop: the evidence of the
    # heads that fire must be read in the worker too, or the loop waits on the network.
    engine = Engine.default()
    encoded = next(d for d in engine.detectors if d.name == "calmline.encoder.v1")
    text = "My parcel 7731 is a week late, the app says delivered, and frankly I'm so fed up with all of you."
    turn = Turn(speaker="customer", role=Role.customer, text=text)
    session = engine.session()
    session.prepare(turn)

    def no_network(*args, **kwargs):
        raise AssertionError("the network ran after prepare")

    monkeypatch.setattr(encoded.encoder._session, "run", no_network)
    analysed = session.add(turn)
    upset = [s for s in analysed.signals if s.kind == "upset"]
    assert upset and upset[0].evidence and "fed up" in upset[0].evidence[0].quote
